# metronet image: build stage compiles TypeScript; runtime stage holds production
# dependencies, the compiled code, device profiles and web assets, and runs as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/profiles ./profiles
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
ENV METRONET_DATA_DIR=/data
EXPOSE 8080 1883
ENTRYPOINT ["node", "bin/metronet.js"]
CMD ["demo"]
