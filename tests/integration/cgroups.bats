#!/usr/bin/env bats
# The pod's cgroups (docs/manifest.md "Resources"): where they are, the
# limits written there and seen from inside the app, OOM kills reported,
# the closed device policy, processes an app leaves behind, gc; and the
# capabilities PID 1 keeps and the apps' rlimits.
#
# This machine has the cgroup v1 controllers (plus a hybrid cgroup2 mount);
# the v2 file writes are covered by the unit tests (test_cgroup.c).

load helpers

setup_file() {
    build_images
    CG=/sys/fs/cgroup
    [ -d "$CG/memory" ] && [ -d "$CG/pids" ] && [ -d "$CG/devices" ] && [ -d "$CG/cpu" ] ||
        fail "these tests need the cgroup v1 memory, pids, devices and cpu hierarchies under $CG (found: $(ls "$CG" 2>&1 | tr '\n' ' '))"
    export CG
}

setup() { pod_setup; }

teardown() { pod_teardown; }

# pod_cg UUID: the pod's cgroup path, as in $POD/subcgroup.
pod_cg() { printf 'machine.slice/machine-rkt\\x2d%s.scope' "${1//-/\\x2d}"; }

# app_cg HIER APP: the app's cgroup directory in one v1 hierarchy.
app_cg() { printf '%s/%s/%s/system.slice/%s.service' "$CG" "$1" "$(pod_cg "$UUID")" "$2"; }

# one_app_manifest ISOLATORS_JSON ANNOTATIONS_JSON EXEC_JSON [USER]
one_app_manifest() {
    local user=${4:-0}
    printf '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":%s,"user":"%s","group":"%s","isolators":%s},"annotations":%s}]}\n' \
        "$3" "$user" "$user" "$1" "$2" >"$BATS_TEST_TMPDIR/pod.json"
}

# leftover_cgroups UUID: cgroup directories anywhere under $CG naming the pod.
leftover_cgroups() {
    find "$CG" -maxdepth 6 -type d -name "*${1:0:8}*" 2>/dev/null
}

@test "cgroups: the pod has its cgroup (subcgroup file), PID 1 is in init.scope and each app in its own" {
    run_detached "$IMG" --name=web --exec=/bin/sh -- -c 'cat /proc/self/cgroup; sleep 60'
    wait_until 5 grep_log "memory:" || fail "no output: $(cat_logs)"
    assert_eq "$(cat "$POD/subcgroup")" "$(pod_cg "$UUID")" "subcgroup"
    [ "$(tail -c1 "$POD/subcgroup" | od -An -c | tr -d ' ')" != '\n' ] || fail "subcgroup ends with a newline"
    local pid1 h
    pid1=$(pod_pid1)
    for h in memory pids devices cpu; do
        grep -qF ":$h:/$(pod_cg "$UUID")/init.scope" "/proc/$pid1/cgroup" ||
            fail "PID 1 is not in the pod's init.scope of $h: $(cat "/proc/$pid1/cgroup")"
        [ -d "$(app_cg "$h" web)" ] || fail "no $h cgroup for the app: $(app_cg "$h" web)"
    done
    # The app sees itself in system.slice/web.service (paths are host paths: no cgroup namespace, as in rkt).
    cat_logs | grep -qF "memory:/$(pod_cg "$UUID")/system.slice/web.service" ||
        fail "the app is not in its cgroup: $(cat_logs)"
    assert_eq "$(pod_field "$UUID" apps.0.cgroup)" "/$(pod_cg "$UUID")/system.slice/web.service" "status cgroup"
    run pc stop "$UUID"
    assert_status 0
}

@test "cgroups: they outlive the pod and gc removes them all" {
    run pc run "$IMG" --exec=/bin/true
    assert_status 0
    only_pod
    [ -n "$(leftover_cgroups "$UUID")" ] || fail "the pod's cgroups are gone before gc"
    run pc gc
    assert_status 0
    assert_output_contains "removed $UUID"
    assert_eq "$(leftover_cgroups "$UUID")" "" "cgroups left after gc"
    # A second gc (nothing left) is fine.
    run pc gc
    assert_status 0
}

@test "resources: memory, cpu and cpu-shares isolators and pids-max reach the app's cgroup" {
    one_app_manifest '[{"name":"resource/memory","value":{"limit":"42Mi"}},{"name":"resource/cpu","value":{"limit":"900m"}},{"name":"os/linux/cpu-shares","value":12345}]' \
        '[{"name":"podinit.io/pids-max","value":"77"}]' '["/bin/sleep","60"]'
    run_detached --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    wait_until 5 test -d "$(app_cg memory a)" || fail "no app cgroup"
    assert_eq "$(cat "$(app_cg memory a)/memory.limit_in_bytes")" $((42 * 1024 * 1024)) "memory.limit_in_bytes"
    assert_eq "$(cat "$(app_cg cpu a)/cpu.cfs_quota_us")" 90000 "cpu.cfs_quota_us"
    assert_eq "$(cat "$(app_cg cpu a)/cpu.cfs_period_us")" 100000 "cpu.cfs_period_us"
    assert_eq "$(cat "$(app_cg cpu a)/cpu.shares")" 12345 "cpu.shares"
    assert_eq "$(cat "$(app_cg pids a)/pids.max")" 77 "pids.max"
    run pc stop "$UUID"
    assert_status 0
}

@test "resources: an app past its memory limit is OOM-killed and its status says so" {
    one_app_manifest '[{"name":"resource/memory","value":{"limit":"32Mi"}}]' '[]' '["/probe","alloc","256"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 137
    assert_output_contains "killed by the kernel's OOM killer"
    only_pod
    assert_eq "$(pod_field "$UUID" apps.0.oomKilled)" true "oomKilled"
    assert_ge "$(pod_field "$UUID" apps.0.oomKills)" 1 "oomKills"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 9 "signal"
    # The same app under a larger limit finishes.
    one_app_manifest '[{"name":"resource/memory","value":{"limit":"512Mi"}}]' '[]' '["/probe","alloc","64"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    refute_output_contains "OOM"
}

@test "resources: an OOM kill under --restart=on-failure is in the events (oomKilled, memoryLimit) and the status, also after the pod exited" {
    run pc run "$IMG" --name=hog --memory=32Mi --restart=on-failure --restart-max=1 --restart-backoff=100ms \
        --exec=/probe -- alloc 256
    assert_status 137
    only_pod
    # The pod has exited: the events come from the file podinit kept.
    run pc events --json "$UUID"
    assert_status 0
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/ev"
    "$PYTHON" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
hog = [e for e in ev if e.get("app") == "hog"]
ends = [e for e in hog if e["event"] in ("backoff", "give-up", "exit")]
assert [e["event"] for e in ends] == ["backoff", "give-up"], ends
for e in ends:
    assert e["oomKilled"] is True and e["memoryLimit"] == 32 << 20, e
    assert e["signal"] == 9 and e["shellCode"] == 137, e
assert ev[-1]["type"] == "pod" and ev[-1]["event"] == "exited" and ev[-1]["exitCode"] == 137, ev[-1]
assert [e["seq"] for e in ev] == list(range(1, len(ev) + 1)), [e["seq"] for e in ev]
' "$BATS_TEST_TMPDIR/ev" || fail "events: $(cat "$BATS_TEST_TMPDIR/ev")"
    # The human lines say OOM, not just "code 137".
    run pc events "$UUID"
    assert_status 0
    assert_output_contains "code 137 (killed by the OOM killer (memory limit 32 MiB)), restart 1 in 100 ms"
    assert_output_contains "give-up"
    # And so does the status, JSON and human.
    assert_eq "$(pod_field "$UUID" apps.0.state)" failed "state"
    assert_eq "$(pod_field "$UUID" apps.0.oomKilled)" true "oomKilled"
    assert_eq "$(pod_field "$UUID" apps.0.memoryLimit)" $((32 << 20)) "memoryLimit"
    run pc status "$UUID"
    assert_status 0
    assert_output_contains "killed by the OOM killer (memory limit 32 MiB)"
    refute_output_contains "killed by SIGKILL"
}

@test "resources: pids-max stops forks with EAGAIN inside the app" {
    one_app_manifest '[]' '[{"name":"podinit.io/pids-max","value":"20"}]' '["/probe","forks","100"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    only_pod
    cat_logs | grep -q "forked 19 then Resource temporarily unavailable" ||
        fail "expected 19 forks then EAGAIN: $(cat_logs)"
}

@test "resources: a limit with no cgroup to put it in is an error, not ignored" {
    one_app_manifest '[{"name":"resource/memory","value":{"limit":"64Mi"}}]' '[]' '["/bin/true"]'
    # A mount namespace where /sys/fs/cgroup is an empty tmpfs.
    run unshare --mount --propagation private sh -c \
        'mount -t tmpfs none /sys/fs/cgroup && exec "$0" --dir="$1" run --pod-manifest="$2" "$3"' \
        "$PODCTL" "$D" "$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 254
    assert_output_contains 'app "a" has a resource limit, but the pod'"'"'s cgroup cannot be created'
    # Without limits the pod runs, with a warning.
    one_app_manifest '[]' '[]' '["/bin/true"]'
    run unshare --mount --propagation private sh -c \
        'mount -t tmpfs none /sys/fs/cgroup && exec "$0" --dir="$1" run --pod-manifest="$2" "$3"' \
        "$PODCTL" "$D" "$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    assert_output_contains "running without a pod cgroup"
}

# rkt's TestAppIsolatorMemory/CPU/CPUShares and TestCgroups read the limits from
# inside the app through /proc/1/root/sys/fs/cgroup/<hierarchy>/<own path>/ and
# check that nothing there can be created (EROFS).
@test "cgroup view: the pod's /sys/fs/cgroup shows the app's own cgroup read-only, at its host path (v1)" {
    run pc run "$IMG" --memory=42Mi --cpu=900m --cpu-shares=12345 --caps-retain=CAP_SYS_PTRACE --exec=/bin/sh -- -c '
        m=$(grep :memory: /proc/self/cgroup | cut -d: -f3); c=$(grep -E ":cpu(,cpuacct)?:" /proc/self/cgroup | cut -d: -f3)
        echo "memory $(cat /proc/1/root/sys/fs/cgroup/memory$m/memory.limit_in_bytes)"
        echo "quota $(cat /proc/1/root/sys/fs/cgroup/cpu$c/cpu.cfs_quota_us) period $(cat /proc/1/root/sys/fs/cgroup/cpu$c/cpu.cfs_period_us)"
        echo "shares $(cat /proc/1/root/sys/fs/cgroup/cpu$c/cpu.shares)"
        echo "app-view $(cat /sys/fs/cgroup/memory$m/memory.limit_in_bytes)"
        for p in /proc/1/root/sys/fs/cgroup /proc/1/root/sys/fs/cgroup/memory /proc/1/root/sys/fs/cgroup/cpu                  /proc/1/root/sys/fs/cgroup/memory$m /sys/fs/cgroup/memory$m; do
            mkdir "$p/test" 2>&1 | grep -q "Read-only file system" && echo "erofs $p" || echo "NOT-EROFS $p"
        done
        echo "tmpfs-entries $(ls /proc/1/root/sys/fs/cgroup | tr "\n" " ")"
        ls /sys/fs/cgroup/memory/machine.slice'
    assert_status 0
    assert_output_contains "memory $((42 << 20))"
    assert_output_contains "quota 90000 period 100000"
    assert_output_contains "shares 12345"
    assert_output_contains "app-view $((42 << 20))"
    refute_output_contains "NOT-EROFS"
    assert_output_contains "tmpfs-entries cpu cpuacct devices memory pids systemd unified "
    # Only this pod's cgroup is shown, not the host's others.
    only_pod
    assert_eq "$(printf '%s\n' "$output" | grep -c '^machine-rkt')" 1 "pods shown under machine.slice"
    assert_output_contains "$(pod_cg "$UUID" | sed 's/^machine.slice\///')"
}

@test "cgroup view: on cgroup v2 the pod's /sys/fs/cgroup is the cgroup2 tree, read-only" {
    mountpoint -q "$CG/unified" || fail "this test needs the hybrid cgroup2 mount at $CG/unified"
    # A mount namespace where /sys/fs/cgroup is cgroup2 (controllers stay with v1: no limits here).
    run unshare --mount --propagation private sh -c \
        'mount --bind "$0/unified" "$0" && exec "$1" --dir="$2" run "$3" --caps-retain=CAP_SYS_PTRACE --exec=/bin/sh -- -c "
            p=\$(grep ^0:: /proc/self/cgroup | cut -d: -f3)
            ls /proc/1/root/sys/fs/cgroup\$p/cgroup.procs /sys/fs/cgroup\$p/cgroup.procs
            mkdir /proc/1/root/sys/fs/cgroup/test 2>&1; mkdir /proc/1/root/sys/fs/cgroup\$p/test 2>&1
            stat -f -c %t /proc/1/root/sys/fs/cgroup"' \
        "$CG" "$PODCTL" "$D" "$IMG"
    assert_status 0
    refute_output_contains "No such file"
    assert_eq "$(printf '%s\n' "$output" | grep -c "Read-only file system")" 2 "mkdir refused twice"
    assert_output_contains "63677270"   # CGROUP2_SUPER_MAGIC: tools tell v2 by it
}

@test "devices: closed by default -- mknod of null works, of ptmx or /dev/loop-control does not; --disable-paths opens it" {
    local sh='cd /tmp && mknod n c 1 3 && echo null-ok; mknod p c 5 2 || echo ptmx-refused; mknod l c 10 237 || echo loop-refused; echo x > /dev/null && echo write-null-ok'
    run pc run "$IMG" --exec=/bin/sh -- -c "$sh"
    assert_status 0
    only_pod
    local out
    out=$(cat_logs)
    for w in null-ok ptmx-refused loop-refused write-null-ok; do
        [[ $out == *"$w"* ]] || fail "expected $w: $out"
    done
    [[ $out == *"Operation not permitted"* ]] || fail "mknod should fail with EPERM: $out"
    # rkt: --disable-paths (--insecure-options=paths) leaves devices open too.
    printf '#!/bin/sh\nexec %q --disable-paths "$@"\n' "$PODINIT_BIN_DIR/podinit" >"$BATS_TEST_TMPDIR/podinit-nopaths"
    chmod +x "$BATS_TEST_TMPDIR/podinit-nopaths"
    pc gc >/dev/null
    D=$BATS_TEST_TMPDIR/state2
    PODINIT=$BATS_TEST_TMPDIR/podinit-nopaths run pc run "$IMG" --exec=/bin/sh -- -c "$sh"
    assert_status 0
    only_pod
    out=$(cat_logs)
    [[ $out != *refused* ]] || fail "with --disable-paths every mknod should work: $out"
}

@test "devices: the app's devices cgroup allows only the default list" {
    run_detached "$IMG" --name=web --exec=/bin/sleep -- 60
    wait_until 5 test -d "$(app_cg devices web)" || fail "no devices cgroup"
    local list
    list=$(cat "$(app_cg devices web)/devices.list")
    for rule in 'c 1:3 rwm' 'c 1:5 rwm' 'c 1:7 rwm' 'c 1:8 rwm' 'c 1:9 rwm' 'c 5:0 rwm' 'c 5:2 rw' 'c 136:\* rw'; do
        grep -qx "$rule" <<<"$list" || fail "devices.list lacks [$rule]:" "$list"
    done
    ! grep -q '^a ' <<<"$list" || fail "devices.list still allows everything:" "$list"
    run pc stop "$UUID"
    assert_status 0
}

@test "leftovers: processes an app leaves behind (even in a new session) end with it" {
    # App "d" starts a session leader that would sleep 31.5 s, then exits;
    # app "keep" holds the pod up.  The daemon must not outlive "d".
    run_detached "$IMG" --name=d --exec=/bin/sh -- -c '/probe setsid-child 31.5; echo started' \
        --- "$IMG" --name=keep --exec=/bin/sleep -- 60
    wait_until 10 app_is "$UUID" 0 state exited || fail "app d did not exit: $(status_json "$UUID")"
    wait_until 5 eval '[ "$(count_procs "^/probe setsid-child 31.5 ")" -eq 0 ]' ||
        fail "the daemonised probe outlived its app"
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 0 "exit code of d"
    assert_eq "$(pod_field "$UUID" apps.1.state)" ready "app keep"
    run pc stop "$UUID"
    assert_status 0
}

@test "leftovers: on stop, processes that escaped the app's process group are killed too" {
    run_detached --stop-timeout=1s "$IMG" --exec=/bin/sh -- -c '/probe setsid-child 31.6; exec /probe ignore-term 60'
    wait_until 5 eval '[ "$(count_procs "^/probe setsid-child 31.6 ")" -eq 1 ]' || fail "no daemon"
    run pc stop "$UUID"
    assert_status 0
    assert_eq "$(count_procs "^/probe setsid-child 31.6 ")" 0 "daemons left after stop"
}

# ----------------------------------------------------- mount namespaces

# app_host_pid: the host pid of the pod's one app (PID 1's only child).
app_host_pid() { cat "/proc/$(pod_pid1)/task/$(pod_pid1)/children" | tr -d ' '; }

@test "mount namespaces: each app has its own (rkt's TestMountNSApp), with --disable-paths too (no chroot-only confinement)" {
    run_detached "$IMG" --exec=/bin/sleep -- 60
    wait_until 5 is_ready || fail "pod not ready"
    local pid1 app
    pid1=$(pod_pid1)
    app=$(app_host_pid)
    [ -n "$app" ] || fail "no app process under PID 1"
    [ "$(readlink "/proc/$app/ns/mnt")" != "$(readlink "/proc/$pid1/ns/mnt")" ] ||
        fail "the app shares PID 1's mount namespace"
    run pc stop "$UUID"
    assert_status 0

    printf '#!/bin/sh\nexec %q --disable-paths "$@"\n' "$PODINIT_BIN_DIR/podinit" >"$BATS_TEST_TMPDIR/podinit-nopaths"
    chmod +x "$BATS_TEST_TMPDIR/podinit-nopaths"
    pc gc >/dev/null
    PODINIT=$BATS_TEST_TMPDIR/podinit-nopaths run_detached "$IMG" --exec=/bin/sleep -- 60
    wait_until 5 is_ready || fail "pod not ready"
    pid1=$(pod_pid1)
    app=$(app_host_pid)
    [ "$(readlink "/proc/$app/ns/mnt")" != "$(readlink "/proc/$pid1/ns/mnt")" ] ||
        fail "with --disable-paths the app shares PID 1's mount namespace (a chroot break would reach the pod's root)"
    run pc exec --app=busybox "$UUID" -- /probe chroot-escape /rkt/podinit/control.sock /probe
    assert_line "absent /rkt/podinit/control.sock"
    assert_line "found /probe"
    run pc stop "$UUID"
    assert_status 0
}

# ------------------------------------------------------------- PID 1's caps

caps_of() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

@test "PID 1 keeps nspawn's bounding set plus the apps' sets, and drops what it does not use" {
    # nspawn's default set (rkt's TestCaps): no NET_ADMIN, SYS_MODULE, SYS_TIME, SYS_RAWIO...
    # CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
    # NET_BIND_SERVICE NET_BROADCAST NET_RAW IPC_OWNER SYS_CHROOT SYS_PTRACE SYS_ADMIN SYS_BOOT
    # SYS_NICE SYS_RESOURCE SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
    local nspawn=0 c
    for c in 0 1 2 3 4 5 6 7 8 9 10 11 13 15 18 19 21 22 23 24 26 27 28 29 30 31; do
        nspawn=$(( nspawn | (1 << c) ))
    done
    run_detached "$IMG" --exec=/bin/sleep -- 60
    local pid1 bnd eff
    pid1=$(pod_pid1)
    wait_until 5 is_ready || fail "pod not ready"
    bnd=$((0x$(caps_of "$pid1" CapBnd)))
    eff=$((0x$(caps_of "$pid1" CapEff)))
    (( (bnd & ~nspawn) == 0 )) || fail "PID 1's bounding set has more than nspawn's: $(printf %x $bnd)"
    (( (bnd >> 12) & 1 )) && fail "CAP_NET_ADMIN is in PID 1's bounding set"
    (( (eff >> 16) & 1 )) && fail "CAP_SYS_MODULE is in PID 1's effective set"
    (( (eff >> 21) & 1 )) || fail "PID 1 lost CAP_SYS_ADMIN"
    run pc stop "$UUID"
    assert_status 0

    pc gc >/dev/null && rm -rf "$D"
    run_detached "$IMG" --caps-retain=CAP_NET_ADMIN,CAP_KILL --exec=/bin/sleep -- 60
    pid1=$(pod_pid1)
    wait_until 5 is_ready || fail "pod not ready"
    bnd=$((0x$(caps_of "$pid1" CapBnd)))
    (( (bnd >> 12) & 1 )) || fail "an app retains CAP_NET_ADMIN, PID 1's bounding set should have it"
    run pc stop "$UUID"
    assert_status 0
}

# ------------------------------------------------------------------ rlimits

@test "rlimits: podinit.io/rlimit-* annotations set the app's limits; bad ones are clear errors" {
    one_app_manifest '[]' '[{"name":"podinit.io/rlimit-nofile","value":"64:128"},{"name":"podinit.io/rlimit-core","value":"0"},{"name":"podinit.io/rlimit-stack","value":"4Mi:unlimited"}]' \
        '["/bin/sh","-c","grep -E \"^Max (open files|core file size|stack size)\" /proc/self/limits"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_status 0
    printf '%s\n' "$output" | grep -Eq '^Max open files +64 +128 ' || fail "nofile:" "$output"
    printf '%s\n' "$output" | grep -Eq '^Max core file size +0 +0 ' || fail "core:" "$output"
    printf '%s\n' "$output" | grep -Eq '^Max stack size +4194304 +unlimited ' || fail "stack:" "$output"

    pc gc >/dev/null && rm -rf "$D"
    one_app_manifest '[]' '[{"name":"podinit.io/rlimit-nofiles","value":"64"}]' '["/bin/true"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains 'unknown limit "nofiles"'
    one_app_manifest '[]' '[{"name":"podinit.io/rlimit-nofile","value":"128:64"}]' '["/bin/true"]'
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "cannot be above the hard one"
}

@test "--private-users is refused with a clear error, not silently ignored" {
    printf '#!/bin/sh\nexec %q --private-users=0:65536 "$@"\n' "$PODINIT_BIN_DIR/podinit" >"$BATS_TEST_TMPDIR/podinit-userns"
    chmod +x "$BATS_TEST_TMPDIR/podinit-userns"
    PODINIT=$BATS_TEST_TMPDIR/podinit-userns run pc run "$IMG" --exec=/bin/true
    assert_status 254
    assert_output_contains "user namespaces are not supported by podinit yet"
}
