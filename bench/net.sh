#!/usr/bin/env bash
# bench/net.sh -- the cost of a pod's CNI network: podinit's against the
# same plugin chain run by hand around crun.
#
# usage: bench/net.sh BUILD_DIR        (as root; part of `make bench`)
#
# Four variants, interleaved (the order rotates every round, as in
# bench/run.sh), each a one-app pod or container running `/probe sleep
# 3600` from the busybox-static image:
#
#   (a) `podctl run -d --net=default`: podinit's built-in default network
#       (ptp + host-local on 172.16.28.0/24, default route, ipMasq), timed
#       until run -d returns (the app is running); then `podctl stop`, timed.
#   (b) the same with --net=none (a new network namespace with only lo).
#   (c) the bare chain by hand: `ip netns add`, CNI ADD of the same config
#       (its own name and subnet: benchnet, 172.16.99.0/24) by running
#       /usr/lib/cni/ptp with the CNI_* variables and the config on stdin,
#       then `crun run -d` of an OCI bundle of the same rootfs whose network
#       namespace is that one; teardown: `crun delete -f`, CNI DEL, `ip
#       netns del`.
#   (d) `crun run -d` alone (crun spec's default: a new, empty network
#       namespace); teardown: `crun delete -f`.
#
# podinit's network cost is (a) - (b), the bare chain's (c) - (d), medians;
# the goal is a ratio of at most 1.1, for the start and for the teardown.
#
# Environment: BENCH_OUT (default /tmp/podinit-bench/net.md), BENCH_WORK
# (default /tmp/podinit-bench/net-work), BENCH_RUNS (20), BENCH_WARMUP (2),
# BENCH_TIMEOUT (whole-run budget in seconds, 290), BENCH_KEEP=1 (keep the
# scratch directory).  Everything it creates (pods, containers, the network
# namespace, veths, iptables rules, host-local leases of benchnet) is
# removed on exit, failure and Ctrl-C alike.
set -euo pipefail
export LC_ALL=C

prog=bench/net.sh
# shellcheck source=bench/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_start "$@"
bench_pkg[ip]=iproute2
bench_pkg[iptables]=iptables
need_tools crun ip iptables unshare date sort mount umount awk sed timeout python3
cni_bin=/usr/lib/cni
for p in ptp host-local portmap; do
    need_file "$cni_bin/$p" containernetworking-plugins
done
check_missing

runs=${BENCH_RUNS:-20}
warmup=${BENCH_WARMUP:-2}
budget=${BENCH_TIMEOUT:-290}
out=${BENCH_OUT:-/tmp/podinit-bench/net.md}
whole_number BENCH_RUNS "$runs" 1
whole_number BENCH_WARMUP "$warmup"
whole_number BENCH_TIMEOUT "$budget"

# Our mounts (the netns bind mounts, crun's cgroup workaround) stay in a
# private mount namespace; links, routes, iptables rules and leases are the
# host's, and cleanup_extra removes ours.
private_mount_ns PODINIT_BENCH_IN_NS
exec </dev/null     # no console for the pods

make_work "${BENCH_WORK:-/tmp/podinit-bench/net-work}" .podinit-bench BENCH_WORK
copy_binaries

crun_root=$work/crun-state
st=$work/state
state_dirs=("$st")
netd=$work/net.d            # empty: podctl uses its built-in default network
bare_net=benchnet
bare_subnet=172.16.99.0/24
bare_ns=podinit-bench-net-$$
bare_live=""                # the container id whose CNI ADD is not undone yet
leases=/var/lib/cni/networks/$bare_net
leases_existed=0
[ -e "$leases" ] && leases_existed=1

# bare_del ID: CNI DEL of the bare chain's network for container ID
bare_del() {
    CNI_COMMAND=DEL CNI_CONTAINERID=$1 CNI_NETNS=/run/netns/$bare_ns CNI_IFNAME=eth0 CNI_PATH=$cni_bin \
        "$cni_bin/ptp" <"$work/bare.conf" >>"$log" 2>&1
}

cleanup_extra() {
    if [ -n "$bare_live" ]; then
        "${crun_g[@]}" delete -f "$bare_live" >/dev/null 2>&1
        bare_del "$bare_live"
    fi
    [ -e "/run/netns/$bare_ns" ] && ip netns del "$bare_ns" 2>/dev/null
    [ "$leases_existed" = 1 ] || rm -rf -- "$leases"
}
install_cleanup
start_watchdog "$budget"

stats_digits=1

# --------------------------------------------------------------- fixtures
say "building the image and the OCI bundle in $work"
mkdir -p "$netd" "$st"
img=$work/img
make_image "$img" --name example.com/bench --exec '["/probe","sleep","3600"]'
make_bundle "$img/rootfs"
crun_config "$bundle/cfg-own.json" '"/probe", "sleep", "3600"'
# The bare chain's container joins the namespace `ip netns add` made.
python3 - "$bundle/cfg-own.json" "$bundle/cfg-join.json" "/run/netns/$bare_ns" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
ns = [n for n in cfg["linux"]["namespaces"] if n["type"] == "network"]
if len(ns) != 1:
    sys.exit("crun spec's template has no network namespace to edit")
ns[0]["path"] = sys.argv[3]
json.dump(cfg, open(sys.argv[2], "w"), indent=1)
PY
crun_setup cgroupfs

# podinit's built-in default network (net/conf.c), under its own name and subnet.
cat >"$work/bare.conf" <<EOF
{"cniVersion":"0.4.0","name":"$bare_net","type":"ptp","ipMasq":true,
 "ipam":{"type":"host-local","subnet":"$bare_subnet","routes":[{"dst":"0.0.0.0/0"}]}}
EOF

# ---------------------------------------------------------------- variants
# Each records VARIANT.start (the command's fork to its return: the app
# runs) and VARIANT.stop (teardown), in µs, after a sync.

podctl_variant() {  # podctl_variant VARIANT NET
    local v=$1 net=$2 t0 t1 t2 t3 u
    "$podctl" --dir="$st" gc >/dev/null 2>>"$log"
    sync
    t0=$(now_us)
    u=$("$podctl" --dir="$st" run -d --net="$net" --net-config-dir="$netd" "$img" --name=app \
        --exec=/probe -- sleep 3600 2>>"$log") || fail_run "podctl run -d --net=$net" $?
    t1=$(now_us)
    [ "$net" = none ] || [ -e "$st/pods/run/$u/netns" ] || { say "pod $u: no netns on --net=$net"; exit 1; }
    sync
    t2=$(now_us)
    "$podctl" --dir="$st" stop "$u" >/dev/null 2>>"$log" || fail_run "podctl stop ($v)" $?
    t3=$(now_us)
    record "$v" start $((t1 - t0))
    record "$v" stop $((t3 - t2))
}
v_pod_net() { podctl_variant pod-net default; }
v_pod_none() { podctl_variant pod-none none; }

crun_seq=0
v_bare_net() {
    local id=bench-net-$$-$((crun_seq++)) t0 t1 t2 t3 t4 t5 t6 t7 rc=0
    sync
    t0=$(now_us)
    ip netns add "$bare_ns" 2>>"$log" || fail_run "ip netns add" $?
    t1=$(now_us)
    bare_live=$id
    CNI_COMMAND=ADD CNI_CONTAINERID=$id CNI_NETNS=/run/netns/$bare_ns CNI_IFNAME=eth0 CNI_PATH=$cni_bin \
        "$cni_bin/ptp" <"$work/bare.conf" >"$work/bare.result" 2>>"$log" || rc=$?
    t2=$(now_us)
    [ $rc -eq 0 ] || { cat "$work/bare.result" >>"$log"; fail_run "CNI ADD ($cni_bin/ptp)" $rc; }
    "${crun_g[@]}" run -d -b "$bundle" -f "$bundle/cfg-join.json" "$id" >>"$log" 2>&1 || fail_run "crun run -d (bare chain)" $?
    t3=$(now_us)
    grep -q '"address"' "$work/bare.result" || { say "CNI ADD printed no IP: $(cat "$work/bare.result")"; exit 1; }
    sync
    t4=$(now_us)
    "${crun_g[@]}" delete -f "$id" >>"$log" 2>&1 || fail_run "crun delete -f (bare chain)" $?
    t5=$(now_us)
    bare_del "$id" || fail_run "CNI DEL ($cni_bin/ptp)" $?
    bare_live=""
    t6=$(now_us)
    ip netns del "$bare_ns" 2>>"$log" || fail_run "ip netns del" $?
    t7=$(now_us)
    record bare-net start $((t3 - t0))
    record bare-net stop $((t7 - t4))
    record bare-net nsadd $((t1 - t0))
    record bare-net cniadd $((t2 - t1))
    record bare-net crun $((t3 - t2))
    record bare-net crundel $((t5 - t4))
    record bare-net cnidel $((t6 - t5))
    record bare-net nsdel $((t7 - t6))
}

v_bare_none() {
    local id=bench-none-$$-$((crun_seq++)) t0 t1 t2 t3
    sync
    t0=$(now_us)
    "${crun_g[@]}" run -d -b "$bundle" -f "$bundle/cfg-own.json" "$id" >>"$log" 2>&1 || fail_run "crun run -d" $?
    t1=$(now_us)
    sync
    t2=$(now_us)
    "${crun_g[@]}" delete -f "$id" >>"$log" 2>&1 || fail_run "crun delete -f" $?
    t3=$(now_us)
    record bare-none start $((t1 - t0))
    record bare-none stop $((t3 - t2))
}

# Sanity, untimed: each variant once, and the pod on default really has its address.
recording=0
v_pod_net
u=$("$podctl" --dir="$st" run -d --net=default --net-config-dir="$netd" "$img" --name=app --exec=/probe -- sleep 3600 2>>"$log") ||
    fail_run "podctl run -d --net=default (sanity check)" $?
"$podctl" --dir="$st" status "$u" | grep -q '^network  *default eth0 172\.16\.28\.' ||
    { say "the sanity pod is not on the default network: $("$podctl" --dir="$st" status "$u")"; exit 1; }
"$podctl" --dir="$st" stop "$u" >/dev/null
v_bare_net
v_bare_none

variants=(v_pod_net v_pod_none v_bare_net v_bare_none)
say "network cost: $warmup warm-up + $runs measured rounds of ${#variants[@]} interleaved variants"
started=$(now_us)
run_rounds "${variants[@]}"
loop_s=$(( ($(now_us) - started) / 1000000 ))
"$podctl" --dir="$st" gc >/dev/null 2>>"$log"

# ------------------------------------------------------------------ report
declare -A med p90
for f in "$samples"/*; do
    read -r m n < <(stats "$f")
    med[${f##*/}]=$m
    p90[${f##*/}]=$n
done
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
goal() {    # goal RATIO: met or missed for <= 1.1
    awk -v r="$1" 'BEGIN { if (r == "-") print "-"; else if (r <= 1.1) print "met"; else print "missed" }'
}
cost_start_pod=$(diff_ms "${med[pod-net.start]}" "${med[pod-none.start]}")
cost_start_bare=$(diff_ms "${med[bare-net.start]}" "${med[bare-none.start]}")
cost_stop_pod=$(diff_ms "${med[pod-net.stop]}" "${med[pod-none.stop]}")
cost_stop_bare=$(diff_ms "${med[bare-net.stop]}" "${med[bare-none.stop]}")
r_start=$(ratio "$cost_start_pod" "$cost_start_bare")
r_stop=$(ratio "$cost_stop_pod" "$cost_stop_bare")
# The same from each round's own pair (a − b, c − d), then the median: less
# exposed to load that changes between rounds.
paired() {  # paired A B KEY: median of the per-round differences, ms
    paste "$samples/$1.$3" "$samples/$2.$3" | awk '{ print $1 - $2 }' >"$samples/diff-$1-$2.$3"
    stats "$samples/diff-$1-$2.$3" | cut -d' ' -f1
}
pair_start_pod=$(paired pod-net pod-none start)
pair_start_bare=$(paired bare-net bare-none start)
pair_stop_pod=$(paired pod-net pod-none stop)
pair_stop_bare=$(paired bare-net bare-none stop)

{
echo "# podinit network benchmark"
echo
machine_line
echo "$(crun --version | head -1), $(dpkg-query -W -f='containernetworking-plugins ${Version}' containernetworking-plugins 2>/dev/null || echo "CNI plugins in $cni_bin"), $(iptables --version)."
echo
echo "## Cost of a CNI network (ms; $runs interleaved rounds after $warmup warm-up, ${loop_s}s)"
echo
echo "A one-app pod or container running \`/probe sleep 3600\` (busybox-static image). start = from the shell forking"
echo "the command(s) to their return, the app running; teardown = stopping it and undoing its network. A sync before each."
echo "The network is podinit's built-in \`default\` (ptp + host-local, default route, ipMasq); by hand, the same config"
echo "as \`$bare_net\` on $bare_subnet."
echo
echo "| variant | start median | start p90 | teardown median | teardown p90 |"
echo "|---|---:|---:|---:|---:|"
row() {     # row LABEL VARIANT
    printf '| %s | %s | %s | %s | %s |\n' "$1" "${med[$2.start]}" "${p90[$2.start]}" "${med[$2.stop]}" "${p90[$2.stop]}"
}
row "(a) **podctl run -d --net=default**; podctl stop" pod-net
row "(b) podctl run -d --net=none; podctl stop" pod-none
row "(c) ip netns add + CNI ADD (ptp) + crun run -d in that netns; crun delete -f + CNI DEL + ip netns del" bare-net
row "(d) crun run -d (its own empty netns); crun delete -f" bare-none
echo
echo "| network cost | podinit (a − b) | bare chain (c − d) | podinit ÷ bare (goal ≤ 1.1) |"
echo "|---|---:|---:|---:|"
echo "| **start** (difference of the medians) | $cost_start_pod | $cost_start_bare | **$r_start** ($(goal "$r_start")) |"
echo "| start (median of each round's difference) | $pair_start_pod | $pair_start_bare | $(ratio "$pair_start_pod" "$pair_start_bare") |"
echo "| **teardown** (difference of the medians) | $cost_stop_pod | $cost_stop_bare | **$r_stop** ($(goal "$r_stop")) |"
echo "| teardown (median of each round's difference) | $pair_stop_pod | $pair_stop_bare | $(ratio "$pair_stop_pod" "$pair_stop_bare") |"
echo
echo "The bare chain's steps (medians, ms): ip netns add ${med[bare-net.nsadd]}, CNI ADD ${med[bare-net.cniadd]},"
echo "crun run -d ${med[bare-net.crun]}; crun delete -f ${med[bare-net.crundel]}, CNI DEL ${med[bare-net.cnidel]}, ip netns del ${med[bare-net.nsdel]}."
} >"$out"

cat "$out"
say "results written to $out"
