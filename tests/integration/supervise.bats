#!/usr/bin/env bats
# Supervision (docs/lifecycle.md): restart policies and backoff, essential
# apps and the pod's exit code, readiness (sd_notify, fd, probe, watchdog),
# ordering, per-app stop, and the events stream.  Timing is checked through
# the events' monotonic clock, never with sleeps.

load helpers

setup_file() { build_images; }
setup() { pod_setup; }
teardown() { pod_teardown; }

# events_py SCRIPT: run Python on the JSON events in $EV (one per line).
events_py() {
    "$PYTHON" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
'"$1" "$EV"
}

# The single pod of $D once its control socket is up (it may not be ready).
wait_pod_up() {
    wait_until 10 eval 'ls "$D"/pods/run/*/stage1/rootfs/rkt/podinit/control.sock >/dev/null 2>&1' ||
        fail "no pod control socket under $D" || return 1
    only_pod
}

@test "on-failure: a crash loop backs off 100, 200, 400, 400 ms, then gives up; the pod fails with the app's code" {
    run_detached "$IMG" --name=side --exec=/probe -- sleep 60 \
        --- "$IMG" --name=crash --restart=on-failure --restart-max=4 --restart-backoff=100ms \
        --restart-backoff-max=400ms --exec=/probe -- exit 3
    EV=$BATS_TEST_TMPDIR/ev
    # Follows until the pod exits (the crash loop ends it), replaying from the start.
    timeout 20 "$PODCTL" --dir="$D" events --json "$UUID" >"$EV" || fail "podctl events failed"
    run events_py '
crash = [e for e in ev if e.get("app") == "crash"]
backoffs = [e for e in crash if e["event"] == "backoff"]
assert [e["backoffMs"] for e in backoffs] == [100, 200, 400, 400], backoffs
assert [e["restarts"] for e in backoffs] == [1, 2, 3, 4]
assert all(e["code"] == 3 and e["exitCode"] == 3 for e in backoffs)
for b in backoffs:
    r = [e for e in crash if e["seq"] > b["seq"]][0]
    assert r["event"] == "restart" and r["from"] == "backoff" and r["to"] == "starting", r
    waited = (r["monoNs"] - b["monoNs"]) / 1e6
    assert b["backoffMs"] <= waited < b["backoffMs"] + 400, (b, waited)
last = crash[-1]
assert last["event"] == "give-up" and last["to"] == "failed" and last["code"] == 3, last
assert ev[-1]["type"] == "pod" and ev[-1]["event"] == "exited" and ev[-1]["exitCode"] == 3, ev[-1]
seqs = [e["seq"] for e in ev]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
print("ok")'
    assert_status 0
    assert_eq "$(pod_field "$UUID" exitCode)" 3 "pod exit code"
    assert_contains "$(pod_field "$UUID" exitReason)" "app crash gave up after 4 restarts"
    assert_eq "$(pod_field "$UUID" apps.1.state)" failed "crash app state"
    assert_eq "$(pod_field "$UUID" apps.1.restarts)" 4 "restarts"
    assert_eq "$(pod_field "$UUID" apps.0.stoppedByPod)" true "side stopped by the pod"
    assert_eq "$(app_status_file crash)" 3 "rkt status of the crash app"
}

@test "always: a clean exit restarts too, and a run longer than restart-reset-after resets the backoff; on-failure leaves a clean exit alone" {
    run_detached "$IMG" --name=loop --restart=always --restart-backoff=100ms --restart-reset-after=200ms \
        --exec=/bin/sh -- -c 'sleep 0.3' \
        --- "$IMG" --name=once --restart=on-failure --exec=/probe -- exit 0 \
        --- "$IMG" --name=keep --exec=/probe -- sleep 60
    wait_until 10 eval '[ "$(pod_field "$UUID" apps.0.restarts)" -ge 3 ]' || fail "loop did not restart 3 times"
    EV=$BATS_TEST_TMPDIR/ev
    pc events --json --no-follow "$UUID" >"$EV" || fail "podctl events --no-follow failed"
    run events_py '
b = [e for e in ev if e.get("app") == "loop" and e["event"] == "backoff"]
assert len(b) >= 3 and all(e["backoffMs"] == 100 and e["code"] == 0 for e in b), b
once = [e["event"] for e in ev if e.get("app") == "once"]
assert once == ["start", "exec", "ready", "exit"], once
print("ok")'
    assert_status 0
    assert_eq "$(pod_field "$UUID" apps.1.state)" exited "on-failure app after exit 0"
    assert_eq "$(pod_field "$UUID" apps.1.restarts)" 0 "its restarts"
    assert_eq "$(pod_field "$UUID" state)" running "the pod keeps running"
    run pc stop "$UUID"
    assert_status 0
    assert_eq "$(pod_field "$UUID" exitCode)" 0 "pod exit code"
    assert_eq "$(pod_field "$UUID" apps.0.state)" exited "loop after the stop"
}

@test "a restarted app keeps its log file and its attached client, which sees restart markers" {
    T=$BATS_TEST_TMPDIR
    run_detached "$IMG" --name=flaky --stdout=stream --log-attached --restart=on-failure --restart-backoff=100ms \
        --exec=/bin/sh -- -c "$GATE"'; n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >/tmp/n; echo "run $n"; [ $n -ge 3 ] && exec sleep 60; exit 1'
    local log0
    log0=$(pod_field "$UUID" apps.0.log.path)
    bg attach_py --streams stdout --out "$T/att.out" --ready "$T/att.ready" --timeout 30 >"$T/att.sum"
    local attach=$BGP
    wait_until 5 test -e "$T/att.ready" || fail "attach did not start"
    release_app flaky
    wait_until 10 eval '[ "$(pod_field "$UUID" apps.0.restarts)" = 2 ] && pc logs --app=flaky "$UUID" | grep -q "run 3"' ||
        fail "flaky did not reach its third run: $(status_json "$UUID")"
    assert_eq "$(pod_field "$UUID" apps.0.log.path)" "$log0" "log file path"
    run pc logs --app=flaky "$UUID"
    assert_status 0
    assert_output_is "$(printf 'run 1\nrun 2\nrun 3')"
    run pc stop "$UUID"
    assert_status 0
    wait_ok "$attach" "attach client" "$T/att.sum"
    assert_eq "$(cat "$T/att.out")" "$(printf 'run 1\nrun 2\nrun 3')" "the client's output across restarts"
    grep -c '^event backoff ' "$T/att.sum" | grep -qx 2 || { cat "$T/att.sum" >&2; fail "expected 2 backoff markers"; }
    grep -c '^event restart ' "$T/att.sum" | grep -qx 2 || { cat "$T/att.sum" >&2; fail "expected 2 restart markers"; }
    grep -q '^exit {.*"shellCode": 143' "$T/att.sum" || { cat "$T/att.sum" >&2; fail "no exit frame at the end"; }
}

@test "podctl attach prints a restart marker and stays attached" {
    T=$BATS_TEST_TMPDIR
    run_detached "$IMG" --name=flaky --stdout=stream --restart=on-failure --restart-backoff=50ms \
        --exec=/bin/sh -- -c "$GATE"'; n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >/tmp/n; echo "run $n"; [ $n -ge 2 ] && exec sleep 60; exit 1'
    bg sh -c "'$PODCTL' --dir='$D' attach --no-stdin '$UUID' >'$T/out' 2>'$T/err'"
    sleep 0.3
    release_app flaky
    wait_until 10 eval 'grep -q "run 2" "$T/out"' || { cat "$T/out" "$T/err" >&2; fail "podctl attach did not see run 2"; }
    assert_contains "$(cat "$T/err")" "app flaky exited (code 1); restart 1 in 50 ms"
    assert_contains "$(cat "$T/err")" "app flaky restarted"
}

@test "essential: a clean exit stops the pod with 0, a failure with its code; --essential=false never stops it" {
    local t0 t1
    t0=$(now_ms)
    run pc run "$IMG" --name=side --exec=/probe -- sleep 60 --- "$IMG" --name=main --essential=true --exec=/probe -- exit 0
    t1=$(now_ms)
    assert_status 0
    assert_lt $((t1 - t0)) 5000 "pod run time (ms)"
    only_pod
    assert_contains "$(pod_field "$UUID" exitReason)" "essential app main exited with code 0"
    assert_eq "$(pod_field "$UUID" apps.0.stoppedByPod)" true "side stopped by the pod"
    assert_eq "$(app_status_file side)" 0 "rkt status of an app stopped by the pod"

    D=$BATS_TEST_TMPDIR/state2
    run pc run "$IMG" --name=side --exec=/probe -- sleep 60 --- "$IMG" --name=main --essential=true --exec=/probe -- exit 6
    assert_status 6

    D=$BATS_TEST_TMPDIR/state3
    run_detached "$IMG" --name=side --exec=/probe -- sleep 60 \
        --- "$IMG" --name=oops --essential=false --exec=/probe -- exit 4
    wait_until 5 app_is "$UUID" 1 state exited || fail "oops did not exit"
    assert_eq "$(pod_field "$UUID" state)" running "pod after a non-essential failure"
    run pc stop "$UUID"
    assert_status 0
    assert_eq "$(pod_field "$UUID" exitCode)" 4 "pod exit code (first failure)"
}

@test "exit policy: highest, app:NAME; exit-code-map turns a code into another" {
    run pc run --exit-policy=highest "$IMG" --name=a --essential=false --exec=/probe -- exit 4 \
        --- "$IMG" --name=b --essential=false --exec=/bin/sh -- -c 'sleep 0.3; exit 9' \
        --- "$IMG" --name=c --essential=false --exec=/probe -- exit 2
    assert_status 9
    D=$BATS_TEST_TMPDIR/state2
    run pc run --exit-policy=app:main "$IMG" --name=other --essential=false --exec=/probe -- exit 4 \
        --- "$IMG" --name=main --exec=/bin/sh -- -c 'sleep 0.3; exit 7'
    assert_status 7
    D=$BATS_TEST_TMPDIR/state3
    run pc run "$IMG" --name=a --exit-code-map=143=0,3=0 --exec=/bin/sh -- -c 'kill -TERM $$'
    assert_status 0
    only_pod
    assert_eq "$(pod_field "$UUID" apps.0.shellCode)" 143 "raw shell code kept in status"
    assert_eq "$(pod_field "$UUID" apps.0.code)" 0 "code after the map"
    D=$BATS_TEST_TMPDIR/state4
    run pc run "$IMG" --name=a --restart=on-failure --exit-code-map=3=0 --exec=/probe -- exit 3
    assert_status 0
    only_pod
    assert_eq "$(pod_field "$UUID" apps.0.restarts)" 0 "a mapped code is not a failure"
}

@test "readiness by sd_notify gates the apps after it; STATUS= is shown; a datagram from another app is ignored" {
    bg_run "$IMG" --name=db --ready=notify \
        --exec=/bin/sh -- -c "/probe notify STATUS=warming; $GATE; /probe notify READY=1 STATUS=serving; sleep 60" \
        --- "$IMG" --name=web --after=db --exec=/probe -- sleep 60 \
        --- "$IMG" --name=intruder \
        --exec=/bin/sh -- -c 'sleep 0.3; s=$(grep -o "@podinit/[^ ]*/0" /proc/net/unix | head -1); NOTIFY_SOCKET=$s /probe notify READY=1 STATUS=fake; echo sent to $s; sleep 60'
    wait_pod_up
    wait_until 5 app_is "$UUID" 0 statusText warming || fail "db's STATUS= not shown: $(status_json "$UUID")"
    wait_until 5 grep -q "sent to @podinit" "$POD/stage1/rootfs/rkt/logs/intruder.log" || fail "the intruder did not send"
    sleep 0.2
    assert_eq "$(pod_field "$UUID" apps.0.state)" running "db after a stranger's READY=1"
    assert_eq "$(pod_field "$UUID" apps.0.statusText)" warming "db status text"
    assert_eq "$(pod_field "$UUID" apps.1.state)" created "web waits for db"
    assert_eq "$(pod_field "$UUID" state)" starting "pod not ready while an app waits"
    is_ready && fail "supervisor-status exists before every app started"
    grep -q "notify datagram from pid .* ignored: not a process of this app" "$BG_ERR" ||
        { cat "$BG_ERR" >&2; fail "no warning about the stranger's datagram"; }
    release_app db
    wait_until 5 app_is "$UUID" 1 state ready || fail "web did not start after db was ready"
    assert_eq "$(pod_field "$UUID" apps.0.state)" ready "db"
    assert_eq "$(pod_field "$UUID" apps.0.statusText)" serving "db status text"
    wait_until 5 is_ready || fail "pod not ready"
    EV=$BATS_TEST_TMPDIR/ev
    pc events --json --no-follow "$UUID" >"$EV"
    run events_py '
seq = {(e.get("app"), e["event"]): e["seq"] for e in ev}
assert seq[("db", "ready")] < seq[("web", "start")], seq
print("ok")'
    assert_status 0
    run pc stop "$UUID"
    assert_status 0
    # Stop in reverse order: web (after db) first.
    run "$PYTHON" -c '
import json, sys
st = json.load(open(sys.argv[1]))
apps = {a["name"]: a for a in st["apps"]}
assert apps["web"]["exitedAt"] <= apps["db"]["exitedAt"], apps
' "$POD/stage1/rootfs/rkt/podinit/pod.json"
    assert_status 0
}

@test "readiness by a notification fd (fd:N) and by an exec probe" {
    run_detached "$IMG" --name=fdapp --ready=fd:3 --exec=/bin/sh -- -c "$GATE; echo >&3; sleep 60" \
        --- "$IMG" --name=probed --ready=probe '--ready-probe=["/bin/test","-e","/tmp/ok"]' --ready-probe-interval=100ms \
        --exec=/probe -- sleep 60
    sleep 0.5
    assert_eq "$(pod_field "$UUID" apps.0.state)" running "fd app before its newline"
    assert_eq "$(pod_field "$UUID" apps.1.state)" running "probed app before /tmp/ok"
    [ "$(pod_field "$UUID" apps.1.probesFailed)" -ge 2 ] || fail "the probe did not run every 100 ms"
    release_app fdapp
    touch "$(app_root probed)/tmp/ok"
    wait_until 5 app_is "$UUID" 0 state ready || fail "fd:3 readiness not seen"
    wait_until 5 app_is "$UUID" 1 state ready || fail "probe readiness not seen"
}

@test "a readiness probe that outlives its timeout is killed and counts as a failure" {
    run_detached "$IMG" --name=slow --ready=probe '--ready-probe=["/probe","sleep","33.5"]' \
        --ready-probe-interval=100ms --ready-probe-timeout=200ms --exec=/probe -- sleep 60
    wait_until 10 eval '[ "$(pod_field "$UUID" apps.0.probesFailed)" -ge 3 ]' || fail "probes did not time out"
    assert_eq "$(pod_field "$UUID" apps.0.state)" running "never ready"
    [ "$(count_procs '^/probe sleep 33.5')" -le 1 ] || fail "timed-out probes pile up: $(count_procs '^/probe sleep 33.5')"
    grep -q "readiness probe still running after 200 ms; killing it" "$POD/console.log" ||
        fail "no message about the killed probe"
}

@test "watchdog: an app that stops sending WATCHDOG=1 gets SIGABRT, restarts, then gives up" {
    run pc run "$IMG" --name=dog --ready=notify --watchdog=300ms --restart=on-failure --restart-max=1 \
        --restart-backoff=50ms \
        --exec=/bin/sh -- -c '/probe notify READY=1; for i in 1 2 3; do sleep 0.1; /probe notify WATCHDOG=1; done; sleep 30'
    assert_status 134
    only_pod
    assert_eq "$(pod_field "$UUID" apps.0.state)" failed "state"
    assert_eq "$(pod_field "$UUID" apps.0.watchdogTimeouts)" 2 "watchdog timeouts"
    assert_eq "$(pod_field "$UUID" apps.0.signalName)" ABRT "last signal"
}

@test "requires: the dependent of a failed app fails without running; its apps start otherwise" {
    # base fails before it is ready (it never sends READY=1).
    run pc run "$IMG" --name=base --essential=false --ready=notify --exec=/bin/sh -- -c 'sleep 0.2; exit 2' \
        --- "$IMG" --name=dep --requires=base --exec=/probe -- print dep-ran
    assert_status 2
    only_pod
    assert_eq "$(pod_field "$UUID" apps.1.state)" failed "dependent state"
    assert_contains "$(pod_field "$UUID" apps.1.error)" "requires app base, which exited with a failure"
    assert_eq "$(app_status_file dep)" 1 "rkt status of the dependent"
    refute_output_contains "dep-ran"
    # A required app that fails once its dependent runs stops the dependent.
    D=$BATS_TEST_TMPDIR/state1
    run pc run "$IMG" --name=base --essential=false --exec=/bin/sh -- -c 'sleep 0.5; exit 2' \
        --- "$IMG" --name=dep --requires=base --exec=/probe -- sleep 60
    assert_status 2
    assert_output_contains "app dep: stopping it: it requires app base, which failed"
    only_pod
    assert_eq "$(pod_field "$UUID" apps.1.signalName)" TERM "the dependent was stopped"
    # A successful exit satisfies "after" (an init step).
    D=$BATS_TEST_TMPDIR/state2
    run pc run "$IMG" --name=init --exec=/probe -- print init-done --- "$IMG" --name=main --requires=init --exec=/probe -- print main-ran
    assert_status 0
    assert_output_contains "main-ran"
}

@test "per-app stop: its stop signal, its stop timeout, and the stop ends as soon as it exits" {
    run_detached "$IMG" --name=intonly --stop-signal=SIGINT \
        --exec=/bin/sh -- -c 'trap "" TERM; trap "exit 42" INT; while :; do sleep 0.05; done' \
        --- "$IMG" --name=stubborn --stop-timeout=300ms --exec=/probe -- ignore-term 60
    local t0 t1
    t0=$(now_ms)
    run pc stop "$UUID"
    t1=$(now_ms)
    assert_status 0
    assert_lt $((t1 - t0)) 3000 "stop time (ms) with a 300 ms stop timeout (the pod's is 10 s)"
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 42 "intonly got its stop signal (its trap's code)"
    assert_eq "$(pod_field "$UUID" apps.1.signalName)" KILL "stubborn killed after its timeout"
}

@test "the events op over the protocol: replay since a sequence number, then live events" {
    run_detached "$IMG" --name=a --exec=/probe -- sleep 60
    # Events so far: 1 pod starting, 2 start, 3 exec, 4 pod running, 5 ready.
    run ctl 'call:{"op":"events","since":2}' recv recv recv recv
    assert_status 3     # the last recv times out: nothing new happened
    assert_eq "${lines[0]:0:10}" "frame 0x02" "the response first"
    assert_output_contains '"replayed":3'
    assert_eq "${lines[1]:0:10}" "frame 0x18" "then EVENT frames"
    assert_contains "${lines[1]}" '"seq":3'
    assert_contains "${lines[2]}" '"seq":4'
    assert_contains "${lines[3]}" '"seq":5'
    assert_eq "${lines[4]}" timeout "no more events"
    run ctl 'call:{"op":"events","since":-1}'
    assert_output_contains 'bad-request'
    # A live event reaches a client that is listening.
    ctl 'call:{"op":"events","since":5}' recv >"$BATS_TEST_TMPDIR/live" &
    local lp=$!
    sleep 0.3
    pc stop --no-wait "$UUID"
    wait "$lp" || true
    assert_contains "$(cat "$BATS_TEST_TMPDIR/live")" '"event":"stopping"'
    run pc events --since=x "$UUID"
    assert_status 2
}

@test "podctl events after the pod exited: the whole history from its events file, --since filters" {
    run pc run "$IMG" --name=a --restart=on-failure --restart-max=2 --restart-backoff=10ms --exec=/probe -- exit 3
    assert_status 3
    only_pod
    EV=$BATS_TEST_TMPDIR/ev
    pc events --json "$UUID" >"$EV" || fail "podctl events after exit failed"
    run events_py '
assert [e["seq"] for e in ev] == list(range(1, len(ev) + 1)), ev
assert ev[0]["type"] == "pod" and ev[0]["event"] == "starting", ev[0]
names = [e["event"] for e in ev if e.get("app") == "a"]
assert names.count("backoff") == 2 and names[-1] == "give-up", names
assert ev[-1]["type"] == "pod" and ev[-1]["event"] == "exited" and ev[-1]["exitCode"] == 3, ev[-1]
print(len(ev))'
    assert_status 0
    local n=$output
    # The same lines as podinit sent them: the file is what clients saw.
    assert_eq "$(wc -l <"$POD/stage1/rootfs/rkt/podinit/events.jsonl")" "$n" "lines in events.jsonl"
    run pc events --since=$((n - 3)) "$UUID"
    assert_status 0
    assert_eq "${#lines[@]}" 3 "events after --since=$((n - 3))"
    assert_contains "${lines[0]}" "give-up"
    assert_contains "${lines[1]}" "pod-stopping"
    assert_contains "${lines[2]}" "pod-exited"
    run pc events --since="$n" --json "$UUID"
    assert_status 0
    assert_eq "$output" "" "events after the last one"
}

@test "bad supervision flags are refused up front (exit 2) with the annotation named" {
    run pc run "$IMG" --restart=sometimes --exec=/probe -- exit 0
    assert_status 2
    assert_output_contains "podinit.io/restart: \"sometimes\" is not never, on-failure or always"
    run pc run "$IMG" --watchdog=1s --exec=/probe -- exit 0
    assert_status 2
    assert_output_contains "needs podinit.io/ready=notify"
    run pc run --exit-policy=lowest "$IMG" --exec=/probe -- exit 0
    assert_status 2
    run pc run "$IMG" --name=a --after=b --exec=/probe -- exit 0
    assert_failure
    assert_output_contains 'the pod has no app "b"'
    run pc run "$IMG" --name=a --after=b --exec=/probe -- exit 0 --- "$IMG" --name=b --after=a --exec=/probe -- exit 0
    assert_failure
    assert_output_contains "cycle"
}

@test "the event log keeps the last 1024 events; an older --since is told how many it missed" {
    run_detached "$IMG" --name=spin --restart=always --restart-backoff=0 --restart-reset-after=0 --exec=/probe -- exit 0
    # Each run is 4 events (backoff, restart, exec, ready).
    wait_until 30 eval '[ "$(pod_field "$UUID" apps.0.restarts)" -ge 300 ]' || fail "spin did not restart 300 times"
    run ctl 'call:{"op":"events","since":1}'
    assert_status 0
    "$PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1].split(" ", 2)[2])["result"]
assert r["replayed"] == 1024, r
assert r["missed"] > 0 and r["missed"] + r["replayed"] + 1 <= r["seq"] + 1, r
' "${lines[0]}" || fail "events: ${lines[0]}"
    run pc events --since=1 --no-follow "$UUID"
    assert_status 0
    assert_output_contains "older events are no longer kept (podinit keeps the last 1024)"
}

@test "the events file is bounded: past podinit.io/events-file-max it rotates to events.jsonl.1; after the exit, podctl events reads both" {
    # The default bound is 1 MiB; the pod lowers it to 16 KiB so that two
    # rotations take some 130 events (about 33 runs of the app), not 8,000:
    # what is tested is the rotation, not how fast this machine forks.
    "$PYTHON" -c '
import json
print(json.dumps({"acKind": "PodManifest", "acVersion": "0.8.11",
    "annotations": [{"name": "podinit.io/events-file-max", "value": "16Ki"}],
    "apps": [{"name": "spin", "image": {"name": "example.com/busybox"},
        "app": {"exec": ["/probe", "exit", "0"], "user": "0", "group": "0"},
        "annotations": [{"name": "podinit.io/restart", "value": "always"},
                        {"name": "podinit.io/restart-backoff", "value": "0"},
                        {"name": "podinit.io/restart-reset-after", "value": "0"}]}]}))
' >"$BATS_TEST_TMPDIR/pod.json"
    run_detached --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    local dir=$POD/stage1/rootfs/rkt/podinit
    first_seq() { head -n 1 "$1" 2>/dev/null | jget seq 2>/dev/null; }
    wait_until 120 eval '[ "$(first_seq "$dir/events.jsonl.1")" -gt 1 ] 2>/dev/null' ||
        fail "no second rotation: $(ls -l "$dir")"
    pc stop "$UUID" >/dev/null || fail "podctl stop failed"
    local f
    for f in "$dir/events.jsonl" "$dir/events.jsonl.1"; do
        assert_lt "$(stat -c %s "$f")" $(( (16 << 10) + 1 )) "size of $f"
    done
    EV=$BATS_TEST_TMPDIR/ev
    pc events --json "$UUID" >"$EV" 2>"$BATS_TEST_TMPDIR/ev.err" || fail "podctl events after exit failed"
    run events_py '
seqs = [e["seq"] for e in ev]
assert seqs[0] > 1 and seqs == list(range(seqs[0], seqs[0] + len(seqs))), (seqs[:3], seqs[-3:])
assert ev[-1]["type"] == "pod" and ev[-1]["event"] == "exited", ev[-1]
print(seqs[0])'
    assert_status 0
    assert_contains "$(cat "$BATS_TEST_TMPDIR/ev.err")" "$(( output - 1 )) older events are no longer kept (on disk, podinit keeps the last 1 MiB of them, or what the pod's podinit.io/events-file-max says)"
}

@test "podinit.io/events-file-max outside 16Ki..1Mi is refused up front, naming the annotation" {
    local v
    for v in 8Ki 2Mi lots; do
        "$PYTHON" -c '
import json, sys
print(json.dumps({"acKind": "PodManifest", "acVersion": "0.8.11",
    "annotations": [{"name": "podinit.io/events-file-max", "value": sys.argv[1]}],
    "apps": [{"name": "a", "image": {"name": "example.com/busybox"},
        "app": {"exec": ["/probe", "exit", "0"], "user": "0", "group": "0"}}]}))
' "$v" >"$BATS_TEST_TMPDIR/pod.json"
        run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
        assert_failure
        assert_output_contains "podinit.io/events-file-max: \"$v\" is not a byte count from 16Ki to 1Mi"
    done
    assert_no_pod_dirs
}
