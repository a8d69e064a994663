# shellcheck shell=bash
# Processes: each component a daemon in its own session with a PID file under $KUBE_RUN and its
# output in $KUBE_CLUSTER_LOGS (no systemd here; sourced by init.sh).

# kube::process::alive PID: the process exists and is not a zombie (our components are reparented to
# PID 1 once `up` exits, which may reap them late).
kube::process::alive() {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)"
  [ -n "$state" ] && [ "$state" != Z ]
}

# kube::process::pid NAME: the PID of a running component started by `up`, or nothing.
kube::process::pid() {
  local f="$KUBE_RUN/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ -n "$pid" ] && kube::process::alive "$pid"; then
    printf '%s\n' "$pid"
  fi
  return 0
}

# kube::process::start NAME CMD...: runs CMD in its own session (no systemd here), PID in $KUBE_RUN/NAME.pid,
# output in $KUBE_CLUSTER_LOGS/NAME.log.
kube::process::start() {
  local name="$1"; shift
  [ -n "$(kube::process::pid "$name")" ] && return 0
  mkdir -p "$KUBE_RUN" "$KUBE_CLUSTER_LOGS"
  detach "$KUBE_CLUSTER_LOGS/$name.log" "$@"
  echo $! >"$KUBE_RUN/$name.pid"
}

# kube::process::stop NAME: TERM, then KILL after 10 s; waits until the process is gone.
kube::process::stop() {
  local name="$1" pid i
  pid="$(kube::process::pid "$name")"
  if [ -n "$pid" ]; then
    # setsid made each component its own process group: pipelines and relay children go too.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 200); do
      kube::process::alive "$pid" || break
      [ "$i" -ne 100 ] || kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.1
    done
  fi
  rm -f "$KUBE_RUN/$name.pid"
}

# kube::process::wait SECONDS WHAT CMD...: polls CMD until it succeeds; dies naming WHAT and its log.
kube::process::wait() {
  local limit="$1" what="$2" log="$3" end; shift 3
  end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || die "$what not ready within $limit s; see $log"
    sleep 1
  done
}

# kube::process::kill_shims: containerd shims of this cluster's containerd that outlived it.
kube::process::kill_shims() {
  local pid
  for pid in $(pgrep -f "containerd-shim.*-address $KUBE_CONTAINERD_SOCK" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
}
