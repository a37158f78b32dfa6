#!/usr/bin/env bats
# Crash consistency (issue 18): SIGKILL of podctl, of the launcher and of the
# pod's PID 1 at every step of run, stop, app add/rm, exec and gc.  After
# each crash, podctl list and status say the truth (running, or exited/dead
# with a reason), every state file parses, and podctl gc removes every
# leftover (tests/lib/crashpoints.sh: assert_truth, assert_consistent).
#
# Steps are syscalls, crashed with strace's fault injection (no product
# hooks): N = 1, 2, ... until the operation runs to its end untouched.

load helpers
# shellcheck source=../lib/crashpoints.sh
. "$HELPERS_DIR/../lib/crashpoints.sh"

setup_file() {
    command -v strace >/dev/null || fail "strace is not installed (the crash points are strace's fault injection); apt-get install strace"
    build_images
}
setup() {
    pod_setup
    # LeakSanitizer cannot run in a traced process (ASan+UBSan builds): it
    # would fail every exit under strace.  Leaks are the other files' job.
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}
teardown() { pod_teardown; }

# PID 1's state files and event log (paths as PID 1 sees them), for -P.
pid1_paths() {
    local a
    printf -- '-P\n/rkt/podinit/pod.json\n-P\n/rkt/podinit/events.jsonl\n'
    for a in "$@"; do
        printf -- '-P\n/rkt/podinit/apps/%s.json\n-P\n/rkt/status/%s\n-P\n/rkt/env/%s\n' "$a" "$a" "$a"
    done
}

# crash_steps DESC SYSCALL [STRACE-ARGS...] -- CMD...: for N = 1, 2, ...
# crash CMD at its Nth SYSCALL and check consistency, until CMD runs
# untouched.  STEPS is how many crash points were covered.
crash_steps() {
    local desc=$1 sc=$2 n
    shift 2
    STEPS=0
    for ((n = 1; n <= CRASH_MAX_N; n++)); do
        if ! crash_cmd "$sc" "$n" "$@"; then
            [ "$CRASH_RC" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/crash.stderr" >&2; fail "$desc: untouched run failed ($CRASH_RC)"; return 1; }
            assert_consistent || { fail "$desc: after the complete run"; return 1; }
            return 0
        fi
        STEPS=$n
        assert_consistent || { fail "$desc: after SIGKILL at $sc #$n"; return 1; }
    done
    fail "$desc: still crashing at $sc #$CRASH_MAX_N"
}

# ------------------------------------------------------------------ run

@test "run: SIGKILL of podctl/the launcher at every rename, clone and exec" {
    local sc total=0
    # No -f: only podctl, which becomes the launcher (exec), is crashed; PID 1
    # then dies of its PDEATHSIG.
    for sc in renameat rename clone execve; do
        crash_steps "run ($sc)" "$sc" -- "$PODCTL" --dir="$D" run --net=none "$IMG" --exec=/probe -- exit 0 || return 1
        [ "$STEPS" -ge 1 ] || fail "no $sc step in podctl run" || return 1
        total=$((total + STEPS))
    done
    echo "# run: $total crash points (podctl+launcher)" >&3
}

@test "run: SIGKILL of the launcher right after it made the pod's cgroups: gc removes them" {
    # subcgroup names the cgroup before it exists; the launcher's next rename
    # after it (runtime-config) comes after the mkdirs.  Found by name.
    local n u left
    for ((n = 1; n <= CRASH_MAX_N; n++)); do
        crash_cmd renameat "$n" -- "$PODCTL" --dir="$D" run --net=none "$IMG" --exec=/probe -- exit 0 ||
            fail "no renameat after subcgroup's"
        grep -q subcgroup "$CRASH_OUT" && break
        pc gc >/dev/null 2>&1
    done
    pc gc >/dev/null 2>&1
    crash_cmd renameat $((n + 1)) -- "$PODCTL" --dir="$D" run --net=none "$IMG" --exec=/probe -- exit 0 ||
        fail "no renameat after subcgroup's"
    u=$(ls "$D/pods/run")
    [ -e "$D/pods/run/$u/subcgroup" ] || fail "no subcgroup in the pod directory"
    left=$(find /sys/fs/cgroup/*/machine.slice -maxdepth 1 -name "machine-rkt*${u##*-}.scope")
    [ -n "$left" ] || fail "the launcher died before it made the pod's cgroups: the test no longer hits its window"
    assert_consistent
}

@test "a dead pod's apps are not reported as running (PID 1 SIGKILLed under a running app)" {
    local pid1
    run_detached --start-grace=0 "$IMG" --exec=/probe -- sleep 60
    pid1=$(pod_pid1)
    kill -KILL "$pid1"
    wait_until 5 eval '! pod_lock_held "$POD"' || fail "the pod's lock outlived PID 1"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
    [ -n "$(pod_field "$UUID" exitReason)" ] || fail "no exitReason"
    assert_eq "$(pod_field "$UUID" apps.0.state)" exited "the app's state"
    assert_eq "$(pod_field "$UUID" apps.0.error)" "killed with the pod: podinit was killed" "the app's error"
    assert_consistent
}

@test "run: SIGKILL of PID 1 at every state-file rename and fdatasync" {
    local total=0 paths
    mapfile -t paths < <(pid1_paths busybox)
    # -f reaches PID 1; -P counts only PID 1's own state files, never the
    # launcher's, so only PID 1 is crashed.
    crash_steps "PID 1 renameat" renameat -f "${paths[@]}" -- "$PODCTL" --dir="$D" run --net=none "$IMG" --exec=/probe -- exit 0 || return 1
    total=$((total + STEPS))
    # Only PID 1 calls fdatasync.
    crash_steps "PID 1 fdatasync" fdatasync -f -- "$PODCTL" --dir="$D" run --net=none "$IMG" --exec=/probe -- exit 0 || return 1
    total=$((total + STEPS))
    assert_ge "$total" 10 "PID 1 crash points"
    echo "# run: $total crash points (PID 1)" >&3
}

@test "run: SIGKILL of PID 1 at its pod mounts (every 8th)" {
    local n fired=0
    # The launcher mounts nothing with --net=none and no volumes: -f hits PID 1.
    for n in 1 8 16 24 32 40 48 56 64 72; do
        crash_cmd mount "$n" -f -- "$PODCTL" --dir="$D" run --net=none "$IMG" --exec=/probe -- exit 0 || break
        fired=$((fired + 1))
        assert_consistent || fail "after SIGKILL at PID 1's mount #$n" || return 1
    done
    assert_ge "$fired" 5 "mount crash points"
}

@test "run -d: SIGKILL of the detached launcher and of podctl while it waits for readiness" {
    local pid1 launcher
    run_detached --start-grace=0 "$IMG" --exec=/probe -- sleep 60
    pid1=$(pod_pid1)
    launcher=$(pod_launcher "$pid1")
    kill -KILL "$launcher"
    wait_until 5 eval '! [ -d /proc/$pid1 ]' || fail "PID 1 outlived its launcher"
    assert_truth
    assert_eq "$(pod_field "$UUID" state)" exited "state after the launcher died"
    [ -n "$(pod_field "$UUID" exitReason)" ] || fail "no exitReason for a killed pod"
    assert_consistent
    # podctl run -d killed at its fork of the launcher, and while it watches
    # the started pod's events (--start-grace): the pod is garbage, or runs on.
    local sc
    for sc in clone connect; do
        crash_cmd "$sc" 1 -- "$PODCTL" --dir="$D" run -d --start-grace=1s --net=none "$IMG" --exec=/probe -- sleep 60 ||
            fail "podctl run -d has no $sc"
        assert_truth
        assert_consistent
    done
}

# ------------------------------------------------------------------ stop

# stop_crash SYSCALL N [-P...]: a fresh pod; crash its PID 1 at its Nth
# SYSCALL during `podctl stop`; 0 if it fired.
stop_crash() {
    local sc=$1 n=$2 pid1 rc=0
    shift 2
    run_detached --start-grace=0 "$IMG" --exec=/probe -- sleep 60 || return 2
    pid1=$(pod_pid1)
    crash_attach "$pid1" "$sc" "$n" "$@" || return 2
    timeout 20 "$PODCTL" --dir="$D" stop "$UUID" >/dev/null 2>&1 || rc=$?
    wait_until 5 eval '! [ -d /proc/$pid1 ]' || true
    if crash_detach; then
        return 0
    fi
    [ "$rc" -eq 0 ] || fail "podctl stop failed ($rc) without a crash" || return 2
    return 1
}

@test "stop: SIGKILL of PID 1 at every state-file rename and fdatasync of a graceful stop" {
    local sc n total=0 r paths
    mapfile -t paths < <(pid1_paths busybox)
    for sc in renameat fdatasync; do
        for ((n = 1; n <= CRASH_MAX_N; n++)); do
            r=0
            if [ "$sc" = renameat ]; then stop_crash "$sc" "$n" "${paths[@]}" || r=$?; else stop_crash "$sc" "$n" || r=$?; fi
            [ "$r" -le 1 ] || return 1
            if [ "$r" -eq 0 ]; then
                assert_eq "$(pod_field "$UUID" state)" exited "state after PID 1 died in a stop"
            fi
            assert_consistent || fail "stop: after SIGKILL at PID 1's $sc #$n" || return 1
            [ "$r" -eq 0 ] || break
            total=$((total + 1))
        done
        [ "$n" -gt 1 ] || fail "no $sc step in a stop" || return 1
    done
    echo "# stop: $total crash points (PID 1)" >&3
}

@test "stop: SIGKILL of the launcher in the middle of a stop; of podctl stop at each step" {
    local pid1 launcher sc n state
    run_detached --start-grace=0 --stop-timeout=30s "$IMG" --exec=/probe -- ignore-term
    pid1=$(pod_pid1)
    launcher=$(pod_launcher "$pid1")
    bg "$PODCTL" --dir="$D" stop "$UUID"
    wait_until 5 eval '[ "$(pod_field "$UUID" state)" = stopping ]' || fail "the pod did not start stopping"
    kill -KILL "$launcher"
    wait_until 5 eval '! [ -d /proc/$pid1 ]' || fail "PID 1 outlived its launcher"
    assert_truth
    assert_eq "$(pod_field "$UUID" state)" exited "state"
    assert_consistent
    # podctl stop: connect, then two sends (header, request); the request
    # never reaches podinit and the pod runs on.
    for sc in connect:1 sendto:1 sendto:2; do
        n=${sc#*:}
        sc=${sc%:*}
        run_detached --start-grace=0 "$IMG" --exec=/probe -- sleep 60
        crash_cmd "$sc" "$n" -- "$PODCTL" --dir="$D" stop "$UUID" || fail "podctl stop has no $sc #$n" || return 1
        assert_truth || fail "after podctl stop died at $sc #$n" || return 1
        assert_eq "$(pod_field "$UUID" state)" running "the stop was never asked (at $sc #$n)"
        assert_consistent || return 1
    done
    # ... and killed while it waits for the pod to end: podinit stops it alone.
    run_detached --start-grace=0 --stop-timeout=1s "$IMG" --exec=/probe -- ignore-term
    pid1=$(pod_pid1)
    bg "$PODCTL" --dir="$D" stop "$UUID"
    wait_until 5 eval '[ "$(pod_field "$UUID" state)" = stopping ]' || fail "the pod did not start stopping"
    kill -KILL "$BGP"
    assert_truth
    wait_until 10 eval '! [ -d /proc/$pid1 ]' || fail "the pod did not finish its stop without podctl"
    assert_eq "$(pod_field "$UUID" state)" exited "state"
    assert_consistent
}

# -------------------------------------------------------- mutable pods

manifest_apps() {
    "$PYTHON" -c 'import json,sys; print(" ".join(a["name"] for a in json.load(open(sys.argv[1]))["apps"]))' "$POD/pod"
}
podinit_apps() {
    pc status --json "$UUID" | "$PYTHON" -c 'import json,sys; print(" ".join(a["name"] for a in json.load(sys.stdin)["apps"]))'
}

sandbox() {
    UUID=$(pc app sandbox -d --start-grace=0) || fail "app sandbox -d failed" || return 1
    POD=$D/pods/run/$UUID
}

@test "app add: SIGKILL of podctl while it unpacks the image: the next app add works" {
    sandbox
    crash_cmd renameat 1 -- "$PODCTL" --dir="$D" app add "$UUID" "$IMG" --name=web --exec=/probe -- sleep 60 ||
        fail "app add has no renameat"
    assert_truth
    run pc app add "$UUID" "$IMG" --name=web --exec=/probe -- sleep 60
    assert_status 0
    assert_consistent
}

@test "app add: SIGKILL of podctl at every rename and at its request; app rm then cleans up and the name is free again" {
    local sc n total=0 mismatch="" stale=""
    sandbox
    for sc in renameat rename connect; do
        for ((n = 1; n <= CRASH_MAX_N; n++)); do
            if ! crash_cmd "$sc" "$n" -- "$PODCTL" --dir="$D" app add "$UUID" "$IMG" --name=web --exec=/probe -- sleep 60; then
                [ "$CRASH_RC" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/crash.stderr" >&2; fail "app add untouched ($sc #$n) failed: $CRASH_RC"; return 1; }
                break
            fi
            total=$((total + 1))
            assert_truth || fail "after podctl app add died at $sc #$n" || return 1
            if [ "$(manifest_apps)" != "$(podinit_apps)" ]; then
                mismatch+="$sc #$n: podinit has [$(podinit_apps)], <pod>/pod has [$(manifest_apps)]; "
            fi
            # rm takes back what podinit has, in any case.
            pc app rm "$UUID" --app=web >/dev/null 2>&1 || true
            assert_eq "$(podinit_apps)" "" "apps after rm ($sc #$n)"
            if [ -e "$(app_root web)" ]; then
                stale+="$sc #$n; "
                rm -rf "$POD/stage1/rootfs/opt/stage2/web"
            fi
        done
        pc app rm "$UUID" --app=web >/dev/null 2>&1 || true
    done
    assert_ge "$total" 3 "app add crash points"
    echo "# app add: $total crash points (podctl)" >&3
    assert_consistent
    # Killed between podinit's accepting the app and the manifest's rewrite,
    # the two disagree until app rm (which then cleans up, as checked above).
    [ -z "$mismatch" ] || echo "# app add: podinit and <pod>/pod disagreed until app rm at: $mismatch" >&3
    [ -z "$stale" ] || fail "app rm left the app's image at: $stale"
}

@test "app rm: SIGKILL of podctl after its app-rm request: the app can be removed or added again" {
    sandbox
    pc app add "$UUID" "$IMG" --name=web --exec=/probe -- sleep 60
    pc app start "$UUID" --app=web
    # app rm's first renameat is the manifest's store, right after podinit forgot the app.
    crash_cmd renameat 1 -- "$PODCTL" --dir="$D" app rm "$UUID" --app=web || fail "app rm has no renameat"
    assert_truth
    # podinit forgot the app; the manifest and its image still have it: app rm finishes the job.
    run pc app rm "$UUID" --app=web
    assert_status 0
    assert_eq "$(manifest_apps)" "" "apps in <pod>/pod after app rm"
    [ ! -e "$POD/stage1/rootfs/opt/stage2/web" ] || fail "app rm left the app's image"
    run pc app add "$UUID" "$IMG" --name=web --exec=/probe -- exit 0
    assert_status 0
    assert_consistent
}

# mut_crash SYSCALL N OP [-P...]: a fresh sandbox (with app web added when
# OP is rm or start); crash its PID 1 at its Nth SYSCALL during OP; 0 if it fired.
mut_crash() {
    local sc=$1 n=$2 op=$3 pid1 rc=0
    shift 3
    sandbox || return 2
    if [ "$op" != add ]; then
        pc app add "$UUID" "$IMG" --name=web --exec=/probe -- sleep 60 || return 2
    fi
    if [ "$op" = rm ]; then
        pc app start "$UUID" --app=web >/dev/null || return 2
        wait_until 5 app_is "$UUID" 0 state ready || fail "web did not start" || return 2
    fi
    pid1=$(pod_pid1)
    crash_attach "$pid1" "$sc" "$n" "$@" || return 2
    case $op in
    add) timeout 20 "$PODCTL" --dir="$D" app add "$UUID" "$IMG" --name=web --exec=/probe -- sleep 60 >/dev/null 2>&1 || rc=$? ;;
    start) timeout 20 "$PODCTL" --dir="$D" app start "$UUID" --app=web >/dev/null 2>&1 || rc=$?
        wait_until 5 app_is "$UUID" 0 state ready >/dev/null 2>&1 || true ;;
    rm) timeout 20 "$PODCTL" --dir="$D" app rm "$UUID" --app=web >/dev/null 2>"$BATS_TEST_TMPDIR/op.err" || rc=$? ;;
    esac
    # strace may be stopped before it has printed the kill; a PID 1 gone (or
    # a zombie) while the operation failed says it fired all the same.
    if crash_detach || { [ "$rc" -ne 0 ] && wait_until 2 proc_dead "$pid1"; }; then
        wait_until 5 eval '! [ -d /proc/$pid1 ]' || true
        return 0
    fi
    [ "$rc" -eq 0 ] || fail "app $op failed ($rc) without a crash ($sc #$n):" "$(cat "$BATS_TEST_TMPDIR/op.err" 2>/dev/null)" || return 2
    return 1
}

@test "app add/start/rm: SIGKILL of PID 1 at every state-file rename, app fork (start) and unmount (rm)" {
    local op sc n r total=0 paths
    mapfile -t paths < <(pid1_paths web)
    for op in add start rm; do
        for sc in renameat umount2 clone; do
            [ "$sc" = renameat ] || { [ "$sc" = umount2 ] && [ "$op" = rm ]; } || { [ "$sc" = clone ] && [ "$op" = start ]; } || continue
            for ((n = 1; n <= CRASH_MAX_N; n++)); do
                r=0
                if [ "$sc" = renameat ]; then mut_crash "$sc" "$n" "$op" "${paths[@]}" || r=$?; else mut_crash "$sc" "$n" "$op" || r=$?; fi
                [ "$r" -le 1 ] || return 1
                if [ "$r" -eq 0 ]; then
                    assert_eq "$(pod_field "$UUID" state)" exited "pod state after PID 1 died in app $op" || return 1
                    total=$((total + 1))
                fi
                assert_consistent || fail "app $op: after SIGKILL at PID 1's $sc #$n" || return 1
                [ "$r" -eq 0 ] || break
            done
        done
    done
    assert_ge "$total" 4 "app crash points"
    echo "# app add/start/rm: $total crash points (PID 1)" >&3
}

# ------------------------------------------------------------------ exec

@test "exec: SIGKILL of PID 1 at the exec's fork; of podctl exec while the command runs" {
    local pid1 n
    for n in 1; do
        run_detached --start-grace=0 "$IMG" --name=web --exec=/probe -- sleep 60
        pid1=$(pod_pid1)
        crash_attach "$pid1" clone "$n"
        run timeout 10 "$PODCTL" --dir="$D" exec --app=web "$UUID" -- /probe sleep 77
        assert_failure
        crash_detach || fail "PID 1 did not fork for exec"
        assert_truth
        assert_eq "$(pod_field "$UUID" state)" exited "state after PID 1 died in an exec"
        assert_consistent
    done
    run_detached --start-grace=0 "$IMG" --name=web --exec=/probe -- sleep 60
    bg "$PODCTL" --dir="$D" exec --app=web "$UUID" -- /probe sleep 77
    wait_until 5 eval '[ "$(count_procs "^/probe sleep 77 ")" = 1 ]' || fail "the exec'd command did not start"
    kill -KILL "$BGP"
    wait_until 5 eval '[ "$(count_procs "^/probe sleep 77 ")" = 0 ]' ||
        fail "the command of a killed podctl exec runs on"
    assert_truth
    assert_eq "$(pod_field "$UUID" state)" running "the pod after podctl exec was killed"
    assert_consistent
}

# -------------------------------------------------------------------- gc

@test "gc: SIGKILL of podctl gc at its rename and at sampled unlinks (cgroups, then files); the next gc finishes" {
    local sc n fired total=0
    # One pod: 1 rename (to exited-garbage), then ~730 unlinkats: its cgroup
    # trees in 8 hierarchies first, then the pod directory.
    for sc in rename:1 rename:2 unlinkat:1 unlinkat:59 unlinkat:150 unlinkat:300 unlinkat:500 unlinkat:700 unlinkat:5000; do
        n=${sc#*:}
        sc=${sc%:*}
        pc run "$IMG" --exec=/probe -- exit 3 >/dev/null 2>&1 || true
        fired=0
        crash_cmd "$sc" "$n" -- "$PODCTL" --dir="$D" gc && fired=1
        if [ "$fired" -eq 1 ]; then
            total=$((total + 1))
            assert_truth || fail "after gc was killed at $sc #$n" || return 1
        fi
        assert_consistent || fail "gc killed at $sc #$n" || return 1
    done
    assert_ge "$total" 6 "gc crash points"
    echo "# gc: $total crash points" >&3
}
