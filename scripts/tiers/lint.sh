# shellcheck shell=bash
# Tier 'lint': ruff and mypy on all Python (more linters join as their layers land).
tier_lint() {
  ensure_venv
  cd "$REPO_ROOT" || return 1
  say "ruff check"
  "$VENV/bin/ruff" check .
  say "ruff format --check"
  "$VENV/bin/ruff" format --check .
  say "mypy"
  "$VENV/bin/mypy"
  say "shellcheck on every shell file (by extension or shebang; settings in .shellcheckrc)"
  apt_install shellcheck
  local shell_files=() file
  while IFS= read -r file; do
    case "$file" in
      *.sh) shell_files+=("$file") ;;
      *) [ -f "$file" ] && head -n1 "$file" | grep -qE '^#!.*\b(ba)?sh\b' && shell_files+=("$file") ;;
    esac
  done < <(git ls-files --cached --others --exclude-standard)
  shellcheck -x "${shell_files[@]}"
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
  "$VENV/bin/hadolint" --no-color dockerfiles/*.Dockerfile bench/images/*.Dockerfile tests/images/standins/*.Dockerfile \
    tests/live/standins/*.Dockerfile
}
