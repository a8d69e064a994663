# shellcheck shell=bash disable=SC2034  # a library: its variables are for the scripts that source it
# Shared helpers for scripts/test and its tiers. Sourced, never executed.
# Every install step the tests need lives here or in scripts/toolchain/, so a fresh Debian machine
# (CI) gets the same setup as a developer's laptop.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_DIR="${TODO_CACHE_DIR:-$REPO_ROOT/.cache}"
VENV="$REPO_ROOT/.venv"
mkdir -p "$CACHE_DIR"
# Go is installed under /usr/local/go on our machines; a trimmed PATH (cron, CI) must still find it.
case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) [ -d /usr/local/go/bin ] && PATH="$PATH:/usr/local/go/bin" ;; esac

# Exit code of a tier that cannot run on this machine (reported SKIPPED, never ok).
TIER_SKIPPED=77

# say, warn, die, have, print_usage, registry_answers and TOOLS_DIR (shared with scripts/up and
# scripts/down).
source "$REPO_ROOT/scripts/lib/base.sh"

# detach LOG CMD...: starts CMD in its own session (stdin /dev/null, output appended to LOG) with no
# descriptor but those three: a daemon must not inherit the caller's `flock` on the shared lock,
# which it would then hold for as long as it runs. $! is CMD's PID.
detach() {
  local log="$1"
  shift
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd="${fd##*/}"
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    exec setsid "$@" </dev/null >>"$log" 2>&1
  ) &
}

# apt_install PKG...: installs the Debian packages that are missing. Needs root (CI and our
# machines run as root); elsewhere it names the packages to install and fails.
_APT_UPDATED=""
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" == *'install ok installed'* ]] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! have apt-get; then
    die "missing packages: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run again."
  fi
  if [ -z "$_APT_UPDATED" ]; then
    say "apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed; check the machine's Debian mirror in /etc/apt/sources.list*."
    _APT_UPDATED=1
  fi
  say "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed."
}

# ensure_venv [program|dev]: the one installer of .venv (also used by scripts/up).
source "$REPO_ROOT/scripts/lib/venv.sh"

# run_pytest ARGS...: pytest from .venv; exit code 5 (no tests collected) is not a failure.
run_pytest() {
  local rc=0
  (cd "$REPO_ROOT" && "$VENV/bin/python" -m pytest "$@") || rc=$?
  if [ "$rc" -eq 5 ]; then
    warn "pytest collected no tests for: $*"
    return 0
  fi
  return "$rc"
}
