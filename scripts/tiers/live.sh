# shellcheck shell=bash
# Tier 'live': scripts/up for real against the single-node cluster of `scripts/cluster` (built from
# upstream sources), then the app through the frontend in a browser, Pod Security enforced by the
# API server, no-op and one-service redeploys, pod kills, a failed rollout rolled back, helm test,
# scripts/up interrupted and the cluster's parts failing under it, the runbook's commands and its
# kubectl-ai prompts, and scripts/down (tests/live). SKIPPED, with the command that fixes it, where the engine or the
# cluster's binaries are not built (the kubectl-ai tests alone where kubectl-ai is not: scripts/kubectl-ai build).
# The engine tier's file brings docker.sh, engine.sh, the cluster (kube/init.sh) and the shared start-up.
source "$REPO_ROOT/scripts/tiers/engine.sh"
source "$REPO_ROOT/scripts/toolchain/helm.sh"
source "$REPO_ROOT/scripts/toolchain/kubectl-ai.sh"

LIVE_POSTGRES_RECIPE="$REPO_ROOT/tests/live/standins"

# _live_postgres_image: the stand-in for the official postgres image (Debian's PostgreSQL 17 behind
# the official image's entrypoint contract), named by a hash of its recipe.
_live_postgres_image() {
  local name
  name="todo-standin/postgres:17-$(cat "$LIVE_POSTGRES_RECIPE"/* | sha256sum | cut -c1-12)"
  if ! dkr image inspect "$name" >/dev/null 2>&1; then
    say "building the PostgreSQL stand-in $name (Debian trixie postgresql-17)"
    dkr build -q --build-arg "BASE_IMAGE=$STANDIN_PYTHON_IMAGE" -t "$name" \
      -f "$LIVE_POSTGRES_RECIPE/postgres.Dockerfile" "$LIVE_POSTGRES_RECIPE" >/dev/null \
      || die "building the PostgreSQL stand-in failed (dkr build -f $LIVE_POSTGRES_RECIPE/postgres.Dockerfile $LIVE_POSTGRES_RECIPE)."
  fi
  printf '%s\n' "$name"
}

tier_live() {
  if real_tools_missing live; then return "$TIER_SKIPPED"; fi
  start_real_stack
  ensure_helm
  apt_install chromium fonts-liberation2
  (cd "$REPO_ROOT/frontend" && [ -d node_modules ] || npm ci --no-audit --no-fund --cache "$CACHE_DIR/npm") \
    || die "npm ci failed in frontend/ (the browser scenario needs playwright-core)."
  TODO_LIVE_POSTGRES_IMAGE="$(_live_postgres_image)"
  export TODO_LIVE_POSTGRES_IMAGE TODO_LIVE_KUBECONFIG="$KUBE_KUBECONFIG" TODO_LIVE_CONTEXT="$KUBE_CONTEXT"
  # The external-database test serves PostgreSQL on the bridge, to the pod network, on a port pods may reach.
  export TODO_LIVE_BRIDGE_IP="$KUBE_BRIDGE_IP" TODO_LIVE_POD_CIDR="$KUBE_POD_CIDR"
  export TODO_LIVE_HOST_PORTS="$KUBE_HOST_SERVICE_PORTS"
  export TODO_STANDIN_PYTHON_IMAGE="$STANDIN_PYTHON_IMAGE" TODO_STANDIN_NODE_IMAGE="$STANDIN_NODE_IMAGE"
  export TODO_STANDIN_NGINX_IMAGE="$STANDIN_NGINX_IMAGE" TODO_LIVE_METRICS="$CACHE_DIR/live-metrics.json"
  # The fault tests freeze, stop and start the registry by its PID and watch its connections.
  export TODO_LIVE_REGISTRY="$REGISTRY_ADDR" TODO_LIVE_REGISTRY_DIR="$DOCKER_STATE_DIR/registry"
  # The runbook's kubectl-ai prompts run with the built kubectl-ai; without it they are SKIPPED with the fix.
  TODO_KUBECTL_AI="$(kubectl_ai_path)" TODO_KUBECTL_AI_MISSING="$(kubectl_ai_missing)"
  export TODO_KUBECTL_AI TODO_KUBECTL_AI_MISSING
  [ -z "$TODO_KUBECTL_AI_MISSING" ] || warn "the runbook's kubectl-ai tests will be skipped: $TODO_KUBECTL_AI_MISSING"
  # TODO_LIVE_PYTEST_ARGS: pytest arguments instead of all of tests/live (one module, -k, --count).
  local args=(tests/live)
  [ -z "${TODO_LIVE_PYTEST_ARGS:-}" ] || read -ra args <<<"$TODO_LIVE_PYTEST_ARGS"
  run_pytest "${args[@]}"
}
