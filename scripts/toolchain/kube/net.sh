# shellcheck shell=bash
# The network: the cluster bridge, routes that keep the cluster ranges on the machine, the iptables
# guard, and their removal with every chain the cluster made (sourced by init.sh).

# kube::net::up: the cluster bridge (its address is the node, kubelet and advertised API server
# address), blackhole routes so cluster ranges never leave the machine, and a FORWARD guard that
# lets pod traffic through only between the bridge's own ports.
kube::net::up() {
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
  kube::net::guard
}

# kube::net::guard: (re)puts TODO-CLUSTER-FWD first in FORWARD: bridge-to-bridge accepted (also when
# Docker sets FORWARD's policy to DROP), anything else into or out of the bridge dropped; and
# TODO-CLUSTER-IN first in INPUT.
kube::net::guard() {
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

# kube::net::clean_iptables: removes the chains kube-proxy, the kubelet and the CNI plugins created
# (KUBE-*, CNI-*) and the guard, from iptables and ip6tables, after unhooking them from the
# built-in chains; other rules (Docker's, the machine's) are left alone.
kube::net::clean_iptables() {
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

# kube::net::down: the bridge, its veths, the routes and the chains kube::net::up and the cluster made.
kube::net::down() {
  local veth
  for veth in $(ip -o link show master "$KUBE_BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
    ip link del "$veth" 2>/dev/null || true
  done
  ip link del "$KUBE_BRIDGE" 2>/dev/null || true
  ip route del "$KUBE_SERVICE_CIDR" dev "$KUBE_BRIDGE" 2>/dev/null || true
  ip route del blackhole "$KUBE_SERVICE_CIDR" metric 4000 2>/dev/null || true
  ip route del blackhole "${KUBE_POD_CIDR%.*.*}.0.0/16" 2>/dev/null || true
  kube::net::clean_iptables
}
