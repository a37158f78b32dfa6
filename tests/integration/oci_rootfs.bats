#!/usr/bin/env bats
# Apps whose root is a directory the caller provides, not an image
# (stage0/rootfs.h: an OCI bundle's rootfs, as the containerd shim hands it
# over): `podctl app add --rootfs=DIR` binds DIR at the app's place on the
# host, and mount propagation carries that mount into a pod that is already
# running (its PID 1 has pivoted into its own mount namespace).

load helpers

setup_file() { build_images; }
setup() {
    pod_setup
    SHARED=
    SRC=$BATS_TEST_TMPDIR/ctr-rootfs
    cp -a "$IMG/rootfs" "$SRC"
}
teardown() {
    pod_teardown
    # Host mounts this test made (the shared state dir, the rootfs binds under it): gone before bats removes the files.
    if [ -n "$SHARED" ]; then
        umount -R -l "$D" 2>/dev/null || true
    fi
}

# The state dir on a shared mount, as / is on a systemd host: pods started in it receive later host mounts.
share_state_dir() {
    mkdir -p "$D"
    mount --bind "$D" "$D" || fail "binding $D"
    mount --make-rshared "$D" || fail "sharing $D"
    SHARED=1
}

is_mount_point() {
    findmnt -rn --mountpoint "$1" >/dev/null
}

@test "app add --rootfs: a directory mounted on the host after the pod started is the app's root" {
    share_state_dir
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    echo from-the-host >"$SRC/marker"
    run pc app add "$UUID" oci/ctr --rootfs="$SRC" --name=ctr --exec=/probe -- write-now /written
    assert_status 0
    is_mount_point "$(app_root ctr)" || fail "the rootfs is not mounted at the app's place on the host"
    run pc app start "$UUID" --app=ctr
    assert_status 0
    wait_until 5 app_is "$UUID" 0 state exited || fail "ctr did not run"
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 0 "exit code"
    # The app wrote into its root: the file is in the caller's directory, so that directory was its root.
    [ -s "$SRC/written" ] || fail "the app's write did not reach $SRC"
    assert_eq "$(pod_field "$UUID" apps.0.image)" oci/ctr "image name shown"
    # A second app of another directory, while the first is still there.
    SRC2=$BATS_TEST_TMPDIR/ctr2
    cp -a "$IMG/rootfs" "$SRC2"
    run pc app add "$UUID" oci/two --rootfs="$SRC2" --name=two --exec=/probe -- exit 3
    assert_status 0
    run pc app start "$UUID" --app=two
    assert_status 0
    wait_until 5 app_is "$UUID" 1 state exited || fail "two did not run"
    assert_eq "$(pod_field "$UUID" apps.1.exitCode)" 3 "second app's exit code"
    # rm unmounts first: the caller's files stay, the app's place goes.
    run pc app rm "$UUID" --app=ctr
    assert_status 0
    [ -f "$SRC/marker" ] && [ -x "$SRC/probe" ] || fail "app rm removed files of the caller's rootfs"
    [ ! -e "$POD/stage1/rootfs/opt/stage2/ctr" ] || fail "the app's place is left"
    run pc stop "$UUID"
    assert_status 0
}

@test "app add --rootfs: refused with a clear error where the mount cannot reach the running pod" {
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    run pc app add "$UUID" oci/ctr --rootfs="$SRC" --name=ctr --exec=/probe -- exit 0
    assert_failure
    assert_output_contains "not on a shared mount"
    [ ! -e "$POD/stage1/rootfs/opt/stage2/ctr" ] || fail "a refused app left its place"
    is_mount_point "$(app_root ctr)" && fail "a refused app left a mount"
    run pc app add "$UUID" oci/ctr --rootfs="$BATS_TEST_TMPDIR/nosuch" --name=ctr --exec=/probe -- exit 0
    assert_failure
    assert_output_contains "--rootfs=$BATS_TEST_TMPDIR/nosuch: No such file or directory"
    true
}

@test "run --rootfs: no image, the app's root is the directory (no propagation needed before the pod starts)" {
    echo hi >"$SRC/marker"
    run pc run --uuid-file-save="$BATS_TEST_TMPDIR/uuid" oci/ctr --rootfs="$SRC" --name=ctr --exec=/probe -- write-now /written
    assert_status 0
    [ -s "$SRC/written" ] || fail "the app's write did not reach $SRC"
    # Bound in the pod's own namespace by its launcher: nothing was mounted on the host.
    POD=$D/pods/run/$(cat "$BATS_TEST_TMPDIR/uuid")
    [ -f "$POD/stage1/rootfs/opt/stage2/ctr/rootfs-source" ] || fail "no rootfs-source in the app's directory"
    is_mount_point "$(app_root ctr)" && fail "podctl run left a mount on the host"
    run pc gc
    assert_status 0
    [ -x "$SRC/probe" ] || fail "gc removed files of the caller's rootfs"
    run pc run oci/ctr --rootfs="$SRC" --exec=/probe -- exit 0
    assert_failure
    assert_output_contains "needs a valid --name"
    run pc run oci/ctr --rootfs="$SRC" --name=ctr
    assert_failure
    assert_output_contains "give --exec=BINARY"
}
