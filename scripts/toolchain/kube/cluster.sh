# shellcheck shell=bash
# The cluster's life: each component of KUBE_PROCS with its one command line and readiness check,
# and up, down, status and restart over that list (sourced by init.sh).

# kube::cluster::start NAME: starts the component NAME (unless it runs) and waits until it serves.
kube::cluster::start() {
  local L="$KUBE_CLUSTER_LOGS"
  case "$1" in
    etcd)
      say "starting etcd (127.0.0.1:$KUBE_ETCD_PORT)"
      kube::process::start etcd "$KUBE_ETCD_BIN" --name todo --data-dir "$KUBE_STATE/etcd" \
        --listen-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
        --initial-cluster "todo=http://127.0.0.1:$KUBE_ETCD_PEER_PORT"
      kube::process::wait 60 etcd "$L/etcd.log" curl -fsS "http://127.0.0.1:$KUBE_ETCD_PORT/health"
      ;;
    kube-apiserver)
      say "starting kube-apiserver (127.0.0.1:$KUBE_API_PORT)"
      kube::process::start kube-apiserver "$KUBE_BIN/kube-apiserver" \
        --bind-address=127.0.0.1 --secure-port="$KUBE_API_PORT" --advertise-address="$KUBE_BRIDGE_IP" \
        --etcd-servers="http://127.0.0.1:$KUBE_ETCD_PORT" \
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
      kube::process::wait 120 kube-apiserver "$L/kube-apiserver.log" kube::kubectl get --raw /readyz
      ;;
    api-bridge)
      # Pods reach the kubernetes Service at the advertised bridge address; the API server itself
      # listens on loopback only, so a TCP relay on the bridge address hands the connections over.
      kube::process::start api-bridge socat "TCP-LISTEN:$KUBE_API_PORT,bind=$KUBE_BRIDGE_IP,reuseaddr,fork" "TCP:127.0.0.1:$KUBE_API_PORT"
      ;;
    kube-controller-manager)
      say "starting kube-controller-manager (127.0.0.1:$KUBE_CONTROLLER_MANAGER_PORT)"
      kube::process::start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
        --kubeconfig="$KUBE_STATE/controller-manager.kubeconfig" \
        --authentication-kubeconfig="$KUBE_STATE/controller-manager.kubeconfig" \
        --authorization-kubeconfig="$KUBE_STATE/controller-manager.kubeconfig" \
        --bind-address=127.0.0.1 --secure-port="$KUBE_CONTROLLER_MANAGER_PORT" \
        --root-ca-file="$KUBE_PKI/ca.crt" --service-account-private-key-file="$KUBE_PKI/sa.key" \
        --cluster-signing-cert-file="$KUBE_PKI/ca.crt" --cluster-signing-key-file="$KUBE_PKI/ca.key" \
        --use-service-account-credentials=true --service-cluster-ip-range="$KUBE_SERVICE_CIDR" \
        --enable-hostpath-provisioner=true --leader-elect=false --profiling=false
      ;;
    kube-scheduler)
      say "starting kube-scheduler (127.0.0.1:$KUBE_SCHEDULER_PORT)"
      kube::process::start kube-scheduler "$KUBE_BIN/kube-scheduler" \
        --kubeconfig="$KUBE_STATE/scheduler.kubeconfig" \
        --authentication-kubeconfig="$KUBE_STATE/scheduler.kubeconfig" \
        --authorization-kubeconfig="$KUBE_STATE/scheduler.kubeconfig" \
        --bind-address=127.0.0.1 --secure-port="$KUBE_SCHEDULER_PORT" --leader-elect=false --profiling=false
      ;;
    containerd)
      say "starting containerd for the kubelet ($KUBE_CONTAINERD_SOCK)"
      kube::process::start containerd /usr/bin/containerd --config "$KUBE_CONFIG_DIR/containerd.toml"
      kube::process::wait 60 containerd "$L/containerd.log" ctr -a "$KUBE_CONTAINERD_SOCK" version
      kube::images::import
      ;;
    kubelet)
      say "starting kubelet (node $KUBE_NODE, $KUBE_BRIDGE_IP:$KUBE_KUBELET_PORT)"
      kube::process::start kubelet "$KUBE_BIN/kubelet" \
        --config="$KUBE_CONFIG_DIR/kubelet.yaml" --kubeconfig="$KUBE_STATE/kubelet.kubeconfig" \
        --root-dir="$KUBE_STATE/kubelet" --cert-dir="$KUBE_PKI" \
        --hostname-override="$KUBE_NODE" --node-ip="$KUBE_BRIDGE_IP" \
        --pod-infra-container-image="$PAUSE_IMAGE"
      kube::process::wait 120 "kubelet (healthz)" "$L/kubelet.log" curl -fsS "http://127.0.0.1:$KUBE_KUBELET_HEALTHZ_PORT/healthz"
      ;;
    kube-proxy)
      say "starting kube-proxy (127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT)"
      kube::process::start kube-proxy "$KUBE_BIN/kube-proxy" --config="$KUBE_CONFIG_DIR/kube-proxy.yaml"
      kube::process::wait 60 kube-proxy "$L/kube-proxy.log" curl -fsS "http://127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT/healthz"
      ;;
    kube-pv-perms) kube::addons::pv_perms ;;
    *) die "kube::cluster::start: '$1' is not a component of KUBE_PROCS (${KUBE_PROCS[*]})." ;;
  esac
}

kube::cluster::node_ready() {
  [ "$(kube::kubectl get node "$KUBE_NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# kube::cluster::remove_pods: every pod sandbox through CRI, so the CNI plugins tear their network down.
kube::cluster::remove_pods() {
  [ -S "$KUBE_CONTAINERD_SOCK" ] && [ -n "$(kube::process::pid containerd)" ] || return 0
  local crictl=("$KUBE_CRICTL" --config "$KUBE_CONFIG_DIR/crictl.yaml")
  local pod
  for pod in $("${crictl[@]}" pods -q 2>/dev/null); do
    "${crictl[@]}" stopp "$pod" >/dev/null 2>&1 || warn "crictl stopp $pod failed"
    "${crictl[@]}" rmp -f "$pod" >/dev/null 2>&1 || warn "crictl rmp $pod failed"
  done
}

# kube::up: starts (or completes) the cluster and waits until it is usable.
kube::up() {
  local start=$SECONDS L="$KUBE_CLUSTER_LOGS" p
  kube::build::require
  apt_install containerd runc containernetworking-plugins iptables socat conntrack inotify-tools iproute2 python3
  # A cluster whose processes were killed (a session or machine that ended without `down`) leaves
  # its state, mounts, pod sandboxes and iptables chains behind, and completing it from there is
  # unreliable (a CI run after such an end found the node or cluster DNS never ready). With neither
  # etcd nor the API server running, `up` takes those remains down first and starts fresh.
  if [ -d "$KUBE_STATE" ] && [ -z "$(kube::process::pid etcd)" ] && [ -z "$(kube::process::pid kube-apiserver)" ]; then
    warn "found a cluster left behind by processes that are gone ($KUBE_STATE); removing it and starting fresh"
    kube::down
  fi
  kube::host::preflight
  # A fresh cluster starts fresh logs; a rerun of `up` appends to the running cluster's.
  [ -d "$KUBE_STATE" ] || rm -f "$L"/*.log
  mkdir -p "$KUBE_STATE" "$KUBE_RUN" "$L"
  chmod 0700 "$KUBE_STATE"
  kube::host::set_sysctls
  kube::host::note_paths
  kube::pki::make
  kube::config::make
  kube::net::up
  for p in "${KUBE_PROCS[@]}"; do kube::cluster::start "$p"; done
  kube::process::wait 120 "node $KUBE_NODE" "$L/kubelet.log" kube::cluster::node_ready
  # The kubelet and kube-proxy put their chains in FORWARD and INPUT; the guard goes first again.
  kube::net::guard

  say "applying add-ons (StorageClass standard, CoreDNS $COREDNS_VERSION at $KUBE_DNS_IP)"
  kube::addons::apply
  kube::kubectl -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null \
    || die "CoreDNS did not become ready; kubectl --kubeconfig $KUBE_KUBECONFIG -n kube-system describe pod -l k8s-app=kube-dns"
  kube::process::wait 60 "cluster DNS (kubernetes.default via port-forward)" "$L/port-forward-dns.log" kube::addons::check_dns
  kube::kubectl get storageclass standard >/dev/null || die "StorageClass standard is missing."

  say "cluster up in $((SECONDS - start)) s"
  printf 'kubeconfig: %s\ncontext:    %s\n' "$KUBE_KUBECONFIG" "$KUBE_CONTEXT"
}

# kube::down: stops KUBE_PROCS in reverse and removes all the cluster added to the machine. Safe to rerun.
kube::down() {
  local start=$SECONDS i name
  [ "$(id -u)" -eq 0 ] || die "scripts/cluster down needs root."
  for ((i = ${#KUBE_PROCS[@]} - 1; i >= 0; i--)); do
    name="${KUBE_PROCS[i]}"
    # The kubelet is gone by then (it would recreate them); containerd still runs to remove them.
    [ "$name" != containerd ] || kube::cluster::remove_pods
    kube::process::stop "$name"
    [ "$name" != containerd ] || kube::process::kill_shims
  done
  kube::host::unmount
  kube::net::down
  kube::host::clean_cgroups
  kube::host::restore_sysctls
  kube::host::clean_paths
  rm -rf "$KUBE_STATE" "$KUBE_RUN"
  say "cluster down in $((SECONDS - start)) s"
}

# kube::status: each component, its PID, and the node/pods when the API server answers.
kube::status() {
  local p pid rc=0
  for p in "${KUBE_PROCS[@]}"; do
    pid="$(kube::process::pid "$p")"
    if [ -n "$pid" ]; then
      printf '%-24s running  pid %s\n' "$p" "$pid"
    else
      printf '%-24s stopped\n' "$p"
      rc=1
    fi
  done
  if [ -f "$KUBE_KUBECONFIG" ] && kube::kubectl get --raw /readyz >/dev/null 2>&1; then
    kube::kubectl get nodes -o wide
    kube::kubectl get pods -A -o wide
  fi
  printf 'kubeconfig: %s (context %s)\n' "$KUBE_KUBECONFIG" "$KUBE_CONTEXT"
  return "$rc"
}

# kube::restart COMPONENT: stops the running API server or kubelet by PID and starts it again with the
# same command line, then waits until it serves again (what a node's supervisor does on a restart).
kube::restart() {
  case "$1" in
    kube-apiserver | kubelet) ;;
    *) die "kube::restart: '$1' is not a component it restarts; choose kube-apiserver or kubelet." ;;
  esac
  [ -n "$(kube::process::pid "$1")" ] || die "$1 is not running; start the cluster with scripts/cluster up."
  kube::process::stop "$1"
  kube::cluster::start "$1"
  say "$1 restarted (pid $(kube::process::pid "$1"))"
}
