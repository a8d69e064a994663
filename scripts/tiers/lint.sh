# Tier 'lint': ruff and mypy on all Python (more linters join as their layers land).
tier_lint() {
  ensure_venv
  cd "$REPO_ROOT"
  say "ruff check"
  "$VENV/bin/ruff" check .
  say "ruff format --check"
  "$VENV/bin/ruff" format --check .
  say "mypy"
  "$VENV/bin/mypy"
  say "shellcheck scripts/up scripts/down"
  apt_install shellcheck
  shellcheck -x scripts/up scripts/down
  say "frontend typecheck (tsc strict)"
  [ -d "$REPO_ROOT/frontend/node_modules" ] || (cd "$REPO_ROOT/frontend" && npm ci --no-audit --no-fund --cache "$CACHE_DIR/npm") \
    || die "npm ci failed in frontend/ (see the output above)."
  (cd "$REPO_ROOT/frontend" && npm run --silent typecheck) || die "frontend typecheck failed (tsc errors above)."
  say "helm lint --strict charts/todo-chatbot (defaults and every ci/*.yaml)"
  source "$REPO_ROOT/scripts/lib/helm.sh"
  ensure_helm
  local values_file
  helm lint --strict charts/todo-chatbot
  for values_file in charts/todo-chatbot/ci/*.yaml; do
    helm lint --strict charts/todo-chatbot --values "$values_file"
  done
  say "hadolint (Dockerfiles: the images, the naive benchmark one, the test stand-ins)"
  "$VENV/bin/hadolint" --no-color dockerfiles/*.Dockerfile bench/images/*.Dockerfile tests/images/standins/*.Dockerfile tests/e2e/*.Dockerfile
}
