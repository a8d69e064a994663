#!/usr/bin/env bash
# Image benchmarks (docs/benchmarks.md), started like `scripts/test images` (dockerd, stand-in bases):
#   bench/images/run.sh                     "Images": bench_images.py clears the BuildKit cache,
#                                           builds cold, pushes to a local registry, prints the table.
#   bench/images/run.sh --keep-build-cache  the same, pruning nothing (a dockerd shared with others).
#   bench/images/run.sh --arm64 [ARGS]      "arm64 images": the arm64 stand-ins and qemu-aarch64 in
#                                           binfmt_misc too, then bench_arm64.py ARGS, beside amd64.
set -euo pipefail
# shellcheck source=scripts/toolchain/common.sh
source "$(dirname "$0")/../../scripts/toolchain/common.sh"
source "$REPO_ROOT/scripts/toolchain/docker.sh"
ensure_venv dev
apt_install postgresql
ensure_dockerd
ensure_standin_bases
if [ "${1:-}" = --arm64 ]; then
    shift
    ensure_arm64_standins
    exec "$VENV/bin/python" "$REPO_ROOT/bench/images/bench_arm64.py" "$@"
fi
ensure_registry
trap stop_registry EXIT
"$VENV/bin/python" "$REPO_ROOT/bench/images/bench_images.py" "$@"
