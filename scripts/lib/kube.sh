# shellcheck shell=bash
# A real single-node Kubernetes cluster on this machine, built from upstream sources.
# Sourced after scripts/lib/common.sh (uses say, warn, die, have, apt_install, TOOLS_DIR).
#
#   kube_build     builds/caches every binary and image the cluster needs (idempotent, stamp files)
#   kube_up        starts etcd, the control plane, containerd, kubelet, kube-proxy, CoreDNS
#   kube_down      stops all of it and removes everything the cluster added to the machine
#   kube_status    reports the components and their PIDs
#   kube_restart   restarts the API server or the kubelet by PID (the live tier's fault tests)
#
# Where things are:
#   $KUBE_TOOLS = $TOOLS_DIR/kubernetes   binaries and images (outside the repository, reused by
#                                         fresh clones); build logs in $TOOLS_DIR/logs
#   $KUBE_STATE = /var/lib/todo-cluster   PKI, kubeconfigs, etcd data, containerd and kubelet roots
#   $KUBE_RUN   = /run/todo-cluster       sockets, pid files
#   $TOOLS_DIR/logs/cluster/NAME.log      each component's output (kept after `down`)
# Clients: kubeconfig $KUBE_KUBECONFIG, context todo-local (admin, system:masters).
# Listeners: 127.0.0.1 (etcd 23790/23800, API server 6443, controller-manager 10257, scheduler
# 10259, kubelet healthz 10248, kube-proxy 10249/10256, containerd streaming) and the bridge
# address 10.244.0.1 (kubelet 10250, the API relay 6443). Nothing else.
# Images: the kubelet's containerd pulls 127.0.0.1:5000/... and localhost:5000/... over plain HTTP
# (by digest or tag); the pause and CoreDNS images are imported at `up`, never pulled.
# `down` removes: the processes (by PID), pod sandboxes (CRI, so CNI tears their network down),
# leftover shims, mounts under the cluster's directories, the bridge and veths, the routes, the
# KUBE-*/CNI-*/TODO-CLUSTER-* iptables and ip6tables chains, the kubepods cgroups, the kernel
# settings (restored), the hard-coded host paths `up` created, both directories above.

# Pinned versions: the only place they are named.
KUBE_VERSION="v1.34.2"
KUBE_STAGING_VERSION="v0.34.2"
COREDNS_VERSION="v1.12.1"
CRICTL_VERSION="v1.34.0"
ETCD_DEB_VERSION="3.4.23"
PAUSE_VERSION="3.10.1"

KUBE_TOOLS="$TOOLS_DIR/kubernetes"
KUBE_BIN="$KUBE_TOOLS/$KUBE_VERSION/bin"
KUBE_LOGS="$TOOLS_DIR/logs"
KUBE_STATE="${TODO_CLUSTER_STATE:-/var/lib/todo-cluster}"
KUBE_RUN="${TODO_CLUSTER_RUN:-/run/todo-cluster}"
KUBE_KUBECONFIG="$KUBE_STATE/admin.kubeconfig"
KUBE_CONTEXT="todo-local"
KUBE_NODE="todo-node"

# Network plan: none of these ranges is routed anywhere on this machine (checked by `up`); the
# bridge's address doubles as the API server's advertised address so pods reach the kubernetes
# Service without anything listening off-machine.
KUBE_POD_CIDR="10.244.0.0/24"
KUBE_SERVICE_CIDR="10.96.0.0/24"
KUBE_API_SERVICE_IP="10.96.0.1"
KUBE_DNS_IP="10.96.0.10"
KUBE_BRIDGE="todo-cni0"
KUBE_BRIDGE_IP="10.244.0.1"
KUBE_API_PORT="6443"
# Host ports on the bridge address pods may reach besides the API: where a service "outside the
# cluster" (the live tier's external PostgreSQL) listens. Nothing else of the machine is reachable.
KUBE_HOST_SERVICE_PORTS="15450:15459"

KUBE_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
PAUSE_IMAGE="registry.k8s.io/pause:$PAUSE_VERSION"
COREDNS_IMAGE="todo.local/coredns:$COREDNS_VERSION"

# _kube_log NAME: the path of a build log (created on demand).
_kube_log() { mkdir -p "$KUBE_LOGS"; printf '%s/%s.log\n' "$KUBE_LOGS" "$1"; }

# _go_env: Go on PATH, version 1.24+ (Kubernetes 1.34's go.mod minimum).
_kube_need_go() {
  have go || die "Go is missing. Install Go 1.24+ (https://go.dev/doc/install, or /usr/local/go/bin on PATH) and run again."
}

# _kube_ldflags: the version variables hack/lib/version.sh sets; the commit is unknown in a module
# zip, so the tree state says "archive" and the build date is the module's publication time.
_kube_ldflags() {
  local major minor date pkg key val flags=("-s" "-w")
  major="${KUBE_VERSION#v}"; major="${major%%.*}"
  minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
  date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBE_VERSION.info" 2>/dev/null)"
  [ -n "$date" ] || date="1970-01-01T00:00:00Z"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    for key in gitVersion gitMajor gitMinor gitTreeState buildDate; do
      case "$key" in
        gitVersion) val="$KUBE_VERSION" ;;
        gitMajor) val="$major" ;;
        gitMinor) val="$minor" ;;
        gitTreeState) val="archive" ;;
        buildDate) val="$date" ;;
      esac
      flags+=("-X" "$pkg.$key=$val")
    done
  done
  printf '%s ' "${flags[@]}"
}

# _kube_prepare_source: a writable copy of the k8s.io/kubernetes module whose 31 ./staging replaces
# (absent from the module zip) are swapped for the published k8s.io/X modules.
_kube_prepare_source() {
  local src="$KUBE_TOOLS/$KUBE_VERSION/src" dir mods mod log
  [ -f "$src/.prepared" ] && return 0
  log="$(_kube_log kubernetes-source)"
  say "downloading k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy (log: $log)"
  dir="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" 2>>"$log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "${dir:-/nonexistent}" ] \
    || die "go mod download k8s.io/kubernetes@$KUBE_VERSION failed (see $log); check that the Go module proxy is reachable (go env GOPROXY)."
  rm -rf "$src"
  mkdir -p "$(dirname "$src")"
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
  rm -rf "$src/vendor" "$src"/go.work*
  mods="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$src/go.mod")"
  [ "$(printf '%s\n' "$mods" | grep -c .)" -gt 0 ] || die "no ./staging replaces found in $src/go.mod; the recipe needs updating for $KUBE_VERSION."
  local args=()
  for mod in $mods; do
    args+=("-dropreplace=$mod" "-require=$mod@$KUBE_STAGING_VERSION")
  done
  (cd "$src" && go mod edit "${args[@]}") >>"$log" 2>&1 || die "go mod edit in $src failed (see $log)."
  touch "$src/.prepared"
}

# _kube_build_binaries: the six Kubernetes binaries in one `go build` (they share most packages).
_kube_build_binaries() {
  local stamp="$KUBE_BIN/.built" src="$KUBE_TOOLS/$KUBE_VERSION/src" log pkgs=() c start
  [ -f "$stamp" ] && return 0
  _kube_prepare_source
  log="$(_kube_log kubernetes-build)"
  for c in "${KUBE_COMPONENTS[@]}"; do pkgs+=("./cmd/$c"); done
  mkdir -p "$KUBE_BIN"
  say "building ${KUBE_COMPONENTS[*]} $KUBE_VERSION (cold: 10-20 min; log: $log)"
  start=$SECONDS
  # -mod=mod lets go add the published staging modules' sums to go.sum.
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod nice go build -trimpath -ldflags "$(_kube_ldflags)" -o "$KUBE_BIN/" "${pkgs[@]}") \
    >>"$log" 2>&1 || die "building Kubernetes $KUBE_VERSION failed; the last lines of $log say why."
  for c in "${KUBE_COMPONENTS[@]}"; do
    [ -x "$KUBE_BIN/$c" ] || die "go build finished but $KUBE_BIN/$c is missing; see $log."
  done
  # Captured, not piped into grep -q: grep's early exit can kill kubectl with SIGPIPE under pipefail.
  [[ "$("$KUBE_BIN/kubectl" version --client 2>/dev/null)" == *"Client Version: $KUBE_VERSION"* ]] \
    || die "$KUBE_BIN/kubectl does not report $KUBE_VERSION; delete $KUBE_BIN and run again."
  echo "built in $((SECONDS - start)) s" >>"$log"
  touch "$stamp"
}

# _kube_go_install NAME MODULE@VERSION LDFLAGS: a static binary from the Go module proxy into
# $KUBE_TOOLS/bin-extra (modules without replace directives install directly).
_kube_go_install() {
  local name="$1" target="$2" ldflags="$3" dir log
  dir="$KUBE_TOOLS/${target##*@}-$name"
  [ -x "$dir/$name" ] && return 0
  log="$(_kube_log "$name-build")"
  say "building $name ${target##*@} with go install (log: $log)"
  mkdir -p "$dir"
  GOBIN="$dir" CGO_ENABLED=0 nice go install -trimpath -ldflags "-s -w $ldflags" "$target" >>"$log" 2>&1 \
    || die "go install $target failed; the last lines of $log say why."
  [ -x "$dir/$name" ] || die "go install $target finished but $dir/$name is missing; see $log."
}

# _kube_etcd: Debian 12's etcd-server unpacked (dpkg -x, so no service starts).
_kube_etcd() {
  local dir="$KUBE_TOOLS/etcd-$ETCD_DEB_VERSION" tmp log
  [ -x "$dir/usr/bin/etcd" ] && return 0
  log="$(_kube_log etcd-download)"
  say "fetching Debian's etcd-server $ETCD_DEB_VERSION (apt-get download; log: $log)"
  tmp="$(mktemp -d)"
  # _apt: apt-get download drops privileges to _apt, which must be able to write the directory.
  chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download etcd-server) >>"$log" 2>&1 \
    || { rm -rf "$tmp"; die "apt-get download etcd-server failed (see $log); run apt-get update and check the machine's Debian mirror."; }
  case "$(basename "$tmp"/etcd-server_*.deb)" in
    etcd-server_"$ETCD_DEB_VERSION"*) ;;
    *) rm -rf "$tmp"; die "the mirror offers $(basename "$tmp"/etcd-server_*.deb), not etcd-server $ETCD_DEB_VERSION; update ETCD_DEB_VERSION in scripts/lib/kube.sh." ;;
  esac
  mkdir -p "$dir"
  dpkg -x "$tmp"/etcd-server_*.deb "$dir" >>"$log" 2>&1 || { rm -rf "$tmp"; die "dpkg -x of etcd-server failed; see $log."; }
  rm -rf "$tmp"
  [ -x "$dir/usr/bin/etcd" ] || die "etcd-server unpacked to $dir without usr/bin/etcd; see $log."
}

# _kube_oci_archive NAME ROOTFS OUT CONFIG: an OCI image archive of one uncompressed layer (ROOTFS)
# named NAME, with CONFIG (JSON members of the image config's "config") — what `ctr images
# import` loads; built by hand because no base image can be pulled.
_kube_oci_archive() {
  local name="$1" rootfs="$2" out="$3" config="$4" work layer diffid cfg cfgsum cfgsize man mansum mansize lsize
  work="$(mktemp -d)"
  mkdir -p "$work/blobs/sha256"
  layer="$work/layer.tar"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$layer" .
  diffid="$(sha256sum "$layer" | cut -d' ' -f1)"
  lsize="$(stat -c %s "$layer")"
  mv "$layer" "$work/blobs/sha256/$diffid"
  cfg="{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{$config},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diffid\"]}}"
  printf '%s' "$cfg" >"$work/cfg"
  cfgsum="$(sha256sum "$work/cfg" | cut -d' ' -f1)"; cfgsize="$(stat -c %s "$work/cfg")"
  mv "$work/cfg" "$work/blobs/sha256/$cfgsum"
  man="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cfgsum\",\"size\":$cfgsize},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$diffid\",\"size\":$lsize}]}"
  printf '%s' "$man" >"$work/man"
  mansum="$(sha256sum "$work/man" | cut -d' ' -f1)"; mansize="$(stat -c %s "$work/man")"
  mv "$work/man" "$work/blobs/sha256/$mansum"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$mansum" "$mansize" "$name" "${name##*:}" >"$work/index.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out.tmp" oci-layout index.json blobs
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

# _kube_pause_image: the sandbox ("pause") image from the kubernetes module's own pause.c, static.
_kube_pause_image() {
  local dir="$KUBE_TOOLS/pause-$PAUSE_VERSION" src="$KUBE_TOOLS/$KUBE_VERSION/src/build/pause/linux/pause.c" log
  [ -f "$dir/image.tar" ] && return 0
  have gcc || apt_install gcc libc6-dev
  log="$(_kube_log pause-build)"
  mkdir -p "$dir/rootfs"
  # Same flags as build/pause/Makefile.
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-todo" -o "$dir/rootfs/pause" "$src" >>"$log" 2>&1 \
    || die "gcc -static of $src failed (see $log); Debian: apt-get install gcc libc6-dev."
  _kube_oci_archive "$PAUSE_IMAGE" "$dir/rootfs" "$dir/image.tar" '"Entrypoint":["/pause"],"User":"65535:65535"'
}

# _kube_coredns_image: CoreDNS from the Go module proxy in a one-file image.
_kube_coredns_image() {
  local dir="$KUBE_TOOLS/$COREDNS_VERSION-coredns"
  [ -f "$dir/image.tar" ] && return 0
  _kube_go_install coredns "github.com/coredns/coredns@$COREDNS_VERSION" "-X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"
  rm -rf "$dir/rootfs"
  mkdir -p "$dir/rootfs"
  cp "$dir/coredns" "$dir/rootfs/coredns"
  _kube_oci_archive "$COREDNS_IMAGE" "$dir/rootfs" "$dir/image.tar" '"Entrypoint":["/coredns"],"User":"65532:65532"'
  rm -rf "$dir/rootfs"
}

# kube_build: everything `up` needs, built or fetched once and cached under $KUBE_TOOLS.
kube_build() {
  local start=$SECONDS
  if _kube_built; then
    say "Kubernetes $KUBE_VERSION, etcd, crictl, pause and CoreDNS images already built ($KUBE_TOOLS)"
    return 0
  fi
  _kube_need_go
  have apt-get || die "this needs a Debian/Ubuntu machine (apt-get) for etcd, containerd and the CNI plugins."
  mkdir -p "$KUBE_TOOLS"
  _kube_etcd
  _kube_build_binaries
  _kube_go_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION"
  _kube_pause_image
  _kube_coredns_image
  say "build complete in $((SECONDS - start)) s: $KUBE_BIN"
}

# ---------------------------------------------------------------------------------------------
# Runtime

KUBE_PKI="$KUBE_STATE/pki"
KUBE_CLUSTER_LOGS="$KUBE_LOGS/cluster"
KUBE_CONTAINERD_SOCK="$KUBE_RUN/containerd/containerd.sock"
KUBE_ETCD_BIN="$KUBE_TOOLS/etcd-$ETCD_DEB_VERSION/usr/bin/etcd"
KUBE_CRICTL="$KUBE_TOOLS/$CRICTL_VERSION-crictl/crictl"
KUBE_HOSTPATH_DIR="/tmp/hostpath_pv"
# Paths outside the state directory that the kubelet and libcni hard-code; `down` removes the ones
# that did not exist before `up` (recorded in $KUBE_STATE/created-paths) and our entries in the others.
KUBE_HOST_PATHS=(/var/lib/kubelet /var/lib/cni /var/log/containers /var/log/pods /run/netns "$KUBE_HOSTPATH_DIR")
# Started in this order, stopped in reverse; kube-pv-perms is explained at _kube_pv_perms.
KUBE_PROCS=(etcd kube-apiserver api-bridge kube-controller-manager kube-scheduler containerd kubelet kube-proxy kube-pv-perms)
# Kernel settings the cluster needs; their previous values are restored by `down`. kubelet
# insists on the vm/kernel ones (it sets them itself otherwise).
KUBE_SYSCTLS=(net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 vm.overcommit_memory=1 kernel.panic=10 kernel.panic_on_oops=1)

kctl() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBE_KUBECONFIG" "$@"; }

# _kube_cert NAME CN ORG EXT SANS: a P-256 key and a certificate signed by the cluster CA.
# EXT is serverAuth, clientAuth or both; SANS is an openssl subjectAltName list or empty.
_kube_cert() {
  local name="$1" org="$3" ext="$4" sans="$5" subj="/CN=$2" extfile
  [ -z "$org" ] || subj="$subj/O=$org"
  extfile="$KUBE_PKI/$name.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$ext"
    [ -z "$sans" ] || echo "subjectAltName=$sans"
  } >"$extfile"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" \
    -keyout "$KUBE_PKI/$name.key" -out "$KUBE_PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$KUBE_PKI/$name.csr" -CA "$KUBE_PKI/ca.crt" -CAkey "$KUBE_PKI/ca.key" -CAcreateserial \
    -days 365 -extfile "$extfile" -out "$KUBE_PKI/$name.crt" 2>/dev/null
  rm -f "$KUBE_PKI/$name.csr" "$extfile"
}

# _kube_kubeconfig NAME USER: a kubeconfig for a client certificate made by _kube_cert.
_kube_kubeconfig() {
  local name="$1" user="$2"
  cat >"$KUBE_STATE/$name.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: $KUBE_CONTEXT
  cluster:
    server: https://127.0.0.1:$KUBE_API_PORT
    certificate-authority: $KUBE_PKI/ca.crt
users:
- name: $user
  user:
    client-certificate: $KUBE_PKI/$name.crt
    client-key: $KUBE_PKI/$name.key
contexts:
- name: $KUBE_CONTEXT
  context: {cluster: $KUBE_CONTEXT, user: $user}
current-context: $KUBE_CONTEXT
KC
  chmod 0600 "$KUBE_STATE/$name.kubeconfig"
}

# _kube_pki: the cluster CA and every certificate; made once per cluster (down deletes them).
_kube_pki() {
  [ -f "$KUBE_PKI/.done" ] && return 0
  rm -rf "$KUBE_PKI"
  mkdir -p "$KUBE_PKI"
  chmod 0700 "$KUBE_PKI"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=todo-cluster-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -keyout "$KUBE_PKI/ca.key" -out "$KUBE_PKI/ca.crt" 2>/dev/null || die "openssl could not make the cluster CA."
  _kube_cert apiserver kube-apiserver "" serverAuth \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$KUBE_API_SERVICE_IP,IP:$KUBE_BRIDGE_IP"
  _kube_cert apiserver-kubelet-client kube-apiserver-kubelet-client "" clientAuth ""
  _kube_cert admin todo-admin system:masters clientAuth ""
  _kube_cert controller-manager system:kube-controller-manager "" clientAuth ""
  _kube_cert scheduler system:kube-scheduler "" clientAuth ""
  _kube_cert proxy system:kube-proxy "" clientAuth ""
  _kube_cert kubelet "system:node:$KUBE_NODE" system:nodes clientAuth ""
  _kube_cert kubelet-serving "$KUBE_NODE" "" serverAuth "DNS:$KUBE_NODE,IP:$KUBE_BRIDGE_IP"
  # The front-proxy pair (as kubeadm's): delegated authentication in the controller-manager and
  # scheduler reads its CA, and aggregated APIs (metrics-server) would need it.
  _kube_cert front-proxy-client front-proxy-client "" clientAuth ""
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KUBE_PKI/sa.key" 2>/dev/null
  openssl pkey -in "$KUBE_PKI/sa.key" -pubout -out "$KUBE_PKI/sa.pub" 2>/dev/null
  _kube_kubeconfig admin todo-admin
  _kube_kubeconfig controller-manager system:kube-controller-manager
  _kube_kubeconfig scheduler system:kube-scheduler
  _kube_kubeconfig proxy system:kube-proxy
  _kube_kubeconfig kubelet "system:node:$KUBE_NODE"
  touch "$KUBE_PKI/.done"
}

# _kube_alive PID: the process exists and is not a zombie (our components are reparented to
# PID 1 once `up` exits, which may reap them late).
_kube_alive() {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)"
  [ -n "$state" ] && [ "$state" != Z ]
}

# _kube_pid NAME: the PID of a running component started by `up`, or nothing.
_kube_pid() {
  local f="$KUBE_RUN/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ -n "$pid" ] && _kube_alive "$pid"; then
    printf '%s\n' "$pid"
  fi
  return 0
}

# _kube_start NAME CMD...: runs CMD in its own session (no systemd here), PID in $KUBE_RUN/NAME.pid,
# output in $KUBE_CLUSTER_LOGS/NAME.log.
_kube_start() {
  local name="$1"; shift
  [ -n "$(_kube_pid "$name")" ] && return 0
  mkdir -p "$KUBE_RUN" "$KUBE_CLUSTER_LOGS"
  detach "$KUBE_CLUSTER_LOGS/$name.log" "$@"
  echo $! >"$KUBE_RUN/$name.pid"
}

# _kube_stop NAME: TERM, then KILL after 10 s; waits until the process is gone.
_kube_stop() {
  local name="$1" pid i
  pid="$(_kube_pid "$name")"
  if [ -n "$pid" ]; then
    # setsid made each component its own process group: pipelines and relay children go too.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 200); do
      _kube_alive "$pid" || break
      [ "$i" -ne 100 ] || kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.1
    done
  fi
  rm -f "$KUBE_RUN/$name.pid"
}

# _kube_wait SECONDS WHAT CMD...: polls CMD until it succeeds; dies naming WHAT and its log.
_kube_wait() {
  local limit="$1" what="$2" log="$3" end; shift 3
  end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || die "$what not ready within $limit s; see $log"
    sleep 1
  done
}

# _kube_write FILE: stdin into FILE only when it differs (kube-proxy exits when its config changes).
_kube_write() {
  local tmp="$1.tmp"
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

# _kube_configs: containerd, CNI, kubelet and kube-proxy configuration files.
_kube_configs() {
  local c="$KUBE_STATE/config"
  mkdir -p "$c" "$KUBE_STATE/cni/net.d" "$KUBE_STATE/containerd/certs.d" "$KUBE_RUN/containerd"
  # A separate containerd for the kubelet: own root, state, sockets; the Docker daemon's is untouched.
  _kube_write "$c/containerd.toml" <<CFG
version = 2
root = "$KUBE_STATE/containerd/root"
state = "$KUBE_RUN/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$KUBE_CONTAINERD_SOCK"
[ttrpc]
  address = "$KUBE_CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$KUBE_STATE/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # Root here lacks CAP_SYS_RESOURCE, so runc cannot lower a container's oom_score_adj below
  # containerd's own (the kubelet asks -998 for sandboxes); clamp instead of failing every pod.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$KUBE_STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$KUBE_STATE/containerd/certs.d"
CFG
  # The project's registry (Debian's docker-registry) speaks plain HTTP on loopback.
  local reg
  for reg in 127.0.0.1:5000 localhost:5000; do
    mkdir -p "$KUBE_STATE/containerd/certs.d/$reg"
    _kube_write "$KUBE_STATE/containerd/certs.d/$reg/hosts.toml" <<CFG
server = "http://$reg"
[host."http://$reg"]
  capabilities = ["pull", "resolve"]
CFG
  done
  _kube_write "$KUBE_STATE/cni/net.d/10-todo-pods.conflist" <<CFG
{
  "cniVersion": "1.0.0",
  "name": "todo-pods",
  "plugins": [
    {
      "type": "bridge", "bridge": "$KUBE_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$KUBE_STATE/cni/ipam",
        "ranges": [[{"subnet": "$KUBE_POD_CIDR", "gateway": "$KUBE_BRIDGE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
CFG
  printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 30\n' "$KUBE_CONTAINERD_SOCK" "$KUBE_CONTAINERD_SOCK" | _kube_write "$c/crictl.yaml"
  # Pods with dnsPolicy Default get this file: the cluster DNS only, never a resolver off the machine.
  printf 'nameserver %s\n' "$KUBE_DNS_IP" | _kube_write "$c/resolv.conf"
  _kube_write "$c/kubelet.yaml" <<CFG
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $KUBE_BRIDGE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $KUBE_PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $KUBE_PKI/kubelet-serving.crt
tlsPrivateKeyFile: $KUBE_PKI/kubelet-serving.key
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
# Absolute eviction thresholds: the default 10-15 % free of a large shared build disk is tens of GB,
# whose lack taints the node with disk-pressure and leaves every pod Pending.
evictionHard: {memory.available: 100Mi, nodefs.available: 2Gi, imagefs.available: 2Gi, nodefs.inodesFree: 5%}
# No image garbage collection: its percentage thresholds (85 %) fire on such a disk too, and it removes
# the pause image (imported at up, never pulled), after which no pod sandbox can start.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
clusterDNS: [$KUBE_DNS_IP]
clusterDomain: cluster.local
resolvConf: $c/resolv.conf
containerRuntimeEndpoint: unix://$KUBE_CONTAINERD_SOCK
imageServiceEndpoint: unix://$KUBE_CONTAINERD_SOCK
podCIDR: $KUBE_POD_CIDR
maxPods: 110
serializeImagePulls: false
podLogsDir: $KUBE_STATE/pod-logs
rotateCertificates: false
serverTLSBootstrap: false
CFG
  _kube_write "$c/kube-proxy.yaml" <<CFG
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $KUBE_STATE/proxy.kubeconfig}
hostnameOverride: $KUBE_NODE
bindAddress: $KUBE_BRIDGE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clusterCIDR: $KUBE_POD_CIDR
detectLocalMode: ClusterCIDR
# NodePorts answer only on the cluster bridge, never on the machine's own interfaces.
nodePortAddresses: ["$KUBE_BRIDGE_IP/32"]
iptables: {localhostNodePorts: false, masqueradeAll: false}
# Zeros leave the machine's conntrack settings as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
CFG
}

# _kube_preflight: root, cgroup v1 controllers, free ranges and ports — before anything changes.
_kube_preflight() {
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
    [ -z "$found" ] || die "the machine already uses part of $r ($(printf '%s' "$found" | head -n1)); change KUBE_POD_CIDR/KUBE_SERVICE_CIDR in scripts/lib/kube.sh."
  done
  local port
  for port in 23790 23800 "$KUBE_API_PORT" 10257 10259 10248 10249 10256; do
    if [ -n "$(ss -Hltn "sport = :$port")" ]; then
      [ -n "$(_kube_pid kube-apiserver)" ] && return 0
      die "TCP port $port is already in use ($(ss -Hltnp "sport = :$port" | awk '{print $NF}' | head -n1)); stop that process or run scripts/cluster down."
    fi
  done
}

# _kube_note_paths: records which of KUBE_HOST_PATHS do not exist yet (once per cluster).
_kube_note_paths() {
  [ -f "$KUBE_STATE/created-paths" ] && return 0
  local p
  for p in "${KUBE_HOST_PATHS[@]}"; do
    [ -e "$p" ] || printf '%s\n' "$p"
  done >"$KUBE_STATE/created-paths"
}

# _kube_host_paths_clean: our entries in the hard-coded paths, and the paths `up` created.
_kube_host_paths_clean() {
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

# _kube_sysctls_set: records the previous values once, then sets what the cluster needs.
_kube_sysctls_set() {
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

_kube_sysctls_restore() {
  [ -f "$KUBE_STATE/sysctl.orig" ] || return 0
  local kv
  while read -r kv; do
    sysctl -qw "$kv" || warn "could not restore $kv"
  done <"$KUBE_STATE/sysctl.orig"
  rm -f "$KUBE_STATE/sysctl.orig"
}

# _kube_net_up: the cluster bridge (its address is the node, kubelet and advertised API server
# address), blackhole routes so cluster ranges never leave the machine, and a FORWARD guard that
# lets pod traffic through only between the bridge's own ports.
_kube_net_up() {
  if ! ip link show "$KUBE_BRIDGE" >/dev/null 2>&1; then
    ip link add "$KUBE_BRIDGE" type bridge || die "could not create bridge $KUBE_BRIDGE."
  fi
  ip addr replace "$KUBE_BRIDGE_IP/${KUBE_POD_CIDR#*/}" dev "$KUBE_BRIDGE"
  ip link set "$KUBE_BRIDGE" up
  # Less specific than the bridge's connected /24: pod traffic uses the bridge, the rest of the
  # /16 (and everything once the bridge is gone) is dropped here instead of going to the gateway.
  ip route replace blackhole "${KUBE_POD_CIDR%.*.*}.0.0/16"
  # Service IPs: preferred route onto the bridge so the host's own connections reach kube-proxy's
  # DNAT (a blackhole fails them with EINVAL before netfilter runs); the blackhole behind it keeps
  # the range on the machine if the bridge is gone.
  ip route replace blackhole "$KUBE_SERVICE_CIDR" metric 4000
  ip route replace "$KUBE_SERVICE_CIDR" dev "$KUBE_BRIDGE" src "$KUBE_BRIDGE_IP" metric 100
  _kube_guard
}

# _kube_guard: (re)puts TODO-CLUSTER-FWD first in FORWARD: bridge-to-bridge accepted (also when
# Docker sets FORWARD's policy to DROP), anything else into or out of the bridge dropped; and
# TODO-CLUSTER-IN first in INPUT.
_kube_guard() {
  iptables -N TODO-CLUSTER-FWD 2>/dev/null || iptables -F TODO-CLUSTER-FWD
  iptables -A TODO-CLUSTER-FWD -i "$KUBE_BRIDGE" -o "$KUBE_BRIDGE" -j ACCEPT
  iptables -A TODO-CLUSTER-FWD -i "$KUBE_BRIDGE" -j DROP
  iptables -A TODO-CLUSTER-FWD -o "$KUBE_BRIDGE" -j DROP
  while iptables -D FORWARD -j TODO-CLUSTER-FWD 2>/dev/null; do :; done
  iptables -I FORWARD 1 -j TODO-CLUSTER-FWD
  # Pods reach the machine itself only at the API relay and $KUBE_HOST_SERVICE_PORTS on the bridge
  # address; replies to the host's own connections (probes, port-forward) pass, the machine's
  # other listeners stay out of reach.
  iptables -N TODO-CLUSTER-IN 2>/dev/null || iptables -F TODO-CLUSTER-IN
  iptables -A TODO-CLUSTER-IN -i "$KUBE_BRIDGE" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  iptables -A TODO-CLUSTER-IN -i "$KUBE_BRIDGE" -d "$KUBE_BRIDGE_IP" -p tcp --dport "$KUBE_API_PORT" -j ACCEPT
  iptables -A TODO-CLUSTER-IN -i "$KUBE_BRIDGE" -d "$KUBE_BRIDGE_IP" -p tcp --dport "$KUBE_HOST_SERVICE_PORTS" -j ACCEPT
  iptables -A TODO-CLUSTER-IN -i "$KUBE_BRIDGE" -j DROP
  while iptables -D INPUT -j TODO-CLUSTER-IN 2>/dev/null; do :; done
  iptables -I INPUT 1 -j TODO-CLUSTER-IN
}

# _kube_iptables_clean: removes the chains kube-proxy, the kubelet and the CNI plugins created
# (KUBE-*, CNI-*) and the guard, from iptables and ip6tables, after unhooking them from the
# built-in chains; other rules (Docker's, the machine's) are left alone.
_kube_iptables_clean() {
  local ipt table chain n
  for ipt in iptables ip6tables; do
    have "$ipt" || continue
    for table in filter nat mangle raw; do
      "$ipt" -t "$table" -S >/dev/null 2>&1 || continue
      for chain in $("$ipt" -t "$table" -S | awk '$1 == "-P" {print $2}'); do
        for n in $("$ipt" -t "$table" -L "$chain" -n --line-numbers | awk 'NR > 2 && $2 ~ /^(KUBE-|CNI-|TODO-CLUSTER-)/ {print $1}' | sort -rn); do
          "$ipt" -t "$table" -D "$chain" "$n"
        done
      done
      for chain in $("$ipt" -t "$table" -S | awk '$1 == "-N" && $2 ~ /^(KUBE-|CNI-|TODO-CLUSTER-)/ {print $2}'); do
        "$ipt" -t "$table" -F "$chain"
      done
      for chain in $("$ipt" -t "$table" -S | awk '$1 == "-N" && $2 ~ /^(KUBE-|CNI-|TODO-CLUSTER-)/ {print $2}'); do
        "$ipt" -t "$table" -X "$chain" 2>/dev/null || warn "$ipt -t $table -X $chain failed"
      done
    done
  done
}

# _kube_net_down: the bridge, its veths, the routes and the chains _kube_net_up and the cluster made.
_kube_net_down() {
  local veth
  for veth in $(ip -o link show master "$KUBE_BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
    ip link del "$veth" 2>/dev/null || true
  done
  ip link del "$KUBE_BRIDGE" 2>/dev/null || true
  ip route del "$KUBE_SERVICE_CIDR" dev "$KUBE_BRIDGE" 2>/dev/null || true
  ip route del blackhole "$KUBE_SERVICE_CIDR" metric 4000 2>/dev/null || true
  ip route del blackhole "${KUBE_POD_CIDR%.*.*}.0.0/16" 2>/dev/null || true
  _kube_iptables_clean
}

# _kube_addons: what a fresh cluster needs beyond the control plane: the API server's right to
# use the kubelet API, the default StorageClass `standard` (host-path, like Minikube's) and CoreDNS
# answering for cluster.local only (NXDOMAIN for everything else: no resolver off the machine).
_kube_addons() {
  kctl apply -f - >/dev/null <<YAML || die "applying the cluster add-ons failed; see $KUBE_CLUSTER_LOGS/kube-apiserver.log"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: todo:kube-apiserver-kubelet-client}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:coredns}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:coredns}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    cluster.local:1053 in-addr.arpa:1053 ip6.arpa:1053 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            ttl 30
        }
        cache 30
        loadbalance
    }
    .:1053 {
        errors
        template ANY ANY {
            rcode NXDOMAIN
        }
    }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      tolerations: [{key: CriticalAddonsOnly, operator: Exists}, {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: coredns
        image: $COREDNS_IMAGE
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - {name: dns, containerPort: 1053, protocol: UDP}
        - {name: dns-tcp, containerPort: 1053, protocol: TCP}
        resources:
          requests: {cpu: 50m, memory: 70Mi}
          limits: {memory: 170Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        livenessProbe:
          httpGet: {path: /health, port: 8080}
          initialDelaySeconds: 10
          periodSeconds: 10
        readinessProbe:
          httpGet: {path: /ready, port: 8181}
          periodSeconds: 2
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes:
      - name: config
        configMap: {name: coredns, items: [{key: Corefile, path: Corefile}]}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: $KUBE_DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, targetPort: 1053, protocol: UDP}
  - {name: dns-tcp, port: 53, targetPort: 1053, protocol: TCP}
YAML
}

# _kube_dns_query PORT NAME: the A records a DNS server on 127.0.0.1:PORT (TCP) returns for NAME.
_kube_dns_query() {
  python3 - "$1" "$2" <<'PY'
import socket, struct, sys
port, name = int(sys.argv[1]), sys.argv[2]
q = struct.pack(">HHHHHH", 0x1d05, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
    s.sendall(struct.pack(">H", len(q)) + q)
    data = b""
    while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
msg = data[2:]
rcode, ancount = msg[3] & 0xF, struct.unpack(">H", msg[6:8])[0]
i = len(q)
for _ in range(ancount):
    while msg[i] != 0 and msg[i] & 0xC0 != 0xC0:  # the owner name: labels, then 0 or a pointer
        i += 1 + msg[i]
    i += 2 if msg[i] & 0xC0 == 0xC0 else 1
    rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[i:i + 10])
    i += 10
    if rtype == 1:
        print(socket.inet_ntoa(msg[i:i + 4]))
    i += rdlen
sys.exit(0 if rcode == 0 else 3)
PY
}

# _kube_check_dns: CoreDNS answers kubernetes.default through `kubectl port-forward` on 127.0.0.1.
_kube_check_dns() {
  local port pf ok=1 log="$KUBE_CLUSTER_LOGS/port-forward-dns.log" i
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # The binary itself, not the kctl function: $! must be kubectl's PID for the kill below.
  "$KUBE_BIN/kubectl" --kubeconfig "$KUBE_KUBECONFIG" -n kube-system port-forward --address 127.0.0.1 \
    svc/kube-dns "$port:53" >"$log" 2>&1 &
  pf=$!
  for i in $(seq 30); do
    grep -q Forwarding "$log" && break
    sleep 0.5
  done
  [ "$(_kube_dns_query "$port" "kubernetes.default.svc.cluster.local" 2>>"$log")" = "$KUBE_API_SERVICE_IP" ] && ok=0
  kill "$pf" 2>/dev/null || true
  wait "$pf" 2>/dev/null || true
  return "$ok"
}

# _kube_pv_perms: the in-tree host-path provisioner makes each volume directory 0750 root:root,
# which a non-root pod (PostgreSQL as UID 10001) cannot write and fsGroup does not change for
# host paths; this watcher makes new volume directories 0777, as Minikube's provisioner does.
_kube_pv_perms() {
  mkdir -p "$KUBE_HOSTPATH_DIR"
  find "$KUBE_HOSTPATH_DIR" -mindepth 1 -maxdepth 1 -type d -exec chmod 0777 {} +
  # shellcheck disable=SC2016 # $1 and $d belong to the inner shell.
  _kube_start kube-pv-perms bash -c 'inotifywait -m -q -e create -e moved_to --format "%w%f" "$1" | while read -r d; do [ -d "$d" ] && chmod 0777 "$d"; done' _ "$KUBE_HOSTPATH_DIR"
}

# _kube_import_images: the pause and CoreDNS images into the kubelet's containerd (k8s.io namespace).
_kube_import_images() {
  local tar
  for tar in "$KUBE_TOOLS/pause-$PAUSE_VERSION/image.tar" "$KUBE_TOOLS/$COREDNS_VERSION-coredns/image.tar"; do
    ctr -a "$KUBE_CONTAINERD_SOCK" -n k8s.io images import "$tar" >>"$KUBE_CLUSTER_LOGS/images.log" 2>&1 \
      || die "ctr images import $tar failed; see $KUBE_CLUSTER_LOGS/images.log"
  done
}

# _kube_artefacts: what `build` makes and `up` needs.
_kube_artefacts() {
  printf '%s\n' "$KUBE_BIN/.built" "$KUBE_ETCD_BIN" "$KUBE_CRICTL" \
    "$KUBE_TOOLS/pause-$PAUSE_VERSION/image.tar" "$KUBE_TOOLS/$COREDNS_VERSION-coredns/image.tar"
}

_kube_built() {
  local f
  for f in $(_kube_artefacts); do [ -e "$f" ] || return 1; done
}

_kube_require_built() {
  local f
  for f in $(_kube_artefacts); do
    [ -e "$f" ] || die "$f is missing; run scripts/cluster build first (cold: 15-30 min)."
  done
}

_kube_node_ready() {
  [ "$(kctl get node "$KUBE_NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# _kube_start_apiserver / _kube_start_kubelet: the one command line of each (kube_up, kube_restart).
_kube_start_apiserver() {
  _kube_start kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --bind-address=127.0.0.1 --secure-port="$KUBE_API_PORT" --advertise-address="$KUBE_BRIDGE_IP" \
    --etcd-servers=http://127.0.0.1:23790 \
    --service-cluster-ip-range="$KUBE_SERVICE_CIDR" \
    --client-ca-file="$KUBE_PKI/ca.crt" \
    --tls-cert-file="$KUBE_PKI/apiserver.crt" --tls-private-key-file="$KUBE_PKI/apiserver.key" \
    --kubelet-client-certificate="$KUBE_PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$KUBE_PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$KUBE_PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-key-file="$KUBE_PKI/sa.pub" --service-account-signing-key-file="$KUBE_PKI/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction,PodSecurity \
    --enable-aggregator-routing=true \
    --requestheader-client-ca-file="$KUBE_PKI/ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$KUBE_PKI/front-proxy-client.crt" --proxy-client-key-file="$KUBE_PKI/front-proxy-client.key" \
    --allow-privileged=false --profiling=false
}

_kube_start_kubelet() {
  _kube_start kubelet "$KUBE_BIN/kubelet" \
    --config="$KUBE_STATE/config/kubelet.yaml" --kubeconfig="$KUBE_STATE/kubelet.kubeconfig" \
    --root-dir="$KUBE_STATE/kubelet" --cert-dir="$KUBE_PKI" \
    --hostname-override="$KUBE_NODE" --node-ip="$KUBE_BRIDGE_IP" \
    --pod-infra-container-image="$PAUSE_IMAGE"
}

# kube_restart COMPONENT: stops the running API server or kubelet by PID and starts it again with the
# same command line, then waits until it serves again (what a node's supervisor does on a restart).
kube_restart() {
  local L="$KUBE_CLUSTER_LOGS"
  case "$1" in
    kube-apiserver)
      [ -n "$(_kube_pid kube-apiserver)" ] || die "kube-apiserver is not running; start the cluster with scripts/cluster up."
      _kube_stop kube-apiserver
      _kube_start_apiserver
      _kube_wait 120 kube-apiserver "$L/kube-apiserver.log" kctl get --raw /readyz
      ;;
    kubelet)
      [ -n "$(_kube_pid kubelet)" ] || die "kubelet is not running; start the cluster with scripts/cluster up."
      _kube_stop kubelet
      _kube_start_kubelet
      _kube_wait 120 "kubelet (healthz)" "$L/kubelet.log" curl -fsS http://127.0.0.1:10248/healthz
      ;;
    *) die "kube_restart: '$1' is not a component it restarts; choose kube-apiserver or kubelet." ;;
  esac
  say "$1 restarted (pid $(_kube_pid "$1"))"
}

# kube_up: starts (or completes) the cluster and waits until it is usable.
kube_up() {
  local start=$SECONDS L="$KUBE_CLUSTER_LOGS"
  _kube_require_built
  apt_install containerd runc containernetworking-plugins iptables socat conntrack inotify-tools iproute2 python3
  # A cluster whose processes were killed (a session or machine that ended without `down`) leaves
  # its state, mounts, pod sandboxes and iptables chains behind, and completing it from there is
  # unreliable (a CI run after such an end found the node or cluster DNS never ready). With neither
  # etcd nor the API server running, `up` takes those remains down first and starts fresh.
  if [ -d "$KUBE_STATE" ] && [ -z "$(_kube_pid etcd)" ] && [ -z "$(_kube_pid kube-apiserver)" ]; then
    warn "found a cluster left behind by processes that are gone ($KUBE_STATE); removing it and starting fresh"
    kube_down
  fi
  _kube_preflight
  # A fresh cluster starts fresh logs; a rerun of `up` appends to the running cluster's.
  [ -d "$KUBE_STATE" ] || rm -f "$L"/*.log
  mkdir -p "$KUBE_STATE" "$KUBE_RUN" "$L"
  chmod 0700 "$KUBE_STATE"
  _kube_sysctls_set
  _kube_note_paths
  _kube_pki
  _kube_configs
  _kube_net_up

  say "starting etcd (127.0.0.1:23790)"
  _kube_start etcd "$KUBE_ETCD_BIN" --name todo --data-dir "$KUBE_STATE/etcd" \
    --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
    --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
    --initial-cluster todo=http://127.0.0.1:23800
  _kube_wait 60 etcd "$L/etcd.log" curl -fsS http://127.0.0.1:23790/health

  say "starting kube-apiserver (127.0.0.1:$KUBE_API_PORT)"
  _kube_start_apiserver
  _kube_wait 120 kube-apiserver "$L/kube-apiserver.log" kctl get --raw /readyz

  # Pods reach the kubernetes Service at the advertised bridge address; the API server itself
  # listens on loopback only, so a TCP relay on the bridge address hands the connections over.
  _kube_start api-bridge socat "TCP-LISTEN:$KUBE_API_PORT,bind=$KUBE_BRIDGE_IP,reuseaddr,fork" "TCP:127.0.0.1:$KUBE_API_PORT"

  say "starting kube-controller-manager and kube-scheduler (127.0.0.1)"
  _kube_start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig="$KUBE_STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$KUBE_STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$KUBE_STATE/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10257 \
    --root-ca-file="$KUBE_PKI/ca.crt" --service-account-private-key-file="$KUBE_PKI/sa.key" \
    --cluster-signing-cert-file="$KUBE_PKI/ca.crt" --cluster-signing-key-file="$KUBE_PKI/ca.key" \
    --use-service-account-credentials=true --service-cluster-ip-range="$KUBE_SERVICE_CIDR" \
    --enable-hostpath-provisioner=true --leader-elect=false --profiling=false
  _kube_start kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig="$KUBE_STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig="$KUBE_STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig="$KUBE_STATE/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false --profiling=false

  say "starting containerd for the kubelet ($KUBE_CONTAINERD_SOCK)"
  _kube_start containerd /usr/bin/containerd --config "$KUBE_STATE/config/containerd.toml"
  _kube_wait 60 containerd "$L/containerd.log" ctr -a "$KUBE_CONTAINERD_SOCK" version
  _kube_import_images

  say "starting kubelet (node $KUBE_NODE, $KUBE_BRIDGE_IP:10250) and kube-proxy"
  _kube_start_kubelet
  _kube_start kube-proxy "$KUBE_BIN/kube-proxy" --config="$KUBE_STATE/config/kube-proxy.yaml"
  _kube_wait 120 "node $KUBE_NODE" "$L/kubelet.log" _kube_node_ready
  _kube_wait 60 kube-proxy "$L/kube-proxy.log" curl -fsS http://127.0.0.1:10256/healthz
  _kube_guard
  _kube_pv_perms

  say "applying add-ons (StorageClass standard, CoreDNS $COREDNS_VERSION at $KUBE_DNS_IP)"
  _kube_addons
  kctl -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null \
    || die "CoreDNS did not become ready; kubectl --kubeconfig $KUBE_KUBECONFIG -n kube-system describe pod -l k8s-app=kube-dns"
  _kube_wait 60 "cluster DNS (kubernetes.default via port-forward)" "$L/port-forward-dns.log" _kube_check_dns
  kctl get storageclass standard >/dev/null || die "StorageClass standard is missing."

  say "cluster up in $((SECONDS - start)) s"
  printf 'kubeconfig: %s\ncontext:    %s\n' "$KUBE_KUBECONFIG" "$KUBE_CONTEXT"
}

# _kube_remove_pods: every pod sandbox through CRI, so the CNI plugins tear their network down.
_kube_remove_pods() {
  [ -S "$KUBE_CONTAINERD_SOCK" ] && [ -n "$(_kube_pid containerd)" ] || return 0
  local crictl=("$KUBE_CRICTL" --config "$KUBE_STATE/config/crictl.yaml")
  local pod
  for pod in $("${crictl[@]}" pods -q 2>/dev/null); do
    "${crictl[@]}" stopp "$pod" >/dev/null 2>&1 || warn "crictl stopp $pod failed"
    "${crictl[@]}" rmp -f "$pod" >/dev/null 2>&1 || warn "crictl rmp $pod failed"
  done
}

# _kube_kill_shims: containerd shims of this cluster's containerd that outlived it.
_kube_kill_shims() {
  local pid
  for pid in $(pgrep -f "containerd-shim.*-address $KUBE_CONTAINERD_SOCK" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# _kube_unmount: every mount below the cluster's directories, deepest first.
_kube_unmount() {
  local m
  awk -v a="$KUBE_STATE" -v b="$KUBE_RUN" '$2 == a || $2 == b || index($2, a "/") == 1 || index($2, b "/") == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || warn "could not unmount $m"
  done
}

# _kube_cgroups_clean: the kubepods cgroups the kubelet made under each v1 controller.
_kube_cgroups_clean() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# kube_down: stops everything and removes all the cluster added to the machine. Safe to rerun.
kube_down() {
  local start=$SECONDS i
  [ "$(id -u)" -eq 0 ] || die "scripts/cluster down needs root."
  for i in kube-pv-perms kube-proxy kube-scheduler kube-controller-manager kubelet; do _kube_stop "$i"; done
  _kube_remove_pods
  _kube_stop containerd
  _kube_kill_shims
  for i in api-bridge kube-apiserver etcd; do _kube_stop "$i"; done
  _kube_unmount
  _kube_net_down
  _kube_cgroups_clean
  _kube_sysctls_restore
  _kube_host_paths_clean
  rm -rf "$KUBE_STATE" "$KUBE_RUN"
  say "cluster down in $((SECONDS - start)) s"
}

# kube_status: each component, its PID, and the node/pods when the API server answers.
kube_status() {
  local p pid rc=0
  for p in "${KUBE_PROCS[@]}"; do
    pid="$(_kube_pid "$p")"
    if [ -n "$pid" ]; then
      printf '%-24s running  pid %s\n' "$p" "$pid"
    else
      printf '%-24s stopped\n' "$p"
      rc=1
    fi
  done
  if [ -f "$KUBE_KUBECONFIG" ] && kctl get --raw /readyz >/dev/null 2>&1; then
    kctl get nodes -o wide
    kctl get pods -A -o wide
  fi
  printf 'kubeconfig: %s (context %s)\n' "$KUBE_KUBECONFIG" "$KUBE_CONTEXT"
  return "$rc"
}
