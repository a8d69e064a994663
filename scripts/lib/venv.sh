# shellcheck shell=bash
# ensure_venv [program|dev]: the project's one Python environment (.venv) and its one installer,
# for scripts/up (program: the Pulumi program's pinned requirements) and scripts/test (dev: those,
# the policy pack's, the application package in editable mode and the test/lint tools).
# Installs with uv (bootstrapped from PyPI into the venv) and only when an input file changed.
# Needs say and die (scripts/lib/base.sh) and REPO_ROOT. Sourced, never executed.

# _venv_inputs PROFILE: the files a profile installs from, one per line.
_venv_inputs() {
  echo "$REPO_ROOT/requirements.txt"
  [ "$1" = dev ] || return 0
  printf '%s\n' "$REPO_ROOT/requirements-dev.txt" "$REPO_ROOT/policy/requirements.txt" \
    "$REPO_ROOT/app/pyproject.toml" "$REPO_ROOT"/app/requirements/*.txt
}

# _venv_stamp PROFILE: the file that says .venv holds the profile's current inputs.
_venv_stamp() {
  local files
  mapfile -t files < <(_venv_inputs "$1")
  echo "$REPO_ROOT/.venv/.installed-$1-$(cat "${files[@]}" 2>/dev/null | cksum | cut -d' ' -f1)"
}

ensure_venv() {
  local profile="${1:-dev}" venv="$REPO_ROOT/.venv" args
  case "$profile" in
    program) args=(-r "$REPO_ROOT/requirements.txt") ;;
    dev)
      args=(-r "$REPO_ROOT/requirements.txt" -r "$REPO_ROOT/requirements-dev.txt"
        -r "$REPO_ROOT/policy/requirements.txt" -e "$REPO_ROOT/app[api,mcp,openai]")
      ;;
    *) die "ensure_venv: unknown profile '$profile'; choose program or dev." ;;
  esac
  [ -f "$(_venv_stamp "$profile")" ] && return 0
  # dev holds everything program needs: a current dev install satisfies program.
  [ "$profile" = program ] && [ -f "$(_venv_stamp dev)" ] && return 0
  command -v python3 >/dev/null 2>&1 \
    || die "python3 is not installed. Install Python 3.11+ (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python@3.11)."
  say "preparing .venv ($profile requirements)"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" \
    || die "python3 -m venv failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv)."
  [ -x "$venv/bin/uv" ] || "$venv/bin/python" -m pip install -q --disable-pip-version-check uv \
    || die "could not install uv into .venv from PyPI (is PyPI reachable? pip's message is above)."
  "$venv/bin/uv" pip install -q --python "$venv/bin/python" "${args[@]}" \
    || die "installing the $profile requirements into .venv failed (see the output above)."
  rm -f "$venv"/.installed-"$profile"-*
  touch "$(_venv_stamp "$profile")"
}
