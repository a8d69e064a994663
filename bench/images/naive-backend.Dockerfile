# Naive single-stage backend image, for the benchmark only (bench/images/bench_images.py): the
# baseline dockerfiles/backend.Dockerfile is measured against. Nothing builds it for production.
ARG PYTHON_IMAGE=python:3.13-slim
FROM ${PYTHON_IMAGE}
WORKDIR /app
COPY app /app
# Deliberately naive (unpinned, pip cache kept, code before deps): the benchmark measures what that costs.
# hadolint ignore=DL3013,DL3042
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install "/app[api,openai]"
ENV PATH=/opt/venv/bin:$PATH
USER 10001:10001
EXPOSE 8000
CMD ["todo-api"]
