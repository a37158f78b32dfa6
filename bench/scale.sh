#!/usr/bin/env bash
# bench/scale.sh BUILD_DIR -- how start and stop grow with the number of apps
# in one pod, and 500 one-app pods side by side.
#
# 1. Apps per pod.  For each N in BENCH_SCALE_NS (default 50 100 200 400
#    1000): one pod of N apps of one small image from the store (overlays;
#    each app `/probe sleep 3600`), prepared by `podctl run` with
#    PODINIT=/bin/true, then `podinit --net=none UUID` started in the pod
#    directory, with podinit's default isolation and again with
#    --disable-paths (no masked kernel paths: 16 fewer mounts per app).
#    start: from PID 1's start (status startedAt) to the last app's exec
#    (max execAt), as PID 1 records them; stop: `podctl stop` until it
#    returns.  Also: the mounts in PID 1's namespace and in one app's (the
#    app's must not grow with N), and PID 1's open fds.  The growth exponent
#    between N1 and N2 is log(t2/t1)/log(N2/N1): 1 is linear.
# 2. Many pods.  BENCH_SCALE_PODS (default 500) one-app pods started with
#    `podctl run -d`, BENCH_SCALE_PAR (4) at a time; all must be running at
#    once, then all are stopped and gc'd, and the host must have no mount,
#    cgroup or process of them left.  Reported: the times, PID 1's and the
#    launcher's memory (USS, PSS) averaged over the pods.
#
# Environment: BENCH_OUT (default /tmp/podinit-bench/scale.md), BENCH_WORK,
# BENCH_SCALE_NS, BENCH_SCALE_PODS, BENCH_SCALE_PAR, BENCH_TIMEOUT (900).
set -euo pipefail
prog=bench/scale.sh
# shellcheck source=bench/lib.sh
source "$(dirname -- "$0")/lib.sh"
bench_start "$@"
need_tools python3 awk
check_missing
out=${BENCH_OUT:-/tmp/podinit-bench/scale.md}
read -r -a ns <<<"${BENCH_SCALE_NS:-50 100 200 400 1000}"
npods=${BENCH_SCALE_PODS:-500}
par=${BENCH_SCALE_PAR:-4}
for n in "${ns[@]}"; do whole_number BENCH_SCALE_NS "$n" 1; done
whole_number BENCH_SCALE_PODS "$npods"
whole_number BENCH_SCALE_PAR "$par" 1
private_mount_ns BENCH_SCALE_PRIVATE
make_work "${BENCH_WORK:-/tmp/podinit-bench/scale-work}" .bench-scale BENCH_WORK
copy_binaries
make_image "$work/img" --name example.com/scale
st=$work/state
state_dirs+=("$st")
install_cleanup
start_watchdog "${BENCH_TIMEOUT:-900}"
pc() { "$podctl" --dir="$st" "$@"; }
pc image import "$work/img" --name=scale >>"$log" 2>&1 || fail_run "podctl image import" $?

# status_json UUID: the pod's status, or nothing while PID 1 is not answering
status_json() { pc status --json "$1" 2>/dev/null || true; }

# times JSON: "START_MS READY" from a status: last execAt - startedAt, and how many apps are ready
times() {
    python3 -c '
import datetime, json, sys
def us(s):
    a, b = s.rstrip("Z").split(".")
    d = datetime.datetime.fromisoformat(a).replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + int((b + "000000")[:6])
try:
    d = json.loads(sys.stdin.read())
except ValueError:
    print("- 0"); sys.exit()
ready = [a for a in d.get("apps", []) if a.get("state") == "ready"]
ex = [us(a["execAt"]) for a in d.get("apps", []) if a.get("execAt")]
print("%d %d" % ((max(ex) - us(d["startedAt"])) // 1000 if ex and d.get("startedAt") else -1, len(ready)))'
}

# one_pod N VARIANT [PODINIT FLAGS...]: section 1's row N.VARIANT in res[]
declare -A res
one_pod() {
    local n=$1 v=$2 args=() i u dir t0 t1 json start ready deadline pid app
    shift 2
    for ((i = 1; i <= n; i++)); do
        args+=(scale --name="a$i" --exec=/probe -- sleep 3600)
        if [ "$i" -lt "$n" ]; then args+=(---); fi
    done
    pc gc >/dev/null 2>&1
    PODINIT=/bin/true pc run --net=none "${args[@]}" >>"$log" 2>&1 || fail_run "podctl run ($n apps, prepare)" $?
    u=$(only_pod "$st")
    dir=$st/pods/run/$u
    sync
    (cd "$dir" && exec "$podinit" --net=none "$@" "$u" >>"$log" 2>&1) &
    bg_pids+=($!)
    deadline=$(( $(date +%s) + 600 ))
    while :; do
        json=$(status_json "$u")
        read -r start ready < <(times <<<"$json")
        [ "$ready" -ge "$n" ] && break
        [ "$(date +%s)" -lt "$deadline" ] || die "$n apps ($v): only $ready running after 600 s"
        sleep 0.2
    done
    pid=$(cat "$dir/pid")
    app=$(pgrep -o -P "$pid")     # no pipe to head: pgrep could die of SIGPIPE with 1,000 children
    res[$n.$v.start]=$start
    res[$n.$v.mnt_pid1]=$(wc -l <"/proc/$pid/mountinfo")
    res[$n.$v.mnt_app]=$(wc -l <"/proc/$app/mountinfo")
    res[$n.$v.fds]=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
    t0=$(now_us)
    pc stop "$u" >>"$log" 2>&1 || fail_run "podctl stop ($n apps, $v)" $?
    t1=$(now_us)
    res[$n.$v.stop]=$(( (t1 - t0) / 1000 ))
    wait "${bg_pids[-1]}" 2>/dev/null || true
    unset 'bg_pids[-1]'
    pc gc >>"$log" 2>&1
    say "$n apps ($v): start ${res[$n.$v.start]} ms, stop ${res[$n.$v.stop]} ms, mounts in an app ${res[$n.$v.mnt_app]}"
}

for n in "${ns[@]}"; do
    one_pod "$n" default
    one_pod "$n" nopaths --disable-paths
done

# ------------------------------------------------------- 2. many pods
declare -A many
if [ "$npods" -gt 0 ]; then
    say "$npods one-app pods, $par started at a time"
    t0=$(now_us)
    seq 1 "$npods" | xargs -P "$par" -I{} "$podctl" --dir="$st" run -d --net=none scale --name=p \
        --exec=/probe -- sleep 3600 >>"$log" 2>&1 || fail_run "podctl run -d ($npods pods)" $?
    t1=$(now_us)
    running=0
    uuids=$(find "$st/pods/run" -mindepth 1 -maxdepth 1 -printf '%f\n')
    uss=0 pss_sum=0 luss=0
    for d in "$st"/pods/run/*; do
        [ -e "$d/pid" ] || continue
        p=$(cat "$d/pid")
        [ -e "/proc/$p" ] && running=$((running + 1))
        read -r _ ps us _ < <(pss "$p")
        uss=$((uss + us)) pss_sum=$((pss_sum + ps))
        l=$(ps -o ppid= -p "$p" | tr -d ' ')
        read -r _ _ us _ < <(pss "$l")
        luss=$((luss + us))
    done
    [ "$running" -eq "$npods" ] || die "$running of $npods pods running"
    many[start]=$(( (t1 - t0) / 1000 ))
    many[uss]=$((uss / npods)) many[pss]=$((pss_sum / npods)) many[luss]=$((luss / npods))
    t0=$(now_us)
    find "$st/pods/run" -mindepth 1 -maxdepth 1 -printf '%f\n' |
        xargs -P "$par" -I{} "$podctl" --dir="$st" stop {} >>"$log" 2>&1 || fail_run "podctl stop ($npods pods)" $?
    t1=$(now_us)
    many[stop]=$(( (t1 - t0) / 1000 ))
    t0=$(now_us)
    pc gc >>"$log" 2>&1 || fail_run "podctl gc ($npods pods)" $?
    t1=$(now_us)
    many[gc]=$(( (t1 - t0) / 1000 ))
    left=$(find "$st/pods" -mindepth 2 -maxdepth 2 | wc -l)
    [ "$left" -eq 0 ] || die "gc left $left pod directories"
    mounts1=$(grep -c "$st" /proc/self/mountinfo || true)
    [ "$mounts1" -eq 0 ] || die "gc left $mounts1 mounts under $st"
    cg1=0
    for u in $uuids; do     # a pod cgroup's name has the UUID with \x2d for each '-'; its last part is enough
        cg1=$((cg1 + $(find /sys/fs/cgroup -maxdepth 3 -type d -name "machine-rkt*${u##*-}.scope" | wc -l)))
    done
    [ "$cg1" -eq 0 ] || die "gc left $cg1 pod cgroups"
    say "$npods pods: start ${many[start]} ms, stop ${many[stop]} ms, gc ${many[gc]} ms"
fi

# ----------------------------------------------------------------- report
expo() { awk -v a="$1" -v b="$2" -v n1="$3" -v n2="$4" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", log(b / a) / log(n2 / n1); else print "-" }'; }
{
    echo "# podinit: scale"
    echo
    echo "$(machine_line)"
    echo
    echo "## 1. N apps in one pod (PID 1 start -> last app exec; podctl stop)"
    echo
    echo "| N | start (ms) | start, --disable-paths (ms) | ratio | stop (ms) | stop, --disable-paths (ms) | mounts: PID 1 / one app | PID 1 fds |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    for n in "${ns[@]}"; do
        echo "| $n | ${res[$n.default.start]} | ${res[$n.nopaths.start]} | $(ratio "${res[$n.default.start]}" "${res[$n.nopaths.start]}") | ${res[$n.default.stop]} | ${res[$n.nopaths.stop]} | ${res[$n.default.mnt_pid1]} / ${res[$n.default.mnt_app]} | ${res[$n.default.fds]} |"
    done
    echo
    echo "Growth exponents (1 = linear; goal <= 1.05 for start from the first N to the last):"
    echo
    echo "| from | to | start | start, --disable-paths | stop |"
    echo "|---:|---:|---:|---:|---:|"
    prev=""
    for n in "${ns[@]}"; do
        if [ -n "$prev" ]; then
            echo "| $prev | $n | $(expo "${res[$prev.default.start]}" "${res[$n.default.start]}" "$prev" "$n") | $(expo "${res[$prev.nopaths.start]}" "${res[$n.nopaths.start]}" "$prev" "$n") | $(expo "${res[$prev.default.stop]}" "${res[$n.default.stop]}" "$prev" "$n") |"
        fi
        prev=$n
    done
    f=${ns[0]} l=${ns[-1]}
    echo "| **$f** | **$l** | **$(expo "${res[$f.default.start]}" "${res[$l.default.start]}" "$f" "$l")** | $(expo "${res[$f.nopaths.start]}" "${res[$l.nopaths.start]}" "$f" "$l") | $(expo "${res[$f.default.stop]}" "${res[$l.default.stop]}" "$f" "$l") |"
    if [ "$npods" -gt 0 ]; then
        echo
        echo "## 2. $npods one-app pods ($par started at a time)"
        echo
        echo "| start all (ms) | per pod (ms) | stop all (ms) | gc (ms) | PID 1 USS / PSS (kB, mean) | launcher USS (kB, mean) |"
        echo "|---:|---:|---:|---:|---:|---:|"
        echo "| ${many[start]} | $((many[start] / npods)) | ${many[stop]} | ${many[gc]} | ${many[uss]} / ${many[pss]} | ${many[luss]} |"
        echo
        echo "All $npods were running at once; after gc no mount under the state directory and no cgroup of theirs was left."
    fi
} >"$out"
cat "$out"
