# shellcheck shell=bash
# Tier 'app': the backend, MCP server and chat agent against a REAL PostgreSQL that the tests start
# themselves on loopback (tests/support/postgres.py; Debian's postgresql package provides the server).
tier_app() {
  apt_install postgresql
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
    || die "PostgreSQL server binaries are missing under /usr/lib/postgresql/*/bin; install them (Debian: apt-get install postgresql)."
  ensure_venv dev
  run_pytest tests/app -q -p no:cacheprovider
}
