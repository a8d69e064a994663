# shellcheck shell=bash
# Tier 'minikube': the README's first command for real. From no Minikube at all, plain `scripts/up`
# (no --context, no --registry; only its documented MINIKUBE_* overrides in the environment) starts
# a real Minikube with the docker driver, enables its registry addon and deploys the app; then the
# browser scenario, a no-op and a one-file redeploy, the database on Minikube's own provisioner
# across `minikube stop`/`start`, and `scripts/down --delete-cluster` leaving nothing behind
# (tests/minikube). SKIPPED, with the command that fixes it, where the engine or the Minikube tools
# (scripts/minikube build) are not built.
#
# Machine-side setup, never in what users run: Minikube's node runs on a second, newer dockerd
# (scripts/toolchain/minikube/init.sh says why) reached with DOCKER_HOST; the app's images build
# on the machine's own dockerd (docker:host in the test stack), which has the stand-in bases.
source "$REPO_ROOT/scripts/tiers/live.sh"
source "$REPO_ROOT/scripts/toolchain/minikube/init.sh"

tier_minikube() {
  local missing
  missing="$(engine_missing; minikube::missing)"
  if [ -n "$missing" ]; then
    printf '%s\n' "$missing" | sed 's/^/minikube tier skipped: /' >&2
    return "$TIER_SKIPPED"
  fi
  ensure_venv dev
  ensure_engine_env
  ensure_dockerd
  ensure_standin_bases
  ensure_helm
  apt_install chromium fonts-liberation2 conntrack
  (cd "$REPO_ROOT/frontend" && [ -d node_modules ] || npm ci --no-audit --no-fund --cache "$CACHE_DIR/npm") \
    || die "npm ci failed in frontend/ (the browser scenario needs playwright-core)."
  TODO_LIVE_POSTGRES_IMAGE="$(_live_postgres_image)"
  minikube::daemon::up
  trap minikube::daemon::down EXIT
  # The node loads the PostgreSQL stand-in from Minikube's image cache, like the addon stand-ins.
  minikube::daemon::copy_image "$TODO_LIVE_POSTGRES_IMAGE"
  eval "$(minikube::env)"
  export TODO_LIVE_POSTGRES_IMAGE TODO_MINIKUBE_PROFILE=todo-minikube-tier
  export TODO_MINIKUBE_KUBECONFIG="$CACHE_DIR/minikube-tier.kubeconfig"
  export TODO_MINIKUBE_CACHE_IMAGES="$TODO_LIVE_POSTGRES_IMAGE $MK_REGISTRY_IMAGE $MK_REGISTRY_PROXY_IMAGE"
  export TODO_STANDIN_PYTHON_IMAGE="$STANDIN_PYTHON_IMAGE" TODO_STANDIN_NODE_IMAGE="$STANDIN_NODE_IMAGE"
  export TODO_STANDIN_NGINX_IMAGE="$STANDIN_NGINX_IMAGE" TODO_LIVE_METRICS="$CACHE_DIR/minikube-metrics.json"
  run_pytest tests/minikube
}
