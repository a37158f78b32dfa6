#!/usr/bin/env bats
# Isolators applied between fork and exec, checked from inside the app
# (docs/manifest.md "Isolators"): capability sets, no_new_privs, the OOM
# score, and clear errors for bad isolator JSON.

load helpers
bats_require_minimum_version 1.5.0     # run -N

setup_file() { build_images; }

setup() { pod_setup; }

teardown() { pod_teardown; }

# appc's default set: AUDIT_WRITE CHOWN DAC_OVERRIDE FSETID FOWNER KILL MKNOD NET_RAW
# NET_BIND_SERVICE SETUID SETGID SETPCAP SETFCAP SYS_CHROOT.
DEFAULT_CAPS=00000000a80425fb

# caps_of FIELD: that line of the app's /proc/self/status, from $output.
field() { printf '%s\n' "$output" | awk -v f="$1:" '$1 == f { print $2 }'; }

status_app() {
    run pc run "$IMG" "$@" --exec=/bin/sh -- -c 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status; cat /proc/self/oom_score_adj | sed "s/^/Oom: /"'
}

# manifest_with ISOLATORS_JSON [USER]: a pod manifest whose one app has those isolators.
manifest_with() {
    local user=${2:-0}
    printf '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":["/bin/sh","-c","grep -E \\"^(Cap|NoNewPrivs)\\" /proc/self/status; sed \\"s/^/Oom: /\\" /proc/self/oom_score_adj"],"user":"%s","group":"%s","isolators":%s}}]}\n' \
        "$user" "$user" "$1" >"$BATS_TEST_TMPDIR/pod.json"
}

@test "caps: a root app has the default set in every set but ambient; no_new_privs is off" {
    status_app
    assert_status 0
    assert_eq "$(field CapBnd)" "$DEFAULT_CAPS" "bounding"
    assert_eq "$(field CapPrm)" "$DEFAULT_CAPS" "permitted"
    assert_eq "$(field CapEff)" "$DEFAULT_CAPS" "effective"
    assert_eq "$(field CapInh)" "$DEFAULT_CAPS" "inheritable"
    assert_eq "$(field CapAmb)" 0000000000000000 "ambient"
    assert_eq "$(field NoNewPrivs)" 0 "no_new_privs"
}

@test "caps: a non-root app keeps the bounding set but holds no capability" {
    status_app --user=1000 --group=1000
    assert_status 0
    assert_eq "$(field CapBnd)" "$DEFAULT_CAPS" "bounding"
    assert_eq "$(field CapPrm)" 0000000000000000 "permitted"
    assert_eq "$(field CapEff)" 0000000000000000 "effective"
    assert_eq "$(field CapInh)" 0000000000000000 "inheritable"
    assert_eq "$(field CapAmb)" 0000000000000000 "ambient"
}

@test "caps: --caps-retain gives exactly the list (names with or without CAP_, any case)" {
    status_app --caps-retain=CAP_NET_ADMIN,sys_time
    assert_status 0
    # NET_ADMIN is 12, SYS_TIME 25.
    assert_eq "$(field CapBnd)" 0000000002001000 "bounding"
    assert_eq "$(field CapEff)" 0000000002001000 "effective"
}

@test "caps: --caps-remove takes from the default set, and the removed capability is gone" {
    run pc run "$IMG" --caps-remove=CAP_CHOWN --exec=/bin/sh -- -c \
        'grep CapBnd /proc/self/status; chown 1 /tmp && echo chowned || echo refused'
    assert_status 0
    assert_output_contains "00000000a80425fa"
    assert_output_contains "refused"
    # Without the isolator, root may chown.
    run pc run "$IMG" --exec=/bin/sh -- -c 'chown 1 /tmp && echo chowned || echo refused'
    assert_output_contains "chowned"
}

@test "caps: an isolator in the pod manifest (remove-set of everything but one)" {
    manifest_with '[{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_KILL"]}}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_eq "$(field CapBnd)" 0000000000000020 "bounding (KILL is 5)"
    assert_eq "$(field CapEff)" 0000000000000020 "effective"
}

@test "caps: a retained capability the host lacks is dropped with a warning naming it; the app runs" {
    # podinit started without CAP_SYS_MODULE in its bounding set (a host or container that lacks it).
    run setpriv --bounding-set=-sys_module "$PODCTL" --dir="$D" run --net=none "$IMG" --caps-retain=CAP_SYS_MODULE,CAP_NET_ADMIN \
        --exec=/bin/sh -- -c 'grep -E "^Cap(Bnd|Eff)" /proc/self/status'
    assert_status 0
    assert_output_contains "app busybox: os/linux/capabilities-retain-set: CAP_SYS_MODULE is not available (not in the bounding set podinit was started with); the app runs without it"
    # NET_ADMIN (12) stays; SYS_MODULE (16) is gone.
    assert_eq "$(field CapBnd)" 0000000000001000 "bounding"
    assert_eq "$(field CapEff)" 0000000000001000 "effective"
}

@test "no_new_privs: the isolator sets it (any true wins), for root and non-root" {
    manifest_with '[{"name":"os/linux/no-new-privileges","value":false},{"name":"os/linux/no-new-privileges","value":true}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_eq "$(field NoNewPrivs)" 1 "no_new_privs (root)"
    manifest_with '[{"name":"os/linux/no-new-privileges","value":true}]' 1000
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_eq "$(field NoNewPrivs)" 1 "no_new_privs (uid 1000)"
}

@test "oom-score-adj: the app starts with the isolator's value" {
    manifest_with '[{"name":"os/linux/oom-score-adj","value":900}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_eq "$(field Oom)" 900 "oom_score_adj"
    # Lowering it needs CAP_SYS_RESOURCE, which this host's root may lack:
    # then the app fails with the setup code and a message, never silently.
    manifest_with '[{"name":"os/linux/oom-score-adj","value":-250}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    if (( (0x$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status) >> 24) & 1 )); then
        assert_status 0
        assert_eq "$(field Oom)" -250 "oom_score_adj"
    else
        assert_status 206
        assert_output_contains "writing /proc/self/oom_score_adj: Permission denied"
    fi
}

@test "bad isolators are clear errors before the pod runs" {
    manifest_with '[{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_KILL"]}},{"name":"os/linux/capabilities-remove-set","value":{"set":["CAP_CHOWN"]}}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "cannot have both os/linux/capabilities-retain-set and os/linux/capabilities-remove-set"

    manifest_with '[{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_FLY"]}}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains '"CAP_FLY" is not a capability'

    manifest_with '[{"name":"os/linux/capabilities-retain-set","value":{"set":[]}}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "at least one capability"

    manifest_with '[{"name":"os/linux/oom-score-adj","value":1001}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "from -1000 to 1000"

    manifest_with '[{"name":"os/linux/no-new-privileges","value":"yes"}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "expected true or false"

    manifest_with '[{"name":"os/linux/capabilites-retain-set","value":{"set":["CAP_KILL"]}}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains 'unknown isolator "os/linux/capabilites-retain-set"'

    run pc run "$IMG" --caps-retain=CAP_NOPE --exec=/bin/true
    assert_status 2
    assert_output_contains '"CAP_NOPE" is not a capability'
    run pc run "$IMG" --caps-retain=CAP_KILL --caps-remove=CAP_CHOWN --exec=/bin/true
    assert_status 2
    assert_output_contains "cannot be used together"
    assert_no_pod_dirs
}

@test "isolators rkt ignores (sysctl, selinux-context, bandwidth) are accepted; the app runs" {
    manifest_with '[{"name":"os/unix/sysctl","value":{"net.ipv4.ip_forward":"1"}},{"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t","level":"l"}},{"name":"resource/network-bandwidth","value":{"default":true,"limit":"1G"}}]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_output_contains "CapBnd:"
}

# ------------------------------------------------------------------ seccomp

# seccomp_manifest ISOLATORS_JSON USER EXEC_JSON: a one-app pod manifest.
seccomp_manifest() {
    printf '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":%s,"user":"%s","group":"%s","isolators":%s}}]}\n' \
        "$3" "$2" "$2" "$1" >"$BATS_TEST_TMPDIR/pod.json"
}

STATUS_SH='["/bin/sh","-c","grep -E \"^(NoNewPrivs|Seccomp|CapEff)\" /proc/self/status"]'

@test "seccomp: the default profile filters, and busybox sh, ls, cat and the probe run under it" {
    run pc run "$IMG" --exec=/bin/sh -- -c \
        'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; ls / >/dev/null && cat /etc/passwd >/dev/null && mkdir /tmp/d && rmdir /tmp/d && date >/dev/null && echo busybox-ok'
    assert_status 0
    assert_eq "$(field Seccomp)" 2 "Seccomp (2: filter)"
    assert_eq "$(field NoNewPrivs)" 0 "no_new_privs (root keeps it off)"
    assert_output_contains "busybox-ok"
    run pc run "$IMG" --exec=/probe -- id
    assert_status 0
    assert_output_contains "uid=0"
    run pc run "$IMG" --exec=/probe -- exit 7
    assert_status 7
}

@test "seccomp: a root app keeps its capability sets under the filter (CAP_SYS_ADMIN does not leak)" {
    status_app
    assert_status 0
    assert_eq "$(field CapEff)" "$DEFAULT_CAPS" "effective"
    assert_eq "$(field CapPrm)" "$DEFAULT_CAPS" "permitted"
    assert_eq "$(field NoNewPrivs)" 0 "no_new_privs"
}

@test "seccomp: a non-root app with a filter gets no_new_privs; with @appc.io/all it does not" {
    seccomp_manifest '[]' 1000 "$STATUS_SH"
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_eq "$(field Seccomp)" 2 "Seccomp"
    assert_eq "$(field NoNewPrivs)" 1 "no_new_privs (uid 1000, filter)"
    seccomp_manifest '[{"name":"os/linux/seccomp-retain-set","value":{"set":["@appc.io/all"]}}]' 1000 "$STATUS_SH"
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_eq "$(field Seccomp)" 0 "Seccomp (unconfined)"
    assert_eq "$(field NoNewPrivs)" 0 "no_new_privs (uid 1000, no filter)"
}

@test "seccomp: --seccomp=unconfined and @appc.io/all install no filter" {
    run pc run "$IMG" --seccomp=unconfined --exec=/bin/sh -- -c 'grep -E "^Seccomp:" /proc/self/status'
    assert_status 0
    assert_eq "$(field Seccomp)" 0 "Seccomp"
    seccomp_manifest '[{"name":"os/linux/seccomp-retain-set","value":{"set":["mkdir","@appc.io/all"]}}]' 0 "$STATUS_SH"
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_eq "$(field Seccomp)" 0 "Seccomp"
}

@test "seccomp: a remove-set with an errno makes the call fail with it (EXFULL, EMULTIHOP)" {
    run pc run "$IMG" --seccomp=mode=remove,errno=EXFULL,mkdir,mkdirat --exec=/bin/sh -- -c 'mkdir /x; echo "mkdir=$?"'
    assert_status 0
    assert_output_contains "Exchange full"
    assert_output_contains "mkdir=1"
    seccomp_manifest '[{"name":"os/linux/seccomp-remove-set","value":{"set":["mkdir","mkdirat"],"errno":"EMULTIHOP"}}]' 0 \
        '["/bin/mkdir","/x"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 1
    assert_output_contains "Multihop attempted"
    # Other calls still work.
    run pc run "$IMG" --seccomp=mode=remove,errno=EXFULL,mkdir,mkdirat --exec=/bin/sh -- -c 'touch /t && echo touched'
    assert_status 0
    assert_output_contains "touched"
}

@test "seccomp: a remove-set without errno kills the app with SIGSYS" {
    run pc run "$IMG" --seccomp=mode=remove,mkdir,mkdirat --exec=/bin/sh -- -c 'echo before; exec mkdir /x'
    assert_status 159
    assert_output_contains "before"
    only_pod
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 31 "signal (SIGSYS)"
    assert_eq "$(pod_field "$UUID" apps.0.shellCode)" 159 "shellCode"
}

@test "seccomp: a retain-set without a needed call and no errno: killed by SIGSYS; with an errno: the call fails" {
    seccomp_manifest '[{"name":"os/linux/seccomp-retain-set","value":{"set":["@rkt/default-whitelist"]}}]' 0 '["/bin/mkdir","/x"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    pc gc >/dev/null && rm -rf "$D"
    # What static busybox needs to start and print an error, but not mkdir.
    local set=getuid,brk,arch_prctl,set_tid_address,set_robust_list,rseq,prlimit64,mprotect,readlink,uname,getpid
    set=$set,rt_sigaction,rt_sigprocmask,write,writev,read,mmap,munmap,newfstatat,fstat,getppid,geteuid,getcwd,ioctl
    set=$set,openat,close,fcntl,lseek,dup2,statx
    run pc run "$IMG" --seccomp=mode=retain,$set --exec=/bin/mkdir -- /x
    assert_status 159
    only_pod
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 31 "signal (SIGSYS)"
    assert_eq "$(pod_field "$UUID" apps.0.shellCode)" 159 "shellCode"
    pc gc >/dev/null && rm -rf "$D"
    run pc run "$IMG" --seccomp=mode=retain,errno=EPERM,$set --exec=/bin/mkdir -- /x
    assert_status 1
    assert_output_contains "can't create directory '/x': Operation not permitted"
}

@test "seccomp: @appc.io/empty in a remove-set means the default allow-list (with the isolator's errno)" {
    seccomp_manifest '[{"name":"os/linux/seccomp-remove-set","value":{"set":["@appc.io/empty"],"errno":"EXFULL"}}]' 0 \
        '["/bin/sh","-c","grep -E \"^Seccomp:\" /proc/self/status; mkdir /d && echo made; mount -t tmpfs t /d; echo mount=$?"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_eq "$(field Seccomp)" 2 "Seccomp"
    assert_output_contains "made"
    assert_output_contains "Exchange full"
    # Without an errno, unlisted calls fail with ENOSYS (the default profile).
    run pc run "$IMG" --exec=/bin/sh -- -c 'mkdir /d; mount -t tmpfs t /d; echo mount=$?'
    assert_status 0
    assert_output_contains "Function not implemented"
    assert_output_contains "mount=255"
}

@test "seccomp: podinit --disable-seccomp installs no filter for any app" {
    printf '#!/bin/sh\nexec %q --disable-seccomp "$@"\n' "$PODINIT_BIN_DIR/podinit" >"$BATS_TEST_TMPDIR/podinit-noseccomp"
    chmod +x "$BATS_TEST_TMPDIR/podinit-noseccomp"
    PODINIT=$BATS_TEST_TMPDIR/podinit-noseccomp run pc run "$IMG" --seccomp=mode=remove,mkdir --exec=/bin/sh -- -c \
        'grep -E "^Seccomp:" /proc/self/status; mkdir /x && echo made'
    assert_status 0
    assert_eq "$(field Seccomp)" 0 "Seccomp"
    assert_output_contains "made"
}

@test "seccomp: unknown names and @groups are ignored with a warning" {
    run pc run "$IMG" --seccomp=mode=remove,reboot,no_such_call,@systemd/clock --exec=/bin/true
    assert_status 0
    assert_output_contains "seccomp: ignored: unknown syscall no_such_call, unknown group @systemd/clock"
}

@test "seccomp: bad isolators and --seccomp values are clear errors before the pod runs" {
    seccomp_manifest '[{"name":"os/linux/seccomp-retain-set","value":{"set":["read"]}},{"name":"os/linux/seccomp-remove-set","value":{"set":["mount"]}}]' 0 '["/bin/true"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "too many seccomp isolators specified"

    seccomp_manifest '[{"name":"os/linux/seccomp-remove-set","value":{"set":["mount"],"errno":"ENOPE"}}]' 0 '["/bin/true"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains '"ENOPE" is not an errno name'

    seccomp_manifest '[{"name":"os/linux/seccomp-remove-set","value":{"set":"mount"}}]' 0 '["/bin/true"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains 'expected {"set": ["NAME" or "@group", ...]'

    seccomp_manifest '[{"name":"os/linux/seccomp-retain-set","value":{"set":["Mount!"]}}]' 0 '["/bin/true"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains '"Mount!" is not a syscall name'

    run pc run "$IMG" --seccomp=strict --exec=/bin/true
    assert_status 2
    assert_output_contains "expected default, unconfined or mode=retain|remove"
    run pc run "$IMG" --seccomp=mode=remove,errno=EFOO,mount --exec=/bin/true
    assert_status 2
    assert_output_contains "errno=EFOO is not an errno name"
    run pc run "$IMG" --seccomp=mode=retain --exec=/bin/true
    assert_status 2
    assert_output_contains "the set is empty"
    assert_no_pod_dirs
}

# Paths (docs/manifest.md "Paths"): checked against what this kernel has, so
# the test fails if a path that exists is left open, and says which.
@test "paths: kernel interfaces are read-only or hidden in the app" {
    local hidden=() ro=() p
    for p in proc/config.gz proc/kallsyms proc/keys proc/timer_list proc/kcore sys/firmware sys/module sys/power; do
        [ -e "/$p" ] && hidden+=("/$p")
    done
    for p in proc/sys/vm/panic_on_oom proc/sys/kernel/core_pattern; do
        [ -e "/$p" ] && ro+=("/$p")
    done
    [ ${#hidden[@]} -ge 3 ] || fail "this kernel has too few of the masked paths to test: ${hidden[*]}"
    [ ${#ro[@]} -ge 1 ] || fail "this kernel has no /proc/sys/vm/panic_on_oom nor core_pattern"
    run pc run "$IMG" --exec=/bin/sh -- -c '
        for p in '"${hidden[*]}"'; do
            echo "mode $p $(stat -c %A "$p") $(if [ -d "$p" ]; then ls -A "$p" | wc -l; else wc -c <"$p"; fi)"
        done
        for p in '"${ro[*]}"'; do
            if echo 1 2>/dev/null >"$p"; then echo "writable $p"; else echo "refused $p"; fi
        done
        if touch /sys/kernel/podinit-test 2>/dev/null; then echo "writable /sys/kernel"; else echo "refused /sys/kernel"; fi
        echo "sys/fs: $(ls -A /sys/fs | tr "\n" " ")"
        if mkdir /sys/fs/x 2>/dev/null; then echo "writable /sys/fs"; else echo "refused /sys/fs"; fi'
    assert_status 0
    # Of /sys/fs only the pod's read-only cgroup view is there (cgroups.bats).
    assert_output_contains "sys/fs: cgroup "
    assert_output_contains "refused /sys/fs"
    for p in "${hidden[@]}"; do
        printf '%s\n' "$output" | grep -Eq "^mode $p [d-]--------- 0\$" ||
            fail "$p is not hidden (mode-000 and empty):" "$output"
    done
    for p in "${ro[@]}"; do
        assert_output_contains "refused $p"
    done
    assert_output_contains "refused /sys/kernel"
}

# Exec diagnostics (docs/manifest.md "Exec"): what rkt's stage1 said about a
# program it could not run.  Host binaries come in as file volumes: the test
# image has no libc, so a dynamically linked one lacks its interpreter.
@test "exec: a program whose ELF interpreter is missing: 203 and a message naming the program and the interpreter" {
    local interp
    interp=$(LC_ALL=C readelf -l /usr/bin/true 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
    [ -n "$interp" ] || fail "this test needs a dynamically linked /usr/bin/true (readelf from binutils)"
    run pc run --volume=t,kind=host,source=/usr/bin/true "$IMG" --mount=volume=t,target=/dyn --exec=/dyn
    assert_status 203
    assert_output_contains "app busybox: cannot run /dyn: its interpreter $interp is missing (No such file or directory)"
    only_pod
    assert_eq "$(pod_field "$UUID" apps.0.error)" "exec /dyn: its interpreter $interp is missing" "apps[0].error"
    # Found through PATH: the message names where.
    run pc run --volume=t,kind=host,source=/usr/bin/true "$IMG" --mount=volume=t,target=/usr/bin/dyntrue --exec=dyntrue
    assert_status 203
    assert_output_contains "cannot run /usr/bin/dyntrue: its interpreter $interp is missing"
    # A script whose #! interpreter is missing.
    printf '#!/bin/bash\necho hi\n' >"$BATS_TEST_TMPDIR/s.sh"
    chmod +x "$BATS_TEST_TMPDIR/s.sh"
    run pc run --volume=s,kind=host,source="$BATS_TEST_TMPDIR/s.sh" "$IMG" --mount=volume=s,target=/s.sh --exec=/s.sh
    assert_status 203
    assert_output_contains "cannot run /s.sh: its interpreter /bin/bash is missing"
    # A program that is not there at all keeps the plain message.
    run pc run "$IMG" --exec=/nope
    assert_status 203
    assert_output_contains "cannot run /nope: No such file or directory"
    refute_output_contains "interpreter"
}

@test "exec: a missing shared library is reported by the loader on the app's stderr, on the console and in the log" {
    local interp real
    interp=$(LC_ALL=C readelf -l /usr/bin/true 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
    real=$(readlink -f "$interp")
    [ -f "$real" ] || fail "no dynamic loader $interp on this host"
    run -127 pc run --volume=t,kind=host,source=/usr/bin/true --volume=ld,kind=host,source="$real" "$IMG" \
        --mount=volume=t,target=/dyn --mount=volume=ld,target="$interp" --exec=/dyn
    assert_status 127
    assert_output_contains "error while loading shared libraries: libc.so.6: cannot open shared object file"
    only_pod
    run pc logs "$UUID"
    assert_output_contains "error while loading shared libraries: libc.so.6"
}
