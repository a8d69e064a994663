#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/../..
# tests/live/push_image.sh: pushes the stand-in Python base (Debian trixie, built by
# scripts/toolchain/docker.sh) to the registry on 127.0.0.1:5000 and prints REPOSITORY@DIGEST, the form
# the kubelet's containerd pulls, for tests/live/test_cluster.py.
set -euo pipefail
# shellcheck source=scripts/toolchain/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/toolchain/common.sh"
# shellcheck source=scripts/toolchain/docker.sh
source "$REPO_ROOT/scripts/toolchain/docker.sh"

ensure_standin_bases >&2
ensure_registry >&2
repo="$REGISTRY_ADDR/todo-live/python-standin"
tag="${STANDIN_PYTHON_IMAGE##*:}"
dkr tag "$STANDIN_PYTHON_IMAGE" "$repo:$tag"
dkr push -q "$repo:$tag" >/dev/null || die "docker push $repo:$tag failed; is docker-registry answering on $REGISTRY_ADDR?"
ref="$(dkr image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$repo:$tag" | grep -F "$repo@" | head -n1)"
[ -n "$ref" ] || die "the registry gave no digest for $repo:$tag."
printf '%s\n' "$ref"
