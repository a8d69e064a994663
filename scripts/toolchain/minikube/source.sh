# shellcheck shell=bash
# The k8s.io/minikube module and the facts read from it: the Makefile's defaults, the Kubernetes
# version minikube starts by default and the image tags its kubeadm expects (sourced by init.sh).

# minikube::source::fetch: a writable copy of the k8s.io/minikube module (go install refuses its replace directives).
minikube::source::fetch() {
  local log
  [ -f "$MK_SRC/.prepared" ] && return 0
  log="$(minikube::log minikube-source)"
  say "downloading k8s.io/minikube@$MK_VERSION from the Go module proxy (log: $log)"
  kube::build::module_copy "k8s.io/minikube@$MK_VERSION" "$MK_SRC" "$log"
  touch "$MK_SRC/.prepared"
}

# minikube::source::make_var NAME: a variable's default from minikube's Makefile (`NAME ?= value`).
minikube::source::make_var() { sed -n "s/^$1 ?= *//p" "$MK_SRC/Makefile" | head -n1; }

# minikube::source::kube_version: the Kubernetes version this minikube starts by default and knows offline
# (a newer one makes `minikube start` look it up on GitHub, or needs --force).
minikube::source::kube_version() { sed -n 's/^[[:space:]]*DefaultKubernetesVersion = "\(v[^"]*\)"/\1/p' "$MK_SRC/pkg/minikube/constants/constants.go"; }

# minikube::source::image_tag NAME: the tag minikube expects for NAME (etcd, pause, coredns/coredns).
minikube::source::image_tag() {
  awk -v ver="\"$(minikube::source::kube_version)\": {" -v name="\"$1\":" '
    index($0, ver) { on = 1; next }
    on && /}/ { exit }
    on && index($0, name) { gsub(/[",]/, "", $2); print $2; exit }' \
    "$MK_SRC/pkg/minikube/constants/constants_kubeadm_images.go"
}
