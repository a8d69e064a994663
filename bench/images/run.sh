#!/usr/bin/env bash
# Image benchmark (docs/benchmarks.md "Images"): bench/images/run.sh
# Starts what it needs (dockerd, stand-in bases, registry) like `scripts/test images`, then runs
# bench_images.py, which clears the BuildKit cache, builds cold and prints the results table.
# bench/images/run.sh --keep-build-cache: prunes nothing (a dockerd shared with other builds).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/../../scripts/lib/common.sh"
source "$REPO_ROOT/scripts/lib/docker.sh"
ensure_venv dev
apt_install postgresql
ensure_dockerd
ensure_standin_bases
ensure_registry
trap stop_registry EXIT
"$VENV/bin/python" "$REPO_ROOT/bench/images/bench_images.py" "$@"
