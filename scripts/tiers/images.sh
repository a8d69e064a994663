# shellcheck shell=bash
# Tier 'images': builds the three production images on stand-in bases (no container registry is
# reachable here) and proves them on a real Docker engine, PostgreSQL and registry (tests/images).
# The benchmarks (docs/benchmarks.md "Images", "arm64 images") are separate: bench/images/run.sh [--arm64]
source "$REPO_ROOT/scripts/toolchain/docker.sh"

tier_images() {
  ensure_venv dev
  # The containers' real PostgreSQL (tests/support/postgres.py runs Debian's server binaries).
  apt_install postgresql
  ensure_dockerd
  ensure_standin_bases
  ensure_arm64_standins
  ensure_registry
  # The tier runs in its own subshell, so this trap stops only the registry this tier started.
  trap stop_registry EXIT
  run_pytest tests/images
}
