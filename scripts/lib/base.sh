# shellcheck shell=bash disable=SC2034  # TOOLS_DIR is for the scripts that source it
# The messages every script prints, in one form, and the few facts every script needs: sourced by
# scripts/up, scripts/down and scripts/toolchain/common.sh (the tests' and tool builders' library).
# Sourced, never executed.

# say MESSAGE: a progress line, bold only on a terminal and without NO_COLOR (https://no-color.org),
# so a URL in it stays a URL when the output is read by a program or a log.
say() {
  if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then printf '\033[1m==> %s\033[0m\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi
}
warn() { printf 'warning: %s\n' "$*" >&2; }
# die MESSAGE: one actionable line, no stack trace.
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

# print_usage SCRIPT: a script's --help, its header comment (past the shebang and shellcheck lines).
print_usage() { awk 'NR == 1 || /^# shellcheck/ { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$1"; }

# registry_answers HOST[:PORT]: a registry answers the v2 API there over HTTP. Silent: a registry
# that is not up yet is expected, not an error to print.
registry_answers() { curl -fs -o /dev/null --max-time 2 "http://$1/v2/"; }

# Tools built from upstream sources (Pulumi engine, Kubernetes) live OUTSIDE the repository so a
# fresh clone (CI) on the same machine reuses them instead of rebuilding for half an hour.
TOOLS_DIR="${TODO_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-chatbot}"
