# syntax=docker/dockerfile:1
# Build: `docker build -t remix-auth0-stack .` (README "Deploying"; docs/decisions/010-container-image.md).

# --- deps: every dependency, for building (better-sqlite3 compiles here when no prebuilt binary fits) ---
FROM node:24-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
ENV CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# postinstall runs `node scripts/prisma.mjs generate` (both Prisma clients). An optional `npmrc` build secret
# (a private registry's token, a TLS-intercepting proxy's CA) reaches npm without being stored in any layer.
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci --no-audit --no-fund

# --- production-deps: runtime dependencies only, without what the runtime never loads ---
# typescript stays after the prune as an optional peer of Prisma and Remix; nothing loads it at runtime (the Prisma
# CLI reads prisma.config.ts through its own jiti). Also dropped: better-sqlite3's sources and object files, source
# maps, and Prisma's wasm engines for databases this app does not use (or, in the client, its unused engine kind).
FROM deps AS production-deps
RUN npm prune --omit=dev --no-audit --no-fund \
  && cd node_modules \
  && rm -rf typescript better-sqlite3/deps better-sqlite3/src better-sqlite3/build/deps \
    better-sqlite3/build/Release/obj better-sqlite3/build/Release/obj.target better-sqlite3/build/Release/.deps \
  && find . -name '*.map' -type f -delete \
  && find @prisma/client/runtime -name 'query_engine_bg.*' -delete \
  && find @prisma/client/runtime prisma/build -regex '.*/query_\(engine\|compiler\)_bg\.\(mysql\|sqlserver\|cockroachdb\)\..*' -delete

# --- build ---
FROM deps AS build
COPY . .
RUN npm run build

# --- runtime: no compiler, no dev dependencies, app files owned by root (read-only to the app) ---
FROM node:24-slim
# tini as PID 1: forwards SIGTERM to the server and reaps orphaned children.
RUN apt-get update && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_URL=file:/app/data/app.db \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json /app/prisma.config.ts /app/server.js ./
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/app/generated ./app/generated
COPY --from=build /app/build ./build
COPY --from=build /app/public ./public
# The SQLite default lives here. Owned by `node` (uid 1000), so a new named volume mounted here inherits that owner;
# a host directory must be chowned to 1000 (README "Deploying").
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# Migrations, then the server (server.js), a direct child of tini: SIGTERM drains it and it exits 0.
CMD ["node", "server.js"]
