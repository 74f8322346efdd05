#!/usr/bin/env bash
# Smoke test of the peer images: a WireGuard tunnel between two containers, all userspace.
#
#   docker/smoke-test.sh [wireguard-go|boringtun]      (default: wireguard-go)
#
# On two user-defined bridge networks (created here, removed afterwards): "lan" (cli, srv) and
# "wan" (srv, inet); docker isolates the two, so cli reaches inet only through the tunnel.
#   srv   wirecage-client, wg-quick "server" ([Interface] ListenPort), wireguard-go, NAT to wan
#   cli   wirecage-client (or wirecage-boringtun-client), wg-quick client:
#           wgc0: AllowedIPs = the tunnel /24         (split tunnel)  -> ping srv over the tunnel
#           wgf0: AllowedIPs = 0.0.0.0/0 (own container, full tunnel) -> curl inet through srv's NAT
#   cli2  split tunnel without --privileged (NET_ADMIN + /dev/net/tun). A full tunnel needs
#         --privileged: bookworm's wg-quick always writes net.ipv4.conf.all.src_valid_mark, and
#         /proc/sys is read-only otherwise (even when --sysctl preset the value).
#   inet  wirecage-client on wan only, python3 -m http.server bound to its address
# Only addresses of the networks created here are used. Prints "smoke-IMPL: N passed, N failed";
# exit 0 only when all passed. KEEP=1 leaves the containers and networks for inspection.
# Subnets: WIRECAGE_SMOKE_SUBNET / WIRECAGE_SMOKE_WAN_SUBNET (172.30.213.0/24, 172.30.214.0/24).
set -euo pipefail

IMPL=${1:-wireguard-go}
case "$IMPL" in
  wireguard-go) CLI_IMAGE=wirecage-client:latest ;;
  boringtun) CLI_IMAGE=wirecage-boringtun-client:latest ;;
  *) echo "usage: $0 [wireguard-go|boringtun]" >&2; exit 2 ;;
esac
SRV_IMAGE=wirecage-client:latest
P=wirecage-smoke-$$
NET=$P-lan
WAN=$P-wan
SUBNET=${WIRECAGE_SMOKE_SUBNET:-172.30.213.0/24}
WAN_SUBNET=${WIRECAGE_SMOKE_WAN_SUBNET:-172.30.214.0/24}
TUN_NET=10.213.0
PASS=0; FAIL=0

cleanup() {
  docker rm -f "$P-srv" "$P-cli" "$P-cli2" "$P-inet" >/dev/null 2>&1 || true
  docker network rm "$NET" "$WAN" >/dev/null 2>&1 || true
  rm -f "/tmp/$P.out"
}
trap '[ -n "${KEEP:-}" ] || cleanup' EXIT

check() { # NAME CMD...
  local name=$1; shift
  if "$@" >/tmp/$P.out 2>&1; then
    echo "PASS $name"; PASS=$((PASS+1))
  else
    echo "FAIL $name"; sed 's/^/    /' /tmp/$P.out | tail -n 20; FAIL=$((FAIL+1))
  fi
}
ip_of() { docker inspect -f "{{(index .NetworkSettings.Networks \"${2:-$NET}\").IPAddress}}" "$1"; }
x() { docker exec "$@"; }

for img in "$SRV_IMAGE" "$CLI_IMAGE"; do
  docker image inspect "$img" >/dev/null 2>&1 || { echo "smoke-test: image $img missing: run docker/build-images.sh" >&2; exit 1; }
done
docker network create --driver bridge --subnet "$SUBNET" "$NET" >/dev/null
docker network create --driver bridge --subnet "$WAN_SUBNET" "$WAN" >/dev/null
run() { # NAME IMAGE NETWORK [docker run flags...]
  local name=$1 image=$2 net=$3; shift 3
  docker run -d --name "$name" --network "$net" "$@" "$image" >/dev/null
}
run "$P-srv" "$SRV_IMAGE" "$NET" --privileged
docker network connect "$WAN" "$P-srv"
run "$P-cli" "$CLI_IMAGE" "$NET" --privileged
run "$P-inet" "$SRV_IMAGE" "$WAN"
SRV_IP=$(ip_of "$P-srv"); INET_IP=$(ip_of "$P-inet" "$WAN")

# The "internet" host: http.server bound to its own address (answers only there).
x -d "$P-inet" sh -c "mkdir -p /srv && echo hello-from-inet >/srv/index.html && cd /srv && exec python3 -m http.server --bind $INET_IP 8080"

SK=$(x "$P-srv" wg genkey); SP=$(echo "$SK" | x -i "$P-srv" wg pubkey)
CK=$(x "$P-cli" wg genkey); CP=$(echo "$CK" | x -i "$P-cli" wg pubkey)

x -i "$P-srv" sh -c 'mkdir -p /etc/wireguard && cat >/etc/wireguard/wgs0.conf && chmod 600 /etc/wireguard/wgs0.conf' <<EOF
[Interface]
PrivateKey = $SK
Address = $TUN_NET.1/24
ListenPort = 51820
PostUp = sysctl -q -w net.ipv4.ip_forward=1; iptables -t nat -A POSTROUTING -s $TUN_NET.0/24 ! -o %i -j MASQUERADE

[Peer]
PublicKey = $CP
AllowedIPs = $TUN_NET.2/32
EOF
x -i "$P-cli" sh -c 'mkdir -p /etc/wireguard && cat >/etc/wireguard/wgc0.conf && chmod 600 /etc/wireguard/wgc0.conf' <<EOF
[Interface]
PrivateKey = $CK
Address = $TUN_NET.2/24

[Peer]
PublicKey = $SP
Endpoint = $SRV_IP:51820
AllowedIPs = $TUN_NET.0/24
PersistentKeepalive = 25
EOF

check "srv: wg-quick up (wireguard-go, ListenPort)" x "$P-srv" wg-quick up wgs0
check "cli: wg-quick up ($IMPL, split tunnel)" x "$P-cli" wg-quick up wgc0
check "cli: ping srv over the tunnel" x "$P-cli" ping -c 3 -W 2 -i 0.3 "$TUN_NET.1"
check "srv: ping cli over the tunnel" x "$P-srv" ping -c 2 -W 2 -i 0.3 "$TUN_NET.2"
check "srv: handshake recorded" sh -c "docker exec $P-srv wg show wgs0 latest-handshakes | awk '{exit !(\$2>0)}'"
case "$IMPL" in wireguard-go) PROC=wireguard-go ;; boringtun) PROC=boringtun-cli ;; esac
check "cli: userspace $PROC serves wgc0" \
  sh -c "docker exec $P-cli test -S /var/run/wireguard/wgc0.sock && docker exec $P-cli pgrep -x $PROC"
check "cli: inet not reachable outside the tunnel" \
  sh -c "! docker exec $P-cli curl -sS --max-time 2 http://$INET_IP:8080/"

# Full tunnel (AllowedIPs 0.0.0.0/0) needs the privileged container (wg-quick writes
# net.ipv4.conf.all.src_valid_mark and adds policy routing + nft rules).
x "$P-cli" wg-quick down wgc0 >/dev/null 2>&1 || true
x -i "$P-cli" sh -c 'cat >/etc/wireguard/wgf0.conf && chmod 600 /etc/wireguard/wgf0.conf' <<EOF
[Interface]
PrivateKey = $CK
Address = $TUN_NET.2/24

[Peer]
PublicKey = $SP
Endpoint = $SRV_IP:51820
AllowedIPs = 0.0.0.0/0
PersistentKeepalive = 25
EOF
check "cli: wg-quick up full tunnel (0.0.0.0/0)" x "$P-cli" wg-quick up wgf0
check "cli: curl inet through the tunnel + srv NAT" \
  sh -c "docker exec $P-cli curl -sS --max-time 5 http://$INET_IP:8080/ | grep -q hello-from-inet"
check "srv: NAT counted the tunnel traffic" \
  sh -c "docker exec $P-srv iptables -t nat -L POSTROUTING -v -n | awk '/MASQUERADE/ && \$1>0 {f=1} END{exit !f}'"
check "cli: wg-quick down" x "$P-cli" wg-quick down wgf0

# Least privilege for a split-tunnel peer: NET_ADMIN + /dev/net/tun, no --privileged.
run "$P-cli2" "$CLI_IMAGE" "$NET" --cap-add NET_ADMIN --device /dev/net/tun
x -i "$P-cli2" sh -c 'mkdir -p /etc/wireguard && cat >/etc/wireguard/wgc1.conf && chmod 600 /etc/wireguard/wgc1.conf' <<EOF
[Interface]
PrivateKey = $CK
Address = $TUN_NET.2/24

[Peer]
PublicKey = $SP
Endpoint = $SRV_IP:51820
AllowedIPs = $TUN_NET.0/24
EOF
check "cli2 (NET_ADMIN + /dev/net/tun only): wg-quick up + ping" \
  sh -c "docker exec $P-cli2 wg-quick up wgc1 && docker exec $P-cli2 ping -c 2 -W 2 -i 0.3 $TUN_NET.1"
docker rm -f "$P-cli2" >/dev/null

echo "smoke-$IMPL: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
