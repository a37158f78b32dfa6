#!/usr/bin/env bash
# bench/supervise.sh -- supervision benchmarks, podinit next to s6.
#
# usage: bench/supervise.sh BUILD_DIR     (as root; part of `make bench`)
#
# 1. Restart latency: an app that says it is ready on fd 3 (s6's
#    notification-fd, podinit's --ready=fd:3), runs 1.1 s and exits 1,
#    restarted by podinit (--restart=always, no backoff after a run that
#    long) and by s6-supervise (which restarts at once a service that was
#    ready for more than a second, and otherwise waits one second).  The
#    same script stamps CLOCK_REALTIME as its first and last acts;
#    latency = next start - previous exit.
# 2. `podctl app add` + `app start` latency into a mutable pod, until the
#    app's first act (and the two parts).
# 3. Status with 100 apps: `podctl status --json`, one `status` request over
#    a kept connection, next to `s6-svstat` of one service and of all 100.
# 4. Memory (PSS, and its anonymous part) of the supervisors of 100 sleeping
#    apps: podinit (launcher + PID 1) against s6-svscan + 100 s6-supervise.
#
# Environment: BENCH_OUT (default /tmp/podinit-bench/supervise.md), BENCH_WORK
# (default /tmp/podinit-bench/supervise-work), BENCH_RESTARTS (10),
# BENCH_RUNS (20).
set -euo pipefail
export LC_ALL=C

prog=bench/supervise.sh
# shellcheck source=bench/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_start "$@"
need_tools s6-svscan s6-supervise s6-svstat s6-svscanctl python3
check_missing

restarts=${BENCH_RESTARTS:-10}
runs=${BENCH_RUNS:-20}
out=${BENCH_OUT:-/tmp/podinit-bench/supervise.md}
whole_number BENCH_RESTARTS "$restarts" 2
whole_number BENCH_RUNS "$runs" 2
make_work "${BENCH_WORK:-/tmp/podinit-bench/supervise-work}" .podinit-bench BENCH_WORK
exec </dev/null

copy_binaries
state=$work/state
state_dirs=("$state")
pc() { "$podctl" --dir="$state" "$@"; }
svscan_pid=

cleanup_extra() {
    if [ -n "$svscan_pid" ]; then
        s6-svscanctl -t "$work/scan" 2>/dev/null
        sleep 0.5
        kill -KILL "$svscan_pid" 2>/dev/null
        pkill -KILL -f "s6-supervise " 2>/dev/null
    fi
}
install_cleanup

# The image: busybox-static and the probe.
make_image "$work/img"

# ---------------------------------------------------------- 1. restarts
say "restart latency: $restarts restarts each (about $((restarts * 12 / 5)) s)"
loop_script() {         # loop_script STAMPDIR PROBE: the service, for sh
    printf '%s now >>%s/starts; echo >&3; sleep 1.1; %s now >>%s/exits; exit 1' "$2" "$1" "$2" "$1"
}
# podinit: the stamps go to the app's /tmp.
uuid=$(pc run -d --net=none "$work/img" --name=loop --ready=fd:3 --restart=always --restart-backoff=0 --restart-reset-after=1s \
    --exec=/bin/sh -- -c "$(loop_script /tmp /probe)")
root=$state/pods/run/$uuid/stage1/rootfs/opt/stage2/loop/rootfs
deadline=$(( $(date +%s) + restarts * 2 + 10 ))
until [ "$(cat "$root/tmp/starts" 2>/dev/null | wc -l)" -gt "$restarts" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "podinit did not restart the app $restarts times"
    sleep 0.2
done
pc stop "$uuid" >/dev/null
paste <(tail -n +2 "$root/tmp/starts" | head -n "$restarts") <(head -n "$restarts" "$root/tmp/exits") |
    awk '{ printf "%d\n", ($1 - $2) / 1000 }' >"$work/restart.podinit"
# s6
mkdir -p "$work/scan/loop" "$work/s6stamps"
printf '#!/bin/sh\nexec /bin/sh -c %q\n' "$(loop_script "$work/s6stamps" "$probe")" >"$work/scan/loop/run"
chmod +x "$work/scan/loop/run"
echo 3 >"$work/scan/loop/notification-fd"
s6-svscan "$work/scan" >/dev/null 2>&1 &
svscan_pid=$!
deadline=$(( $(date +%s) + restarts * 2 + 10 ))
until [ "$(cat "$work/s6stamps/starts" 2>/dev/null | wc -l)" -gt "$restarts" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "s6 did not restart the service $restarts times"
    sleep 0.2
done
s6-svscanctl -t "$work/scan"
wait "$svscan_pid" 2>/dev/null || true
svscan_pid=
pkill -KILL -f "s6-supervise loop" 2>/dev/null || true
paste <(tail -n +2 "$work/s6stamps/starts" | head -n "$restarts") <(head -n "$restarts" "$work/s6stamps/exits") |
    awk '{ printf "%d\n", ($1 - $2) / 1000 }' >"$work/restart.s6"
read -r r_p r_p90 < <(stats "$work/restart.podinit")
read -r r_s r_s90 < <(stats "$work/restart.s6")

# ------------------------------------------------------ 2. app add+start
say "app add + start: $runs apps"
sandbox=$(pc app sandbox -d --net=none)
sroot=$state/pods/run/$sandbox/stage1/rootfs/opt/stage2
: >"$work/add.total"; : >"$work/add.add"; : >"$work/add.start"
for i in $(seq 1 "$runs"); do
    sync
    t0=$(now_us)
    pc app add "$sandbox" "$work/img" --name="a$i" --exec=/probe -- write-now /tmp/stamp
    t1=$(now_us)
    pc app start "$sandbox" --app="a$i"
    while [ ! -s "$sroot/a$i/rootfs/tmp/stamp" ]; do :; done
    ts=$(cat "$sroot/a$i/rootfs/tmp/stamp")
    ts=$(( ts / 1000 ))
    echo $(( ts - t0 )) >>"$work/add.total"
    echo $(( t1 - t0 )) >>"$work/add.add"
    echo $(( ts - t1 )) >>"$work/add.start"
    pc app rm "$sandbox" --app="a$i"
done
read -r a_t a_t90 < <(stats "$work/add.total")
read -r a_a a_a90 < <(stats "$work/add.add")
read -r a_s a_s90 < <(stats "$work/add.start")

# ------------------------------------------ 3 and 4. 100 apps: status, memory
say "100 apps: status latency and memory"
for i in $(seq 1 100); do
    pc app add "$sandbox" "$work/img" --name="s$i" --exec=/bin/sleep -- 600
    pc app start "$sandbox" --app="s$i"
done
deadline=$(( $(date +%s) + 30 ))
until [ "$(pc app list "$sandbox" | grep -c ' ready ')" = 100 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "the 100 apps did not all start"
    sleep 0.2
done
: >"$work/status.podctl"
for i in $(seq 1 "$runs"); do
    t0=$(now_us); pc status --json "$sandbox" >/dev/null; t1=$(now_us)
    echo $(( t1 - t0 )) >>"$work/status.podctl"
done
python3 - "$state/pods/run/$sandbox/stage1/rootfs/rkt/podinit/control.sock" "$work/status.proto" <<'EOF'
import json, os, socket, struct, sys, time
path, outf = sys.argv[1], sys.argv[2]
d = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/proc/self/fd/%d/%s" % (d, os.path.basename(path)))
buf = b""
def call(req):
    global buf
    body = json.dumps(req).encode()
    s.sendall(struct.pack(">IB", len(body) + 1, 1) + body)
    while True:
        if len(buf) >= 5:
            (n,) = struct.unpack(">I", buf[:4])
            if len(buf) >= 4 + n:
                frame, buf = buf[4:4 + n], buf[4 + n:]
                return frame
        buf += s.recv(1 << 20)
with open(outf, "w") as f:
    for i in range(220):
        t0 = time.perf_counter_ns()
        r = call({"op": "status"})
        t1 = time.perf_counter_ns()
        if i >= 20:
            f.write("%d\n" % ((t1 - t0) // 1000))
    assert len(json.loads(r[1:])["result"]["apps"]) == 100
EOF
# Memory of podinit with the 100 apps (launcher + PID 1).
pid1=$(cat "$state/pods/run/$sandbox/pid")
launcher=$(ps -o ppid= -p "$pid1" | tr -d ' ')
read -r _ m_p1 _ m_a1 < <(pss "$pid1")
read -r _ m_pl _ m_al < <(pss "$launcher")
pc stop "$sandbox" >/dev/null

# s6 with 100 services.
rm -rf "$work/scan"
for i in $(seq 1 100); do
    mkdir -p "$work/scan/s$i"
    printf '#!/bin/sh\nexec /bin/busybox sleep 600\n' >"$work/scan/s$i/run"
    chmod +x "$work/scan/s$i/run"
done
s6-svscan "$work/scan" >/dev/null 2>&1 &
svscan_pid=$!
deadline=$(( $(date +%s) + 30 ))
until [ "$(for i in $(seq 1 100); do s6-svstat -u "$work/scan/s$i" 2>/dev/null; done | grep -c true)" = 100 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "s6 did not bring the 100 services up"
    sleep 0.2
done
: >"$work/status.s6one"; : >"$work/status.s6all"
for i in $(seq 1 "$runs"); do
    t0=$(now_us); s6-svstat "$work/scan/s1" >/dev/null; t1=$(now_us)
    echo $(( t1 - t0 )) >>"$work/status.s6one"
    t0=$(now_us); for k in $(seq 1 100); do s6-svstat "$work/scan/s$k"; done >/dev/null; t1=$(now_us)
    echo $(( t1 - t0 )) >>"$work/status.s6all"
done
s6_p=0; s6_a=0; n_sup=0
for p in "$svscan_pid" $(pgrep -P "$svscan_pid" -x s6-supervise); do
    read -r _ pp _ aa < <(pss "$p")
    s6_p=$(( s6_p + pp )); s6_a=$(( s6_a + aa ))
    [ "$p" = "$svscan_pid" ] || n_sup=$(( n_sup + 1 ))
done
[ "$n_sup" = 100 ] || die "expected 100 s6-supervise processes, found $n_sup"
read -r q_pc q_pc90 < <(stats "$work/status.podctl")
read -r q_pr q_pr90 < <(stats "$work/status.proto")
read -r q_s1 q_s190 < <(stats "$work/status.s6one")
read -r q_sa q_sa90 < <(stats "$work/status.s6all")
pi_p=$(( m_p1 + m_pl )); pi_a=$(( m_a1 + m_al ))

{
    echo "# podinit supervision benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r))"
    echo
    echo "## Restart latency (exit of one run to the start of the next; $restarts restarts)"
    echo
    echo "| supervisor | median ms | p90 ms | vs s6 |"
    echo "|---|---|---|---|"
    echo "| podinit (--restart=always, --ready=fd:3) | $r_p | $r_p90 | $(ratio "$r_p" "$r_s") |"
    echo "| s6-supervise (notification-fd 3) | $r_s | $r_s90 | 1.00 |"
    echo
    echo "## app add + start into a mutable pod ($runs apps)"
    echo
    echo "| part | median ms | p90 ms |"
    echo "|---|---|---|"
    echo "| podctl app add (image copy, manifest check and rewrite, podinit prepares) | $a_a | $a_a90 |"
    echo "| podctl app start to the app's first act | $a_s | $a_s90 |"
    echo "| total | $a_t | $a_t90 |"
    echo
    echo "## Status of 100 apps"
    echo
    echo "| query | median ms | p90 ms |"
    echo "|---|---|---|"
    echo "| podinit: one status request, kept connection (all 100 apps) | $q_pr | $q_pr90 |"
    echo "| podinit: podctl status --json (process, connect, all 100 apps) | $q_pc | $q_pc90 |"
    echo "| s6: s6-svstat of one service | $q_s1 | $q_s190 |"
    echo "| s6: s6-svstat of all 100 services | $q_sa | $q_sa90 |"
    echo
    echo "podctl status / s6-svstat x100: $(ratio "$q_pc" "$q_sa")"
    echo
    echo "## Memory of the supervisors of 100 sleeping apps (kB)"
    echo
    echo "| supervisor | PSS | anonymous (heap, stacks) | vs s6 (PSS) |"
    echo "|---|---|---|---|"
    echo "| podinit: PID 1 + launcher | $pi_p | $pi_a | $(ratio "$pi_p" "$s6_p") |"
    echo "| s6: s6-svscan + 100 s6-supervise | $s6_p | $s6_a | 1.00 |"
} | tee "$out"
say "results in $out"
