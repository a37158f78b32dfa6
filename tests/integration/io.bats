#!/usr/bin/env bats
# I/O modes and the log sink (docs/io.md): log, null, the console formats,
# the validation rules, line assembly across apps and nothing lost at exit.

load helpers

setup_file() { build_images; }

setup() {
    pod_setup
    OUT=$BATS_TEST_TMPDIR/out
    ERR=$BATS_TEST_TMPDIR/err
}

teardown() { pod_teardown; }

# fg ARGS...: a foreground `podctl run ARGS`, stdout to $OUT, stderr to
# $ERR, stdin from /dev/null; sets status and ELAPSED (ms).
fg() {
    local t0
    t0=$(now_ms)
    status=0
    "$PODCTL" --dir="$D" run --net=none "$@" >"$OUT" 2>"$ERR" </dev/null || status=$?
    ELAPSED=$(( $(now_ms) - t0 ))
}

# assert_file_bytes FILE PRINTF-FORMAT: FILE holds exactly those bytes.
assert_file_bytes() {
    local want=$BATS_TEST_TMPDIR/want
    # shellcheck disable=SC2059
    printf "$2" >"$want"
    cmp -s "$1" "$want" && return 0
    fail "$1 differs from what was expected" \
        "--- expected (od -c):" "$(od -c "$want")" "--- got (od -c):" "$(od -c "$1")"
}

@test "log mode (the default): output reaches the foreground and the log unchanged" {
    # Spaces, tabs, a carriage return, an empty line and UTF-8, byte for byte.
    local script='printf "  lead and trail  \n\ttab\there\n\nr\rx\n\303\251t\303\251\n"'
    fg "$IMG" --exec=/bin/sh -- -c "$script"
    assert_eq "$status" 0 "podctl run status"
    assert_file_bytes "$OUT" '  lead and trail  \n\ttab\there\n\nr\rx\n\303\251t\303\251\n'
    assert_eq "$(cat "$ERR")" "" "stderr"

    run_detached "$IMG" --exec=/bin/sh -- -c "$script; exec /probe sleep 60"
    assert_eq "$(pod_field "$UUID" apps.0.io)" '{"stderr": "log", "stdin": "null", "stdout": "log"}' "io modes"
    wait_until 5 grep -q 'r.x' "$POD/stage1/rootfs/rkt/logs/busybox.log" || fail "no output in the log"
    pc logs "$UUID" >"$BATS_TEST_TMPDIR/logs.out" || fail "podctl logs failed"
    assert_file_bytes "$BATS_TEST_TMPDIR/logs.out" '  lead and trail  \n\ttab\there\n\nr\rx\n\303\251t\303\251\n'
}

@test "log mode: stdout and stderr stay separate, in order within each" {
    fg "$IMG" --exec=/bin/sh -- -c 'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done; exit 6'
    assert_eq "$status" 6 "podctl run status"
    assert_file_bytes "$OUT" 'out 1\nout 2\nout 3\n'
    assert_file_bytes "$ERR" 'err 1\nerr 2\nerr 3\n'
}

@test "log mode: a trailing partial line is not lost (raw and rkt formats)" {
    fg "$IMG" --exec=/bin/sh -- -c 'echo first; printf "no newline here"; printf "err partial" >&2'
    assert_eq "$status" 0 "podctl run status"
    assert_file_bytes "$OUT" 'first\nno newline here'
    assert_file_bytes "$ERR" 'err partial'

    fg --console-format=rkt "$IMG" --exec=/bin/sh -- -c 'echo first; printf "no newline here"'
    assert_eq "$status" 0 "podctl run --console-format=rkt status"
    grep -Eq '^\[ *[0-9]+\.[0-9]{6}\] busybox\[2\]: no newline here$' "$OUT" ||
        fail "no rkt-format line for the partial line:" "$(cat "$OUT")"
}

@test "--console-format=rkt: every line of both streams on stdout as [secs.usecs] app[pid]: line" {
    fg --console-format=rkt "$IMG" --name=alpha --exec=/bin/sh -- -c 'echo alpha-out; echo alpha-err >&2' \
        --- "$IMG" --name=beta --exec=/bin/sh -- -c 'sleep 0.2; echo "beta  two  spaces"'
    assert_eq "$status" 0 "podctl run status"
    assert_eq "$(cat "$ERR")" "" "stderr (rkt format puts everything on stdout)"
    local re='^\[ *[0-9]+\.[0-9]{6}\] (alpha\[2\]|beta\[3\]): .*$' bad
    bad=$(grep -Ev "$re" "$OUT" || true)
    [ -z "$bad" ] || fail "lines not in rkt format:" "$bad" "--- whole output:" "$(cat "$OUT")"
    grep -Eq '^\[ *[0-9]+\.[0-9]{6}\] alpha\[2\]: alpha-out$' "$OUT" || fail "no alpha-out line: $(cat "$OUT")"
    grep -Eq '^\[ *[0-9]+\.[0-9]{6}\] alpha\[2\]: alpha-err$' "$OUT" || fail "no alpha-err line: $(cat "$OUT")"
    grep -Eq '^\[ *[0-9]+\.[0-9]{6}\] beta\[3\]: beta  two  spaces$' "$OUT" || fail "no beta line: $(cat "$OUT")"
    assert_eq "$(wc -l <"$OUT")" 3 "line count"
    # The timestamps are monotonic seconds: they never go backwards.
    sed -E 's/^\[ *([0-9]+\.[0-9]+)\].*/\1/' "$OUT" | sort -c -g ||
        fail "timestamps go backwards:" "$(cat "$OUT")"
}

@test "null mode: stdout and stderr go to /dev/null, stdin reads /dev/null" {
    fg "$IMG" --stdout=null --stderr=null --exec=/bin/sh -- \
        -c 'echo out; echo err >&2; for f in 0 1 2; do l=$(readlink /proc/$$/fd/$f); echo "$l" >/tmp/fd$f; done; cat >/tmp/in'
    assert_eq "$status" 0 "podctl run status"
    assert_eq "$(cat "$OUT")" "" "stdout"
    assert_eq "$(cat "$ERR")" "" "stderr"
    only_pod
    local root
    root=$(app_root busybox)
    assert_eq "$(cat "$root/tmp/fd0")" /dev/null "fd 0"
    assert_eq "$(cat "$root/tmp/fd1")" /dev/null "fd 1"
    assert_eq "$(cat "$root/tmp/fd2")" /dev/null "fd 2"
    assert_eq "$(stat -c %s "$root/tmp/in")" 0 "bytes read from stdin"
    assert_eq "$(pod_field "$UUID" apps.0.io)" '{"stderr": "null", "stdin": "null", "stdout": "null"}' "io modes"
}

@test "stdin=log is rejected with a clear error (flag and annotation)" {
    run pc run "$IMG" --stdin=log --exec=/bin/true
    assert_failure
    assert_output_contains "--stdin=log"
    assert_output_contains "null, stream, tty or interactive"
    assert_no_pod_dirs

    printf '%s\n' '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"name":"example.com/busybox"},"app":{"exec":["/bin/true"],"user":"0","group":"0"},"annotations":[{"name":"coreos.com/rkt/stage2/stdin","value":"log"}]}]}' \
        >"$BATS_TEST_TMPDIR/pod.json"
    run pc run --pod-manifest="$BATS_TEST_TMPDIR/pod.json" "$IMG"
    assert_failure
    assert_output_contains "coreos.com/rkt/stage2/stdin"
    assert_output_contains '"log"'
    assert_no_pod_dirs
}

@test "tty and stream cannot be mixed in one app" {
    run pc run "$IMG" --name=mixed --stdin=tty --stdout=stream --exec=/bin/true
    assert_failure
    assert_output_contains "tty"
    assert_output_contains "stream"
    assert_output_contains "cannot be mixed"
    assert_no_pod_dirs
    run pc run "$IMG" --name=mixed2 --stdin=stream --stdout=tty --exec=/bin/true
    assert_failure
    assert_output_contains "cannot be mixed"
    assert_no_pod_dirs
}

@test "two interactive apps in one pod are rejected" {
    run pc run "$IMG" --name=one --stdin=interactive --stdout=interactive --exec=/bin/true \
        --- "$IMG" --name=two --stdin=interactive --exec=/bin/true
    assert_failure
    assert_output_contains '"one"'
    assert_output_contains '"two"'
    assert_output_contains "interactive"
    assert_no_pod_dirs
}

@test "--interactive without a terminal fails with a message about the terminal" {
    local t0
    t0=$(now_ms)
    run pc run --interactive "$IMG" --exec=/bin/sh -- -c 'echo must-not-run' </dev/null
    assert_failure
    assert_output_contains "terminal"
    refute_output_contains "must-not-run"
    assert_lt $(( $(now_ms) - t0 )) 5000 "time to fail (ms)"
    assert_eq "$(running_pods)" "" "running pods"
}

@test "1000 lines from each of 3 apps arrive complete and never mixed mid-line" {
    local payload app args=()
    payload=$(printf 'p%.0s' $(seq 1 150))
    for app in a1 a2 a3; do
        # Each line is written in three pieces, so PID 1 must assemble it.
        args+=("$IMG" --name="$app" --exec=/bin/sh -- -c \
            "i=1; while [ \$i -le 1000 ]; do printf '$app %d ' \$i; printf '%s' '$payload'; echo ' end'; i=\$((i+1)); done")
        [ "$app" = a3 ] || args+=(---)
    done
    fg "${args[@]}"
    assert_eq "$status" 0 "podctl run status"
    assert_eq "$(cat "$ERR")" "" "stderr"
    "$PYTHON" - "$OUT" "$payload" <<'EOF' || fail "the log lines are wrong (see above)"
import re, sys
data = open(sys.argv[1], "rb").read().decode("latin-1")
pat = re.compile(r"^(a[123]) (\d+) " + re.escape(sys.argv[2]) + r" end$")
seen = {"a1": [], "a2": [], "a3": []}
bad = []
lines = data.split("\n")
if lines[-1] != "":
    bad.append("output does not end with a newline: %r" % lines[-1][-80:])
for l in lines[:-1]:
    m = pat.match(l)
    if not m:
        bad.append(l)
        continue
    seen[m.group(1)].append(int(m.group(2)))
for app, nums in sorted(seen.items()):
    if nums != list(range(1, 1001)):
        print("%s: %d lines, first wrong at index %s" % (app, len(nums),
              next((i for i, n in enumerate(nums) if n != i + 1), len(nums))), file=sys.stderr)
        bad.append(app)
if bad:
    print("%d bad lines/apps, e.g.: %r" % (len(bad), bad[:3]), file=sys.stderr)
    sys.exit(1)
EOF
}

@test "a 100 KB line: unchanged in raw format, in pieces of at most 16 KiB in rkt format" {
    local script='head -c 100000 /dev/zero | tr "\\0" y; echo'
    fg "$IMG" --exec=/bin/sh -- -c "$script"
    assert_eq "$status" 0 "podctl run status"
    head -c 100000 /dev/zero | tr '\0' y >"$BATS_TEST_TMPDIR/want"
    echo >>"$BATS_TEST_TMPDIR/want"
    cmp -s "$OUT" "$BATS_TEST_TMPDIR/want" || fail "raw output differs: $(wc -c <"$OUT") bytes, $(wc -l <"$OUT") lines"

    fg --console-format=rkt "$IMG" --exec=/bin/sh -- -c "$script"
    assert_eq "$status" 0 "podctl run --console-format=rkt status"
    "$PYTHON" - "$OUT" <<'EOF' || fail "rkt-format pieces are wrong"
import re, sys
pat = re.compile(r"^\[ *[0-9]+\.[0-9]{6}\] busybox\[2\]: (y*)$")
text = ""
for l in open(sys.argv[1]).read().split("\n")[:-1]:
    m = pat.match(l)
    if not m:
        sys.exit("not a rkt line: %r" % l[:100])
    if len(m.group(1)) > 16384:
        sys.exit("a piece of %d bytes (more than 16 KiB)" % len(m.group(1)))
    text += m.group(1)
if text != "y" * 100000:
    sys.exit("the pieces hold %d bytes, not 100000" % len(text))
EOF
}

@test "log mode loses nothing when the console is slow (20 MB through a stalled pipe)" {
    local rc=0
    "$PODCTL" --dir="$D" run --net=none "$IMG" --exec=/bin/sh -- -c '/probe flood 20000000; /probe flood 3000000 >&2' \
        2>&1 </dev/null | { sleep 2; cat; } >"$OUT"
    rc=${PIPESTATUS[0]}
    assert_eq "$rc" 0 "podctl run status"
    assert_eq "$(stat -c %s "$OUT")" 23000000 "bytes through the slow pipe"
    assert_eq "$(grep -c '^x\{99\}$' "$OUT")" 230000 "whole flood lines"
}

@test "nothing is lost at exit: 10000 lines printed just before exiting" {
    # To a regular file.
    fg "$IMG" --exec=/bin/sh -- -c 'seq 1 10000 | sed "s/\$/ line of the final burst/"'
    assert_eq "$status" 0 "podctl run status"
    seq 1 10000 | sed 's/$/ line of the final burst/' >"$BATS_TEST_TMPDIR/want"
    cmp -s "$OUT" "$BATS_TEST_TMPDIR/want" ||
        fail "output differs: $(wc -l <"$OUT") lines, last: $(tail -n 1 "$OUT")"

    # To a pipe whose reader is slow: PID 1 must queue and flush at exit.
    local rc=0
    "$PODCTL" --dir="$D" run --net=none "$IMG" --exec=/bin/sh -- -c 'seq 1 10000 | sed "s/\$/ line of the final burst/"' \
        2>"$ERR" </dev/null | { sleep 1; cat; } >"$OUT"
    rc=${PIPESTATUS[0]}
    assert_eq "$rc" 0 "podctl run status"
    cmp -s "$OUT" "$BATS_TEST_TMPDIR/want" ||
        fail "output through a slow pipe differs: $(wc -l <"$OUT") lines, last: $(tail -n 1 "$OUT")"
}

@test "a grandchild that writes after the main process exits is still heard (drain)" {
    fg "$IMG" --exec=/bin/sh -- -c '(sleep 0.5; echo late) & echo early'
    assert_eq "$status" 0 "podctl run status"
    assert_file_bytes "$OUT" 'early\nlate\n'
    assert_lt "$ELAPSED" 5000 "pod run time (ms)"
}

@test "a grandchild holding stdout for 30 s delays the exit by the drain timeout only" {
    fg "$IMG" --exec=/bin/sh -- -c 'sleep 30 & echo early'
    assert_file_bytes "$OUT" 'early\n'
    assert_lt "$ELAPSED" 5000 "pod run time (ms)"
    [ "$status" -eq 0 ] || fail "podctl run exited $status (expected 0, the app's code); stderr:" "$(cat "$ERR")"
    assert_eq "$(cat "$ERR")" "" "stderr"
}

@test "a non-root app can reopen /dev/stdout and /dev/stderr (its pipes are its own), on a tty too" {
    run pc run "$IMG" --user=1000 --group=1000 --exec=/bin/sh -- -c 'echo out-ok >/dev/stdout && echo err-ok >/dev/stderr'
    assert_status 0
    assert_output_contains "out-ok"
    assert_output_contains "err-ok"
    run pc run "$IMG" --user=1000 --group=1000 --stdout=stream --stderr=stream --exec=/bin/sh -- -c 'echo s >/dev/stdout'
    assert_status 0
    run pc run "$IMG" --user=1000 --group=1000 --stdin=tty --stdout=tty --stderr=tty --exec=/bin/sh -- -c 'echo t >/dev/stdout'
    assert_status 0
}
