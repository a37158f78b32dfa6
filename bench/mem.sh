#!/usr/bin/env bash
# bench/mem.sh BUILD_DIR -- idle memory of a pod's supervisor (issue 17):
# podinit's PID 1 and launcher with 1 and with 101 sleeping apps, next to
# tini and conmon (podman's monitor; crun has exited once the container runs),
# each supervising `/probe sleep 3600`; and the kernel memory (slab) that a
# pod or a container costs.
#
# Per process, from /proc/PID/smaps_rollup: Private_Dirty (what only this
# process holds and the kernel cannot drop: heap, stack, written data), PSS,
# and USS (Private_Clean + Private_Dirty; the clean part is file pages of the
# binary that no other process has touched).  The pod's apps are all "ready"
# (podctl status) and a second has passed, so that PID 1 has gone idle
# (init/core/events.c gives freed heap pages back then).  The per-app figure
# is (101-app pod - 1-app pod) / 100.  Slab: /proc/meminfo's Slab and
# SUnreclaim before and after starting BENCH_SLAB_PODS (20) one-app pods,
# then as many conmon containers, over their number.  It is machine-wide, so
# other activity on the machine blurs it.
#
# bench/run.sh's section 2 has the same podinit/tini/catatonit/conmon PSS
# table for 1 and 50 apps, as part of the full run; this script is the
# memory work's quick loop (about 30 s).
#
# Environment: BENCH_OUT (default /tmp/podinit-bench/mem.md), BENCH_WORK,
# BENCH_APPS (101), BENCH_SLAB_PODS (20), BENCH_TIMEOUT (290), BENCH_KEEP=1.
set -euo pipefail
export LC_ALL=C
prog=bench/mem.sh
# shellcheck source=bench/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_start "$@"
need_tools tini conmon crun unshare awk ps timeout
check_missing
[ -r /proc/self/smaps_rollup ] || die "/proc/PID/smaps_rollup is missing (Linux >= 4.14 needed)"

out=${BENCH_OUT:-/tmp/podinit-bench/mem.md}
napps=${BENCH_APPS:-101}
nslab=${BENCH_SLAB_PODS:-20}
whole_number BENCH_APPS "$napps" 2
whole_number BENCH_SLAB_PODS "$nslab" 1
whole_number BENCH_TIMEOUT "${BENCH_TIMEOUT:-290}" 1

private_mount_ns PODINIT_BENCH_MEM_IN_NS
exec </dev/null     # no console for the pods

make_work "${BENCH_WORK:-/tmp/podinit-bench/mem-work}" .podinit-bench-mem BENCH_WORK
copy_binaries
crun_root=$work/crun-state
cm_dir=$work/conmon
st=$work/state
state_dirs=("$st")
install_cleanup
start_watchdog "${BENCH_TIMEOUT:-290}"

say "building the image and the OCI bundle in $work"
img=$work/img
make_image "$img" --name example.com/bench
make_bundle "$img/rootfs"
crun_config "$bundle/config.json" '"/probe", "sleep", "3600"'
crun_setup cgroupfs

# ---------------------------------------------------------------- helpers
settle=1

# smaps PID: "DIRTY PSS USS" in kB (lib.sh's pss has RSS PSS USS ANON)
smaps() {
    awk '/^Pss:/ { p = $2 } /^Private_Dirty:/ { d = $2 } /^Private_(Clean|Dirty):/ { u += $2 }
         END { print d + 0, p + 0, u + 0 }' "/proc/$1/smaps_rollup"
}

# pod_args N: podctl run's arguments for N apps sleeping (sets args)
pod_args() {
    local i
    args=()
    for ((i = 1; i <= $1; i++)); do
        args+=("$img" --name="app$i" --exec=/probe -- sleep 3600)
        if [ "$i" -lt "$1" ]; then args+=(---); fi
    done
}

# pod_ready UUID N: wait (20 s at most) until the pod's N apps are ready
pod_ready() {
    local i n
    for ((i = 0; i < 200; i++)); do
        n=$("$podctl" --dir="$st" status --json "$1" 2>/dev/null | grep -c '"state": "ready"') || true
        [ "$n" -ge "$2" ] && return 0
        sleep 0.1
    done
    say "pod $1: $n of $2 apps ready after 20 s"
    exit 1
}

# mem_pod N: mem=(PID 1: dirty pss uss, launcher: dirty pss uss)
mem_pod() {
    local n=$1 u pid1 launcher kids
    pod_args "$n"
    u=$("$podctl" --dir="$st" run -d --net=none "${args[@]}" 2>>"$log") || fail_run "podctl run -d ($n apps)" $?
    pod_ready "$u" "$n"
    pid1=$(cat "$st/pods/run/$u/pid")
    launcher=$(awk '{ print $4 }' "/proc/$pid1/stat")
    sleep "$settle"
    kids=$(ps -o pid= --ppid "$pid1" | wc -l)
    [ "$kids" -eq "$n" ] || { say "pod $u: $kids apps running, expected $n"; exit 1; }
    grep -q podinit "/proc/$launcher/comm" || { say "pod $u: launcher $launcher is not podinit"; exit 1; }
    read -r -a mem <<<"$(smaps "$pid1") $(smaps "$launcher")"
    "$podctl" --dir="$st" stop "$u" >/dev/null 2>>"$log" || fail_run "podctl stop" $?
    "$podctl" --dir="$st" gc >/dev/null
}

# mem_tini: tini -s supervising the probe; mem=(dirty pss uss)
mem_tini() { mem_of_init smaps tini -s -- "$probe" sleep 3600; }

# mem_conmon: conmon watching one crun container, as podman runs it; mem=(dirty pss uss)
mem_conmon() { mem_of_conmon smaps; }

slab() { awk '/^Slab:/ { s = $2 } /^SUnreclaim:/ { u = $2 } END { print s, u }' /proc/meminfo; }

# slab_pods: slab_d=(Slab SUnreclaim) in kB per one-app pod
slab_pods() {
    local i u uuids=() b a
    pod_args 1
    sleep 3             # what the runs before freed, the kernel frees late
    read -r -a b <<<"$(slab)"
    for ((i = 0; i < nslab; i++)); do
        u=$("$podctl" --dir="$st" run -d --net=none "${args[@]}" 2>>"$log") || fail_run "podctl run -d (slab)" $?
        uuids+=("$u")
    done
    for u in "${uuids[@]}"; do pod_ready "$u" 1; done
    sleep "$settle"
    read -r -a a <<<"$(slab)"
    slab_d=($(( (a[0] - b[0]) / nslab )) $(( (a[1] - b[1]) / nslab )))
    for u in "${uuids[@]}"; do "$podctl" --dir="$st" stop "$u" >/dev/null 2>>"$log" || fail_run "podctl stop" $?; done
    "$podctl" --dir="$st" gc >/dev/null
}

# slab_conmon: slab_d=(Slab SUnreclaim) in kB per conmon + crun container
slab_conmon() {
    local i ids=() pids=() b a
    sleep 3
    read -r -a b <<<"$(slab)"
    for ((i = 0; i < nslab; i++)); do
        conmon_start "bench-slab-$$-$i" "$cm_dir/bench-slab-$$-$i.log"
        "${crun_g[@]}" start "bench-slab-$$-$i" >>"$log" 2>&1 || fail_run "crun start (slab)" $?
        ids+=("bench-slab-$$-$i")
        pids+=("$cm_pid")
    done
    sleep "$settle"
    read -r -a a <<<"$(slab)"
    slab_d=($(( (a[0] - b[0]) / nslab )) $(( (a[1] - b[1]) / nslab )))
    for ((i = 0; i < nslab; i++)); do conmon_end "${ids[i]}" "${pids[i]}"; done
}

# ---------------------------------------------------------------- measure
say "idle memory: podinit with 1 and $napps apps, tini, conmon; slab of $nslab pods and containers"
mem_pod 1
read -r p1_d p1_p p1_u l1_d l1_p l1_u <<<"${mem[*]}"
mem_pod "$napps"
read -r pn_d pn_p pn_u ln_d ln_p ln_u <<<"${mem[*]}"
mem_tini
read -r t_d t_p t_u <<<"${mem[*]}"
mem_conmon
read -r c_d c_p c_u <<<"${mem[*]}"
# Containers first: a stopped pod's namespaces and mounts are freed by the
# kernel some time later, which would show as less slab for what follows.
slab_conmon
read -r sc_all sc_unr <<<"${slab_d[*]}"
slab_pods
read -r sp_all sp_unr <<<"${slab_d[*]}"

# ----------------------------------------------------------------- report
per() { awk -v a="$1" -v b="$2" -v n="$((napps - 1))" 'BEGIN { printf "%.1f", (b - a) / n }'; }
{
    echo "# Idle memory per pod ($(machine_line))"
    echo
    echo "kB, from /proc/PID/smaps_rollup; every app is \`/probe sleep 3600\`, ready and idle."
    echo
    echo "| supervisor | Private_Dirty | PSS | USS |"
    echo "|---|---:|---:|---:|"
    echo "| podinit, 1 app: PID 1 | $p1_d | $p1_p | $p1_u |"
    echo "| podinit, 1 app: launcher | $l1_d | $l1_p | $l1_u |"
    echo "| **podinit, 1 app: PID 1 + launcher** | $((p1_d + l1_d)) | $((p1_p + l1_p)) | $((p1_u + l1_u)) |"
    echo "| podinit, $napps apps: PID 1 | $pn_d | $pn_p | $pn_u |"
    echo "| podinit, $napps apps: launcher | $ln_d | $ln_p | $ln_u |"
    echo "| **podinit, $napps apps: PID 1 + launcher** | $((pn_d + ln_d)) | $((pn_p + ln_p)) | $((pn_u + ln_u)) |"
    echo "| podinit, per extra app: PID 1 | $(per "$p1_d" "$pn_d") | $(per "$p1_p" "$pn_p") | $(per "$p1_u" "$pn_u") |"
    echo "| podinit, per extra app: PID 1 + launcher | $(per $((p1_d + l1_d)) $((pn_d + ln_d))) |" \
        "$(per $((p1_p + l1_p)) $((pn_p + ln_p))) | $(per $((p1_u + l1_u)) $((pn_u + ln_u))) |"
    echo "| tini -s, 1 child | $t_d | $t_p | $t_u |"
    echo "| conmon, 1 crun container | $c_d | $c_p | $c_u |"
    echo
    echo "Ratios, podinit (PID 1 + launcher, 1 app) / conmon: Private_Dirty $(ratio $((p1_d + l1_d)) "$c_d"), USS $(ratio $((p1_u + l1_u)) "$c_u") (goal <= 1: at most conmon+crun's); per extra app $(per $((p1_d + l1_d)) $((pn_d + ln_d))) kB Private_Dirty (goal <= 8)."
    echo
    echo "Kernel slab per pod or container (kB; /proc/meminfo deltas over $nslab, machine-wide):"
    echo
    echo "| | Slab | SUnreclaim |"
    echo "|---|---:|---:|"
    echo "| podinit pod, 1 app (--net=none) | $sp_all | $sp_unr |"
    echo "| conmon + crun container | $sc_all | $sc_unr |"
} | tee "$out"
say "results in $out"
