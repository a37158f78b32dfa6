#!/usr/bin/env bats
# CNI networking: podctl run --net (the built-in default and
# default-restricted networks, user networks from --net-config-dir, several
# at once, CNI args), --port, --dns, what the pod directory, status and list
# say, teardown by the launcher (stop, stop --force) and by gc (launcher
# killed), and bad input (missing plugin, bad config, unknown network, IP
# exhaustion, a plugin that hangs, prints garbage or fails, a failing second
# plugin of a conflist): exit 254 and nothing left on the host.
#
# Needs the CNI plugins of Debian's containernetworking-plugins in
# /usr/lib/cni, iptables and curl.  Every pod is started with an explicit
# --net.  The user networks are named podit-* (their host-local lease
# directories under /var/lib/cni/networks are removed in teardown) and the
# bridge is podtestbr0.  Traffic stays between the host and the test's pods.

load helpers

CNI_BIN=/usr/lib/cni
LEASES=/var/lib/cni/networks
FAKECNI=$PODINIT_SRC/tests/lib/fakecni.sh

setup_file() {
    build_images
    local t
    for t in ptp bridge host-local portmap; do
        [ -x "$CNI_BIN/$t" ] || fail "$CNI_BIN/$t is missing; apt-get install containernetworking-plugins" || return 1
    done
    for t in iptables-save curl ip findmnt; do
        command -v "$t" >/dev/null || fail "$t is missing (apt-get install iptables curl iproute2 util-linux)" || return 1
    done
    # A named port: the test image with an appc port "http" (8080/tcp).
    WEBIMG=$BATS_FILE_TMPDIR/webimg
    mkdir -p "$WEBIMG"
    cp -a "$IMG/rootfs" "$WEBIMG/rootfs"
    "$PYTHON" - "$IMG/manifest" "$WEBIMG/manifest" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["name"] = "example.com/web"
m["app"]["ports"] = [{"name": "http", "protocol": "tcp", "port": 8080}]
json.dump(m, open(sys.argv[2], "w"))
EOF
    export WEBIMG
}

setup() {
    pod_setup
    NETD=$BATS_TEST_TMPDIR/net.d
    FAKE=$BATS_TEST_TMPDIR/cni-fake
    mkdir -p "$NETD" "$FAKE"
}

teardown() {
    # A fake plugin left hanging (its pid is in its log: it execs sleep).
    local f pid
    for f in "$FAKE"/*.log; do
        [ -f "$f" ] || continue
        for pid in $(awk '{ print $4 }' "$f"); do
            grep -qx sleep "/proc/$pid/comm" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
        done
    done
    pod_teardown
    # The cgroups of a pod that gc removed while a process of it lived on.
    local u d
    for u in $(cat "$BATS_TEST_TMPDIR/our-pods" 2>/dev/null); do
        for d in /sys/fs/cgroup/*/machine.slice/"machine-rkt\\x2d${u//-/\\x2d}.scope" \
            /sys/fs/cgroup/machine.slice/"machine-rkt\\x2d${u//-/\\x2d}.scope"; do
            [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
        done
    done
    ip link del podtestbr0 2>/dev/null || true
    [ -e "$BATS_TEST_TMPDIR/netns" ] && ip netns del "$(cat "$BATS_TEST_TMPDIR/netns")" 2>/dev/null || true
    rm -rf "$LEASES"/podit-*
}

# ------------------------------------------------------------------ helpers

# The busybox httpd serving the image's / on 8080.
HTTPD=(--exec=/bin/httpd -- -f -p 8080 -h /)

# net_conf FILE JSON: a network config in $NETD
net_conf() { printf '%s\n' "$2" >"$NETD/$1"; }

# A ptp network NAME on SUBNET (host-local IPAM), with EXTRA keys (JSON,
# leading comma) at the top level.
ptp_conf() {
    net_conf "$1.conf" "{\"cniVersion\":\"0.4.0\",\"name\":\"$1\",\"type\":\"ptp\",\"ipMasq\":false,
        \"ipam\":{\"type\":\"host-local\",\"subnet\":\"$2\"}${3-}}"
}

# pod_ip UUID [INDEX]: the IP of the pod's INDEXth network (status --json)
pod_ip() { pod_field "$1" "networks.${2:-0}.ip"; }

# http_get URL: the body, from the host (curl; the host's busybox wget is not used)
http_get() { curl -sS --fail -m 2 "$1"; }

# wait_http URL: until the server answers (up to 5 s)
wait_http() {
    wait_until 5 curl -sS --fail -m 1 -o /dev/null "$1" ||
        fail "nothing answered at $1 within 5 s: $(curl -sS -m 1 -o /dev/null "$1" 2>&1)"
}

# A port no one listens on (from the host's view).
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# host_snapshot: what a pod's networks change on the host: links, routes,
# the netns bind mounts, the host-local leases (files named by IP, with
# their owner; last_reserved_ip.* and lock are bookkeeping that stays) and
# the iptables rules (comments and packet counters dropped).  Compared
# exactly, except for what provably belongs to another pod (a pod of
# another suite running alongside: its UUID is not one of this test's):
# its leases, iptables chains and rules, netns mount, and the veth and
# routes of its leased addresses.
host_snapshot() {
    note_pods
    {
        echo "## links"
        ip -o link show
        echo "## routes"
        ip route show
        ip -6 route show 2>/dev/null
        echo "## mounts"
        findmnt -rn -o TARGET,SOURCE,FSTYPE | awk '$3 == "nsfs"'
        echo "## leases"
        local f
        find "$LEASES" -type f ! -name 'last_reserved_ip.*' ! -name lock 2>/dev/null | sort | while read -r f; do
            printf '%s %s\n' "$f" "$(head -1 "$f" 2>/dev/null | tr -d '\r')"
        done
        echo "## iptables"
        iptables-save | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]/[0:0]/'
    } | "$PYTHON" -c "$SNAPSHOT_FILTER" "$BATS_TEST_TMPDIR/our-pods"
}

# note_pods: remember the UUIDs of this test's pods (gc removes their dirs).
note_pods() {
    local p
    for p in "$D"/pods/*/*/; do
        [ -d "$p" ] && basename "$p"
    done >>"$BATS_TEST_TMPDIR/our-pods"
    sort -u -o "$BATS_TEST_TMPDIR/our-pods" "$BATS_TEST_TMPDIR/our-pods"
}

SNAPSHOT_FILTER='
import re, sys
ours = set(open(sys.argv[1]).read().split())
uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
def foreign(text):
    return any(u not in ours for u in uuid.findall(text))
sections, cur = {}, None
order = []
for line in sys.stdin.read().splitlines():
    if line.startswith("## "):
        cur = line
        order.append(cur)
        sections[cur] = []
    else:
        sections[cur].append(line)
ips, chains, veths = set(), set(), set()
for l in sections["## leases"]:
    if foreign(l):
        ips.add(l.split()[0].rsplit("/", 1)[-1])
for l in sections["## iptables"]:
    if foreign(l):
        chains.update(re.findall(r"\bCNI-(?!HOSTPORT-)[A-Za-z0-9-]+", l))
        ips.update(re.findall(r"-s ([0-9.]+)/32", l))
for l in sections["## routes"]:
    m = re.match(r"([0-9.]+) dev (\S+)", l)
    if m and m.group(1) in ips:
        veths.add(m.group(2))
def keep(sec, l):
    if foreign(l):
        return False
    if sec == "## iptables":
        return not any(re.search(r"\b%s\b" % re.escape(c), l) for c in chains)
    if sec == "## routes":
        m = re.search(r"\bdev (\S+)", l)
        return not (m and m.group(1) in veths) and l.split(" ")[0] not in ips
    if sec == "## links":
        m = re.match(r"\d+: ([^:@]+)", l)
        return not (m and m.group(1) in veths)
    return True
for sec in order:
    print(sec)
    for l in sections[sec]:
        if keep(sec, l):
            print(l)
'

# portmap's own chains and the jumps to them stay after its DEL (the plugin
# never removes them): dropped when a test forwarded ports.
without_portmap_chains() {
    grep -vE '^:CNI-HOSTPORT-(DNAT|SETMARK|MASQ) |^-A (PREROUTING|OUTPUT|POSTROUTING) .*-j CNI-HOSTPORT-(DNAT|MASQ)$|^-A CNI-HOSTPORT-(MASQ|SETMARK) ' || true
}

# assert_host_as_before BEFORE WHAT: the host snapshot equals BEFORE
assert_host_as_before() {
    local now
    now=$(host_snapshot)
    [ "$now" = "$1" ] && return 0
    fail "$2: the host changed:" "$(diff <(printf '%s\n' "$1") <(printf '%s\n' "$now"))"
}

# assert_pod_net_gone: $POD has no netns bind mount nor network record left
assert_pod_net_gone() {
    [ ! -e "$POD/netns" ] || fail "$POD/netns is still there ($(findmnt -rn -o SOURCE "$POD/netns" 2>/dev/null))" || return 1
    # The configs as run (*.conf, net-info.json's netConf) stay with the pod; the records (*.json) go.
    [ -z "$(ls "$POD/net" 2>/dev/null | grep -v '\.conf$')" ] || fail "network records left in $POD/net: $(ls "$POD/net")" || return 1
    ! findmnt -rn -o TARGET | grep -qF "$POD" || fail "mounts left under $POD: $(findmnt -rn -o TARGET | grep -F "$POD")"
}

# the launcher of $POD: the parent of its PID 1
pod_launcher() {
    local pid1
    pid1=$(pod_pid1) || return 1
    awk '{ print $4 }' "/proc/$pid1/stat"
}

# fake TYPE ADD [DEL]: a fake plugin in $FAKE (tests/lib/fakecni.sh)
fake() { bash "$FAKECNI" "$FAKE" "$@"; }

# expect_setup_failure WHAT NETFLAGS...: `podctl run` in the foreground and
# with -d both exit 254 with "failed to setup network: " and WHAT on
# stderr, within 15 s, and leave the host as it was
expect_setup_failure() {
    local what=$1 before mode t0 p olds
    shift
    olds=$(ls "$D/pods/run" 2>/dev/null || true)
    before=$(host_snapshot)
    for mode in fg -d; do
        t0=$(now_ms)
        if [ "$mode" = fg ]; then
            run timeout 20 "$PODCTL" --dir="$D" run "$@" "$IMG" --exec=/probe -- exit 0
        else
            run timeout 20 "$PODCTL" --dir="$D" run -d "$@" "$IMG" --exec=/probe -- sleep 60
        fi
        assert_status 254
        assert_output_contains "failed to setup network: "
        assert_output_contains "$what"
        assert_lt $(($(now_ms) - t0)) 15000 "podctl run $mode (ms)"
        assert_host_as_before "$before" "after a failed podctl run $mode $*"
    done
    for p in "$D"/pods/run/*; do
        ! grep -qxF "${p##*/}" <<<"$olds" || continue
        POD=$p
        assert_pod_net_gone
        [ ! -e "$POD/net-info.json" ] || fail "$POD/net-info.json written for a pod whose network failed"
    done
}

# ------------------------------------------------------- the default network

@test "--net=default: an IP in 172.16.28.0/24 in net-info.json, status and list; its httpd answers the host" {
    run_detached --net=default "$IMG" --name=web "${HTTPD[@]}"
    local ip
    ip=$(pod_ip "$UUID")
    [[ $ip == 172.16.28.* ]] || fail "pod IP $ip is not in 172.16.28.0/24"
    assert_eq "$(pod_field "$UUID" networks.0.name)" default "status networks.0.name"
    assert_eq "$(pod_field "$UUID" networks.0.ifName)" eth0 "status networks.0.ifName"
    assert_eq "$(pod_field "$UUID" networks.0.mask)" 255.255.255.0 "status networks.0.mask"
    assert_eq "$(pod_field "$UUID" networks.0.gateway)" 172.16.28.1 "status networks.0.gateway"
    assert_eq "$(pod_field "$UUID" networks.0.ips)" "[\"$ip/24\"]" "status networks.0.ips"
    assert_eq "$(pod_field "$UUID" netns)" "$POD/netns" "status netns"
    # rkt's net-info.json
    local info
    info=$(cat "$POD/net-info.json")
    assert_eq "$(jget 0.netName <<<"$info")" default "net-info netName"
    assert_eq "$(jget 0.ip <<<"$info")" "$ip" "net-info ip"
    assert_eq "$(jget 0.ifName <<<"$info")" eth0 "net-info ifName"
    assert_eq "$(jget 0.mask <<<"$info")" 255.255.255.0 "net-info mask"
    assert_eq "$(jget 0.gateway <<<"$info")" 172.16.28.1 "net-info gateway"
    assert_eq "$(jget 0.pluginPath <<<"$info")" "$CNI_BIN/ptp" "net-info pluginPath"
    assert_eq "$(jget 0.ips <<<"$info")" "[\"$ip/24\"]" "net-info ips"
    [ -f "$(jget 0.netConf <<<"$info")" ] || fail "net-info netConf $(jget 0.netConf <<<"$info") is not a file"
    [ -f "$POD/net/0-default.json" ] || fail "no record $POD/net/0-default.json"
    [ "$(findmnt -rn -o FSTYPE "$POD/netns")" = nsfs ] || fail "$POD/netns is not a bound network namespace"
    run pc status "$UUID"
    assert_status 0
    assert_output_contains "default eth0 $ip gateway 172.16.28.1"
    run pc list
    assert_status 0
    assert_output_contains "default:$ip"
    assert_eq "$(pc list --json | jget 0.networks.0.ip)" "$ip" "list --json networks.0.ip"
    # The pod's own view: eth0 with the IP, a default route, its IP in /etc/hosts.
    run pc exec --app=web "$UUID" -- /bin/ip -o -4 addr show dev eth0
    assert_status 0
    assert_output_contains "inet $ip/24"
    run pc exec --app=web "$UUID" -- /bin/cat /etc/hosts
    assert_status 0
    assert_line "$ip rkt-$UUID"
    wait_http "http://$ip:8080/etc/passwd"
    run http_get "http://$ip:8080/etc/passwd"
    assert_status 0
    assert_output_contains "app:x:1000:1000:app user"
}

@test "no --net flag at all: the pod is on the default network" {
    local errf=$BATS_TEST_TMPDIR/err
    UUID=$("$PODCTL" --dir="$D" run -d "$IMG" --exec=/probe -- sleep 60 2>"$errf") ||
        fail "podctl run -d without --net failed: $(cat "$errf")"
    POD=$D/pods/run/$UUID
    assert_eq "$(pod_field "$UUID" networks.0.name)" default "networks.0.name"
    [[ $(pod_ip "$UUID") == 172.16.28.* ]] || fail "IP $(pod_ip "$UUID") is not on the default network"
    assert_eq "$(jget 0.netName <"$POD/net-info.json")" default "net-info netName"
}

@test "--net=none: only lo, no network in status, '-' in list" {
    run pc run --net=none "$IMG" --exec=/bin/ip -- -o link
    assert_status 0
    assert_output_contains "lo:"
    refute_output_contains "eth0"
    only_pod
    local nets
    nets=$(pod_field "$UUID" networks 2>/dev/null) || nets=none
    [ "$nets" = none ] || [ "$nets" = "[]" ] || fail "status networks of a --net=none pod: $nets"
    [ ! -e "$POD/net-info.json" ] || fail "net-info.json for a --net=none pod"
    run pc list
    assert_status 0
    [[ $(grep "$UUID" <<<"$output") =~ exited\ +0\ +[^\ ]+\ +-\  ]] || fail "list: expected '-' in NETWORKS: $output"
}

@test "--netns=PATH joins a namespace made elsewhere, as it is (its address, lo up); the namespace outlives the pod" {
    local ns=podit-netns-$$ inode
    ip netns add "$ns"
    echo "$ns" >"$BATS_TEST_TMPDIR/netns"
    ip -n "$ns" link add pt0 type veth peer name pt1
    ip -n "$ns" addr add 10.99.7.5/24 dev pt0
    ip -n "$ns" link set pt0 up
    inode=$(stat -L -c %i "/var/run/netns/$ns")
    run pc run --netns="/var/run/netns/$ns" "$IMG" --exec=/bin/sh -- -c 'readlink /proc/self/ns/net; ip -o addr'
    [ "$(stat -L -c %i "/var/run/netns/$ns")" = "$inode" ] || fail "the namespace did not outlive the pod"
    ip -n "$ns" -o addr show pt0 | grep -q 10.99.7.5 || fail "the pod changed the namespace it joined"
    ip netns del "$ns"
    assert_status 0
    assert_output_contains "net:[$inode]"
    assert_output_contains "10.99.7.5/24"
    assert_output_contains "lo    inet 127.0.0.1/8"
    only_pod
    [ ! -e "$POD/net-info.json" ] || fail "net-info.json for a --netns pod"
}

@test "--netns: not a network namespace, missing, or with --net: refused before anything starts" {
    run pc run --netns=/proc/self/ns/uts "$IMG" --exec=/bin/true
    assert_status 254
    assert_output_contains "--netns=/proc/self/ns/uts: a namespace, but not a network namespace"
    run pc run --netns=/etc/hostname "$IMG" --exec=/bin/true
    assert_status 254
    assert_output_contains "not a namespace file"
    run pc run --netns=/nonexistent/ns "$IMG" --exec=/bin/true
    assert_status 254
    assert_output_contains "--netns=/nonexistent/ns: No such file or directory"
    run pc run --netns=/proc/self/ns/net --net=none "$IMG" --exec=/bin/true
    assert_status 2
    assert_output_contains "--netns and --net: give one of them"
}

@test "two pods on the default network reach each other" {
    run_detached --net=default "$IMG" --name=web "${HTTPD[@]}"
    local a=$UUID ip
    ip=$(pod_ip "$a")
    wait_http "http://$ip:8080/etc/group"
    run pc run --net=default "$IMG" --exec=/bin/wget -- -q -O- "http://$ip:8080/etc/group"
    assert_status 0
    assert_output_contains "users:x:100:app"
}

@test "a foreground pod on the default network: its exit status, and the host as it was when it exits" {
    local before
    before=$(host_snapshot)
    run pc run --net=default "$IMG" --exec=/bin/sh -- -c 'ip -o -4 addr show dev eth0; exit 3'
    assert_status 3
    assert_output_contains "inet 172.16.28."
    only_pod
    assert_host_as_before "$before" "after the pod exited"
    assert_pod_net_gone
    assert_eq "$(jget 0.netName <"$POD/net-info.json")" default "net-info.json is kept after the pod exited"
}

@test "four pods started at once on the default network: four addresses, all released at stop" {
    local before i pids=() u ips=()
    before=$(host_snapshot)
    for i in 1 2 3 4; do
        "$PODCTL" --dir="$D" run -d --net=default "$IMG" --exec=/probe -- sleep 60 \
            >"$BATS_TEST_TMPDIR/u$i" 2>"$BATS_TEST_TMPDIR/e$i" </dev/null 3>&- &
        pids+=($!)
    done
    for i in 1 2 3 4; do
        wait_ok "${pids[i - 1]}" "podctl run -d #$i" "$BATS_TEST_TMPDIR/e$i"
    done
    for i in 1 2 3 4; do
        u=$(cat "$BATS_TEST_TMPDIR/u$i")
        ips+=("$(pod_ip "$u")")
        [[ ${ips[-1]} == 172.16.28.* ]] || fail "pod $u: IP ${ips[-1]}"
    done
    assert_eq "$(printf '%s\n' "${ips[@]}" | sort -u | wc -l)" 4 "distinct IPs (${ips[*]})"
    for i in 1 2 3 4; do
        pc stop "$(cat "$BATS_TEST_TMPDIR/u$i")" >/dev/null || fail "podctl stop #$i"
    done
    assert_host_as_before "$before" "after stopping the four pods"
}

@test "a mutable pod (app sandbox --net=default): its apps share the pod's network" {
    local errf=$BATS_TEST_TMPDIR/err ip
    UUID=$(pc app sandbox -d --net=default 2>"$errf") || fail "app sandbox -d failed: $(cat "$errf")"
    POD=$D/pods/run/$UUID
    ip=$(pod_ip "$UUID")
    [[ $ip == 172.16.28.* ]] || fail "sandbox IP $ip"
    run pc app add "$UUID" "$IMG" --name=web "${HTTPD[@]}"
    assert_status 0
    run pc app start "$UUID" --app=web
    assert_status 0
    wait_http "http://$ip:8080/etc/group"
    run pc stop "$UUID"
    assert_status 0
    assert_pod_net_gone
}

# ------------------------------------------------------------------ ports

@test "--port=127.0.0.1:HOSTPORT:8080 reaches the app from the host; stop removes the forwarding" {
    local port before
    port=$(free_port)
    before=$(host_snapshot | without_portmap_chains)
    run_detached --net=default --port="127.0.0.1:$port:8080" "$IMG" --name=web "${HTTPD[@]}"
    wait_http "http://127.0.0.1:$port/etc/passwd"
    run http_get "http://127.0.0.1:$port/etc/passwd"
    assert_status 0
    assert_output_contains "app user"
    run pc stop "$UUID"
    assert_status 0
    ! curl -sS -m 1 -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null || fail "port $port still answers after stop"
    [ "$(host_snapshot | without_portmap_chains)" = "$before" ] ||
        fail "the host changed:" "$(diff <(printf '%s\n' "$before") <(host_snapshot | without_portmap_chains))"
}

@test "--port=NAME:127.0.0.1:HOSTPORT forwards the port the image declares" {
    local port
    port=$(free_port)
    run_detached --net=default --port="http:127.0.0.1:$port" "$WEBIMG" --name=web "${HTTPD[@]}"
    wait_http "http://127.0.0.1:$port/etc/group"
    run http_get "http://127.0.0.1:$port/etc/group"
    assert_status 0
    assert_output_contains "root:x:0:"
}

@test "--port with --net=none or --net=host is a usage error (exit 2)" {
    run pc run --net=none --port=18080:8080 "$IMG" --exec=/probe -- exit 0
    assert_status 2
    assert_output_contains "--port"
    run pc run --net=host --port=18080:8080 "$IMG" --exec=/probe -- exit 0
    assert_status 2
    assert_output_contains "--port"
    assert_no_pod_dirs
}

@test "bad --net syntax is a usage error (exit 2)" {
    local v
    for v in a/b none,default default,host all,default "default:IP" "default,default"; do
        run pc run --net="$v" "$IMG" --exec=/probe -- exit 0
        assert_status 2
        assert_output_contains "--net"
    done
    run pc run --net=default --net-timeout=0 "$IMG" --exec=/probe -- exit 0
    assert_status 2
    assert_output_contains "--net-timeout"
    run pc run --net=default --dns=not-an-ip "$IMG" --exec=/probe -- exit 0
    assert_status 2
    assert_output_contains "--dns"
    assert_no_pod_dirs
}

# ----------------------------------------------------- other networks

@test "--net=default-restricted: an IP in 172.17.0.0/16 and no default route in the pod" {
    run pc run --net=default-restricted "$IMG" --exec=/bin/sh -- -c 'ip -o -4 addr show dev eth0; echo ROUTES; ip route'
    assert_status 0
    assert_output_contains "inet 172.17."
    assert_output_contains "ROUTES"
    refute_output_contains "default"
    only_pod
    [[ $(jget 0.ip <"$POD/net-info.json") == 172.17.* ]] || fail "net-info ip: $(jget 0.ip <"$POD/net-info.json")"
}

@test "a bridge network from --net-config-dir: its subnet, the host reaches the pod through the bridge" {
    net_conf podit-br.conf '{"cniVersion":"0.4.0","name":"podit-br","type":"bridge","bridge":"podtestbr0",
        "isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","subnet":"10.99.0.0/24","routes":[{"dst":"0.0.0.0/0"}]}}'
    run_detached --net=podit-br --net-config-dir="$NETD" "$IMG" --name=web "${HTTPD[@]}"
    local ip
    ip=$(pod_ip "$UUID")
    [[ $ip == 10.99.0.* ]] || fail "pod IP $ip is not in 10.99.0.0/24"
    assert_eq "$(pod_field "$UUID" networks.0.name)" podit-br "networks.0.name"
    assert_eq "$(jget 0.pluginPath <"$POD/net-info.json")" "$CNI_BIN/bridge" "net-info pluginPath"
    ip -o addr show dev podtestbr0 | grep -q "inet 10.99.0.1/24" || fail "bridge podtestbr0 has no 10.99.0.1/24: $(ip -o addr show dev podtestbr0)"
    wait_http "http://$ip:8080/etc/passwd"
    run http_get "http://$ip:8080/etc/passwd"
    assert_status 0
    assert_output_contains "app user"
    run pc stop "$UUID"
    assert_status 0
    assert_pod_net_gone
    [ -z "$(find "$LEASES/podit-br" -type f ! -name 'last_reserved_ip.*' ! -name lock)" ] ||
        fail "leases left: $(ls "$LEASES/podit-br")"
}

@test "a user network's file beats the built-in network of the same name" {
    net_conf default.conf '{"cniVersion":"0.4.0","name":"default","type":"ptp","ipMasq":false,
        "ipam":{"type":"host-local","subnet":"10.98.7.0/24"}}'
    run pc run --net=default --net-config-dir="$NETD" "$IMG" --exec=/bin/ip -- -o -4 addr show dev eth0
    assert_status 0
    assert_output_contains "inet 10.98.7."
    # The host-local leases of that network are in $LEASES/default too; nothing is left there.
    refute_output_contains "172.16.28."
}

@test "two networks at once: eth0 and eth1, both in status and net-info.json" {
    run_detached --net=default,default-restricted "$IMG" --name=main --exec=/probe -- sleep 60
    [[ $(pod_ip "$UUID" 0) == 172.16.28.* ]] || fail "networks.0.ip $(pod_ip "$UUID" 0)"
    [[ $(pod_ip "$UUID" 1) == 172.17.* ]] || fail "networks.1.ip $(pod_ip "$UUID" 1)"
    assert_eq "$(pod_field "$UUID" networks.0.ifName)" eth0 "networks.0.ifName"
    assert_eq "$(pod_field "$UUID" networks.1.ifName)" eth1 "networks.1.ifName"
    assert_eq "$(pod_field "$UUID" networks.1.name)" default-restricted "networks.1.name"
    assert_eq "$(jget 1.netName <"$POD/net-info.json")" default-restricted "net-info 1.netName"
    [ -f "$POD/net/1-default-restricted.json" ] || fail "no record 1-default-restricted.json: $(ls "$POD/net")"
    run pc exec --app=main "$UUID" -- /bin/ip -o -4 addr
    assert_status 0
    assert_output_contains "eth0    inet $(pod_ip "$UUID" 0)/24"
    assert_output_contains "eth1    inet $(pod_ip "$UUID" 1)/16"
    run pc list
    assert_output_contains "default:$(pod_ip "$UUID" 0)"
    run pc stop "$UUID"
    assert_status 0
    assert_pod_net_gone
}

@test "--net=all joins every configured network" {
    ptp_conf podit-all 10.98.8.0/24
    run pc run --net=all --net-config-dir="$NETD" "$IMG" --exec=/bin/ip -- -o -4 addr
    assert_status 0
    assert_output_contains "inet 172.16.28."
    assert_output_contains "inet 172.17."
    assert_output_contains "inet 10.98.8."
}

@test "CNI args: --net=default:IP=172.16.28.77 gives the pod that IP" {
    run_detached "--net=default:IP=172.16.28.77" "$IMG" --exec=/probe -- sleep 60
    assert_eq "$(pod_ip "$UUID")" 172.16.28.77 "pod IP"
    assert_eq "$(jget 0.args <"$POD/net-info.json")" IP=172.16.28.77 "net-info args"
    [ -f "$LEASES/default/172.16.28.77" ] || fail "no host-local lease for 172.16.28.77"
    run pc stop "$UUID"
    assert_status 0
    [ ! -e "$LEASES/default/172.16.28.77" ] || fail "the lease for 172.16.28.77 is left after stop"
}

# ------------------------------------------------------------------- DNS

@test "DNS: a network's CNI result writes the pod's resolv.conf; --dns beats it; --dns=none leaves none" {
    ptp_conf podit-dns 10.98.9.0/24 ',"dns":{"nameservers":["10.1.2.3"],"search":["podit.test"]}'
    run pc run --net=podit-dns --net-config-dir="$NETD" "$IMG" --exec=/bin/cat -- /etc/resolv.conf
    assert_status 0
    assert_output_contains "# Generated by podinit from network podit-dns"
    assert_line "nameserver 10.1.2.3"
    assert_line "search podit.test"
    run pc gc
    run pc run --net=podit-dns --net-config-dir="$NETD" --dns=10.9.9.9 --dns-search=example.test "$IMG" \
        --exec=/bin/cat -- /etc/resolv.conf
    assert_status 0
    assert_line "nameserver 10.9.9.9"
    assert_line "search example.test"
    refute_output_contains "10.1.2.3"
    run pc gc
    run pc run --net=podit-dns --net-config-dir="$NETD" --dns=none "$IMG" --exec=/bin/sh -- -c \
        'if [ -e /etc/resolv.conf ]; then cat /etc/resolv.conf; else echo NO-RESOLV-CONF; fi'
    assert_status 0
    refute_output_contains "10.1.2.3"
    assert_output_contains "NO-RESOLV-CONF"
    run pc gc
    run pc run --net=podit-dns --net-config-dir="$NETD" --dns=10.9.9.8 --dns=10.9.9.7 --dns-domain=podit.example \
        --dns-opt=ndots:2 "$IMG" --exec=/bin/cat -- /etc/resolv.conf
    assert_status 0
    assert_line "nameserver 10.9.9.8"
    assert_line "nameserver 10.9.9.7"
    assert_line "domain podit.example"
    assert_line "options ndots:2"
    if [ -f /etc/resolv.conf ]; then
        run pc gc
        run pc run --net=podit-dns --net-config-dir="$NETD" --dns=host "$IMG" --exec=/bin/cat -- /etc/resolv.conf
        assert_status 0
        assert_output_is "$(cat /etc/resolv.conf)"
    fi
    # A network without DNS writes nothing: the default network.
    run pc gc
    run pc run --net=default "$IMG" --exec=/bin/sh -- -c \
        'if [ -e /etc/resolv.conf ]; then cat /etc/resolv.conf; else echo NO-RESOLV-CONF; fi'
    assert_status 0
    assert_output_contains "NO-RESOLV-CONF"
}

# -------------------------------------------------------------- teardown

@test "podctl stop and gc leave the host as it was" {
    local before during
    before=$(host_snapshot)
    run_detached --net=default "$IMG" --name=web "${HTTPD[@]}"
    local ip
    ip=$(pod_ip "$UUID")
    during=$(host_snapshot)
    [ "$during" != "$before" ] || fail "the pod's network changed nothing on the host?"
    grep -q "$LEASES/default/$ip" <<<"$during" || fail "no lease for $ip while the pod runs"
    grep -q "$UUID" <<<"$during" || fail "no iptables rule for the pod (ipMasq) while it runs"
    run pc stop "$UUID"
    assert_status 0
    assert_host_as_before "$before" "after podctl stop"
    assert_pod_net_gone
    [ -f "$POD/net-info.json" ] || fail "net-info.json is gone after stop"
    # An exited pod's status still names its networks, and no netns.
    assert_eq "$(pod_field "$UUID" networks.0.ip)" "$ip" "status networks.0.ip after stop"
    local ns
    ns=$(pod_field "$UUID" netns 2>/dev/null) || ns=null
    assert_eq "$ns" null "status netns after stop"
    note_pods
    run pc gc
    assert_status 0
    assert_output_contains "removed $UUID"
    assert_host_as_before "$before" "after podctl gc"
}

@test "podctl stop --force: the launcher still tears the networks down" {
    local before
    before=$(host_snapshot)
    run_detached --net=default,default-restricted "$IMG" --exec=/probe -- ignore-term 60
    run pc stop --force "$UUID"
    assert_status 0
    assert_host_as_before "$before" "after podctl stop --force"
    assert_pod_net_gone
}

@test "kill -9 of the launcher: the networks stay until podctl gc, which removes them (twice is harmless)" {
    local before launcher pid1 ip
    before=$(host_snapshot)
    run_detached --net=default "$IMG" --exec=/probe -- sleep 60
    note_pods
    ip=$(pod_ip "$UUID")
    pid1=$(pod_pid1)
    launcher=$(pod_launcher)
    grep -q podinit "/proc/$launcher/comm" || fail "the parent of PID 1 ($launcher) is not podinit"
    kill -KILL "$launcher"
    wait_until 5 eval '[ ! -d "/proc/$pid1" ]' || fail "the pod's PID 1 outlived its launcher"
    wait_until 5 eval '! pod_lock_held "$POD"' || fail "the pod is still locked"
    [ "$(findmnt -rn -o FSTYPE "$POD/netns")" = nsfs ] || fail "the netns went without a teardown?"
    [ -f "$LEASES/default/$ip" ] || fail "the lease of $ip went without a teardown?"
    run pc gc
    assert_status 0
    assert_output_contains "removed $UUID"
    assert_host_as_before "$before" "after podctl gc"
    run pc gc
    assert_status 0
    assert_host_as_before "$before" "after a second podctl gc"
}

@test "kill -9 of the launcher while a plugin runs: gc undoes the ADDs, no plugin process is left" {
    local before bgp rc=0 launcher plugin
    fake podit-hang hang ok
    net_conf podit-slow.conflist '{"cniVersion":"0.4.0","name":"podit-slow","plugins":[
        {"type":"ptp","ipMasq":true,"ipam":{"type":"host-local","subnet":"10.98.13.0/24"}},
        {"type":"podit-hang"}]}'
    before=$(host_snapshot)
    bg "$PODCTL" --dir="$D" run -d --net=podit-slow --net-config-dir="$NETD" --net-plugin-dir="$FAKE:$CNI_BIN" \
        --net-timeout=60s "$IMG" --exec=/probe -- sleep 60
    bgp=$BGP
    wait_until 10 grep -q '^ADD ' "$FAKE/podit-hang.log" 2>/dev/null || fail "the hanging plugin was not called"
    read -r _ _ _ plugin launcher <"$FAKE/podit-hang.log"
    grep -q podinit "/proc/$launcher/comm" || fail "the plugin's parent ($launcher) is not podinit"
    kill -KILL "$launcher"
    wait "$bgp" || rc=$?
    [ "$rc" -ne 0 ] || fail "podctl run -d succeeded though its launcher was killed"
    only_pod
    note_pods
    wait_until 5 eval '! pod_lock_held "$POD"' || fail "the pod is still locked after its launcher was killed"
    run pc gc
    assert_status 0
    assert_output_contains "removed $UUID"
    assert_host_as_before "$before" "after podctl gc"
    # It dies with the launcher (PR_SET_PDEATHSIG); a zombie waiting for the host's init to reap it is dead.
    wait_until 5 eval '[ ! -d "/proc/$plugin" ] || grep -q "^State:.*Z" "/proc/$plugin/status"' ||
        fail "the plugin the launcher ran ($plugin, $(cat "/proc/$plugin/comm")) outlived it"
}

# ------------------------------------------------------------ bad input

@test "an unknown network name: exit 254, the known networks named, nothing left" {
    expect_setup_failure 'network "podit-nosuch" is not configured (known: default, default-restricted' \
        --net=podit-nosuch --net-config-dir="$NETD"
}

@test "a network whose plugin binary is missing: exit 254, network and plugin named, nothing left" {
    net_conf podit-miss.conf '{"cniVersion":"0.4.0","name":"podit-miss","type":"podit-noplugin"}'
    expect_setup_failure 'network "podit-miss": plugin "podit-noplugin" not found' \
        --net=podit-miss --net-config-dir="$NETD" --net-plugin-dir="$FAKE:$CNI_BIN"
}

@test "a network config that is not JSON: exit 254, the file named, nothing left" {
    net_conf podit-bad.conf '{"cniVersion":"0.4.0", "name": "podit-bad", this is not JSON'
    expect_setup_failure "$NETD/podit-bad.conf: not JSON" --net=default --net-config-dir="$NETD"
}

@test "IP exhaustion: a /30 network has one address; the second pod fails with 254 and leaves nothing" {
    ptp_conf podit-tiny 10.98.10.0/30
    run_detached --net=podit-tiny --net-config-dir="$NETD" "$IMG" --exec=/probe -- sleep 60
    assert_eq "$(pod_ip "$UUID")" 10.98.10.2 "the one address"
    local first=$POD
    expect_setup_failure 'network "podit-tiny": plugin "ptp" ADD' --net=podit-tiny --net-config-dir="$NETD"
    [ "$(findmnt -rn -o FSTYPE "$first/netns")" = nsfs ] || fail "the first pod lost its netns"
    [ -f "$LEASES/podit-tiny/10.98.10.2" ] || fail "the first pod lost its lease"
}

@test "a plugin that hangs past --net-timeout=1s: exit 254 within seconds, nothing left" {
    fake podit-hang hang ok
    net_conf podit-hang.conf '{"cniVersion":"0.4.0","name":"podit-hang","type":"podit-hang"}'
    expect_setup_failure 'network "podit-hang": plugin "podit-hang"' \
        --net=podit-hang --net-config-dir="$NETD" --net-plugin-dir="$FAKE:$CNI_BIN" --net-timeout=1s
    assert_output_contains "did not finish ADD within 1000 ms"
    assert_eq "$(count_procs '^podit-fake-cni-hang ' 2>/dev/null)" 0 "hanging plugins still running"
}

@test "a plugin that hangs on ADD and on DEL: exit 254 within seconds, no netns bind mount left" {
    fake podit-hang2 hang hang
    net_conf podit-hang2.conf '{"cniVersion":"0.4.0","name":"podit-hang2","type":"podit-hang2"}'
    local t0
    t0=$(now_ms)
    run timeout 20 "$PODCTL" --dir="$D" run --net=podit-hang2 --net-config-dir="$NETD" --net-plugin-dir="$FAKE:$CNI_BIN" \
        --net-timeout=1s "$IMG" --exec=/probe -- exit 0
    assert_status 254
    assert_output_contains 'network "podit-hang2": plugin "podit-hang2"'
    assert_lt $(($(now_ms) - t0)) 10000 "podctl run (ms)"
    only_pod
    [ ! -e "$POD/netns" ] || fail "the pod's netns bind mount is left after its failed setup: $(findmnt -rn "$POD/netns")"
}

@test "a plugin that prints garbage: exit 254, network and plugin named, nothing left" {
    fake podit-garbage garbage ok
    net_conf podit-garbage.conf '{"cniVersion":"0.4.0","name":"podit-garbage","type":"podit-garbage"}'
    expect_setup_failure 'network "podit-garbage": plugin "podit-garbage" ADD printed something that is not a CNI result' \
        --net=podit-garbage --net-config-dir="$NETD" --net-plugin-dir="$FAKE:$CNI_BIN"
}

@test "a plugin that returns a CNI error: exit 254, its message, network and plugin named, nothing left" {
    fake podit-fail error ok
    net_conf podit-fail.conf '{"cniVersion":"0.4.0","name":"podit-fail","type":"podit-fail"}'
    expect_setup_failure 'network "podit-fail": plugin "podit-fail" ADD: boom (CNI error 11)' \
        --net=podit-fail --net-config-dir="$NETD" --net-plugin-dir="$FAKE:$CNI_BIN"
}

@test "a conflist whose second plugin fails: the first (ptp) is undone, exit 254, nothing left" {
    fake podit-fail error ok
    net_conf podit-chain.conflist '{"cniVersion":"0.4.0","name":"podit-chain","plugins":[
        {"type":"ptp","ipMasq":true,"ipam":{"type":"host-local","subnet":"10.98.11.0/24"}},
        {"type":"podit-fail"}]}'
    expect_setup_failure 'network "podit-chain": plugin "podit-fail" ADD: boom (CNI error 11)' \
        --net=podit-chain --net-config-dir="$NETD" --net-plugin-dir="$FAKE:$CNI_BIN"
    # Each of the two pods: ADD then DEL of the failing plugin, and the ptp's lease came and went.
    assert_eq "$(grep -c '^ADD eth0 ' "$FAKE/podit-fail.log")" 2 "ADD calls of the failing plugin"
    assert_eq "$(grep -c '^DEL eth0 ' "$FAKE/podit-fail.log")" 2 "DEL calls of the failing plugin"
    [ -f "$LEASES/podit-chain/last_reserved_ip.0" ] || fail "ptp never reserved an address: was it run?"
}

# ------------------------------------------------------------ podctl net

@test "podctl net list: the built-ins and the config files, each plugin found and speaking the config's version" {
    run pc net list --net-config-dir="$NETD"
    assert_status 0
    assert_line "default               0.4.0     ptp                       built in                        -"
    net_conf 10-mine.conflist '{"cniVersion":"0.4.0","name":"mine","plugins":[{"type":"bridge"},{"type":"portmap"}]}'
    net_conf 20-new.conf '{"cniVersion":"9.9.9","name":"toonew","type":"ptp"}'
    net_conf 30-gone.conf '{"cniVersion":"0.4.0","name":"gone","type":"podit-nosuch"}'
    run pc net list --net-config-dir="$NETD"
    assert_status 1
    assert_output_contains "bridge,portmap"
    assert_output_contains "ptp: does not speak cniVersion 9.9.9"
    assert_output_contains "podit-nosuch: not found"
    run pc net list --json --net-config-dir="$NETD"
    assert_status 1
    assert_eq "$(jget 2.name <<<"$output")" mine "third network"
    assert_eq "$(jget 2.plugins.1 <<<"$output")" portmap "its second plugin"
    assert_eq "$(jget 2.problem <<<"$output")" null "its problem"
    net_conf 40-broken.conf '{"name":'
    run pc net list --net-config-dir="$NETD"
    assert_status 1
    assert_output_contains "40-broken.conf: not JSON"
}

@test "podctl net check: CHECK of a running pod's networks passes, and fails once its interface is gone" {
    run_detached --net=default,default-restricted "$IMG" --exec=/probe -- sleep 60
    run pc net check "$UUID"
    assert_status 0
    assert_output_contains "default               eth0    ok"
    assert_output_contains "default-restricted    eth1    ok"
    # Take eth1 away behind the plugins' back: ptp's CHECK must notice.
    nsenter --net="$POD/netns" ip link del eth1
    run pc net check "$UUID"
    assert_status 1
    assert_output_contains "default               eth0    ok"
    assert_output_contains "default-restricted    eth1    failed:"
    run pc stop "$UUID"
    run pc net check "$UUID"
    assert_status 1
    assert_output_contains "not running"
    run_detached --net=none "$IMG" --exec=/probe -- sleep 60
    run pc net check "$UUID"
    assert_status 1
    assert_output_contains "has no CNI network"
}
