#!/usr/bin/env bash
# bench/stage1.sh -- the rkt stage1 entrypoints, driven as rkt's stage0
# drives them (tests/lib/stage0.py), next to the floor.
#
# usage: bench/stage1.sh BUILD_DIR     (as root; part of `make bench`)
#
# 1. The image: podinit-stage1.aci's size, packed and unpacked.
# 2. enter: `enter --pid=P --appname=a -- /bin/true` (rkt enter) next to
#    util-linux's nsenter into the same namespaces + busybox chroot (the
#    floor: no environment file, no fork-and-wait) and `podctl exec`
#    (podinit's confined exec over the control socket), with hyperfine.
# 3. A pod's life through the run entrypoint: a prepared one-app pod
#    (`/probe exit 0`), `run-prepared` until it returns, overlay mode, next
#    to `podctl run` of the same image (podinit's own path, which also
#    unpacks the image) and the simulator's fixed cost (python start-up).
# 4. app/start and app/stop of a sleeping app in a mutable pod, each
#    entrypoint called directly with stage0's 3-variable environment, until
#    it returns (start: the app has exec'd; stop: its status is on disk).
#
# Environment: BENCH_OUT (default /tmp/podinit-bench/stage1.md), BENCH_WORK
# (default /tmp/podinit-bench/stage1-work), BENCH_RUNS (20).
set -euo pipefail
export LC_ALL=C

prog=bench/stage1.sh
# shellcheck source=bench/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_start "$@"
need_built podinit-stage1.aci
need_tools hyperfine nsenter python3 tar
check_missing

runs=${BENCH_RUNS:-20}
out=${BENCH_OUT:-/tmp/podinit-bench/stage1.md}
whole_number BENCH_RUNS "$runs" 2
make_work "${BENCH_WORK:-/tmp/podinit-bench/stage1-work}" .podinit-bench BENCH_WORK
exec </dev/null

copy_binaries podinit-stage1.aci
s1=$work/bin/podinit-stage1.aci
s0() { python3 "$src/tests/lib/stage0.py" --dir="$work/rkt" "$@"; }
pc() { "$podctl" --dir="$work/podctl" "$@"; }
state_dirs=("$work/podctl")
pod_pid=

# The rkt pods (the simulator's), after cleanup has stopped the podctl ones.
cleanup_extra() {
    local p
    [ -n "$pod_pid" ] && kill -KILL "$pod_pid" 2>/dev/null
    for p in "$work"/rkt/pods/run/*/pid; do
        [ -e "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
    done
    sleep 0.5
    [ -d "$work/rkt" ] && timeout 60 python3 "$src/tests/lib/stage0.py" --dir="$work/rkt" gc --grace-period=0 >/dev/null 2>&1
    grep -o " ${work}[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
}
install_cleanup

make_image "$work/img"
make_aci "$work/img" "$work/img.aci" --gzip

# --------------------------------------------------------------- 1. image
packed=$(stat -c %s "$s1")
mkdir -p "$work/s1x"
tar -xzf "$s1" -C "$work/s1x"
unpacked=$(du -sb "$work/s1x" | cut -f1)
files=$(find "$work/s1x/rootfs" | wc -l)

# --------------------------------------------------------------- 2. enter
say "enter: hyperfine, $runs runs each"
s0 run --stage1="$s1" --net=none --uuid-file-save="$work/uuid" --image="$work/img.aci" --app=a \
    --exec=/probe -- sleep 600 >"$work/pod.out" 2>&1 &
pod_pid=$!
wait_file "$work/uuid" 10 || die "the pod did not start"
uuid=$(cat "$work/uuid")
pod=$work/rkt/pods/run/$uuid
s0 status --wait-ready=10s "$uuid" >/dev/null || die "the pod did not become ready"
pid=$(cat "$pod/pid")
enter=$work/rkt/cas/tree/$(cat "$pod/stage1TreeStoreID")/rootfs/enter
[ -x "$enter" ] || die "no enter entrypoint at $enter"
(cd "$pod" && "$enter" --pid="$pid" --appname=a -- /bin/true) || die "enter does not work"
hyperfine --style=none --warmup 3 --runs "$runs" --export-json "$work/enter.json" \
    -n enter "cd $pod && $enter --pid=$pid --appname=a -- /bin/true" \
    -n nsenter "nsenter -t $pid -m -u -i -n -p -r /opt/stage2/a/rootfs/bin/busybox chroot /opt/stage2/a/rootfs /bin/true" \
    >/dev/null
jq_mean() { python3 -c 'import json,sys; r={x["command"]:x for x in json.load(open(sys.argv[1]))["results"]}; print("%.2f %.2f" % (r[sys.argv[2]]["median"]*1000, r[sys.argv[2]]["stddev"]*1000))' "$@"; }
read -r e_med e_sd < <(jq_mean "$work/enter.json" enter)
read -r n_med n_sd < <(jq_mean "$work/enter.json" nsenter)
kill -TERM "$pod_pid"
wait "$pod_pid" || true
pod_pid=
# podctl exec, podinit's confined variant, on a podctl pod of the same image.
puuid=$(pc run -d --net=none "$work/img" --name=a --exec=/probe -- sleep 600)
hyperfine --style=none --warmup 3 --runs "$runs" --export-json "$work/exec.json" \
    -n exec "$podctl --dir=$work/podctl exec --app=a $puuid -- /bin/true" >/dev/null
read -r x_med x_sd < <(jq_mean "$work/exec.json" exec)
pc stop "$puuid" >/dev/null

# -------------------------------------------------------- 3. a pod's life
say "pod life: $runs prepared pods, run-prepared each"
: >"$work/life.run"
: >"$work/life.podctl"
: >"$work/life.python"
for _ in $(seq "$runs"); do
    u=$(s0 prepare --stage1="$s1" --image="$work/img.aci" --app=a --exec=/probe -- exit 0)
    t0=$(now_us)
    s0 run-prepared --net=none "$u" >/dev/null 2>&1 || die "run-prepared $u failed"
    echo $(( $(now_us) - t0 )) >>"$work/life.run"
    t0=$(now_us)
    pc run --net=none "$work/img" --name=a --exec=/probe -- exit 0 >/dev/null 2>&1 || die "podctl run failed"
    echo $(( $(now_us) - t0 )) >>"$work/life.podctl"
    t0=$(now_us)
    python3 -c 'import os, fcntl, json, subprocess, argparse' >/dev/null
    echo $(( $(now_us) - t0 )) >>"$work/life.python"
done
read -r l_med l_p90 < <(stats "$work/life.run")
read -r lp_med lp_p90 < <(stats "$work/life.podctl")
read -r py_med _ < <(stats "$work/life.python")
s0 gc --grace-period=0 >/dev/null 2>&1 || true
pc gc >/dev/null 2>&1 || true

# ------------------------------------------------ 4. app/start, app/stop
say "app/start and app/stop: $runs rounds"
s0 app-sandbox --stage1="$s1" --net=none --uuid-file-save="$work/uuid2" >"$work/sbx.out" 2>&1 &
pod_pid=$!
wait_file "$work/uuid2" 10 || die "the sandbox did not start"
uuid=$(cat "$work/uuid2")
pod=$work/rkt/pods/run/$uuid
s0 status --wait-ready=10s "$uuid" >/dev/null || die "the sandbox did not become ready"
s0 app-add "$uuid" "$work/img.aci" --name=s --exec=/probe -- sleep 600 >/dev/null || die "app add failed"
pid=$(cat "$pod/pid")
epenv=(env -i "RKT_STAGE1_ENTERCMD=$pod/stage1/rootfs/enter" "RKT_STAGE1_ENTERPID=$pid" "PATH=$PATH")
: >"$work/start"
: >"$work/stop"
for _ in $(seq "$runs"); do
    t0=$(now_us)
    (cd "$pod" && "${epenv[@]}" stage1/rootfs/app_start --debug=false --app=s) || die "app/start failed"
    echo $(( $(now_us) - t0 )) >>"$work/start"
    t0=$(now_us)
    (cd "$pod" && "${epenv[@]}" stage1/rootfs/app_stop --debug=false --app=s) || die "app/stop failed"
    echo $(( $(now_us) - t0 )) >>"$work/stop"
done
read -r st_med st_p90 < <(stats "$work/start")
read -r sp_med sp_p90 < <(stats "$work/stop")
kill -TERM "$pod_pid"
wait "$pod_pid" || true
pod_pid=

{
    echo "# podinit stage1 benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $runs runs)"
    echo
    echo "| measure | podinit | floor / peer | ratio |"
    echo "|---|---|---|---|"
    echo "| stage1 image | $((packed / 1024)) KiB packed, $((unpacked / 1024)) KiB unpacked, $files entries | – | – |"
    echo "| rkt enter (median ± sd) | $e_med ± $e_sd ms | nsenter + chroot: $n_med ± $n_sd ms | $(ratio "$e_med" "$n_med") |"
    echo "| podctl exec, confined (median ± sd) | $x_med ± $x_sd ms | rkt enter: $e_med ms | $(ratio "$x_med" "$e_med") |"
    echo "| one-app pod, run-prepared to exit (median, p90) | $l_med, $l_p90 ms (incl. ~$py_med ms python start-up) | podctl run: $lp_med, $lp_p90 ms | $(ratio "$l_med" "$lp_med") |"
    echo "| app/start to exec'd (median, p90) | $st_med, $st_p90 ms | – | – |"
    echo "| app/stop to status on disk (median, p90) | $sp_med, $sp_p90 ms | – | – |"
} | tee "$out"
