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
}
