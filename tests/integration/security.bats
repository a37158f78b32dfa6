#!/usr/bin/env bats
# Confinement that must hold against a hostile app (docs/architecture.md
# "Confinement"): each app is in a mount namespace of its own rooted at its
# rootfs with pivot_root, so no chroot trick reaches the pod's root, the
# control socket or another app's files; the control socket refuses peers
# from inside the pod; PID 1 never reads a FIFO or device from an image;
# signals sent while an app is being forked reach the app, not PID 1.

load helpers

setup_file() { build_images; }

setup() { pod_setup; }

teardown() { pod_teardown; }

@test "security: the chroot break from a default app finds neither the control socket nor another app's files" {
    run pc run "$IMG" --name=other --exec=/probe -- sleep 2 \
        --- "$IMG" --name=evil --exec=/probe -- chroot-escape \
        /rkt/podinit/control.sock /rkt/podinit /opt/stage2/other/rootfs/probe /opt/stage2/evil /probe
    assert_status 0
    assert_line "absent /rkt/podinit/control.sock"
    assert_line "absent /rkt/podinit"
    assert_line "absent /opt/stage2/other/rootfs/probe"
    assert_line "absent /opt/stage2/evil"
    # It stayed in its own root, where its own files are.
    assert_line "found /probe"
}

@test "security: an exec session and a probe see only the app's root" {
    run_detached "$IMG" --name=a --exec=/probe -- sleep 60
    run pc exec --app=a "$UUID" -- /probe chroot-escape /rkt/podinit/control.sock /opt/stage2/a/rootfs /probe
    assert_status 0
    assert_line "absent /rkt/podinit/control.sock"
    assert_line "absent /opt/stage2/a/rootfs"
    assert_line "found /probe"
}

@test "security: the control socket refuses a peer inside the pod's pid namespace" {
    run_detached "$IMG" --name=a --exec=/probe -- sleep 60
    local pid1
    pid1=$(pod_pid1)
    # Same uid (root), same host mount namespace, the socket's host path: only
    # the pid namespace differs from podctl's.
    # Refused at accept: the error frame comes unasked (a request sent first
    # may meet the closed socket, EPIPE, before the answer is read).
    run nsenter -t "$pid1" -p -- "$PYTHON" "$CTL_PY" "$POD/stage1/rootfs/rkt/podinit" recv
    assert_output_contains "permission-denied"
    assert_output_contains "inside the pod"
    run nsenter -t "$pid1" -p -- "$PODCTL" --dir="$D" stop "$UUID"
    assert_failure
    [ "$(pod_field "$UUID" state)" = running ] || fail "a peer inside the pod stopped it"
    # The same client from the host is served.
    run ctl 'call:{"op":"status"}'
    refute_output_contains "permission-denied"
    assert_output_contains '"state"'
}

@test "security: a FIFO at the image's /etc/passwd fails the pod with a clear message, PID 1 is not wedged" {
    local img=$BATS_TEST_TMPDIR/img
    cp -a "$IMG" "$img"
    rm -f "$img/rootfs/etc/passwd"
    mkfifo "$img/rootfs/etc/passwd"
    run timeout 20 "$PODCTL" --dir="$D" run --net=none "$img" --user=0 --exec=/probe -- exit 0
    assert_failure
    [ "$status" -ne 124 ] || fail "podctl run hung on a FIFO at /etc/passwd"
    assert_output_contains "/etc/passwd is not a regular file"
}

@test "security: a FIFO at the image's /etc/group is refused for a named group" {
    local img=$BATS_TEST_TMPDIR/img
    cp -a "$IMG" "$img"
    rm -f "$img/rootfs/etc/group"
    mkfifo "$img/rootfs/etc/group"
    run timeout 20 "$PODCTL" --dir="$D" run --net=none "$img" --user=0 --group=users --exec=/probe -- exit 0
    assert_failure
    [ "$status" -ne 124 ] || fail "podctl run hung on a device at /etc/group"
    assert_output_contains "/etc/group is not a regular file"
}

# term_starting_run N: N times, start `podctl run` and send it SIGTERM the
# moment the pod's pid file appears (PID 1 exists, its handlers may not yet);
# each run must end within 8 s (the stop timeout is 60 s, so a lost TERM or
# a KILL after the timeout both fail) with the app ended by SIGTERM.
term_starting_run() {
    "$PYTHON" - "$PODCTL" "$D" "$IMG" "$1" <<'PY'
import glob, os, signal, subprocess, sys, time
podctl, d, img, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for i in range(n):
    before = set(glob.glob(d + "/pods/run/*"))
    p = subprocess.Popen([podctl, "--dir=" + d, "run", "--stop-timeout=60s", img, "--exec=/probe", "--", "sleep", "60"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    pid = None
    while time.time() < deadline and pid is None:
        for pod in set(glob.glob(d + "/pods/run/*")) - before:
            if os.path.exists(pod + "/pid"):
                pid = pod
        if pid is None:
            time.sleep(0.0005)
    if pid is None:
        p.kill()
        sys.exit("run %d: no pid file within 20 s: %s" % (i, p.stderr.read().decode()))
    p.send_signal(signal.SIGTERM)
    t0 = time.time()
    try:
        rc = p.wait(timeout=8)
    except subprocess.TimeoutExpired:
        p.kill()
        sys.exit("run %d: podctl run did not end within 8 s of SIGTERM" % i)
    print("run %d: rc %d after %.2f s pod %s" % (i, rc, time.time() - t0, os.path.basename(pid)))
PY
}

@test "signals: SIGTERM to a podctl run whose PID 1 is starting stops the pod, none is lost" {
    run term_starting_run 8
    assert_status 0
    local u
    for u in $(printf '%s\n' "$output" | awk '{ print $NF }'); do
        # The app got the TERM (not a KILL after the stop timeout).
        assert_eq "$(pod_field "$u" apps.0.signal)" 15 "pod $u app signal (SIGTERM)"
    done
}

@test "signals: app-add, app-start, app-stop back to back stop only the new app, never the pod" {
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        mkdir -p "$POD/stage1/rootfs/opt/stage2/a$i"
        cp -a "$IMG/rootfs" "$POD/stage1/rootfs/opt/stage2/a$i/rootfs"
        cp "$IMG/manifest" "$POD/stage1/rootfs/opt/stage2/a$i/manifest"
        run ctl "call:{\"op\":\"app-add\",\"app\":{\"name\":\"a$i\",\"image\":{\"name\":\"x\"},\"app\":{\"exec\":[\"/probe\",\"sleep\",\"60\"],\"user\":\"0\",\"group\":\"0\"}}}" \
            "call:{\"op\":\"app-start\",\"app\":\"a$i\"}" "call:{\"op\":\"app-stop\",\"app\":\"a$i\"}"
        assert_status 0
        assert_contains "${lines[2]}" '"ok":true' "app-stop a$i"
        wait_until 5 app_is "$UUID" $((i - 1)) state exited || fail "a$i did not stop"
        assert_eq "$(pod_field "$UUID" state)" running "pod state after a$i"
        assert_eq "$(pod_field "$UUID" apps.$((i - 1)).signal)" 15 "a$i's end (SIGTERM)"
    done
}
