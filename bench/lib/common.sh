# Shared by bench/run and bench/attack (sourced after their options are parsed; WORK, SERVERS, BUILD,
# JAR_OVERRIDE, UPDATE_TOOLS, TCP_TIME, HS_CLIENTS and SKIP_HANDSHAKE are theirs): names and addresses, process
# bookkeeping and cleanup, tools, keys and configs, the namespaces, the servers under test, CPU counters and
# the iperf3 TCP measure. Both scripts use the same namespaces, so only one of them runs at a time.

# ---------------------------------------------------------------- names and addresses
NS_C=wcb-cli          # client: wireguard-go (newest) + iperf3/ping clients
NS_S=wcb-srv          # server under test, NAT out of wcb-s1
NS_I=wcb-inet         # "internet": iperf3 server on 198.18.1.2, no route back to the VPN subnet
NS_H=wcb-hs           # handshake clients (many wireguard-go), reach the server over 198.18.2.0/24
H_ADDR=198.18.2.2; S_ADDR_H=198.18.2.1
C_ADDR=198.18.0.2; S_ADDR_C=198.18.0.1; S_ADDR_I=198.18.1.1; I_ADDR=198.18.1.2
C_ADDR6=2001:db8:c::2; S_ADDR6_C=2001:db8:c::1   # the client link's IPv6 (documentation range): the IPv6 outer path
PORT=51820
VPN_SUBNET=10.200.100.0/24; VPN_SERVER=10.200.100.1; CLIENT_IP=10.200.100.2
MEM_SUBNET=10.200.0.0/16
CLIENT_IF=wcbc0       # main client interface (wireguard-go)
TUN_WCS=wcbtun        # wirecagesrv TUN
IF_GO=wcbsgo          # wireguard-go server interface
IF_BT=wcbsbt          # boringtun-cli server interface
IPERF_PORT=5201
NS_A=wcb-atk          # attacker (bench/attack only): addresses 198.18.3.10 and up, reaches the server over 198.18.3.0/24
A_ADDR_BASE=198.18.3.10; S_ADDR_A=198.18.3.1

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN devices)"

# ---------------------------------------------------------------- process bookkeeping and cleanup
# Every background process we start is recorded in $STATE/NAME.pid ("PID CMDLINE-PREFIX") so that the next
# run can end exactly those if this one crashed; processes are ended by PID only.
mkdir -p "$STATE"
record_pid() { # name pid
    local cmd
    cmd=$(tr '\0' ' ' <"/proc/$2/cmdline" 2>/dev/null | head -c 120)
    printf '%s %s\n' "$2" "$cmd" >"$STATE/$1.pid"
}
forget_pid() { rm -f "$STATE/$1.pid"; }
alive() { # pid: running and not a zombie
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    [ "${s%% *}" != Z ]
}
stop_pid() { # pid [seconds]: SIGTERM, wait, SIGKILL; reaps our children
    local pid=$1 secs=${2:-10} i
    [ -n "$pid" ] || return 0
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < secs * 20; i++)); do alive "$pid" || break; sleep 0.05; done
        if alive "$pid"; then
            log "pid $pid did not stop on SIGTERM within ${secs}s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
            for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.05; done
        fi
    fi
    wait "$pid" 2>/dev/null
    return 0
}
stop_named() { # name: stops the process recorded under that name
    local f=$STATE/$1.pid pid
    [ -f "$f" ] || return 0
    read -r pid _ <"$f"
    stop_pid "$pid" "${2:-10}"
    forget_pid "$1"
}

cleanup_leftovers() {
    local f pid rest now ns p
    for f in "$STATE"/*.pid; do
        [ -f "$f" ] || continue
        read -r pid rest <"$f"
        now=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | head -c 120)
        if [ -n "$now" ] && [ "${now% }" = "${rest% }" ]; then
            log "ending leftover process $pid ($rest)"
            kill -TERM "$pid" 2>/dev/null
            sleep 0.5
            alive "$pid" && kill -KILL "$pid" 2>/dev/null
        fi
        rm -f "$f"
    done
    for ns in $NS_C $NS_S $NS_I $NS_H $NS_A; do
        if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
            for p in $(ip netns pids "$ns" 2>/dev/null); do
                kill -TERM "$p" 2>/dev/null
            done
            sleep 0.3
            for p in $(ip netns pids "$ns" 2>/dev/null); do
                kill -KILL "$p" 2>/dev/null
            done
            ip netns del "$ns" 2>/dev/null
        fi
    done
    rm -f /var/run/wireguard/wcb*.sock
}

WATCHDOG=""
CLEANED=0
cleanup() {
    [ "$CLEANED" = 1 ] && return
    CLEANED=1
    log "cleaning up (processes, namespaces)"
    [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
    local f pid
    for f in "$STATE"/*.pid; do
        [ -f "$f" ] || continue
        read -r pid _ <"$f"
        kill -TERM "$pid" 2>/dev/null
    done
    sleep 0.5
    for f in "$STATE"/*.pid; do
        [ -f "$f" ] || continue
        read -r pid _ <"$f"
        alive "$pid" && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rm -f "$f"
    done
    [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null   # the watchdog shell first, so it cannot fire now
    cleanup_leftovers
    rm -f "$STATE/owner"
}
# One run at a time (bench/run and bench/attack share the namespaces): a second run would clean the first
# one's namespaces away at its start. claim_run NAME records this shell as the owner and installs the traps.
claim_run() {
    local owner
    if [ -f "$STATE/owner" ]; then
        read -r owner _ <"$STATE/owner"
        if [ -n "$owner" ] && [ "$owner" != $$ ] && tr '\0' ' ' <"/proc/$owner/cmdline" 2>/dev/null | grep -Eq 'bench/(run|attack)'; then
            echo "$1: another benchmark run is in progress (pid $owner); wait for it or stop it first" >&2
            exit 1
        fi
    fi
    echo "$$ $(date +%s)" >"$STATE/owner"
    trap cleanup EXIT
    trap 'log "interrupted"; exit 130' INT TERM
}
# start_watchdog NAME: the whole run is bounded by MAX_RUNTIME; on expiry the script is interrupted and cleans
# up. Its sleep holds no pipe of ours (so "bench/run | tail" ends with the run) and is ended by PID in cleanup.
start_watchdog() {
    ( sleep "$MAX_RUNTIME" </dev/null >/dev/null 2>&1 &
      record_pid watchdog-sleep $!
      wait $!
      echo "$1: --max-runtime ${MAX_RUNTIME}s reached, stopping" >&2
      kill -TERM $$ ) &
    WATCHDOG=$!
}
# measure_background_busy: BG_BUSY = % of all CPUs busy over 2 s before the run (other work skews every figure)
measure_background_busy() {
    local b0 t0 b1 t1
    read -r b0 t0 <<<"$(host_ticks)"; sleep 2; read -r b1 t1 <<<"$(host_ticks)"
    BG_BUSY=$(printf '%.1f' "$(echo "100 * ($b1 - $b0) / ($t1 - $t0)" | bc -l)")
    if [ "${BG_BUSY%.*}" -ge 10 ]; then
        log "WARNING: the machine is already ${BG_BUSY}% busy before the benchmark: figures will be noisy"
        echo "other work kept the CPUs ${BG_BUSY}% busy just before the run: figures are noisier than usual" >>"$WORK/notes.txt"
    fi
}

# ---------------------------------------------------------------- tools
JAVA_HOME=${JAVA_HOME:-$JAVA_HOME_DEFAULT}
[ -x "$JAVA_HOME/bin/java" ] || JAVA_HOME=$JAVA_HOME_DEFAULT
JAVA=$JAVA_HOME/bin/java
JCMD=$JAVA_HOME/bin/jcmd
WGGO=$CACHE/bin/wireguard
BT=$CACHE/boringtun/bin/boringtun-cli
PY=$CACHE/venv/bin/python

ensure_apt() {
    local missing=() pair
    for pair in iperf3:iperf3 wg:wireguard-tools ip:iproute2 iptables:iptables ping:iputils-ping pgrep:procps; do
        command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing from apt: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } ||
            die "apt-get install ${missing[*]} failed"
    fi
}

ensure_tools() {
    mkdir -p "$CACHE"
    ensure_apt
    command -v bc >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bc >/dev/null 2>&1 || die "bc is needed"; }
    [ -x "$JAVA" ] || die "no JDK at $JAVA_HOME (set JAVA_HOME)"
    if [ ! -x "$WGGO" ] || [ "$UPDATE_TOOLS" = 1 ]; then
        command -v go >/dev/null || die "Go is needed once to build wireguard-go into $CACHE"
        log "building the newest wireguard-go from the Go module proxy (cached in $CACHE)"
        (cd "$CACHE" && GOFLAGS=-mod=mod GOBIN=$CACHE/bin GOPATH=$CACHE/gopath GOCACHE=$CACHE/gocache \
            timeout 900 go install golang.zx2c4.com/wireguard@latest) >"$CACHE/wireguard-go-build.log" 2>&1 ||
            die "go install golang.zx2c4.com/wireguard@latest failed: see $CACHE/wireguard-go-build.log"
    fi
    WGGO_VERSION=$("$WGGO" --version 2>/dev/null | head -1 | awk '{print $2}')
    if [[ " $SERVERS " == *" boringtun "* ]] && { [ ! -x "$BT" ] || [ "$UPDATE_TOOLS" = 1 ]; }; then
        command -v cargo >/dev/null || die "cargo is needed once to build boringtun-cli into $CACHE"
        log "building boringtun-cli with cargo install (cached in $CACHE, takes a few minutes)"
        CARGO_TARGET_DIR=$CACHE/cargo-target timeout 1800 cargo install boringtun-cli --locked --force \
            --root "$CACHE/boringtun" >"$CACHE/boringtun-build.log" 2>&1 ||
            die "cargo install boringtun-cli failed: see $CACHE/boringtun-build.log"
    fi
    if ! "$PY" -c 'import cryptography, matplotlib' 2>/dev/null; then
        log "creating the Python venv $CACHE/venv (cryptography for keys, matplotlib for the chart)"
        local base=/usr/bin/python3
        [ -x "$base" ] || base=$(command -v python3) || die "python3 is needed"
        "$base" -m venv "$CACHE/venv" >/dev/null 2>&1 || {
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv >/dev/null 2>&1
            "$base" -m venv "$CACHE/venv" >/dev/null || die "cannot create a Python venv"
        }
        "$CACHE/venv/bin/pip" install -q cryptography >/dev/null 2>&1 || die "pip install cryptography failed"
        "$CACHE/venv/bin/pip" install -q matplotlib >/dev/null 2>&1 || log "pip install matplotlib failed: no PNG chart"
    fi
}

prepare_jar() {
    JAR=$WORK/wirecagesrv.jar
    local src=$ROOT/java/target/wirecagesrv.jar
    if [ -n "$JAR_OVERRIDE" ]; then
        src=$JAR_OVERRIDE
    elif [ "$BUILD" = 1 ]; then
        log "building the server jar (mvn package -pl java -am)"
        if ! (cd "$ROOT" && JAVA_HOME=$JAVA_HOME timeout 900 mvn -q -B -DskipTests package -pl java -am) >"$WORK/logs/mvn.log" 2>&1 &&
           ! { log "the Maven build failed (another build at the same time?): retrying once in 20 s"; sleep 20;
               (cd "$ROOT" && JAVA_HOME=$JAVA_HOME timeout 900 mvn -q -B -DskipTests package -pl java -am) >"$WORK/logs/mvn.log" 2>&1; }; then
            [ -f "$src" ] || die "the Maven build failed and there is no jar: see $WORK/logs/mvn.log"
            log "WARNING: the Maven build failed (see $WORK/logs/mvn.log); using the existing $src"
            echo "the Maven build failed; the existing jar was used" >>"$WORK/notes.txt"
        fi
    fi
    [ -f "$src" ] || die "no jar at $src (build it or pass --jar)"
    cp "$src" "$JAR" || die "cannot copy $src"   # private copy: others may rebuild the original meanwhile
}

# ---------------------------------------------------------------- keys and configs
KEYS=$CACHE/keys-10300.tsv   # line 1 server, 2 main client, 3..202 handshake clients, 301..10300 memory peers
ensure_keys() {
    if [ ! -s "$KEYS" ] || [ "$(wc -l <"$KEYS")" -lt 10300 ]; then
        log "generating 10,300 X25519 key pairs (cached in $KEYS)"
        "$PY" "$BENCH/lib/keys.py" 10300 >"$KEYS.tmp" && mv "$KEYS.tmp" "$KEYS" || die "key generation failed"
        chmod 600 "$KEYS"
    fi
    mapfile -t KEYLINES <"$KEYS"
    SRV_PRIV=${KEYLINES[0]%%$'\t'*}; SRV_PUB=${KEYLINES[0]#*$'\t'}
    CLI_PRIV=${KEYLINES[1]%%$'\t'*}; CLI_PUB=${KEYLINES[1]#*$'\t'}
    mkdir -p "$WORK/keys"
    chmod 700 "$WORK/keys"
    (umask 077; echo "$SRV_PRIV" >"$WORK/keys/server.key"; echo "$CLI_PRIV" >"$WORK/keys/client.key")
}
hs_pub() { local l=${KEYLINES[$((2 + $1))]}; echo "${l#*$'\t'}"; }
hs_priv() { local l=${KEYLINES[$((2 + $1))]}; echo "${l%%$'\t'*}"; }
mem_pub() { local l=${KEYLINES[$((300 + $1))]}; echo "${l#*$'\t'}"; }
mem_ip() { echo "10.200.$((1 + $1 / 250)).$((2 + $1 % 250))/32"; }

# Peers for the traffic phase: the main client and the handshake clients ("PUB IP" lines).
traffic_peers() {
    local k
    echo "$CLI_PUB $CLIENT_IP/32"
    if [ "$SKIP_HANDSHAKE" = 0 ]; then
        for ((k = 0; k < HS_CLIENTS; k++)); do echo "$(hs_pub $k) 10.200.100.$((10 + k))/32"; done
    fi
}
mem_peers() { # count
    local i
    for ((i = 0; i < $1; i++)); do echo "$(mem_pub $i) $(mem_ip $i)"; done
}
write_toml() { # subnet peers-file out
    local pub ip
    {
        echo "[server]"
        echo "private_key_file = \"$WORK/keys/server.key\""
        echo "listen_addr = \"[::]:$PORT\""
        echo "subnet = \"$1\""
        echo "outbound_interface = \"wcb-s1\""
        echo "tun_name = \"$TUN_WCS\""
        while read -r pub ip; do
            printf '\n[[peer]]\npublic_key = "%s"\nallowed_ips = ["%s"]\n' "$pub" "$ip"
        done <"$2"
    } >"$3"
}
write_wgconf() { # peers-file out
    local pub ip
    {
        printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n' "$SRV_PRIV" "$PORT"
        while read -r pub ip; do
            printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = %s\n' "$pub" "$ip"
        done <"$1"
    } >"$2"
    chmod 600 "$2"
}

# ---------------------------------------------------------------- topology
# Foreground helper only: background processes use "ip netns exec" directly so that $! is the process itself.
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
setup_topology() {
    log "creating namespaces $NS_C -> $NS_S (NAT) -> $NS_I"
    local ns
    for ns in $NS_C $NS_S $NS_I $NS_H; do
        ip netns add "$ns" || die "ip netns add $ns failed"
        ip -n "$ns" link set lo up
    done
    ip link add wcb-c0 netns $NS_C type veth peer name wcb-s0 netns $NS_S || die "veth client-server failed"
    ip link add wcb-s1 netns $NS_S type veth peer name wcb-i0 netns $NS_I || die "veth server-internet failed"
    ip link add wcb-s2 netns $NS_S type veth peer name wcb-h0 netns $NS_H || die "veth server-handshake clients failed"
    ip -n $NS_S addr add $S_ADDR_H/24 dev wcb-s2
    ip -n $NS_H addr add $H_ADDR/24 dev wcb-h0
    ip -n $NS_S link set wcb-s2 up
    ip -n $NS_H link set wcb-h0 up
    ip -n $NS_C addr add $C_ADDR/24 dev wcb-c0
    ip -n $NS_S addr add $S_ADDR_C/24 dev wcb-s0
    ip -n $NS_C addr add $C_ADDR6/64 dev wcb-c0 nodad
    ip -n $NS_S addr add $S_ADDR6_C/64 dev wcb-s0 nodad
    ip -n $NS_S addr add $S_ADDR_I/24 dev wcb-s1
    ip -n $NS_I addr add $I_ADDR/24 dev wcb-i0
    ip -n $NS_C link set wcb-c0 up
    ip -n $NS_S link set wcb-s0 up
    ip -n $NS_S link set wcb-s1 up
    ip -n $NS_I link set wcb-i0 up
    nsx $NS_S sysctl -qw net.ipv4.ip_forward=0
    # The internet namespace has only its connected route: replies reach clients only through NAT.
    nsx $NS_C ping -c 1 -W 2 -q $S_ADDR_C >/dev/null || die "client cannot reach the server namespace"
    nsx $NS_C ping -6 -c 1 -W 2 -q $S_ADDR6_C >/dev/null || die "client cannot reach the server namespace over IPv6"
    nsx $NS_S ping -c 1 -W 2 -q $I_ADDR >/dev/null || die "server cannot reach the internet namespace"
}

start_iperf_server() {
    stop_named iperf3 2
    ip netns exec $NS_I iperf3 -s -B $I_ADDR -p $IPERF_PORT --idle-timeout 60 --rcv-timeout 10000 >"$WORK/logs/iperf3-server.log" 2>&1 &
    local pid=$! i
    record_pid iperf3 $pid
    for ((i = 0; i < 100; i++)); do
        nsx $NS_I ss -ltn 2>/dev/null | grep -q "$I_ADDR:$IPERF_PORT" && return 0
        sleep 0.05
    done
    die "iperf3 server did not start"
}

wait_sock() { # iface seconds
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        [ -S "/var/run/wireguard/$1.sock" ] && return 0
        sleep 0.05
    done
    return 1
}

# Main client: newest wireguard-go, userspace, in the client namespace.
start_client() {
    log "starting the client: wireguard-go $WGGO_VERSION as $CLIENT_IF in $NS_C"
    ip netns exec $NS_C env LOG_LEVEL=error "$WGGO" -f $CLIENT_IF >"$WORK/logs/client-wireguard-go.log" 2>&1 &
    CLIENT_PID=$!
    record_pid client $CLIENT_PID
    wait_sock $CLIENT_IF 10 || die "client wireguard-go did not create its socket"
    wg set $CLIENT_IF private-key "$WORK/keys/client.key" || die "wg set on the client failed"
    ip -n $NS_C addr add $CLIENT_IP/32 dev $CLIENT_IF
    ip -n $NS_C link set $CLIENT_IF mtu 1420 up
}
reset_client_peer() { # forget any session: the next packet starts a fresh handshake with the new server
    wg set $CLIENT_IF peer "$SRV_PUB" remove 2>/dev/null
    wg set $CLIENT_IF peer "$SRV_PUB" endpoint $S_ADDR_C:$PORT allowed-ips 0.0.0.0/0
}
wait_tunnel() { # the client's first packets through the server: its handshake (bounded: 10 tries of 1 s)
    local i
    for ((i = 0; i < 10; i++)); do
        nsx $NS_C ping -n -q -c 1 -W 1 $I_ADDR >/dev/null 2>&1 && return 0
    done
    return 1
}
client_route() { # tunnel|plain
    ip -n $NS_C route del 198.18.1.0/24 2>/dev/null
    if [ "$1" = tunnel ]; then
        ip -n $NS_C route add 198.18.1.0/24 dev $CLIENT_IF
    else
        ip -n $NS_C route add 198.18.1.0/24 via $S_ADDR_C
    fi
}

# Handshake clients: one wireguard-go per client (own key, own UDP port, own interface) in their own
# namespace wcb-hs (so that the link events of 100+ interfaces do not reach the main client's wireguard-go);
# their peer entry is re-added before each measure so that each starts without a session. They are started
# one after the other: wireguard-go stops when its netlink event socket overflows (ENOBUFS), which a burst
# of interface creations can cause.
HS_ALIVE=0
start_hs_clients() {
    log "starting $HS_CLIENTS handshake clients (one wireguard-go each) in $NS_H"
    local k
    for ((k = 0; k < HS_CLIENTS; k++)); do
        (umask 077; hs_priv $k >"$WORK/keys/hs$k.key")
        # a rare start fails ("Failed to listen on uapi socket"): such a client gets two more tries
        start_hs_client $k || start_hs_client $k || start_hs_client $k || die "handshake client wcbh$k did not start"
        ip -n $NS_H addr add 10.200.100.$((10 + k))/32 dev wcbh$k || die "ip addr on wcbh$k failed"
        ip -n $NS_H link set wcbh$k mtu 1420 up || die "ip link on wcbh$k failed"
    done
    sleep 0.5
    count_hs_alive
    [ "$HS_ALIVE" = "$HS_CLIENTS" ] || log "WARNING: only $HS_ALIVE of $HS_CLIENTS handshake clients are running (see $WORK/logs/hs-clients.log)"
}
start_hs_client() { # k: one wireguard-go with its key; non-zero (and nothing left running) if it failed
    local k=$1 pid i
    rm -f "/var/run/wireguard/wcbh$k.sock" # a stale socket would pass wait_sock before this one listens
    ip netns exec $NS_H env LOG_LEVEL=error GOMAXPROCS=1 "$WGGO" -f wcbh$k >>"$WORK/logs/hs-clients.log" 2>&1 &
    pid=$!
    record_pid hs$k $pid
    echo $pid >"$WORK/hs$k.pid"
    if wait_sock wcbh$k 20; then
        # the socket file appears a moment before wireguard-go accepts on it; wg then falls back to the
        # kernel module, which this machine lacks ("Protocol not supported"): try again a few times
        for i in 1 2 3 4 5; do
            wg set wcbh$k private-key "$WORK/keys/hs$k.key" 2>/dev/null && return 0
            alive $pid || break
            sleep 0.1
        done
    fi
    log "  handshake client wcbh$k failed to start (see $WORK/logs/hs-clients.log); trying again"
    stop_pid $pid 2
    ip -n $NS_H link del wcbh$k 2>/dev/null
    return 1
}
count_hs_alive() {
    local k n=0
    for ((k = 0; k < HS_CLIENTS; k++)); do alive "$(cat "$WORK/hs$k.pid")" && n=$((n + 1)); done
    HS_ALIVE=$n
}

# ---------------------------------------------------------------- servers
SRV_PID=""
SRV_READY_S=""
# start_server NAME PEERSFILE SUBNET LOG [extra JVM options]: starts, waits until ready, sets SRV_PID and
# SRV_READY_S (seconds from launch to ready).
start_server() {
    local name=$1 peers=$2 subnet=$3 logf=$4 jvmopts=${5:-} t0 i conf ifname addr
    SRV_PID=""
    SRV_READY_S=""
    t0=$EPOCHREALTIME
    case "$name" in
        wirecagesrv)
            nsx $NS_S sysctl -qw net.ipv4.ip_forward=0   # the server enables it itself
            conf=$WORK/wirecagesrv.toml
            write_toml "$subnet" "$peers" "$conf"
            t0=$EPOCHREALTIME
            # shellcheck disable=SC2086
            ip netns exec $NS_S "$JAVA" $jvmopts --enable-native-access=ALL-UNNAMED -jar "$JAR" --config "$conf" >"$logf" 2>&1 &
            SRV_PID=$!
            record_pid server $SRV_PID
            for ((i = 0; i < 120 * 50; i++)); do   # 120 s at most
                if grep -q "listening on" "$logf" 2>/dev/null; then
                    SRV_READY_S=$(echo "$EPOCHREALTIME - $t0" | bc -l)
                    return 0
                fi
                alive $SRV_PID || break
                sleep 0.02
            done
            log "wirecagesrv did not become ready; log tail:"; tail -20 "$logf" >&2
            return 1
            ;;
        wireguard-go|boringtun)
            conf=$WORK/$name.conf
            write_wgconf "$peers" "$conf"
            ifname=$IF_GO; [ "$name" = boringtun ] && ifname=$IF_BT
            rm -f "/var/run/wireguard/$ifname.sock"
            t0=$EPOCHREALTIME
            if [ "$name" = wireguard-go ]; then
                ip netns exec $NS_S env LOG_LEVEL=error "$WGGO" -f $ifname >"$logf" 2>&1 &
            else
                ip netns exec $NS_S env WG_LOG_LEVEL=error "$BT" --foreground --disable-drop-privileges --log "$logf.bt" $ifname >"$logf" 2>&1 &
            fi
            SRV_PID=$!
            record_pid server $SRV_PID
            wait_sock $ifname 20 || { log "$name did not create its control socket"; tail -20 "$logf" >&2; return 1; }
            wg setconf $ifname "$conf" || { log "wg setconf $ifname failed"; return 1; }
            addr=${subnet%.*}.1/${subnet#*/}
            ip -n $NS_S addr add "$addr" dev $ifname || return 1
            ip -n $NS_S link set $ifname mtu 1420 up || return 1
            SRV_READY_S=$(echo "$EPOCHREALTIME - $t0" | bc -l)
            nsx $NS_S sysctl -qw net.ipv4.ip_forward=1
            nsx $NS_S iptables -t nat -A POSTROUTING -s "$subnet" -o wcb-s1 -j MASQUERADE -m comment --comment wcb-bench
            return 0
            ;;
        plain)
            nsx $NS_S sysctl -qw net.ipv4.ip_forward=1
            nsx $NS_S iptables -t nat -A POSTROUTING -s 198.18.0.0/24 -o wcb-s1 -j MASQUERADE -m comment --comment wcb-bench
            SRV_READY_S=0
            return 0
            ;;
    esac
}
stop_server() { # name
    if [ -n "$SRV_PID" ]; then
        stop_named server 15
    fi
    SRV_PID=""
    case "$1" in
        wireguard-go) ip -n $NS_S link del $IF_GO 2>/dev/null ;;
        boringtun) ip -n $NS_S link del $IF_BT 2>/dev/null ;;
    esac
    if [ "$1" = wirecagesrv ] && nsx $NS_S iptables-save 2>/dev/null | grep -q "wirecagesrv:"; then
        log "note: wirecagesrv left firewall rules behind after SIGTERM"
        echo "wirecagesrv left firewall rules behind after SIGTERM" >>"$WORK/notes.txt"
    fi
    # our own rules (and anything left) go; the namespace is ours alone
    nsx $NS_S iptables -t nat -F POSTROUTING 2>/dev/null
    nsx $NS_S sysctl -qw net.ipv4.ip_forward=0
}

# ---------------------------------------------------------------- measures
SAMPLES=$WORK/samples.jsonl
sample() { # server metric rep value
    [ -n "$4" ] || return 0
    printf '{"server":"%s","metric":"%s","rep":%s,"value":%s}\n' "$1" "$2" "$3" "$4" >>"$SAMPLES"
}
cpu_ticks() { # pid -> utime+stime in clock ticks (all threads)
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    s=${s##*) }
    set -- $s
    echo $(( ${12} + ${13} ))
}
host_ticks() { # -> "busy total" over all CPUs
    local _c u n s i w q sq st _rest
    read -r _c u n s i w q sq st _rest </proc/stat
    echo "$((u + n + s + q + sq + st)) $((u + n + s + i + w + q + sq + st))"
}
thread_ticks() { # pid -> "TID NAME TICKS" per thread
    local t s name rest
    for t in /proc/$1/task/*; do
        s=$(cat "$t/stat" 2>/dev/null) || continue
        name=${s#*(}; name=${name%)*}; rest=${s##*) }
        set -- $rest
        echo "${t##*/} ${name// /_} $(( ${12} + ${13} ))"
    done
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# iperf_tcp SERVER REP NAME STREAMS DIR(up|down): records Gbit/s; adds CPU ticks and bytes to the totals.
TCP_SRV_TICKS=0; TCP_CLI_TICKS=0; TCP_BYTES=0
iperf_tcp() {
    local server=$1 rep=$2 name=$3 streams=$4 dir=$5 out r=() rev="" s0 c0 h0 s1 c1 h1 res
    out=$WORK/raw/$server-$rep-$name.json
    [ "$dir" = down ] && rev=-R
    s0=$( [ -n "$SRV_PID" ] && cpu_ticks $SRV_PID || echo 0 ); c0=$(cpu_ticks $CLIENT_PID); h0=$(host_ticks)
    local th0=""
    [ -n "$SRV_PID" ] && th0=$(thread_ticks $SRV_PID)
    nsx $NS_C timeout $((TCP_TIME + 20)) iperf3 -c $I_ADDR -p $IPERF_PORT -t $TCP_TIME -P $streams $rev -J \
        --connect-timeout 3000 >"$out" 2>"$out.err"
    s1=$( [ -n "$SRV_PID" ] && cpu_ticks $SRV_PID || echo 0 ); c1=$(cpu_ticks $CLIENT_PID); h1=$(host_ticks)
    if [ -n "$SRV_PID" ]; then   # busiest server threads, in cores, for the logs
        awk -v secs="$TCP_TIME" -v hz="$CLK_TCK" 'NR == FNR { a[$1] = $3; next }
            { d = $3 - a[$1]; if (d > 0) printf "%.2f cores  %s (tid %s)\n", d / hz / secs, $2, $1 }' \
            <(echo "$th0") <(thread_ticks $SRV_PID) | sort -rn | head -8 >"$WORK/logs/threads-$server-$rep-$name.txt"
    fi
    if ! res=$("$PY" "$BENCH/lib/iperf_parse.py" tcp "$out" 2>&1); then
        log "  $name: FAILED ($res)"
        echo "$server rep $rep $name failed: $res" >>"$WORK/notes.txt"
        start_iperf_server
        return 1
    fi
    read -r -a r <<<"$res"
    local gbps busy
    gbps=$(echo "${r[0]} / 1000000000" | bc -l)
    read -r hb0 ht0 <<<"$h0"; read -r hb1 ht1 <<<"$h1"
    busy=$(echo "100 * ($hb1 - $hb0) / ($ht1 - $ht0)" | bc -l)
    sample "$server" "${name}_gbps" "$rep" "$(printf '%.4f' "$gbps")"
    sample "$server" "${name}_host_busy_pct" "$rep" "$(printf '%.1f' "$busy")"
    sample "$server" "${name}_retransmits" "$rep" "${r[2]}"
    TCP_SRV_TICKS=$((TCP_SRV_TICKS + s1 - s0)); TCP_CLI_TICKS=$((TCP_CLI_TICKS + c1 - c0)); TCP_BYTES=$((TCP_BYTES + r[1]))
    log "  $name: $(printf '%.3f' "$gbps") Gbit/s (retransmits ${r[2]}; host CPU busy $(printf '%.0f' "$busy")% of $NCPU; server $(printf '%.2f' "$(echo "($s1 - $s0) / $CLK_TCK / $TCP_TIME" | bc -l)") cores, client wireguard-go $(printf '%.2f' "$(echo "($c1 - $c0) / $CLK_TCK / $TCP_TIME" | bc -l)") cores)"
    return 0
}
