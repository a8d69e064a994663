# shellcheck shell=bash
# Tier 'chart': the Helm chart charts/todo-chatbot rendered for every ci/ scenario and checked:
# helm lint --strict, Kubernetes schemas (1.30 and newest, offline), checkov's Kubernetes checks,
# kube-score, wiring and values-schema tests (tests/chart). Builds helm and kube-score from source
# when they are not on PATH.
source "$REPO_ROOT/scripts/toolchain/helm.sh"
source "$REPO_ROOT/scripts/toolchain/kube-score.sh"

# checkov gets a venv of its own: its pinned dependencies conflict with the project's.
CHECKOV_VERSION="3.3.30"
CHECKOV_VENV="$CACHE_DIR/checkov-venv"

ensure_checkov() {
  local stamp="$CHECKOV_VENV/.installed-$CHECKOV_VERSION"
  [ -f "$stamp" ] && return 0
  say "installing checkov $CHECKOV_VERSION into $CHECKOV_VENV"
  rm -rf "$CHECKOV_VENV"
  UV_PYTHON_DOWNLOADS=never "$VENV/bin/uv" venv -q --python python3 "$CHECKOV_VENV" \
    || die "could not create the checkov venv at $CHECKOV_VENV (needs python3 -m venv support)."
  "$VENV/bin/uv" pip install -q --python "$CHECKOV_VENV/bin/python" "checkov==$CHECKOV_VERSION" \
    || die "installing checkov $CHECKOV_VERSION from PyPI failed (see above)."
  touch "$stamp"
}

tier_chart() {
  ensure_venv dev
  # checkov installs while helm builds: both are minutes of mostly waiting on 2 cores.
  local log="$CACHE_DIR/checkov-install.log" checkov_pid
  ensure_checkov >"$log" 2>&1 &
  checkov_pid=$!
  ensure_helm
  ensure_kube_score
  wait "$checkov_pid" || { cat "$log" >&2; die "could not install checkov; see $log"; }
  export TODO_CHECKOV="$CHECKOV_VENV/bin/checkov"
  TODO_KUBE_SCORE="$(command -v kube-score)"
  export TODO_KUBE_SCORE
  say "helm $(helm version --template '{{.Version}}'), checkov $("$TODO_CHECKOV" --version), $(kube-score version | cut -d, -f1)"
  run_pytest tests/chart -q
}
