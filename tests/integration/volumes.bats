#!/usr/bin/env bats
# Volumes and mounts (docs/manifest.md "Volumes and mounts"): host and empty
# volumes, read-only (recursively), recursive binds, image mount points,
# targets that try to leave the app's rootfs, a read-only root, device
# volumes, and the podctl flags for volumes, mounts and resources.

load helpers

setup_file() { build_images; }

setup() {
    pod_setup
    H=$BATS_TEST_TMPDIR/host
    mkdir -p "$H/sub"
    echo hello >"$H/f"
}

teardown() {
    pod_teardown
    umount "$H/sub" 2>/dev/null || true
}

# mounted_on_host PATTERN: the host's mount table mentions PATTERN.
mounted_on_host() { grep -qF -- "$1" /proc/self/mountinfo; }

@test "volumes: a host volume shows the host's files; writes reach the host; a read-only one refuses them" {
    run pc run --volume=data,kind=host,source="$H" --volume=ro,kind=host,source="$H",readOnly=true \
        "$IMG" --mount=volume=data,target=/data --mount=volume=ro,target=/ro --exec=/bin/sh -- -c \
        'cat /data/f; echo w >/data/new && echo wrote; echo x >/ro/x || echo ro-refused'
    assert_status 0
    assert_output_contains hello
    assert_output_contains wrote
    assert_output_contains "Read-only file system"
    assert_output_contains ro-refused
    assert_eq "$(cat "$H/new")" w "file written through the volume"
    [ ! -e "$H/x" ] || fail "the read-only volume was written"
    only_pod
    ! mounted_on_host "$UUID" || fail "a volume mount leaked to the host"
}

@test "volumes: read-only is recursive (submounts too); recursive=false does not bring submounts" {
    mount -t tmpfs podinit-vol-test "$H/sub"
    echo inner >"$H/sub/inner"
    run pc run --volume=ro,kind=host,source="$H",readOnly=true --volume=flat,kind=host,source="$H",recursive=false \
        --volume=deep,kind=host,source="$H" \
        "$IMG" --mount=volume=ro,target=/ro --mount=volume=flat,target=/flat --mount=volume=deep,target=/deep \
        --exec=/bin/sh -- -c 'cat /ro/sub/inner; echo x >/ro/sub/x || echo sub-refused;
            cat /deep/sub/inner && echo deep-has-it; [ -e /flat/sub/inner ] || echo flat-lacks-it'
    assert_status 0
    assert_output_contains inner
    assert_output_contains sub-refused
    assert_output_contains deep-has-it
    assert_output_contains flat-lacks-it
    [ ! -e "$H/sub/x" ] || fail "the submount of a read-only volume was written"
}

@test "volumes: an empty volume is shared by the apps that mount it, with its mode and owner" {
    # The writer renames its file into place: the reader waits for the name, and a file created
    # by the redirection alone could be seen (and read) before the echo wrote into it.
    run pc run --volume=shared,kind=empty,mode=0750,uid=1000,gid=1001 \
        "$IMG" --name=writer --mount=volume=shared,target=/s --exec=/bin/sh -- -c 'echo from-writer >/s/.msg && mv /s/.msg /s/msg' \
        --- "$IMG" --name=reader --mount=volume=shared,target=/mnt/s --exec=/bin/sh -- -c \
        'while [ ! -e /mnt/s/msg ]; do sleep 0.05; done; cat /mnt/s/msg; stat -c "mode %a owner %u:%g" /mnt/s'
    assert_status 0
    assert_output_contains from-writer
    assert_output_contains "mode 750 owner 1000:1001"
    only_pod
    [ -d "$POD/sharedVolumes/shared" ] || fail "no $POD/sharedVolumes/shared"
}

@test "volumes: image mount points use the pod volume of their name (its readOnly wins) or an implicit empty one" {
    printf '{"acKind":"PodManifest","acVersion":"0.8.11","volumes":[{"name":"data","kind":"host","source":"%s","readOnly":true}],"apps":[{"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":["/bin/sh","-c","cat /mp/f; echo x >/mp/x || echo mp-ro; echo y >/scratch/y && echo scratch-rw"],"user":"0","group":"0","mountPoints":[{"name":"data","path":"/mp","readOnly":false},{"name":"scratch","path":"/scratch"}]}}]}\n' \
        "$H" >"$BATS_TEST_TMPDIR/pod.json"
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_output_contains hello
    assert_output_contains mp-ro
    assert_output_contains scratch-rw
    assert_output_contains 'no volume for its mount point "scratch" (/scratch): using an empty volume "a-scratch"'
    only_pod
    [ -f "$POD/sharedVolumes/a-scratch/y" ] || fail "the implicit volume is not in sharedVolumes"
}

@test "volumes: a missing host source exits 1 (as rkt) naming the volume and path; nothing is left mounted" {
    run pc run --volume=data,kind=host,source="$H/nope" "$IMG" --mount=volume=data,target=/data --exec=/bin/true
    assert_status 1
    assert_output_contains "volume \"data\": Failed to stat $H/nope: No such file or directory"
    ! mounted_on_host "$D/pods" || fail "something of the pod is still mounted on the host"
    # A source under a file is as missing (ENOTDIR); other setup failures keep 254.
    run pc run --volume=data,kind=host,source="$H/f/x" "$IMG" --mount=volume=data,target=/data --exec=/bin/true
    assert_status 1
    assert_output_contains "Failed to stat $H/f/x: Not a directory"
}

@test "volumes: a volume inside another's target is mounted inside it, whatever the order they are given in" {
    mkdir -p "$H/outer" "$H/inner" "$H/deep"
    echo o >"$H/outer/o"
    echo i >"$H/inner/i"
    echo d >"$H/deep/d"
    # Innermost first: each must end up inside the one above it (it used to be hidden by it).
    run pc run --volume=in,kind=host,source="$H/inner" --volume=out,kind=host,source="$H/outer",readOnly=false \
        --volume=deep,kind=host,source="$H/deep" "$IMG" \
        --mount=volume=deep,target=/data/sub/deeper --mount=volume=in,target=/data//sub/ --mount=volume=out,target=/data \
        --exec=/bin/sh -- -c 'cat /data/o /data/sub/i /data/sub/deeper/d'
    assert_status 0
    assert_eq "$(printf '%s\n' "$output" | tr -d '\r' | grep -xE 'o|i|d' | tr -d '\n')" oid "the three volumes"
    # The inner target was made in the outer volume's source, as rkt did.
    [ -d "$H/outer/sub" ] || fail "no mount point made in the outer volume"
}

@test "volumes: a file volume over a directory (or the reverse) says so, naming the volume, source and target" {
    run pc run --volume=f,kind=host,source="$H/f" "$IMG" --mount=volume=f,target=/etc --exec=/bin/true
    assert_status 254
    assert_output_contains "volume \"f\": source $H/f is a file but target /etc in the image is a directory"
    run pc run --volume=d,kind=host,source="$H/sub" "$IMG" --mount=volume=d,target=/etc/passwd --exec=/bin/true
    assert_status 254
    assert_output_contains "volume \"d\": source $H/sub is a directory but target /etc/passwd in the image is a file"
}

# rkt's TestVolumeSysfs: sysfs is there unless the app has a volume at or under /sys.
@test "volumes: a volume at or under /sys replaces the app's sysfs (a file volume at /sys/class works)" {
    run pc run "$IMG" --exec=/bin/sh -- -c 'stat -c "/sys/class: %A" /sys/class'
    assert_status 0
    assert_output_contains "/sys/class: drwxr-xr-x"
    run pc run --volume=sysdir,kind=empty "$IMG" --mount=volume=sysdir,target=/sys --exec=/bin/sh -- -c 'stat /sys/class'
    assert_output_contains "can't stat '/sys/class': No such file or directory"
    run pc run --volume=sysdir,kind=host,source=/sys "$IMG" --mount=volume=sysdir,target=/sys --exec=/bin/sh -- -c \
        'stat -c "/sys/class: %A" /sys/class'
    assert_status 0
    assert_output_contains "/sys/class: drwxr-xr-x"
    # A file (here a device) volume at /sys/class: it used to fail with EINVAL (a file over sysfs's directory).
    run pc run --volume=sysdir,kind=host,source=/dev/null "$IMG" --mount=volume=sysdir,target=/sys/class --exec=/bin/sh -- -c \
        'stat -c "/sys/class: %A" /sys/class; echo x >/sys/class && echo wrote'
    assert_status 0
    assert_output_contains "/sys/class: crw-rw-rw-"
    assert_output_contains wrote
    run pc run --volume=f,kind=host,source="$H/f" "$IMG" --mount=volume=f,target=/sys/kernel/podinit-file --exec=/bin/cat -- \
        /sys/kernel/podinit-file
    assert_status 0
    assert_output_contains hello
}

@test "volumes: targets cannot leave the app's rootfs (.., absolute and relative symlinks)" {
    # The image checks refuse symlinks that climb out, so they are put into
    # a prepared pod's rootfs (PODINIT=/bin/true), which podinit then runs.
    local evil=$BATS_TEST_TMPDIR/evil root
    mkdir -p "$evil"
    PODINIT=/bin/true run pc run --volume=data,kind=host,source="$H" "$IMG" \
        --mount=volume=data,target=../../../../..$evil/dotdot \
        --mount=volume=data,target=/abs-link/abs \
        --mount=volume=data,target=/d/rel-link$evil/rel \
        --exec=/bin/sh -- -c "cat $evil/dotdot/f $evil/abs/f $evil/rel/f"
    assert_status 0
    only_pod
    root=$(app_root busybox)
    mkdir -p "$root/d"
    ln -s "$evil" "$root/abs-link"                          # absolute: taken inside the rootfs
    ln -s ../../../../../../../../../.. "$root/d/rel-link"    # relative: stops at the rootfs
    run sh -c 'cd "$1" && exec "$2" --net=none --console-format=raw "$3"' sh "$POD" "$PODINIT_BIN_DIR/podinit" "$UUID"
    assert_status 0
    [ "$(printf '%s\n' "$output" | grep -c hello)" -eq 3 ] || fail "expected the three mounts inside the app:" "$output"
    [ -z "$(ls -A "$evil")" ] || fail "a mount target was created on the host: $(ls -A "$evil")"
    [ -d "$root$evil/dotdot" ] && [ -d "$root$evil/abs" ] && [ -d "$root$evil/rel" ] ||
        fail "the targets are not inside the rootfs: $(find "$root$evil" 2>&1)"
}

@test "volumes: --readonly-rootfs makes the app's root read-only; its rw volumes stay writable" {
    run pc run --volume=data,kind=host,source="$H" "$IMG" --readonly-rootfs --mount=volume=data,target=/data \
        --exec=/bin/sh -- -c 'touch /newfile || echo root-refused; echo ok >/data/w && echo vol-rw'
    assert_status 0
    assert_output_contains "Read-only file system"
    assert_output_contains root-refused
    assert_output_contains vol-rw
}

@test "devices: a device node given as a volume is usable; others stay refused" {
    [ -c /dev/loop-control ] || fail "this test needs /dev/loop-control on the host (modprobe loop)"
    run pc run --volume=loop,kind=host,source=/dev/loop-control "$IMG" --mount=volume=loop,target=/dev/loop-control \
        --exec=/bin/sh -- -c 'dd if=/dev/loop-control of=/dev/null bs=1 count=1; echo rc=$?'
    # Opening succeeds; reading a control device fails with EINVAL, not EPERM.
    assert_output_contains "Invalid argument"
    refute_output_contains "Operation not permitted"
}

@test "flags: --volume, --mount and the resource flags are checked up front (exit 2)" {
    local bad
    for bad in "--volume=x" "--volume=x,kind=bogus" "--volume=x,kind=host" "--volume=x,kind=host,source=/a,readOnly=yes" \
        "--volume=X,kind=empty" "--volume=x,kind=empty,mode=999" "--volume=x,kind=empty,uid=-1" "--volume=x,color=red"; do
        run pc run "$bad" "$IMG" --exec=/bin/true
        [ "$status" -eq 2 ] || fail "$bad: exit $status, expected 2:" "$output"
        [[ $output == *--volume* ]] || fail "$bad: the message does not name --volume:" "$output"
    done
    for bad in "--mount=volume=x" "--mount=target=/x" "--memory=lots" "--memory=0" "--cpu=-1" "--cpu-shares=1" \
        "--pids-max=0" "--rlimit=nofile" "--rlimit=files=1" "--rlimit=nofile=9:8"; do
        run pc run "$IMG" "$bad" --exec=/bin/true
        [ "$status" -eq 2 ] || fail "$bad: exit $status, expected 2:" "$output"
        [[ $output == *"${bad%%=*}"* ]] || fail "$bad: the message does not name the flag:" "$output"
    done
    run pc run "$IMG" --mount=volume=nosuch,target=/x --exec=/bin/true
    assert_status 254
    assert_output_contains 'could not find volume "nosuch"'
    assert_no_pod_dirs
}

@test "flags: --memory, --cpu, --cpu-shares, --pids-max and --rlimit reach the app" {
    run pc run "$IMG" --memory=48Mi --cpu=250m --cpu-shares=512 --pids-max=33 --rlimit=nofile=100:200 \
        --exec=/bin/sh -- -c 'grep "^Max open files" /proc/self/limits; sleep 0.1'
    assert_status 0
    printf '%s\n' "$output" | grep -Eq '^Max open files +100 +200 ' || fail "rlimit:" "$output"
    only_pod
    local cg=/sys/fs/cgroup m
    m=$(printf 'machine.slice/machine-rkt\\x2d%s.scope/system.slice/busybox.service' "${UUID//-/\\x2d}")
    assert_eq "$(cat "$cg/memory/$m/memory.limit_in_bytes")" $((48 << 20)) "memory"
    assert_eq "$(cat "$cg/cpu/$m/cpu.cfs_quota_us")" 25000 "cpu quota"
    assert_eq "$(cat "$cg/cpu/$m/cpu.shares")" 512 "cpu shares"
    assert_eq "$(cat "$cg/pids/$m/pids.max")" 33 "pids.max"
}
