# shellcheck shell=bash
# PKI: the cluster CA, every component's certificate and the kubeconfigs (templates/kubeconfig.yaml),
# made once per cluster under $KUBE_PKI (sourced by init.sh).

# kube::pki::cert NAME CN ORG EXT SANS: a P-256 key and a certificate signed by the cluster CA.
# EXT is serverAuth, clientAuth or both; SANS is an openssl subjectAltName list or empty.
kube::pki::cert() {
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

# kube::pki::kubeconfig NAME USER: a kubeconfig for a client certificate made by kube::pki::cert.
kube::pki::kubeconfig() {
  # shellcheck disable=SC2034  # both fill templates/kubeconfig.yaml
  local name="$1" user="$2"
  kube::config::render kubeconfig.yaml >"$KUBE_STATE/$name.kubeconfig"
  chmod 0600 "$KUBE_STATE/$name.kubeconfig"
}

# kube::pki::make: the cluster CA and every certificate; made once per cluster (down deletes them).
kube::pki::make() {
  [ -f "$KUBE_PKI/.done" ] && return 0
  rm -rf "$KUBE_PKI"
  mkdir -p "$KUBE_PKI"
  chmod 0700 "$KUBE_PKI"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=todo-cluster-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -keyout "$KUBE_PKI/ca.key" -out "$KUBE_PKI/ca.crt" 2>/dev/null || die "openssl could not make the cluster CA."
  kube::pki::cert apiserver kube-apiserver "" serverAuth \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$KUBE_API_SERVICE_IP,IP:$KUBE_BRIDGE_IP"
  kube::pki::cert apiserver-kubelet-client kube-apiserver-kubelet-client "" clientAuth ""
  kube::pki::cert admin todo-admin system:masters clientAuth ""
  kube::pki::cert controller-manager system:kube-controller-manager "" clientAuth ""
  kube::pki::cert scheduler system:kube-scheduler "" clientAuth ""
  kube::pki::cert proxy system:kube-proxy "" clientAuth ""
  kube::pki::cert kubelet "system:node:$KUBE_NODE" system:nodes clientAuth ""
  kube::pki::cert kubelet-serving "$KUBE_NODE" "" serverAuth "DNS:$KUBE_NODE,IP:$KUBE_BRIDGE_IP"
  # The front-proxy pair (as kubeadm's): delegated authentication in the controller-manager and
  # scheduler reads its CA, and aggregated APIs (metrics-server) would need it.
  kube::pki::cert front-proxy-client front-proxy-client "" clientAuth ""
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KUBE_PKI/sa.key" 2>/dev/null
  openssl pkey -in "$KUBE_PKI/sa.key" -pubout -out "$KUBE_PKI/sa.pub" 2>/dev/null
  kube::pki::kubeconfig admin todo-admin
  kube::pki::kubeconfig controller-manager system:kube-controller-manager
  kube::pki::kubeconfig scheduler system:kube-scheduler
  kube::pki::kubeconfig proxy system:kube-proxy
  kube::pki::kubeconfig kubelet "system:node:$KUBE_NODE"
  touch "$KUBE_PKI/.done"
}
