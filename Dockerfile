# The rollout-sim command-line tool, e.g. for the pods of deploy/indexed-job.yaml (docs/sweeps.md):
#
#   docker build -t rollout-sim:0.1.0 .
#   docker run --rm rollout-sim:0.1.0 run scenarios/llama-8b-h100-rolling.yaml
#
# The build stage compiles the TypeScript and packs the package with `npm pack`, so the image holds exactly what
# package.json's "files" ships (dist/sim, dist/reports, the scenario library), installed in /app with its
# production dependencies from package-lock.json.

FROM node:20-bookworm-slim AS build
WORKDIR /build
# --ignore-scripts: the "prepare" script would compile before the sources are here; the build runs below.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# npm pack would run "prepare" (the build) a second time.
RUN npm run build \
 && npm pack --ignore-scripts \
 && mkdir /package \
 && tar -xzf rollout-sim-*.tgz -C /package --strip-components=1 --no-same-owner

FROM node:20-bookworm-slim
LABEL org.opencontainers.image.title="rollout-sim" \
      org.opencontainers.image.description="Discrete-event simulator and capacity planner for rolling out new LLM model versions on GPU Kubernetes clusters" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production
WORKDIR /app
# Dependencies first, from the build context, so this layer is reused until package-lock.json changes.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /package/ ./
# The program's files stay root's (read-only to the node user); out/ is where `demo` and `sweep` write by default.
RUN chmod 755 dist/sim/cli/main.js \
 && ln -s /app/dist/sim/cli/main.js /usr/local/bin/rollout-sim \
 && mkdir out && chown node:node out
USER node
ENTRYPOINT ["rollout-sim"]
CMD ["--help"]
