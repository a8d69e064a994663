# shellcheck shell=bash disable=SC2034  # a library: its variables are for the scripts that source it
# The facts scripts/up and scripts/down share, each named once: the stack, the Minikube profile, what
# scripts/up leaves in .cache/up, the passphrase of a local backend and the engine `scripts/engine
# build` makes. Sourced after base.sh (TOOLS_DIR) by scripts/up, scripts/down and
# scripts/toolchain/engine.sh; needs REPO_ROOT. Sourced, never executed.

STACK="${TODO_STACK:-dev}"
PROFILE="${MINIKUBE_PROFILE:-minikube}"
# An existing cluster instead of Minikube (scripts/up --context, scripts/down --context).
CONTEXT="${TODO_KUBE_CONTEXT:-}"
# scripts/up's state for its next run and scripts/down: the run lock, the registry port-forward.
STATE_DIR="$REPO_ROOT/.cache/up"
FORWARD_PIDFILE="$STATE_DIR/registry-port-forward.pid"
# Where Docker's daemon runs in a VM (Docker Desktop), the relay of localhost:5000 inside it.
RELAY_CONTAINER="todo-registry-relay"
# A local backend encrypts secrets with a passphrase: one per user, outside the repository.
PASSPHRASE_FILE="${XDG_CONFIG_HOME:-$HOME/.config}/todo-chatbot/pulumi-passphrase"
# The engine built from source (scripts/toolchain/engine.sh) for machines that cannot download
# Pulumi; its home holds the providers it built, installed as plugins.
ENGINE_DIR="$TOOLS_DIR/engine"
ENGINE_BIN="$ENGINE_DIR/bin"
ENGINE_HOME="$ENGINE_DIR/home"

# kube ARGS...: kubectl on the context of this run (KUBE_CONTEXT, set once the arguments are read).
kube() { kubectl --context "$KUBE_CONTEXT" "$@"; }

# engine_offline: the CLI neither downloads plugins nor looks for a newer version of itself.
engine_offline() { export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_SKIP_UPDATE_CHECK=true; }

# use_built_engine: with no pulumi on PATH, the engine `scripts/engine build` made, when there is one.
use_built_engine() {
  have pulumi && return 0
  [ -x "$ENGINE_BIN/pulumi" ] || return 0
  export PATH="$ENGINE_BIN:$PATH" PULUMI_HOME="${PULUMI_HOME:-$ENGINE_HOME}"
  engine_offline
}

# passphrase_given: the user chose the passphrase (PULUMI_CONFIG_PASSPHRASE or ..._FILE).
passphrase_given() { [ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ] || [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; }

# registry_forward_alive PID: PID is still the registry port-forward scripts/up starts, not a
# process that reuses the number (scripts/up trusts it; scripts/down stops only it).
registry_forward_alive() { ps -p "$1" -o args= 2>/dev/null | grep -q 'port-forward service/registry'; }

# relay_running: the registry relay container runs in Docker's VM.
relay_running() { [ -n "$(docker ps -q --filter "name=^${RELAY_CONTAINER}$" 2>/dev/null)" ]; }
