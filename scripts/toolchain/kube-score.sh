# shellcheck shell=bash
# ensure_kube_score: puts the pinned kube-score CLI on PATH. Sourced after scripts/toolchain/common.sh.
# Built from source by ensure_go_tool (scripts/toolchain/go-tool.sh) into $TOOLS_DIR/kube-score-<version>.
source "$REPO_ROOT/scripts/toolchain/go-tool.sh"

KUBE_SCORE_VERSION="v1.20.0"

# `kube-score version` prints "kube-score version: 1.20.0, commit: ..."; the pin carries a leading v.
_kube_score_version_of() {
  "$1" version 2>/dev/null | sed -n 's/^kube-score version: \([^,]*\),.*/v\1/p' || true
}

ensure_kube_score() {
  # goreleaser sets main.version upstream, without the v.
  ensure_go_tool kube-score "$KUBE_SCORE_VERSION" github.com/zegl/kube-score/cmd/kube-score \
    "main.version=${KUBE_SCORE_VERSION#v}" _kube_score_version_of 1.23
}
