#!/usr/bin/env bats
# Failing apps: one app's failure stops the pod; exec failures (203);
# apps that ignore SIGTERM are killed after the stop timeout.

load helpers

setup_file() {
    build_images
    # A variant image with files that exist but cannot be executed.
    BADIMG=$BATS_FILE_TMPDIR/badimg
    cp -a "$IMG" "$BADIMG"
    printf 'this is plain text, not a program\n' >"$BADIMG/rootfs/bad-format"
    chmod 0755 "$BADIMG/rootfs/bad-format"
    printf '#!/bin/sh\necho should not run\n' >"$BADIMG/rootfs/no-x"
    chmod 0644 "$BADIMG/rootfs/no-x"
    printf '#!/bin/sh\necho script ran "$@"\n' >"$BADIMG/rootfs/script"
    chmod 0755 "$BADIMG/rootfs/script"
    # A variant whose rootfs/proc is a symlink: podinit refuses to mount
    # over it, so the pod fails during set-up, before it is ready.
    SYMIMG=$BATS_FILE_TMPDIR/symimg
    cp -a "$IMG" "$SYMIMG"
    rmdir "$SYMIMG/rootfs/proc"
    ln -s /tmp "$SYMIMG/rootfs/proc"
    export BADIMG SYMIMG
}

setup() { pod_setup; }
teardown() { pod_teardown; }

@test "one app exits 5 while another sleeps: pod exits 5 quickly, sleeper stopped by the pod" {
    local t0 t1
    t0=$(now_ms)
    run pc run "$IMG" --name=sleeper --exec=/probe -- sleep 60 \
        --- "$IMG" --name=failer --exec=/bin/sh -- -c 'sleep 0.3; exit 5'
    t1=$(now_ms)
    assert_status 5
    # Well under the 10 s default stop timeout: the sleeper dies on SIGTERM.
    assert_lt $((t1 - t0)) 3000 "pod run time (ms)"
    only_pod
    assert_eq "$(app_status_file failer)" 5 "failer's status file"
    assert_eq "$(app_status_file sleeper)" 0 "sleeper's status file (killed by pod shutdown)"
    assert_eq "$(pod_field "$UUID" exitCode)" 5 "pod exitCode"
    assert_eq "$(pod_field "$UUID" apps.0.name)" sleeper "apps[0]"
    assert_eq "$(pod_field "$UUID" apps.0.stoppedByPod)" true "sleeper stoppedByPod"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 15 "sleeper signal"
    assert_eq "$(pod_field "$UUID" apps.1.stoppedByPod)" false "failer stoppedByPod"
    assert_eq "$(pod_field "$UUID" apps.1.exitCode)" 5 "failer exitCode"
    assert_contains "$(pod_field "$UUID" exitReason)" "failer" "exitReason"
}

@test "an app killed by a signal fails the pod with 128+N" {
    run pc run "$IMG" --name=sleeper --exec=/probe -- sleep 60 \
        --- "$IMG" --name=victim --exec=/bin/sh -- -c 'sleep 0.3; exec /probe kill-self INT'
    assert_status 130
    run pc run "$IMG" --name=sleeper --exec=/probe -- sleep 60 \
        --- "$IMG" --name=victim --exec=/bin/sh -- -c 'sleep 0.3; exec /probe kill-self USR1'
    assert_status 138
}

@test "exec of a missing program: 203, error names the path and ENOENT" {
    run pc run "$IMG" --exec=/nope
    assert_status 203
    assert_output_contains "/nope"
    assert_output_contains "No such file or directory"
    only_pod
    assert_eq "$(app_status_file busybox)" 203 "status file"
    assert_eq "$(pod_field "$UUID" exitCode)" 203 "pod exitCode"
    local e
    e=$(pod_field "$UUID" apps.0.error) || fail "no apps[0].error in the status JSON"
    assert_eq "$e" "exec /nope: No such file or directory" "apps[0].error"
}

@test "exec failure: the reason is reported on stderr, not stdout" {
    pc run "$IMG" --exec=/nope >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
    assert_eq "${status-0}" 203 "exit status"
    assert_contains "$(cat "$BATS_TEST_TMPDIR/err")" "/nope" "stderr"
    assert_contains "$(cat "$BATS_TEST_TMPDIR/err")" "No such file or directory" "stderr"
    assert_eq "$(cat "$BATS_TEST_TMPDIR/out")" "" "stdout"
}

@test "exec of a program missing from PATH: 203 and ENOENT" {
    run pc run "$IMG" --exec=no-such-program
    assert_status 203
    assert_output_contains "no-such-program"
    assert_output_contains "No such file or directory"
}

@test "control: an executable #! script in the same image runs" {
    run pc run "$BADIMG" --exec=/script -- one two
    assert_status 0
    assert_output_is "script ran one two"
}

@test "exec of a file without the x bit: 203 and Permission denied" {
    run pc run "$BADIMG" --exec=/no-x
    assert_status 203
    assert_output_contains "/no-x"
    assert_output_contains "Permission denied"
    refute_output_contains "should not run"
    only_pod
    assert_eq "$(app_status_file busybox)" 203 "status file"
    local e
    e=$(pod_field "$UUID" apps.0.error) || fail "no apps[0].error in the status JSON"
    assert_contains "$e" "/no-x" "apps[0].error"
    assert_contains "$e" "Permission denied" "apps[0].error"
}

@test "exec of a non-ELF file with x bit and no #!: 203 and Exec format error" {
    run pc run "$BADIMG" --exec=/bad-format
    assert_status 203
    assert_output_contains "/bad-format"
    assert_output_contains "Exec format error"
    only_pod
    assert_eq "$(app_status_file busybox)" 203 "status file"
    local e
    e=$(pod_field "$UUID" apps.0.error) || fail "no apps[0].error in the status JSON"
    assert_contains "$e" "Exec format error" "apps[0].error"
}

@test "exec failure of one app stops the others; pod exits 203" {
    local t0 t1
    t0=$(now_ms)
    run pc run "$IMG" --name=sleeper --exec=/probe -- sleep 60 \
        --- "$IMG" --name=broken --exec=/nope
    t1=$(now_ms)
    assert_status 203
    assert_lt $((t1 - t0)) 3000 "pod run time (ms)"
    only_pod
    assert_eq "$(app_status_file broken)" 203 "broken's status file"
    assert_eq "$(app_status_file sleeper)" 0 "sleeper's status file"
    assert_eq "$(pod_field "$UUID" apps.0.stoppedByPod)" true "sleeper stoppedByPod"
}

@test "an app ignoring SIGTERM is killed after --stop-timeout=1s" {
    local t0 t1
    t0=$(now_ms)
    run pc run --stop-timeout=1s "$IMG" --name=stubborn --exec=/probe -- ignore-term 60 \
        --- "$IMG" --name=failer --exec=/bin/sh -- -c 'sleep 0.5; exit 1'
    t1=$(now_ms)
    assert_status 1
    assert_output_contains "ignoring TERM"
    # 0.5 s until the failure, then 1 s of grace before SIGKILL.
    assert_ge $((t1 - t0)) 1400 "pod run time (ms)"
    assert_lt $((t1 - t0)) 3000 "pod run time (ms)"
    only_pod
    assert_eq "$(pod_field "$UUID" stopTimeoutMs)" 1000 "stopTimeoutMs"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 9 "stubborn app's signal"
    assert_eq "$(pod_field "$UUID" apps.0.stoppedByPod)" true "stubborn stoppedByPod"
    assert_eq "$(pod_field "$UUID" exitCode)" 1 "pod exitCode"
}

@test "stop timeout from the pod manifest annotation is used" {
    cat >"$BATS_TEST_TMPDIR/pod.json" <<'EOF'
{"acKind":"PodManifest","acVersion":"0.8.11",
 "annotations":[{"name":"podinit.io/stop-timeout","value":"1s"}],
 "apps":[
  {"name":"stubborn","image":{"name":"example.com/busybox"},
   "app":{"exec":["/probe","ignore-term","60"],"user":"0","group":"0"}},
  {"name":"failer","image":{"name":"example.com/busybox"},
   "app":{"exec":["/bin/sh","-c","sleep 0.5; exit 3"],"user":"0","group":"0"}}]}
EOF
    local t0 t1
    t0=$(now_ms)
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    t1=$(now_ms)
    assert_status 3
    assert_lt $((t1 - t0)) 3000 "pod run time (ms)"
    only_pod
    assert_eq "$(pod_field "$UUID" stopTimeoutMs)" 1000 "stopTimeoutMs"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 9 "stubborn app's signal"
}

@test "a pod failing during set-up: run -d exits non-zero with the reason, nothing keeps running" {
    local err=$BATS_TEST_TMPDIR/err rc=0 out
    out=$(pc run -d "$SYMIMG" --exec=/probe -- sleep 61.25 2>"$err") || rc=$?
    [ "$rc" -ne 0 ] || fail "run -d succeeded (printed [$out]) for a pod that cannot start"
    assert_contains "$(cat "$err")" "not a directory" "stderr of run -d"
    assert_contains "$(cat "$err")" "proc" "stderr of run -d"
    [ -z "$(running_pods)" ] || fail "a pod is still running: $(running_pods)"
    assert_eq "$(count_procs '^/probe sleep 61.25 ')" 0 "app processes"
}

@test "a pod failing during set-up in the foreground exits 254 with the reason" {
    run pc run "$SYMIMG" --exec=/probe -- sleep 61.5
    assert_status 254
    assert_output_contains "not a directory"
    assert_eq "$(count_procs '^/probe sleep 61.5 ')" 0 "app processes"
    only_pod
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
}

@test "run -d with an app that cannot exec exits non-zero with the reason; the others are stopped" {
    local err=$BATS_TEST_TMPDIR/err rc=0 out
    out=$(pc run -d "$IMG" --name=sleeper --exec=/probe -- sleep 63.25 \
        --- "$IMG" --name=broken --exec=/nope 2>"$err") || rc=$?
    [ "$rc" -ne 0 ] || fail "run -d succeeded (printed [$out]) although an app cannot exec"
    assert_contains "$(cat "$err")" "/nope" "stderr of run -d"
    assert_contains "$(cat "$err")" "No such file or directory" "stderr of run -d"
    wait_until 5 eval '[ -z "$(running_pods)" ]' || fail "a pod is still running: $(running_pods)"
    assert_eq "$(count_procs '^/probe sleep 63.25 ')" 0 "sleeper processes left"
}

@test "run -d with a relative --dir still reports why an app could not exec" {
    cd "$BATS_TEST_TMPDIR"
    D=$BATS_TEST_TMPDIR/relstate
    local err=$BATS_TEST_TMPDIR/err rc=0
    "$PODCTL" --dir=relstate run -d --net=none "$IMG" --exec=/nope >/dev/null 2>"$err" || rc=$?
    [ "$rc" -ne 0 ] || fail "run -d succeeded although the app cannot exec"
    assert_contains "$(cat "$err")" "/nope" "stderr of run -d"
    assert_contains "$(cat "$err")" "No such file or directory" "stderr of run -d"
}
