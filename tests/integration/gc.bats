#!/usr/bin/env bats
# podctl gc: removes every pod that is not running, never a running one.

load helpers

setup_file() { build_images; }
setup() { pod_setup; }
teardown() { pod_teardown; }

@test "gc removes exited pods, prints their uuids, and leaves a running pod alone" {
    local f=$BATS_TEST_TMPDIR/uuid e1 e2
    run pc run --uuid-file-save="$f" "$IMG" --exec=/probe -- exit 0
    assert_status 0
    e1=$(cat "$f")
    run pc run --uuid-file-save="$f" "$IMG" --exec=/probe -- exit 3
    assert_status 3
    e2=$(cat "$f")
    run_detached "$IMG" --exec=/probe -- sleep 60
    local running=$UUID pid1
    pid1=$(pod_pid1)

    run pc gc
    assert_status 0
    assert_line "removed $e1"
    assert_line "removed $e2"
    refute_output_contains "$running"
    [ "${#lines[@]}" -eq 2 ] || { _dump_run; fail "expected exactly two lines"; }

    [ ! -e "$D/pods/run/$e1" ] || fail "exited pod $e1 still on disk"
    [ ! -e "$D/pods/run/$e2" ] || fail "exited pod $e2 still on disk"
    [ -z "$(ls -A "$D/pods/exited-garbage" 2>/dev/null)" ] || fail "leftovers in exited-garbage"
    run pc status "$e1"
    assert_failure
    assert_output_contains "no pod"

    # The running pod is untouched and still works.
    [ -d "$POD" ] || fail "the running pod's directory was removed"
    [ -d "/proc/$pid1" ] || fail "the running pod's PID 1 is gone"
    is_ready || fail "the running pod lost its supervisor-status"
    [ -S "$POD/stage1/rootfs/rkt/podinit/control.sock" ] || fail "the running pod lost its control socket"
    assert_eq "$(pod_field "$running" state)" running "running pod state"
    assert_eq "$(pod_field "$running" apps.0.state)" ready "running pod's app state"
    run pc list
    assert_status 0
    assert_output_contains "$running"
    refute_output_contains "$e1"

    # Once stopped, the next gc takes it.
    run pc stop "$running"
    assert_status 0
    run pc gc
    assert_status 0
    assert_output_is "removed $running"
    [ ! -e "$POD" ] || fail "stopped pod still on disk after gc"
}

@test "gc on an empty or missing state directory succeeds and prints nothing" {
    run pc gc
    assert_status 0
    assert_output_is ""
    mkdir -p "$D/pods/run" "$D/pods/prepare"
    run pc gc
    assert_status 0
    assert_output_is ""
}

@test "gc twice: the second run has nothing to do" {
    run pc run "$IMG" --exec=/probe -- exit 0
    assert_status 0
    only_pod
    run pc gc
    assert_status 0
    assert_output_is "removed $UUID"
    run pc gc
    assert_status 0
    assert_output_is ""
    run pc list --json
    assert_status 0
    assert_eq "$(printf '%s' "$output" | jget "")" "[]" "pod list after gc"
}

@test "gc with only a running pod removes nothing" {
    run_detached "$IMG" --exec=/probe -- sleep 60
    run pc gc
    assert_status 0
    assert_output_is ""
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
}

@test "gc rejects arguments" {
    run pc gc extra
    assert_status 2
}

@test "gc removes an abandoned preparation but not one in progress" {
    local dead=0f0f0f0f-1111-4222-8333-444444444444 live=0e0e0e0e-1111-4222-8333-444444444444
    mkdir -p "$D/pods/prepare/$dead/stage1" "$D/pods/prepare/$live/stage1"
    # A preparation in progress holds its lock (as podctl run does).
    flock "$D/pods/prepare/$live" sleep 30 3>&- &
    BG_PIDS+=($!)
    wait_until 5 pod_lock_held "$D/pods/prepare/$live" || fail "could not lock the fake preparation"
    run pc gc
    assert_status 0
    assert_output_is "removed $dead"
    [ ! -e "$D/pods/prepare/$dead" ] || fail "abandoned preparation still on disk"
    [ -d "$D/pods/prepare/$live" ] || fail "gc removed a preparation in progress"
}

@test "gc of a pod with a host mount left in it (a killed shim's rootfs bind): unmounted, never removed through" {
    local f=$BATS_TEST_TMPDIR/uuid u theirs=$BATS_TEST_TMPDIR/theirs at
    run pc run --uuid-file-save="$f" "$IMG" --exec=/probe -- exit 0
    assert_status 0
    u=$(cat "$f")
    mkdir -p "$theirs/sub"
    echo keep >"$theirs/keep"
    echo keep >"$theirs/sub/keep2"
    # The same file system as the pod's: a bind that only a mount check tells from a directory.
    at=$D/pods/run/$u/stage1/rootfs/opt/stage2/left/rootfs
    mkdir -p "$at"
    mount --bind "$theirs" "$at"
    mount --bind "$theirs/sub" "$at/sub"
    run pc gc
    assert_status 0
    assert_line "removed $u"
    [ ! -e "$D/pods/run/$u" ] || fail "the pod is still on disk"
    ! grep -q " $D/" /proc/self/mountinfo || fail "mounts left under $D: $(grep " $D/" /proc/self/mountinfo)"
    [ "$(cat "$theirs/keep")" = keep ] && [ "$(cat "$theirs/sub/keep2")" = keep ] ||
        fail "gc removed files through the bind mount"
}
