#!/usr/bin/env bats
# The control socket: permissions, framing, operations, errors and limits,
# spoken directly with ctl.py (see docs/protocol.md).

load helpers

setup_file() { build_images; }

setup() {
    pod_setup
    run_detached "$IMG" --exec=/probe -- sleep 120
    SOCK=$POD/stage1/rootfs/rkt/podinit/control.sock
}

teardown() { pod_teardown; }

# ctl_run ARGS: `run ctl ARGS`, then flatten the responses for field().
ctl_run() {
    run ctl "$@"
    _flatten_responses
}

# field N PATH: the JSON field PATH of the response printed on line N of
# the last ctl_run (lines look like "frame 0x02 {...}").
field() {
    local l=${lines[$1]-}
    [[ $l == "frame 0x02 "* ]] || { _dump_run; fail "line $1 is not a response frame: $l"; return 1; }
    [ "${_FIELD_SRC-}" = "$output" ] || fail "field: call ctl_run first" || return 1
    [ -n "${_F["$1:$2"]+set}" ] || { _dump_run; fail "line $1 has no field $2"; return 1; }
    printf '%s\n' "${_F["$1:$2"]}"
}

_flatten_responses() {
    local k v
    declare -gA _F=()
    while IFS= read -r -d '' k && IFS= read -r -d '' v; do
        _F[$k]=$v
    done < <(printf '%s' "$output" | "$PYTHON" -c '
import json, sys
def emit(key, val):
    if isinstance(val, bool):
        s = "true" if val else "false"
    elif val is None:
        s = "null"
    elif isinstance(val, str):
        s = val
    elif isinstance(val, (dict, list)):
        s = json.dumps(val, sort_keys=True)
    else:
        s = str(val)
    sys.stdout.write(key + "\0" + s + "\0")
def walk(n, path, val):
    emit("%d:%s" % (n, path), val)
    if isinstance(val, dict):
        items = val.items()
    elif isinstance(val, list):
        items = enumerate(val)
    else:
        return
    for k, v in items:
        walk(n, "%s.%s" % (path, k) if path else str(k), v)
for n, line in enumerate(sys.stdin.read().split("\n")):
    if line.startswith("frame 0x02 "):
        walk(n, "", json.loads(line[len("frame 0x02 "):]))
')
    _FIELD_SRC=$output
}

@test "the control socket exists with mode 0600 in a 0700 directory while running" {
    [ -S "$SOCK" ] || fail "no socket at $SOCK"
    assert_eq "$(stat -c %a "$SOCK")" 600 "socket mode"
    assert_eq "$(stat -c %a "$(dirname "$SOCK")")" 700 "socket directory mode"
    assert_eq "$(stat -c %u "$SOCK")" 0 "socket owner"
}

@test "hello returns protocol version 1 and echoes the id" {
    ctl_run 'call:{"op":"hello","id":"abc"}'
    assert_status 0
    assert_eq "$(field 0 ok)" true "ok"
    assert_eq "$(field 0 v)" 1 "v"
    assert_eq "$(field 0 id)" abc "id"
    assert_eq "$(field 0 result.version)" 1 "result.version"
    assert_eq "$(field 0 result.versions)" "[1]" "result.versions"
    assert_eq "$(field 0 result.pod)" "$UUID" "result.pod"
    assert_eq "$(field 0 result.maxFrame)" 65536 "result.maxFrame"
    assert_eq "$(field 0 result.maxClients)" 64 "result.maxClients"
}

@test "status returns the pod's status document" {
    ctl_run 'call:{"v":1,"id":7,"op":"status"}'
    assert_status 0
    assert_eq "$(field 0 ok)" true "ok"
    assert_eq "$(field 0 id)" 7 "id"
    assert_eq "$(field 0 result.version)" 1 "result.version"
    assert_eq "$(field 0 result.uuid)" "$UUID" "result.uuid"
    assert_eq "$(field 0 result.state)" running "result.state"
    assert_eq "$(field 0 result.clients)" 1 "result.clients"
    assert_eq "$(field 0 result.apps.0.name)" busybox "result.apps[0].name"
    assert_eq "$(field 0 result.apps.0.state)" ready "result.apps[0].state"
    assert_eq "$(field 0 result.apps.0.pid)" 2 "result.apps[0].pid"
    [ -n "$(field 0 result.readyAt)" ] || fail "no readyAt while running"
}

@test "list returns the apps and their states" {
    ctl_run 'call:{"op":"list"}'
    assert_status 0
    assert_eq "$(field 0 ok)" true "ok"
    assert_eq "$(field 0 result.apps)" '[{"name": "busybox", "state": "ready"}]' "result.apps"
}

@test "an unknown op gets unknown-op and the connection stays usable" {
    ctl_run 'call:{"op":"frobnicate","id":1}' 'call:{"op":"hello","id":2}'
    assert_status 0
    assert_eq "$(field 0 ok)" false "ok"
    assert_eq "$(field 0 id)" 1 "id"
    assert_eq "$(field 0 error.code)" unknown-op "error.code"
    assert_contains "$(field 0 error.message)" frobnicate "error.message"
    assert_eq "$(field 1 ok)" true "ok of the following hello"
    assert_eq "$(field 1 id)" 2 "id of the following hello"
}

@test "malformed JSON gets bad-request and a following valid request still works" {
    ctl_run 'call:{"op": "status",' 'call:{"op":"status","id":9}'
    assert_status 0
    assert_eq "$(field 0 ok)" false "ok"
    assert_eq "$(field 0 error.code)" bad-request "error.code"
    assert_eq "$(field 1 ok)" true "ok of the valid request"
    assert_eq "$(field 1 id)" 9 "id of the valid request"
    assert_eq "$(field 1 result.uuid)" "$UUID" "uuid in the valid response"
}

@test "a non-object request, a missing op and a wrong-typed argument get bad-request" {
    ctl_run 'call:[1,2,3]' 'call:{"id":3}' 'call:{"op":"stop","force":"yes"}' 'call:{"op":"hello"}'
    assert_status 0
    assert_eq "$(field 0 error.code)" bad-request "non-object"
    assert_eq "$(field 1 error.code)" bad-request "missing op"
    assert_eq "$(field 2 error.code)" bad-request "stop with force:\"yes\""
    assert_eq "$(field 3 ok)" true "hello afterwards"
    # The bad stop must not have stopped the pod.
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
}

@test "an unsupported protocol version is refused" {
    ctl_run 'call:{"v":2,"op":"hello"}' 'call:{"v":1,"op":"hello"}'
    assert_status 0
    assert_eq "$(field 0 ok)" false "ok"
    assert_eq "$(field 0 error.code)" unsupported-version "error.code"
    assert_eq "$(field 1 ok)" true "v1 hello afterwards"
}

@test "a frame of a type other than REQUEST gets bad-frame; the connection stays open" {
    ctl_run 'frame:2:{"op":"hello"}' recv 'frame:0x10:xyz' recv 'call:{"op":"hello","id":4}'
    assert_status 0
    assert_eq "$(field 0 error.code)" bad-frame "error.code for a RESPONSE-type frame"
    assert_eq "$(field 1 error.code)" bad-frame "error.code for a reserved frame type"
    assert_eq "$(field 2 ok)" true "hello afterwards"
    assert_eq "$(field 2 id)" 4 "hello id"
}

@test "pipelined requests are answered in order" {
    ctl_run 'req:{"op":"hello","id":1}' 'req:{"op":"list","id":2}' 'req:{"op":"status","id":3}' recv recv recv
    assert_status 0
    assert_eq "$(field 0 id)" 1 "first id"
    assert_eq "$(field 1 id)" 2 "second id"
    assert_eq "$(field 2 id)" 3 "third id"
}

@test "a frame announcing more than 64 KiB gets too-large and is disconnected; the pod is fine" {
    ctl_run 'hdr:65537' recv eof
    assert_status 0
    assert_eq "$(field 0 ok)" false "ok"
    assert_eq "$(field 0 error.code)" too-large "error.code"
    assert_eq "${lines[1]}" eof "connection after too-large"
    ctl_run 'hdr:4294967295' recv eof
    assert_status 0
    assert_eq "$(field 0 error.code)" too-large "error.code for a 4 GiB frame"
    assert_eq "${lines[1]}" eof "connection after too-large"
    run pc status --json "$UUID"
    assert_status 0
    assert_eq "$(printf '%s' "$output" | jget state)" running "pod state after too-large"
    ctl_run 'call:{"op":"hello"}'
    assert_eq "$(field 0 ok)" true "hello after too-large"
}

@test "a frame of exactly 64 KiB is accepted" {
    local req
    # L = 1 type byte + payload: pad the JSON with spaces to 65535 bytes.
    req=$("$PYTHON" -c 'import sys; s="{\"op\":\"hello\",\"id\":5}"; sys.stdout.write(s + " " * (65535 - len(s)))')
    [ "${#req}" -eq 65535 ] || fail "request is ${#req} bytes"
    ctl_run "call:$req"
    assert_status 0
    assert_eq "$(field 0 ok)" true "ok"
    assert_eq "$(field 0 id)" 5 "id"
}

@test "a zero-length frame gets bad-frame and is disconnected" {
    ctl_run 'hdr:0' recv eof
    assert_status 0
    assert_eq "$(field 0 error.code)" bad-frame "error.code"
    assert_eq "${lines[1]}" eof "connection after a zero-length frame"
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
}

@test "the 65th simultaneous client gets too-many-clients; old and new clients keep working" {
    ctl_run many 64
    assert_status 0
    assert_line "held 64"
    [[ ${lines[1]} == "extra frame 0x02 "* ]] || { _dump_run; fail "the 65th client got no response frame"; }
    local resp=${lines[1]#extra frame 0x02 }
    assert_eq "$(printf '%s' "$resp" | jget error.code)" too-many-clients "65th client's error.code"
    assert_line "extra then eof"
    assert_line "old client status ok=True state=running"
    assert_line "new client status ok=True clients=1"
    assert_eq "$(pod_field "$UUID" state)" running "pod state"
    is_ready || fail "supervisor-status vanished"
}

@test "a silent client does not block another client's status request" {
    ctl_run idle
    assert_status 0
    [[ ${lines[0]} =~ ^status\ ok=True\ in\ ([0-9]+)\ ms$ ]] || { _dump_run; fail "status request failed"; }
    assert_lt "${BASH_REMATCH[1]}" 1000 "status latency with stalled clients (ms)"
    assert_line "silent open"
    assert_line "partial open"
    # podctl (another client) works too while a silent client is connected.
    "$PYTHON" -c '
import os, socket, sys, time
d = os.open(sys.argv[1], os.O_PATH | os.O_DIRECTORY)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/proc/self/fd/%d/control.sock" % d)
sys.stdout.write("connected\n"); sys.stdout.flush()
time.sleep(30)
' "$(dirname "$SOCK")" >"$BATS_TEST_TMPDIR/silent.out" 3>&- &
    BG_PIDS+=($!)
    wait_until 5 grep -q connected "$BATS_TEST_TMPDIR/silent.out" || fail "silent client did not connect"
    local t0 t1
    t0=$(now_ms)
    run pc status --json "$UUID"
    t1=$(now_ms)
    assert_status 0
    assert_lt $((t1 - t0)) 1000 "podctl status time with a silent client (ms)"
    assert_eq "$(printf '%s' "$output" | jget clients)" 2 "clients (silent one + podctl)"
}

@test "stop over the socket: answered first, then the connection closes when the pod is gone" {
    ctl_run 'call:{"op":"stop","id":"s"}' eof
    assert_status 0
    assert_eq "$(field 0 ok)" true "ok"
    assert_eq "$(field 0 result.stopping)" true "result.stopping"
    assert_eq "${lines[1]}" eof "connection after the pod stopped"
    wait_until 5 eval '! pod_lock_held "$POD"' || fail "pod still running after stop"
    assert_eq "$(pod_field "$UUID" state)" exited "pod state"
    assert_eq "$(pod_field "$UUID" exitCode)" 0 "pod exitCode"
    [ ! -S "$SOCK" ] || [ "$(pod_field "$UUID" state)" = exited ] || fail "socket still live"
}
