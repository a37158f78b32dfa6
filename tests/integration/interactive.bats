#!/usr/bin/env bats
# podctl run --interactive: the app gets the terminal podctl was started
# from (docs/io.md, mode "interactive").  Driven through tmux.

load helpers

setup_file() { build_images; }

setup() {
    pod_setup
    T=$BATS_TEST_TMPDIR
    write_sttycheck "$T/sttycheck"
}

teardown() {
    tmux_teardown
    pod_teardown
}

# start_interactive: a shell in tmux runs `podctl run --interactive` of a
# busybox shell, then prints "run-rc:N" and the terminal's state.  Waits
# until the pod is ready and the app's shell prompts; sets UUID and POD.
start_interactive() {
    tmux_shell
    tm send-keys -t main -l "echo \"host-term=[\$TERM]\"; \"$PODCTL\" --dir=\"$D\" run --net=none --interactive \"$IMG\" --exec=/bin/sh; echo \"run-rc:\$?\"; sh $T/sttycheck"
    tm send-keys -t main Enter
    wait_until 10 _one_ready_pod || fail "no pod became ready:" "$(tmux_screen)" || return 1
    only_pod
    tmux_wait "/ # "
}

@test "interactive: the app has the terminal, TERM and its size; its exit code is the run's" {
    start_interactive
    assert_eq "$(pod_field "$UUID" apps.0.io)" \
        '{"stderr": "interactive", "stdin": "interactive", "stdout": "interactive"}' "io modes"
    tm send-keys -t main -l 'echo "tty=[$(tty)]" "term=[$TERM]" "size=[$(stty size)]"'
    tm send-keys -t main Enter
    tmux_wait "size=["
    local line host
    line=$(tmux_screen | grep -E '^tty=\[' | tail -n 1)
    [[ $line =~ ^tty=\[/dev/[^]\ ]+\]\ term=\[([^]]+)\]\ size=\[30\ 100\] ]] ||
        fail "unexpected tty/TERM/size in the app: [$line]" "$(tmux_screen)"
    host=$(tmux_screen | sed -n 's/^host-term=\[\(.*\)\]$/\1/p' | head -n 1)
    assert_eq "${BASH_REMATCH[1]}" "$host" "TERM in the app (podinit's own)"

    tm send-keys -t main -l 'exit 3'
    tm send-keys -t main Enter
    tmux_wait "run-rc:3"
    tmux_wait "tty-state: cooked"
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 3 "app exit code"
}

@test "interactive: ^C reaches the app (sleep interrupted), the shell and the run go on" {
    start_interactive
    tm send-keys -t main -l 'echo start$((1+1)); sleep 100'
    tm send-keys -t main Enter
    tmux_wait "start2"
    sleep 0.3
    tm send-keys -t main C-c
    tm send-keys -t main -l 'echo "after-int$((1+1)):$?"'
    tm send-keys -t main Enter
    tmux_wait "after-int2:130" 5
    assert_eq "$(pod_field "$UUID" state)" running "pod state after ^C"
    tm send-keys -t main -l 'exit'
    tm send-keys -t main Enter
    tmux_wait "run-rc:0"
    tmux_wait "tty-state: cooked"
}
