# shellcheck shell=bash
# Docker engine, stand-in base images and a local registry for tiers that build or run images.
# Sourced after scripts/toolchain/common.sh (uses say, die, have, apt_install, CACHE_DIR, REPO_ROOT).
#
#   ensure_dockerd          a Docker daemon answers (starts Debian's dockerd as root when none does)
#   dkr ARGS...             Debian's docker client with BuildKit on (use it instead of `docker`)
#   ensure_standin_bases    builds the stand-ins for the official base images, exports their names
#   ensure_arm64_standins   arm64 emulation (binfmt_misc + qemu) and arm64 stand-ins, or the reason why not
#   ensure_registry         a registry (Debian's docker-registry) answers on $REGISTRY_ADDR
#   stop_registry           stops the registry when ensure_registry started it

# Debian's client (20.10) has BuildKit built in; a newer client first on PATH insists on a buildx
# plugin that cannot be installed here.
DOCKER_CLI=/usr/bin/docker
REGISTRY_ADDR="${TODO_REGISTRY_ADDR:-127.0.0.1:5000}"
DOCKER_STATE_DIR="$CACHE_DIR/docker"
STANDIN_RECIPES="$REPO_ROOT/tests/images/standins"

# dkr ARGS...: run Debian's docker client with BuildKit (needed for RUN --mount=type=cache).
dkr() { DOCKER_BUILDKIT=1 "$DOCKER_CLI" "$@"; }

# docker_answers: true when the client is installed and a daemon answers it.
docker_answers() { [ -x "$DOCKER_CLI" ] && "$DOCKER_CLI" info >/dev/null 2>&1; }

# ensure_dockerd: installs docker.io when missing and starts dockerd when no daemon answers.
# The daemon is left running like a system service: later tiers (engine, live) and reruns reuse it and its
# image cache; its log is $DOCKER_STATE_DIR/dockerd.log.
ensure_dockerd() {
  apt_install docker.io
  docker_answers && return 0
  [ "$(id -u)" -eq 0 ] \
    || die "no Docker daemon answers at /var/run/docker.sock and starting one needs root; start Docker (sudo systemctl start docker) and run again."
  mkdir -p "$DOCKER_STATE_DIR"
  say "starting dockerd (log: $DOCKER_STATE_DIR/dockerd.log)"
  : >"$DOCKER_STATE_DIR/dockerd.log"
  detach "$DOCKER_STATE_DIR/dockerd.log" /usr/sbin/dockerd
  local _
  for _ in $(seq 60); do
    docker_answers && return 0
    sleep 1
  done
  die "dockerd did not answer within 60 s; its log is $DOCKER_STATE_DIR/dockerd.log"
}

# debian_mirror: the Debian mirror the machine's apt sources use (deb822 or one-line format).
debian_mirror() {
  local mirror
  # `|| true`: finding nothing in one format is normal (set -e and pipefail are on in the tiers).
  mirror="$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' \
    | grep -v -- '-security' | head -n1 || true)"
  [ -n "$mirror" ] || mirror="$(grep -hE '^deb (\[[^]]*\] )?https?://' /etc/apt/sources.list 2>/dev/null \
    | grep -v -- '-security' | sed -E 's/^deb (\[[^]]*\] )?//' | awk '{print $1}' | head -n1 || true)"
  [ -n "$mirror" ] || mirror="http://deb.debian.org/debian"
  printf '%s\n' "$mirror"
}

# _recipe_tag FILE...: a short hash of the stand-in recipes, so a changed recipe gets a new image name.
_recipe_tag() { cat "$@" | sha256sum | cut -c1-12; }

# _unmount_under DIR: unmounts every mount point below DIR, deepest first.
_unmount_under() {
  local mounted
  mounted="$(awk -v dir="$1/" 'index($2, dir) == 1 {print $2}' /proc/mounts | sort -r)"
  [ -z "$mounted" ] || printf '%s\n' "$mounted" | xargs -r umount -l
}

# _ensure_standin_rootfs NAME [ARCH]: `debootstrap --variant=minbase trixie` (for Debian architecture
# ARCH, default the machine's: another one runs its second stage under qemu) as image NAME, labelled
# with that architecture so BuildKit takes it for a --platform build without a pull.
_ensure_standin_rootfs() {
  local name="$1" arch="${2:-}" dir
  dkr image inspect "$name" >/dev/null 2>&1 && return 0
  apt_install debootstrap
  dir="$(mktemp -d "$CACHE_DIR/standin-rootfs.XXXXXX")"
  say "debootstrap trixie${arch:+ for $arch} for the stand-in base images (${arch:+a few minutes under emulation, else }about a minute)"
  if ! debootstrap ${arch:+--arch="$arch"} --variant=minbase trixie "$dir/rootfs" "$(debian_mirror)" >"$dir.log" 2>&1; then
    _unmount_under "$dir"
    rm -rf "$dir"
    die "debootstrap trixie${arch:+ --arch=$arch} from $(debian_mirror) failed; see $dir.log (the machine must reach its Debian mirror)."
  fi
  # A foreign-architecture debootstrap leaves the rootfs's /proc mounted.
  _unmount_under "$dir"
  # Package lists and downloaded .debs are stale by the time a stand-in is built; leave them out.
  rm -rf "$dir/rootfs/var/lib/apt/lists/"* "$dir/rootfs/var/cache/apt/"*
  if [ -z "$arch" ]; then
    tar --one-file-system -C "$dir/rootfs" -c . | dkr import - "$name" >/dev/null || { rm -rf "$dir"; die "docker import of the stand-in rootfs failed."; }
  else
    # `docker import` would label it with the machine's architecture; a build from scratch labels it ARCH.
    tar --one-file-system -C "$dir/rootfs" -cf "$dir/rootfs.tar" .
    printf 'FROM scratch\nADD rootfs.tar /\n' >"$dir/Dockerfile"
    dkr build -q --platform "linux/$arch" -t "$name" "$dir" >/dev/null \
      || { rm -rf "$dir"; die "importing the $arch stand-in rootfs as $name failed."; }
  fi
  rm -rf "$dir" "$dir.log"
}

# ensure_standin_bases: builds (or finds, by name) stand-ins for the official base images, made
# from Debian trixie packages because no container registry is reachable here. Exports
# STANDIN_PYTHON_IMAGE, STANDIN_NODE_IMAGE and STANDIN_NGINX_IMAGE for the Dockerfiles' base ARGs.
# The machine's CA bundle is baked into the stand-ins (never into the project's images) so pip and
# npm inside builds trust the same TLS roots the machine does.
ensure_standin_bases() {
  ensure_dockerd
  local rootfs ctx kind ca=/etc/ssl/certs/ca-certificates.crt
  [ -f "$ca" ] || die "no CA bundle at $ca (Debian: apt-get install ca-certificates)."
  rootfs="todo-standin/debian:trixie-minbase"
  STANDIN_PYTHON_IMAGE="todo-standin/python:3.13-$(_recipe_tag "$STANDIN_RECIPES/python.Dockerfile" "$ca")"
  STANDIN_NODE_IMAGE="todo-standin/node:trixie-$(_recipe_tag "$STANDIN_RECIPES/node.Dockerfile" "$ca")"
  STANDIN_NGINX_IMAGE="todo-standin/nginx-unprivileged:trixie-$(_recipe_tag "$STANDIN_RECIPES/nginx.Dockerfile" "$ca")"
  export STANDIN_PYTHON_IMAGE STANDIN_NODE_IMAGE STANDIN_NGINX_IMAGE
  if dkr image inspect "$STANDIN_PYTHON_IMAGE" "$STANDIN_NODE_IMAGE" "$STANDIN_NGINX_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  _ensure_standin_rootfs "$rootfs"
  ctx="$(mktemp -d)"
  cp "$ca" "$ctx/host-ca.crt"
  for kind in python node nginx; do
    local var="STANDIN_${kind^^}_IMAGE"
    dkr image inspect "${!var}" >/dev/null 2>&1 && continue
    say "building stand-in base ${!var}"
    dkr build -q --build-arg "ROOTFS=$rootfs" -t "${!var}" -f "$STANDIN_RECIPES/$kind.Dockerfile" "$ctx" >/dev/null \
      || { rm -rf "$ctx"; die "building the stand-in ${!var} failed; rerun: DOCKER_BUILDKIT=1 $DOCKER_CLI build --build-arg ROOTFS=$rootfs -f $STANDIN_RECIPES/$kind.Dockerfile DIR_WITH_host-ca.crt"; }
  done
  rm -rf "$ctx"
}

# arm64_emulation_problem: empty when this machine runs arm64 programs (binfmt_misc with qemu-aarch64
# registered with the F flag, so it works inside containers too), registering it when root can; else
# the reason, for the tests to report as a skip.
arm64_emulation_problem() {
  local binfmt=/proc/sys/fs/binfmt_misc conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ "$(dpkg --print-architecture)" = arm64 ] && return 0
  [ "$(head -n1 "$binfmt/qemu-aarch64" 2>/dev/null)" = enabled ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "qemu-aarch64 is not registered in binfmt_misc and registering it needs root (sudo apt-get install qemu-user-static, then mount binfmt_misc on $binfmt)"
    return 0
  fi
  apt_install qemu-user-static
  if [ ! -e "$binfmt/register" ] && ! mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null; then
    echo "binfmt_misc cannot be mounted on $binfmt here (the kernel needs CONFIG_BINFMT_MISC, and a container needs the host's); arm64 programs cannot run on this machine"
    return 0
  fi
  if [ ! -e "$binfmt/qemu-aarch64" ] && ! grep -v '^#' "$conf" >"$binfmt/register" 2>/dev/null; then
    echo "registering $conf in $binfmt/register was refused; arm64 programs cannot run on this machine"
    return 0
  fi
  [ "$(head -n1 "$binfmt/qemu-aarch64" 2>/dev/null)" = enabled ] \
    || echo "qemu-aarch64 is registered in $binfmt but not enabled (echo 1 > $binfmt/qemu-aarch64)"
}

# ensure_arm64_standins: arm64 stand-ins of the runtime bases (python, nginx; the Dockerfiles build
# on the machine's own platform, so no arm64 Node is needed). Exports STANDIN_PYTHON_IMAGE_ARM64 and
# STANDIN_NGINX_IMAGE_ARM64, or TODO_ARM64_UNAVAILABLE with the reason the arm64 tests skip.
# Call after ensure_standin_bases. Built once per recipe (about 8 min under emulation), then reused.
ensure_arm64_standins() {
  local problem rootfs ctx kind ca=/etc/ssl/certs/ca-certificates.crt
  problem="$(arm64_emulation_problem)"
  if [ -n "$problem" ]; then
    warn "the arm64 image tests will be skipped: $problem"
    export TODO_ARM64_UNAVAILABLE="$problem"
    return 0
  fi
  rootfs="todo-standin/debian:trixie-minbase-arm64"
  STANDIN_PYTHON_IMAGE_ARM64="$STANDIN_PYTHON_IMAGE-arm64"
  STANDIN_NGINX_IMAGE_ARM64="$STANDIN_NGINX_IMAGE-arm64"
  export STANDIN_PYTHON_IMAGE_ARM64 STANDIN_NGINX_IMAGE_ARM64
  if dkr image inspect "$STANDIN_PYTHON_IMAGE_ARM64" "$STANDIN_NGINX_IMAGE_ARM64" >/dev/null 2>&1; then
    return 0
  fi
  _ensure_standin_rootfs "$rootfs" arm64
  ctx="$(mktemp -d)"
  cp "$ca" "$ctx/host-ca.crt"
  for kind in python nginx; do
    local var="STANDIN_${kind^^}_IMAGE_ARM64"
    dkr image inspect "${!var}" >/dev/null 2>&1 && continue
    say "building stand-in base ${!var} (under emulation: a few minutes)"
    dkr build -q --platform linux/arm64 --build-arg "ROOTFS=$rootfs" -t "${!var}" -f "$STANDIN_RECIPES/$kind.Dockerfile" "$ctx" >/dev/null \
      || { rm -rf "$ctx"; die "building the stand-in ${!var} failed; rerun: DOCKER_BUILDKIT=1 $DOCKER_CLI build --platform linux/arm64 --build-arg ROOTFS=$rootfs -f $STANDIN_RECIPES/$kind.Dockerfile DIR_WITH_host-ca.crt"; }
  done
  rm -rf "$ctx"
}

# ensure_registry: serves Debian's docker-registry (distribution 2.8) on $REGISTRY_ADDR, with its
# storage under $DOCKER_STATE_DIR/registry; reuses one that already answers there.
ensure_registry() {
  apt_install docker-registry curl
  registry_answers "$REGISTRY_ADDR" && return 0
  local dir="$DOCKER_STATE_DIR/registry"
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $dir/data}
  delete: {enabled: true}
http:
  addr: $REGISTRY_ADDR
EOF
  say "starting docker-registry on $REGISTRY_ADDR (log: $dir/registry.log)"
  : >"$dir/registry.log"
  detach "$dir/registry.log" /usr/bin/docker-registry serve "$dir/config.yml"
  echo $! >"$dir/registry.pid"
  local _
  for _ in $(seq 30); do
    registry_answers "$REGISTRY_ADDR" && return 0
    sleep 0.5
  done
  die "docker-registry did not answer on $REGISTRY_ADDR within 15 s; see $dir/registry.log (is the port taken?)"
}

# stop_registry: stops the registry ensure_registry started (a pre-existing one is left alone).
stop_registry() {
  local pidfile="$DOCKER_STATE_DIR/registry/registry.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  rm -f "$pidfile"
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "docker-registry" ]; then
    kill "$pid" 2>/dev/null || true
  fi
}
