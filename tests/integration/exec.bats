#!/usr/bin/env bats
# podctl exec and the exec op (docs/protocol.md "exec"): a command in a
# running app's context, its I/O relayed, its exit code returned.

load helpers

setup_file() { build_images; }
setup() { pod_setup; }
teardown() { pod_teardown; }

start_app() {
    run_detached "$IMG" --name=web --set-env=FOO=bar \
        --exec=/bin/sh -- -c 'readlink /proc/self/ns/mnt >/tmp/ns; cat /proc/self/cgroup >/tmp/cg; sleep 60' \
        --- "$IMG" --name=other --exec=/probe -- sleep 60
    wait_until 5 test -s "$(app_root web)/tmp/cg" || fail "web did not start"
}

@test "exec: exit codes, stdout and stderr apart, a command that cannot run, unknown and stopped apps" {
    start_app
    run pc exec --app=web "$UUID" -- /bin/sh -c 'echo out; echo err >&2; exit 7'
    assert_status 7
    pc exec --app=web "$UUID" -- /bin/sh -c 'echo out; echo err >&2' >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
    assert_eq "$(cat "$BATS_TEST_TMPDIR/o")" out "stdout"
    assert_eq "$(cat "$BATS_TEST_TMPDIR/e")" err "stderr"
    run pc exec --app=web "$UUID" -- /probe kill-self TERM
    assert_status 143
    run pc exec --app=web "$UUID" -- /nope
    assert_status 203
    assert_output_contains "exec /nope: No such file or directory"
    run pc exec --app=web "$UUID" -- true
    assert_status 0
    run pc exec "$UUID" -- true
    assert_status 1
    assert_output_contains "say which one"
    run pc exec --app=ghost "$UUID" -- true
    assert_status 1
    assert_output_contains 'no app "ghost"'
    run pc exec --app=web "$UUID"
    assert_status 2
    pc app stop "$UUID" --app=other 2>/dev/null || kill_other=1
    run ctl 'call:{"op":"exec","app":"web","argv":[]}' 'call:{"op":"exec","app":"web","argv":["x"],"env":["=x"]}'
    assert_contains "${lines[0]}" "bad-request"
    assert_contains "${lines[1]}" "bad-request"
}

@test "exec runs in the app's context: its environment (plus --env), mount namespace, cgroup, root and user" {
    start_app
    run pc exec --app=web "$UUID" -- /bin/sh -c 'echo $FOO $AC_APP_NAME'
    assert_output_is "bar web"
    run pc exec --app=web --env=FOO=baz --env=NEW=1 "$UUID" -- /bin/sh -c 'echo $FOO $NEW'
    assert_output_is "baz 1"
    run pc exec --app=web "$UUID" -- readlink /proc/self/ns/mnt
    assert_output_is "$(cat "$(app_root web)/tmp/ns")"
    run pc exec --app=web "$UUID" -- cat /proc/self/cgroup
    assert_output_is "$(cat "$(app_root web)/tmp/cg")"
    run pc exec --app=web "$UUID" -- cat /tmp/ns
    assert_status 0         # web's /tmp: the app's root
    run pc exec --app=other "$UUID" -- cat /tmp/ns
    assert_failure          # not in other's root
}

@test "exec -i forwards stdin and its end; exec -t gives a pty of the requested size" {
    start_app
    run sh -c "printf 'one\ntwo\n' | '$PODCTL' --dir='$D' exec -i --app=web '$UUID' -- cat"
    assert_status 0
    assert_output_is "$(printf 'one\ntwo')"
    POD=$D/pods/run/$UUID
    run attach_py --exec '["/bin/sh","-c","/probe isatty; stty size"]' --tty --size 33x101 --app web --timeout 10
    assert_status 0
    assert_output_contains '"tty": true'
    assert_output_contains 'exit {"exitCode": 0, "shellCode": 0}'
    run attach_py --exec '["/probe","isatty"]' --tty --size 33x101 --app web --out "$BATS_TEST_TMPDIR/tty.out" --timeout 10
    assert_contains "$(cat "$BATS_TEST_TMPDIR/tty.out")" "0:tty 1:tty 2:tty"
    run attach_py --exec '["/bin/sh","-c","stty size"]' --tty --size 33x101 --app web --out "$BATS_TEST_TMPDIR/size.out" --timeout 10
    assert_contains "$(cat "$BATS_TEST_TMPDIR/size.out")" "33 101"
    run attach_py --exec '["/bin/sh","-c","read x; echo got $x; exit 4"]' --tty --stdin --app web \
        --out "$BATS_TEST_TMPDIR/in.out" --timeout 10 'send:hello\r'
    assert_status 0
    assert_contains "$(cat "$BATS_TEST_TMPDIR/in.out")" "got hello"
    assert_output_contains '"shellCode": 4'
}

@test "exec: a client that goes away kills its command; a large output arrives whole" {
    start_app
    bg sh -c "'$PODCTL' --dir='$D' exec --app=web '$UUID' -- /probe sleep 77.5 >/dev/null 2>&1"
    wait_until 5 eval '[ "$(count_procs "^/probe sleep 77.5")" = 1 ]' || fail "the exec'd command did not start"
    pkill -TERM -f "exec --app=web $UUID -- /probe sleep 77.5" || fail "podctl exec is not running"
    wait_until 5 eval '[ "$(count_procs "^/probe sleep 77.5")" = 0 ]' || fail "the command outlived its client"
    run sh -c "'$PODCTL' --dir='$D' exec --app=web '$UUID' -- /probe flood 20000000 | wc -c"
    assert_output_is 20000000
    assert_eq "$(pod_field "$UUID" state)" running "the pod after the execs"
}

@test "exec: at most 32 sessions at once in a pod; the 33rd is refused and the pod is fine" {
    start_app
    local i
    for i in $(seq 1 32); do
        bg "$PODCTL" --dir="$D" exec --app=web "$UUID" -- /probe sleep 66.5
    done
    wait_until 10 eval '[ "$(count_procs "^/probe sleep 66.5")" = 32 ]' || fail "32 sessions did not start: $(count_procs "^/probe sleep 66.5")"
    run pc exec --app=web "$UUID" -- true
    assert_status 1
    assert_output_contains "32 exec sessions run in this pod, the most at once"
    pkill -TERM -f "exec --app=web $UUID -- /probe sleep 66.5"
    wait_until 10 eval '[ "$(count_procs "^/probe sleep 66.5")" = 0 ]' || fail "the sessions' commands outlived them"
    wait_until 5 eval 'pc exec --app=web "$UUID" -- true' || fail "exec refused after the sessions ended"
}
