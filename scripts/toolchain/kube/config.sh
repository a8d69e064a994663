# shellcheck shell=bash
# Configuration files: templates/ rendered with the knobs of init.sh and written where the
# components read them (sourced by init.sh).

# kube::config::render TEMPLATE: templates/TEMPLATE with each ${NAME} replaced by the value of the
# shell variable NAME (a knob of init.sh or a local of the caller); an unset NAME is an error.
kube::config::render() {
  # Prefixed locals: a caller's own locals (name, user, reg) fill the template too.
  local _tpl_file="$KUBE_DIR/templates/$1" _tpl_text _tpl_var
  _tpl_text="$(<"$_tpl_file")" || die "cannot read the template $_tpl_file."
  while [[ "$_tpl_text" =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
    _tpl_var="${BASH_REMATCH[1]}"
    [ -n "${!_tpl_var+set}" ] \
      || die "the template $_tpl_file names \${$_tpl_var}, which is not set; set it in scripts/toolchain/kube/init.sh."
    _tpl_text="${_tpl_text//"\${$_tpl_var}"/"${!_tpl_var}"}"
  done
  printf '%s\n' "$_tpl_text"
}

# kube::config::write FILE: stdin into FILE only when it differs (kube-proxy exits when its config changes).
kube::config::write() {
  local tmp="$1.tmp"
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

# kube::config::make: containerd, CNI, crictl, kubelet and kube-proxy configuration files.
kube::config::make() {
  local reg
  mkdir -p "$KUBE_CONFIG_DIR" "$KUBE_STATE/cni/net.d" "$KUBE_STATE/containerd/certs.d" "$KUBE_RUN/containerd"
  # A separate containerd for the kubelet: own root, state, sockets; the Docker daemon's is untouched.
  kube::config::render containerd.toml | kube::config::write "$KUBE_CONFIG_DIR/containerd.toml"
  # The project's registry (Debian's docker-registry) speaks plain HTTP on loopback.
  for reg in 127.0.0.1:5000 localhost:5000; do
    mkdir -p "$KUBE_STATE/containerd/certs.d/$reg"
    kube::config::render registry-hosts.toml | kube::config::write "$KUBE_STATE/containerd/certs.d/$reg/hosts.toml"
  done
  kube::config::render 10-todo-pods.conflist | kube::config::write "$KUBE_STATE/cni/net.d/10-todo-pods.conflist"
  kube::config::render crictl.yaml | kube::config::write "$KUBE_CONFIG_DIR/crictl.yaml"
  # Pods with dnsPolicy Default get this file: the cluster DNS only, never a resolver off the machine.
  kube::config::render resolv.conf | kube::config::write "$KUBE_CONFIG_DIR/resolv.conf"
  kube::config::render kubelet.yaml | kube::config::write "$KUBE_CONFIG_DIR/kubelet.yaml"
  kube::config::render kube-proxy.yaml | kube::config::write "$KUBE_CONFIG_DIR/kube-proxy.yaml"
}
