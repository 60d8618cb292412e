# One image for every Vigil service; the command chooses what runs.
FROM node:20-bookworm-slim
RUN npm install -g pnpm@10
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc tsconfig.base.json ./
COPY packages ./packages
COPY services ./services
COPY config ./config
COPY scripts ./scripts
# The processes run the compiled command (services/vigil/dist/main.js), not the TypeScript loader, with
# the young generation's semi-spaces at 4 MiB as `pnpm vigil` runs it (see package.json).
RUN pnpm install --frozen-lockfile --prod=false && pnpm build
# The board's script and stylesheet, built once into the image rather than at each start.
RUN pnpm --filter @vigil/board build
ENV NODE_ENV=production
EXPOSE 8080
ENTRYPOINT ["node", "--max-semi-space-size=4", "services/vigil/dist/main.js"]
# Listening on every interface is what a container needs, and safe for the api: every route but /healthz
# and /readyz needs an API key. Make the first one inside the container, which reaches the running Vigil
# through its control socket: `docker exec CONTAINER node services/vigil/dist/main.js api-key create
# --scope admin --name NAME`. Publish the port on loopback or behind a TLS reverse proxy.
CMD ["start", "--host", "0.0.0.0"]
