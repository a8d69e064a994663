# shellcheck shell=bash
# The messages every script prints, in one form: sourced by scripts/up, scripts/down and
# scripts/lib/common.sh (the tests' and tool builders' library). Sourced, never executed.

# say MESSAGE: a progress line, bold only on a terminal and without NO_COLOR (https://no-color.org),
# so a URL in it stays a URL when the output is read by a program or a log.
say() {
  if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then printf '\033[1m==> %s\033[0m\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi
}
warn() { printf 'warning: %s\n' "$*" >&2; }
# die MESSAGE: one actionable line, no stack trace.
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

# registry_forward_alive PID: PID is still the registry port-forward scripts/up starts, not a
# process that reuses the number (scripts/up trusts it; scripts/down stops only it).
registry_forward_alive() { ps -p "$1" -o args= 2>/dev/null | grep -q 'port-forward service/registry'; }
