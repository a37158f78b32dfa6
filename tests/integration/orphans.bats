#!/usr/bin/env bats
# PID 1 reaps orphans: processes re-parented to the pod's PID 1 never stay
# zombies, and they are counted in orphansReaped.

load helpers

setup_file() { build_images; }
setup() { pod_setup; }
teardown() { pod_teardown; }

@test "10000 orphans are reaped and counted; the pod exits 0" {
    run pc run "$IMG" --exec=/bin/sh -- -c '/probe orphans 10000 && sleep 1'
    assert_status 0
    assert_output_contains "orphans 10000"
    only_pod
    local n
    n=$(pod_field "$UUID" orphansReaped)
    assert_ge "$n" 10000 "orphansReaped"
    assert_eq "$(pod_field "$UUID" exitCode)" 0 "pod exitCode"
}

@test "while the pod runs, no zombie children of its PID 1 remain" {
    run_detached "$IMG" --exec=/bin/sh -- -c '/probe orphans 10000 && sleep 60'
    wait_until 20 grep_log "orphans 10000" ||
        fail "the probe did not finish making orphans: $(cat_logs)"
    local pid1
    pid1=$(pod_pid1)
    [ -d "/proc/$pid1" ] || fail "PID 1 ($pid1) of the pod is gone"
    wait_until 5 eval '[ "$(zombie_children "$pid1")" -eq 0 ]' ||
        fail "zombie children of the pod's PID 1 remain: $(zombie_children "$pid1")"
    local n
    n=$(pod_field "$UUID" orphansReaped)
    assert_ge "$n" 10000 "orphansReaped (live)"
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
    run pc stop "$UUID"
    assert_status 0
}

@test "orphans that outlive their parent are reaped when they exit" {
    # 200 grandchildren linger 1 s after their parent is gone, so they are
    # live orphans of PID 1 first and zombies only later.
    run_detached "$IMG" --exec=/bin/sh -- -c '/probe orphans 200 1000 && sleep 60'
    wait_until 10 grep_log "orphans 200" ||
        fail "the probe did not finish making orphans: $(cat_logs)"
    local pid1
    pid1=$(pod_pid1)
    wait_until 10 eval '[ "$(pod_field "$UUID" orphansReaped)" -ge 200 ]' ||
        fail "orphansReaped stayed at $(pod_field "$UUID" orphansReaped)"
    assert_eq "$(zombie_children "$pid1")" 0 "zombie children of PID 1"
    run pc stop "$UUID"
    assert_status 0
}

@test "a daemonised grandchild (setsid) does not keep the pod alive past its apps" {
    # The app starts a session leader that sleeps 31.5 s and exits soon;
    # the pod ends with its last app, the daemon goes with the namespace.
    local t0 t1
    t0=$(now_ms)
    run pc run "$IMG" --exec=/bin/sh -- -c '/probe setsid-child 31.5 && sleep 0.5'
    t1=$(now_ms)
    assert_status 0
    assert_lt $((t1 - t0)) 5000 "pod run time (ms)"
    only_pod
    ! pod_lock_held "$POD" || fail "pod still running"
    sleep 0.2
    assert_eq "$(count_procs '^/probe setsid-child 31.5 ')" 0 "daemonised probes left after the pod"
}

@test "inside the pod, no zombies remain after 2000 orphans exit" {
    run pc run "$IMG" --exec=/bin/sh -- -c '/probe orphans 2000 && sleep 0.5 && /probe zombies'
    assert_status 0
    assert_line "orphans 2000"
    [ "${lines[${#lines[@]}-1]}" = 0 ] || { _dump_run; fail "zombies inside the pod"; }
}
