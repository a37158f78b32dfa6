#!/usr/bin/env bats
# Scale: 1,000 apps in one pod start, run, stop and gc; an app's mount
# namespace holds its own mounts only, however many apps the pod has; PID 1
# holds a few fds per app; the apps keep the open-files limit podinit was
# started with.  The time bounds catch hangs, not slowness (bench/scale.sh
# measures speed).

load helpers

setup_file() {
    build_images
}

setup() {
    pod_setup
}

teardown() {
    pod_teardown
}

# apps N: the arguments of a pod of N apps of the store image "scale", each `/probe sleep 3600`
apps() {
    local i
    ARGS=()
    for ((i = 1; i <= $1; i++)); do
        ARGS+=(scale --name="a$i" --exec=/probe -- sleep 3600)
        if [ "$i" -lt "$1" ]; then ARGS+=(---); fi
    done
}

# ready_count UUID: how many of the pod's apps are running
ready_count() { pc status --json "$1" 2>/dev/null | grep -c '"state": "ready"' || true; }

# all_ready UUID N
all_ready() { [ "$(ready_count "$1")" -ge "$2" ]; }

# app_pid NAME: the host's pid of the pod's app NAME (its status gives the pod's pid)
app_pid() {
    local inner c
    inner=$(pod_field "$UUID" "apps" | "$PYTHON" -c '
import json, sys
print(next(a["pid"] for a in json.load(sys.stdin) if a["name"] == sys.argv[1]))' "$1")
    for c in $(pgrep -P "$(cat "$POD/pid")"); do
        [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$c/status" 2>/dev/null)" = "$inner" ] && { echo "$c"; return 0; }
    done
    fail "no process of app $1 (pid $inner in the pod)"
}

# mounts PID: the mounts in PID's mount namespace
mounts() { wc -l <"/proc/$1/mountinfo"; }

@test "1,000 apps in one pod: all run, each sees only its own mounts, PID 1 holds few fds, stop and gc leave nothing" {
    pc image import "$IMG" --name=scale >/dev/null
    local one_app n=1000 t0 pid fds cg

    # The mounts one app sees in a one-app pod ...
    apps 1
    run_detached "${ARGS[@]}"
    wait_until 30 all_ready "$UUID" 1 || fail "the one-app pod did not start"
    one_app=$(mounts "$(app_pid a1)")
    pc stop "$UUID" >/dev/null
    pc gc >/dev/null

    # ... are the mounts each app sees in a 1,000-app pod.
    apps $n
    t0=$(now_ms)
    run_detached "${ARGS[@]}"
    wait_until 600 all_ready "$UUID" $n || fail "only $(ready_count "$UUID") of $n apps running after 600 s"
    echo "# $n apps running after $(( $(now_ms) - t0 )) ms" >&3
    for a in a1 a500 a1000; do
        assert_eq "$(mounts "$(app_pid $a)")" "$one_app" "mounts in app $a's namespace"
    done
    # Nothing of another app in an app's namespace.
    run grep -c "/opt/stage2/a2/" "/proc/$(app_pid a1)/mountinfo"
    assert_eq "$output" 0 "mounts of app a2 in app a1's namespace"
    # Its streams and log file: no per-app cgroup, lock or directory fds.
    pid=$(cat "$POD/pid")
    fds=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
    assert_lt "$fds" $((4 * n + 100))

    t0=$(now_ms)
    run pc stop "$UUID"
    assert_status 0
    echo "# stopped in $(( $(now_ms) - t0 )) ms" >&3
    [ "$(pod_field "$UUID" state)" = exited ] || fail "the pod is not exited after stop"
    run pc gc
    assert_status 0
    assert_no_pod_dirs
    run grep -c "$D" /proc/self/mountinfo
    assert_eq "$output" 0 "mounts of the state directory after gc"
    cg=${UUID##*-}     # the pod cgroup's name has the UUID with \x2d for each '-': its last part is enough
    run find /sys/fs/cgroup -maxdepth 3 -type d -name "machine-rkt*$cg.scope"
    assert_eq "$output" "" "the pod's cgroups after gc"
}

@test "PID 1 takes the hard open-files limit; every app and exec gets the limit podinit was started with" {
    pc image import "$IMG" --name=scale >/dev/null
    apps 2
    UUID=$(ulimit -Sn 1024 && ulimit -Hn 4096 && pc run -d "${ARGS[@]}")
    POD=$D/pods/run/$UUID
    wait_until 30 all_ready "$UUID" 2 || fail "the pod did not start"
    run grep "Max open files" "/proc/$(cat "$POD/pid")/limits"
    assert_output_contains "4096                 4096"
    run grep "Max open files" "/proc/$(app_pid a2)/limits"
    assert_output_contains "1024                 4096"
    run pc exec "$UUID" --app=a1 -- /bin/sh -c 'ulimit -Sn; ulimit -Hn'
    assert_status 0
    assert_eq "${lines[0]} ${lines[1]}" "1024 4096" "exec's open-files limits"
    pc stop "$UUID" >/dev/null
    # An app's own limit still wins.
    UUID=$(ulimit -Sn 1024 && pc run -d scale --name=b --rlimit=nofile=77:88 --exec=/probe -- sleep 3600)
    POD=$D/pods/run/$UUID
    wait_until 30 all_ready "$UUID" 1 || fail "the pod did not start"
    run grep "Max open files" "/proc/$(app_pid b)/limits"
    assert_output_contains "77                   88"
}
