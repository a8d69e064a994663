# Tier 'e2e': the Helm chart's RENDERED manifests run as real containers on a real Docker engine
# (no cluster here), against a real PostgreSQL container; the scenario goes through the frontend.
# How the manifests become containers: tests/e2e/kube2docker.py; what is and is not proven:
# tests/e2e/README.md.
source "$REPO_ROOT/scripts/lib/helm.sh"
source "$REPO_ROOT/scripts/lib/docker.sh"
source "$REPO_ROOT/tests/e2e/images.sh"

# _e2e_cleanup RUN_ID: removes the containers and network of one run, even after a crashed pytest.
_e2e_cleanup() {
  local run_id="$1" ids
  ids="$(dkr ps --all --quiet --filter "label=io.todo-chatbot.e2e=$run_id" 2>/dev/null || true)"
  [ -z "$ids" ] || dkr rm --force --volumes $ids >/dev/null 2>&1 || true
  ids="$(dkr network ls --quiet --filter "label=io.todo-chatbot.e2e=$run_id" 2>/dev/null || true)"
  [ -z "$ids" ] || dkr network rm $ids >/dev/null 2>&1 || true
}

tier_e2e() {
  ensure_venv
  ensure_helm
  ensure_dockerd
  # Cleanup is set before anything starts: this run's containers and network, and our registry.
  export TODO_E2E_RUN_ID="e2e$$"
  trap '_e2e_cleanup "$TODO_E2E_RUN_ID"; e2e_stop_registry' EXIT
  e2e_build_images
  e2e_build_postgres
  export TODO_E2E_REQUIRED=1
  run_pytest tests/e2e -p no:cacheprovider
}
