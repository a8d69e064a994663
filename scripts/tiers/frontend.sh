# Tier 'frontend': the web app's typecheck, component tests, production build and bundle budget, then
# the browser scenario: Debian's chromium -> Debian's nginx with frontend/nginx/ -> the real backend stack.
tier_frontend() {
  have node && have npm || die "node and npm are needed (Node >= 20.19); install Node.js 20 or 22 and run again."
  local node_version
  node_version="$(node -p 'process.versions.node')"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node $node_version is too old for Vite 8; install Node >= 20.19 (e.g. Node 22 LTS) and run again."
  # postgresql: the backend stack the browser scenario runs against (tests/support/stack.py).
  apt_install chromium nginx fonts-liberation2 postgresql
  ensure_venv

  cd "$REPO_ROOT/frontend"
  # npm ci only when the lockfile changed since the last install: the same tree, minutes cheaper.
  local stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "npm ci (frontend)"
    npm ci --no-audit --no-fund --cache "$CACHE_DIR/npm" || die "npm ci failed in frontend/ (see the output above)."
    touch "$stamp"
  fi
  say "frontend: typecheck (tsc strict)"
  npm run --silent typecheck
  say "frontend: component tests (vitest)"
  npm test --silent
  say "frontend: production build"
  npm run --silent build
  say "frontend: bundle size"
  npm run --silent size
  say "frontend: browser scenario (chromium + nginx + backend stack)"
  npm run --silent test:e2e
}
