# shellcheck shell=bash
# The second, newer dockerd Minikube's docker driver runs on here (init.sh says why), its firewall
# rule, the images loaded into it, and the environment of a Minikube run (sourced by init.sh).

minikube::daemon::docker() { DOCKER_HOST="$MK_DOCKER_HOST" env -u DOCKER_CONTEXT "$DOCKER_CLI" "$@"; }

minikube::daemon::answers() { minikube::daemon::docker info >/dev/null 2>&1; }

# minikube::daemon::egress_if: the interface of the machine's default route (where node traffic must never go).
minikube::daemon::egress_if() { ip -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'; }

# minikube::daemon::firewall add|del: drop anything from Minikube's networks bound off the machine. This daemon
# runs without iptables (the machine's dockerd owns those chains), so it adds no NAT either.
minikube::daemon::firewall() {
  local op="$1" ifc
  ifc="$(minikube::daemon::egress_if)"
  [ -n "$ifc" ] || return 0
  local rule=(FORWARD -s "$MK_SUBNETS" -o "$ifc" -m comment --comment "$MK_FW_COMMENT" -j DROP)
  case "$op" in
    add) iptables -C "${rule[@]}" 2>/dev/null || iptables -I "${rule[@]}" ;;
    del) while iptables -D "${rule[@]}" 2>/dev/null; do :; done ;;
  esac
}

# minikube::daemon::up: starts the second dockerd (socket $MK_RUN/docker.sock, data $MK_DOCKER_ROOT) unless
# it answers, then imports the images it lacks. Machine-side test setup only.
minikube::daemon::up() {
  apt_install docker.io runc iptables
  [ -x "$MK_DOCKER/usr/sbin/dockerd" ] || die "Debian trixie's dockerd is not unpacked; build it: scripts/minikube build"
  minikube::daemon::firewall add
  if ! minikube::daemon::answers; then
    mkdir -p "$MK_RUN" "$MK_DOCKER_ROOT" "$MK_LOGS"
    say "starting dockerd $DOCKER_DEB_VERSION for Minikube on $MK_DOCKER_HOST (log: $MK_LOGS/dockerd.log)"
    # Its own iptables-less daemon with a default bridge of its own: the machine's dockerd keeps
    # docker0 and its chains. Not `--bridge none`: a dockerd started so deletes the interface
    # docker0, the machine daemon's, and every later build step there failed "could not find
    # bridge docker0" (seen here with ip monitor).
    ip link show "$MK_BRIDGE" >/dev/null 2>&1 || {
      ip link add name "$MK_BRIDGE" type bridge && ip addr add "$MK_BRIDGE_CIDR" dev "$MK_BRIDGE" \
        && ip link set "$MK_BRIDGE" up
    } || die "could not create the Minikube dockerd's bridge $MK_BRIDGE ($MK_BRIDGE_CIDR)."
    PATH="$MK_DOCKER/usr/bin:$MK_DOCKER/usr/sbin:$PATH" setsid "$MK_DOCKER/usr/sbin/dockerd" \
      --host "$MK_DOCKER_HOST" --data-root "$MK_DOCKER_ROOT" --exec-root "$MK_RUN/exec" \
      --pidfile "$MK_RUN/dockerd.pid" --bridge "$MK_BRIDGE" --iptables=false --ip6tables=false --ip-masq=false \
      --containerd-namespace todo-minikube --containerd-plugins-namespace todo-minikube-plugins \
      >>"$MK_LOGS/dockerd.log" 2>&1 </dev/null &
    local _
    for _ in $(seq 60); do minikube::daemon::answers && break; sleep 1; done
    minikube::daemon::answers || die "the Minikube dockerd did not answer within 60 s; see $MK_LOGS/dockerd.log"
  fi
  local changes name args line created
  for changes in "$MK_IMAGES"/*.changes; do
    [ -e "$changes" ] || die "no images in $MK_IMAGES; build them: scripts/minikube build"
    name="$(head -n1 "$changes")"
    # An image imported before its tarball was last rebuilt is stale (the names do not change).
    created="$(minikube::daemon::docker image inspect --format '{{.Created}}' "$name" 2>/dev/null || true)"
    if [ -n "$created" ] && [ "$(date -d "$created" +%s)" -ge "$(stat -c %Y "${changes%.changes}.tar")" ]; then
      continue
    fi
    args=()
    while IFS= read -r line; do args+=(--change "$line"); done < <(tail -n +2 "$changes")
    say "importing $name into the Minikube dockerd"
    minikube::daemon::docker import "${args[@]}" "${changes%.changes}.tar" "$name" >/dev/null || die "docker import of $name failed."
    # Minikube's image cache would carry the old image into every new node; it refills from here.
    rm -f "$MK_HOME/.minikube/cache/images/$(dpkg --print-architecture)/${name%:*}_${name##*:}"
  done
}

# minikube::daemon::down: stops the daemon minikube::daemon::up started (by its pid file) and removes the rule.
minikube::daemon::down() {
  local pid
  if [ -f "$MK_RUN/dockerd.pid" ]; then
    pid="$(cat "$MK_RUN/dockerd.pid")"
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
      kill "$pid"
      local _
      for _ in $(seq 30); do [ -d "/proc/$pid" ] || break; sleep 1; done
    fi
  fi
  ip link del "$MK_BRIDGE" 2>/dev/null || true
  minikube::daemon::firewall del
}

# minikube::env: the environment of a Minikube run here, as shell assignments: the daemon, minikube's
# home with its binary cache, the tools on PATH and the documented scripts/up overrides.
minikube::env() {
  cat <<ENV
export DOCKER_HOST=$MK_DOCKER_HOST
export MINIKUBE_HOME=$MK_HOME
export MINIKUBE_IN_STYLE=false
# CI runs as root, where the docker driver refuses to start without --force (minikube reads its
# flags from MINIKUBE_* variables too); users run minikube as themselves and never need it.
export MINIKUBE_FORCE=true
export PATH=$MK_BIN:$(minikube::build::kube_bin):\$PATH
export MINIKUBE_DRIVER=docker
export MINIKUBE_BASE_IMAGE=$MK_BASE_IMAGE
export MINIKUBE_KUBERNETES_VERSION=$(minikube::source::kube_version)
export MINIKUBE_CONTAINER_RUNTIME=containerd
export MINIKUBE_CNI=bridge
export MINIKUBE_PRELOAD=false
export MINIKUBE_REGISTRY_IMAGES=Registry=${MK_REGISTRY_IMAGE#*/},KubeRegistryProxy=${MK_REGISTRY_PROXY_IMAGE#*/}
export MINIKUBE_REGISTRY_REGISTRIES=Registry=${MK_REGISTRY_IMAGE%%/*},KubeRegistryProxy=${MK_REGISTRY_PROXY_IMAGE%%/*}
ENV
}

# minikube::daemon::copy_image NAME: an image of the machine's dockerd, copied into Minikube's (unless there).
minikube::daemon::copy_image() {
  minikube::daemon::docker image inspect "$1" >/dev/null 2>&1 && return 0
  say "copying $1 into the Minikube dockerd"
  DOCKER_HOST=unix:///var/run/docker.sock env -u DOCKER_CONTEXT "$DOCKER_CLI" save "$1" | minikube::daemon::docker load -q >/dev/null \
    || die "copying $1 between the two Docker daemons failed (docker save | docker load)."
}
