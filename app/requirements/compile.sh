#!/usr/bin/env bash
# Regenerates the hashed lock files the images install from (run after changing app/pyproject.toml):
#   app/requirements/compile.sh            (needs .venv/bin/uv: scripts/test lint prepares it)
# api-openai.txt  backend image built with AGENT_ENGINE=openai: core + extras api, openai
# api.txt         backend image built with AGENT_ENGINE=rules (the default): core + extra api, pinned to the
#                 same versions as api-openai.txt, so the two backend variants differ only by the SDK
#                 (the backend also runs todo-migrate)
# mcp.txt         MCP image: core + extra mcp
# build.txt the build backend (hatchling) that turns app/ into a wheel inside the image builds
set -euo pipefail
cd "$(dirname "$0")/../.."
UV="${UV:-.venv/bin/uv}"
# The images run CPython 3.13 (python:3.13-slim); --universal keeps the locks valid on any platform.
compile() { "$UV" pip compile -q --universal --python-version 3.13 --generate-hashes "$@"; }
compile app/pyproject.toml --extra api --extra openai -o app/requirements/api-openai.txt
compile app/pyproject.toml --extra api -c app/requirements/api-openai.txt -o app/requirements/api.txt
compile app/pyproject.toml --extra mcp -o app/requirements/mcp.txt
sed -n '/^\[build-system\]/,/^\[/p' app/pyproject.toml | grep -oP '(?<=requires = \[).*(?=\])' | tr -d '" ' | tr ',' '\n' \
  | compile - -o app/requirements/build.txt
