# shellcheck shell=bash
# Building: minikube, the storage-provisioner, minikube's Kubernetes (kube/build.sh's recipe) and
# etcd from the Go module proxy, Debian trixie's dockerd unpacked, and minikube's binary cache
# (sourced by init.sh).

# minikube::build::minikube: minikube with the Makefile's version ldflags.
minikube::build::minikube() {
  local log commit ldflags tag
  minikube::source::fetch
  log="$(minikube::log minikube-build)"
  tag="$(minikube::source::make_var STORAGE_PROVISIONER_TAG)"
  mkdir -p "$MK_BIN"
  if [ ! -x "$MK_BIN/minikube" ]; then
    commit="$(sed -n 's/.*"Hash":"\([0-9a-f]*\)".*/\1/p' "$(go env GOMODCACHE)/cache/download/k8s.io/minikube/@v/$MK_VERSION.info")"
    ldflags="-X k8s.io/minikube/pkg/version.version=$MK_VERSION -X k8s.io/minikube/pkg/version.isoVersion=$(minikube::source::make_var ISO_VERSION)"
    ldflags+=" -X k8s.io/minikube/pkg/version.gitCommitID=${commit:-unknown} -X k8s.io/minikube/pkg/version.storageProvisionerVersion=$tag"
    say "building minikube $MK_VERSION (cold: 3-25 min, by the machine's load; log: $log)"
    (cd "$MK_SRC" && CGO_ENABLED=0 nice -n 15 go build -mod=mod -ldflags "$ldflags" -o "$MK_BIN/minikube.tmp" ./cmd/minikube) >>"$log" 2>&1 \
      || die "building minikube failed; the last lines of $log say why."
    mv "$MK_BIN/minikube.tmp" "$MK_BIN/minikube"
    [ "$("$MK_BIN/minikube" version --short 2>/dev/null)" = "$MK_VERSION" ] \
      || die "$MK_BIN/minikube does not report $MK_VERSION; delete $MK_BIN/minikube and run again."
  fi
}

minikube::build::provisioner_bin() { printf '%s/storage-provisioner-%s\n' "$MK_BIN" "$MK_PROVISIONER_TAG"; }

# minikube::build::provisioner: the storage-provisioner binary of MK_PROVISIONER_TAG (see above).
minikube::build::provisioner() {
  local tag src="$MK_TOOLS/src/storage-provisioner-$MK_PROVISIONER_TAG" log out args=() mod
  out="$(minikube::build::provisioner_bin)"
  tag="$(minikube::source::make_var STORAGE_PROVISIONER_TAG)"
  [ "$tag" = "$MK_PROVISIONER_TAG" ] \
    || die "minikube $MK_VERSION expects storage-provisioner $tag, but scripts/toolchain/minikube/init.sh builds $MK_PROVISIONER_TAG; update MK_PROVISIONER_* there."
  # The binary built from minikube's own module before this recipe (it exits at once) goes.
  rm -f "$MK_BIN/storage-provisioner"
  [ -x "$out" ] && return 0
  log="$(minikube::log storage-provisioner-build)"
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

# minikube::build::kubernetes: kube/build.sh recipe for minikube's Kubernetes version, plus kubeadm.
minikube::build::kubernetes() {
  # kube/build.sh reads these globals; local copies point it at minikube's version and cache.
  # shellcheck disable=SC2034
  local KUBE_VERSION KUBE_STAGING_VERSION KUBE_TOOLS="$MK_TOOLS/kubernetes" KUBE_LOGS="$MK_LOGS" KUBE_BIN
  # shellcheck disable=SC2034
  local KUBE_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm)
  KUBE_VERSION="$(minikube::source::kube_version)"
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
  minikube::build::kubeadm
}

# minikube::build::kubeadm: kubeadm again, with the Go release the Kubernetes source names (.go-version),
# fetched as a toolchain module: built with Go 1.26, its HTTPProxyCIDR preflight check fails with
# 'parse "https://[10.96.0.1]:1234/": invalid IP-literal' (newer Go rejects bracketed IPv4).
minikube::build::kubeadm() {
  local src="$KUBE_TOOLS/$KUBE_VERSION/src" go_version log
  go_version="go$(cat "$src/.go-version")"
  [ -f "$KUBE_BIN/.kubeadm-$go_version" ] && return 0
  log="$(minikube::log kubeadm-build)"
  say "building kubeadm $KUBE_VERSION with $go_version (its release's Go; log: $log)"
  (cd "$src" && GOTOOLCHAIN="$go_version" CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n 15 go build -trimpath \
    -ldflags "$(kube::build::ldflags)" -o "$KUBE_BIN/kubeadm.tmp" ./cmd/kubeadm) >>"$log" 2>&1 \
    || die "building kubeadm with $go_version failed (GOTOOLCHAIN comes from the Go module proxy); see $log."
  mv "$KUBE_BIN/kubeadm.tmp" "$KUBE_BIN/kubeadm"
  touch "$KUBE_BIN/.kubeadm-$go_version"
}

minikube::build::kube_bin() { printf '%s/kubernetes/%s/bin\n' "$MK_TOOLS" "$(minikube::source::kube_version)"; }

# minikube::build::etcd: etcd of the tag kubeadm expects, from go.etcd.io/etcd/server/v3 (its ../ replaces
# swapped for the published modules of the same release).
minikube::build::etcd() {
  local tag ver src log mod args=()
  tag="$(minikube::source::image_tag etcd)"; ver="v${tag%-*}"
  [ -x "$MK_BIN/etcd-$ver" ] && return 0
  log="$(minikube::log etcd-build)"
  say "building etcd $ver from the Go module proxy (log: $log)"
  src="$MK_TOOLS/src/etcd-server-$ver"
  kube::build::module_copy "go.etcd.io/etcd/server/v3@$ver" "$src" "$log"
  while IFS= read -r mod; do
    args+=("-dropreplace=$mod" "-require=$mod@$ver")
  done < <(sed -n 's#^[[:space:]]*\(go\.etcd\.io/etcd/[^ ]*\) => \.\./.*#\1#p' "$src/go.mod")
  (cd "$src" && go mod edit "${args[@]}" && CGO_ENABLED=0 nice -n 15 go build -mod=mod -trimpath -ldflags "-s -w" -o "$MK_BIN/etcd-$ver" .) >>"$log" 2>&1 \
    || die "building etcd $ver failed; the last lines of $log say why."
  rm -rf "$src"
}

# minikube::build::go_install NAME MODULE@VERSION [LDFLAGS]: a static binary from the Go proxy into $MK_BIN/NAME-VERSION.
minikube::build::go_install() {
  local name="$1" target="$2" ldflags="${3:-}" out log tmp
  out="$MK_BIN/$name-${target##*@}"
  [ -x "$out" ] && return 0
  log="$(minikube::log "$name-build")"
  say "building $name ${target##*@} with go install (log: $log)"
  tmp="$(mktemp -d)"
  GOBIN="$tmp" CGO_ENABLED=0 nice -n 15 go install -trimpath -ldflags "-s -w $ldflags" "$target" >>"$log" 2>&1 \
    || { rm -rf "$tmp"; die "go install $target failed; the last lines of $log say why."; }
  mv "$tmp/$name" "$out"
  rm -rf "$tmp"
}

# minikube::build::docker: trixie's docker.io, containerd and tini unpacked with dpkg -x (downloaded by apt
# from a private trixie source list, so the machine's own apt state and docker.io stay untouched).
# The node's runc stays the machine's (trixie's needs a newer glibc than Debian 12 has).
minikube::build::docker() {
  local apt="$MK_TOOLS/apt-trixie" log opts deb
  [ -x "$MK_DOCKER/usr/sbin/dockerd" ] && return 0
  log="$(minikube::log docker-download)"
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
    *) die "trixie offers $(basename "$apt"/debs/docker.io_*.deb), not docker.io $DOCKER_DEB_VERSION; update DOCKER_DEB_VERSION in scripts/toolchain/minikube/init.sh." ;;
  esac
  rm -rf "$MK_DOCKER.tmp"; mkdir -p "$MK_DOCKER.tmp"
  for deb in "$apt"/debs/*.deb; do dpkg -x "$deb" "$MK_DOCKER.tmp" >>"$log" 2>&1 || die "dpkg -x $deb failed; see $log."; done
  rm -f "$MK_DOCKER.tmp/usr/sbin/runc"
  rm -rf "$MK_DOCKER"; mv "$MK_DOCKER.tmp" "$MK_DOCKER"
  rm -rf "$apt/debs"
}

# minikube::build::binary_cache: kubeadm, kubelet and kubectl where minikube looks before downloading them.
minikube::build::binary_cache() {
  local dir b
  # Minikube keeps its state in $MINIKUBE_HOME/.minikube (unless the path already ends so).
  dir="$MK_HOME/.minikube/cache/linux/amd64/$(minikube::source::kube_version)"
  mkdir -p "$dir"
  for b in kubeadm kubelet kubectl; do
    cmp -s "$(minikube::build::kube_bin)/$b" "$dir/$b" || install -m 0755 "$(minikube::build::kube_bin)/$b" "$dir/$b"
  done
}

# minikube::build: everything a Minikube run needs here, built or fetched once (each step skips what exists).
minikube::build() {
  local start=$SECONDS coredns
  have go || die "Go is missing. Install Go 1.24+ (https://go.dev/doc/install, or /usr/local/go/bin on PATH) and run again."
  have apt-get || die "this needs a Debian/Ubuntu machine (apt-get) for debootstrap and Debian's docker.io."
  [ "$(id -u)" -eq 0 ] || die "building the node image (debootstrap, chroot) needs root; run as root."
  mkdir -p "$MK_TOOLS"
  minikube::source::fetch
  minikube::build::minikube
  minikube::build::provisioner
  minikube::build::docker
  minikube::build::kubernetes
  minikube::build::etcd
  coredns="$(minikube::source::image_tag coredns/coredns)"
  minikube::build::go_install coredns "github.com/coredns/coredns@$coredns" "-X github.com/coredns/coredns/coremain.GitCommit=$coredns"
  minikube::build::go_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION"
  minikube::build::go_install registry "github.com/distribution/distribution/v3/cmd/registry@$MK_DISTRIBUTION_VERSION" \
    "-X github.com/distribution/distribution/v3/version.version=$MK_DISTRIBUTION_VERSION"
  minikube::images::all
  minikube::build::binary_cache
  say "Minikube tools complete in $((SECONDS - start)) s: $MK_TOOLS ($(du -sh "$MK_TOOLS" 2>/dev/null | cut -f1))"
}

# minikube::missing: what minikube::build has not made yet, one line each with the command that makes it.
minikube::missing() {
  local gaps=() f
  [ -x "$MK_BIN/minikube" ] || gaps+=("minikube $MK_VERSION")
  [ -x "$(minikube::build::provisioner_bin)" ] || gaps+=("storage-provisioner $MK_PROVISIONER_TAG")
  [ -x "$MK_DOCKER/usr/sbin/dockerd" ] || gaps+=("Debian trixie's dockerd $DOCKER_DEB_VERSION")
  if [ -f "$MK_SRC/.prepared" ]; then
    [ -f "$(minikube::build::kube_bin)/.built" ] && [ -n "$(ls "$(minikube::build::kube_bin)"/.kubeadm-go* 2>/dev/null)" ] \
      || gaps+=("Kubernetes $(minikube::source::kube_version) (kubeadm, kubelet, control plane)")
  fi
  [ -f "$(minikube::images::file "$MK_BASE_IMAGE").tar" ] || gaps+=("the stand-in image set (node, control plane, addons)")
  cmp -s "$REPO_ROOT/tests/minikube/standins/registry-config.yml" \
    "$(minikube::images::file "$MK_REGISTRY_IMAGE").tar.config.yml" \
    || gaps+=("the registry addon's stand-in $MK_REGISTRY_IMAGE with tests/minikube/standins/registry-config.yml")
  for f in ${gaps[@]+"${gaps[@]}"}; do
    printf '%s is not built; build it: scripts/minikube build\n' "$f"
  done
}
