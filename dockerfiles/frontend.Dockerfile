# Frontend image: the React SPA (Vite build) served by unprivileged nginx, which also proxies /api/
# to the backend named by TODO_BACKEND_URL (frontend/nginx/start.sh renders the config into /tmp).
# Build context is the repository root:
#   DOCKER_BUILDKIT=1 docker build -f dockerfiles/frontend.Dockerfile -t todo-frontend .
ARG NODE_IMAGE=node:22-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.30-alpine

# The bundle is the same on every architecture: built on the build machine's own platform, so an
# arm64 image built on amd64 (or the reverse) runs no Node under emulation.
FROM --platform=${BUILDPLATFORM} ${NODE_IMAGE} AS build
WORKDIR /build
# Lockfile first: the node_modules layer is reused until package-lock.json changes.
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# Runtime: nginx, the built files and the entrypoint; no Node, no sources, no node_modules.
FROM ${NGINX_IMAGE} AS runtime
ENV TODO_FRONTEND_STATIC_ROOT=/opt/todo-frontend/html
COPY frontend/nginx/start.sh frontend/nginx/nginx.conf.template frontend/nginx/security-headers.conf frontend/nginx/body-limit.conf /opt/todo-frontend/
COPY --from=build /build/dist /opt/todo-frontend/html
# Numeric IDs need no passwd entry and let Kubernetes verify runAsNonRoot.
USER 10001:10001
EXPOSE 8080
# SIGQUIT is nginx's graceful stop; SIGTERM (what Kubernetes sends) is its fast stop, also clean.
STOPSIGNAL SIGQUIT
# curl ships in the official nginx images; the port follows TODO_FRONTEND_LISTEN (PORT or IP:PORT).
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/bin/sh", "-c", "listen=\"${TODO_FRONTEND_LISTEN:-8080}\"; curl -fsS -o /dev/null \"http://127.0.0.1:${listen##*:}/healthz\""]
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="todo-frontend" \
      org.opencontainers.image.description="Todo Chatbot web app (static files + nginx proxy of /api/)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# The image's own entrypoint replaces the base's docker-entrypoint.sh (it writes under /etc).
ENTRYPOINT ["/opt/todo-frontend/start.sh"]
