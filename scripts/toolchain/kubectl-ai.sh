# shellcheck shell=bash
# kubectl-ai (github.com/GoogleCloudPlatform/kubectl-ai), the AI assistant of docs/operations.md,
# built from its upstream source at a release tag. Sourced after scripts/toolchain/common.sh.
#
#   kubectl_ai_missing   prints why it is not built and the command that builds it; silent when built
#   kubectl_ai_path      prints the built binary's path; nothing when it is not built
#   build_kubectl_ai     builds it when missing (idempotent; `scripts/kubectl-ai build`)
#
# The Go module proxy refuses kubectl-ai (403), but its repository can be fetched and every module
# it depends on comes from the proxy. The binary lives OUTSIDE the repository, beside the engine's
# tools, with a stamp naming its tag and source commit; it is rebuilt only when the tag changes.
source "$REPO_ROOT/scripts/toolchain/engine.sh"  # _src_dir and _export_tag: the one way to read upstream sources

# The newest release tag of the fetched repository; its go.mod asks for Go 1.24 (Go 1.26 builds it).
KUBECTL_AI_TAG="v0.0.28"
KUBECTL_AI_DIR="$TOOLS_DIR/kubectl-ai"
KUBECTL_AI_BIN="$KUBECTL_AI_DIR/kubectl-ai-$KUBECTL_AI_TAG"
KUBECTL_AI_STAMP="$KUBECTL_AI_BIN.stamp"
KUBECTL_AI_LOG="$KUBECTL_AI_DIR/build-$KUBECTL_AI_TAG.log"
KUBECTL_AI_BUILD_HINT="KUBECTL_AI_SRC=<clone of github.com/GoogleCloudPlatform/kubectl-ai> scripts/kubectl-ai build   (or TODO_UPSTREAM_SRC=<dir of fetched mirrors>)"
# Only what the main package compiles from: the tree also holds a benchmark, images and docs.
KUBECTL_AI_PATHS=(go.mod go.sum cmd gollm internal pkg)

_kubectl_ai_want() { echo "kubectl-ai $KUBECTL_AI_TAG"; }
_kubectl_ai_src() { _src_dir KUBECTL_AI_SRC GoogleCloudPlatform/kubectl-ai; }

_kubectl_ai_have() {
  [ -x "$KUBECTL_AI_BIN" ] && [ -f "$KUBECTL_AI_STAMP" ] && [ "$(head -n1 "$KUBECTL_AI_STAMP")" = "$(_kubectl_ai_want)" ]
}

kubectl_ai_missing() {
  _kubectl_ai_have || printf 'kubectl-ai %s is not built (%s); build it: %s\n' \
    "$KUBECTL_AI_TAG" "$KUBECTL_AI_BIN" "$KUBECTL_AI_BUILD_HINT"
}

kubectl_ai_path() {
  if _kubectl_ai_have; then printf '%s\n' "$KUBECTL_AI_BIN"; fi
}

# build_kubectl_ai: exports the tag's tree into a work dir under the cache, builds with the flags of
# the project's .goreleaser.yaml (static, stripped, version stamped) at low priority, checks the
# binary reports the tag, then writes the stamp. Never inside `||` or `if` (set -e must hold).
build_kubectl_ai() {
  if _kubectl_ai_have; then
    say "kubectl-ai $KUBECTL_AI_TAG is built: $KUBECTL_AI_BIN"
    return 0
  fi
  have go || die "Go is not installed; install Go 1.24+ (https://go.dev/doc/install) and run again."
  apt_install git time
  local repo commit date work start
  repo="$(_kubectl_ai_src)"
  [ -n "$repo" ] || die "the kubectl-ai source is missing (KUBECTL_AI_SRC or TODO_UPSTREAM_SRC/GoogleCloudPlatform+kubectl-ai/repo). $KUBECTL_AI_BUILD_HINT"
  commit="$(git -C "$repo" rev-parse -q --verify "refs/tags/$KUBECTL_AI_TAG^{commit}" || true)"
  [ -n "$commit" ] || die "$repo has no tag $KUBECTL_AI_TAG; fetch the upstream tags (git -C $repo fetch --tags) and run again."
  date="$(git -C "$repo" show -s --format=%cI "$commit")"
  mkdir -p "$KUBECTL_AI_DIR"
  work="$KUBECTL_AI_DIR/work-$KUBECTL_AI_TAG"
  say "kubectl-ai $KUBECTL_AI_TAG: exporting ${KUBECTL_AI_PATHS[*]} of $repo at ${commit:0:12}"
  _export_tag "$repo" "$KUBECTL_AI_TAG" "$work" "${KUBECTL_AI_PATHS[@]}"
  say "kubectl-ai $KUBECTL_AI_TAG: go build (modules from the Go module proxy; a few minutes cold; log: $KUBECTL_AI_LOG)"
  start=$SECONDS
  if ! (cd "$work" && CGO_ENABLED=0 /usr/bin/time -f "wall_s=%e max_rss_kb=%M" nice -n 10 \
    go build -trimpath -o "$KUBECTL_AI_BIN.new" \
    -ldflags "-s -w -X main.version=$KUBECTL_AI_TAG -X main.commit=$commit -X main.date=$date" ./cmd) \
    >"$KUBECTL_AI_LOG" 2>&1; then
    tail -n 20 "$KUBECTL_AI_LOG" >&2
    die "building kubectl-ai $KUBECTL_AI_TAG failed; the whole log is $KUBECTL_AI_LOG"
  fi
  "$KUBECTL_AI_BIN.new" version | grep -qx "version: $KUBECTL_AI_TAG" \
    || die "the built kubectl-ai reports '$("$KUBECTL_AI_BIN.new" version | head -n1)', not version: $KUBECTL_AI_TAG."
  mv -f "$KUBECTL_AI_BIN.new" "$KUBECTL_AI_BIN"
  rm -rf "$work"
  { _kubectl_ai_want; echo "built $(date -u +%FT%TZ) in $((SECONDS - start))s from $repo commit $commit with $(go env GOVERSION)"; } >"$KUBECTL_AI_STAMP"
  say "kubectl-ai $KUBECTL_AI_TAG built in $((SECONDS - start))s: $KUBECTL_AI_BIN ($(du -h "$KUBECTL_AI_BIN" | cut -f1))"
}
