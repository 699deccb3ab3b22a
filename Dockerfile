# syntax=docker/dockerfile:1
# bulk-api-trigger: one image for the API + drop folder (npm run api) and the workers (npm run worker).

# --- dependencies, without dev tools; the Temporal CLI (postinstall) is not needed: the cluster runs Temporal.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# --- runtime: sources run by tsx (a runtime dependency), as a non-root user.
FROM node:20-bookworm-slim AS runtime
# pg_dump/pg_restore for scheduled backups of Postgres (client 15: back up a Postgres server up to 15).
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-client ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=8000
COPY --from=deps /app/node_modules ./node_modules
COPY package.json .env.sample tsconfig.json ./
COPY bin ./bin
COPY core ./core
COPY workflows ./workflows
COPY activities ./activities
COPY store ./store
COPY server ./server
COPY watcher ./watcher
COPY cli ./cli
COPY runtime ./runtime
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# The API + drop-folder process; workers override the command (see docker-compose.yml).
CMD ["node_modules/.bin/tsx", "runtime/start.ts", "api"]
