#!/usr/bin/env bats
# Stopping pods: podctl stop (graceful, --force, --no-wait), SIGTERM to the
# launcher, pod lookup by prefix, and errors.

load helpers

setup_file() { build_images; }
setup() { pod_setup; }
teardown() { pod_teardown; }

@test "a detached pod is running and its status says so" {
    run_detached "$IMG" --name=main --exec=/probe -- sleep 60
    is_ready || fail "supervisor-status symlink missing after run -d returned"
    assert_eq "$(readlink "$POD/stage1/rootfs/rkt/supervisor-status")" ready "supervisor-status target"
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
    assert_eq "$(pod_field "$UUID" apps.0.state)" ready "app state"
    assert_eq "$(pod_field "$UUID" apps.0.pid)" 2 "app pid in the pod"
    assert_eq "$(pod_field "$UUID" stopTimeoutMs)" 10000 "default stop timeout"
    run pc list
    assert_status 0
    assert_output_contains "$UUID"
    assert_output_contains "running"
}

@test "podctl stop: returns once the pod exited with 0; status files written, supervisor-status gone" {
    run_detached "$IMG" --name=one --exec=/probe -- sleep 60 \
        --- "$IMG" --name=two --exec=/probe -- term-exit 0
    local pid1
    pid1=$(pod_pid1)
    [ -d "/proc/$pid1" ] || fail "the pod's PID 1 ($pid1) is not running"
    run pc stop "$UUID"
    assert_status 0
    # Everything below must already hold when stop returns: no polling.
    [ ! -e "$POD/stage1/rootfs/rkt/supervisor-status" ] && [ ! -L "$POD/stage1/rootfs/rkt/supervisor-status" ] ||
        fail "supervisor-status still exists after stop"
    ! pod_lock_held "$POD" || fail "the pod is still locked (running) after stop returned"
    [ ! -d "/proc/$pid1" ] || fail "the pod's PID 1 ($pid1) still exists after stop returned"
    assert_eq "$(app_status_file one)" 0 "status file of app one"
    assert_eq "$(app_status_file two)" 0 "status file of app two"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
    assert_eq "$(pod_field "$UUID" exitCode)" 0 "pod exitCode"
    assert_eq "$(pod_field "$UUID" apps.0.stoppedByPod)" true "app one stoppedByPod"
    assert_eq "$(pod_field "$UUID" apps.1.stoppedByPod)" true "app two stoppedByPod"
    assert_eq "$(pod_field "$UUID" apps.1.exitCode)" 0 "app two exitCode (term-exit 0)"
    run pc list
    assert_output_contains "exited"
}

@test "podctl stop finishes as soon as the apps are gone, not after the timeout" {
    run_detached "$IMG" --name=one --exec=/probe -- sleep 60 \
        --- "$IMG" --name=two --exec=/probe -- term-exit 7
    local t0 t1
    t0=$(now_ms)
    run pc stop "$UUID"
    t1=$(now_ms)
    assert_status 0
    assert_lt $((t1 - t0)) 2000 "stop duration (ms) with the default 10 s timeout"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
    assert_eq "$(pod_field "$UUID" apps.1.exitCode)" 7 "app two exitCode"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 15 "app one signal"
}

@test "podctl stop: an app ignoring SIGTERM is killed after --stop-timeout" {
    run_detached --stop-timeout=1s "$IMG" --exec=/probe -- ignore-term 60
    wait_until 5 grep_log "ignoring TERM" || fail "app did not start ignoring TERM"
    local t0 t1
    t0=$(now_ms)
    run pc stop "$UUID"
    t1=$(now_ms)
    assert_status 0
    assert_ge $((t1 - t0)) 900 "stop duration (ms)"
    assert_lt $((t1 - t0)) 3000 "stop duration (ms)"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 9 "app signal"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
}

@test "podctl stop --force: immediate SIGKILL, pod exit code 137" {
    run_detached "$IMG" --exec=/probe -- ignore-term 60
    wait_until 5 grep_log "ignoring TERM" || fail "app did not start ignoring TERM"
    local t0 t1
    t0=$(now_ms)
    run pc stop --force "$UUID"
    t1=$(now_ms)
    assert_status 0
    assert_lt $((t1 - t0)) 1500 "stop --force duration (ms)"
    ! pod_lock_held "$POD" || fail "the pod is still running after stop --force returned"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
    assert_eq "$(pod_field "$UUID" exitCode)" 137 "pod exitCode"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 9 "app signal"
    [ -f "$POD/stage1/rootfs/rkt/status/busybox" ] || fail "no status file for the app"
    run pc status "$UUID"
    assert_status 0
    assert_output_contains "137"
}

@test "podctl stop --no-wait returns at once; the pod still stops" {
    run_detached --stop-timeout=2s "$IMG" --exec=/probe -- ignore-term 60
    wait_until 5 grep_log "ignoring TERM" || fail "app did not start ignoring TERM"
    local t0 t1
    t0=$(now_ms)
    run pc stop --no-wait "$UUID"
    t1=$(now_ms)
    assert_status 0
    assert_lt $((t1 - t0)) 1000 "stop --no-wait duration (ms)"
    pod_lock_held "$POD" || fail "the pod exited before its 2 s stop timeout"
    # While it waits for the timeout the pod is stopping and no longer ready.
    assert_eq "$(pod_field "$UUID" state)" stopping "pod state during the stop"
    assert_eq "$(pod_field "$UUID" apps.0.state)" stopping "app state during the stop"
    ! is_ready || fail "supervisor-status still says ready while stopping"
    wait_until 6 eval '! pod_lock_held "$POD"' || fail "the pod did not stop"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 9 "app signal"
}

@test "SIGTERM to the foreground podctl run: graceful stop, exit 0" {
    bg_run "$IMG" --name=one --exec=/probe -- term-exit 0 --- "$IMG" --name=two --exec=/probe -- sleep 60
    wait_single_pod_ready
    wait_until 5 grep -q "^ready$" "$BG_OUT" || fail "term-exit app did not print ready"
    local t0 t1 rc=0
    t0=$(now_ms)
    kill -TERM "$BG_PID"
    wait "$BG_PID" || rc=$?
    t1=$(now_ms)
    assert_eq "$rc" 0 "exit status of the foreground podctl run after SIGTERM (stderr: $(cat "$BG_ERR"))"
    assert_lt $((t1 - t0)) 3000 "time to stop after SIGTERM (ms)"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
    assert_eq "$(pod_field "$UUID" exitCode)" 0 "pod exitCode"
    assert_eq "$(pod_field "$UUID" apps.0.stoppedByPod)" true "app one stoppedByPod"
    assert_eq "$(pod_field "$UUID" apps.1.stoppedByPod)" true "app two stoppedByPod"
    assert_eq "$(app_status_file one)" 0 "status file one"
    assert_eq "$(app_status_file two)" 0 "status file two"
}

@test "SIGINT to the foreground podctl run also stops the pod gracefully" {
    bg_run "$IMG" --exec=/probe -- sleep 60
    wait_single_pod_ready
    local rc=0
    kill -INT "$BG_PID"
    wait "$BG_PID" || rc=$?
    assert_eq "$rc" 0 "exit status after SIGINT (stderr: $(cat "$BG_ERR"))"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
}

@test "stopping an exited pod fails with 'not running'" {
    run pc run "$IMG" --exec=/probe -- exit 0
    assert_status 0
    only_pod
    run pc stop "$UUID"
    assert_failure
    assert_output_contains "not running"
    run pc stop --force "$UUID"
    assert_failure
    assert_output_contains "not running"
}

@test "stopping a pod twice: the second stop fails with 'not running'" {
    run_detached "$IMG" --exec=/probe -- sleep 60
    run pc stop "$UUID"
    assert_status 0
    run pc stop "$UUID"
    assert_failure
    assert_output_contains "not running"
}

@test "stop and status accept a unique UUID prefix" {
    run_detached "$IMG" --exec=/probe -- sleep 60
    run pc status "${UUID:0:8}"
    assert_status 0
    assert_output_contains "$UUID"
    run pc stop "${UUID:0:8}"
    assert_status 0
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
}

@test "an ambiguous prefix and an unknown pod are errors" {
    # Make exited pods until two share their first hex digit (at most 17).
    local i dup=""
    for i in $(seq 1 17); do
        run pc run "$IMG" --exec=/probe -- exit 0
        assert_status 0
        dup=$(ls "$D/pods/run" | cut -c1 | sort | uniq -d | head -n1)
        [ -z "$dup" ] || break
    done
    [ -n "$dup" ] || fail "no two pods share a first digit after 17 pods?"
    run pc stop "$dup"
    assert_failure
    assert_output_contains "matches"
    run pc status "$dup"
    assert_failure
    assert_output_contains "matches"
    run pc stop 00000000-dead-4bee-8000-000000000000
    assert_failure
    assert_output_contains "no pod"
    run pc stop zzz
    assert_failure
    assert_output_contains "no pod"
}

# Host pid of the launcher of a detached pod: the parent of the pod's PID 1.
launcher_pid() {
    local pid1
    pid1=$(pod_pid1) || return 1
    awk '{ print $4 }' "/proc/$pid1/stat"
}

@test "SIGTERM to the launcher of a detached pod stops it gracefully" {
    run_detached "$IMG" --name=one --exec=/probe -- sleep 62.25 --- "$IMG" --name=two --exec=/probe -- term-exit 0
    local launcher
    launcher=$(launcher_pid)
    [ -n "$launcher" ] && [ "$launcher" -gt 1 ] || fail "no launcher pid"
    grep -q podinit "/proc/$launcher/cmdline" || fail "pid $launcher is not podinit: $(tr '\0' ' ' <"/proc/$launcher/cmdline")"
    kill -TERM "$launcher"
    wait_until 5 eval '! pod_lock_held "$POD"' || fail "the pod did not stop after SIGTERM to its launcher"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
    assert_eq "$(pod_field "$UUID" exitCode)" 0 "pod exitCode"
    assert_eq "$(pod_field "$UUID" apps.0.stoppedByPod)" true "app one stoppedByPod"
    assert_eq "$(app_status_file one)" 0 "status file one"
    assert_eq "$(app_status_file two)" 0 "status file two"
    assert_eq "$(count_procs '^/probe sleep 62.25 ')" 0 "app processes left"
}

@test "SIGKILL to the launcher: the pod dies with it and is reported as exited" {
    run_detached "$IMG" --exec=/probe -- sleep 62.5
    local launcher
    launcher=$(launcher_pid)
    [ -n "$launcher" ] && [ "$launcher" -gt 1 ] || fail "no launcher pid"
    kill -KILL "$launcher"
    wait_until 5 eval '[ "$(count_procs "^/probe sleep 62.5 ")" -eq 0 ]' ||
        fail "the app outlived its launcher"
    wait_until 5 eval '! pod_lock_held "$POD"' || fail "the pod is still locked"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
    run pc stop "$UUID"
    assert_failure
    assert_output_contains "not running"
    run pc gc
    assert_status 0
    assert_output_is "removed $UUID"
}

@test "stop --force after a graceful stop --no-wait kills at once" {
    run_detached --stop-timeout=30s "$IMG" --exec=/probe -- ignore-term 60
    wait_until 5 grep_log "ignoring TERM" || fail "app did not start ignoring TERM"
    run pc stop --no-wait "$UUID"
    assert_status 0
    local t0 t1
    t0=$(now_ms)
    run pc stop --force "$UUID"
    t1=$(now_ms)
    assert_status 0
    assert_lt $((t1 - t0)) 1500 "stop --force duration (ms)"
    assert_eq "$(pod_field "$UUID" exitCode)" 137 "pod exitCode"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 9 "app signal"
}

@test "two concurrent stops both return once the pod has exited" {
    run_detached --stop-timeout=1s "$IMG" --exec=/probe -- ignore-term 60
    wait_until 5 grep_log "ignoring TERM" || fail "app did not start ignoring TERM"
    local rc1=0 rc2=0
    pc stop "$UUID" >"$BATS_TEST_TMPDIR/s1" 2>&1 3>&- &
    local p1=$!
    BG_PIDS+=("$p1")
    pc stop "$UUID" >"$BATS_TEST_TMPDIR/s2" 2>&1 || rc2=$?
    ! pod_lock_held "$POD" || fail "second stop returned while the pod still runs"
    wait "$p1" || rc1=$?
    assert_eq "$rc1" 0 "first stop (output: $(cat "$BATS_TEST_TMPDIR/s1"))"
    assert_eq "$rc2" 0 "second stop (output: $(cat "$BATS_TEST_TMPDIR/s2"))"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 9 "app signal"
}

@test "a relative --dir works for run, run -d, status and stop" {
    cd "$BATS_TEST_TMPDIR"
    run "$PODCTL" --dir=relstate run --net=none "$IMG" --exec=/probe -- print rel
    assert_status 0
    assert_output_is "rel"
    local u
    u=$("$PODCTL" --dir=relstate run -d --net=none "$IMG" --exec=/probe -- sleep 60) || fail "run -d failed"
    D=$BATS_TEST_TMPDIR/relstate
    run "$PODCTL" --dir=relstate status --json "$u"
    assert_status 0
    assert_eq "$(printf '%s' "$output" | jget state)" running "state"
    run "$PODCTL" --dir=relstate stop "$u"
    assert_status 0
    assert_eq "$(pod_field "$u" state)" exited "state after stop"
}

@test "a pod that ends while podctl stop waits for its answer: stop says so and succeeds" {
    run_detached "$IMG" --exec=/probe -- sleep 60
    local pid1 sp
    pid1=$(pod_pid1)
    # PID 1 stopped: podctl's request waits in the socket; then PID 1 dies under it,
    # as when a pod's last app exits at the moment it is asked to stop.
    kill -STOP "$pid1"
    pc stop "$UUID" >"$BATS_TEST_TMPDIR/out" 2>&1 &
    sp=$!
    # podctl (the child of that subshell) waits for the answer once it is connected.
    wait_until 5 sh -c "c=\$(pgrep -P $sp) && ss -xp | grep -q \"pid=\$c,\"" ||
        { kill "$sp"; kill -CONT "$pid1"; fail "podctl never connected"; }
    kill -KILL "$pid1"
    wait "$sp" || fail "stop failed: $(cat "$BATS_TEST_TMPDIR/out")"
    grep -q "ended on its own while it was being stopped" "$BATS_TEST_TMPDIR/out" ||
        fail "stop did not say the pod ended: $(cat "$BATS_TEST_TMPDIR/out")"
    ! pod_lock_held "$POD" || fail "the pod is still running"
}
