#!/usr/bin/env bats
# Errors: bad and hostile images, bad pod manifests, bad command lines.
# Every refused `run` exits non-zero with a clear message and leaves no pod
# directory behind, and nothing is written outside the state directory.

load helpers

setup_file() {
    build_images
    HOSTILE=$BATS_FILE_TMPDIR/hostile
    mkdir -p "$HOSTILE"
    local k
    for k in dotdot absolute symlink-escape hardlink-escape no-manifest bad-manifest not-an-archive; do
        bash "$PODINIT_SRC/tests/lib/mkaci.sh" --hostile "$k" "$HOSTILE/$k.aci"
    done
    bash "$PODINIT_SRC/tests/lib/mkaci.sh" --hostile dotdot "$HOSTILE/dotdot-gz.aci" --gzip
    bash "$PODINIT_SRC/tests/lib/mkaci.sh" --hostile symlink-escape "$HOSTILE/symlink-escape-gz.aci" --gzip
    export HOSTILE
}

setup() {
    pod_setup
    # Work from deep inside the test's own directory, so that any relative
    # escape ("../../x") would land somewhere this test can see.
    WORK=$BATS_TEST_TMPDIR/w1/w2/w3/w4/w5/w6/w7/w8/w9/cwd
    mkdir -p "$WORK"
    cd "$WORK"
    rm -f /tmp/podinit-evil-abs /tmp/podinit-evil-link /podinit-evil-link /tmp/evil
}

teardown() { pod_teardown; }

# A manifest for --pod-manifest tests: one app named a, the test image.
POD_OK='{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":["/probe","print","hi"],"user":"0","group":"0"}}]}'

write_manifest() { printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/pod.json"; }

# Run with a hostile image and check the common guarantees.
run_hostile() {
    local kind=$1 links_before links_after
    links_before=$(stat -c %h /etc/passwd)
    run pc run "$HOSTILE/$kind.aci"
    links_after=$(stat -c %h /etc/passwd)
    assert_failure
    assert_output_contains "$HOSTILE/$kind.aci"
    assert_no_pod_dirs
    assert_eq "$links_after" "$links_before" "link count of /etc/passwd"
    local stray
    stray=$(find "$BATS_TEST_TMPDIR" \( -name evil -o -name 'podinit-evil*' -o -name hl -o -name hl-src \) 2>/dev/null)
    [ -z "$stray" ] || fail "files from the hostile image were written:" "$stray"
    [ ! -e /tmp/podinit-evil-abs ] || fail "/tmp/podinit-evil-abs was created"
    [ ! -e /tmp/podinit-evil-link ] || fail "/tmp/podinit-evil-link was created"
    [ ! -e /podinit-evil-link ] || fail "/podinit-evil-link was created"
    [ ! -e /tmp/evil ] || fail "/tmp/evil was created"
}

@test "no such image path" {
    run pc run "$BATS_TEST_TMPDIR/does-not-exist.aci"
    assert_failure
    assert_output_contains "no such image $BATS_TEST_TMPDIR/does-not-exist.aci"
    assert_no_pod_dirs
}

@test "a directory that is not an image is refused" {
    mkdir -p "$BATS_TEST_TMPDIR/empty-dir"
    run pc run "$BATS_TEST_TMPDIR/empty-dir"
    assert_failure
    assert_output_contains "empty-dir"
    assert_output_contains "manifest"
    assert_no_pod_dirs
}

@test "an image directory without rootfs/ is refused" {
    mkdir -p "$BATS_TEST_TMPDIR/norootfs"
    cp "$IMG/manifest" "$BATS_TEST_TMPDIR/norootfs/manifest"
    run pc run "$BATS_TEST_TMPDIR/norootfs"
    assert_failure
    assert_output_contains "rootfs"
    assert_no_pod_dirs
}

@test "hostile image: an entry with .. is refused" {
    run_hostile dotdot
    assert_output_contains ".."
    run_hostile dotdot-gz
    assert_output_contains ".."
}

@test "hostile image: an absolute entry is refused" {
    run_hostile absolute
    assert_output_contains "absolute"
}

@test "hostile image: a symlink escaping the rootfs is refused" {
    run_hostile symlink-escape
    assert_output_contains "outside the rootfs"
    run_hostile symlink-escape-gz
    assert_output_contains "outside the rootfs"
}

@test "hostile image: a hard link escaping the rootfs is refused" {
    run_hostile hardlink-escape
    [[ $output == *"outside the rootfs"* || $output == *'".."'* ]] ||
        { _dump_run; fail "expected the message to say the hard link escapes (outside the rootfs / ..)"; }
    assert_output_contains "hard link"
}

@test "hostile image: an archive without a manifest is refused" {
    run_hostile no-manifest
    assert_output_contains "manifest"
}

@test "hostile image: a manifest that is not JSON is refused" {
    run_hostile bad-manifest
    assert_output_contains "manifest"
    assert_output_contains "JSON"
}

@test "hostile image: random bytes are refused as not an archive" {
    run_hostile not-an-archive
    assert_output_contains "archive"
}

@test "a valid --pod-manifest runs" {
    write_manifest "$POD_OK"
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_output_is "hi"
}

@test "--pod-manifest: invalid JSON" {
    write_manifest '{"acKind":"PodManifest","apps":['
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "pod.json"
    assert_output_contains "invalid JSON"
    assert_no_pod_dirs
}

@test "--pod-manifest: exec that is not a list of strings" {
    write_manifest '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":"/probe print hi","user":"0","group":"0"}}]}'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    # docs/manifest.md spells the path apps[0].app.exec.
    assert_output_contains "apps[0]"
    assert_output_contains ".exec: expected a list of strings"
    assert_no_pod_dirs
    write_manifest '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":["/probe",5],"user":"0","group":"0"}}]}'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains ".exec: expected a list of strings"
    assert_no_pod_dirs
}

@test "--pod-manifest: duplicate app names" {
    write_manifest '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/busybox"}},{"name":"a","image":{"name":"example.com/busybox"}}]}'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains '"a"'
    assert_output_contains "twice"
    assert_no_pod_dirs
}

@test "--pod-manifest: invalid app name" {
    write_manifest '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"Bad_Name","image":{"name":"example.com/busybox"}}]}'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "Bad_Name"
    assert_output_contains "not a valid app name"
    assert_no_pod_dirs
}

@test "--pod-manifest: an image name none of the given images provides" {
    write_manifest '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/nosuch"}}]}'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "example.com/nosuch"
    assert_no_pod_dirs
    # The same with an .aci, which has to be unpacked to learn its name.
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$ACI"
    assert_failure
    assert_output_contains "example.com/nosuch"
    assert_no_pod_dirs
}

@test "--pod-manifest: empty exec" {
    write_manifest '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":[],"user":"0","group":"0"}}]}'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "exec"
    assert_output_contains "empty"
    assert_no_pod_dirs
}

@test "--pod-manifest: a manifest over 1 MiB is refused with the limit in the message" {
    "$PYTHON" - "$BATS_TEST_TMPDIR/pod.json" <<'EOF'
import json, sys
m = {"acKind": "PodManifest", "acVersion": "0.8.11",
     "apps": [{"name": "a", "image": {"name": "example.com/busybox"}}],
     "annotations": [{"name": "example.com/pad", "value": "x" * (1 << 20)}]}
json.dump(m, open(sys.argv[1], "w"))
EOF
    [ "$(stat -c %s "$BATS_TEST_TMPDIR/pod.json")" -gt 1048576 ] || fail "test manifest is too small"
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "1 MiB"
    assert_no_pod_dirs
}

@test "--pod-manifest: a missing file" {
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/nope.json" "$IMG"
    assert_failure
    assert_output_contains "nope.json"
    assert_no_pod_dirs
}

@test "--pod-manifest cannot be combined with app flags" {
    write_manifest "$POD_OK"
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG" --exec=/bin/true
    assert_status 2
    assert_output_contains "pod-manifest"
    assert_no_pod_dirs
}

@test "run: bad --net, bad --stop-timeout and a missing IMAGE are usage errors" {
    run pc run --net=bri/dge "$IMG"
    assert_status 2
    assert_output_contains "bri/dge"
    run pc run --stop-timeout=soon "$IMG"
    assert_status 2
    assert_output_contains "soon"
    run pc run
    assert_status 2
    assert_output_contains "IMAGE"
    assert_no_pod_dirs
}

@test "an unknown flag exits 2 with a message" {
    run pc --bogus-flag list
    assert_status 2
    assert_output_contains "bogus-flag"
    run pc run --bogus-run-flag "$IMG"
    assert_status 2
    assert_output_contains "bogus-run-flag"
    run pc run "$IMG" --bogus-app-flag=1
    assert_status 2
    assert_output_contains "bogus-app-flag"
    run pc stop --bogus-stop-flag x
    assert_status 2
    assert_output_contains "bogus-stop-flag"
    assert_no_pod_dirs
}

@test "podctl with no verb prints usage and exits 2; an unknown verb too" {
    run pc
    assert_status 2
    assert_output_contains "usage"
    run pc frobnicate
    assert_status 2
    assert_output_contains "frobnicate"
    assert_output_contains "usage"
    run pc --help
    assert_status 0
    assert_output_contains "usage"
}

@test "status of an unknown pod fails with 'no pod'" {
    run pc status 01234567-89ab-4cde-8f01-23456789abcd
    assert_failure
    assert_output_contains "no pod"
    run pc status --json deadbeef
    assert_failure
    assert_output_contains "no pod"
}

@test "run: two apps with the same name are refused, nothing left behind" {
    run pc run "$IMG" --exec=/probe -- print x --- "$IMG" --exec=/probe -- print y
    assert_failure
    assert_output_contains '"busybox"'
    refute_output_contains "x"$'\n'"y"
    assert_no_pod_dirs
}

@test "run: an invalid --name, a bad --set-env and an unwritable --uuid-file-save are refused" {
    run pc run "$IMG" --name=Bad_Name --exec=/probe -- print x
    assert_failure
    assert_output_contains "Bad_Name"
    assert_no_pod_dirs
    run pc run "$IMG" --set-env=NOEQUALS --exec=/probe -- print x
    assert_failure
    assert_output_contains "NOEQUALS"
    assert_no_pod_dirs
    run pc run --uuid-file-save="$BATS_TEST_TMPDIR/no/such/dir/uuid" "$IMG" --exec=/probe -- print x
    assert_failure
    assert_output_contains "no/such/dir/uuid"
    assert_no_pod_dirs
}
