# shellcheck shell=bash
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
  # shellcheck disable=SC2086  # one word per container id
  [ -z "$ids" ] || dkr rm --force --volumes $ids >/dev/null 2>&1 || true
  ids="$(dkr network ls --quiet --filter "label=io.todo-chatbot.e2e=$run_id" 2>/dev/null || true)"
  # shellcheck disable=SC2086  # one word per network id
  [ -z "$ids" ] || dkr network rm $ids >/dev/null 2>&1 || true
}

# _e2e_cleanup_stale: removes what runs whose scripts/test process is gone left behind (killed hard).
_e2e_cleanup_stale() {
  local run_id
  for run_id in $( (dkr ps --all --format '{{.Label "io.todo-chatbot.e2e"}}'; \
    dkr network ls --format '{{.Label "io.todo-chatbot.e2e"}}') 2>/dev/null | sort -u); do
    case "$run_id" in e2e[0-9]*) kill -0 "${run_id#e2e}" 2>/dev/null || _e2e_cleanup "$run_id" ;; esac
  done
}

tier_e2e() {
  ensure_venv
  ensure_helm
  ensure_dockerd
  # Cleanup is set before anything starts: this run's containers and network, and our registry.
  export TODO_E2E_RUN_ID="e2e$$"
  _e2e_cleanup_stale
  trap '_e2e_cleanup "$TODO_E2E_RUN_ID"; e2e_stop_registry' EXIT
  e2e_build_images
  e2e_build_postgres
  export TODO_E2E_REQUIRED=1
  run_pytest tests/e2e -p no:cacheprovider
}
