# shellcheck shell=bash
# ensure_helm: puts the pinned Helm v3 CLI on PATH. Sourced after scripts/toolchain/common.sh.
# Built from source by ensure_go_tool (scripts/toolchain/go-tool.sh) into $TOOLS_DIR/helm-<version>.
source "$REPO_ROOT/scripts/toolchain/go-tool.sh"

HELM_VERSION="v3.22.0"

_helm_version_of() { "$1" version --template '{{.Version}}' 2>/dev/null || true; }

ensure_helm() {
  ensure_go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm \
    "helm.sh/helm/v3/internal/version.version=$HELM_VERSION" _helm_version_of 1.24
}
