# syntax=docker/dockerfile:1
# metronet image (docs/operations.md). One image for every service: the command chooses which
# (`ingest`, `analytics`, `dashboard`, `broker`, `gateway`, `admin …`, `demo`).
#
# Stage 1 compiles: TypeScript to dist/, and the native add-ons (better-sqlite3,
# @serialport/bindings-cpp) with the toolchain they fall back to when no prebuilt binary fits.
# package.json "allowScripts" lists those packages, so npm versions that block install scripts
# by default still run theirs. Development dependencies are then pruned.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core core
COPY store store
COPY broker broker
COPY gateway gateway
COPY ingest ingest
COPY analytics analytics
COPY dashboard dashboard
COPY simulators simulators
COPY cli cli
# After the build: production dependencies only, no npm cache, and of the native add-ons only
# what runs (better-sqlite3's SQLite sources and object files stay behind).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
           node_modules/better-sqlite3/build/Release/obj node_modules/better-sqlite3/build/Release/obj.target \
           node_modules/better-sqlite3/build/Release/.deps node_modules/better-sqlite3/build/Release/test_extension.node \
           node_modules/better-sqlite3/build/Release/sqlite3.a

# Stage 2 runs: the same Debian base (same glibc and libstdc++ as the add-ons were built
# against), no compiler, no npm, a non-root user.
FROM node:20-bookworm-slim
# Inside a container, loopback listeners would be unreachable: services listen on all
# interfaces of the container's network (published ports decide what the host exposes).
ENV NODE_ENV=production \
    METRONET_DATA_DIR=/data \
    METRONET_DASHBOARD__HOST=0.0.0.0 \
    METRONET_BROKER__HOST=0.0.0.0
WORKDIR /app
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn* \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && mkdir -p /data /mqtt-auth \
 && chown node:node /data /mqtt-auth
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root bin ./bin
COPY --chown=root:root profiles ./profiles
COPY --chown=root:root package.json ./
# uid 1000 ("node"): the code is owned by root and read-only to it. /data (registry, SQLite
# readings) and /mqtt-auth (Mosquitto files exported by compose's setup service) are its own, and
# a fresh named volume mounted there takes that owner.
USER node
VOLUME ["/data"]
# 8080 dashboard, 1883 embedded broker (demo, `metronet broker`)
EXPOSE 8080 1883
ENTRYPOINT ["node", "bin/metronet.js"]
# `docker run -p 8080:8080 metronet` runs the demo; compose gives each service its command.
CMD ["demo"]
