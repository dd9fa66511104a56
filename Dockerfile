# The Pando image: one image for every process, the role picked by the command:
#   docker run pando/pando:latest master | agent | framework-host [options]
# Options are the apps' flags or their PANDO_* variables (see apps/*/README.md).
#
# Build (no registry reachable: build the local base first with scripts/build-base-images.sh):
#   DOCKER_BUILDKIT=0 docker build --build-arg NODE_IMAGE=pando/node-base:20 -t pando/pando:latest .
# With a registry, the default base (the official Node 20 image) works as is:
#   docker build -t pando/pando:latest .
# The base must have Node >= 20.19 (NestJS 12's ESM packages are require()d natively) and npm, and
# (for `npm run build`) bash. Only Dockerfile syntax the legacy builder knows is used (Debian's
# docker.io ships no buildx).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- production dependencies only ------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the root package's postinstall (scripts/complete-lockfile.js) only mends the lock
# for development machines, and no production dependency needs its install script (ssh2's and
# cpu-features' optional native add-ons fall back to JavaScript; protobufjs's only prints).
RUN npm ci --omit=dev --ignore-scripts --loglevel=error \
 && find node_modules \( -name '*.md' -o -name '*.markdown' -o -name '*.map' -o -name '*.ts' -o -name 'CHANGELOG*' \) \
      -type f ! -path '*/bin/*' -delete

# ---- build: every dependency, swc, `npm run build` ---------------------------------------------
FROM ${NODE_IMAGE} AS build
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts skipped here too: @swc/core's native binary comes from its platform package.
RUN npm ci --ignore-scripts --loglevel=error
COPY .swcrc tsconfig.json nest-cli.json ./
COPY scripts/build.sh scripts/build.sh
COPY libs libs
COPY plugins plugins
COPY apps apps
# Only apps, libs and plugins are in the context (tests, benchmarks and examples are not shipped);
# the source maps point at sources the image does not have.
RUN npm run build && find dist -name '*.map' -delete

# ---- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production PANDO_LOG_LEVEL=info
COPY deploy/images/pando-entrypoint.sh /usr/local/bin/pando
COPY deploy/images/healthcheck.js /usr/local/lib/pando/healthcheck.js
# A non-root user (uid/gid 10001) owns the state directories; named volumes mounted there start
# with this owner. The agent's Docker executor needs the engine's socket: run the agent as root, or
# as this user with the socket's group added (docker run --group-add <gid of docker.sock>).
RUN set -eu; \
    chmod 0755 /usr/local/bin/pando; \
    grep -q '^pando:' /etc/group || echo 'pando:x:10001:' >>/etc/group; \
    grep -q '^pando:' /etc/passwd || echo 'pando:x:10001:10001:Pando:/var/lib/pando:/usr/sbin/nologin' >>/etc/passwd; \
    mkdir -p /var/lib/pando/agent; \
    chown -R 10001:10001 /var/lib/pando
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=build /app/dist dist
USER 10001:10001
ENV PANDO_AGENT_WORK_DIR=/var/lib/pando/agent
# master 5050, agent 5051, Marathon 8080, Chronos 4400
EXPOSE 5050 5051 8080 4400
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s --retries=3 CMD ["node", "/usr/local/lib/pando/healthcheck.js"]
ENTRYPOINT ["/usr/local/bin/pando"]
CMD ["help"]
