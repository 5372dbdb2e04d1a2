# The `lengua serve` image: ONNX Runtime (CPU, shipped inside the onnxruntime-node npm package) and the
# compiled CLI. No libtorch, no native build, no sources, no tests. See deploy/README.md.
#
#   docker build -t lengua .
#   docker run --rm -p 8080:8080 -v "$PWD/exported:/models/model:ro" \
#     -v "$PWD/keys.json:/run/secrets/lengua/keys.json:ro" lengua
#
# Arguments after the image name replace CMD (the models and the key file); the ENTRYPOINT keeps
# `lengua serve --host 0.0.0.0 --port 8080`.

# ---- build: compile src/ → dist/ with the dev dependencies (TypeScript) ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
# onnxruntime-node's install script would fetch a CUDA build from outside the npm registry; the CPU build
# is in the package. --ignore-scripts as well: compiling needs no install script, and none runs unreviewed.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, dist/ and bin/ only ----
FROM node:20-bookworm-slim
WORKDIR /app
# ORT_DISABLE_TELEMETRY: otherwise onnxruntime-node 1.31's Linux build starts its telemetry client (its
# collector is events.data.microsoft.com; it logs about itself at startup). A server sends nothing unasked.
ENV NODE_ENV=production \
    ORT_DISABLE_TELEMETRY=1 \
    ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false \
    LENGUA_HOME=/home/node/.lengua
COPY package.json package-lock.json ./
# onnxruntime-node ships ONNX Runtime for every OS and CPU (about 300 MB); keep this machine's Linux build.
RUN npm ci --omit=dev --ignore-scripts \
 && case "$(uname -m)" in x86_64) keep=x64 ;; aarch64) keep=arm64 ;; *) keep=none ;; esac \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 \
 && rm -rf "$ort/darwin" "$ort/win32" \
 && find "$ort/linux" -mindepth 1 -maxdepth 1 ! -name "$keep" -exec rm -rf {} + \
 && npm cache clean --force \
 && rm -rf /root/.npm /tmp/* \
 && ln -s /app/bin/lengua.js /usr/local/bin/lengua \
 && mkdir -p /models /home/node/.lengua \
 && chown node:node /home/node/.lengua \
 && chmod 0700 /home/node/.lengua
COPY bin ./bin
COPY --from=build /app/dist ./dist
# The application files stay root-owned and read-only to the server's user.
USER node
EXPOSE 8080
# Models are mounted read-only under /models; LENGUA_HOME (audit log) is the one place the server writes.
VOLUME ["/models", "/home/node/.lengua"]
# No curl in the slim image: Node's fetch, with a deadline.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["lengua", "serve", "--host", "0.0.0.0", "--port", "8080"]
CMD ["--model", "model=/models/model"]
