"""A stand-in build context (Dockerfiles, the chart's image pins) for tests independent of the real ones."""

from __future__ import annotations

from pathlib import Path

FILES = {
    ".dockerignore": "**/__pycache__\n**/node_modules\n*.md\nfrontend/dist\n",
    "dockerfiles/backend.Dockerfile": (
        "ARG PYTHON_IMAGE=python:3.13-slim\n"
        "FROM ${PYTHON_IMAGE} AS build\n"
        "WORKDIR /src\n"
        "COPY app/pyproject.toml app/\n"
        "RUN --mount=type=cache,target=/root/.cache \\\n"
        "    --mount=type=bind,source=app/requirements/backend.txt,target=/tmp/req.txt \\\n"
        "    pip install -r /tmp/req.txt\n"
        "COPY app/src/todo/core app/src/todo/core\n"
        "COPY app/src/todo/api app/src/todo/api\n"
        "FROM ${PYTHON_IMAGE}\n"
        "COPY --from=build /src /src\n"
        'CMD ["todo-api"]\n'
    ),
    "dockerfiles/mcp.Dockerfile": (
        "FROM python:3.13-slim\n"
        "COPY app/pyproject.toml app/\n"
        "COPY app/src/todo/core app/src/todo/core\n"
        'COPY ["app/src/todo/mcp", "app/src/todo/mcp"]\n'
        'CMD ["todo-mcp"]\n'
    ),
    "dockerfiles/frontend.Dockerfile": (
        "FROM node:22-slim AS build\n"
        "COPY frontend/package*.json frontend/\n"
        "COPY frontend/src frontend/src\n"
        "FROM nginxinc/nginx-unprivileged\n"
        "COPY --from=build /frontend/dist /usr/share/nginx/html\n"
        "COPY --chmod=0755 frontend/nginx/start.sh /start.sh\n"
    ),
    "app/pyproject.toml": "[project]\nname = 'todo'\n",
    "app/requirements/backend.txt": "fastapi==1.0\n",
    "app/src/todo/core/tasks.py": "def add(): ...\n",
    "app/src/todo/core/__pycache__/tasks.cpython-313.pyc": "bytecode",
    "app/src/todo/api/routes.py": "ROUTES = []\n",
    "app/src/todo/mcp/server.py": "TOOLS = []\n",
    "app/README.md": "not in any image\n",
    "frontend/package.json": "{}\n",
    "frontend/package-lock.json": "{}\n",
    "frontend/src/main.tsx": "export {}\n",
    "frontend/node_modules/react/index.js": "ignored\n",
    "frontend/nginx/start.sh": "#!/bin/sh\nexec nginx\n",
    "frontend/dist/index.html": "built output, ignored\n",
    "dockerfiles/postgres.Dockerfile": "ARG POSTGRES_IMAGE\nFROM ${POSTGRES_IMAGE}\n",
    "charts/todo-chatbot/Chart.yaml": "apiVersion: v2\nname: todo-chatbot\nversion: 0.0.0\n",
    "charts/todo-chatbot/values.yaml": (
        "postgresql:\n  image:\n    repository: docker.io/library/postgres\n    tag: 17.6-alpine\n"
    ),
}


def write_fixture_context(root: Path) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "frontend/nginx/start.sh").chmod(0o755)
    return root
