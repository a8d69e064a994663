# shellcheck shell=bash
# Tier 'frontend': the web app's typecheck, component tests, production build and bundle budget, then
# the browser scenario: Debian's chromium -> Debian's nginx with frontend/nginx/ -> the real backend stack.
# Every step ends in `|| die`: scripts/test runs tiers inside an `if`, where bash ignores `set -e`.
tier_frontend() {
  { have node && have npm; } || die "node and npm are needed (Node >= 20.19); install Node.js 20 or 22 and run again."
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node $(node -p 'process.versions.node') is too old for Vite 8; install Node >= 20.19 (e.g. Node 22 LTS) and run again."
  # postgresql: the backend stack the browser scenario runs against (tests/support/stack.py).
  apt_install chromium nginx fonts-liberation2 postgresql
  ensure_venv dev

  cd "$REPO_ROOT/frontend" || die "$REPO_ROOT/frontend is missing."
  # npm ci only when the lockfile changed since the last install: the same tree, minutes cheaper.
  local stamp
  stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "npm ci (frontend)"
    npm ci --no-audit --no-fund --cache "$CACHE_DIR/npm" || die "npm ci failed in frontend/ (see the output above)."
    touch "$stamp"
  fi
  say "frontend: src/api-schema.ts is what openapi.json (the API's document, tests/app) generates"
  local generated
  generated="$(mktemp --suffix=.ts)"
  npx --no-install openapi-typescript openapi.json --output "$generated" >/dev/null 2>&1 \
    || { rm -f "$generated"; die "openapi-typescript could not read frontend/openapi.json (run: cd frontend && npm run api-types)."; }
  if ! diff -q src/api-schema.ts "$generated" >/dev/null; then
    rm -f "$generated"
    die "frontend/src/api-schema.ts is stale: run 'npm run api-types' in frontend/ and commit it."
  fi
  rm -f "$generated"
  say "frontend: typecheck (tsc strict)"
  npm run --silent typecheck || die "frontend typecheck failed (tsc errors above)."
  say "frontend: component tests (vitest)"
  npm test --silent || die "frontend component tests failed (see above)."
  say "frontend: production build"
  npm run --silent build || die "frontend build failed (see above)."
  say "frontend: bundle size"
  npm run --silent size || die "frontend bundle is over its size budget (see above)."
  say "frontend: browser scenario and nginx config (chromium + nginx + backend stack)"
  npm run --silent test:e2e || die "frontend browser/nginx tests failed (see above; screenshots of failures in .cache/frontend-e2e/)."
}
