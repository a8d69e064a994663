# shellcheck shell=bash
# Tier 'lint': ruff and mypy on all Python (more linters join as their layers land).

ACTIONLINT_VERSION="v1.7.12"
# Outside the repository (TOOLS_DIR), so a fresh clone (CI) reuses the build.
ACTIONLINT_BIN="$TOOLS_DIR/actionlint-$ACTIONLINT_VERSION/actionlint"

# ensure_actionlint: the GitHub workflow linter, built with `go install` from the Go module proxy.
ensure_actionlint() {
  [ -x "$ACTIONLINT_BIN" ] && [ "$("$ACTIONLINT_BIN" -version | head -n1)" = "$ACTIONLINT_VERSION" ] && return 0
  have go || die "actionlint $ACTIONLINT_VERSION is built with Go, which is missing. Install Go 1.24+ (https://go.dev/doc/install) and run again."
  say "building actionlint $ACTIONLINT_VERSION with go install"
  GOBIN="$(dirname "$ACTIONLINT_BIN")" CGO_ENABLED=0 go install \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" \
    || die "go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION failed (see above); check that the Go module proxy is reachable (go env GOPROXY)."
}

tier_lint() {
  ensure_venv dev
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
  say "actionlint on .github/workflows (with shellcheck on their run: scripts)"
  ensure_actionlint
  "$ACTIONLINT_BIN" -no-color .github/workflows/*.yml
  say "frontend typecheck (tsc strict)"
  [ -d "$REPO_ROOT/frontend/node_modules" ] || (cd "$REPO_ROOT/frontend" && npm ci --no-audit --no-fund --cache "$CACHE_DIR/npm") \
    || die "npm ci failed in frontend/ (see the output above)."
  (cd "$REPO_ROOT/frontend" && npm run --silent typecheck) || die "frontend typecheck failed (tsc errors above)."
  say "helm lint --strict charts/todo-chatbot (defaults and every ci/*.yaml)"
  source "$REPO_ROOT/scripts/toolchain/helm.sh"
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
