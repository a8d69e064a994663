# shellcheck shell=bash
# Add-ons: what a fresh cluster needs beyond the control plane (templates/addons.yaml), the
# host-path volumes' permissions, and the cluster DNS check (dns_query.py; sourced by init.sh).

# kube::addons::apply: what a fresh cluster needs beyond the control plane: the API server's right to
# use the kubelet API, the default StorageClass `standard` (host-path, like Minikube's) and CoreDNS
# answering for cluster.local only (NXDOMAIN for everything else: no resolver off the machine).
kube::addons::apply() {
  kube::config::render addons.yaml | kube::kubectl apply -f - >/dev/null \
    || die "applying the cluster add-ons failed; see $KUBE_CLUSTER_LOGS/kube-apiserver.log"
}

# kube::addons::pv_perms: the in-tree host-path provisioner makes each volume directory 0750 root:root,
# which a non-root pod (PostgreSQL as UID 10001) cannot write and fsGroup does not change for
# host paths; this watcher makes new volume directories 0777, as Minikube's provisioner does.
kube::addons::pv_perms() {
  mkdir -p "$KUBE_HOSTPATH_DIR"
  find "$KUBE_HOSTPATH_DIR" -mindepth 1 -maxdepth 1 -type d -exec chmod 0777 {} +
  # shellcheck disable=SC2016 # $1 and $d belong to the inner shell.
  kube::process::start kube-pv-perms bash -c 'inotifywait -m -q -e create -e moved_to --format "%w%f" "$1" | while read -r d; do [ -d "$d" ] && chmod 0777 "$d"; done' _ "$KUBE_HOSTPATH_DIR"
}

# kube::addons::check_dns: CoreDNS answers kubernetes.default through `kubectl port-forward` on 127.0.0.1.
kube::addons::check_dns() {
  local port pf ok=1 log="$KUBE_CLUSTER_LOGS/port-forward-dns.log" _
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # The binary itself, not the kube::kubectl function: $! must be kubectl's PID for the kill below.
  "$KUBE_BIN/kubectl" --kubeconfig "$KUBE_KUBECONFIG" -n kube-system port-forward --address 127.0.0.1 \
    svc/kube-dns "$port:53" >"$log" 2>&1 &
  pf=$!
  for _ in $(seq 30); do
    grep -q Forwarding "$log" && break
    sleep 0.5
  done
  [ "$(python3 "$KUBE_DIR/dns_query.py" "$port" kubernetes.default.svc.cluster.local 2>>"$log")" = "$KUBE_API_SERVICE_IP" ] && ok=0
  kill "$pf" 2>/dev/null || true
  wait "$pf" 2>/dev/null || true
  return "$ok"
}
