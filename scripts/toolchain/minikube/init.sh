# shellcheck shell=bash disable=SC2034  # the knobs are read by the files it sources
# Minikube on a machine that can download no release binary and pull no image: minikube, its
# Kubernetes and every image its docker driver needs, built from upstream sources and Debian
# packages (test tooling; users run the official minikube). The knobs, each named once, and the
# files of each concern. Sourced after scripts/toolchain/common.sh and docker.sh.
#
#   minikube::build               builds/caches everything below (idempotent; progress on stderr,
#                                 logs in $MK_LOGS)
#   minikube::missing             one line per missing piece with the command that builds it
#   minikube::daemon::up          a second, newer dockerd for Minikube on its own socket (see
#                                 below); loads the images
#   minikube::daemon::down        stops it (by PID) and removes its firewall rule
#   minikube::env                 prints the environment a Minikube run needs (DOCKER_HOST,
#                                 MINIKUBE_HOME, PATH and scripts/up's documented MINIKUBE_* overrides)
#   minikube::daemon::copy_image NAME  copies an image from the machine's dockerd into Minikube's
#
# The concerns, one file each beside this one:
#   source.sh   the k8s.io/minikube module and the versions read from it
#   build.sh    minikube, storage-provisioner, Kubernetes (kube/build.sh's recipe), etcd, dockerd
#   images.sh   the node image (kicbase-setup.sh runs in its chroot) and every image the node runs
#   daemon.sh   the second dockerd, its firewall rule, and the environment of a Minikube run
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
MK_DIR="$REPO_ROOT/scripts/toolchain/minikube"
MK_TOOLS="$TOOLS_DIR/minikube"
MK_LOGS="$MK_TOOLS/logs"
MK_BIN="$MK_TOOLS/bin"
MK_HOME="$MK_TOOLS/home"
MK_IMAGES="$MK_TOOLS/images"
MK_DOCKER="$MK_TOOLS/docker"
MK_RUN="${TODO_MINIKUBE_RUN:-/run/todo-minikube-docker}"
MK_DOCKER_ROOT="${TODO_MINIKUBE_DOCKER_ROOT:-/var/lib/todo-minikube-docker}"
# The tier reaches it with DOCKER_HOST, not a Docker CLI context: pulumi-docker's provider reads
# DOCKER_CONTEXT from ~/.docker alone (DOCKER_CONFIG ignored), so a context kept outside the
# machine's ~/.docker stops every image build ("could not read contexts directory").
MK_DOCKER_HOST="unix://$MK_RUN/docker.sock"
# Its default bridge (no container of the tier uses it; Minikube makes a network of its own).
MK_BRIDGE="todo-mk0"
MK_BRIDGE_CIDR="10.253.254.1/24"
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

# The storage-provisioner tag minikube asks for (STORAGE_PROVISIONER_TAG, v5) dates from minikube
# commit e2c02ed6 ("bump storage provisioner image", PR #10951, first released in v1.19.0) and was
# never bumped since: built from a newer module, its client-go refuses the Endpoints lock it takes.
# The Go proxy does not serve k8s.io/minikube v1.19.0, so its provisioner source (unchanged since,
# bar two renamed parameters) is built against v1.19.0's go.mod versions of what it imports.
MK_PROVISIONER_TAG="v5"
MK_PROVISIONER_RELEASE="v1.19.0"
MK_PROVISIONER_REQUIRES="github.com/pkg/errors@v0.9.1 k8s.io/api@v0.20.5 k8s.io/apimachinery@v0.20.5 k8s.io/client-go@v0.20.5
  k8s.io/klog/v2@v2.8.0 sigs.k8s.io/sig-storage-lib-external-provisioner/v6@v6.3.0"

# kube/init.sh: the build recipe of Kubernetes (kube::build::binaries) and CRICTL_VERSION.
source "$REPO_ROOT/scripts/toolchain/kube/init.sh"

minikube::log() { mkdir -p "$MK_LOGS"; printf '%s/%s.log\n' "$MK_LOGS" "$1"; }

for _mk_concern in source build images daemon; do
  source "$MK_DIR/$_mk_concern.sh"
done
unset _mk_concern
