#!/usr/bin/env bats
# App log files (docs/logging.md): the CRI format, byte-exact round trips
# through `podctl logs`, long lines, nothing lost at exit, a full disk under
# the block and drop policies, rotation while following, the rate limit,
# reopen after an outside rename, the partial-line timeout, the console
# formats, podctl logs' options, bad settings and tty logging.
#
# tests/integration/crilog.py parses every record strictly and gives the
# streams back; the tests compare with bytes generated on the host.

load helpers

setup_file() { build_images; }

setup() {
    pod_setup
    T=$BATS_TEST_TMPDIR
    OUT=$T/out
    ERR=$T/err
    MNT=
}

teardown() {
    pod_teardown
    if [ -n "${MNT-}" ] && mountpoint -q "$MNT" 2>/dev/null; then
        umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
    fi
}

# cri CMD ARGS...: tests/integration/crilog.py (check, stream, records, meta, probe-lines).
cri() { "$PYTHON" "$HELPERS_DIR/crilog.py" "$@"; }

# fg ARGS...: a foreground `podctl run ARGS` (run flags first), stdout to
# $OUT, stderr to $ERR, stdin from /dev/null; sets status, ELAPSED (ms),
# UUID and POD.
fg() {
    local t0 uf
    uf=$(mktemp "$T/uuid.XXXXXX")
    t0=$(now_ms)
    status=0
    "$PODCTL" --dir="$D" run --net=none --uuid-file-save="$uf" "$@" >"$OUT" 2>"$ERR" </dev/null || status=$?
    ELAPSED=$(( $(now_ms) - t0 ))
    UUID=$(cat "$uf")
    POD=$D/pods/run/$UUID
}

# The default log file of app NAME in $POD.
log_of() { printf '%s\n' "$POD/stage1/rootfs/rkt/logs/$1.log"; }

# log_field INDEX FIELD: a member of app INDEX's "log" status object.
log_field() { pod_field "$UUID" "apps.$1.log.$2"; }
log_is() { [ "$(log_field "$1" "$2" 2>/dev/null)" = "$3" ]; }

pod_exited() { [ "$(pod_field "$UUID" state 2>/dev/null)" = exited ]; }
wait_pod_exited() {
    wait_until "${1:-10}" pod_exited ||
        fail "pod $UUID did not exit within ${1:-10} s; status: $(status_json "$UUID" 2>&1)"
}

# cri_valid FILE...: every record parses, files are whole, time never goes back.
cri_valid() {
    local msg
    msg=$(cri check "$@" 2>&1) || fail "not a valid CRI log: $msg"
}

# count_lines FILE: lines in FILE (0 if it does not exist).
count_lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
has_lines() { [ "$(count_lines "$1")" -ge "$2" ]; }

# cmp_files GOT WANT WHAT: byte-identical, else show where they differ.
cmp_files() {
    cmp -s "$1" "$2" && return 0
    fail "$3: differs from what the app wrote ($(stat -c %s "$1") bytes vs $(stat -c %s "$2"))" \
        "$(cmp "$1" "$2" 2>&1 | head -n 1)"
}

# A small tmpfs at $MNT (unmounted in teardown).
mount_small_fs() {
    MNT=$T/mnt
    mkdir -p "$MNT"
    mount -t tmpfs -o "size=$1,mode=0755" tmpfs "$MNT" || fail "cannot mount a tmpfs on $MNT"
}

# seq_lines FROM TO SUFFIX: "N SUFFIX" for N in FROM..TO, what the test apps print.
seq_lines() { seq "$1" "$2" | sed "s/\$/$3/"; }

# ------------------------------------------------------------- format

@test "CRI format: every record parses strictly, both streams, timestamps never go back" {
    fg --console-format=none "$IMG" --exec=/bin/sh -- -c \
        '/probe lines 3000 80 out & /probe lines 3000 120 err & wait; /probe lines 2 40000 err; printf "tail without newline"'
    assert_eq "$status" 0 "podctl run status"
    local f
    f=$(log_of busybox)
    run cri check "$f"
    assert_status 0
    # 3000 stdout lines and a partial one; 3000 stderr lines and two of
    # 39999 bytes (two P records of 16384 and an F each).
    assert_output_is "records=6007 stdout=3001 stderr=3006 P=5 F=6002 meta=0 files=1"

    cri probe-lines 3000 80 >"$T/want.out"
    printf 'tail without newline' >>"$T/want.out"
    { cri probe-lines 3000 120; cri probe-lines 2 40000; } >"$T/want.err"
    cri stream --stream=stdout "$f" >"$T/got.out"
    cri stream --stream=stderr "$f" >"$T/got.err"
    cmp_files "$T/got.out" "$T/want.out" "stdout records"
    cmp_files "$T/got.err" "$T/want.err" "stderr records"

    # The counters agree with the file.
    assert_eq "$(log_field 0 records)" 6007 "log.records"
    assert_eq "$(log_field 0 lines)" 6002 "log.lines"
    assert_eq "$(log_field 0 bytes)" "$(stat -c %s "$f")" "log.bytes"
    assert_eq "$(log_field 0 size)" "$(stat -c %s "$f")" "log.size"
    assert_eq "$(log_field 0 droppedBytes)" 0 "log.droppedBytes"
}

@test "podctl logs gives back every byte: all 256 values, CR, NUL, invalid UTF-8, empty lines, no final newline" {
    "$PYTHON" - "$T/out.bin" "$T/err.bin" <<'EOF'
import sys
out = (bytes(range(256)) + b"\n"
       + b"crlf line\r\n" + b"lone\rcr\r\r\n"
       + b"bad utf-8: \xff\xfe \xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80 \xc3\n"
       + b"\n\n\n"
       + b"\x00\x00nul\x00\n"
       + b"\t tab \x1b[31mesc\x1b[0m \x7f\n"
       + b"final line without newline \xff\r")
err = b"err \xff\x00\r\n" + b"\n" + b"err-final\x00"
open(sys.argv[1], "wb").write(out)
open(sys.argv[2], "wb").write(err)
EOF
    run_detached "$IMG" --exec=/bin/sh -- -c "$GATE; cat /tmp/out.bin; cat /tmp/err.bin >&2"
    cp "$T/out.bin" "$T/err.bin" "$(app_root busybox)/tmp/"
    release_app busybox
    wait_pod_exited
    cri_valid "$(log_of busybox)"

    pc logs --stream=stdout "$UUID" >"$T/logs.out" 2>"$T/logs.err" || fail "podctl logs --stream=stdout failed: $(cat "$T/logs.err")"
    cmp_files "$T/logs.out" "$T/out.bin" "podctl logs --stream=stdout"
    assert_eq "$(stat -c %s "$T/logs.err")" 0 "stderr of podctl logs --stream=stdout (bytes)"

    pc logs --stream=stderr "$UUID" >"$T/logs.out" 2>"$T/logs.err" || fail "podctl logs --stream=stderr failed"
    cmp_files "$T/logs.err" "$T/err.bin" "podctl logs --stream=stderr"
    assert_eq "$(stat -c %s "$T/logs.out")" 0 "stdout of podctl logs --stream=stderr (bytes)"

    pc logs "$UUID" >"$T/logs.out" 2>"$T/logs.err" || fail "podctl logs failed"
    cmp_files "$T/logs.out" "$T/out.bin" "podctl logs (stdout)"
    cmp_files "$T/logs.err" "$T/err.bin" "podctl logs (stderr)"

    # The file itself keeps \r and NUL inside records (only \n ends one).
    grep -qa $'stdout F crlf line\r$' "$(log_of busybox)" || fail "the CR of a CRLF line was not kept in the file"
    grep -qaF 'stdout P final line without newline' "$(log_of busybox)" || fail "no P record for the last line"
}

@test "a 1 MiB line: P records of exactly 16 KiB and one F, back whole; --log-line-max=1Ki splits at 1 KiB" {
    cri probe-lines 1 1048577 >"$T/want"     # 1 MiB of content and its newline
    fg --console-format=none "$IMG" --exec=/probe -- lines 1 1048577
    assert_eq "$status" 0 "podctl run status"
    cri_valid "$(log_of busybox)"
    # P records of exactly 16 KiB and one F.  The probe writes the newline
    # apart from the last piece; a line of exactly the split size waits for
    # what comes next, so however the reads cut it the last 16 KiB are the F
    # record: 63 P and an F of 16384.
    cri records "$(log_of busybox)" | uniq -c | sed 's/^ *//' >"$T/shape"
    assert_eq "$(tr '\n' ';' <"$T/shape")" "63 stdout P 16384;1 stdout F 16384;" "records of a 1 MiB line"
    pc logs "$UUID" >"$T/got" || fail "podctl logs failed"
    cmp_files "$T/got" "$T/want" "podctl logs of the 1 MiB line"

    fg --console-format=none "$IMG" --log-line-max=1Ki --exec=/probe -- lines 1 1048577
    assert_eq "$status" 0 "podctl run --log-line-max=1Ki status"
    cri records "$(log_of busybox)" | uniq -c | sed 's/^ *//' >"$T/shape"
    assert_eq "$(tr '\n' ';' <"$T/shape")" "1023 stdout P 1024;1 stdout F 1024;" "records with --log-line-max=1Ki"
    pc logs "$UUID" >"$T/got" || fail "podctl logs failed"
    cmp_files "$T/got" "$T/want" "podctl logs of the 1 MiB line split at 1 KiB"
}

# ------------------------------------------------------- nothing lost

@test "nothing lost at exit: 1000 apps print 20 lines each and exit at once" {
    # A minimal image (the static probe, /etc/passwd and /etc/group): each
    # app gets its own copy, so it must be small.
    local mini=$T/mini n=1000 i args=()
    mkdir -p "$mini/rootfs/etc" "$mini/rootfs/tmp"
    install -m 0755 "$PROBE" "$mini/rootfs/probe"
    cp "$IMG/rootfs/etc/passwd" "$IMG/rootfs/etc/group" "$mini/rootfs/etc/"
    printf '%s\n' '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/mini","app":{"exec":["/probe","exit","0"],"user":"0","group":"0","workingDirectory":"/"}}' \
        >"$mini/manifest"
    for ((i = 1; i <= n; i++)); do
        args+=("$mini" --name="a$i" --exec=/probe -- lines 20 40)
        [ "$i" -eq "$n" ] || args+=(---)
    done
    fg --console-format=none "${args[@]}"
    echo "# 1000 apps x 20 lines: podctl run took ${ELAPSED} ms" >&3
    assert_eq "$status" 0 "podctl run status (stderr: $(head -c 500 "$ERR"))"
    cri probe-lines 20 40 >"$T/want"
    "$PYTHON" - "$POD/stage1/rootfs/rkt/logs" "$n" "$T/want" "$POD/stage1/rootfs/rkt/podinit/pod.json" <<'EOF' || fail "lines were lost at exit (see above)"
import json, os, re, sys
logs, n, want = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()
rec = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F (.*)$")
status = {a["name"]: a for a in json.load(open(sys.argv[4]))["apps"]}
bad = []
for i in range(1, n + 1):
    name = "a%d" % i
    try:
        data = open(os.path.join(logs, name + ".log"), "rb").read()
    except OSError as e:
        bad.append((name, str(e)))
        continue
    got = b""
    for line in data.split(b"\n")[:-1]:
        m = rec.match(line)
        if not m:
            bad.append((name, "bad record %r" % line[:80]))
            break
        got += m.group(1) + b"\n"
    if got != want:
        a = status.get(name, {})
        bad.append((name, "%d of 20 lines (streams.stdout.bytes %s, exit %s)" % (
            got.count(b"\n"), a.get("streams", {}).get("stdout", {}).get("bytes"), a.get("exitCode"))))
if bad:
    print("%d of %d apps lost lines; first: %s; last: %s" % (len(bad), n, bad[:3], bad[-1]), file=sys.stderr)
    sys.exit(1)
EOF
    for i in 1 500 1000; do
        pc logs --app="a$i" "$UUID" >"$T/got" 2>"$T/got.err" || fail "podctl logs --app=a$i failed: $(cat "$T/got.err")"
        cmp_files "$T/got" "$T/want" "podctl logs --app=a$i"
    done
}

# --------------------------------------------------------- full disk

@test "full disk, policy block: the app waits on its pipe and nothing is lost once there is room" {
    mount_small_fs 256k
    run_detached "$IMG" --log-path="$MNT/app.log" --exec=/probe -- lines 20000 100
    wait_until 10 log_is 0 failing true || fail "the log never started failing: $(status_json "$UUID")"
    # Past the 1 MiB buffer PID 1 stops reading the app's pipe.
    wait_until 10 eval '[ "$(log_field 0 buffered)" -gt 1048576 ]' ||
        fail "the buffer never filled: $(status_json "$UUID")"
    local b1 b2
    b1=$(pod_field "$UUID" apps.0.streams.stdout.bytes)
    sleep 1.2
    b2=$(pod_field "$UUID" apps.0.streams.stdout.bytes)
    assert_eq "$b2" "$b1" "output read from the blocked app over 1.2 s (bytes)"
    assert_lt "$b1" 2000000 "output read while the disk is full"
    assert_eq "$(pod_field "$UUID" apps.0.state)" ready "the blocked app's state"
    assert_eq "$(log_field 0 droppedBytes)" 0 "log.droppedBytes while blocked"
    assert_eq "$(log_field 0 lastError)" "No space left on device" "log.lastError"
    cri_valid "$MNT/app.log"        # whole records even with the disk full

    mount -o remount,size=64M "$MNT"
    wait_pod_exited 20
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 0 "app exit code"
    assert_eq "$(log_field 0 failing)" false "log.failing after the disk has room"
    assert_eq "$(log_field 0 droppedBytes)" 0 "log.droppedBytes"
    assert_ge "$(log_field 0 writeErrors)" 1 "log.writeErrors"
    cri_valid "$MNT/app.log"
    cri probe-lines 20000 100 >"$T/want"
    cri stream --stream=stdout "$MNT/app.log" >"$T/got"
    cmp_files "$T/got" "$T/want" "the log after the disk had room again"
    pc logs "$UUID" >"$T/got" 2>"$T/got.err" || fail "podctl logs failed"
    cmp_files "$T/got" "$T/want" "podctl logs"
    grep -q 'No space left on device' "$POD/console.log" || fail "podinit did not report the failing writes"
    grep -q 'can be written again' "$POD/console.log" || fail "podinit did not report the recovery"
}

@test "full disk, policy drop: the app never waits, the loss is counted, recorded and the file stays valid" {
    mount_small_fs 256k
    run_detached "$IMG" --log-path="$MNT/app.log" --log-policy=drop --log-buffer=4Ki --exec=/probe -- lines 20000 100
    # PID 1 reads everything the app writes although nothing more fits.
    wait_until 8 app_is "$UUID" 0 streams.stdout.bytes 2000000 ||
        fail "the app was held back: $(status_json "$UUID")"
    # (Quickly: the app has ended, its log gets 5 s to become writable.)
    local js dropped records
    js=$(status_json "$UUID")
    cri_valid "$MNT/app.log"
    mount -o remount,size=64M "$MNT"
    assert_eq "$(jget apps.0.log.failing <<<"$js")" true "log.failing with the disk full"
    assert_eq "$(jget apps.0.log.policy <<<"$js")" drop "log.policy"
    assert_ge "$(jget apps.0.log.droppedBytes <<<"$js")" 1 "log.droppedBytes with the disk full"

    wait_pod_exited 15
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 0 "app exit code"
    assert_eq "$(log_field 0 failing)" false "log.failing after the disk has room"
    dropped=$(log_field 0 droppedBytes)
    records=$(log_field 0 droppedRecords)
    cri_valid "$MNT/app.log"
    # One podinit record with the exact loss, as the last record.
    run cri meta "$MNT/app.log"
    assert_status 0
    assert_output_is "podinit: $dropped bytes in $records records of output were dropped: the log could not be written (No space left on device)"
    cri records "$MNT/app.log" | tail -n 1 | grep -Eq '^stderr F:podinit ' || fail "the loss record is not the last record"
    # What was written is whole lines, in order, and with the loss adds up.
    cri stream --stream=stdout "$MNT/app.log" >"$T/got"
    "$PYTHON" - "$T/got" "$dropped" "$records" <<'EOF' || fail "the lines kept are wrong (see above)"
import re, sys
data = open(sys.argv[1], "rb").read()
dropped, records = int(sys.argv[2]), int(sys.argv[3])
lines = data.split(b"\n")
if lines[-1] != b"":
    sys.exit("the kept output ends in the middle of a line")
prev = -1
for l in lines[:-1]:
    m = re.match(rb"^(\d+) y+$", l)
    if not m or len(l) != 99:
        sys.exit("not a whole line: %r" % l[:100])
    if int(m.group(1)) <= prev:
        sys.exit("line %s after line %d" % (m.group(1).decode(), prev))
    prev = int(m.group(1))
kept = len(lines) - 1
if kept + records != 20000:
    sys.exit("%d lines kept + %d dropped records != 20000" % (kept, records))
if kept * 99 + dropped != 20000 * 99:
    sys.exit("%d content bytes kept + %d dropped != %d" % (kept * 99, dropped, 20000 * 99))
EOF
    pc logs "$UUID" >"$T/logs.out" 2>"$T/logs.err" || fail "podctl logs failed"
    cmp_files "$T/logs.out" "$T/got" "podctl logs (stdout)"
    grep -qF "podinit: $dropped bytes in $records records of output were dropped" "$T/logs.err" ||
        fail "podctl logs did not print the loss on stderr:" "$(head -c 500 "$T/logs.err")"
}

@test "full disk that stays full: a stopped app's pod still finishes about 5 s after the app's end, the loss counted" {
    mount_small_fs 256k
    run_detached "$IMG" --log-path="$MNT/app.log" --exec=/probe -- lines 20000 100
    wait_until 10 eval '[ "$(log_field 0 buffered)" -gt 1048576 ]' ||
        fail "the app never blocked: $(status_json "$UUID")"
    local t0 took
    t0=$(now_ms)
    run pc stop "$UUID"
    took=$(( $(now_ms) - t0 ))
    assert_status 0
    echo "# stop with the log's disk full took $took ms" >&3
    pod_exited || fail "the pod has not exited after podctl stop"
    # docs/logging.md: after the app has ended, the log gets 5 s (plus the
    # 2 s drain period and the 500 ms retry: 8 s at most).
    assert_lt "$took" 8000 "ms from podctl stop to the pod's end with the disk full"
    assert_eq "$(pod_field "$UUID" apps.0.signal)" 15 "the app's signal"
    assert_ge "$(log_field 0 droppedBytes)" 1 "log.droppedBytes"
    assert_eq "$(log_field 0 failing)" true "log.failing"
    cri_valid "$MNT/app.log"
    grep -q 'records are lost' "$POD/console.log" || fail "podinit did not report the loss:" "$(cat "$POD/console.log")"
    ! grep -q 'did not stop within' "$POD/console.log" ||
        fail "podinit says the app did not stop, but it died of SIGTERM at once:" "$(cat "$POD/console.log")"
}

# ------------------------------------------------------------ rotation

# The app of the rotation tests: 20000 numbered lines in bursts of 500,
# each followed by a single line and a short pause.
ROTATING_APP='while [ ! -e /tmp/go ]; do sleep 0.05; done; s=1; while [ $s -le 20000 ]; do seq $s $((s+499)) | sed "s/\$/ of the numbered lines/"; echo "single $s"; sleep 0.01; s=$((s+500)); done'

rotating_want() {
    awk 'BEGIN { for (s = 1; s <= 20000; s += 500) { for (i = s; i < s + 500; i++) print i " of the numbered lines"; print "single " s } }'
}

@test "rotation while podctl logs -f follows: every line once, in order; whole records in every file" {
    run_detached "$IMG" --log-max-size=4096 --log-max-files=1000 --exec=/bin/sh -- -c "$ROTATING_APP"
    bg timeout 60 "$PODCTL" --dir="$D" logs -f "$UUID" >"$T/follow.out" 2>"$T/follow.err"
    local follower=$BGP f n
    sleep 0.3
    release_app busybox
    wait_ok "$follower" "podctl logs -f" "$T/follow.err"
    rotating_want >"$T/want"
    cmp_files "$T/follow.out" "$T/want" "the output of podctl logs -f"
    assert_eq "$(stat -c %s "$T/follow.err")" 0 "stderr of podctl logs -f (bytes)"

    wait_pod_exited
    f=$(log_of busybox)
    n=$(log_field 0 rotations)
    assert_ge "$n" 100 "log.rotations"
    [ -f "$f.$n" ] || fail "no $f.$n although there were $n rotations"
    [ ! -e "$f.$((n + 1))" ] || fail "$f.$((n + 1)) exists after $n rotations"
    local files=()
    mapfile -t files < <(seq -f "$f.%g" "$n" -1 1)
    cri_valid "${files[@]}" "$f"
    cri stream "${files[@]}" "$f" >"$T/files"
    cmp_files "$T/files" "$T/want" "the rotated files, oldest first"
    # Each rotated file passed 4096 bytes only with its last record.
    run cri rotated 4096 "${files[@]}"
    assert_status 0
    pc logs "$UUID" >"$T/logs.out" || fail "podctl logs failed"
    cmp_files "$T/logs.out" "$T/want" "podctl logs across $n rotated files"
}

@test "rotation with --log-max-files=2: only .1 and .2 are kept, and they join the current file" {
    run_detached "$IMG" --log-max-size=4096 --log-max-files=2 --exec=/bin/sh -- -c "$ROTATING_APP"
    release_app busybox
    wait_pod_exited 20
    local f
    f=$(log_of busybox)
    assert_ge "$(log_field 0 rotations)" 100 "log.rotations"
    [ -f "$f.1" ] && [ -f "$f.2" ] || fail "missing rotated files: $(ls "$(dirname "$f")")"
    [ ! -e "$f.3" ] || fail "$f.3 exists with --log-max-files=2"
    assert_eq "$(ls "$(dirname "$f")" | wc -l)" 3 "files in the log directory"
    cri_valid "$f.2" "$f.1" "$f"
    rotating_want >"$T/want"
    cri stream "$f.2" "$f.1" "$f" >"$T/kept"
    # The kept files hold the end of the output, without a gap.
    local kept
    kept=$(wc -l <"$T/kept")
    assert_ge "$kept" 100 "lines kept"
    tail -n "$kept" "$T/want" >"$T/want.tail"
    cmp_files "$T/kept" "$T/want.tail" "the kept files"
    pc logs "$UUID" >"$T/logs.out" || fail "podctl logs failed"
    cmp_files "$T/logs.out" "$T/want.tail" "podctl logs"
}

@test "rotation in the middle of an endless line waits for twice the size; a --log-path chain outlives gc" {
    mkdir -p "$T/logs"
    fg --console-format=none "$IMG" --log-path="$T/logs/app.log" --log-max-size=4096 --log-max-files=100 \
        --log-line-max=1Ki --exec=/bin/sh -- -c 'head -c 100000 /dev/zero | tr "\0" z; echo; echo second'
    assert_eq "$status" 0 "podctl run status"
    { head -c 100000 /dev/zero | tr '\0' z; echo; echo second; } >"$T/want"
    local n files=()
    n=$(log_field 0 rotations)
    assert_ge "$n" 6 "log.rotations"
    assert_eq "$(log_field 0 path)" "$T/logs/app.log" "log.path"
    mapfile -t files < <(seq -f "$T/logs/app.log.%g" "$n" -1 1)
    cri_valid "${files[@]}" "$T/logs/app.log"
    # The oldest files hold only pieces of the long line: rotated at 8192, not 4096.
    run cri rotated 8192 "${files[@]:0:5}"
    assert_status 0
    pc logs "$UUID" >"$T/got" || fail "podctl logs failed"
    cmp_files "$T/got" "$T/want" "podctl logs across the rotated pieces"
    run pc gc
    assert_status 0
    assert_eq "$(ls "$T/logs" | wc -l)" $((n + 1)) "files left in the --log-path directory after gc"
    cri stream "${files[@]}" "$T/logs/app.log" >"$T/got"
    cmp_files "$T/got" "$T/want" "the files after gc"
}

# ---------------------------------------------------------- rate limit

@test "rate limit: 10/s with a burst of 5 keeps 5 of 100 lines and says 95 were suppressed" {
    fg --console-format=none "$IMG" --log-rate=10/s --log-burst=5 --exec=/bin/sh -- -c 'seq 1 100; sleep 1.2; echo after-pause'
    assert_eq "$status" 0 "podctl run status"
    local f
    f=$(log_of busybox)
    cri_valid "$f"
    run cri records "$f"
    assert_output_is "$(printf '%s\n' 'stdout F 1' 'stdout F 1' 'stdout F 1' 'stdout F 1' 'stdout F 1' \
        'stdout F:podinit 68' 'stdout F 11')"
    run cri meta "$f"
    assert_output_is "podinit: 95 lines suppressed by the rate limit (10 lines/s, burst 5)"
    cri stream "$f" >"$T/got"
    printf '1\n2\n3\n4\n5\nafter-pause\n' >"$T/want"
    cmp_files "$T/got" "$T/want" "the lines that got through"
    assert_eq "$(log_field 0 suppressedLines)" 95 "log.suppressedLines"
    assert_eq "$(log_field 0 lines)" 6 "log.lines"
    pc logs "$UUID" >"$T/logs.out" 2>"$T/logs.err" || fail "podctl logs failed"
    cmp_files "$T/logs.out" "$T/want" "podctl logs (stdout)"
    assert_eq "$(cat "$T/logs.err")" "podinit: 95 lines suppressed by the rate limit (10 lines/s, burst 5)" "podctl logs (stderr)"
}

@test "rate limit: lines suppressed at the end of the stream are reported at its end" {
    fg --console-format=none "$IMG" --log-rate=10/s --log-burst=5 --exec=/bin/sh -- -c 'seq 1 100'
    assert_eq "$status" 0 "podctl run status"
    run cri meta "$(log_of busybox)"
    assert_output_is "podinit: 95 lines suppressed by the rate limit (10 lines/s, burst 5)"
    assert_eq "$(cri stream "$(log_of busybox)" | tr '\n' ' ')" "1 2 3 4 5 " "lines kept"
    assert_eq "$(log_field 0 suppressedLines)" 95 "log.suppressedLines"
}

# --------------------------------------------------------------- reopen

@test "reopen-log after an outside rename: earlier lines in the renamed file, later ones in a new file, nothing lost" {
    local app='w() { while [ ! -e /tmp/$1 ]; do sleep 0.05; done; }; p() { i=$1; while [ $i -le $2 ]; do echo "line $i"; i=$((i+1)); done; }; p 1 100; w go1; p 101 200; w go2; p 201 300'
    run_detached "$IMG" --exec=/bin/sh -- -c "$app"
    bg timeout 30 "$PODCTL" --dir="$D" logs -f "$UUID" >"$T/follow.out" 2>"$T/follow.err"
    local follower=$BGP f root
    f=$(log_of busybox)
    root=$(app_root busybox)
    wait_until 10 has_lines "$f" 100 || fail "the first 100 lines did not arrive"
    # The follower must hold the file open before it is renamed: one that
    # starts during the rename window finds no file by its path and can only
    # pick up the new one (this race made the test flaky: it saw just the
    # 900 bytes of lines 201-300).  Once it has printed line 100 it has the
    # file open, and it follows it by its descriptor across the rename.
    wait_until 10 has_lines "$T/follow.out" 100 ||
        fail "podctl logs -f did not print the first 100 lines: $(cat "$T/follow.err")"
    # Like kubelet: rename, let the app write on (into the renamed file), reopen.
    mv "$f" "$f.20261123-101010"
    touch "$root/tmp/go1"
    wait_until 10 has_lines "$f.20261123-101010" 200 || fail "lines 101-200 did not reach the renamed file"
    [ ! -e "$f" ] || fail "$f was recreated before the reopen"
    run pc reopen-log "$UUID"
    assert_status 0
    [ -f "$f" ] || fail "reopen-log did not create a new $f"
    assert_eq "$(log_field 0 reopens)" 1 "log.reopens"
    touch "$root/tmp/go2"
    wait_pod_exited
    wait_ok "$follower" "podctl logs -f" "$T/follow.err"

    cri_valid "$f.20261123-101010"
    cri_valid "$f"
    seq_lines 1 200 "" | sed 's/^/line /' >"$T/want.old"
    seq_lines 201 300 "" | sed 's/^/line /' >"$T/want.new"
    cri stream "$f.20261123-101010" >"$T/got.old"
    cri stream "$f" >"$T/got.new"
    cmp_files "$T/got.old" "$T/want.old" "the renamed file"
    cmp_files "$T/got.new" "$T/want.new" "the new file"
    cat "$T/want.old" "$T/want.new" >"$T/want"
    cmp_files "$T/follow.out" "$T/want" "podctl logs -f across the reopen"
}

@test "reopen-log --app reopens one app; unknown app, app without a log and exited pod fail clearly" {
    run_detached "$IMG" --name=a --exec=/bin/sh -- -c 'echo a-line; exec sleep 60' \
        --- "$IMG" --name=b --exec=/bin/sh -- -c 'echo b-before; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo b-after; exec sleep 60' \
        --- "$IMG" --name=quiet --stdout=null --stderr=null --exec=/bin/sleep -- 60
    local fb
    fb=$(log_of b)
    wait_until 10 has_lines "$fb" 1 || fail "b printed nothing"
    mv "$fb" "$fb.old"
    run pc reopen-log --app=b "$UUID"
    assert_status 0
    assert_eq "$(log_field 0 reopens)" 0 "a: log.reopens"
    assert_eq "$(log_field 1 reopens)" 1 "b: log.reopens"
    release_app b
    wait_until 10 has_lines "$fb" 1 || fail "b-after did not reach the new file"
    assert_eq "$(cri stream "$fb.old")" b-before "the renamed file of b"
    assert_eq "$(cri stream "$fb")" b-after "the new file of b"

    run pc reopen-log --app=nope "$UUID"
    assert_status 1
    assert_output_contains '"nope"'
    assert_output_contains "no app"
    run pc reopen-log --app=quiet "$UUID"
    assert_status 1
    assert_output_contains '"quiet"'
    assert_output_contains "no log"
    run pc reopen-log
    assert_status 2

    pc stop --force "$UUID" >/dev/null 2>&1 || true
    wait_pod_exited
    run pc reopen-log "$UUID"
    assert_status 1
    assert_output_contains "not running"
}

# --------------------------------------------------- partial-line timeout

@test "partial-line timeout: a prompt shows as a P record after 1 s; with 0 it waits for the app's end" {
    run_detached "$IMG" --name=p1 --exec=/bin/sh -- -c "printf 'prompt> '; $GATE; echo answer" \
        --- "$IMG" --name=p0 --log-partial-timeout=0 --exec=/bin/sh -- -c "printf 'held> '; $GATE"
    local exec_at p_at after
    wait_until 3 grep -qF 'stdout P prompt> ' "$(log_of p1)" || fail "no P record for the prompt within 3 s"
    # The record's time, from the app's exec: the timeout (1 s), not at once.
    exec_at=$(date -d "$(pod_field "$UUID" apps.0.execAt)" +%s%3N)
    p_at=$(date -d "$(cut -d' ' -f1 "$(log_of p1)")" +%s%3N)
    after=$((p_at - exec_at))
    assert_ge "$after" 900 "ms from exec to the prompt's P record"
    assert_lt "$after" 2000 "ms from exec to the prompt's P record"
    sleep 1
    assert_eq "$(count_lines "$(log_of p0)")" 0 "records of p0 (--log-partial-timeout=0) before it ends"
    release_app p1
    release_app p0
    wait_pod_exited
    run cri records "$(log_of p1)"
    assert_output_is "$(printf '%s\n' 'stdout P 8' 'stdout F 6')"
    run cri records "$(log_of p0)"
    assert_output_is "stdout P 6"
    assert_eq "$(pc logs --app=p1 "$UUID")" "prompt> answer" "podctl logs --app=p1"
    assert_eq "$(pc logs --app=p0 "$UUID")" "held> " "podctl logs --app=p0"
}

# ------------------------------------------------------- console formats

@test "console formats: rkt prints [secs.usecs] app[pid]: line, none prints nothing, run -d keeps console.log clean" {
    local script='echo out-line; echo err-line >&2; printf partial-end'
    fg --console-format=rkt "$IMG" --name=alpha --exec=/bin/sh -- -c "$script"
    assert_eq "$status" 0 "podctl run --console-format=rkt status"
    assert_eq "$(cat "$ERR")" "" "stderr with --console-format=rkt"
    local bad
    bad=$(grep -Ev '^\[ *[0-9]+\.[0-9]{6}\] alpha\[2\]: (out-line|err-line|partial-end)$' "$OUT" || true)
    [ -z "$bad" ] || fail "lines not in rkt format:" "$bad"
    assert_eq "$(sed -E 's/^[^]]*\] //' "$OUT" | sort | tr '\n' ' ')" \
        "alpha[2]: err-line alpha[2]: out-line alpha[2]: partial-end " "rkt lines"
    cri_valid "$(log_of alpha)"
    assert_eq "$(cri stream --stream=stdout "$(log_of alpha)")" "$(printf 'out-line\npartial-end')" "stdout in the log"
    assert_eq "$(cri stream --stream=stderr "$(log_of alpha)")" err-line "stderr in the log"

    fg --console-format=none "$IMG" --name=beta --exec=/bin/sh -- -c "$script"
    assert_eq "$status" 0 "podctl run --console-format=none status"
    assert_eq "$(stat -c %s "$OUT")" 0 "stdout bytes with --console-format=none"
    assert_eq "$(stat -c %s "$ERR")" 0 "stderr bytes with --console-format=none"
    assert_eq "$(cri stream --stream=stdout "$(log_of beta)")" "$(printf 'out-line\npartial-end')" "stdout in the log"
    assert_eq "$(cri stream --stream=stderr "$(log_of beta)")" err-line "stderr in the log"

    run_detached "$IMG" --name=gamma --exec=/bin/sh -- -c 'echo detached-out-marker; echo detached-err-marker >&2'
    wait_pod_exited
    assert_eq "$(cri stream "$(log_of gamma)" | sort | tr '\n' ' ')" "detached-err-marker detached-out-marker " "the log of a detached pod"
    ! grep -q 'detached-.*-marker' "$POD/console.log" ||
        fail "app output in console.log of a run -d pod:" "$(cat "$POD/console.log")"
}

# ------------------------------------------------------- podctl logs

@test "podctl logs: --app, merged prefixes, --tail, --since, --timestamps, errors, exited pods and gc" {
    run_detached "$IMG" --name=web --exec=/bin/sh -- -c 'for i in 1 2 3 4 5; do echo "web $i"; sleep 0.03; done; echo web-err >&2; exec sleep 60' \
        --- "$IMG" --name=db --exec=/bin/sh -- -c 'for i in 1 2 3; do echo "db $i"; sleep 0.05; done; exec sleep 60' \
        --- "$IMG" --name=quiet --stdout=null --stderr=null --exec=/bin/sleep -- 60
    wait_until 10 has_lines "$(log_of web)" 6 || fail "web did not log its 6 lines"
    wait_until 10 has_lines "$(log_of db)" 3 || fail "db did not log its 3 lines"

    # One app: its lines, unprefixed, stdout and stderr apart.
    pc logs --app=web "$UUID" >"$T/o" 2>"$T/e" || fail "podctl logs --app=web failed"
    assert_eq "$(cat "$T/o")" "$(printf 'web %s\n' 1 2 3 4 5)" "stdout of --app=web"
    assert_eq "$(cat "$T/e")" web-err "stderr of --app=web"

    # Several apps: merged by time, prefixed; quiet (no log) is left out.
    pc logs --timestamps "$UUID" >"$T/o" 2>"$T/e" || fail "podctl logs failed"
    assert_eq "$(grep -c '' "$T/o")" 8 "merged stdout lines"
    if grep -Evq '^(web|db) \| [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z (web [1-5]|db [1-3])$' "$T/o"; then
        fail "merged lines not as 'app | timestamp line':" "$(cat "$T/o")"
    fi
    sed -E 's/^[a-z]+ \| (\S+) .*/\1/' "$T/o" | sort -c || fail "merged lines are not in time order:" "$(cat "$T/o")"
    assert_eq "$(sed -n 's/^web | \S* //p' "$T/o" | tr '\n' ' ')" "web 1 web 2 web 3 web 4 web 5 " "web's lines in the merge"
    assert_eq "$(sed -n 's/^db | \S* //p' "$T/o" | tr '\n' ' ')" "db 1 db 2 db 3 " "db's lines in the merge"
    grep -Eq '^web \| \S+Z web-err$' "$T/e" || fail "merged stderr: $(cat "$T/e")"

    # --timestamps shows the record's own timestamp.
    sed -E 's/^(\S+) stdout F (.*)$/\1 \2/' "$(log_of db)" >"$T/want"
    pc logs --timestamps --app=db "$UUID" >"$T/o" || fail "podctl logs --timestamps failed"
    cmp_files "$T/o" "$T/want" "podctl logs --timestamps --app=db"

    # --tail counts lines of each app, both streams.
    assert_eq "$(pc logs --tail=2 --app=web "$UUID" 2>/dev/null)" "web 5" "stdout of --tail=2 --app=web"
    assert_eq "$(pc logs --tail=2 --app=web "$UUID" 2>&1 >/dev/null)" "web-err" "stderr of --tail=2 --app=web"
    assert_eq "$(pc logs --tail=1 --app=db "$UUID")" "db 3" "--tail=1 --app=db"
    assert_eq "$(pc logs --tail=0 --app=db "$UUID")" "" "--tail=0"
    assert_eq "$(pc logs --tail=100 --app=db "$UUID" | tr '\n' ' ')" "db 1 db 2 db 3 " "--tail=100"
    assert_eq "$(pc logs --tail=1 "$UUID" 2>/dev/null | sort | tr '\n' ' ')" "db | db 3 " "--tail=1 of each app (stdout)"

    # --since: a future time gives nothing, 1h everything, a record's time from it on.
    run pc logs --since=2099-01-01T00:00:00Z "$UUID"
    assert_status 0
    assert_output_is ""
    assert_eq "$(pc logs --since=1h --app=db "$UUID" | tr '\n' ' ')" "db 1 db 2 db 3 " "--since=1h"
    local ts2
    ts2=$(sed -n '2s/ .*//p' "$(log_of db)")
    assert_eq "$(pc logs --since="$ts2" --app=db "$UUID" | tr '\n' ' ')" "db 2 db 3 " "--since=<time of db 2>"
    assert_eq "$(pc logs --stream=stderr --app=web "$UUID" 2>&1)" web-err "--stream=stderr"

    # Errors.
    run pc logs --app=nope "$UUID"
    assert_status 1
    assert_output_contains "no app nope"
    assert_output_contains "web, db, quiet"
    run pc logs --app=quiet "$UUID"
    assert_status 1
    assert_output_contains "app quiet has no log"
    local badflag
    for badflag in --tail=x --tail=-1 --since=yesterday --stream=both --bogus; do
        run pc logs "$badflag" "$UUID"
        [ "$status" -eq 2 ] || { _dump_run; fail "podctl logs $badflag: expected status 2"; }
    done
    run pc logs
    assert_status 2
    run pc logs nosuchpod
    assert_status 1
    assert_output_contains "no pod"

    # An exited pod keeps its logs until gc.
    pc stop "$UUID" >/dev/null 2>&1 || fail "podctl stop failed"
    wait_pod_exited
    assert_eq "$(pc logs --app=web "$UUID" 2>&1)" "$(printf 'web %s\n' 1 2 3 4 5; echo web-err)" "logs of the exited pod"
    run pc gc
    assert_status 0
    run pc logs "$UUID"
    assert_status 1
    assert_output_contains "no pod"
}

@test "podctl logs: merged output never mixes a waiting partial line with another app's lines" {
    run_detached "$IMG" --name=a --exec=/bin/sh -- -c "printf 'prompt> '; $GATE; echo answer" \
        --- "$IMG" --name=b --exec=/bin/sh -- -c "$GATE; echo b-line1; echo b-line2"
    bg timeout 20 "$PODCTL" --dir="$D" logs -f "$UUID" >"$T/follow.out" 2>"$T/follow.err"
    local follower=$BGP
    wait_until 5 grep -qF 'stdout P prompt> ' "$(log_of a)" || fail "no P record for a's prompt"
    release_app b
    wait_until 5 has_lines "$(log_of b)" 2 || fail "b did not log its lines"
    release_app a
    wait_pod_exited
    wait_ok "$follower" "podctl logs -f" "$T/follow.err"
    # Each output line is one app's, prefixed; a's line goes on after b's.
    printf 'a | prompt> \nb | b-line1\nb | b-line2\na | answer\n' >"$T/want"
    pc logs "$UUID" >"$T/got" || fail "podctl logs failed"
    cmp_files "$T/got" "$T/want" "merged podctl logs"
    cmp_files "$T/follow.out" "$T/want" "merged podctl logs -f"
    # One app alone still gets its bytes back exactly.
    pc logs --app=a "$UUID" >"$T/got" || fail "podctl logs --app=a failed"
    printf 'prompt> answer\n' >"$T/want"
    cmp_files "$T/got" "$T/want" "podctl logs --app=a"
}

# ----------------------------------------------------------- bad input

@test "bad --log-* values fail before the pod runs, naming the app and the annotation" {
    local bad ann problems=()
    for bad in --log-max-size=100 --log-max-size=lots --log-policy=maybe --log-rate=x --log-rate=5/m \
        --log-line-max=10 --log-line-max=17Mi --log-max-files=0 --log-max-files=1001 --log-buffer=zz \
        --log-partial-timeout=forever --log-burst=0; do
        ann=${bad%%=*}
        ann=podinit.io/${ann#--}
        [ "$ann" != podinit.io/log-buffer ] || ann=podinit.io/log-buffer-bytes
        run pc run "$IMG" --name=web "$bad" --exec=/bin/echo -- must-not-run
        # podctl(1): 2 for usage errors, as for --stdin=bogus or --stop-timeout=x.
        [ "$status" -eq 2 ] || problems+=("$bad: exit status $status, expected 2 (a bad flag value is a usage error)")
        [[ $output == *"$ann"* ]] || problems+=("$bad: the message does not name $ann: $output")
        [[ $output == *web* ]] || problems+=("$bad: the message does not name the app (web): $output")
        [[ $output != *must-not-run* ]] || problems+=("$bad: the app ran")
        [ -z "$(running_pods)" ] || problems+=("$bad: a pod is running")
        assert_no_pod_dirs || problems+=("$bad: a pod directory was left behind")
    done
    [ ${#problems[@]} -eq 0 ] || fail "${problems[@]}"
}

@test "bad log settings in a pod manifest and a missing log directory fail before the app runs (254)" {
    printf '%s\n' '{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"web","image":{"name":"example.com/busybox"},"app":{"exec":["/bin/echo","must-not-run"],"user":"0","group":"0"},"annotations":[{"name":"podinit.io/log-policy","value":"sometimes"}]}]}' \
        >"$T/pod.json"
    run pc run --pod-manifest="$T/pod.json" "$IMG"
    assert_status 254
    assert_output_contains "podinit.io/log-policy"
    assert_output_contains '"sometimes"'
    refute_output_contains must-not-run
    assert_no_pod_dirs

    run pc run "$IMG" --name=web --log-path="$T/no/such/dir/web.log" --exec=/bin/echo -- must-not-run
    assert_status 254
    assert_output_contains '"web"'
    assert_output_contains "$T/no/such/dir/web.log"
    assert_output_contains "podinit.io/log-path"
    refute_output_contains must-not-run
    assert_eq "$(running_pods)" "" "running pods"

    run pc run "$IMG" --name=a --log-path="$T/same.log" --exec=/bin/echo -- must-not-run \
        --- "$IMG" --name=b --log-path="$T/same.log" --exec=/bin/echo -- must-not-run
    assert_failure
    assert_output_contains "$T/same.log"
    refute_output_contains must-not-run
    assert_eq "$(running_pods)" "" "running pods"
}

# ------------------------------------------------------------------ tty

@test "tty output is logged with --log-attached: stdout records with the tty's \\r kept" {
    run_detached "$IMG" --stdin=tty --stdout=tty --log-attached --exec=/bin/sh -- \
        -c 'echo hello tty; printf "cr\rmid\n"; echo to-err >&2'
    wait_pod_exited
    assert_eq "$(pod_field "$UUID" apps.0.io)" '{"stderr": "log", "stdin": "tty", "stdout": "tty"}' "io modes"
    local f
    f=$(log_of busybox)
    cri_valid "$f"
    printf 'hello tty\r\ncr\rmid\r\n' >"$T/want"
    cri stream --stream=stdout "$f" >"$T/got"
    cmp_files "$T/got" "$T/want" "stdout records of the tty"
    assert_eq "$(cri stream --stream=stderr "$f")" to-err "stderr records"
    grep -qa $'stdout F hello tty\r$' "$f" || fail "no 'hello tty\\r' stdout record"
    pc logs --stream=stdout "$UUID" >"$T/o" || fail "podctl logs failed"
    cmp_files "$T/o" "$T/want" "podctl logs of the tty app"

    # Without --log-attached a tty app logs nothing.
    run_detached "$IMG" --name=plain --stdin=tty --stdout=tty --stderr=tty --exec=/bin/sh -- -c 'echo not-logged'
    wait_pod_exited
    [ ! -e "$(log_of plain)" ] || fail "a log file for a tty app without --log-attached"
    run pc logs --app=plain "$UUID"
    assert_status 1
    assert_output_contains "has no log"
}
