#!/usr/bin/env bash
# Builds the unmodified Dockerfile with podman and smoke-tests the image: on PostgreSQL, and on the SQLite default
# with a named volume. Each check prints one line; any failure exits non-zero. Runs as root (rootful podman) with
# Node 24 on PATH (its binary and headers become the local stand-in for node:24-slim, as no registry is reachable)
# and PostgreSQL on 127.0.0.1:5432. Container storage lives in a temporary folder, deleted at the end.
#   sudo PATH=/opt/node24/bin:$PATH bash scripts/container-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
log() { echo "[container +$(($(date +%s) - start))s] $*"; }
ok() { echo "[container] ok: $*"; }
fail() {
  echo "[container] FAIL: $*" >&2
  exit 1
}

image=remix-auth0-stack:ci
pg_admin_url=${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
pg_database=stack_container
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1

missing=()
for tool in podman runc mmdebstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 24 ] || fail "Node 24 must be first on PATH (found $(node -v))"
node_home=$(dirname "$(dirname "$(command -v node)")")
[ -d "$node_home/include/node" ] || fail "no Node headers in $node_home/include/node"

# CONTAINER_TEST_WORK keeps storage (and the build cache) in a folder of your choice between local runs.
work=${CONTAINER_TEST_WORK:-$(mktemp -d /var/tmp/container-test.XXXXXX)}
mkdir -p "$work"
emulator_pid=
pm() { podman --root "$work/storage" --runroot "$work/run" "$@"; }
cleanup() {
  set +e
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null
  pm rm --all --force --time 0 >/dev/null 2>&1
  pm volume rm --all --force >/dev/null 2>&1
  [ -n "${CONTAINER_TEST_WORK:-}" ] || {
    # The overlay driver mounts its folder over itself, and containers leave shm mounts: unmount all, then delete.
    findmnt -rn -o TARGET | grep "^$work/" | sort -r | xargs -r umount -l
    rm -rf "$work"
  }
  psql -q "$pg_admin_url" -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

# This host's limits: crun refuses hybrid cgroups, default rlimits exceed the VM's, and there is no systemd.
# Its tmp_dir (podman's default: /run/libpod) is ours too, so this run never touches another podman user's state.
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$work/tmp"
EOF
export CONTAINERS_CONF=$work/containers.conf

# --- node:24-slim, made locally: Debian minbase (cached per day) + this Node 24, its headers, npm, user node ---
cache=/var/cache/stack-container-test
rootfs=$cache/bookworm-minbase-$(date +%Y%m%d).tar
if [ ! -f "$rootfs" ] || [ ! -s "$rootfs" ]; then
  log "mmdebstrap bookworm minbase"
  mkdir -p "$cache" && rm -rf "$cache"/bookworm-minbase-*
  # The Debian mirror this machine's apt is set up with (its sources files, pasted as they are).
  sources=()
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -s "$file" ] && sources+=("$file")
  done
  ((${#sources[@]})) || fail "no apt sources in /etc/apt to build the base image from"
  # --format=tar: mmdebstrap guesses the format from the name, and "….tar.partial" would make it a directory.
  mmdebstrap --variant=minbase --format=tar --quiet bookworm "$rootfs.partial" "${sources[@]}" </dev/null
  mv "$rootfs.partial" "$rootfs"
fi
pm image exists localhost/debian:bookworm-minbase || pm import --quiet "$rootfs" localhost/debian:bookworm-minbase >/dev/null
base=$work/base
rm -rf "$base" && mkdir -p "$base/node"
cp -a "$node_home/bin" "$node_home/include" "$base/node/"
(cd "$base" && npm pack --silent npm@11 >/dev/null && mkdir npm && tar xzf npm-*.tgz -C npm --strip-components 1)
cat >"$base/Containerfile" <<'EOF'
FROM localhost/debian:bookworm-minbase
COPY node/bin/node /usr/local/bin/node
COPY node/include /usr/local/include
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
EOF
pm build --quiet --format docker --pull=never -t docker.io/library/node:24-slim "$base" >/dev/null
log "base image node:24-slim made ($(pm run --rm docker.io/library/node:24-slim node -v))"

# --- the image, from the Dockerfile as it is ---
# Build-only npm settings, given as the Dockerfile's optional `npmrc` secret (never in a layer): compile
# better-sqlite3 against the local headers (no download from GitHub), and trust this network's TLS-intercepting CA.
npmrc=$work/npmrc
{
  echo "nodedir=/usr/local"
  echo "build-from-source=true"
  # This network's TLS-intercepting CA, when there is one (npm's `ca` then replaces its default roots: the
  # registry is the only host the build reaches).
  for ca in /usr/local/share/ca-certificates/*.crt; do
    if [ -f "$ca" ]; then echo "ca[]=$(node -p 'JSON.stringify(require("fs").readFileSync(process.argv[1], "utf8").trim())' "$ca")"; fi
  done
} >"$npmrc"
log "building the image"
pm build --quiet --format docker --pull=never --network=host --secret id=npmrc,src="$npmrc" -t "$image" . >/dev/null
size=$(pm image inspect "$image" --format '{{.Size}}')
base_size=$(pm image inspect docker.io/library/node:24-slim --format '{{.Size}}')
ok "image built: $((size / 1000000)) MB ($(((size - base_size) / 1000000)) MB on top of node:24-slim)"
[ -z "$(pm image inspect "$image" --format '{{range .Config.Env}}{{println .}}{{end}}' | grep -i -e NODE_EXTRA_CA -e npm_config)" ] ||
  fail "build-only settings leaked into the image's environment"
pm run --rm --entrypoint sh "$image" -c '! test -e node_modules/typescript && ! command -v g++ && ! test -e /root/.npmrc' >/dev/null ||
  fail "runtime stage holds typescript, a compiler or the npmrc"
ok "runtime stage: no typescript, no compiler, no npmrc"

# --- the emulator on loopback, and the app's settings ---
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'; }
port=$(free_port)
emulator_port=$(free_port)
origin=http://localhost:$port
client_id=container-client
client_secret=container-client-secret-0123456789abcdef
AUTH0_CLIENT_ID=$client_id AUTH0_CLIENT_SECRET=$client_secret APP_DOMAIN=$origin EMULATOR_PORT=$emulator_port \
  EMULATOR_QUIET=true npx tsx dev/auth0-emulator/main.ts >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$emulator_port/.well-known/openid-configuration" && break; sleep 0.5; done
# Without systemd there are no healthcheck timers: no attempt to set them up; `podman healthcheck run` runs it.
app_env=(
  --health-interval=disable
  -e PORT=$port -e AUTH0_DOMAIN=http://127.0.0.1:$emulator_port -e ALLOW_AUTH0_EMULATOR=true
  -e AUTH0_CLIENT_ID=$client_id -e AUTH0_CLIENT_SECRET=$client_secret -e APP_DOMAIN=$origin
  -e SESSION_SECRET=container-test-session-secret-0123456789abcdef
)

wait_healthy() {
  for _ in $(seq 1 90); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$origin/healthz")" = 200 ] && return 0
    [ "$(pm inspect "$1" --format '{{.State.Running}}')" = true ] || break
    sleep 1
  done
  pm logs "$1" >&2 || true
  fail "$1: /healthz never answered 200"
}

# The checks every deployment must pass, on the running container $1.
smoke() {
  local name=$1
  wait_healthy "$name"
  ok "$name: /healthz 200"
  uid=$(pm exec "$name" id -u)
  [ "$uid" != 0 ] || fail "$name runs as root"
  ok "$name: runs as uid $uid"
  [ "$(pm exec "$name" cat /proc/1/comm)" = tini ] || fail "$name: PID 1 is not tini"
  ok "$name: PID 1 is tini"
  pm healthcheck run "$name" >/dev/null || fail "$name: HEALTHCHECK is not healthy"
  ok "$name: podman healthcheck run → healthy"
  npx tsx test/container/smoke.ts login "$origin" "http://127.0.0.1:$emulator_port" || fail "$name: login"
  ok "$name: login, /dashboard, logout through the container"
  zombies=$(pm exec "$name" sh -c 'grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l')
  [ "$zombies" = 0 ] || fail "$name: $zombies zombie processes"
  ok "$name: no zombie processes"
  npx tsx test/container/smoke.ts stop "$origin" "http://127.0.0.1:$emulator_port" \
    podman --root "$work/storage" --runroot "$work/run" stop --time 15 "$name" || fail "$name: stop with a request in flight"
  code=$(pm inspect "$name" --format '{{.State.ExitCode}}')
  [ "$code" = 0 ] || {
    pm logs --tail 20 "$name" >&2
    fail "$name: exit code $code after stop (want 0)"
  }
  ok "$name: podman stop → exit 0, the in-flight request finished"
}

# (a) PostgreSQL
psql -q "$pg_admin_url" -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" -c "CREATE DATABASE $pg_database"
pg_url=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.href)' "$pg_admin_url" "$pg_database")
log "(a) PostgreSQL"
pm run -d --name app-postgresql --network=host "${app_env[@]}" -e DATABASE_URL="$pg_url" "$image" >/dev/null
smoke app-postgresql

# (b) the SQLite default (no DATABASE_URL) on a named volume, which must keep the database across containers
log "(b) SQLite default, named volume"
pm volume create app-data >/dev/null
pm run -d --name app-sqlite --network=host "${app_env[@]}" -v app-data:/app/data "$image" >/dev/null
smoke app-sqlite
pm run --rm -v app-data:/app/data --entrypoint sh "$image" -c 'test -s /app/data/app.db && test "$(stat -c %u /app/data)" = 1000' ||
  fail "the named volume holds no database owned by uid 1000"
ok "named volume: app.db kept, /app/data owned by uid 1000"

# (c) a host folder owned by root: the container stops at once with a message saying what to do
mkdir -p "$work/root-owned"
if pm run --name app-root-owned --network=host "${app_env[@]}" -v "$work/root-owned:/app/data" "$image" >"$work/root-owned.log" 2>&1; then
  fail "the app started on a root-owned data folder"
fi
grep -q "not writable by uid 1000" "$work/root-owned.log" || {
  cat "$work/root-owned.log" >&2
  fail "no clear message for a root-owned data folder"
}
ok "root-owned bind mount: exits with \"$(grep -o 'not writable by uid 1000' "$work/root-owned.log")\" and how to fix it"

log "all container checks passed"
