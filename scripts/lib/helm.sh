# shellcheck shell=bash
# ensure_helm: puts the pinned Helm v3 CLI on PATH. Sourced after scripts/lib/common.sh.
# Built from source by ensure_go_tool (scripts/lib/go-tool.sh) into $TOOLS_DIR/helm-<version>.
source "$REPO_ROOT/scripts/lib/go-tool.sh"

HELM_VERSION="v3.22.0"

_helm_version_of() { "$1" version --template '{{.Version}}' 2>/dev/null || true; }

ensure_helm() {
  ensure_go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm \
    "helm.sh/helm/v3/internal/version.version=$HELM_VERSION" _helm_version_of 1.24
}
