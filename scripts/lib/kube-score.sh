# shellcheck shell=bash
# ensure_kube_score: puts the pinned kube-score CLI on PATH. Sourced after scripts/lib/common.sh.
# Uses a kube-score already on PATH when it is the pinned version; otherwise builds it with
# `go install` from the Go module proxy into $TOOLS_DIR/kube-score-<version>, so later runs and
# fresh clones reuse the binary.

KUBE_SCORE_VERSION="v1.20.0"
# Outside the repository (TOOLS_DIR), so a fresh clone (CI) reuses the build.
KUBE_SCORE_BIN_DIR="$TOOLS_DIR/kube-score-$KUBE_SCORE_VERSION"

# `kube-score version` prints "kube-score version: 1.20.0, commit: ..."; the pin carries a leading v.
_kube_score_version_of() {
  "$1" version 2>/dev/null | sed -n 's/^kube-score version: \([^,]*\),.*/v\1/p' || true
}

ensure_kube_score() {
  local found
  if [ -x "$KUBE_SCORE_BIN_DIR/kube-score" ] \
    && [ "$(_kube_score_version_of "$KUBE_SCORE_BIN_DIR/kube-score")" = "$KUBE_SCORE_VERSION" ]; then
    export PATH="$KUBE_SCORE_BIN_DIR:$PATH"
    return 0
  fi
  found="$(command -v kube-score 2>/dev/null || true)"
  if [ -n "$found" ] && [ "$(_kube_score_version_of "$found")" = "$KUBE_SCORE_VERSION" ]; then
    return 0
  fi
  have go || die "kube-score $KUBE_SCORE_VERSION is not on PATH and Go is missing to build it. Install Go 1.23+ (https://go.dev/doc/install) or kube-score $KUBE_SCORE_VERSION, then run again."
  say "building kube-score $KUBE_SCORE_VERSION with go install (about a minute the first time)"
  mkdir -p "$KUBE_SCORE_BIN_DIR"
  # The version ldflag (goreleaser sets it upstream) makes `kube-score version` report the pin.
  GOBIN="$KUBE_SCORE_BIN_DIR" CGO_ENABLED=0 go install \
    -ldflags "-s -w -X main.version=${KUBE_SCORE_VERSION#v}" \
    "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION" \
    || die "go install github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION failed (see above); check that the Go module proxy is reachable (go env GOPROXY)."
  [ "$(_kube_score_version_of "$KUBE_SCORE_BIN_DIR/kube-score")" = "$KUBE_SCORE_VERSION" ] \
    || die "built $KUBE_SCORE_BIN_DIR/kube-score but it reports '$(_kube_score_version_of "$KUBE_SCORE_BIN_DIR/kube-score")', not $KUBE_SCORE_VERSION; delete it and run again."
  export PATH="$KUBE_SCORE_BIN_DIR:$PATH"
}
