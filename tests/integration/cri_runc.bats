#!/usr/bin/env bats
# The CRI path of issue 19, as the kubelet drives containerd: a private
# containerd 1.6 (tests/lib/containerd.sh) and the test CRI client
# (tests/lib/cri/cri.py), with the scenario of tests/lib/cri/scenario.bash.
#
# The runtime handler is CRI_HANDLER: runc (the default: containerd's runc
# v2 shim, proving the tooling) or podinit.
#
#   The podinit handler has its own file, cri_podinit.bats: the same
#   scenario (tests/lib/cri/scenario.bash) with CRI_HANDLER=podinit and
#   podinit's own checks (one PID 1 per sandbox, the containers as its apps).
#   This file is the baseline that scenario is held to.
# shellcheck disable=SC2154,SC2016

load helpers
bats_require_minimum_version 1.5.0      # run --separate-stderr
# shellcheck source=tests/lib/cri/scenario.bash
source "$PODINIT_SRC/tests/lib/cri/scenario.bash"

: "${CRI_HANDLER:=runc}"

setup_file() { cri_setup_file "$CRI_HANDLER"; }
teardown_file() { cri_teardown_file; }
setup() { cri_setup; }
teardown() { cri_teardown; }

@test "cri: containerd answers CRI v1 and the runtime is ready" {
    run cri version
    assert_status 0
    assert_output_contains "containerd"
    assert_output_contains "(CRI v1)"
    run cri info
    assert_status 0
    [ "$(jget status.conditions.0.type <<<"$output")" = RuntimeReady ] || fail "first condition: $output"
    [ "$(jget status.conditions.0.status <<<"$output")" = true ] || fail "runtime not ready: $output"
    # The handler under test is configured with the runtime type we expect.
    local want=io.containerd.runc.v2
    [ "$CRI_HANDLER" != podinit ] || want=io.containerd.podinit.v2
    [ "$(jget "info.config.containerd.runtimes.$CRI_HANDLER.runtimeType" <<<"$output")" = "$want" ] ||
        fail "handler $CRI_HANDLER is not $want in CRI's config"
}

@test "cri: one sandbox, two containers: create, start, status, exec, exit codes, logs, stop, remove" {
    local sb c1 c2 sb_pid c1_pid c2_pid shim sup
    sb=$(sandbox_json p1)
    run cri runp --runtime "$CRI_HANDLER" "$sb"
    assert_status 0
    SB=$output
    [ "$(pstatus "$SB" status.state)" = SANDBOX_READY ] || fail "sandbox not ready"
    [ "$(pstatus "$SB" status.runtime_handler)" = "$CRI_HANDLER" ] || fail "sandbox handler"
    [ "$(pstatus "$SB" status.metadata.name)" = p1 ] || fail "sandbox name"

    c1=$(container_json c1 'echo "c1 out $CTR_NAME"; echo "c1 err" >&2; exec /probe sleep 3600')
    c2=$(container_json c2 'echo "c2 started"; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo "c2 done" >&2; exit 3')
    run cri create "$SB" "$c1" "$sb"
    assert_status 0
    C1=$output
    run cri create "$SB" "$c2" "$sb"
    assert_status 0
    C2=$output
    [ "$(cri state "$C1")" = CONTAINER_CREATED ] || fail "c1 not created"
    [ "$(cri state "$C2")" = CONTAINER_CREATED ] || fail "c2 not created"
    run cri ps -q --pod "$SB"
    assert_output_is ""                      # created, not running

    cri start "$C1"
    cri start "$C2"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    cri wait "$C2" CONTAINER_RUNNING --within 10
    run cri ps -q --pod "$SB"
    assert_eq "$(sort <<<"$output")" "$(printf '%s\n' "$C1" "$C2" | sort)" "running containers of the sandbox"
    [ "$(cstatus "$C1" status.log_path)" = "$T/logs/p1/c1.log" ] || fail "c1 log path"
    [ "$(cstatus "$C1" status.image.image)" = "$CONTAINERD_BUSYBOX" ] || fail "c1 image"
    [ "$(cstatus "$C1" status.started_at)" -gt 0 ] || fail "c1 started_at"

    # One supervisor for the sandbox and both containers: the runc v2 shim
    # groups a sandbox's containers; podinit: one podinit PID 1 per sandbox.
    sb_pid=$(cri_pid "$SB")
    c1_pid=$(cri_pid "$C1")
    c2_pid=$(cri_pid "$C2")
    [ "$sb_pid" -gt 1 ] && [ "$c1_pid" -gt 1 ] && [ "$c2_pid" -gt 1 ] || fail "pids: $sb_pid $c1_pid $c2_pid"
    sup=$(supervisor_of "$sb_pid") || fail "no $CRI_HANDLER supervisor above the sandbox's $sb_pid"
    [ "$(supervisor_of "$c1_pid")" = "$sup" ] || fail "c1 is not under the sandbox's supervisor $sup"
    [ "$(supervisor_of "$c2_pid")" = "$sup" ] || fail "c2 is not under the sandbox's supervisor $sup"
    shim=$(shims_of "$SB")
    [ "$(wc -w <<<"$shim")" -eq 1 ] || fail "expected one shim for the sandbox, got: $shim"
    [ -z "$(shims_of "$C1")$(shims_of "$C2")" ] || fail "a container got a shim of its own"
    if [ "$CRI_HANDLER" = podinit ]; then
        # podinit: PID 1 of the pod runs the sandbox and has both containers as apps.
        [ "$(cat "/proc/$sup/comm")" = podinit ] || fail "supervisor $sup is not podinit"
    fi

    # ExecSync: stdout, stderr and the exit code come back apart.
    run --separate-stderr cri exec-sync "$C1" -- sh -c 'echo "in $CTR_NAME"; echo oops >&2; exit 7'
    assert_status 7
    assert_output_is "in c1"
    [ "$stderr" = oops ] || fail "exec-sync stderr: [$stderr]"
    run cri exec-sync "$C1" -- /probe exit 0
    assert_status 0

    # c2 exits with 3 once told to.
    run cri exec-sync "$C2" -- touch /tmp/go
    assert_status 0
    cri wait "$C2" CONTAINER_EXITED --within 10
    [ "$(cstatus "$C2" status.exit_code)" = 3 ] || fail "c2 exit code: $(cstatus "$C2" status.exit_code)"
    [ "$(cstatus "$C2" status.reason)" = Error ] || fail "c2 reason"
    [ "$(cstatus "$C2" status.finished_at)" -ge "$(cstatus "$C2" status.started_at)" ] || fail "c2 times"
    [ "$(cri state "$C1")" = CONTAINER_RUNNING ] || fail "c1 stopped with c2"

    # StopContainer: SIGTERM ends the probe: 128 + 15.
    cri stop --timeout 10 "$C1"
    [ "$(cri state "$C1")" = CONTAINER_EXITED ] || fail "c1 not exited after StopContainer"
    [ "$(cstatus "$C1" status.exit_code)" = 143 ] || fail "c1 exit code: $(cstatus "$C1" status.exit_code)"

    # The CRI log files, written by containerd from the shim's stdio.
    run log_lines "$T/logs/p1/c1.log" stdout
    assert_status 0
    assert_output_is "c1 out c1"
    run log_lines "$T/logs/p1/c1.log" stderr
    assert_output_is "c1 err"
    run log_lines "$T/logs/p1/c2.log" stdout
    assert_output_is "c2 started"
    run log_lines "$T/logs/p1/c2.log" stderr
    assert_output_is "c2 done"

    cri rm "$C1"
    cri rm "$C2"
    run cri ps -a -q --pod "$SB"
    assert_output_is ""
    assert_gone "$C1" "$c1_pid"
    assert_gone "$C2" "$c2_pid"
    [ -n "$(shims_of "$SB")" ] || fail "the sandbox's shim went with its containers"

    cri stopp "$SB"
    [ "$(pstatus "$SB" status.state)" = SANDBOX_NOTREADY ] || fail "sandbox still ready after StopPodSandbox"
    cri rmp "$SB"
    run cri pods -q
    assert_output_is ""
    assert_gone "$SB" "$sb_pid" "$shim"
    # The log files are the kubelet's to delete; containerd keeps them.
    [ -s "$T/logs/p1/c1.log" ] || fail "c1.log removed"
}

@test "cri: StopContainer sends SIGKILL after the grace period" {
    local sb c t0 t1
    sb=$(sandbox_json p2)
    SB=$(cri runp --runtime "$CRI_HANDLER" "$sb")
    c=$(container_json stubborn 'exec /probe ignore-term')
    C1=$(cri create "$SB" "$c" "$sb")
    cri start "$C1"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    # ignore-term says so once SIGTERM is ignored.
    wait_until 10 grep -q "ignoring TERM" "$T/logs/p2/stubborn.log" || fail "stubborn never ready"
    t0=$(now_ms)
    cri stop --timeout 1 "$C1"
    t1=$(now_ms)
    [ "$(cri state "$C1")" = CONTAINER_EXITED ] || fail "not exited"
    [ "$(cstatus "$C1" status.exit_code)" = 137 ] || fail "exit code $(cstatus "$C1" status.exit_code), expected 137 (SIGKILL)"
    assert_ge $((t1 - t0)) 900 "StopContainer returned before the 1 s grace period"
    cri rm "$C1"
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$SB"
}

@test "cri: Exec and Attach through the streaming server" {
    local sb c
    sb=$(sandbox_json p3)
    SB=$(cri runp --runtime "$CRI_HANDLER" "$sb")
    c=$(container_json sleeper 'exec /probe sleep 3600')
    C1=$(cri create "$SB" "$c" "$sb")
    cri start "$C1"
    c=$(container_json reader 'while read -r l; do echo "got $l"; [ "$l" = bye ] && exit 5; done' \
        '{"stdin": true, "stdin_once": true}')
    C2=$(cri create "$SB" "$c" "$sb")
    cri start "$C2"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    cri wait "$C2" CONTAINER_RUNNING --within 10

    run --separate-stderr cri exec "$C1" -- sh -c 'echo "out $CTR_NAME"; echo err >&2; exit 4'
    assert_status 4
    assert_output_is "out sleeper"
    [ "$stderr" = err ] || fail "exec stderr: [$stderr]"
    run cri exec "$C1" -- true
    assert_status 0
    # 2 MB of output: every byte arrives, in order (frames of any length).
    cri exec "$C1" -- /probe flood 2000000 >"$T/flood"
    [ "$(stat -c %s "$T/flood")" = 2000000 ] || fail "exec output: $(stat -c %s "$T/flood") bytes, expected 2000000"
    [ "$(sort -u "$T/flood")" = "$(printf 'x%.0s' {1..99})" ] || fail "exec output is not the probe's lines"
    # stdin: one line in, the answer out.
    run cri exec -i "$C1" -- sh -c 'read -r x; echo "read $x"' <<<"hello"
    assert_status 0
    assert_output_is "read hello"
    # A tty exec.  containerd 1.6 can lose a tty exec's last output when
    # the command exits at once, so the command waits for a line on stdin,
    # sent once its first output arrived.
    run "$PYTHON" - "$CONTAINERD_SOCK" "$C1" <<'EOF'
import io, os, sys
sys.path.insert(0, os.environ["CRI_LIB"])
import cri
c = cri.Client(sys.argv[1])
url = c.call("Exec", container_id=sys.argv[2], cmd=["sh", "-c", "tty; read x; echo \"got $x\"; exit 6"],
             tty=True, stdin=True, stdout=True).url
r, w = os.pipe()
class Out(io.RawIOBase):
    seen = b""
    def write(self, b):
        self.seen += bytes(b)
        if b"/dev/pts/" in self.seen and w is not None:
            os.write(w, b"line\n")
        sys.stdout.buffer.write(b)
        return len(b)
rc = cri.stream(url, True, True, out=Out(), inp=r)
print("\nrc=%s" % rc)
EOF
    assert_status 0
    assert_output_contains "/dev/pts/"
    assert_output_contains "got line"
    assert_output_contains "rc=6"

    # Attach to the container's own stdin and stdout.
    run cri attach -i "$C2" < <(printf 'one\nbye\n')
    assert_status 0
    assert_output_is "$(printf 'got one\ngot bye')"
    cri wait "$C2" CONTAINER_EXITED --within 10
    [ "$(cstatus "$C2" status.exit_code)" = 5 ] || fail "reader exit code"
    run log_lines "$T/logs/p3/reader.log" stdout
    assert_output_is "$(printf 'got one\ngot bye')"

    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$SB"
}

@test "cri: a pod in its own network namespace (CNI) leaves no netns behind" {
    local sb c ns sb_pid
    sb=$(sandbox_json p4 POD)
    SB=$(cri runp --runtime "$CRI_HANDLER" "$sb")
    ns=$(cri inspectp "$SB" | "$PYTHON" -c '
import json, sys
spec = json.load(sys.stdin)["info"]["info"]["runtimeSpec"]
print("".join(n.get("path", "") for n in spec["linux"]["namespaces"] if n["type"] == "network"))')
    [[ $ns == "$CONTAINERD_DIR/"* ]] || fail "netns path [$ns] is not under $CONTAINERD_DIR"
    [ "$(stat -fc %T "$ns")" = nsfs ] || fail "$ns is not a network namespace"
    sb_pid=$(cri_pid "$SB")
    [ "$(readlink "/proc/$sb_pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] || fail "the sandbox is on the host's network"
    c=$(container_json netc 'ip -o link 2>/dev/null || cat /proc/net/dev; exec /probe sleep 3600')
    C1=$(cri create "$SB" "$c" "$sb")
    cri start "$C1"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    [ "$(readlink "/proc/$(cri_pid "$C1")/ns/net")" = "$(readlink "/proc/$sb_pid/ns/net")" ] ||
        fail "the container is not in the sandbox's netns"
    run cri exec-sync "$C1" -- cat /proc/net/dev
    assert_output_contains "lo:"
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$SB" "$sb_pid"
    [ ! -e "$ns" ] || fail "netns $ns left behind"
}

@test "cri: bad input is refused with a clear error" {
    local sb c
    sb=$(sandbox_json p5)
    run cri runp --runtime no-such-handler "$sb"
    assert_failure
    assert_output_contains "no-such-handler"
    run cri pods -q
    assert_output_is ""

    echo '{"metadata": {"name": "x"}, "no_such_field": 1}' >"$T/bad.json"
    run cri runp "$T/bad.json"
    assert_status 2
    assert_output_contains "no_such_field"
    echo '{not json' >"$T/bad2.json"
    run cri runp "$T/bad2.json"
    assert_status 2
    assert_output_contains "not valid JSON"

    c=$(container_json c 'exit 0')
    run cri create 0123456789abcdef "$c" "$sb"
    assert_failure
    assert_output_contains "NOT_FOUND"

    SB=$(cri runp --runtime "$CRI_HANDLER" "$sb")
    c=$(container_json noimg 'exit 0' '{"image": {"image": "localhost/no-such-image:1"}}')
    run cri create "$SB" "$c" "$sb"
    assert_failure
    assert_output_contains "no-such-image"
    c=$(container_json nobin '' '{"command": ["/no/such/binary"]}')
    C1=$(cri create "$SB" "$c" "$sb")
    run cri start "$C1"
    assert_failure
    assert_output_contains "/no/such/binary"
    run cri exec-sync 0123456789abcdef -- true
    assert_failure
    assert_output_contains "NOT_FOUND"
    cri rm "$C1"
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$SB"
}

@test "cri: a shim killed with SIGKILL: containerd cleans up through 'shim delete', the pod can be removed" {
    local sb c sb_pid c_pid shim sock
    sb=$(sandbox_json p6)
    SB=$(cri runp --runtime "$CRI_HANDLER" "$sb")
    c=$(container_json victim 'echo "up"; exec /probe sleep 3600')
    C1=$(cri create "$SB" "$c" "$sb")
    cri start "$C1"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    sb_pid=$(cri_pid "$SB")
    c_pid=$(cri_pid "$C1")
    shim=$(shims_of "$SB")
    [ "$(wc -w <<<"$shim")" -eq 1 ] || fail "expected one shim, got: $shim"
    # The shim's ttrpc socket (unix:///run/containerd/s/HASH): nobody
    # removes it once its shim was killed, so this test does.
    sock=$(cat "$CONTAINERD_DIR/state/io.containerd.runtime.v2.task/k8s.io/$SB/address")
    sock=${sock#unix://}
    [ -S "$sock" ] || fail "no shim socket at $sock"
    kill -KILL "$shim"
    # containerd sees the shim's connection drop, runs the shim binary's
    # delete (which kills what is left) and marks the tasks exited.
    cri wait "$C1" CONTAINER_EXITED --within 15
    wait_until 10 test ! -e "/proc/$c_pid" || fail "the container's process $c_pid outlived its shim"
    wait_until 10 test ! -e "/proc/$sb_pid" || fail "the sandbox's process $sb_pid outlived its shim"
    grep -q "cleaning up after shim disconnected.*$SB" "$CONTAINERD_LOG" ||
        fail "containerd did not log the shim's disconnection"
    run log_lines "$T/logs/p6/victim.log" stdout
    assert_output_is "up"
    cri rm "$C1"
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$C1" "$c_pid"
    assert_gone "$SB" "$sb_pid"
    case $sock in /run/containerd/s/*) rm -f -- "$sock" ;; esac
}

@test "ctr: run the busybox image with the handler's runtime type: output, exit codes, exec, kill" {
    local ns=podinit-test id=ctr$BATS_TEST_NUMBER opts
    ctr_run_opts
    run $CTR -n $ns run --rm "${opts[@]}" "$CONTAINERD_BUSYBOX" "$id-a" /probe print hello from ctr
    assert_status 0
    assert_output_is "hello from ctr"
    run $CTR -n $ns run --rm "${opts[@]}" "$CONTAINERD_BUSYBOX" "$id-b" sh -c 'echo out; echo err >&2; exit 7'
    assert_status 7
    assert_output_contains "out"
    assert_output_contains "err"

    # Detached: exec into it, then SIGTERM it.
    run $CTR -n $ns run -d "${opts[@]}" "$CONTAINERD_BUSYBOX" "$id-c" /probe term-exit 9
    assert_status 0
    wait_until 10 ctr_task_status "$ns" "$id-c" RUNNING || fail "$id-c not running"
    # In the container's PID namespace, PID 1 is the task.
    run $CTR -n $ns tasks exec --fifo-dir "$CTR_FIFO_DIR" --exec-id e1 "$id-c" sh -c 'tr "\0" " " </proc/1/cmdline; exit 4'
    assert_status 4
    assert_output_is "/probe term-exit 9 "
    $CTR -n $ns tasks kill -s TERM "$id-c"
    wait_until 10 ctr_task_status "$ns" "$id-c" STOPPED || fail "$id-c did not stop on SIGTERM"
    run $CTR -n $ns tasks delete "$id-c"
    assert_status 0
    assert_output_contains "exit with non-zero exit code 9"
    run $CTR -n $ns containers delete "$id-c"
    assert_status 0
    run $CTR -n $ns containers ls -q
    assert_output_is ""
    [ -z "$(shims_of "$id-c")" ] || wait_until 10 test -z "$(shims_of "$id-c")" || fail "$id-c's shim left"
}

@test "cri: nothing is left in containerd, the mounts or the cgroups" {
    assert_instance_clean
}
