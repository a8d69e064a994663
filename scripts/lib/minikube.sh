# shellcheck shell=bash
# Minikube on a machine that can download no release binary and pull no image: minikube, its
# Kubernetes and every image its docker driver needs, built from upstream sources and Debian
# packages (test tooling; users run the official minikube). Sourced after scripts/toolchain/common.sh.
#
#   mk_build      builds/caches everything below (idempotent; progress on stderr, logs in $MK_LOGS)
#   mk_missing    one line per missing piece with the command that builds it (silent when none)
#   mk_daemon_up  a second, newer dockerd for Minikube on its own socket (see below); loads the images
#   mk_daemon_down stops it (by PID) and removes its firewall rule
#   mk_env        prints the environment a Minikube run needs (DOCKER_HOST, MINIKUBE_HOME, PATH
#                 and scripts/up's documented MINIKUBE_* overrides)
#   _mk_copy_image NAME  copies an image from the machine's dockerd into Minikube's
#
# Why a second dockerd: the docker driver starts its node with --privileged, which Debian 12's
# docker 20.10 cannot grant here (the machine's capability bounding set lacks CAP_SYS_RESOURCE;
# moby#42933 made newer daemons grant only what exists). Debian trixie's dockerd runs beside the
# machine's own, so the images, engine and live tiers keep the daemon they know.
#
# Where things are ($MK_TOOLS = $TOOLS_DIR/minikube, outside the repository):
#   bin/                    minikube, storage-provisioner, etcd, coredns, crictl, registry
#   kubernetes/VER/bin/     kubeadm, kubelet, kubectl and the control-plane binaries
#   docker/                 trixie's dockerd, containerd and shims (dpkg -x; nothing installed)
#   images/NAME.tar + .changes  rootfs tarballs and their `docker import --change` lines
#   home/.minikube/         MINIKUBE_HOME of the test runs (binary cache pre-filled)
# Versions: minikube is pinned here; its Kubernetes version and the etcd, pause and CoreDNS tags are
# read from minikube's own source (DefaultKubernetesVersion and its kubeadm image table).

MK_VERSION="v1.37.0"
# The registry addon's image is distribution 3.0.0 (minikube's deploy/addons table names it).
MK_DISTRIBUTION_VERSION="v3.0.0"
DOCKER_DEB_VERSION="26.1.5"
MK_TOOLS="$TOOLS_DIR/minikube"
MK_LOGS="$MK_TOOLS/logs"
MK_BIN="$MK_TOOLS/bin"
MK_HOME="$MK_TOOLS/home"
MK_IMAGES="$MK_TOOLS/images"
MK_DOCKER="$MK_TOOLS/docker"
MK_RUN="${TODO_MINIKUBE_RUN:-/run/todo-minikube-docker}"
MK_DOCKER_ROOT="${TODO_MINIKUBE_DOCKER_ROOT:-/var/lib/todo-minikube-docker}"
MK_DOCKER_HOST="unix://$MK_RUN/docker.sock"
# Its default bridge (no container of the tier uses it; Minikube makes a network of its own).
MK_BRIDGE="todo-mk0"
MK_BRIDGE_CIDR="10.253.254.1/24"
# The tier reaches it with DOCKER_HOST, not a Docker CLI context: pulumi-docker's provider reads
# DOCKER_CONTEXT from ~/.docker alone (DOCKER_CONFIG ignored), so a context kept outside the
# machine's ~/.docker stops every image build ("could not read contexts directory").
MK_SRC="$MK_TOOLS/src/minikube-$MK_VERSION"
# The stand-in node image and the registry addon's stand-ins (names the tier passes as overrides).
MK_BASE_IMAGE="todo-standin/kicbase:bookworm"
MK_REGISTRY_IMAGE="todo-standin/registry:3.0.0"
MK_REGISTRY_PROXY_IMAGE="todo-standin/kube-registry-proxy:0.0.9"
# Minikube picks its network from 192.168.49.0/24 upward; nothing from there may leave the machine.
MK_SUBNETS="192.168.0.0/16"
# The node's Debian packages: what minikube's kicbase Dockerfile installs for a containerd node.
MK_KICBASE_PACKAGES="$(printf '%s,' systemd systemd-sysv dbus containerd runc containernetworking-plugins conntrack \
  iptables iproute2 ethtool socat util-linux mount ebtables kmod libseccomp2 pigz ca-certificates curl rsync sudo \
  openssh-server procps lz4 iputils-ping netcat-openbsd ipset)"
MK_KICBASE_PACKAGES="${MK_KICBASE_PACKAGES%,}"
MK_FW_COMMENT="todo-minikube: node network stays on this machine"

source "$REPO_ROOT/scripts/toolchain/kube/init.sh"

_mk_log() { mkdir -p "$MK_LOGS"; printf '%s/%s.log\n' "$MK_LOGS" "$1"; }

# _mk_source: a writable copy of the k8s.io/minikube module (go install refuses its replace directives).
_mk_source() {
  local dir log
  [ -f "$MK_SRC/.prepared" ] && return 0
  log="$(_mk_log minikube-source)"
  say "downloading k8s.io/minikube@$MK_VERSION from the Go module proxy (log: $log)"
  dir="$(go mod download -json "k8s.io/minikube@$MK_VERSION" 2>>"$log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "${dir:-/nonexistent}" ] \
    || die "go mod download k8s.io/minikube@$MK_VERSION failed (see $log); check that the Go module proxy is reachable (go env GOPROXY)."
  rm -rf "$MK_SRC"
  mkdir -p "$(dirname "$MK_SRC")"
  cp -r "$dir" "$MK_SRC"
  chmod -R u+w "$MK_SRC"
  touch "$MK_SRC/.prepared"
}

# _mk_make_var NAME: a variable's default from minikube's Makefile (`NAME ?= value`).
_mk_make_var() { sed -n "s/^$1 ?= *//p" "$MK_SRC/Makefile" | head -n1; }

# mk_kube_version: the Kubernetes version this minikube starts by default and knows offline
# (a newer one makes `minikube start` look it up on GitHub, or needs --force).
mk_kube_version() { sed -n 's/^[[:space:]]*DefaultKubernetesVersion = "\(v[^"]*\)"/\1/p' "$MK_SRC/pkg/minikube/constants/constants.go"; }

# mk_kubeadm_image_tag NAME: the tag minikube expects for NAME (etcd, pause, coredns/coredns).
mk_kubeadm_image_tag() {
  awk -v ver="\"$(mk_kube_version)\": {" -v name="\"$1\":" '
    index($0, ver) { on = 1; next }
    on && /}/ { exit }
    on && index($0, name) { gsub(/[",]/, "", $2); print $2; exit }' \
    "$MK_SRC/pkg/minikube/constants/constants_kubeadm_images.go"
}

# _mk_build_minikube: minikube with the Makefile's version ldflags.
_mk_build_minikube() {
  local log commit ldflags tag
  _mk_source
  log="$(_mk_log minikube-build)"
  tag="$(_mk_make_var STORAGE_PROVISIONER_TAG)"
  mkdir -p "$MK_BIN"
  if [ ! -x "$MK_BIN/minikube" ]; then
    commit="$(sed -n 's/.*"Hash":"\([0-9a-f]*\)".*/\1/p' "$(go env GOMODCACHE)/cache/download/k8s.io/minikube/@v/$MK_VERSION.info")"
    ldflags="-X k8s.io/minikube/pkg/version.version=$MK_VERSION -X k8s.io/minikube/pkg/version.isoVersion=$(_mk_make_var ISO_VERSION)"
    ldflags+=" -X k8s.io/minikube/pkg/version.gitCommitID=${commit:-unknown} -X k8s.io/minikube/pkg/version.storageProvisionerVersion=$tag"
    say "building minikube $MK_VERSION (cold: 3-25 min, by the machine's load; log: $log)"
    (cd "$MK_SRC" && CGO_ENABLED=0 nice -n 15 go build -mod=mod -ldflags "$ldflags" -o "$MK_BIN/minikube.tmp" ./cmd/minikube) >>"$log" 2>&1 \
      || die "building minikube failed; the last lines of $log say why."
    mv "$MK_BIN/minikube.tmp" "$MK_BIN/minikube"
    [ "$("$MK_BIN/minikube" version --short 2>/dev/null)" = "$MK_VERSION" ] \
      || die "$MK_BIN/minikube does not report $MK_VERSION; delete $MK_BIN/minikube and run again."
  fi
}

# The storage-provisioner tag minikube asks for (STORAGE_PROVISIONER_TAG, v5) dates from minikube
# commit e2c02ed6 ("bump storage provisioner image", PR #10951, first released in v1.19.0) and was
# never bumped since: built from a newer module, its client-go refuses the Endpoints lock it takes.
# The Go proxy does not serve k8s.io/minikube v1.19.0, so its provisioner source (unchanged since,
# bar two renamed parameters) is built against v1.19.0's go.mod versions of what it imports.
MK_PROVISIONER_TAG="v5"
MK_PROVISIONER_RELEASE="v1.19.0"
MK_PROVISIONER_REQUIRES="github.com/pkg/errors@v0.9.1 k8s.io/api@v0.20.5 k8s.io/apimachinery@v0.20.5 k8s.io/client-go@v0.20.5
  k8s.io/klog/v2@v2.8.0 sigs.k8s.io/sig-storage-lib-external-provisioner/v6@v6.3.0"
mk_provisioner_bin() { printf '%s/storage-provisioner-%s\n' "$MK_BIN" "$MK_PROVISIONER_TAG"; }

# _mk_build_provisioner: the storage-provisioner binary of MK_PROVISIONER_TAG (see above).
_mk_build_provisioner() {
  local tag src="$MK_TOOLS/src/storage-provisioner-$MK_PROVISIONER_TAG" log out args=() mod
  out="$(mk_provisioner_bin)"
  tag="$(_mk_make_var STORAGE_PROVISIONER_TAG)"
  [ "$tag" = "$MK_PROVISIONER_TAG" ] \
    || die "minikube $MK_VERSION expects storage-provisioner $tag, but scripts/lib/minikube.sh builds $MK_PROVISIONER_TAG; update MK_PROVISIONER_* there."
  # The binary built from minikube's own module before this recipe (it exits at once) goes.
  rm -f "$MK_BIN/storage-provisioner"
  [ -x "$out" ] && return 0
  log="$(_mk_log storage-provisioner-build)"
  say "building storage-provisioner $tag with minikube $MK_PROVISIONER_RELEASE's dependencies (1-6 min; log: $log)"
  rm -rf "$src"; mkdir -p "$src/cmd" "$src/pkg"
  cp -r "$MK_SRC/cmd/storage-provisioner" "$src/cmd/"
  cp -r "$MK_SRC/pkg/storage" "$src/pkg/"
  for mod in $MK_PROVISIONER_REQUIRES; do args+=("-require=$mod"); done
  (cd "$src" && go mod init k8s.io/minikube && go mod edit -go=1.16 "${args[@]}" \
    && CGO_ENABLED=0 nice -n 15 go build -mod=mod -trimpath -o "$out.tmp" \
      -ldflags "-s -w -X k8s.io/minikube/pkg/storage.version=$tag" ./cmd/storage-provisioner) >>"$log" 2>&1 \
    || die "building storage-provisioner $tag failed (its modules come from the Go module proxy); the last lines of $log say why."
  mv "$out.tmp" "$out"
  rm -rf "$src"
}

# _mk_build_kubernetes: kube/build.sh recipe for minikube's Kubernetes version, plus kubeadm.
_mk_build_kubernetes() {
  # kube/build.sh reads these globals; local copies point it at minikube's version and cache.
  # shellcheck disable=SC2034
  local KUBE_VERSION KUBE_STAGING_VERSION KUBE_TOOLS="$MK_TOOLS/kubernetes" KUBE_LOGS="$MK_LOGS" KUBE_BIN
  # shellcheck disable=SC2034
  local KUBE_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm)
  KUBE_VERSION="$(mk_kube_version)"
  # shellcheck disable=SC2034
  KUBE_STAGING_VERSION="v0.${KUBE_VERSION#v1.}"
  KUBE_BIN="$KUBE_TOOLS/$KUBE_VERSION/bin"
  if [ ! -f "$KUBE_BIN/.built" ]; then
    # Under nice -n 15 like every build here: the other tool builds are the session's critical path.
    # shellcheck disable=SC2317  # called by kube/build.sh
    nice() { command nice -n 15 "$@"; }
    kube::build::binaries
    unset -f nice
  fi
  _mk_build_kubeadm
}

# _mk_build_kubeadm: kubeadm again, with the Go release the Kubernetes source names (.go-version),
# fetched as a toolchain module: built with Go 1.26, its HTTPProxyCIDR preflight check fails with
# 'parse "https://[10.96.0.1]:1234/": invalid IP-literal' (newer Go rejects bracketed IPv4).
_mk_build_kubeadm() {
  local src="$KUBE_TOOLS/$KUBE_VERSION/src" go_version log
  go_version="go$(cat "$src/.go-version")"
  [ -f "$KUBE_BIN/.kubeadm-$go_version" ] && return 0
  log="$(_mk_log kubeadm-build)"
  say "building kubeadm $KUBE_VERSION with $go_version (its release's Go; log: $log)"
  (cd "$src" && GOTOOLCHAIN="$go_version" CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n 15 go build -trimpath \
    -ldflags "$(kube::build::ldflags)" -o "$KUBE_BIN/kubeadm.tmp" ./cmd/kubeadm) >>"$log" 2>&1 \
    || die "building kubeadm with $go_version failed (GOTOOLCHAIN comes from the Go module proxy); see $log."
  mv "$KUBE_BIN/kubeadm.tmp" "$KUBE_BIN/kubeadm"
  touch "$KUBE_BIN/.kubeadm-$go_version"
}

mk_kube_bin() { printf '%s/kubernetes/%s/bin\n' "$MK_TOOLS" "$(mk_kube_version)"; }

# _mk_build_etcd: etcd of the tag kubeadm expects, from go.etcd.io/etcd/server/v3 (its ../ replaces
# swapped for the published modules of the same release).
_mk_build_etcd() {
  local tag ver dir src log mod args=()
  tag="$(mk_kubeadm_image_tag etcd)"; ver="v${tag%-*}"
  [ -x "$MK_BIN/etcd-$ver" ] && return 0
  log="$(_mk_log etcd-build)"
  say "building etcd $ver from the Go module proxy (log: $log)"
  dir="$(go mod download -json "go.etcd.io/etcd/server/v3@$ver" 2>>"$log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "${dir:-/nonexistent}" ] || die "go mod download go.etcd.io/etcd/server/v3@$ver failed (see $log)."
  src="$MK_TOOLS/src/etcd-server-$ver"
  rm -rf "$src"; mkdir -p "$MK_TOOLS/src"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  while IFS= read -r mod; do
    args+=("-dropreplace=$mod" "-require=$mod@$ver")
  done < <(sed -n 's#^[[:space:]]*\(go\.etcd\.io/etcd/[^ ]*\) => \.\./.*#\1#p' "$src/go.mod")
  (cd "$src" && go mod edit "${args[@]}" && CGO_ENABLED=0 nice -n 15 go build -mod=mod -trimpath -ldflags "-s -w" -o "$MK_BIN/etcd-$ver" .) >>"$log" 2>&1 \
    || die "building etcd $ver failed; the last lines of $log say why."
  rm -rf "$src"
}

# _mk_go_install NAME MODULE@VERSION [LDFLAGS]: a static binary from the Go proxy into $MK_BIN/NAME-VERSION.
_mk_go_install() {
  local name="$1" target="$2" ldflags="${3:-}" out log tmp
  out="$MK_BIN/$name-${target##*@}"
  [ -x "$out" ] && return 0
  log="$(_mk_log "$name-build")"
  say "building $name ${target##*@} with go install (log: $log)"
  tmp="$(mktemp -d)"
  GOBIN="$tmp" CGO_ENABLED=0 nice -n 15 go install -trimpath -ldflags "-s -w $ldflags" "$target" >>"$log" 2>&1 \
    || { rm -rf "$tmp"; die "go install $target failed; the last lines of $log say why."; }
  mv "$tmp/$name" "$out"
  rm -rf "$tmp"
}

# _mk_docker: trixie's docker.io, containerd and tini unpacked with dpkg -x (downloaded by apt
# from a private trixie source list, so the machine's own apt state and docker.io stay untouched).
# The node's runc stays the machine's (trixie's needs a newer glibc than Debian 12 has).
_mk_docker() {
  local apt="$MK_TOOLS/apt-trixie" log opts deb
  [ -x "$MK_DOCKER/usr/sbin/dockerd" ] && return 0
  log="$(_mk_log docker-download)"
  say "fetching Debian trixie's docker.io $DOCKER_DEB_VERSION (apt-get download; log: $log)"
  mkdir -p "$apt/lists/partial" "$apt/cache" "$apt/debs"
  printf 'deb %s trixie main\n' "$(debian_mirror)" >"$apt/sources.list"
  opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update >>"$log" 2>&1 || die "apt-get update of the trixie list failed (see $log); the machine must reach its Debian mirror."
  (cd "$apt/debs" && apt-get "${opts[@]}" download docker.io containerd tini) >>"$log" 2>&1 \
    || die "apt-get download docker.io containerd tini (trixie) failed; see $log."
  case "$(basename "$apt"/debs/docker.io_*.deb)" in
    docker.io_"$DOCKER_DEB_VERSION"*) ;;
    *) die "trixie offers $(basename "$apt"/debs/docker.io_*.deb), not docker.io $DOCKER_DEB_VERSION; update DOCKER_DEB_VERSION in scripts/lib/minikube.sh." ;;
  esac
  rm -rf "$MK_DOCKER.tmp"; mkdir -p "$MK_DOCKER.tmp"
  for deb in "$apt"/debs/*.deb; do dpkg -x "$deb" "$MK_DOCKER.tmp" >>"$log" 2>&1 || die "dpkg -x $deb failed; see $log."; done
  rm -f "$MK_DOCKER.tmp/usr/sbin/runc"
  rm -rf "$MK_DOCKER"; mv "$MK_DOCKER.tmp" "$MK_DOCKER"
  rm -rf "$apt/debs"
}

# _mk_rootfs NAME SUITE PACKAGES: a debootstrap minbase tree with PACKAGES, in $MK_TOOLS/rootfs/NAME.
_mk_rootfs() {
  local name="$1" suite="$2" packages="$3" dir="$MK_TOOLS/rootfs/$1" log
  [ -f "$dir/.done" ] && { printf '%s\n' "$dir"; return 0; }
  apt_install debootstrap
  log="$(_mk_log "rootfs-$name")"
  say "debootstrap $suite for the $name stand-in (1-3 min; log: $log)"
  rm -rf "$dir"; mkdir -p "$dir"
  nice -n 15 debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$(debian_mirror)" >>"$log" 2>&1 \
    || die "debootstrap $suite failed; see $log (the machine must reach its Debian mirror)."
  rm -rf "$dir/var/lib/apt/lists/"* "$dir/var/cache/apt/"*
  touch "$dir/.done"
  printf '%s\n' "$dir"
}

# _mk_image NAME DIR CHANGE...: DIR as an image tarball named NAME, with `docker import --change` lines.
_mk_image() {
  local name="$1" dir="$2" file
  shift 2
  file="$MK_IMAGES/$(printf '%s' "$name" | tr '/:' '__')"
  mkdir -p "$MK_IMAGES"
  tar --exclude=./.done --numeric-owner -C "$dir" -cf "$file.tar.tmp" . || die "packing $dir for $name failed."
  printf '%s\n' "$name" "$@" >"$file.changes"
  mv "$file.tar.tmp" "$file.tar"
}

# _mk_binary_image NAME PATH-IN-IMAGE BINARY CHANGE...: a one-binary image (the upstream ones are
# distroless), packed again when BINARY is newer than its tarball.
_mk_binary_image() {
  local name="$1" target="$2" binary="$3" dir
  shift 3
  [ "$MK_IMAGES/$(printf '%s' "$name" | tr '/:' '__').tar" -nt "$binary" ] && return 0
  dir="$(mktemp -d)"
  install -D -m 0755 "$binary" "$dir$target"
  mkdir -p "$dir/tmp" "$dir/etc"; chmod 1777 "$dir/tmp"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ca-certificates.crt" 2>/dev/null || true
  _mk_image "$name" "$dir" "ENV PATH=/usr/local/bin:/usr/bin:/bin" "$@"
  rm -rf "$dir"
}

# _mk_kicbase: the node image. Upstream is Ubuntu 22.04 with these packages; Debian 12 here because
# its systemd (252) still boots on this kernel's cgroup v1 (trixie's 257 refuses it). The steps
# follow minikube's deploy/kicbase/Dockerfile for what a containerd node needs.
_mk_kicbase() {
  local name="$MK_BASE_IMAGE" dir kb="$MK_SRC/deploy/kicbase" file
  file="$MK_IMAGES/$(printf '%s' "$name" | tr '/:' '__').tar"
  [ -f "$file" ] && return 0
  local rootfs
  rootfs="$(_mk_rootfs kicbase bookworm "$MK_KICBASE_PACKAGES")"
  say "configuring the kicbase stand-in $name"
  # The debootstrap tree stays pristine (a recipe change costs a copy, not a debootstrap).
  dir="$(mktemp -d "$MK_TOOLS/kicbase.XXXXXX")"
  cp -a "$rootfs/." "$dir/"
  rm -f "$dir/.done"
  install -m 0644 "$kb/10-network-security.conf" "$kb/11-tcp-mtu-probing.conf" "$dir/etc/sysctl.d/"
  install -D -m 0644 "$kb/containerd.toml" "$dir/etc/containerd/config.toml"
  # This machine's capability bounding set lacks CAP_SYS_RESOURCE, so runc cannot lower a pod
  # sandbox's oom_score_adj ("can't get final child's PID from pipe: EOF"); containerd must clamp it.
  # Written without spaces so minikube's `restrict_oom_score_adj = ...` rewrite leaves it be.
  sed -i -E 's/^( *)restrict_oom_score_adj = .*/\1restrict_oom_score_adj=true/' "$dir/etc/containerd/config.toml"
  grep -q 'restrict_oom_score_adj=true' "$dir/etc/containerd/config.toml" \
    || die "minikube's containerd.toml has no restrict_oom_score_adj line to set; the kicbase recipe needs updating."
  install -D -m 0644 "$kb/containerd_docker_io_hosts.toml" "$dir/etc/containerd/certs.d/docker.io/hosts.toml"
  install -m 0755 "$kb/entrypoint" "$dir/usr/local/bin/entrypoint"
  install -m 0755 "$kb/automount/minikube-automount" "$dir/usr/sbin/minikube-automount"
  install -m 0644 "$kb/automount/minikube-automount.service" "$dir/usr/lib/systemd/system/minikube-automount.service"
  install -D -m 0755 "$kb/scheduled-stop/minikube-scheduled-stop" "$dir/var/lib/minikube/scheduled-stop/minikube-scheduled-stop"
  install -m 0644 "$kb/scheduled-stop/minikube-scheduled-stop.service" "$dir/usr/lib/systemd/system/minikube-scheduled-stop.service"
  install -m 0755 "$MK_BIN/crictl-$CRICTL_VERSION" "$dir/usr/local/bin/crictl"
  # Debian installs the CNI plugins in /usr/lib/cni; minikube and kubelet look in /opt/cni/bin.
  mkdir -p "$dir/opt/cni"; ln -sfn /usr/lib/cni "$dir/opt/cni/bin"
  printf '{"iso_version": "%s", "kicbase_version": "todo-standin", "minikube_version": "%s", "commit": "standin"}\n' \
    "$(_mk_make_var ISO_VERSION)" "$MK_VERSION" >"$dir/version.json"
  chroot "$dir" /bin/sh -eu -c '
    find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
    rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
      /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
      /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
    echo "ReadKMsg=no" >> /etc/systemd/journald.conf
    mkdir -p /etc/kubernetes/manifests /etc/cni/net.d /var/run/sshd /kind /etc/systemd/system/multi-user.target.wants
    ln -fs /usr/lib/systemd/system/minikube-automount.service /etc/systemd/system/multi-user.target.wants/minikube-automount.service
    ln -fs /lib/systemd/system/ssh.service /etc/systemd/system/multi-user.target.wants/ssh.service
    sed -i -E "s#^(hosts:[[:space:]]*).*#\1files dns#" /etc/nsswitch.conf
    sed -ri "s/UsePAM yes/#UsePAM yes/g" /etc/ssh/sshd_config
    # Minikube runs kubeadm through sudo env PATH=... over ssh; Debian sshd default PATH lacks sbin.
    echo "SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" >> /etc/ssh/sshd_config
    groupadd --system docker
    useradd --create-home --gid docker --groups sudo --shell /bin/bash docker
    # No password, yet not locked: sshd (without PAM) refuses locked accounts even with a key.
    usermod -p "*" docker
    mkdir -p /home/docker/.ssh && chown docker:docker /home/docker/.ssh
    echo "%sudo ALL=(ALL) NOPASSWD:ALL" >> /etc/sudoers
    rm -f /etc/ssh/ssh_host_*
    rm -rf /usr/share/doc/* /usr/share/man/*
  ' >>"$(_mk_log rootfs-kicbase)" 2>&1 || die "configuring the kicbase rootfs failed; see $(_mk_log rootfs-kicbase)."
  # sshd needs host keys; minikube's image has them generated at build time too.
  chroot "$dir" ssh-keygen -A >>"$(_mk_log rootfs-kicbase)" 2>&1 || die "ssh-keygen -A in the kicbase rootfs failed."
  _mk_image "$name" "$dir" "ENV container=docker" "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "STOPSIGNAL SIGRTMIN+3" "EXPOSE 22" \
    'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'
  rm -rf "$dir"
}

# _mk_tools_image NAME BINARY-OR-EMPTY TARGET CHANGE...: a Debian image with iptables, conntrack and
# socat (kube-proxy needs the first two; the registry proxy stand-in the last), one binary added.
_mk_tools_image() {
  local name="$1" binary="$2" target="$3" dir file
  shift 3
  file="$MK_IMAGES/$(printf '%s' "$name" | tr '/:' '__').tar"
  [ -f "$file" ] && return 0
  dir="$(_mk_rootfs tools bookworm "iptables,conntrack,socat,ipset,kmod,ca-certificates")"
  local stage
  stage="$(mktemp -d)"
  cp -a "$dir/." "$stage/"
  [ -z "$binary" ] || install -D -m 0755 "$binary" "$stage$target"
  _mk_image "$name" "$stage" "$@"
  rm -rf "$stage"
}

# _mk_images: every image the node runs, under the names minikube and kubeadm ask for.
_mk_images() {
  local kv kbin repo=registry.k8s.io
  kv="$(mk_kube_version)"; kbin="$(mk_kube_bin)"
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    _mk_binary_image "$repo/$c:$kv" "/usr/local/bin/$c" "$kbin/$c"
  done
  _mk_tools_image "$repo/kube-proxy:$kv" "$kbin/kube-proxy" /usr/local/bin/kube-proxy "ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  local etcd_tag etcd_ver
  etcd_tag="$(mk_kubeadm_image_tag etcd)"; etcd_ver="v${etcd_tag%-*}"
  _mk_binary_image "$repo/etcd:$etcd_tag" /usr/local/bin/etcd "$MK_BIN/etcd-$etcd_ver"
  _mk_binary_image "$repo/coredns/coredns:$(mk_kubeadm_image_tag coredns/coredns)" /coredns \
    "$MK_BIN/coredns-$(mk_kubeadm_image_tag coredns/coredns)" 'ENTRYPOINT ["/coredns"]' "USER 65532:65532"
  _mk_pause_image "$repo/pause:$(mk_kubeadm_image_tag pause)"
  _mk_binary_image "gcr.io/k8s-minikube/storage-provisioner:$(_mk_make_var STORAGE_PROVISIONER_TAG)" /storage-provisioner \
    "$(mk_provisioner_bin)" 'CMD ["/storage-provisioner"]'
  _mk_registry_image
  # The upstream proxy forwards the node's port 5000 (hostPort) to the registry Service.
  # shellcheck disable=SC2016  # expanded by the container's shell, from the addon's env
  _mk_tools_image "$MK_REGISTRY_PROXY_IMAGE" "" "" "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin" \
    'CMD ["/bin/sh", "-c", "exec socat TCP-LISTEN:80,fork,reuseaddr TCP:${REGISTRY_HOST}:${REGISTRY_PORT}"]'
  _mk_kicbase
}

# _mk_pause_image NAME: the sandbox image from the kubernetes module's own pause.c, static
# (the flags of build/pause/Makefile).
_mk_pause_image() {
  local name="$1" dir src log
  [ -f "$MK_IMAGES/$(printf '%s' "$name" | tr '/:' '__').tar" ] && return 0
  src="$(mk_kube_bin)/../src/build/pause/linux/pause.c"
  have gcc || apt_install gcc libc6-dev
  log="$(_mk_log pause-build)"
  dir="$(mktemp -d)"
  gcc -Os -Wall -Werror -static -DVERSION="v${name##*:}-todo" -o "$dir/pause" "$src" >>"$log" 2>&1 \
    || die "gcc -static of $src failed (see $log); Debian: apt-get install gcc libc6-dev."
  _mk_image "$name" "$dir" 'ENTRYPOINT ["/pause"]' "USER 65535:65535"
  rm -rf "$dir"
}

# _mk_registry_image: distribution's registry with the config its official image ships (rebuilt
# when that config changes; the tarball's config is kept beside it to compare).
_mk_registry_image() {
  local dir tar config="$REPO_ROOT/tests/minikube/standins/registry-config.yml"
  tar="$MK_IMAGES/$(printf '%s' "$MK_REGISTRY_IMAGE" | tr '/:' '__').tar"
  [ -f "$tar" ] && cmp -s "$config" "$tar.config.yml" && return 0
  dir="$(mktemp -d)"
  install -D -m 0755 "$MK_BIN/registry-$MK_DISTRIBUTION_VERSION" "$dir/bin/registry"
  install -D -m 0644 "$config" "$dir/etc/distribution/config.yml"
  mkdir -p "$dir/var/lib/registry" "$dir/tmp"; chmod 1777 "$dir/tmp"
  _mk_image "$MK_REGISTRY_IMAGE" "$dir" "EXPOSE 5000" "VOLUME /var/lib/registry" \
    'ENTRYPOINT ["/bin/registry"]' 'CMD ["serve", "/etc/distribution/config.yml"]'
  cp "$config" "$tar.config.yml"
  rm -rf "$dir"
}

# _mk_binary_cache: kubeadm, kubelet and kubectl where minikube looks before downloading them.
_mk_binary_cache() {
  local dir b
  # Minikube keeps its state in $MINIKUBE_HOME/.minikube (unless the path already ends so).
  dir="$MK_HOME/.minikube/cache/linux/amd64/$(mk_kube_version)"
  mkdir -p "$dir"
  for b in kubeadm kubelet kubectl; do
    cmp -s "$(mk_kube_bin)/$b" "$dir/$b" || install -m 0755 "$(mk_kube_bin)/$b" "$dir/$b"
  done
}

# mk_build: everything a Minikube run needs here, built or fetched once (each step skips what exists).
mk_build() {
  local start=$SECONDS coredns
  have go || die "Go is missing. Install Go 1.24+ (https://go.dev/doc/install, or /usr/local/go/bin on PATH) and run again."
  have apt-get || die "this needs a Debian/Ubuntu machine (apt-get) for debootstrap and Debian's docker.io."
  [ "$(id -u)" -eq 0 ] || die "building the node image (debootstrap, chroot) needs root; run as root."
  mkdir -p "$MK_TOOLS"
  _mk_source
  _mk_build_minikube
  _mk_build_provisioner
  _mk_docker
  _mk_build_kubernetes
  _mk_build_etcd
  coredns="$(mk_kubeadm_image_tag coredns/coredns)"
  _mk_go_install coredns "github.com/coredns/coredns@$coredns" "-X github.com/coredns/coredns/coremain.GitCommit=$coredns"
  _mk_go_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION"
  _mk_go_install registry "github.com/distribution/distribution/v3/cmd/registry@$MK_DISTRIBUTION_VERSION" \
    "-X github.com/distribution/distribution/v3/version.version=$MK_DISTRIBUTION_VERSION"
  _mk_images
  _mk_binary_cache
  say "Minikube tools complete in $((SECONDS - start)) s: $MK_TOOLS ($(du -sh "$MK_TOOLS" 2>/dev/null | cut -f1))"
}

# mk_missing: what mk_build has not made yet, one line each with the command that makes it.
mk_missing() {
  local gaps=() f
  [ -x "$MK_BIN/minikube" ] || gaps+=("minikube $MK_VERSION")
  [ -x "$(mk_provisioner_bin)" ] || gaps+=("storage-provisioner $MK_PROVISIONER_TAG")
  [ -x "$MK_DOCKER/usr/sbin/dockerd" ] || gaps+=("Debian trixie's dockerd $DOCKER_DEB_VERSION")
  if [ -f "$MK_SRC/.prepared" ]; then
    [ -f "$(mk_kube_bin)/.built" ] && [ -n "$(ls "$(mk_kube_bin)"/.kubeadm-go* 2>/dev/null)" ] \
      || gaps+=("Kubernetes $(mk_kube_version) (kubeadm, kubelet, control plane)")
  fi
  [ -f "$MK_IMAGES/$(printf '%s' "$MK_BASE_IMAGE" | tr '/:' '__').tar" ] || gaps+=("the stand-in image set (node, control plane, addons)")
  cmp -s "$REPO_ROOT/tests/minikube/standins/registry-config.yml" \
    "$MK_IMAGES/$(printf '%s' "$MK_REGISTRY_IMAGE" | tr '/:' '__').tar.config.yml" \
    || gaps+=("the registry addon's stand-in $MK_REGISTRY_IMAGE with tests/minikube/standins/registry-config.yml")
  for f in ${gaps[@]+"${gaps[@]}"}; do
    printf '%s is not built; build it: scripts/minikube build\n' "$f"
  done
}

_mk_dkr() { DOCKER_HOST="$MK_DOCKER_HOST" env -u DOCKER_CONTEXT "$DOCKER_CLI" "$@"; }
_mk_daemon_answers() { _mk_dkr info >/dev/null 2>&1; }

# _mk_egress_if: the interface of the machine's default route (where node traffic must never go).
_mk_egress_if() { ip -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'; }

# _mk_firewall add|del: drop anything from Minikube's networks bound off the machine. This daemon
# runs without iptables (the machine's dockerd owns those chains), so it adds no NAT either.
_mk_firewall() {
  local op="$1" ifc
  ifc="$(_mk_egress_if)"
  [ -n "$ifc" ] || return 0
  local rule=(FORWARD -s "$MK_SUBNETS" -o "$ifc" -m comment --comment "$MK_FW_COMMENT" -j DROP)
  case "$op" in
    add) iptables -C "${rule[@]}" 2>/dev/null || iptables -I "${rule[@]}" ;;
    del) while iptables -D "${rule[@]}" 2>/dev/null; do :; done ;;
  esac
}

# mk_daemon_up: starts the second dockerd (socket $MK_RUN/docker.sock, data $MK_DOCKER_ROOT) unless
# it answers, then imports the images it lacks. Machine-side test setup only.
mk_daemon_up() {
  apt_install docker.io runc iptables
  [ -x "$MK_DOCKER/usr/sbin/dockerd" ] || die "Debian trixie's dockerd is not unpacked; build it: scripts/minikube build"
  _mk_firewall add
  if ! _mk_daemon_answers; then
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
    for _ in $(seq 60); do _mk_daemon_answers && break; sleep 1; done
    _mk_daemon_answers || die "the Minikube dockerd did not answer within 60 s; see $MK_LOGS/dockerd.log"
  fi
  local changes name args line created
  for changes in "$MK_IMAGES"/*.changes; do
    [ -e "$changes" ] || die "no images in $MK_IMAGES; build them: scripts/minikube build"
    name="$(head -n1 "$changes")"
    # An image imported before its tarball was last rebuilt is stale (the names do not change).
    created="$(_mk_dkr image inspect --format '{{.Created}}' "$name" 2>/dev/null || true)"
    if [ -n "$created" ] && [ "$(date -d "$created" +%s)" -ge "$(stat -c %Y "${changes%.changes}.tar")" ]; then
      continue
    fi
    args=()
    while IFS= read -r line; do args+=(--change "$line"); done < <(tail -n +2 "$changes")
    say "importing $name into the Minikube dockerd"
    _mk_dkr import "${args[@]}" "${changes%.changes}.tar" "$name" >/dev/null || die "docker import of $name failed."
    # Minikube's image cache would carry the old image into every new node; it refills from here.
    rm -f "$MK_HOME/.minikube/cache/images/$(dpkg --print-architecture)/${name%:*}_${name##*:}"
  done
}

# mk_daemon_down: stops the daemon mk_daemon_up started (by its pid file) and removes the rule.
mk_daemon_down() {
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
  _mk_firewall del
}

# mk_env: the environment of a Minikube run here, as shell assignments: the daemon, minikube's
# home with its binary cache, the tools on PATH and the documented scripts/up overrides.
mk_env() {
  cat <<ENV
export DOCKER_HOST=$MK_DOCKER_HOST
export MINIKUBE_HOME=$MK_HOME
export MINIKUBE_IN_STYLE=false
# CI runs as root, where the docker driver refuses to start without --force (minikube reads its
# flags from MINIKUBE_* variables too); users run minikube as themselves and never need it.
export MINIKUBE_FORCE=true
export PATH=$MK_BIN:$(mk_kube_bin):\$PATH
export MINIKUBE_DRIVER=docker
export MINIKUBE_BASE_IMAGE=$MK_BASE_IMAGE
export MINIKUBE_KUBERNETES_VERSION=$(mk_kube_version)
export MINIKUBE_CONTAINER_RUNTIME=containerd
export MINIKUBE_CNI=bridge
export MINIKUBE_PRELOAD=false
export MINIKUBE_REGISTRY_IMAGES=Registry=${MK_REGISTRY_IMAGE#*/},KubeRegistryProxy=${MK_REGISTRY_PROXY_IMAGE#*/}
export MINIKUBE_REGISTRY_REGISTRIES=Registry=${MK_REGISTRY_IMAGE%%/*},KubeRegistryProxy=${MK_REGISTRY_PROXY_IMAGE%%/*}
ENV
}

# _mk_copy_image NAME: an image of the machine's dockerd, copied into Minikube's (unless there).
_mk_copy_image() {
  _mk_dkr image inspect "$1" >/dev/null 2>&1 && return 0
  say "copying $1 into the Minikube dockerd"
  DOCKER_HOST=unix:///var/run/docker.sock env -u DOCKER_CONTEXT "$DOCKER_CLI" save "$1" | _mk_dkr load -q >/dev/null \
    || die "copying $1 between the two Docker daemons failed (docker save | docker load)."
}
