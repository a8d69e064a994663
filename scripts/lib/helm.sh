# shellcheck shell=bash
# ensure_helm: puts the pinned Helm v3 CLI on PATH. Sourced after scripts/lib/common.sh.
# Uses a helm already on PATH when it is the pinned version; otherwise builds the official CLI
# from source with `go install` (the Go module proxy is reachable where container registries and
# release downloads are not) into $TOOLS_DIR/helm-<version>, so later runs and fresh clones reuse the binary.

HELM_VERSION="v3.22.0"
# Outside the repository (TOOLS_DIR), so a fresh clone (CI) reuses the build.
HELM_BIN_DIR="$TOOLS_DIR/helm-$HELM_VERSION"

_helm_version_of() { "$1" version --template '{{.Version}}' 2>/dev/null || true; }

ensure_helm() {
  local found
  if [ -x "$HELM_BIN_DIR/helm" ] && [ "$(_helm_version_of "$HELM_BIN_DIR/helm")" = "$HELM_VERSION" ]; then
    export PATH="$HELM_BIN_DIR:$PATH"
    return 0
  fi
  found="$(command -v helm 2>/dev/null || true)"
  if [ -n "$found" ] && [ "$(_helm_version_of "$found")" = "$HELM_VERSION" ]; then
    return 0
  fi
  have go || die "helm $HELM_VERSION is not on PATH and Go is missing to build it. Install Go 1.24+ (https://go.dev/doc/install) or helm $HELM_VERSION, then run again."
  say "building helm $HELM_VERSION with go install (takes a few minutes the first time)"
  mkdir -p "$HELM_BIN_DIR"
  # The version ldflag makes `helm version` report the pin (a plain go install reports a dev version).
  GOBIN="$HELM_BIN_DIR" CGO_ENABLED=0 go install \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
    || die "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed (see above); check that the Go module proxy is reachable (go env GOPROXY)."
  [ "$(_helm_version_of "$HELM_BIN_DIR/helm")" = "$HELM_VERSION" ] \
    || die "built $HELM_BIN_DIR/helm but it reports '$(_helm_version_of "$HELM_BIN_DIR/helm")', not $HELM_VERSION; delete it and run again."
  export PATH="$HELM_BIN_DIR:$PATH"
}
