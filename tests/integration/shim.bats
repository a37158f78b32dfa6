#!/usr/bin/env bats
# containerd-shim-podinit-v2 under a real containerd (Debian's 1.6), `ctr run`
# path: one podinit pod per container (docs/kubernetes.md "Running podinit
# under containerd").  containerd runs with its own config, root, state and
# socket under a temporary directory (tests/lib/containerd.sh), finds the shim
# first on its PATH (the build directory), and is torn down at the end.
# The shim's pods live in their own podctl state directory under it.
# shellcheck disable=SC2154,SC2016

load helpers
load ../lib/shimtest

setup_file() { shim_suite_setup pshim; }
teardown_file() { shim_suite_teardown; }

setup() {
    ID=t$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
    shim_test_teardown
    # A namespace a test made (ip netns add) is the test's to remove.
    [ -z "${NETNS-}" ] || ip netns delete "$NETNS" 2>/dev/null || true
}

shim_pods() { ls "$PODINIT_SHIM_STATE_DIR/pods/run" 2>/dev/null; }
podctl_shim() { "$PODCTL" --dir="$PODINIT_SHIM_STATE_DIR" "$@"; }
bundle_of() { echo "$CONTAINERD_DIR/state/io.containerd.runtime.v2.task/default/$1"; }

@test "ctr run: the app's stdout, stderr and exit code" {
    run ctr_run --rm "$IMG" "$ID" sh -c 'echo to-stdout; echo to-stderr >&2; exit 7'
    assert_status 7
    assert_output_contains to-stdout
    assert_output_contains to-stderr
    # The pod is gone with the task.
    [ -z "$(shim_pods)" ] || fail "pods left: $(shim_pods)"
}

@test "ctr run: a program name is looked up in the image's PATH; output is not lost when it exits at once" {
    for i in 1 2 3; do
        run ctr_run --rm "$IMG" "$ID-$i" echo "hello $i"
        assert_status 0
        assert_output_is "hello $i"
    done
}

@test "ctr run: stdin reaches the app, its end is the app's end of input" {
    run bash -c "printf 'line one\nline two\n' | timeout 60 $CTR -n default run --fifo-dir $CTR_FIFO_DIR --runtime $RT --rm $IMG $ID wc -l"
    assert_status 0
    [ "$(echo "$output" | tr -d ' ')" = 2 ] || { _dump_run; fail "wc -l should count 2 lines"; }
}

@test "ctr run -d: the pod is visible to podctl while it runs; ctr task kill ends it with 128+SIGTERM" {
    run ctr_run -d "$IMG" "$ID" sh -c 'echo to-the-pod-log; exec sleep 600'
    assert_status 0
    wait_until 10 test "$(task_status "$ID")" = RUNNING || fail "task $ID is not running: $(task_status "$ID")"
    uuid=$(shim_pods)
    [ -n "$uuid" ] || fail "no pod under $PODINIT_SHIM_STATE_DIR"
    run podctl_shim status "$uuid"
    assert_status 0
    assert_output_contains "$(echo "$ID" | tr 'A-Z_' 'a-z-')"
    assert_output_contains running
    # The app's output also goes to the pod's log, for podctl logs.
    wait_until 10 bash -c "'$PODCTL' --dir='$PODINIT_SHIM_STATE_DIR' logs $uuid | grep -q to-the-pod-log" ||
        fail "podctl logs: $(podctl_shim logs "$uuid" 2>&1)"
    # The task's pid is the app's host pid: its command line is the app's.
    pid=$($CTR -n default task ls | awk -v id="$ID" '$1 == id { print $2 }')
    grep -q sleep "/proc/$pid/cmdline" || fail "task pid $pid is not the app ($(tr '\0' ' ' <"/proc/$pid/cmdline"))"
    run $CTR -n default task kill "$ID"
    assert_status 0
    wait_until 10 test "$(task_status "$ID")" = STOPPED || fail "task $ID did not stop: $(task_status "$ID")"
    # A stopped task: another kill is "not found", as runc's shim says.
    run $CTR -n default task kill "$ID"
    assert_failure
    assert_output_contains "process already finished"
    run $CTR -n default task rm "$ID"
    assert_status 0
    assert_output_contains "exit code 143"
    wait_until 10 test -z "$(shim_pods)" || fail "pod left after task rm: $(shim_pods)"
}

@test "ctr run -t: the app gets a terminal" {
    command -v script >/dev/null || skip "script(1) (util-linux) is needed for a terminal"
    run timeout 60 script -qec "$CTR -n default run -t --fifo-dir $CTR_FIFO_DIR --runtime $RT --rm $IMG $ID sh -c 'tty; exit 3'" /dev/null </dev/null
    assert_status 3
    assert_output_contains /dev/pts/
}

ctr_exec() { timeout 60 $CTR -n default task exec --fifo-dir "$CTR_FIFO_DIR" "$@"; }

@test "ctr task exec: output, exit code, stdin and a terminal, in the app's root" {
    run ctr_run -d "$IMG" "$ID" sleep 600
    assert_status 0
    wait_until 10 test "$(task_status "$ID")" = RUNNING || fail "task $ID is not running"
    run ctr_exec --exec-id x1 "$ID" sh -c 'echo in-exec; echo exec-err >&2; test -x /probe; exit 5'
    assert_status 5
    assert_output_contains in-exec
    assert_output_contains exec-err
    run bash -c "printf 'a\nb\nc\n' | timeout 60 $CTR -n default task exec --fifo-dir $CTR_FIFO_DIR --exec-id x2 $ID wc -l"
    assert_status 0
    [ "$(echo "$output" | tr -d ' ')" = 3 ] || { _dump_run; fail "wc -l in the exec should count 3 lines"; }
    if command -v script >/dev/null; then
        run timeout 60 script -qec "$CTR -n default task exec -t --fifo-dir $CTR_FIFO_DIR --exec-id x3 $ID sh -c 'tty; exit 4'" /dev/null </dev/null
        assert_status 4
        assert_output_contains /dev/pts/
    fi
    # Pids: the app's host pid, the one `task ls` shows.
    run $CTR -n default task ps "$ID"
    assert_status 0
    pid=$($CTR -n default task ls | awk -v id="$ID" '$1 == id { print $2 }')
    assert_output_contains "$pid"
}

@test "ctr task exec: a command that cannot run is the exec's failure, the task runs on" {
    run ctr_run -d "$IMG" "$ID" sleep 600
    assert_status 0
    wait_until 10 test "$(task_status "$ID")" = RUNNING || fail "task $ID is not running"
    run ctr_exec --exec-id bad "$ID" /no/such/program
    assert_failure
    [ "$(task_status "$ID")" = RUNNING ] || fail "task $ID: $(task_status "$ID") after a failed exec"
    run ctr_exec --exec-id good "$ID" true
    assert_status 0
}

@test "ctr run --mount: a read-only bind and the spec's tmpfs are in the container, and gone with it" {
    src=$(mktemp -d /tmp/pshim-vol.XXXXXX)
    echo from-the-host >"$src/file"
    run ctr_run --rm --mount "type=bind,src=$src,dst=/host,options=rbind:ro" "$IMG" "$ID" \
        sh -c 'cat /host/file; touch /host/new 2>/dev/null && echo writable || echo read-only; awk '"'"'$2 == "/run" { print "run is " $3 }'"'"' /proc/mounts'
    rm -rf -- "$src"
    assert_status 0
    assert_output_contains from-the-host
    assert_output_contains read-only
    # `ctr run`'s spec has a tmpfs at /run: a tmpfs, as runc mounts it.
    assert_output_contains "run is tmpfs"
    [ -z "$(shim_pods)" ] || fail "pods left: $(shim_pods)"
    ! grep -q "$(bundle_of "$ID")/rootfs" /proc/self/mountinfo || fail "rootfs of $ID (or a mount under it) still mounted"
}

@test "ctr run --with-ns network:PATH: the pod joins that network namespace and leaves it to its owner" {
    NETNS=pshim-$ID
    ip netns add "$NETNS" || skip "ip netns add failed"
    want=$(stat -L -c %i "/run/netns/$NETNS")
    run ctr_run --rm --with-ns "network:/run/netns/$NETNS" "$IMG" "$ID" readlink /proc/self/ns/net
    assert_status 0
    assert_output_contains "net:[$want]"
    [ -e "/run/netns/$NETNS" ] || fail "the namespace's binding is gone: the pod must not remove what it joined"
    [ -z "$(shim_pods)" ] || fail "pods left: $(shim_pods)"
}

@test "a bundle podinit refuses: ctr prints why, nothing is left" {
    # A mount the OCI mapping refuses (stage0/ocispec.h).
    run ctr_run --rm --mount type=proc,src=proc,dst=/elsewhere "$IMG" "$ID" true
    assert_failure
    assert_output_contains "podinit gives an app proc only at its usual place"
    # A bind whose source is missing: refused when it is mounted, after the rootfs was.
    run ctr_run --rm --mount type=bind,src=/no/such/dir,dst=/host,options=rbind "$IMG" "$ID-b" true
    assert_failure
    assert_output_contains "source /no/such/dir"
    [ -z "$(shim_pods)" ] || fail "pods left after refused creates: $(shim_pods)"
    # The rootfs mounts containerd handed over are undone.
    ! grep -q "$(bundle_of "$ID")/rootfs" /proc/self/mountinfo || fail "rootfs of $ID still mounted"
    ! grep -q "$(bundle_of "$ID-b")/rootfs" /proc/self/mountinfo || fail "rootfs of $ID-b still mounted"
}

@test "a shim killed with SIGKILL: containerd cleans up through \`shim delete\`, nothing is left" {
    run ctr_run -d "$IMG" "$ID" sleep 600
    assert_status 0
    wait_until 10 test "$(task_status "$ID")" = RUNNING || fail "task $ID is not running"
    uuid=$(shim_pods)
    pod="$PODINIT_SHIM_STATE_DIR/pods/run/$uuid"
    pid1=$(cat "$pod/pid")
    shim=$(cat "$(bundle_of "$ID")/shim.pid")
    kill -KILL "$shim"
    # containerd sees the shim go and runs `containerd-shim-podinit-v2 ... delete` in the bundle.
    wait_until 30 test ! -d "$pod" || fail "pod $pod was not cleaned up"
    wait_until 10 test ! -d "/proc/$pid1" || fail "the pod's PID 1 ($pid1) still runs"
    wait_until 10 task_gone "$ID" || test "$(task_status "$ID")" = STOPPED || fail "task $ID: $(task_status "$ID")"
    grep -q "cleaning up dead shim" "$CONTAINERD_LOG"
    ! grep -q "$(bundle_of "$ID")/rootfs" /proc/self/mountinfo || fail "rootfs of $ID still mounted"
}

@test "the shim's command line: unknown flags, a missing action" {
    run "$SHIM" -namespace default -id x -bogus 1 start
    assert_status 2
    assert_output_contains "unknown flag -bogus"
    run "$SHIM" -namespace default -id x
    assert_status 2
    assert_output_contains "usage:"
    run "$SHIM" -v
    assert_status 0
    assert_output_contains "Version:"
}
