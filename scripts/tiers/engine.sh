# shellcheck shell=bash
# Tier 'engine': the Pulumi program under the REAL Pulumi engine (CLI, Python language host and
# providers built from upstream sources by `scripts/engine build`) against the real Kubernetes API
# server of `scripts/cluster`, the project's dockerd and a local registry (tests/engine). Without
# those tools (a fresh machine lacking the upstream sources) it prints what is missing and how to
# build it, and is reported SKIPPED.
source "$REPO_ROOT/scripts/toolchain/docker.sh"
source "$REPO_ROOT/scripts/toolchain/engine.sh"
source "$REPO_ROOT/scripts/toolchain/kube/init.sh"

# real_tools_missing TIER: prints why TIER cannot run here (the engine or the cluster's binaries
# are not built), one line per missing tool with the command that builds it; silent when all are.
real_tools_missing() {
  local tier="$1" missing component
  missing="$(engine_missing)"
  for component in "${KUBE_COMPONENTS[@]}"; do
    [ -x "$KUBE_BIN/$component" ] || { missing+="${missing:+$'\n'}Kubernetes $KUBE_VERSION ($component) is not built; build it: scripts/cluster build"; break; }
  done
  [ -z "$missing" ] || printf '%s\n' "$missing" | sed "s/^/$tier tier skipped: /" >&2
  [ -n "$missing" ]
}

# start_real_stack: the engine on PATH, dockerd with the stand-in bases, the registry and the
# cluster. Only the registry is the tier's to stop; the cluster stays up for the next tier and reruns.
start_real_stack() {
  ensure_venv dev
  ensure_engine_env
  ensure_dockerd
  ensure_standin_bases
  ensure_registry
  kube::up
  export PATH="$KUBE_BIN:$PATH"
  trap stop_registry EXIT
}

tier_engine() {
  if real_tools_missing engine; then return "$TIER_SKIPPED"; fi
  start_real_stack
  export TODO_ENGINE_KUBECONFIG="$KUBE_KUBECONFIG" TODO_ENGINE_REGISTRY="$REGISTRY_ADDR"
  export TODO_STANDIN_PYTHON_IMAGE="$STANDIN_PYTHON_IMAGE" TODO_STANDIN_NODE_IMAGE="$STANDIN_NODE_IMAGE"
  export TODO_STANDIN_NGINX_IMAGE="$STANDIN_NGINX_IMAGE"
  # TODO_ENGINE_PYTEST_ARGS: pytest arguments instead of all of tests/engine (one module, -k).
  local args=(tests/engine)
  [ -z "${TODO_ENGINE_PYTEST_ARGS:-}" ] || read -ra args <<<"$TODO_ENGINE_PYTEST_ARGS"
  run_pytest "${args[@]}"
}
