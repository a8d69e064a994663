# shellcheck shell=bash
# Images: the pause and CoreDNS images as OCI archives built by hand (no base image can be pulled
# here) and their import into the kubelet's containerd (sourced by init.sh).

# kube::images::oci_archive NAME ROOTFS OUT CONFIG: an OCI image archive of one uncompressed layer (ROOTFS)
# named NAME, with CONFIG (JSON members of the image config's "config") — what `ctr images
# import` loads; built by hand because no base image can be pulled.
kube::images::oci_archive() {
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

# kube::images::pause: the sandbox ("pause") image from the kubernetes module's own pause.c, static.
kube::images::pause() {
  local dir="$KUBE_TOOLS/pause-$PAUSE_VERSION" src="$KUBE_TOOLS/$KUBE_VERSION/src/build/pause/linux/pause.c" log
  [ -f "$dir/image.tar" ] && return 0
  have gcc || apt_install gcc libc6-dev
  log="$(kube::log pause-build)"
  mkdir -p "$dir/rootfs"
  # Same flags as build/pause/Makefile.
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-todo" -o "$dir/rootfs/pause" "$src" >>"$log" 2>&1 \
    || die "gcc -static of $src failed (see $log); Debian: apt-get install gcc libc6-dev."
  kube::images::oci_archive "$PAUSE_IMAGE" "$dir/rootfs" "$dir/image.tar" '"Entrypoint":["/pause"],"User":"65535:65535"'
}

# kube::images::coredns: CoreDNS from the Go module proxy in a one-file image.
kube::images::coredns() {
  local dir="$KUBE_TOOLS/$COREDNS_VERSION-coredns"
  [ -f "$dir/image.tar" ] && return 0
  kube::build::go_install coredns "github.com/coredns/coredns@$COREDNS_VERSION" "-X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"
  rm -rf "$dir/rootfs"
  mkdir -p "$dir/rootfs"
  cp "$dir/coredns" "$dir/rootfs/coredns"
  kube::images::oci_archive "$COREDNS_IMAGE" "$dir/rootfs" "$dir/image.tar" '"Entrypoint":["/coredns"],"User":"65532:65532"'
  rm -rf "$dir/rootfs"
}

# kube::images::import: the pause and CoreDNS images into the kubelet's containerd (k8s.io namespace).
kube::images::import() {
  local tar
  for tar in "$KUBE_TOOLS/pause-$PAUSE_VERSION/image.tar" "$KUBE_TOOLS/$COREDNS_VERSION-coredns/image.tar"; do
    ctr -a "$KUBE_CONTAINERD_SOCK" -n k8s.io images import "$tar" >>"$KUBE_CLUSTER_LOGS/images.log" 2>&1 \
      || die "ctr images import $tar failed; see $KUBE_CLUSTER_LOGS/images.log"
  done
}
