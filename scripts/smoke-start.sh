#!/usr/bin/env bash
# The production start outside a container: `npm start` (= node server.js: prisma migrate deploy, then the
# server) on the built app, then GET /healthz must answer 200. Needs `npm run build` done and DATABASE_URL.
set -euo pipefail
port=${SMOKE_PORT:-3457}
export NODE_ENV=production PORT=$port
export AUTH0_DOMAIN=${AUTH0_DOMAIN:-http://127.0.0.1:3334} ALLOW_AUTH0_EMULATOR=true
export AUTH0_CLIENT_ID=${AUTH0_CLIENT_ID:-smoke-client} AUTH0_CLIENT_SECRET=${AUTH0_CLIENT_SECRET:-smoke-client-secret}
export APP_DOMAIN=http://localhost:$port
export SESSION_SECRET=${SESSION_SECRET:-smoke-test-session-secret-0123456789abcdef}
# Its own process group, so the trap stops npm and the server together.
setsid npm start > /tmp/smoke-start.log 2>&1 &
pid=$!
trap 'kill -- -$pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  if status=$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:$port/healthz") && [ "$status" = 200 ]; then
    echo "healthz: 200 (database: ${DATABASE_URL%%:*})"
    exit 0
  fi
  sleep 1
done
echo "healthz never answered 200; server log:" >&2
cat /tmp/smoke-start.log >&2
exit 1
