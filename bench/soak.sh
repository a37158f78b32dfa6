#!/usr/bin/env bash
# bench/soak.sh BUILD_DIR -- hours of churn, compressed: PID 1 and the host
# must stay flat and no logged line may be lost.  Not part of `make bench`
# (it runs for BENCH_SOAK_SECONDS, default 1800).
#
# One mutable pod ("churn") where, round after round, an app is added,
# started, attached to, exec'd into, stopped, restarted, killed (SIGKILL of
# its process), and removed; its long-lived app "counter" prints a numbered
# line every 20 ms to a log that rotates every 64 KiB.  Beside it,
# BENCH_SOAK_PODS (default 50) one-app pods, each printing a numbered line
# every 100 ms; every round one of them is stopped, gc'd and replaced.
#
# Sampled every BENCH_SOAK_SAMPLE seconds (default 60): the churn pod's
# PID 1 open fds, RSS and Private_Dirty, the host's mount count, and the
# cgroup directories of the pods this run started.  At the end: every app's
# log holds each of its numbered lines exactly once, in order, and the last
# sample is within bounds of the one a third of the way in (fds equal, RSS
# within 10 %, mounts and cgroups equal).  Writes $BENCH_OUT (default
# /tmp/podinit-bench/soak.md).
set -euo pipefail
prog=bench/soak.sh
# shellcheck source=bench/lib.sh
source "$(dirname -- "$0")/lib.sh"
bench_start "$@"
need_tools python3 timeout
check_missing
out=${BENCH_OUT:-/tmp/podinit-bench/soak.md}
secs=${BENCH_SOAK_SECONDS:-1800}
npods=${BENCH_SOAK_PODS:-50}
every=${BENCH_SOAK_SAMPLE:-60}
whole_number BENCH_SOAK_SECONDS "$secs" 60
whole_number BENCH_SOAK_PODS "$npods"
whole_number BENCH_SOAK_SAMPLE "$every" 5
private_mount_ns BENCH_SOAK_PRIVATE
make_work "${BENCH_WORK:-/tmp/podinit-bench/soak-work}" .bench-soak BENCH_WORK
copy_binaries
make_image "$work/img" --name example.com/soak
st=$work/state
state_dirs+=("$st")
install_cleanup
start_watchdog $((secs + 600))
pc() { "$podctl" --dir="$st" "$@"; }
pc image import "$work/img" --name=soak >>"$log" 2>&1 || fail_run "podctl image import" $?

# counter APP PERIOD: the command of an app printing "APP N" for N = 0, 1, ... every PERIOD seconds
counter() { echo "i=0; while :; do echo \"$1 \$i\"; i=\$((i + 1)); sleep $2; done"; }

say "starting the churn pod and $npods pods"
churn=$(pc app sandbox -d --net=none) || fail_run "podctl app sandbox" $?
pc app add "$churn" soak --name=counter --log-max-size=64Ki --log-max-files=1000 \
    --exec=/bin/sh -- -c "$(counter counter 0.02)" >>"$log" 2>&1 || fail_run "app add counter" $?
pc app start "$churn" --app=counter >>"$log" 2>&1 || fail_run "app start counter" $?
churn_pid1=$(cat "$st/pods/run/$churn/pid")

declare -a pods names
uuids=$work/uuids       # every pod this run started: its cgroups are the ones counted
echo "$churn" >"$uuids"
start_pod() {       # start_pod SLOT: a one-app pod in pods[SLOT], its app named names[SLOT]
    local name=p$1-$RANDOM
    pods[$1]=$(pc run -d --net=none soak --name="$name" --exec=/bin/sh -- -c "$(counter "$name" 0.1)") ||
        fail_run "podctl run -d ($name)" $?
    names[$1]=$name
    echo "${pods[$1]}" >>"$uuids"
}

# our_cgroups: the cgroup directories (every hierarchy, apps included) of the pods this run started
our_cgroups() {
    local u n=0
    while read -r u; do     # a pod cgroup's name has the UUID with \x2d for each '-'; its last part is enough
        n=$((n + $(find /sys/fs/cgroup -maxdepth 3 -type d -name "machine-rkt*${u##*-}.scope" -exec find {} -type d \; 2>/dev/null | wc -l)))
    done <"$uuids"
    echo "$n"
}
for ((i = 0; i < npods; i++)); do start_pod "$i"; done

# logs_complete UUID APP: the app's log holds "APP 0" .. "APP N" once each, in order; prints N+1
logs_complete() {
    pc logs --app="$2" "$1" 2>>"$log" | python3 -c '
import sys
name, want = sys.argv[1], 0
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 2 or parts[0] != name:
        continue
    if int(parts[1]) != want:
        sys.exit("%s: line %d where %d was due" % (name, int(parts[1]), want))
    want += 1
print(want)' "$2"
}

samples=$work/samples.txt
sample() {      # sample T: "T FDS RSS_KB DIRTY_KB MOUNTS CGROUPS"
    local fds rss dirty
    fds=$(find "/proc/$churn_pid1/fd" -mindepth 1 | wc -l)
    rss=$(awk '/^Rss:/ { print $2 }' "/proc/$churn_pid1/smaps_rollup")
    dirty=$(awk '/^Private_Dirty:/ { print $2 }' "/proc/$churn_pid1/smaps_rollup")
    echo "$1 $fds $rss $dirty $(wc -l </proc/self/mountinfo) $(our_cgroups)" >>"$samples"
}

say "churning for $secs s (a sample every $every s)"
t0=$(date +%s) next=$t0 round=0 ops=0 checked=0
while [ $(( $(date +%s) - t0 )) -lt "$secs" ]; do
    round=$((round + 1))
    a=c$((round % 7))
    # The churn pod: add, start, attach, exec, stop, start again, kill, rm.
    pc app add "$churn" soak --name="$a" --stdout=stream --stderr=stream \
        --exec=/bin/sh -- -c 'echo started; exec sleep 3600' >>"$log" 2>&1 || fail_run "app add $a" $?
    pc app start "$churn" --app="$a" >>"$log" 2>&1 || fail_run "app start $a" $?
    timeout 2 "$podctl" --dir="$st" attach --app="$a" --no-stdin --replay=64 "$churn" </dev/null >>"$log" 2>&1 || true
    pc exec --app="$a" "$churn" -- /bin/echo exec-ok >>"$log" 2>&1 || fail_run "exec in $a" $?
    pc app stop "$churn" --app="$a" >>"$log" 2>&1 || fail_run "app stop $a" $?
    pc app start "$churn" --app="$a" >>"$log" 2>&1 || fail_run "app start again $a" $?
    sleep 0.2
    p=$(pc app status "$churn" --app="$a" --json 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin).get("pid", 0))' || echo 0)
    if [ "$p" -gt 0 ]; then
        for c in $(pgrep -P "$churn_pid1"); do
            [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$c/status" 2>/dev/null)" = "$p" ] && kill -KILL "$c"
        done
    fi
    pc app stop "$churn" --app="$a" >>"$log" 2>&1 || true
    pc app rm "$churn" --app="$a" >>"$log" 2>&1 || fail_run "app rm $a" $?
    # One of the many pods: its log must be complete; then it goes and another comes.
    slot=$((round % (npods > 0 ? npods : 1)))
    if [ "$npods" -gt 0 ]; then
        pc stop "${pods[$slot]}" >>"$log" 2>&1 || fail_run "podctl stop ${pods[$slot]}" $?
        n=$(logs_complete "${pods[$slot]}" "${names[$slot]}") || fail_run "the log of ${names[$slot]} has a gap" 1
        checked=$((checked + n))
        pc gc >>"$log" 2>&1
        start_pod "$slot"
    fi
    ops=$((ops + 9))
    if [ "$(date +%s)" -ge "$next" ]; then
        sample $(( $(date +%s) - t0 ))
        next=$((next + every))
    fi
done
sample $(( $(date +%s) - t0 ))

say "checking the logs"
n=$(logs_complete "$churn" counter) || fail_run "the counter's log has a gap" 1
checked=$((checked + n))
rotations=$(pc status --json "$churn" | python3 -c '
import json, sys
print(next(a["log"]["rotations"] for a in json.load(sys.stdin)["apps"] if a["name"] == "counter"))')
for ((i = 0; i < npods; i++)); do
    pc stop "${pods[$i]}" >>"$log" 2>&1 || true
    n=$(logs_complete "${pods[$i]}" "${names[$i]}") || fail_run "the log of ${names[$i]} has a gap" 1
    checked=$((checked + n))
done

# The first sample after a warm-up of a third of the run (glibc's heap takes
# a while to reach its working set) against the last.
warm=$(( $(wc -l <"$samples") / 3 + 1 ))
read -r _ f0 r0 d0 m0 c0 < <(sed -n "${warm}p" "$samples")
read -r _ f1 r1 d1 m1 c1 < <(tail -1 "$samples")
verdict=flat
[ "$f1" -le "$f0" ] || verdict="PID 1's fds grew from $f0 to $f1"
[ "$r1" -le $((r0 + r0 / 10)) ] || verdict="PID 1's RSS grew from $r0 to $r1 kB"
[ "$m1" -le "$m0" ] || verdict="host mounts grew from $m0 to $m1"
[ "$c1" -le "$c0" ] || verdict="the pods' cgroups grew from $c0 to $c1"
{
    echo "# podinit: soak"
    echo
    echo "$(machine_line "$secs s, $npods pods + 1 churn pod")"
    echo
    echo "$round rounds, $ops operations; $checked numbered lines read back from the logs, none missing, none twice; the counter's log rotated $rotations times."
    echo
    echo "| t (s) | churn PID 1 fds | RSS (kB) | Private_Dirty (kB) | host mounts | cgroups of its pods |"
    echo "|---:|---:|---:|---:|---:|---:|"
    while read -r t f r d m c; do echo "| $t | $f | $r | $d | $m | $c |"; done <"$samples"
    echo
    echo "Verdict (sample $warm, after a third of the run, against the last): **$verdict**."
} >"$out"
cat "$out"
[ "$verdict" = flat ]
