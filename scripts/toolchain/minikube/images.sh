# shellcheck shell=bash
# Images: every image the node runs, as rootfs tarballs in $MK_IMAGES with their `docker import
# --change` lines: the kicbase node image (kicbase-setup.sh), the control plane, etcd, CoreDNS,
# pause, the storage-provisioner and the registry addon's stand-ins (sourced by init.sh).

# minikube::images::file NAME: the tarball of image NAME in $MK_IMAGES, without its .tar extension.
minikube::images::file() { printf '%s/%s\n' "$MK_IMAGES" "$(printf '%s' "$1" | tr '/:' '__')"; }

# minikube::images::rootfs NAME SUITE PACKAGES: a debootstrap minbase tree with PACKAGES, in $MK_TOOLS/rootfs/NAME.
minikube::images::rootfs() {
  local name="$1" suite="$2" packages="$3" dir="$MK_TOOLS/rootfs/$1" log
  [ -f "$dir/.done" ] && { printf '%s\n' "$dir"; return 0; }
  apt_install debootstrap
  log="$(minikube::log "rootfs-$name")"
  say "debootstrap $suite for the $name stand-in (1-3 min; log: $log)"
  rm -rf "$dir"; mkdir -p "$dir"
  nice -n 15 debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$(debian_mirror)" >>"$log" 2>&1 \
    || die "debootstrap $suite failed; see $log (the machine must reach its Debian mirror)."
  rm -rf "$dir/var/lib/apt/lists/"* "$dir/var/cache/apt/"*
  touch "$dir/.done"
  printf '%s\n' "$dir"
}

# minikube::images::pack NAME DIR CHANGE...: DIR as an image tarball named NAME, with `docker import --change` lines.
minikube::images::pack() {
  local name="$1" dir="$2" file
  shift 2
  file="$(minikube::images::file "$name")"
  mkdir -p "$MK_IMAGES"
  tar --exclude=./.done --numeric-owner -C "$dir" -cf "$file.tar.tmp" . || die "packing $dir for $name failed."
  printf '%s\n' "$name" "$@" >"$file.changes"
  mv "$file.tar.tmp" "$file.tar"
}

# minikube::images::binary NAME PATH-IN-IMAGE BINARY CHANGE...: a one-binary image (the upstream ones are
# distroless), packed again when BINARY is newer than its tarball.
minikube::images::binary() {
  local name="$1" target="$2" binary="$3" dir
  shift 3
  [ "$(minikube::images::file "$name").tar" -nt "$binary" ] && return 0
  dir="$(mktemp -d)"
  install -D -m 0755 "$binary" "$dir$target"
  mkdir -p "$dir/tmp" "$dir/etc"; chmod 1777 "$dir/tmp"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ca-certificates.crt" 2>/dev/null || true
  minikube::images::pack "$name" "$dir" "ENV PATH=/usr/local/bin:/usr/bin:/bin" "$@"
  rm -rf "$dir"
}

# minikube::images::kicbase: the node image. Upstream is Ubuntu 22.04 with these packages; Debian 12 here because
# its systemd (252) still boots on this kernel's cgroup v1 (trixie's 257 refuses it). The steps
# follow minikube's deploy/kicbase/Dockerfile for what a containerd node needs.
minikube::images::kicbase() {
  local name="$MK_BASE_IMAGE" dir kb="$MK_SRC/deploy/kicbase" file
  file="$(minikube::images::file "$name").tar"
  [ -f "$file" ] && return 0
  local rootfs
  rootfs="$(minikube::images::rootfs kicbase bookworm "$MK_KICBASE_PACKAGES")"
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
    "$(minikube::source::make_var ISO_VERSION)" "$MK_VERSION" >"$dir/version.json"
  chroot "$dir" /bin/sh -eu -c "$(cat "$MK_DIR/kicbase-setup.sh")" >>"$(minikube::log rootfs-kicbase)" 2>&1 || die "configuring the kicbase rootfs failed; see $(minikube::log rootfs-kicbase)."
  # sshd needs host keys; minikube's image has them generated at build time too.
  chroot "$dir" ssh-keygen -A >>"$(minikube::log rootfs-kicbase)" 2>&1 || die "ssh-keygen -A in the kicbase rootfs failed."
  minikube::images::pack "$name" "$dir" "ENV container=docker" "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "STOPSIGNAL SIGRTMIN+3" "EXPOSE 22" \
    'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'
  rm -rf "$dir"
}

# minikube::images::tools NAME BINARY-OR-EMPTY TARGET CHANGE...: a Debian image with iptables, conntrack and
# socat (kube-proxy needs the first two; the registry proxy stand-in the last), one binary added.
minikube::images::tools() {
  local name="$1" binary="$2" target="$3" dir file
  shift 3
  file="$(minikube::images::file "$name").tar"
  [ -f "$file" ] && return 0
  dir="$(minikube::images::rootfs tools bookworm "iptables,conntrack,socat,ipset,kmod,ca-certificates")"
  local stage
  stage="$(mktemp -d)"
  cp -a "$dir/." "$stage/"
  [ -z "$binary" ] || install -D -m 0755 "$binary" "$stage$target"
  minikube::images::pack "$name" "$stage" "$@"
  rm -rf "$stage"
}

# minikube::images::all: every image the node runs, under the names minikube and kubeadm ask for.
minikube::images::all() {
  local kv kbin repo=registry.k8s.io
  kv="$(minikube::source::kube_version)"; kbin="$(minikube::build::kube_bin)"
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    minikube::images::binary "$repo/$c:$kv" "/usr/local/bin/$c" "$kbin/$c"
  done
  minikube::images::tools "$repo/kube-proxy:$kv" "$kbin/kube-proxy" /usr/local/bin/kube-proxy "ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  local etcd_tag etcd_ver
  etcd_tag="$(minikube::source::image_tag etcd)"; etcd_ver="v${etcd_tag%-*}"
  minikube::images::binary "$repo/etcd:$etcd_tag" /usr/local/bin/etcd "$MK_BIN/etcd-$etcd_ver"
  minikube::images::binary "$repo/coredns/coredns:$(minikube::source::image_tag coredns/coredns)" /coredns \
    "$MK_BIN/coredns-$(minikube::source::image_tag coredns/coredns)" 'ENTRYPOINT ["/coredns"]' "USER 65532:65532"
  minikube::images::pause "$repo/pause:$(minikube::source::image_tag pause)"
  minikube::images::binary "gcr.io/k8s-minikube/storage-provisioner:$(minikube::source::make_var STORAGE_PROVISIONER_TAG)" /storage-provisioner \
    "$(minikube::build::provisioner_bin)" 'CMD ["/storage-provisioner"]'
  minikube::images::registry
  # The upstream proxy forwards the node's port 5000 (hostPort) to the registry Service.
  # shellcheck disable=SC2016  # expanded by the container's shell, from the addon's env
  minikube::images::tools "$MK_REGISTRY_PROXY_IMAGE" "" "" "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin" \
    'CMD ["/bin/sh", "-c", "exec socat TCP-LISTEN:80,fork,reuseaddr TCP:${REGISTRY_HOST}:${REGISTRY_PORT}"]'
  minikube::images::kicbase
}

# minikube::images::pause NAME: the sandbox image from the kubernetes module's own pause.c, static
# (the flags of build/pause/Makefile).
minikube::images::pause() {
  local name="$1" dir src log
  [ -f "$(minikube::images::file "$name").tar" ] && return 0
  src="$(minikube::build::kube_bin)/../src/build/pause/linux/pause.c"
  have gcc || apt_install gcc libc6-dev
  log="$(minikube::log pause-build)"
  dir="$(mktemp -d)"
  gcc -Os -Wall -Werror -static -DVERSION="v${name##*:}-todo" -o "$dir/pause" "$src" >>"$log" 2>&1 \
    || die "gcc -static of $src failed (see $log); Debian: apt-get install gcc libc6-dev."
  minikube::images::pack "$name" "$dir" 'ENTRYPOINT ["/pause"]' "USER 65535:65535"
  rm -rf "$dir"
}

# minikube::images::registry: distribution's registry with the config its official image ships (rebuilt
# when that config changes; the tarball's config is kept beside it to compare).
minikube::images::registry() {
  local dir tar config="$REPO_ROOT/tests/minikube/standins/registry-config.yml"
  tar="$(minikube::images::file "$MK_REGISTRY_IMAGE").tar"
  [ -f "$tar" ] && cmp -s "$config" "$tar.config.yml" && return 0
  dir="$(mktemp -d)"
  install -D -m 0755 "$MK_BIN/registry-$MK_DISTRIBUTION_VERSION" "$dir/bin/registry"
  install -D -m 0644 "$config" "$dir/etc/distribution/config.yml"
  mkdir -p "$dir/var/lib/registry" "$dir/tmp"; chmod 1777 "$dir/tmp"
  minikube::images::pack "$MK_REGISTRY_IMAGE" "$dir" "EXPOSE 5000" "VOLUME /var/lib/registry" \
    'ENTRYPOINT ["/bin/registry"]' 'CMD ["serve", "/etc/distribution/config.yml"]'
  cp "$config" "$tar.config.yml"
  rm -rf "$dir"
}
