#!/usr/bin/env bash
# arm64 beside amd64 (docs/benchmarks.md "arm64 images"): bench/images/arm64.sh
# Starts what it needs like `scripts/test images` (dockerd, the amd64 and arm64 stand-in bases,
# qemu-aarch64 in binfmt_misc), then runs bench_arm64.py, which prints the results table.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "$0")/../../scripts/lib/common.sh"
source "$REPO_ROOT/scripts/lib/docker.sh"
ensure_venv dev
apt_install postgresql
ensure_dockerd
ensure_standin_bases
ensure_arm64_standins
"$VENV/bin/python" "$REPO_ROOT/bench/images/bench_arm64.py" "$@"
