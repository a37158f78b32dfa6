#!/usr/bin/env bats
# Resource exhaustion (issue 18): a pod under too many clients, or out of
# file descriptors, keeps running; what could not be done is refused with a
# clear error, once, and the rest of the pod is untouched.  (A full disk for
# the logs: logs.bats; an app flooding a stalled client or console:
# attach.bats and io.bats; memory limits of apps: cgroups.bats.)

load helpers

setup_file() { build_images; }
setup() { pod_setup; }
teardown() {
    pod_teardown
    if [ -n "${FULL_MNT-}" ]; then
        umount "$FULL_MNT" 2>/dev/null || umount -l "$FULL_MNT" 2>/dev/null || true
    fi
}

@test "1,000 connections at once: 64 are served, the rest get too-many-clients and are closed; the pod keeps running" {
    run_detached "$IMG" --exec=/probe -- sleep 120
    run ctl storm 1000
    assert_status 0
    assert_line "refused 936 served 64 other 0"
    assert_line "after status ok=True state=running"
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
    run pc exec "$UUID" -- /bin/echo still-here
    assert_status 0
    assert_output_is still-here
}

# add_until_refused UUID MAX: app add apps a1, a2, ... until one is refused
# (sets ADDED to how many were added and REFUSAL to the refusal's text)
add_until_refused() {
    local i out
    ADDED=0 REFUSAL=
    for ((i = 1; i <= $2; i++)); do
        if ! out=$(pc app add "$1" "$IMG" --name="a$i" --stdout=stream --stderr=stream --exec=/probe -- sleep 120 2>&1) ||
            ! out=$(pc app start "$1" --app="a$i" 2>&1); then
            REFUSAL=$out
            return 0
        fi
        wait_until 10 app_is "$1" $((i - 1)) state ready 2>/dev/null || { REFUSAL="a$i did not become ready: $out"; return 0; }
        ADDED=$i
    done
}

@test "out of file descriptors: the app that does not fit is refused with EMFILE; the pod, its other apps and its socket keep working" {
    # PID 1 raises its soft limit to the hard one: a hard limit of 48 leaves
    # room for the pod itself and a few apps, each with two stream pipes.
    UUID=$(ulimit -Sn 48 && ulimit -Hn 48 && pc app sandbox -d) || fail "app sandbox failed under a 48-fd limit"
    POD=$D/pods/run/$UUID
    add_until_refused "$UUID" 40
    [ "$ADDED" -ge 2 ] || fail "only $ADDED apps fit in 48 fds: $REFUSAL"
    [ "$ADDED" -lt 40 ] || fail "40 apps fit in 48 fds: the limit did not hold"
    [[ $REFUSAL == *"Too many open files"* ]] || fail "the refusal does not say why:" "$REFUSAL"
    echo "# $ADDED apps fit in 48 fds; the next: $REFUSAL" >&3
    # The pod and the apps already running are untouched, and the socket still answers.
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
    for ((i = 0; i < ADDED; i++)); do
        assert_eq "$(pod_field "$UUID" apps.$i.state)" ready "app a$((i + 1))'s state"
    done
    # An exec needs fds too: refused the same way while there are none, it works once an app is gone.
    run pc exec "$UUID" --app=a2 -- /bin/echo fd-ok
    [ "$status" -eq 0 ] || assert_output_contains "Too many open files"
    pc app stop "$UUID" --app=a1 >/dev/null
    pc app rm "$UUID" --app=a1 >/dev/null
    pc app rm "$UUID" --app="a$((ADDED + 1))" >/dev/null 2>&1 || true
    run pc exec "$UUID" --app=a2 -- /bin/echo fd-ok
    assert_status 0
    assert_output_is fd-ok
    run pc app add "$UUID" "$IMG" --name=late --exec=/probe -- sleep 120
    assert_status 0
    run pc app start "$UUID" --app=late
    assert_status 0
    run pc stop "$UUID"
    assert_status 0
}

@test "a full disk under the pod's state: the pod keeps running, the live status is right, and the files catch up once there is room" {
    mkdir -p "$D"
    mount -t tmpfs -o size=24m podinit-full "$D"
    FULL_MNT=$D
    UUID=$(pc app sandbox -d) || fail "app sandbox failed"
    POD=$D/pods/run/$UUID
    pc app add "$UUID" "$IMG" --name=x --exec=/probe -- sleep 120 >/dev/null
    pc app start "$UUID" --app=x >/dev/null
    wait_until 10 app_is "$UUID" 0 state ready || fail "x did not start"
    # Fill the disk, then change the app's state twice.
    dd if=/dev/zero of="$D/fill" bs=1M count=64 2>/dev/null || true
    run pc app stop "$UUID" --app=x
    assert_status 0
    run pc app start "$UUID" --app=x
    assert_status 0
    wait_until 10 app_is "$UUID" 0 state ready || fail "x did not start again on a full disk"
    assert_eq "$(pod_field "$UUID" apps.0.restarts)" 0 "restarts (a manual start is not a restart)"
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
    # Room again: the stop is recorded on disk, where podctl reads it after the pod is gone.
    rm -f "$D/fill"
    run pc stop "$UUID"
    assert_status 0
    assert_eq "$(pod_field "$UUID" state)" exited "pod state on disk after stop"
    [[ "$(pod_field "$UUID" exitReason)" != *killed* ]] || fail "the pod's exit was not recorded: $(pod_field "$UUID" exitReason)"
}
