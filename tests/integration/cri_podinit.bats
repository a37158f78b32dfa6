#!/usr/bin/env bats
# The CRI path of issue 19 through containerd-shim-podinit-v2: the scenario
# of cri_runc.bats (a private containerd 1.6, tests/lib/containerd.sh, driven
# by the test CRI client, tests/lib/cri/cri.py, as the kubelet drives it)
# with the runtime handler podinit, plus what only podinit has: one podinit
# PID 1 per sandbox, the pause process and every container of the sandbox
# apps of it in `podctl status`, and nothing of a pod left once it is
# removed (its directory, mounts, cgroups, netns, processes).
#
# The shims' pods live in a podctl state directory of this containerd
# instance, $PODINIT_SHIM_STATE_DIR (tests/lib/cri/scenario.bash sets it).
# shellcheck disable=SC2154,SC2016

load helpers
bats_require_minimum_version 1.5.0      # run --separate-stderr
# shellcheck source=tests/lib/cri/scenario.bash
source "$PODINIT_SRC/tests/lib/cri/scenario.bash"

CRI_HANDLER=podinit

# shim_pods: the pods of the shims (their uuids), live or left behind
shim_pods() { ls "$PODINIT_SHIM_STATE_DIR/pods/run" 2>/dev/null; }
podctl_shim() { "$PODCTL" --dir="$PODINIT_SHIM_STATE_DIR" "$@"; }
# pod_of PID1: the uuid of the shim's pod whose PID 1 is PID1
pod_of() {
    local u
    for u in $(shim_pods); do
        [ "$(cat "$PODINIT_SHIM_STATE_DIR/pods/run/$u/pid" 2>/dev/null)" = "$1" ] && { echo "$u"; return 0; }
    done
    return 1
}
# app_names UUID: the pod's apps, sorted, from podinit (podctl status --json)
app_names() {
    podctl_shim status --json "$1" | "$PYTHON" -c '
import json, sys
print("\n".join(sorted(a["name"] + " " + a["state"] for a in json.load(sys.stdin)["apps"])))'
}
# pod_cgroups UUID: cgroup directories of the pod (any hierarchy):
# machine-rkt\x2d<uuid with '-' as \x2d>.scope; its first group suffices
pod_cgroups() {
    local r
    for r in $(_ctd_cgroup_roots); do
        find "$r" -maxdepth 4 -type d -name "machine-rkt*${1%%-*}*" 2>/dev/null
    done
}
# podinit_left UUID PID...: what is left of pod UUID: its directory, mounts under
# the shims' state directory, its cgroups, the processes PID...
podinit_left() {
    local u=$1 p
    shift
    [ -e "$PODINIT_SHIM_STATE_DIR/pods/run/$u" ] && echo "directory $u"
    awk -v d="$PODINIT_SHIM_STATE_DIR/" 'index($5, d) == 1 { print "mount " $5 }' /proc/self/mountinfo
    pod_cgroups "$u" | sed 's/^/cgroup /'
    # A zombie is not left running: an orphan's reaper (the host's init) may reap it late.
    for p; do [ -n "$p" ] && [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && echo "process $p"; done
    return 0
}
assert_podinit_gone() {
    local left
    wait_until 10 test -z "$(podinit_left "$@")" && return 0
    left=$(podinit_left "$@")
    fail "left of pod $1: $left"
}

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
    local sb c1 c2 sb_pid c1_pid c2_pid shim sup uuid launcher
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
    # podinit: one pod, its PID 1 the supervisor of the sandbox's pause
    # process and of both containers, which are apps of it.
    [ "$(cat "/proc/$sup/comm")" = podinit ] || fail "supervisor $sup is not podinit"
    [ "$(shim_pods | wc -l)" -eq 1 ] || fail "expected one pod, got: $(shim_pods)"
    uuid=$(pod_of "$sup") || fail "no pod of the shim has PID 1 $sup"
    launcher=$(awk '{ print $4 }' "/proc/$sup/stat")
    [ "$(awk '{ print $4 }' "/proc/$launcher/stat")" = "$shim" ] || fail "the pod's launcher $launcher is not the shim's child"
    run app_names "$uuid"
    assert_output_is "$(printf '%s\n' "c1-${C1:0:12} ready" "c2-${C2:0:12} ready" "pause ready" | sort)"
    # CRI's files and the container's mounts: its /etc/hosts is the sandbox's.
    run cri exec-sync "$C1" -- cat /etc/hosts
    assert_status 0
    assert_eq "$output" "$(cat "$CONTAINERD_DIR/root/io.containerd.grpc.v1.cri/sandboxes/$SB/hosts")" "c1's /etc/hosts"

    # ExecSync: stdout, stderr and the exit code come back apart.
    run --separate-stderr cri exec-sync "$C1" -- sh -c 'echo "in $CTR_NAME"; echo oops >&2; exit 7'
    assert_status 7
    assert_output_is "in c1"
    [ "$stderr" = oops ] || fail "exec-sync stderr: [$stderr]"
    run cri exec-sync "$C1" -- /probe exit 0
    assert_status 0

    # An exec runs in the container's working directory as its user (CRI's
    # exec spec is the container's process with other args).
    run cri exec-sync "$C1" -- sh -c 'pwd; id -u'
    assert_output_is "$(printf '/\n0')"

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
    # podinit: the containers' apps are gone from the pod, the pause process runs.
    run app_names "$uuid"
    assert_output_is "pause ready"

    cri stopp "$SB"
    [ "$(pstatus "$SB" status.state)" = SANDBOX_NOTREADY ] || fail "sandbox still ready after StopPodSandbox"
    cri rmp "$SB"
    run cri pods -q
    assert_output_is ""
    assert_gone "$SB" "$sb_pid" "$shim"
    assert_podinit_gone "$uuid" "$sup" "$launcher"
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

@test "podinit: a container's volumes and CRI's files are mounted in its rootfs, and go with it" {
    local sb c vol sup uuid
    vol=$T/vol
    mkdir -p "$vol"
    echo "from the host" >"$vol/file"
    sb=$(sandbox_json p7)
    SB=$(cri runp --runtime "$CRI_HANDLER" "$sb")
    c=$(container_json vols 'exec /probe sleep 3600' \
        "{\"mounts\": [{\"container_path\": \"/data\", \"host_path\": \"$vol\", \"readonly\": true},
                      {\"container_path\": \"/rw\", \"host_path\": \"$vol\"}]}")
    C1=$(cri create "$SB" "$c" "$sb")
    cri start "$C1"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    sup=$(supervisor_of "$(cri_pid "$C1")") || fail "no podinit above the container"
    uuid=$(pod_of "$sup") || fail "no pod of the shim has PID 1 $sup"
    run cri exec-sync "$C1" -- cat /data/file
    assert_status 0
    assert_output_is "from the host"
    run cri exec-sync "$C1" -- touch /data/nope
    assert_failure
    [ ! -e "$vol/nope" ] || fail "a read-only volume was written"
    run cri exec-sync "$C1" -- sh -c 'echo written >/rw/new'
    assert_status 0
    [ "$(cat "$vol/new")" = written ] || fail "the read-write volume did not reach the host"
    # CRI's /etc/resolv.conf and /etc/hosts: the sandbox's files.
    run cri exec-sync "$C1" -- cat /etc/resolv.conf
    assert_eq "$output" "$(cat "$CONTAINERD_DIR/root/io.containerd.grpc.v1.cri/sandboxes/$SB/resolv.conf")" "resolv.conf"
    # Removed: no mount of the volume is left anywhere (host, pod, bundle).
    cri stop --timeout 0 "$C1"
    cri rm "$C1"
    wait_until 10 sh -c "! grep -qF ' $vol ' /proc/self/mountinfo && ! awk '{ print \$4 }' /proc/self/mountinfo | grep -qxF '$vol'" ||
        fail "mounts of $vol left: $(grep -F "$vol" /proc/self/mountinfo)"
    run app_names "$uuid"
    assert_output_is "pause ready"
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$SB"
    assert_podinit_gone "$uuid" "$sup"
    [ "$(cat "$vol/file")" = "from the host" ] || fail "the volume's files were touched by the removal"
}

@test "cri: a pod in its own network namespace (CNI) leaves no netns behind" {
    local sb c ns sb_pid sup uuid
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
    # podinit: the pod (its PID 1) joined the namespace CRI made (podinit --netns).
    sup=$(supervisor_of "$sb_pid") || fail "no podinit above the sandbox's $sb_pid"
    uuid=$(pod_of "$sup") || fail "no pod of the shim has PID 1 $sup"
    [ "$(stat -L -c %i "/proc/$sup/ns/net")" = "$(stat -L -c %i "$ns")" ] || fail "PID 1 is not in CRI's netns $ns"
    c=$(container_json netc 'ip -o link 2>/dev/null || cat /proc/net/dev; exec /probe sleep 3600')
    C1=$(cri create "$SB" "$c" "$sb")
    cri start "$C1"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    [ "$(readlink "/proc/$(cri_pid "$C1")/ns/net")" = "$(readlink "/proc/$sb_pid/ns/net")" ] ||
        fail "the container is not in the sandbox's netns"
    run cri exec-sync "$C1" -- cat /proc/net/dev
    assert_output_contains "lo:"
    assert_output_contains "eth0:"
    run cri exec-sync "$C1" -- ping -c 1 -W 2 127.0.0.1
    assert_status 0
    # The hostname CRI asked for is the pod's.
    run cri exec-sync "$C1" -- hostname
    assert_output_is p4
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$SB" "$sb_pid"
    assert_podinit_gone "$uuid" "$sup"
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
    assert_output_contains "podinit: the container could not start"
    run cri exec-sync 0123456789abcdef -- true
    assert_failure
    assert_output_contains "NOT_FOUND"

    # A container spec podinit refuses: StartContainer (where containerd
    # creates the task) says which field and why; the sandbox and its
    # other containers are not affected.
    c=$(container_json pinned 'exit 0' '{"linux": {"resources": {"cpuset_cpus": "0"}}}')
    C2=$(cri create "$SB" "$c" "$sb")
    run cri start "$C2"
    assert_failure
    assert_output_contains "resources.cpu.cpus"
    assert_output_contains "podinit"
    cri rm "$C2"
    c=$(container_json fine 'echo fine; exec /probe sleep 3600')
    C2=$(cri create "$SB" "$c" "$sb")
    cri start "$C2"
    cri wait "$C2" CONTAINER_RUNNING --within 10
    cri rm "$C2"            # running: RemoveContainer stops it first
    cri rm "$C1"
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$SB"

    # A sandbox podinit refuses (the host's PID namespace): RunPodSandbox
    # fails with the reason, and no pod, mount or shim is left.
    sed 's/"pid": "CONTAINER"/"pid": "NODE"/' "$sb" >"$T/hostpid.json"
    run cri runp --runtime "$CRI_HANDLER" "$T/hostpid.json"
    assert_failure
    assert_output_contains "hostPID"
    run cri pods -q
    assert_output_is ""
    wait_until 10 test -z "$(shim_pods)$(_ctd_shims)" || fail "left after a refused sandbox: pods $(shim_pods), shims $(_ctd_shims)"
}

@test "cri: a shim killed with SIGKILL: containerd cleans up through 'shim delete', the pod can be removed" {
    local sb c sb_pid c_pid shim sock sup uuid launcher
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
    sup=$(supervisor_of "$sb_pid") || fail "no podinit above the sandbox's $sb_pid"
    uuid=$(pod_of "$sup") || fail "no pod of the shim has PID 1 $sup"
    launcher=$(awk '{ print $4 }' "/proc/$sup/stat")
    # The shim's ttrpc socket (podinit: under $PODINIT_SHIM_STATE_DIR/s):
    # `shim delete` removes it once its shim is dead.
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
    # podinit: the sandbox's `shim delete` removed the pod (and the container's, its app).
    assert_podinit_gone "$uuid" "$sup" "$launcher"
    [ ! -e "$sock" ] || fail "the dead shim's socket $sock is left"
}

@test "podinit: the sandbox's pause process killed: the pod goes with it, its containers exit 137" {
    local sb c sb_pid c_pid sup uuid
    sb=$(sandbox_json p8)
    SB=$(cri runp --runtime "$CRI_HANDLER" "$sb")
    c=$(container_json orphan 'echo "up"; exec /probe sleep 3600')
    C1=$(cri create "$SB" "$c" "$sb")
    cri start "$C1"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    sb_pid=$(cri_pid "$SB")
    c_pid=$(cri_pid "$C1")
    sup=$(supervisor_of "$sb_pid") || fail "no podinit above the sandbox's $sb_pid"
    uuid=$(pod_of "$sup") || fail "no pod of the shim has PID 1 $sup"
    # CRI deletes the sandbox's task when it exits: the pod is removed, and
    # the container, an app of it, is killed with it.
    kill -KILL "$sb_pid"
    cri wait "$C1" CONTAINER_EXITED --within 15
    [ "$(cstatus "$C1" status.exit_code)" = 137 ] || fail "container exit code: $(cstatus "$C1" status.exit_code)"
    wait_until 10 test "$(pstatus "$SB" status.state)" = SANDBOX_NOTREADY || fail "sandbox still ready"
    wait_until 10 test ! -e "/proc/$c_pid" || fail "the container's process $c_pid outlived its pod"
    run log_lines "$T/logs/p8/orphan.log" stdout
    assert_output_is "up"
    cri rm "$C1"
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$C1" "$c_pid"
    assert_gone "$SB" "$sb_pid"
    assert_podinit_gone "$uuid" "$sup"
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
    # podinit: in the container's PID namespace, PID 1 is podinit and the task is its child.
    run $CTR -n $ns tasks exec --fifo-dir "$CTR_FIFO_DIR" --exec-id e1 "$id-c" sh -c 'cat /proc/1/comm; exit 4'
    assert_status 4
    assert_output_is "podinit"
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
    # podinit: no pod, mount, socket or process of the shims is left either.
    [ -z "$(shim_pods)" ] || fail "pods left in $PODINIT_SHIM_STATE_DIR: $(shim_pods)"
    [ -z "$(ls -A "$PODINIT_SHIM_STATE_DIR/s" 2>/dev/null)" ] || fail "shim sockets left: $(ls -A "$PODINIT_SHIM_STATE_DIR/s")"
    [ -z "$(podinit_left none)" ] || fail "left: $(podinit_left none)"
    # A pod's launcher runs in its pod directory (its PID 1 dies with it).
    local p left=''
    for p in $(pgrep -x podinit || true); do
        case $(readlink "/proc/$p/cwd" 2>/dev/null) in "$PODINIT_SHIM_STATE_DIR"/*) left+=" $p" ;; esac
    done
    [ -z "$left$(_ctd_shims)" ] || fail "processes left: launchers$left, shims $(_ctd_shims)"
}

# app_cgroup_file UUID APP FILE_V1 FILE_V2: the file of the app's cgroup on
# the host (podinit: <pod's subcgroup>/system.slice/<app>.service), in the
# v1 memory hierarchy or the cgroup2 tree, whichever this host has.
app_cgroup_file() {
    local sub
    sub=$(cat "$PODINIT_SHIM_STATE_DIR/pods/run/$1/subcgroup") || return 1
    if [ -d /sys/fs/cgroup/memory ]; then
        echo "/sys/fs/cgroup/memory/$sub/system.slice/$2.service/$3"
    else
        echo "/sys/fs/cgroup/$sub/system.slice/$2.service/$4"
    fi
}
# cpu_ns ID: the container's CPU time in ContainerStats (CRI: from the shim's Stats)
cpu_ns() { cri stats "$1" | jget stats.cpu.usage_core_nano_seconds.value; }

@test "podinit: ContainerStats and ListContainerStats measure the container's app; the CPU time grows as it works" {
    local sb c sup uuid t0 t1 ws
    sb=$(sandbox_json p9)
    SB=$(cri runp --runtime "$CRI_HANDLER" "$sb")
    c=$(container_json meter 'exec /probe sleep 3600')
    C1=$(cri create "$SB" "$c" "$sb")
    cri start "$C1"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    run cri stats "$C1"
    assert_status 0
    [ "$(jget stats.attributes.id <<<"$output")" = "$C1" ] || fail "stats of another container: $output"
    ws=$(jget stats.memory.working_set_bytes.value <<<"$output")
    [ "${ws:-0}" -gt 0 ] || fail "working set $ws: $output"
    t0=$(jget stats.cpu.usage_core_nano_seconds.value <<<"$output")
    [ -n "$t0" ] || fail "no CPU usage: $output"
    # An exec runs in the container's cgroup: its CPU time is the container's.
    run cri exec-sync "$C1" -- sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i + 1)); done'
    assert_status 0
    t1=$(cpu_ns "$C1")
    assert_ge "$((t1 - t0))" 10000000 "CPU time after 300000 shell iterations (ns)"
    # ListContainerStats of the sandbox: its one container, with the same numbers' source.
    run cri stats --pod "$SB"
    assert_status 0
    [ "$(jget stats.0.attributes.id <<<"$output")" = "$C1" ] || fail "ListContainerStats: $output"
    [ "$(jget stats.1 <<<"$output")" = "" ] || fail "ListContainerStats lists more than the container: $output"
    [ "$(jget stats.0.cpu.usage_core_nano_seconds.value <<<"$output")" -ge "$t1" ] || fail "ListContainerStats CPU: $output"
    # The sandbox's task measures its pod's cgroup: podinit, pause and the container.
    run $CTR -n k8s.io task metrics "$SB"
    assert_status 0
    [ "$(awk '$1 == "pids.current" { print $2 }' <<<"$output")" -ge 3 ] || fail "the sandbox's metrics: $output"
    sup=$(supervisor_of "$(cri_pid "$C1")") || fail "no podinit above the container"
    uuid=$(pod_of "$sup") || fail "no pod of the shim has PID 1 $sup"
    cri stop --timeout 0 "$C1"
    cri rm "$C1"
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$SB"
    assert_podinit_gone "$uuid" "$sup"
}

@test "podinit: UpdateContainerResources changes the app's memory limit; a cpuset is refused and changes nothing" {
    local sb c sup uuid f
    sb=$(sandbox_json p10)
    SB=$(cri runp --runtime "$CRI_HANDLER" "$sb")
    c=$(container_json resized 'exec /probe sleep 3600' '{"linux": {"resources": {"memory_limit_in_bytes": 67108864}}}')
    C1=$(cri create "$SB" "$c" "$sb")
    cri start "$C1"
    cri wait "$C1" CONTAINER_RUNNING --within 10
    sup=$(supervisor_of "$(cri_pid "$C1")") || fail "no podinit above the container"
    uuid=$(pod_of "$sup") || fail "no pod of the shim has PID 1 $sup"
    f=$(app_cgroup_file "$uuid" "resized-${C1:0:12}" memory.limit_in_bytes memory.max) || fail "no subcgroup for $uuid"
    [ "$(cat "$f")" = 67108864 ] || fail "$f: $(cat "$f"), expected the create's 67108864"
    run cri update --memory 134217728 "$C1"
    assert_status 0
    [ "$(cat "$f")" = 134217728 ] || fail "$f: $(cat "$f") after UpdateContainerResources, expected 134217728"
    # With swap accounting (v1 memsw), CRI sends swap = limit (no swap beyond it): applied too, after the limit.
    if [ -e "${f%/*}/memory.memsw.limit_in_bytes" ]; then
        [ "$(cat "${f%/*}/memory.memsw.limit_in_bytes")" = 134217728 ] || fail "memsw: $(cat "${f%/*}/memory.memsw.limit_in_bytes")"
    fi
    # The app still runs, in the same cgroup.
    [ "$(cri state "$C1")" = CONTAINER_RUNNING ] || fail "the update stopped the container"
    # A cpuset: refused with the field and the reason (FAILED_PRECONDITION), the memory limit untouched.
    run cri update --cpuset-cpus 0 "$C1"
    assert_failure
    assert_output_contains "cpu.cpus"
    assert_output_contains "podinit"
    [ "$(cat "$f")" = 134217728 ] || fail "$f: $(cat "$f") after a refused update"
    # The next update is not refused for the earlier one: containerd kept the container's spec.
    run cri update --memory 100663296 "$C1"
    assert_status 0
    [ "$(cat "$f")" = 100663296 ] || fail "$f: $(cat "$f"), expected 100663296"
    cri stop --timeout 0 "$C1"
    cri rm "$C1"
    cri stopp "$SB"
    cri rmp "$SB"
    assert_gone "$SB"
    assert_podinit_gone "$uuid" "$sup"
}
