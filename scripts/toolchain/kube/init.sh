# shellcheck shell=bash disable=SC2034  # the knobs are read by the files it sources
# A real single-node Kubernetes cluster on this machine, built from upstream sources: the knobs,
# each named once, and the files of each concern. Sourced after scripts/toolchain/common.sh (uses
# say, warn, die, have, apt_install, detach, TOOLS_DIR).
#
#   kube::build     builds/caches every binary and image the cluster needs (idempotent, stamp files)
#   kube::up        starts KUBE_PROCS in order: etcd, the control plane, containerd, kubelet, ...
#   kube::down      stops them in reverse and removes everything the cluster added to the machine
#   kube::status    reports the components and their PIDs
#   kube::restart   restarts the API server or the kubelet by PID (the live tier's fault tests)
#
# The concerns, one file each beside this one:
#   build.sh    Kubernetes, etcd and crictl from the Go module proxy and Debian
#   images.sh   the pause and CoreDNS images, built by hand (no image can be pulled here)
#   process.sh  components as PID-file daemons: start, stop, wait
#   pki.sh      the cluster CA, every certificate and the kubeconfigs
#   config.sh   containerd, CNI, kubelet and kube-proxy configuration, from templates/
#   host.sh     what the cluster changes on the machine: preflight, sysctls, host paths, mounts
#   net.sh      the bridge, routes and the iptables guard
#   addons.sh   StorageClass, CoreDNS (templates/addons.yaml) and the cluster DNS check (dns_query.py)
#   cluster.sh  each component's command line and readiness check; up, down, status, restart
#
# Where things are:
#   $KUBE_TOOLS = $TOOLS_DIR/kubernetes   binaries and images (outside the repository, reused by
#                                         fresh clones); build logs in $TOOLS_DIR/logs
#   $KUBE_STATE = /var/lib/todo-cluster   PKI, kubeconfigs, etcd data, containerd and kubelet roots
#   $KUBE_RUN   = /run/todo-cluster       sockets, pid files
#   $TOOLS_DIR/logs/cluster/NAME.log      each component's output (kept after `down`)
# Clients: kubeconfig $KUBE_KUBECONFIG, context todo-local (admin, system:masters).
# Listeners: 127.0.0.1 (KUBE_LOOPBACK_PORTS, containerd streaming) and the bridge address
# 10.244.0.1 (kubelet KUBE_KUBELET_PORT, the API relay KUBE_API_PORT). Nothing else.
# Images: the kubelet's containerd pulls 127.0.0.1:5000/... and localhost:5000/... over plain HTTP
# (by digest or tag); the pause and CoreDNS images are imported at `up`, never pulled.

# Pinned versions: the only place they are named.
KUBE_VERSION="v1.34.2"
KUBE_STAGING_VERSION="v0.34.2"
COREDNS_VERSION="v1.12.1"
CRICTL_VERSION="v1.34.0"
ETCD_DEB_VERSION="3.4.23"
PAUSE_VERSION="3.10.1"

KUBE_DIR="$REPO_ROOT/scripts/toolchain/kube"
KUBE_TOOLS="$TOOLS_DIR/kubernetes"
KUBE_BIN="$KUBE_TOOLS/$KUBE_VERSION/bin"
KUBE_LOGS="$TOOLS_DIR/logs"
KUBE_ETCD_BIN="$KUBE_TOOLS/etcd-$ETCD_DEB_VERSION/usr/bin/etcd"
KUBE_CRICTL="$KUBE_TOOLS/$CRICTL_VERSION-crictl/crictl"
KUBE_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
PAUSE_IMAGE="registry.k8s.io/pause:$PAUSE_VERSION"
COREDNS_IMAGE="todo.local/coredns:$COREDNS_VERSION"

KUBE_STATE="${TODO_CLUSTER_STATE:-/var/lib/todo-cluster}"
KUBE_RUN="${TODO_CLUSTER_RUN:-/run/todo-cluster}"
KUBE_PKI="$KUBE_STATE/pki"
KUBE_CONFIG_DIR="$KUBE_STATE/config"
KUBE_KUBECONFIG="$KUBE_STATE/admin.kubeconfig"
KUBE_CLUSTER_LOGS="$KUBE_LOGS/cluster"
KUBE_CONTAINERD_SOCK="$KUBE_RUN/containerd/containerd.sock"
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
# Ports on 127.0.0.1, each checked free by `up` (the API server's is also the relay's on the bridge).
KUBE_ETCD_PORT="23790"
KUBE_ETCD_PEER_PORT="23800"
KUBE_API_PORT="6443"
KUBE_CONTROLLER_MANAGER_PORT="10257"
KUBE_SCHEDULER_PORT="10259"
KUBE_KUBELET_HEALTHZ_PORT="10248"
KUBE_PROXY_METRICS_PORT="10249"
KUBE_PROXY_HEALTHZ_PORT="10256"
KUBE_LOOPBACK_PORTS=("$KUBE_ETCD_PORT" "$KUBE_ETCD_PEER_PORT" "$KUBE_API_PORT" "$KUBE_CONTROLLER_MANAGER_PORT"
  "$KUBE_SCHEDULER_PORT" "$KUBE_KUBELET_HEALTHZ_PORT" "$KUBE_PROXY_METRICS_PORT" "$KUBE_PROXY_HEALTHZ_PORT")
# The kubelet's API, on the bridge address.
KUBE_KUBELET_PORT="10250"
# Host ports on the bridge address pods may reach besides the API: where a service "outside the
# cluster" (the live tier's external PostgreSQL) listens. Nothing else of the machine is reachable.
KUBE_HOST_SERVICE_PORTS="15450:15459"

# The components, each a daemon of its own: started in this order, stopped in reverse
# (cluster.sh has each one's command line; kube-pv-perms is explained at kube::addons::pv_perms).
KUBE_PROCS=(etcd kube-apiserver api-bridge kube-controller-manager kube-scheduler containerd kubelet kube-proxy kube-pv-perms)

KUBE_HOSTPATH_DIR="/tmp/hostpath_pv"
# Paths outside the state directory that the kubelet and libcni hard-code; `down` removes the ones
# that did not exist before `up` (recorded in $KUBE_STATE/created-paths) and our entries in the others.
KUBE_HOST_PATHS=(/var/lib/kubelet /var/lib/cni /var/log/containers /var/log/pods /run/netns "$KUBE_HOSTPATH_DIR")
# Kernel settings the cluster needs; their previous values are restored by `down`. kubelet
# insists on the vm/kernel ones (it sets them itself otherwise).
KUBE_SYSCTLS=(net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 vm.overcommit_memory=1 kernel.panic=10 kernel.panic_on_oops=1)

# kube::log NAME: the path of a build log (created on demand).
kube::log() { mkdir -p "$KUBE_LOGS"; printf '%s/%s.log\n' "$KUBE_LOGS" "$1"; }

# kube::kubectl ARGS...: the built kubectl as the cluster's admin.
kube::kubectl() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBE_KUBECONFIG" "$@"; }

for _kube_concern in build images process pki config host net addons cluster; do
  source "$KUBE_DIR/$_kube_concern.sh"
done
unset _kube_concern
