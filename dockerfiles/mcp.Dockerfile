# MCP image: the MCP task server (`todo-mcp`, streamable HTTP at /mcp). Only the core and the MCP
# server's dependencies: no FastAPI, no agent or LLM packages.
# Build context is the repository root:
#   DOCKER_BUILDKIT=1 docker build -f dockerfiles/mcp.Dockerfile -t todo-mcp .
# Dependencies come from the hashed lock app/requirements/mcp.txt (regenerate:
# app/requirements/compile.sh), so a change to application code rebuilds only the last layers.
# Any architecture from any machine: `--platform linux/arm64` (an Apple Silicon laptop's Minikube)
# builds on amd64 without emulating an installer, and the reverse. The builder stages run on the
# build machine's platform and install the target's wheels; only the slim step runs as the target.
ARG PYTHON_IMAGE=python:3.13-slim
# The builder's base: the same image, for the build machine's platform. Set it only where one tag
# holds one architecture (a mirror, or the test suite's stand-ins).
ARG BUILD_PYTHON_IMAGE=${PYTHON_IMAGE}

# Build tools (binutils, pip, hatchling) stay in the builder stages and never reach the runtime stage.
FROM --platform=${BUILDPLATFORM} ${BUILD_PYTHON_IMAGE} AS build-tools
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
ARG TARGETARCH
# `target-strip` for the venv's native libraries: the binutils of the target's machine (a cross
# binutils when it is not the builder's); versions follow the base image's Debian release.
# hadolint ignore=DL3008
RUN case "${TARGETARCH}" in \
      amd64) binutils=binutils-x86-64-linux-gnu strip=x86_64-linux-gnu-strip ;; \
      arm64) binutils=binutils-aarch64-linux-gnu strip=aarch64-linux-gnu-strip ;; \
      *) echo "TARGETARCH='${TARGETARCH}' is not an architecture the images are built for: use --platform linux/amd64 or linux/arm64" >&2; exit 2 ;; \
    esac \
    && apt-get update \
    && apt-get install -y --no-install-recommends "${binutils}" \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s "/usr/bin/${strip}" /usr/local/bin/target-strip
COPY app/requirements/build.txt /requirements/build.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m venv /opt/build-tools \
    && /opt/build-tools/bin/pip install --require-hashes --no-deps -r /requirements/build.txt

# Third-party packages, lockfile first: this layer is reused until mcp.txt changes.
# Their native libraries lose their symbol tables (same behaviour, smaller), by the target's binutils.
FROM build-tools AS deps
COPY app/requirements/mcp.txt app/requirements/target_wheels.py /requirements/
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m venv --without-pip /opt/venv \
    && site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
    && /opt/build-tools/bin/python /requirements/target_wheels.py "${TARGETARCH}" "${site}" \
       --require-hashes --no-deps -r /requirements/mcp.txt \
    && rm -rf "${site:?}/bin" \
    && find /opt/venv -type f \( -name '*.so' -o -name '*.so.*' \) -exec target-strip --strip-unneeded {} +

# The application itself, built into a wheel and installed under /opt/app (on PYTHONPATH).
FROM deps AS app
COPY app/pyproject.toml /src/app/pyproject.toml
COPY app/src /src/app/src
RUN /opt/build-tools/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /tmp/wheels /src/app \
    && /opt/build-tools/bin/pip --python /opt/venv/bin/python install \
       --no-deps --no-index --target /opt/app /tmp/wheels/*.whl

# Smaller venv, same behaviour: third-party modules as bytecode only, no tests or stubs, and
# psycopg's vendored OpenSSL shared with the image's (app/requirements/slim_site_packages.py). It runs
# on the target platform (emulated when cross-building: seconds), because that sharing links to,
# and its check loads, the runtime base's own libraries.
FROM ${PYTHON_IMAGE} AS slim
COPY --from=deps /opt/venv /opt/venv
COPY app/requirements/slim_site_packages.py /requirements/slim_site_packages.py
RUN /opt/venv/bin/python /requirements/slim_site_packages.py

# The same base as the slim stage: the venv's psycopg links to this image's OpenSSL.
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/app/bin:/opt/venv/bin:$PATH \
    PYTHONPATH=/opt/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
COPY --from=slim /opt/venv /opt/venv
COPY --from=app /opt/app /opt/app
# Numeric IDs need no passwd entry and let Kubernetes verify runAsNonRoot.
USER 10001:10001
WORKDIR /tmp
EXPOSE 8001
# The slim base has no curl; the venv's Python asks the app's own liveness endpoint.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('TODO_PORT', '8001'), timeout=2)"]
# Labels last: a new revision changes metadata only, never a cached layer.
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="todo-mcp" \
      org.opencontainers.image.description="Todo Chatbot MCP task server (todo-mcp)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
CMD ["todo-mcp"]
