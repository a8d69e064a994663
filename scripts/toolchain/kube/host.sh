# shellcheck shell=bash
# What the cluster changes on the machine and gives back at `down`: the preflight checks, kernel
# settings, the host paths the kubelet and libcni hard-code, mounts and cgroups (sourced by init.sh).

# kube::host::preflight: root, cgroup v1 controllers, free ranges and ports — before anything changes.
kube::host::preflight() {
  [ "$(id -u)" -eq 0 ] || die "the cluster needs root (network namespaces, cgroups, iptables); run as root."
  local c
  for c in cpu cpuacct cpuset memory pids devices freezer; do
    [ -d "/sys/fs/cgroup/$c" ] || [ -f /sys/fs/cgroup/cgroup.controllers ] \
      || die "cgroup controller $c is not mounted at /sys/fs/cgroup/$c; the kubelet needs it."
  done
  # The pod and service ranges must be free: no route inside or around them (but the default
  # route and our own) and no address in them, so we never shadow the machine's own networks.
  local r found
  for r in "$KUBE_POD_CIDR" "$KUBE_SERVICE_CIDR"; do
    found="$( { ip -4 route show root "$r"; ip -4 route show match "$r"; } | grep -v -e '^default' -e "dev $KUBE_BRIDGE" -e '^blackhole' || true)"
    found+="$(ip -4 -o addr show | grep -v " $KUBE_BRIDGE " | awk '{print $4}' | grep -F "${r%.*}." || true)"
    [ -z "$found" ] || die "the machine already uses part of $r ($(printf '%s' "$found" | head -n1)); change KUBE_POD_CIDR/KUBE_SERVICE_CIDR in scripts/toolchain/kube/init.sh."
  done
  local port
  for port in "${KUBE_LOOPBACK_PORTS[@]}"; do
    if [ -n "$(ss -Hltn "sport = :$port")" ]; then
      [ -n "$(kube::process::pid kube-apiserver)" ] && return 0
      die "TCP port $port is already in use ($(ss -Hltnp "sport = :$port" | awk '{print $NF}' | head -n1)); stop that process or run scripts/cluster down."
    fi
  done
}

# kube::host::note_paths: records which of KUBE_HOST_PATHS do not exist yet (once per cluster).
kube::host::note_paths() {
  [ -f "$KUBE_STATE/created-paths" ] && return 0
  local p
  for p in "${KUBE_HOST_PATHS[@]}"; do
    [ -e "$p" ] || printf '%s\n' "$p"
  done >"$KUBE_STATE/created-paths"
}

# kube::host::clean_paths: our entries in the hard-coded paths, and the paths `up` created.
kube::host::clean_paths() {
  local p
  find /var/log/containers -maxdepth 1 -lname "$KUBE_STATE/*" -delete 2>/dev/null || true
  rm -f /var/lib/cni/results/todo-pods-* 2>/dev/null || true
  [ -f "$KUBE_STATE/created-paths" ] || return 0
  while read -r p; do
    case "$p" in
      /run/netns) umount /run/netns 2>/dev/null || true; rmdir /run/netns 2>/dev/null || true ;;
      /*) rm -rf "$p" ;;
    esac
  done <"$KUBE_STATE/created-paths"
}

# kube::host::set_sysctls: records the previous values once, then sets what the cluster needs.
kube::host::set_sysctls() {
  local kv key
  modprobe br_netfilter 2>/dev/null || true
  if [ ! -f "$KUBE_STATE/sysctl.orig" ]; then
    for kv in "${KUBE_SYSCTLS[@]}"; do
      key="${kv%%=*}"
      printf '%s=%s\n' "$key" "$(sysctl -n "$key")"
    done >"$KUBE_STATE/sysctl.orig.tmp"
    mv "$KUBE_STATE/sysctl.orig.tmp" "$KUBE_STATE/sysctl.orig"
  fi
  for kv in "${KUBE_SYSCTLS[@]}"; do
    sysctl -qw "$kv" || die "sysctl -w $kv failed."
  done
}

kube::host::restore_sysctls() {
  [ -f "$KUBE_STATE/sysctl.orig" ] || return 0
  local kv
  while read -r kv; do
    sysctl -qw "$kv" || warn "could not restore $kv"
  done <"$KUBE_STATE/sysctl.orig"
  rm -f "$KUBE_STATE/sysctl.orig"
}

# kube::host::unmount: every mount below the cluster's directories, deepest first.
kube::host::unmount() {
  local m
  awk -v a="$KUBE_STATE" -v b="$KUBE_RUN" '$2 == a || $2 == b || index($2, a "/") == 1 || index($2, b "/") == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || warn "could not unmount $m"
  done
}

# kube::host::clean_cgroups: the kubepods cgroups the kubelet made under each v1 controller.
kube::host::clean_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}
