#!/usr/bin/env bats
# Mutable pods (docs/lifecycle.md "Mutable pods"): podctl app sandbox, add,
# start, stop, rm, list, status, and the same over the control protocol.

load helpers

setup_file() { build_images; }
setup() { pod_setup; }
teardown() { pod_teardown; }

manifest_apps() {
    "$PYTHON" -c 'import json,sys; print(" ".join(a["name"] for a in json.load(open(sys.argv[1]))["apps"]))' "$POD/pod"
}

@test "app sandbox: an empty mutable pod stays up; add, start, stop, rm an app; the manifest follows" {
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    assert_eq "$(pod_field "$UUID" state)" running "empty pod state"
    assert_eq "$(pod_field "$UUID" mutable)" true "mutable"
    run pc app add "$UUID" "$IMG" --name=web --stdout=stream --exec=/probe -- sleep 60
    assert_status 0
    assert_eq "$(pod_field "$UUID" apps.0.state)" created "state after add"
    assert_eq "$(manifest_apps)" web "pod manifest after add"
    [ -d "$(app_root web)" ] || fail "the image was not unpacked"
    run pc app start "$UUID" --app=web
    assert_status 0
    wait_until 5 app_is "$UUID" 0 state ready || fail "web did not start"
    run pc app list "$UUID"
    assert_status 0
    assert_output_contains "web"
    assert_output_contains "ready"
    run pc app status --json "$UUID" --app=web
    assert_status 0
    assert_output_contains '"readiness": "exec"'
    run pc app stop "$UUID" --app=web
    assert_status 0
    assert_eq "$(pod_field "$UUID" apps.0.state)" exited "state after app stop"
    assert_eq "$(pod_field "$UUID" state)" running "the pod stays up"
    run pc app rm "$UUID" --app=web
    assert_status 0
    assert_eq "$(manifest_apps)" "" "pod manifest after rm"
    [ ! -e "$(app_root web)" ] || fail "the app's image is still in the pod"
    [ ! -e "$POD/stage1/rootfs/rkt/status/web" ] || fail "its rkt status file is left"
    assert_eq "$(pod_field "$UUID" apps)" "[]" "apps after rm"
    # The same name can be added again, and this run is new.
    run pc app add "$UUID" "$IMG" --name=web --exec=/probe -- print again
    assert_status 0
    run pc app start "$UUID" --app=web
    assert_status 0
    wait_until 5 app_is "$UUID" 0 state exited || fail "the new web did not run"
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 0 "exit code"
    run pc stop "$UUID"
    assert_status 0
    assert_eq "$(pod_field "$UUID" exitCode)" 0 "a mutable pod exits 0 (no exit policy)"
}

@test "app failures never stop a mutable pod; rm stops a running app first; errors are clear" {
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    pc app add "$UUID" "$IMG" --name=bad --exec=/probe -- exit 7
    pc app start "$UUID" --app=bad
    wait_until 5 app_is "$UUID" 0 state exited || fail "bad did not exit"
    assert_eq "$(pod_field "$UUID" state)" running "pod after a failing app"
    run pc app add "$UUID" "$IMG" --name=bad --exec=/probe -- exit 0
    assert_failure
    assert_output_contains 'already has an app "bad"'
    run pc app start "$UUID" --app=bad       # runs it again; it fails again, the pod stays
    assert_status 0
    wait_until 5 eval '[ "$(pc events --json --no-follow "$UUID" | grep -c "\"app\":\"bad\",\"event\":\"exit\"")" = 2 ]' ||
        fail "bad did not run a second time"
    assert_eq "$(pod_field "$UUID" state)" running "pod after a failing app's second run"
    run pc app start "$UUID" --app=nope
    assert_failure
    assert_output_contains 'no app "nope"'
    run pc app start "$UUID"
    assert_status 2
    run pc app add "$UUID" "$IMG" --name=vol --mount=volume=data,target=/data --exec=/probe -- exit 0
    assert_failure
    run pc app add "$UUID" "$IMG" --name=dep --after=ghost --exec=/probe -- exit 0
    assert_failure
    assert_output_contains 'no app "ghost"'
    [ ! -e "$(app_root dep)" ] || fail "a refused app's image was left in the pod"
    # Refused after its image was unpacked (the app entry cannot be built):
    # nothing stays, so the same name can be added at once.
    run pc app add "$UUID" "$IMG" --name=env --set-env=NOEQUALS --exec=/probe -- exit 0
    assert_failure
    assert_output_contains "--set-env=NOEQUALS: expected NAME=VALUE"
    [ ! -e "$POD/stage1/rootfs/opt/stage2/env" ] || fail "a refused app's image was left in the pod"
    run pc app add "$UUID" "$IMG" --name=env --exec=/probe -- exit 0
    assert_status 0
    run pc app rm "$UUID" --app=env
    assert_status 0
    assert_eq "$(manifest_apps)" bad "manifest after refused adds"
    pc app add "$UUID" "$IMG" --name=long --exec=/probe -- sleep 60
    pc app start "$UUID" --app=long
    wait_until 5 app_is "$UUID" 1 state ready || fail "long did not start"
    run pc app rm "$UUID" --app=long
    assert_status 0
    assert_eq "$(manifest_apps)" bad "manifest after rm of a running app"
    # An immutable pod refuses.
    run_detached "$IMG" --name=one --exec=/probe -- sleep 60
    run pc app add "$UUID" "$IMG" --name=x --exec=/probe -- exit 0
    assert_failure
    assert_output_contains "not mutable"
    [ ! -e "$(app_root x)" ] || fail "image left in an immutable pod"
}

@test "ordering and readiness between apps added later" {
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    pc app add "$UUID" "$IMG" --name=db --ready=notify --exec=/bin/sh -- -c "$GATE; /probe notify READY=1; sleep 60"
    pc app add "$UUID" "$IMG" --name=web --after=db --exec=/probe -- sleep 60
    pc app start "$UUID" --app=web
    pc app start "$UUID" --app=db
    wait_until 5 app_is "$UUID" 0 state running || fail "db did not start"
    sleep 0.2
    assert_eq "$(pod_field "$UUID" apps.1.state)" created "web waits for db"
    release_app db
    wait_until 5 app_is "$UUID" 1 state ready || fail "web did not start once db was ready"
}

@test "100 apps: add, start, stop and rm each in one pod" {
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    local i
    for i in $(seq 1 100); do
        pc app add "$UUID" "$IMG" --name="a$i" --exec=/probe -- sleep 120 || fail "add a$i"
        pc app start "$UUID" --app="a$i" || fail "start a$i"
    done
    wait_until 20 eval '[ "$(pc app list "$UUID" | grep -c " ready ")" = 100 ]' || fail "not every app is ready"
    assert_eq "$(manifest_apps | wc -w)" 100 "apps in the manifest"
    for i in $(seq 1 100); do
        pc app stop "$UUID" --app="a$i" || fail "stop a$i"
    done
    assert_eq "$(pc app list "$UUID" | grep -c " exited ")" 100 "exited apps"
    for i in $(seq 1 100); do
        pc app rm "$UUID" --app="a$i" || fail "rm a$i"
    done
    assert_eq "$(pod_field "$UUID" apps)" "[]" "apps after removing all"
    assert_eq "$(manifest_apps)" "" "manifest after removing all"
    assert_eq "$(ls "$POD/stage1/rootfs/opt/stage2" | wc -l)" 0 "images left"
    assert_eq "$(zombie_children "$(pod_pid1)")" 0 "zombies"
    run pc stop "$UUID"
    assert_status 0
}

@test "the app ops over the control protocol" {
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    mkdir -p "$POD/stage1/rootfs/opt/stage2/raw"
    cp -a "$IMG/rootfs" "$POD/stage1/rootfs/opt/stage2/raw/rootfs"
    cp "$IMG/manifest" "$POD/stage1/rootfs/opt/stage2/raw/manifest"
    run ctl 'call:{"op":"app-add","app":{"name":"raw","image":{"name":"x"},"app":{"exec":["/probe","sleep","60"],"user":"0","group":"0"}}}' \
        'call:{"op":"app-start","app":"raw"}' 'call:{"op":"app-add","app":{"name":"Bad"}}' \
        'call:{"op":"app-rm","app":"raw"}' 'call:{"op":"app-stop","app":"raw"}' 'call:{"op":"app-stop"}'
    assert_status 0
    assert_contains "${lines[0]}" '"state":"created"'
    assert_contains "${lines[1]}" '"app":"raw"'
    assert_contains "${lines[2]}" '"app-add-failed"'
    assert_contains "${lines[3]}" "stop it first"
    assert_contains "${lines[4]}" '"ok":true'
    assert_contains "${lines[5]}" '"bad-request"'
    wait_until 5 app_is "$UUID" 0 state exited || fail "raw did not stop"
    run ctl 'call:{"op":"app-rm","app":"raw"}'
    assert_contains "${lines[0]}" '"ok":true'
    assert_eq "$(pod_field "$UUID" apps)" "[]" "apps after app-rm"
}

@test "app start of an app that exited or was stopped runs it again: new streams, the same log file, a fresh status" {
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    pc app add "$UUID" "$IMG" --name=w --stdout=stream --log-attached \
        --exec=/bin/sh -- -c 'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >/tmp/n; echo "run $n"; [ $n -ge 2 ] && exec sleep 60; exit 3'
    pc app start "$UUID" --app=w
    wait_until 5 app_is "$UUID" 0 state exited || fail "the first run did not end"
    assert_eq "$(app_status_file w)" 3 "rkt status of the first run"
    run pc app start "$UUID" --app=w
    assert_status 0
    wait_until 5 app_is "$UUID" 0 state ready || fail "the second run did not start"
    [ ! -e "$POD/stage1/rootfs/rkt/status/w" ] || fail "the first run's status file is still there"
    run attach_py --app w --streams stdout --replay 100 --timeout 3 'sleep:0.5' detach
    assert_output_contains "stdout 6"       # "run 2\n": the new run's scrollback only
    wait_until 5 eval 'pc logs --app=w "$UUID" | grep -q "run 2"' || fail "the second run's output is not in the log"
    assert_eq "$(pc logs --app=w "$UUID")" "$(printf 'run 1\nrun 2')" "one log file across runs"
    run pc app start "$UUID" --app=w
    assert_status 0                         # already running: a no-op
    run pc app stop "$UUID" --app=w
    assert_status 0
    assert_eq "$(app_status_file w)" 15 "rkt status after app stop (its real status, as rkt records it)"
    run pc app start "$UUID" --app=w
    assert_status 0
    wait_until 5 app_is "$UUID" 0 state ready || fail "restart after app stop did not work"
    EV=$BATS_TEST_TMPDIR/ev
    pc events --json --no-follow "$UUID" >"$EV"
    assert_eq "$(grep -c '"app":"w","event":"start"' "$EV")" 3 "start events"
}
