# syntax=docker/dockerfile:1

# --- deps: every dependency, for building (better-sqlite3 compiles here when no prebuilt binary fits) ---
FROM node:20-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# postinstall runs `node scripts/prisma.mjs generate` (both Prisma clients)
RUN npm ci

# --- production-deps: runtime dependencies only ---
FROM deps AS production-deps
RUN npm prune --omit=dev

# --- build ---
FROM deps AS build
COPY . .
RUN node scripts/prisma.mjs generate && npm run build

# --- runtime ---
FROM node:20-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=production-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/package.json /app/prisma.config.ts ./
COPY --from=build --chown=node:node /app/scripts ./scripts
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/app/generated ./app/generated
COPY --from=build --chown=node:node /app/build ./build
COPY --from=build --chown=node:node /app/public ./public
# SQLite lives here by default (DATABASE_URL=file:./data/app.db); mount a volume to keep it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# start = `prisma migrate deploy`, then `remix-serve ./build/index.js`
CMD ["npm", "start"]
