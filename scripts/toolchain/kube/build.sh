# shellcheck shell=bash
# Building: Kubernetes from the k8s.io/kubernetes module, crictl and CoreDNS with go install, and
# Debian's etcd-server unpacked; cached under $KUBE_TOOLS (sourced by init.sh).

# kube::build::need_go: Go on PATH, version 1.24+ (Kubernetes 1.34's go.mod minimum).
kube::build::need_go() {
  have go || die "Go is missing. Install Go 1.24+ (https://go.dev/doc/install, or /usr/local/go/bin on PATH) and run again."
}

# kube::build::ldflags: the version variables hack/lib/version.sh sets; the commit is unknown in a module
# zip, so the tree state says "archive" and the build date is the module's publication time.
kube::build::ldflags() {
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

# kube::build::module_copy MODULE@VERSION DEST LOG: a writable copy of a module from the Go module
# proxy at DEST (what was there goes), the download's messages in LOG.
kube::build::module_copy() {
  local target="$1" dest="$2" log="$3" dir
  dir="$(go mod download -json "$target" 2>>"$log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "${dir:-/nonexistent}" ] \
    || die "go mod download $target failed (see $log); check that the Go module proxy is reachable (go env GOPROXY)."
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  cp -r "$dir" "$dest"
  chmod -R u+w "$dest"
}

# kube::build::source: a writable copy of the k8s.io/kubernetes module whose 31 ./staging replaces
# (absent from the module zip) are swapped for the published k8s.io/X modules.
kube::build::source() {
  local src="$KUBE_TOOLS/$KUBE_VERSION/src" mods mod log
  [ -f "$src/.prepared" ] && return 0
  log="$(kube::log kubernetes-source)"
  say "downloading k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy (log: $log)"
  kube::build::module_copy "k8s.io/kubernetes@$KUBE_VERSION" "$src" "$log"
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

# kube::build::binaries: the six Kubernetes binaries in one `go build` (they share most packages).
kube::build::binaries() {
  local stamp="$KUBE_BIN/.built" src="$KUBE_TOOLS/$KUBE_VERSION/src" log pkgs=() c start
  [ -f "$stamp" ] && return 0
  kube::build::source
  log="$(kube::log kubernetes-build)"
  for c in "${KUBE_COMPONENTS[@]}"; do pkgs+=("./cmd/$c"); done
  mkdir -p "$KUBE_BIN"
  say "building ${KUBE_COMPONENTS[*]} $KUBE_VERSION (cold: 10-20 min; log: $log)"
  start=$SECONDS
  # -mod=mod lets go add the published staging modules' sums to go.sum.
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod nice go build -trimpath -ldflags "$(kube::build::ldflags)" -o "$KUBE_BIN/" "${pkgs[@]}") \
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

# kube::build::go_install NAME MODULE@VERSION LDFLAGS: a static binary from the Go module proxy into
# $KUBE_TOOLS/bin-extra (modules without replace directives install directly).
kube::build::go_install() {
  local name="$1" target="$2" ldflags="$3" dir log
  dir="$KUBE_TOOLS/${target##*@}-$name"
  [ -x "$dir/$name" ] && return 0
  log="$(kube::log "$name-build")"
  say "building $name ${target##*@} with go install (log: $log)"
  mkdir -p "$dir"
  GOBIN="$dir" CGO_ENABLED=0 nice go install -trimpath -ldflags "-s -w $ldflags" "$target" >>"$log" 2>&1 \
    || die "go install $target failed; the last lines of $log say why."
  [ -x "$dir/$name" ] || die "go install $target finished but $dir/$name is missing; see $log."
}

# kube::build::etcd: Debian 12's etcd-server unpacked (dpkg -x, so no service starts).
kube::build::etcd() {
  local dir="$KUBE_TOOLS/etcd-$ETCD_DEB_VERSION" tmp log
  [ -x "$dir/usr/bin/etcd" ] && return 0
  log="$(kube::log etcd-download)"
  say "fetching Debian's etcd-server $ETCD_DEB_VERSION (apt-get download; log: $log)"
  tmp="$(mktemp -d)"
  # _apt: apt-get download drops privileges to _apt, which must be able to write the directory.
  chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download etcd-server) >>"$log" 2>&1 \
    || { rm -rf "$tmp"; die "apt-get download etcd-server failed (see $log); run apt-get update and check the machine's Debian mirror."; }
  case "$(basename "$tmp"/etcd-server_*.deb)" in
    etcd-server_"$ETCD_DEB_VERSION"*) ;;
    *) rm -rf "$tmp"; die "the mirror offers $(basename "$tmp"/etcd-server_*.deb), not etcd-server $ETCD_DEB_VERSION; update ETCD_DEB_VERSION in scripts/toolchain/kube/init.sh." ;;
  esac
  mkdir -p "$dir"
  dpkg -x "$tmp"/etcd-server_*.deb "$dir" >>"$log" 2>&1 || { rm -rf "$tmp"; die "dpkg -x of etcd-server failed; see $log."; }
  rm -rf "$tmp"
  [ -x "$dir/usr/bin/etcd" ] || die "etcd-server unpacked to $dir without usr/bin/etcd; see $log."
}

# kube::build::artefacts: what `build` makes and `up` needs.
kube::build::artefacts() {
  printf '%s\n' "$KUBE_BIN/.built" "$KUBE_ETCD_BIN" "$KUBE_CRICTL" \
    "$KUBE_TOOLS/pause-$PAUSE_VERSION/image.tar" "$KUBE_TOOLS/$COREDNS_VERSION-coredns/image.tar"
}

kube::build::done() {
  local f
  for f in $(kube::build::artefacts); do [ -e "$f" ] || return 1; done
}

kube::build::require() {
  local f
  for f in $(kube::build::artefacts); do
    [ -e "$f" ] || die "$f is missing; run scripts/cluster build first (cold: 15-30 min)."
  done
}

# kube::build: everything `up` needs, built or fetched once and cached under $KUBE_TOOLS.
kube::build() {
  local start=$SECONDS
  if kube::build::done; then
    say "Kubernetes $KUBE_VERSION, etcd, crictl, pause and CoreDNS images already built ($KUBE_TOOLS)"
    return 0
  fi
  kube::build::need_go
  have apt-get || die "this needs a Debian/Ubuntu machine (apt-get) for etcd, containerd and the CNI plugins."
  mkdir -p "$KUBE_TOOLS"
  kube::build::etcd
  kube::build::binaries
  kube::build::go_install crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION"
  kube::images::pause
  kube::images::coredns
  say "build complete in $((SECONDS - start)) s: $KUBE_BIN"
}
