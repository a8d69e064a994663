# shellcheck shell=bash
# ensure_venv [program|dev]: the project's one Python environment (.venv) and its one installer,
# for scripts/up (program: the Pulumi program's pinned requirements) and scripts/test (dev: those,
# the policy pack's, the application package in editable mode and the test/lint tools).
# Installs with uv (bootstrapped from PyPI into the venv) and only when an input file changed.
# Needs say and die (scripts/lib/base.sh) and REPO_ROOT. Sourced, never executed.

ensure_venv() {
  local profile="${1:-dev}" venv="$REPO_ROOT/.venv" inputs stamp
  local files=("$REPO_ROOT/requirements.txt")
  local args=(-r "$REPO_ROOT/requirements.txt")
  case "$profile" in
    program) ;;
    dev)
      files+=("$REPO_ROOT/requirements-dev.txt" "$REPO_ROOT/policy/requirements.txt" "$REPO_ROOT/app/pyproject.toml"
        "$REPO_ROOT"/app/requirements/*.txt)
      args+=(-r "$REPO_ROOT/requirements-dev.txt" -r "$REPO_ROOT/policy/requirements.txt" -e "$REPO_ROOT/app[api,mcp,openai]")
      ;;
    *) die "ensure_venv: unknown profile '$profile'; choose program or dev." ;;
  esac
  command -v python3 >/dev/null 2>&1 \
    || die "python3 is not installed. Install Python 3.11+ (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python@3.11)."
  inputs="$(cat "${files[@]}" 2>/dev/null | cksum | cut -d' ' -f1)"
  stamp="$venv/.installed-$profile-$inputs"
  [ -f "$stamp" ] && return 0
  # dev holds everything program needs: a current dev install satisfies program.
  if [ "$profile" = program ] && [ -f "$venv/.installed-program-via-dev-$inputs" ]; then
    return 0
  fi
  say "preparing .venv ($profile requirements)"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" \
    || die "python3 -m venv failed: install the venv module (Debian/Ubuntu: apt-get install python3-venv)."
  [ -x "$venv/bin/uv" ] || "$venv/bin/python" -m pip install -q --disable-pip-version-check uv \
    || die "could not install uv into .venv from PyPI (is PyPI reachable? pip's message is above)."
  "$venv/bin/uv" pip install -q --python "$venv/bin/python" "${args[@]}" \
    || die "installing the $profile requirements into .venv failed (see the output above)."
  rm -f "$venv"/.installed-"$profile"-* "$venv"/.installed-program-via-dev-*
  touch "$stamp"
  if [ "$profile" = dev ]; then
    touch "$venv/.installed-program-via-dev-$(cksum <"$REPO_ROOT/requirements.txt" | cut -d' ' -f1)"
  fi
}
