# shellcheck shell=bash
# Tier 'engine': the Pulumi program under the REAL Pulumi engine (CLI, Python language host and
# providers built from upstream sources by `scripts/engine build`) against the real Kubernetes API
# server of `scripts/cluster`, the project's dockerd and a local registry (tests/engine). Without
# those tools (a fresh machine lacking the upstream sources) it prints what is missing and how to
# build it, and is reported SKIPPED.
source "$REPO_ROOT/scripts/lib/docker.sh"
source "$REPO_ROOT/scripts/lib/engine.sh"
source "$REPO_ROOT/scripts/lib/kube.sh"

# _cluster_missing: one line when the cluster's binaries are not built (scripts/cluster build).
_cluster_missing() {
  local component
  for component in "${KUBE_COMPONENTS[@]}"; do
    [ -x "$KUBE_BIN/$component" ] || { echo "Kubernetes $KUBE_VERSION ($component) is not built; build it: scripts/cluster build"; return 0; }
  done
}

tier_engine() {
  local missing
  missing="$(engine_missing; _cluster_missing)"
  if [ -n "$missing" ]; then
    printf 'engine tier skipped: %s\n' "$missing" | sed '2,$s/^/engine tier skipped: /' >&2
    return "$TIER_SKIPPED"
  fi
  ensure_venv
  ensure_engine_env
  ensure_dockerd
  ensure_standin_bases
  ensure_registry
  kube_up
  export PATH="$KUBE_BIN:$PATH"
  # Only the registry is this tier's to stop; the cluster stays up for the live tier and reruns.
  trap stop_registry EXIT
  export TODO_ENGINE_KUBECONFIG="$KUBE_KUBECONFIG" TODO_ENGINE_REGISTRY="$REGISTRY_ADDR"
  export TODO_STANDIN_PYTHON_IMAGE="$STANDIN_PYTHON_IMAGE" TODO_STANDIN_NODE_IMAGE="$STANDIN_NODE_IMAGE"
  export TODO_STANDIN_NGINX_IMAGE="$STANDIN_NGINX_IMAGE"
  run_pytest tests/engine
}
