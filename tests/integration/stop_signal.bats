#!/usr/bin/env bats
# The stop signal (docs/lifecycle.md "Stopping"): podinit.io/stop-signal
# (podctl run --stop-signal) is the first signal a stop sends an app, SIGTERM
# when unset; SIGKILL and SIGSTOP are refused before any pod exists.  The
# apps trap the signals they may get and exit with 128+N, so each app's exit
# code says which signal reached it first.

load helpers

setup_file() { build_images; }
setup() { pod_setup; }
teardown() { pod_teardown; }

# A shell that exits 128+N on QUIT (3), USR1 (10) or TERM (15) and creates
# /tmp/trapping once its traps are set, so the test never stops it earlier.
# No core file from the sleep that the signal to the group kills.
TRAPPER='ulimit -c 0; trap "exit 131" QUIT; trap "exit 138" USR1; trap "exit 143" TERM; touch /tmp/trapping; while :; do sleep 0.05; done'

# wait_trapping APP...: every app has set its traps.
wait_trapping() {
    local a
    for a in "$@"; do
        wait_until 10 test -e "$(app_root "$a")/tmp/trapping" || fail "app $a did not set its traps within 10 s" || return 1
    done
}

@test "--stop-signal=SIGQUIT: podctl stop sends SIGQUIT to that app and SIGTERM to the others" {
    run_detached "$IMG" --name=quit --stop-signal=SIGQUIT --exec=/bin/sh -- -c "$TRAPPER" \
        --- "$IMG" --name=default --exec=/bin/sh -- -c "$TRAPPER"
    wait_trapping quit default
    run pc stop "$UUID"
    assert_status 0
    # A trap's code, not death by the SIGKILL that follows the stop timeout:
    # the first signal each app got.
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 131 "app quit exited from its QUIT trap"
    assert_eq "$(pod_field "$UUID" apps.1.exitCode)" 143 "app default exited from its TERM trap"
    assert_eq "$(pod_field "$UUID" apps.0.signalName)" "" "app quit was not killed"
}

@test "podinit.io/stop-signal in a pod manifest: a name without SIG and a number" {
    local sh=${TRAPPER//\"/\\\"}    # as a JSON string
    cat >"$BATS_TEST_TMPDIR/pod.json" <<EOF
{"acKind":"PodManifest","acVersion":"0.8.11","apps":[
 {"name":"by-name","image":{"name":"example.com/busybox"},
  "app":{"exec":["/bin/sh","-c","$sh"],"user":"0","group":"0"},
  "annotations":[{"name":"podinit.io/stop-signal","value":"USR1"}]},
 {"name":"by-number","image":{"name":"example.com/busybox"},
  "app":{"exec":["/bin/sh","-c","$sh"],"user":"0","group":"0"},
  "annotations":[{"name":"podinit.io/stop-signal","value":"3"}]}]}
EOF
    run_detached --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    wait_trapping by-name by-number
    run pc stop "$UUID"
    assert_status 0
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 138 "USR1 reached app by-name"
    assert_eq "$(pod_field "$UUID" apps.1.exitCode)" 131 "signal 3 (QUIT) reached app by-number"
}

@test "an app that does not handle its stop signal dies of it: the status names the signal" {
    run_detached "$IMG" --name=plain --stop-signal=USR1 --exec=/probe -- sleep 60 \
        --- "$IMG" --name=default --exec=/probe -- sleep 60
    run pc stop "$UUID"
    assert_status 0
    assert_eq "$(pod_field "$UUID" apps.0.signalName)" USR1 "app plain"
    assert_eq "$(pod_field "$UUID" apps.1.signalName)" TERM "app default"
}

@test "SIGKILL and SIGSTOP are refused as stop signals, before a pod exists" {
    local sig
    for sig in SIGKILL KILL 9 SIGSTOP 19; do
        run pc run "$IMG" --name=a --stop-signal="$sig" --exec=/probe -- exit 0
        assert_failure
        assert_output_contains "podinit.io/stop-signal: \"$sig\" cannot be a stop signal"
    done
    run pc run "$IMG" --name=a --stop-signal=SIGNOPE --exec=/probe -- exit 0
    assert_failure
    assert_output_contains "\"SIGNOPE\" is not a signal"
    cat >"$BATS_TEST_TMPDIR/pod.json" <<'EOF'
{"acKind":"PodManifest","acVersion":"0.8.11","apps":[
 {"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":["/probe","exit","0"],"user":"0","group":"0"},
  "annotations":[{"name":"podinit.io/stop-signal","value":"STOP"}]}]}
EOF
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "apps[0].annotations: podinit.io/stop-signal: \"STOP\" cannot be a stop signal"
    assert_no_pod_dirs
}
