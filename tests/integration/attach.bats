#!/usr/bin/env bats
# Attaching to apps: stream and tty modes, scrollback, several clients, slow
# clients, binary data, close-stdin, signals, window size, detach keys and the
# rkt iottymux endpoints (docs/io.md, docs/protocol.md "The attach stream").

load helpers

setup_file() { build_images; }

setup() {
    pod_setup
    T=$BATS_TEST_TMPDIR
    ATTACH_PIDS=()
}

teardown() {
    tmux_end_jobs
    tmux_teardown
    end_attach_pids
    pod_teardown
}

# pid_alive PID: PID is a process that has not exited (a zombie has).
pid_alive() {
    local st
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "${st%% *}" != Z ]
}

# tmux_end_jobs: end what the test left running in its tmux pane (a podctl
# attach still attached) and wait for it, before tmux_teardown hangs up the
# terminal under it: nothing a test starts may outlive the test.
tmux_end_jobs() {
    [ -n "${TMUX_SOCK-}" ] || return 0
    local shell p
    shell=$(tm display-message -p -t main '#{pane_pid}' 2>/dev/null) || return 0
    [ -n "$shell" ] || return 0
    for p in $(ps -o pid= --ppid "$shell" 2>/dev/null); do
        kill -TERM "$p" 2>/dev/null || true
        wait_until 10 eval "! pid_alive $p" || kill -KILL "$p" 2>/dev/null || true
    done
}

# end_attach_pids: kill what is left of the podctl processes in ATTACH_PIDS
# (each leads its own process group, which holds any helper it forked).
end_attach_pids() {
    local p
    for p in "${ATTACH_PIDS[@]}"; do
        pid_alive "$p" || continue
        kill -KILL -- "-$p" "$p" 2>/dev/null || true
    done
    ATTACH_PIDS=()
}

# start_attach_in_tmux PIDFILE CMD: type CMD into the tmux shell, where CMD
# execs podctl from `sh -c` after writing its pid ($$) to PIDFILE; wait for
# PIDFILE and add the pid to ATTACH_PIDS.
start_attach_in_tmux() {
    tm send-keys -t main -l "$2"
    tm send-keys -t main Enter
    wait_until 10 test -s "$1" || fail "podctl attach did not start:" "$(tmux_screen)" || return 1
    ATTACH_PIDS+=("$(cat "$1")")
}

# wait_exited PID WHAT: PID must exit within 10 s; shows it if not.
wait_exited() {
    wait_until 10 eval "! pid_alive $1" && return 0
    fail "$2 (pid $1) is still running: $(ps -o pid=,stat=,etime=,pcpu=,args= --pid "$1" --ppid "$1")"
}

# summary_of FILE KEY: the value of "KEY ..." in an attach_client.py summary.
summary_of() {
    sed -n "s/^$2 //p" "$1" | head -n 1
}

wait_app_exited() {
    wait_until "${2:-10}" app_is "$UUID" "$1" state exited ||
        fail "app $1 did not exit; status: $(status_json "$UUID")"
}

wait_attached() {
    wait_until 10 app_is "$UUID" "$1" clients.attached "$2" ||
        fail "expected $2 attached clients on app $1; status: $(status_json "$UUID")"
}

# ----------------------------------------------------------------- stream

@test "stream: piped input reaches the app, attach exits with the app's code after stdin ends" {
    run_detached "$IMG" --stdin=stream --stdout=stream --exec=/bin/sh -- \
        -c 'while read l; do echo "got $l"; done; echo "stdin closed"; exit 5'
    feed() { printf 'a\nb\n' | timeout 15 "$PODCTL" --dir="$D" attach "$UUID"; }
    run feed
    assert_status 5
    assert_output_is "$(printf 'got a\ngot b\nstdin closed')"
    wait_app_exited 0
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 5 "app exit code"
    assert_eq "$(pod_field "$UUID" apps.0.streams.stdin.bytes)" 4 "streams.stdin.bytes"
    assert_eq "$(pod_field "$UUID" apps.0.streams.stdout.bytes)" 25 "streams.stdout.bytes"
    assert_eq "$(pod_field "$UUID" apps.0.clients.total)" 1 "clients.total"
    assert_eq "$(pod_field "$UUID" apps.0.clients.attached)" 0 "clients.attached"
}

@test "stream: a late client gets the scrollback; --replay=0 gets only new output" {
    run_detached "$IMG" --stdout=stream --exec=/bin/sh -- -c "echo scroll-line; $GATE; echo after-line"
    wait_until 10 app_is "$UUID" 0 streams.stdout.bytes 12 || fail "the app did not print its first line"
    bg timeout 20 "$PODCTL" --dir="$D" attach --no-stdin "$UUID" >"$T/full" 2>"$T/full.err"
    local p1=$BGP
    bg timeout 20 "$PODCTL" --dir="$D" attach --no-stdin --replay=0 "$UUID" >"$T/none" 2>"$T/none.err"
    local p2=$BGP
    wait_attached 0 2
    release_app busybox
    wait_ok "$p1" "podctl attach" "$T/full.err"
    wait_ok "$p2" "podctl attach --replay=0" "$T/none.err"
    assert_eq "$(cat "$T/full")" "$(printf 'scroll-line\nafter-line')" "output with the scrollback"
    assert_eq "$(cat "$T/none")" "after-line" "output with --replay=0"
}

@test "stream: the scrollback keeps the last 64 KiB; replay N sends the last N bytes" {
    run_detached "$IMG" --stdout=stream --exec=/bin/sh -- -c "seq 1 30000; $GATE; echo after-line"
    seq 1 30000 >"$T/seq"
    local total
    total=$(stat -c %s "$T/seq")
    wait_until 10 app_is "$UUID" 0 streams.stdout.bytes "$total" || fail "the app did not print 1..30000"
    bg attach_py --out "$T/all.out" >"$T/all.sum"
    local p1=$BGP
    bg attach_py --replay 5 --out "$T/five.out" >"$T/five.sum"
    local p2=$BGP
    wait_attached 0 2
    release_app busybox
    wait_ok "$p1" "client with the default replay" "$T/all.sum"
    wait_ok "$p2" "client with replay 5" "$T/five.sum"
    { tail -c 65536 "$T/seq"; echo after-line; } >"$T/want"
    cmp -s "$T/all.out" "$T/want" ||
        fail "default replay: got $(stat -c %s "$T/all.out") bytes, want the last 65536 of $total + after-line"
    assert_eq "$(cat "$T/five.out")" "$(printf '0000\nafter-line')" "replay 5"
}

@test "stream: three clients at once receive identical output" {
    run_detached "$IMG" --stdout=stream --exec=/bin/sh -- -c "$GATE; seq 1 5000"
    local i pids=()
    for i in 1 2 3; do
        bg attach_py --replay 0 --out "$T/c$i.out" --ready "$T/c$i.ready" >"$T/c$i.sum"
        pids+=("$BGP")
    done
    wait_attached 0 3
    release_app busybox
    for i in 1 2 3; do
        wait_ok "${pids[$((i - 1))]}" "client $i" "$T/c$i.sum"
        assert_eq "$(summary_of "$T/c$i.sum" exit)" '{"app": "busybox", "code": 0, "exitCode": 0, "shellCode": 0}' "client $i EXIT"
        assert_eq "$(summary_of "$T/c$i.sum" dropped-frames)" 0 "client $i DROPPED frames"
    done
    seq 1 5000 >"$T/want"
    cmp "$T/c1.out" "$T/want" || fail "client 1 did not get 1..5000"
    cmp "$T/c1.out" "$T/c2.out" || fail "clients 1 and 2 differ"
    cmp "$T/c1.out" "$T/c3.out" || fail "clients 1 and 3 differ"
}

# flood_app_ms: release the flood app of $POD, return (in MS) the time until
# the app has exited.
flood_app_ms() {
    local t0
    t0=$(now_ms)
    release_app busybox
    wait_until 60 app_is "$UUID" 0 state exited || fail "the flood app did not finish within 60 s" || return 1
    MS=$(( $(now_ms) - t0 ))
}

@test "slow client (drop): 100 MiB flood is not slowed; the reader and the log get everything" {
    local n=104857600
    # The reader may fall behind by up to the whole burst: its 256 MiB queue
    # needs a pod attach budget that holds it (its share is half of it).
    budget_manifest 512Mi "$GATE; exec /probe flood $n" podinit.io/log-attached=true podinit.io/log-max-size=0
    # Baseline: the same app with nobody attached.
    run_detached --pod-manifest="$T/pod.json" "$IMG"
    flood_app_ms
    local base=$MS

    run_detached --pod-manifest="$T/pod.json" "$IMG"
    bg attach_py --no-read --hold-until "$T/release" --ready "$T/stuck.ready" --timeout 60 >"$T/stuck.sum"
    local stuck=$BGP
    bg attach_py --replay 0 --queue 268435456 --out "$T/reader.out" --ready "$T/reader.ready" --timeout 90 >"$T/reader.sum"
    local reader=$BGP
    wait_attached 0 2
    flood_app_ms
    local took=$MS
    # The pod exits with its app; a client that is still attached then has
    # 2 s to take the rest (docs/protocol.md), so release it at once.
    touch "$T/release"
    echo "# flood: ${base} ms alone, ${took} ms with a stuck client" >&3

    assert_lt "$took" 20000 "flood time with a stuck client (ms)"
    assert_lt "$took" $(( base * 2 + 5000 )) "flood time with a stuck client vs ${base} ms alone (ms)"
    assert_eq "$(pod_field "$UUID" apps.0.streams.stdout.bytes)" "$n" "streams.stdout.bytes"
    local dropped
    dropped=$(pod_field "$UUID" apps.0.streams.stdout.droppedForClients)
    assert_ge "$dropped" 1 "streams.stdout.droppedForClients"
    assert_eq "$(pod_field "$UUID" apps.0.clients.disconnectedSlow)" 0 "clients.disconnectedSlow"

    touch "$T/release"
    wait_ok "$reader" "the reading client" "$T/reader.sum"
    wait_ok "$stuck" "the stuck client" "$T/stuck.sum"
    # The reader: every byte, in order, no drop.
    assert_eq "$(summary_of "$T/reader.sum" stdout)" "$n" "bytes received by the reader"
    assert_eq "$(summary_of "$T/reader.sum" dropped-frames)" 0 "DROPPED frames for the reader"
    assert_eq "$(stat -c %s "$T/reader.out")" "$n" "size of the reader's copy"
    assert_eq "$(tr -d 'x\n' <"$T/reader.out" | wc -c)" 0 "unexpected bytes in the reader's copy"
    assert_eq "$(summary_of "$T/reader.sum" exit)" '{"app": "busybox", "code": 0, "exitCode": 0, "shellCode": 0}' "reader's EXIT"
    # The stuck client: what it got plus what it was told it missed is the whole stream.
    local got lost
    got=$(summary_of "$T/stuck.sum" stdout)
    lost=$(summary_of "$T/stuck.sum" "dropped-bytes stdout")
    assert_ge "$(summary_of "$T/stuck.sum" dropped-frames)" 1 "DROPPED frames for the stuck client"
    assert_eq "$(( got + ${lost:-0} ))" "$n" "stuck client: bytes received ($got) + bytes marked dropped (${lost:-0})"
    assert_eq "$(summary_of "$T/stuck.sum" exit)" '{"app": "busybox", "code": 0, "exitCode": 0, "shellCode": 0}' "stuck client's EXIT"
    # The log: every line (99 x's and a newline each).
    pc logs "$UUID" >"$T/log.out" || fail "podctl logs failed"
    assert_eq "$(tr -cd x <"$T/log.out" | wc -c)" $(( n / 100 * 99 )) "x's in the log"
    assert_eq "$(grep -c '^x\{99\}$' "$T/log.out")" $(( n / 100 )) "flood lines in the log"
}

@test "slow client (disconnect): the stuck client is disconnected and counted" {
    local n=33554432
    run_detached "$IMG" --stdout=stream --exec=/bin/sh -- -c "$GATE; exec /probe flood $n"
    bg attach_py --no-read --overflow disconnect --hold-until "$T/release" --ready "$T/stuck.ready" --timeout 30 >"$T/stuck.sum"
    local stuck=$BGP
    wait_attached 0 1
    flood_app_ms
    assert_lt "$MS" 20000 "flood time (ms)"
    assert_ge "$(pod_field "$UUID" apps.0.clients.disconnectedSlow)" 1 "clients.disconnectedSlow"
    assert_eq "$(pod_field "$UUID" apps.0.clients.attached)" 0 "clients.attached"
    touch "$T/release"
    wait_ok "$stuck" "the stuck client" "$T/stuck.sum"
    assert_eq "$(summary_of "$T/stuck.sum" exit)" none "EXIT frame for a disconnected client"
    [[ $(summary_of "$T/stuck.sum" end) == @(eof|reset) ]] || fail "stuck client: $(cat "$T/stuck.sum")"
    assert_lt "$(summary_of "$T/stuck.sum" stdout)" "$n" "bytes the disconnected client got"
}

# budget_manifest BUDGET SCRIPT [NAME=VALUE...]: a one-app pod manifest
# (stdout in stream mode, plus these app annotations) with the pod annotation
# podinit.io/attach-queue-total=BUDGET ("" for none), running /bin/sh -c
# SCRIPT; written to $T/pod.json.
budget_manifest() {
    "$PYTHON" -c '
import json, sys
ann = [{"name": "podinit.io/attach-queue-total", "value": sys.argv[1]}] if sys.argv[1] else []
app_ann = [{"name": "coreos.com/rkt/stage2/stdout", "value": "stream"}]
app_ann += [dict(zip(("name", "value"), a.split("=", 1))) for a in sys.argv[3:]]
print(json.dumps({"acKind": "PodManifest", "acVersion": "0.8.11", "annotations": ann, "apps": [{
    "name": "busybox", "image": {"name": "example.com/busybox"},
    "app": {"exec": ["/bin/sh", "-c", sys.argv[2]], "user": "0", "group": "0"},
    "annotations": app_ann}]}))
' "$@" >"$T/pod.json"
}

# rss_kb FIELD: VmRSS or VmHWM (the peak) of the pod's PID 1, in kB.
pid1_mem_kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$(pod_pid1)/status"; }

@test "attach budget: six never-reading clients with 256 MiB queues cannot take PID 1 past the pod's 64 MiB default" {
    # The field case: six stuck clients, each allowed 256 MiB, on a chatty
    # app took PID 1 to 1.6 GB.  The sum of all attach queues is now bounded.
    local n=$((192 << 20)) i pids=()
    run_detached "$IMG" --stdout=stream --exec=/bin/sh -- -c "$GATE; /probe flood $n; exec sleep 60"
    run ctl 'call:{"op":"hello"}'
    assert_output_contains '"attachQueueTotal":67108864'
    for i in 1 2 3 4 5 6; do
        bg attach_py --no-read --replay 0 --queue 268435456 --timeout 120 >"$T/c$i.sum"
        pids+=("$BGP")
    done
    wait_attached 0 6
    release_app busybox
    wait_until 60 app_is "$UUID" 0 streams.stdout.bytes "$n" || fail "the app did not write its $n bytes"
    local hwm
    hwm=$(pid1_mem_kb VmHWM)
    echo "# PID 1 peak RSS with 6 stuck clients: ${hwm} kB" >&3
    # 64 MiB of queues, plus PID 1's own few MiB; unbounded it was 6 x 192 MiB.
    assert_lt "$hwm" $(( (64 + 40) * 1024 )) "PID 1's peak RSS (kB)"
    # Each got at most its share plus what its socket buffer holds.
    assert_ge "$(pod_field "$UUID" apps.0.streams.stdout.droppedForClients)" $(( 6 * n - (64 << 20) - 6 * (4 << 20) )) "droppedForClients"
    # Drop is their policy, and nobody attached after them: all still connected.
    assert_eq "$(pod_field "$UUID" apps.0.clients.attached)" 6 "clients.attached"
    assert_eq "$(pod_field "$UUID" apps.0.clients.disconnectedSlow)" 0 "clients.disconnectedSlow"
}

@test "attach budget: podinit.io/attach-queue-total bounds small-chunk output too; a late reader gets room, the hogs are disconnected" {
    # An app writing 11-byte lines: PID 1's cost per queued chunk is mostly
    # its bookkeeping, which counts too.  Budget 8 MiB.
    budget_manifest 8Mi "$GATE; i=0; while [ \$i -lt 400000 ]; do echo 0123456789; i=\$((i+1)); done; while [ ! -e /tmp/go2 ]; do sleep 0.05; done; /probe lines 2000 100; echo after-line; exec sleep 60"
    run_detached --pod-manifest="$T/pod.json" "$IMG"
    run ctl 'call:{"op":"hello"}'
    assert_output_contains '"attachQueueTotal":8388608'
    local i
    for i in 1 2 3 4 5 6; do
        bg attach_py --no-read --replay 0 --timeout 120 >"$T/c$i.sum"
    done
    wait_attached 0 6
    release_app busybox
    wait_until 60 app_is "$UUID" 0 streams.stdout.bytes 4400000 || fail "the app did not write its lines"
    local hwm
    hwm=$(pid1_mem_kb VmHWM)
    echo "# PID 1 peak RSS, 6 stuck clients, 8 MiB budget: ${hwm} kB" >&3
    assert_lt "$hwm" $(( (8 + 40) * 1024 )) "PID 1's peak RSS (kB)"
    assert_ge "$(pod_field "$UUID" apps.0.streams.stdout.droppedForClients)" 1 "droppedForClients"
    # A client that attaches now is under its share (8 MiB / 7) while the
    # budget is full: the stuck clients over their share make room for it
    # (the app's next output comes in 64 KiB chunks, which need that room).
    bg attach_py --replay 0 --ready "$T/late.ready" --timeout 30 --expect-timeout 20 'expect:after-line' detach >"$T/late.sum"
    local late=$BGP
    wait_until 10 test -e "$T/late.ready" || fail "the late client did not attach"
    touch "$(app_root busybox)/tmp/go2"
    # Its expect: fails (exit 4) unless the line reaches it.
    wait_ok "$late" "the late reader" "$T/late.sum"
    assert_ge "$(pod_field "$UUID" apps.0.clients.disconnectedSlow)" 1 "clients.disconnectedSlow"
}

@test "attach budget: a bad podinit.io/attach-queue-total is refused before the pod runs" {
    budget_manifest 1000 "exec sleep 60"
    run pc run -d --pod-manifest="$T/pod.json" "$IMG"
    assert_failure
    assert_output_contains 'podinit.io/attach-queue-total: "1000" is not a byte count from 65536'
}

@test "stream: all 256 byte values pass through unchanged" {
    run_detached "$IMG" --stdin=stream --stdout=stream --exec=/bin/cat
    local n=2097152
    run attach_py --queue 268435456 --out "$T/bin.out" --timeout 60 "bytes:$n" close
    assert_status 0
    assert_line 'exit {"app": "busybox", "code": 0, "exitCode": 0, "shellCode": 0}'
    assert_line "dropped-frames 0"
    "$PYTHON" -c '
import sys
n = int(sys.argv[2])
want = (bytes(range(256)) * (n // 256 + 1))[:n]
got = open(sys.argv[1], "rb").read()
if got != want:
    i = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
    sys.exit("got %d bytes, want %d; first difference at offset %d" % (len(got), len(want), i))
' "$T/bin.out" "$n" || fail "binary data was altered"
    assert_eq "$(pod_field "$UUID" apps.0.streams.stdin.bytes)" "$n" "streams.stdin.bytes"
    assert_eq "$(pod_field "$UUID" apps.0.streams.stdout.bytes)" "$n" "streams.stdout.bytes"
}

@test "stream: input to an app that does not read yet is held back, not lost (8 MiB)" {
    run_detached "$IMG" --stdin=stream --stdout=stream --exec=/bin/sh -- -c "$GATE; exec cat"
    local n=8388608
    bg attach_py --queue 268435456 --out "$T/in.out" --timeout 60 "bytes:$n" close >"$T/in.sum"
    local p=$BGP
    wait_attached 0 1
    sleep 1     # the client writes until PID 1 stops reading from it
    release_app busybox
    wait_ok "$p" "client" "$T/in.sum"
    assert_eq "$(summary_of "$T/in.sum" stdout)" "$n" "bytes echoed back"
    "$PYTHON" -c '
import sys
n = int(sys.argv[2])
if open(sys.argv[1], "rb").read() != (bytes(range(256)) * (n // 256 + 1))[:n]:
    sys.exit("the echoed bytes differ from what was sent")
' "$T/in.out" "$n" || fail "input was altered"
}

@test "stream: a prompt without a newline reaches the client at once" {
    run_detached "$IMG" --stdin=stream --stdout=stream --exec=/bin/sh -- \
        -c "$GATE; printf 'prompt> '; read x; echo \"x=\$x\""
    bg attach_py --replay 0 --ready "$T/ready" --expect-timeout 3 'expect:prompt> ' 'send:abc\n' 'expect:x=abc' >"$T/sum"
    local p=$BGP
    wait_attached 0 1
    release_app busybox
    wait_ok "$p" "client" "$T/sum"
    assert_eq "$(summary_of "$T/sum" exit)" '{"app": "busybox", "code": 0, "exitCode": 0, "shellCode": 0}' "EXIT"
}

@test "stream: attach ends once the reader of its output is gone (attach | head -n 1)" {
    run_detached "$IMG" --stdout=stream --exec=/bin/sh -- -c 'while true; do echo line; sleep 0.1; done'
    # Before, podctl relayed to the closed pipe (EPIPE, SIGPIPE blocked) as long as the app ran.
    run timeout 10 sh -c '"$1" --dir="$2" attach --no-stdin "$3" | head -n 1' sh "$PODCTL" "$D" "$UUID"
    assert_status 0
    assert_output_is line
    wait_attached 0 0
}

@test "CLOSE_STDIN ends cat's input (stream and tty): it exits 0 and the client gets EXIT" {
    run_detached "$IMG" --stdin=stream --stdout=stream --exec=/bin/cat
    run attach_py 'send:hello\n' 'expect:hello\n' close
    assert_status 0
    assert_line "stdout 6"
    assert_line 'exit {"app": "busybox", "code": 0, "exitCode": 0, "shellCode": 0}'
    assert_line "frames-after-exit 0"
    assert_line "end eof"
    wait_app_exited 0
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 0 "cat's exit code"

    # On a tty, CLOSE_STDIN is the terminal's EOF character: cat ends too.
    run_detached "$IMG" --stdin=tty --stdout=tty --exec=/bin/cat
    run attach_py 'send:hello\n' 'expect:hello\r\nhello\r\n' close
    assert_status 0
    assert_line 'exit {"app": "busybox", "code": 0, "exitCode": 0, "shellCode": 0}'
    assert_line "end eof"
}

@test "SIGNAL frame to a stream app reaches its process group" {
    run_detached "$IMG" --stdin=stream --stdout=stream --exec=/bin/sh -- \
        -c 'trap "echo got-int; exit 9" INT; echo ready; while :; do sleep 0.1; done'
    run attach_py 'expect:ready' signal:2 'expect:got-int'
    assert_status 0
    assert_line 'exit {"app": "busybox", "code": 9, "exitCode": 9, "shellCode": 9}'
}

# ----------------------------------------------------------------- errors

@test "attaching to an exited app fails with 'has exited'" {
    run_detached "$IMG" --name=short --stdout=stream --exec=/bin/echo -- hi \
        --- "$IMG" --name=long --exec=/probe -- sleep 120
    wait_app_exited 0
    run timeout 10 "$PODCTL" --dir="$D" attach --app=short "$UUID"
    assert_failure
    assert_output_contains "has exited"
    run attach_py --app short
    assert_status 2
    assert_output_contains "error exited"
    assert_output_contains "has exited"
}

@test "attaching to an app with nothing attachable fails with not-attachable" {
    run_detached "$IMG" --exec=/probe -- sleep 120
    run timeout 10 "$PODCTL" --dir="$D" attach "$UUID"
    assert_failure
    assert_output_contains "busybox"
    assert_output_contains "attach"
    run attach_py
    assert_status 2
    assert_output_contains "error not-attachable"
    # A requested stream in another mode is refused too.
    run_detached "$IMG" --stdout=stream --exec=/probe -- sleep 120
    run attach_py --streams stdin,stdout
    assert_status 2
    assert_output_contains "error not-attachable"
    assert_eq "$(pod_field "$UUID" apps.0.clients.total)" 0 "clients.total after refused attaches"
}

# -------------------------------------------------------------------- tty

@test "tty: detach keys leave the app running; re-attaching replays the scrollback" {
    write_sttycheck "$T/sttycheck"
    run_detached "$IMG" --stdin=tty --stdout=tty --stderr=tty --exec=/bin/sh
    tmux_shell
    tm send-keys -t main -l "\"$PODCTL\" --dir=\"$D\" attach $UUID; echo \"attach-rc:\$?\"; sh $T/sttycheck"
    tm send-keys -t main Enter
    wait_attached 0 1
    tm send-keys -t main -l 'echo marker$((40+2))'
    tm send-keys -t main Enter
    tmux_wait "marker42"
    tm send-keys -t main C-p C-q
    tmux_wait "detached"
    tmux_wait "attach-rc:0"
    tmux_wait "tty-state: cooked"
    assert_eq "$(pod_field "$UUID" apps.0.state)" ready "app state after detaching"
    wait_attached 0 0
    assert_eq "$(tmux_screen | grep -c '^marker42 *$')" 1 "marker42 output lines before re-attaching"

    tm send-keys -t main -l "\"$PODCTL\" --dir=\"$D\" attach $UUID"
    tm send-keys -t main Enter
    wait_attached 0 1
    wait_until 5 eval '[ "$(tmux_screen | grep -c "^marker42 *\$")" -ge 2 ]' ||
        fail "re-attaching did not replay marker42:" "$(tmux_screen)"
    # The re-attached terminal works.
    tm send-keys -t main -l 'echo again$((40+3))'
    tm send-keys -t main Enter
    tmux_wait "again43"
}

# hangup_detaches PREFIX: attach (started as PREFIX sh -c '... exec podctl attach')
# in a tmux pane to a tty shell app, type a line, tear the terminal down:
# podctl must detach and be gone, and the app keep running with its stdin open.
hangup_detaches() {
    run_detached "$IMG" --stdin=tty --stdout=tty --stderr=tty --exec=/bin/sh
    tmux_shell
    start_attach_in_tmux "$T/attach.pid" \
        "$1${1:+ }sh -c 'echo \$\$ >$T/attach.pid; exec \"$PODCTL\" --dir=\"$D\" attach $UUID'" || return 1
    local pid=${ATTACH_PIDS[0]}
    wait_attached 0 1
    tm send-keys -t main -l 'echo up$((40+2))'
    tm send-keys -t main Enter
    tmux_wait "up42"
    tmux_teardown
    wait_exited "$pid" "podctl attach after its terminal went away"
    wait_attached 0 0
    assert_eq "$(pod_field "$UUID" apps.0.state)" ready "app state after the hangup"
    # Its stdin was not closed: the shell still reads and answers.
    run attach_py --replay 0 'send:echo still$((40+3))\n' 'expect:still43' detach
    assert_status 0
}

# The terminal of an attached client goes away.  Its shell gets SIGHUP and
# passes it on; when that shell exits, the kernel sends SIGHUP and SIGCONT to
# podctl's process group.  podctl must detach at once and be gone: a sanitizer
# build that ran its exit-time leak check here used to be left spinning at
# 100% CPU (the SIGCONT cancels the SIGSTOP LeakSanitizer's tracer waits for).
@test "tty: a terminal that goes away detaches attach: podctl is gone, the app keeps running" {
    hangup_detaches ""
}

# The same terminal, held by a podctl in a session of its own (setsid): the
# hangup sends it no signal; it must notice the terminal go on its stdin (a
# hung-up tty reads EIO or end-of-file with POLLHUP), detach and leave the
# app's stdin open, not relay that end-of-file to the app as ^D.
@test "tty: attach in another session notices its terminal hang up on stdin; the app keeps running" {
    hangup_detaches "setsid -w"
}

# A watch-only client (--no-stdin) in a session of its own, on a quiet app:
# no signal, no input, no output; it must notice the hangup on its stdout.
@test "tty: attach --no-stdin notices its terminal hang up on stdout" {
    run_detached "$IMG" --stdin=tty --stdout=tty --stderr=tty --exec=/bin/sh
    tmux_shell
    start_attach_in_tmux "$T/watch.pid" \
        "setsid -f sh -c 'echo \$\$ >$T/watch.pid; exec \"$PODCTL\" --dir=\"$D\" attach --no-stdin $UUID'" || return 1
    local pid=${ATTACH_PIDS[0]}
    wait_attached 0 1
    tmux_teardown
    wait_exited "$pid" "podctl attach --no-stdin after its terminal went away"
    wait_attached 0 0
    assert_eq "$(pod_field "$UUID" apps.0.state)" ready "app state after the hangup"
}

@test "tty: size follows the client, TERM is set, ^C interrupts, exit code and terminal restored" {
    write_sttycheck "$T/sttycheck"
    run_detached "$IMG" --stdin=tty --stdout=tty --stderr=tty --exec=/bin/sh
    tmux_shell
    tm send-keys -t main -l "\"$PODCTL\" --dir=\"$D\" attach $UUID; echo \"attach-rc:\$?\"; sh $T/sttycheck"
    tm send-keys -t main Enter
    wait_attached 0 1
    tm send-keys -t main -l 'echo "size=[$(stty size)]" "term=[$TERM]"'
    tm send-keys -t main Enter
    tmux_wait "size=[30 100]"
    tmux_screen | grep -Eq '^size=\[30 100\] term=\[[^] ]+\]' ||
        fail "TERM is not set in the tty app:" "$(tmux_screen)"
    assert_eq "$(pod_field "$UUID" apps.0.ttySize)" '{"cols": 100, "rows": 30}' "ttySize"

    tm resize-window -t main -x 90 -y 25
    wait_until 5 app_is "$UUID" 0 ttySize '{"cols": 90, "rows": 25}' ||
        fail "ttySize after the resize: $(pod_field "$UUID" apps.0.ttySize)"
    tm send-keys -t main -l 'echo "size=[$(stty size)]"'
    tm send-keys -t main Enter
    tmux_wait "size=[25 90]"

    tm send-keys -t main -l 'echo start$((1+1)); sleep 100'
    tm send-keys -t main Enter
    tmux_wait "start2"
    sleep 0.3
    tm send-keys -t main C-c
    tm send-keys -t main -l 'echo "after-int$((1+1)):$?"'
    tm send-keys -t main Enter
    tmux_wait "after-int2:130" 5

    tm send-keys -t main -l 'exit 7'
    tm send-keys -t main Enter
    tmux_wait "attach-rc:7"
    tmux_wait "tty-state: cooked"
    wait_app_exited 0
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 7 "app exit code"
}

@test "tty: a SIGNAL frame interrupts the foreground job, the shell survives" {
    run_detached "$IMG" --stdin=tty --stdout=tty --exec=/bin/sh
    run attach_py --size 40x120 --expect-timeout 5 'send:echo start$((1+1)); sleep 100\n' 'expect:start2' \
        sleep:0.3 signal:2 'send:echo "alive$((6*7)):$?"\n' 'expect:alive42:130' 'send:exit 4\n'
    assert_status 0
    assert_line 'exit {"app": "busybox", "code": 4, "exitCode": 4, "shellCode": 4}'
}

@test "tty: TERM comes from podinit's environment, size from the attach request and RESIZE" {
    TERM=vt220-test run_detached "$IMG" --stdin=tty --stdout=tty --exec=/bin/sh -- \
        -c 'read x; echo "term=$TERM size=$(stty size)"; read x; echo "size=$(stty size)"'
    run attach_py --size 33x111 --out "$T/out" 'send:go\n' 'expect:size=33 111' resize:44:122 'send:go\n' 'expect:size=44 122'
    assert_status 0
    grep -q 'term=vt220-test size=33 111' "$T/out" || fail "unexpected tty output: $(cat -A "$T/out")"
}

# -------------------------------------------------------------------- rkt

@test "rkt iottymux endpoints: file, socket modes, raw stdin and stdout" {
    run_detached "$IMG" --name=echo --stdin=stream --stdout=stream --exec=/bin/sh -- \
        -c "$GATE; echo raw-out-line; read l; echo \"in=\$l\""
    local e=$POD/stage1/rootfs/rkt/iottymux/echo
    wait_until 5 test -s "$e/endpoints" || fail "no endpoints file in $e"
    assert_eq "$(cat "$e/endpoints")" \
        '{"version":1,"targets":[{"name":"stdin","domain":"unix","address":"/rkt/iottymux/echo/sock-stdin"},{"name":"stdout","domain":"unix","address":"/rkt/iottymux/echo/sock-stdout"}]}' \
        "endpoints"
    [ -S "$e/sock-stdin" ] || fail "no sock-stdin"
    [ -S "$e/sock-stdout" ] || fail "no sock-stdout"
    [ ! -e "$e/sock-stderr" ] || fail "sock-stderr exists for a log-mode stderr"
    assert_eq "$(stat -c %a "$e/sock-stdin")" 600 "sock-stdin mode"
    assert_eq "$(stat -c %a "$e/sock-stdout")" 600 "sock-stdout mode"

    bg "$PYTHON" "$ATTACH_PY" --raw "$e/sock-stdout" --out "$T/raw.out" --ready "$T/raw.ready" --timeout 20 >"$T/raw.sum"
    local reader=$BGP
    wait_until 5 test -e "$T/raw.ready" || fail "raw client did not connect"
    sleep 0.2  # live output only: let PID 1 accept the connection first
    release_app echo
    run "$PYTHON" "$ATTACH_PY" --raw "$e/sock-stdin" --send 'ping\n'
    assert_status 0
    wait_ok "$reader" "raw stdout client" "$T/raw.sum"
    assert_eq "$(cat "$T/raw.out")" "$(printf 'raw-out-line\nin=ping')" "raw stdout"
    assert_eq "$(summary_of "$T/raw.sum" end)" eof "raw stdout connection end"
    wait_app_exited 0
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 0 "app exit code"
}
