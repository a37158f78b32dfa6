#!/usr/bin/env bats
# The rkt stage1 image (podinit-stage1.aci) driven the way rkt 1.30 drives it,
# through the stage0 simulator tests/lib/stage0.py.  The tests mirror rkt's
# functional tests (../shared/reference/rkt-stage1-abi.md section 7) that need
# neither journald nor networking: TestExitCode*, TestRktStop, enter,
# TestGC*/TestRm*, TestAppSandbox*, TestAttach*, and the error cases.
#
# Every test has its own rkt data directory under a mktemp directory; the
# teardown kills whatever still holds a pod lock, garbage-collects, unmounts
# everything under that directory (the simulator's shared bind included) and
# deletes it.  --interactive is covered by interactive.bats.
#
# bats sets status, output, lines and stderr; app commands are single-quoted
# on purpose (they run in the pod); UUID and POD are per test.
# shellcheck disable=SC2154,SC2016,SC2030,SC2031

load helpers
bats_require_minimum_version 1.5.0     # run --separate-stderr

S0_PY=$PODINIT_SRC/tests/lib/stage0.py
STAGE1_ACI=$PODINIT_BIN_DIR/podinit-stage1.aci
DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# An app that reads one line and says whether stdin is a terminal (what rkt's
# `inspect --read-stdin --check-tty` does in TestAttachSmoke).
ATTACH_SH='echo "Enter text:"; read l; echo "Received text: $l"; if [ -t 0 ]; then echo "stdin is a terminal"; else echo "stdin is not a terminal"; fi'

setup_file() {
    [ -f "$STAGE1_ACI" ] ||
        fail "stage1 image $STAGE1_ACI not found: build it (cmake --build) or set PODINIT_BIN_DIR" || return 1
    [ -f "$S0_PY" ] || fail "stage0 simulator $S0_PY not found" || return 1
    build_images
}

setup() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/podinit-s1.XXXXXX")
    T=$(realpath "$T")
    D=$T/data
    BG_PIDS=()
    UUID='' POD=''
}

teardown() {
    [ -n "${T-}" ] && [ -d "$T" ] || return 0
    local pd p uuids=() pids=()
    for pd in "$D"/pods/*/*/; do
        [ -d "$pd" ] || continue
        uuids+=("$(basename "$pd")")
        if pod_lock_held "$pd"; then
            mapfile -t -O "${#pids[@]}" pids < <(lock_holders "$pd")
        fi
    done
    for p in "${pids[@]}" "${BG_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    for p in "${BG_PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    BG_PIDS=()
    for pd in "$D"/pods/run/*/; do
        [ -d "$pd" ] || continue
        wait_until 5 pod_unlocked "$pd" || {
            mapfile -t pids < <(lock_holders "$pd" --scan-fds)
            [ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
            wait_until 5 pod_unlocked "$pd" || true
        }
    done
    # The pods' cgroups outlive them until gc (rkt's rule).
    if [ -d "$D/pods" ]; then
        timeout 30 "$PYTHON" "$S0_PY" --dir="$D" gc --grace-period=0 >/dev/null 2>&1 || true
    fi
    remove_cgroups "${uuids[@]}"
    unmount_under "$T"
    if [ -n "$(mounts_under "$T")" ]; then
        fail "mounts left under $T (not deleted):" "$(mounts_under "$T")"
        return 1
    fi
    rm -rf -- "$T"
}

# ------------------------------------------------------------------ helpers

# s0 ARGS...: the simulator with this test's data dir, killed after 20 s.
s0() {
    timeout 20 "$PYTHON" "$S0_PY" --dir="$D" "$@"
}

# s0_bg NAME ARGS...: the simulator in the background (stdout/stderr in
# $T/NAME.out and $T/NAME.err, fd 3 closed for bats); sets BGP.
s0_bg() {
    local name=$1
    shift
    "$PYTHON" "$S0_PY" --dir="$D" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null 3>&- &
    BGP=$!
    BG_PIDS+=("$BGP")
}

# start_pod run|app-sandbox ARGS...: start a pod in the background and wait
# until it is ready (status --wait-ready); sets UUID, POD, POD_PID (the run
# process), POD_OUT and POD_ERR.
start_pod() {
    local cmd=$1
    shift
    rm -f "$T/uuid"
    s0_bg pod "$cmd" --stage1="$STAGE1_ACI" --uuid-file-save="$T/uuid" "$@"
    POD_PID=$BGP POD_OUT=$T/pod.out POD_ERR=$T/pod.err
    wait_until 10 test -s "$T/uuid" || {
        cat "$POD_ERR" >&2
        fail "stage0 $cmd wrote no UUID within 10 s"
        return 1
    }
    UUID=$(cat "$T/uuid")
    POD=$D/pods/run/$UUID
    run s0 status --wait-ready=10s "$UUID"
    if [ "$status" -ne 0 ]; then
        _dump_run
        printf -- '--- pod stderr:\n%s\n' "$(cat "$POD_ERR")" >&2
        fail "pod $UUID did not become ready within 10 s"
        return 1
    fi
}

# The only pod of this test, after a foreground run; sets UUID and POD.
the_pod() {
    local dirs=("$D"/pods/run/*/)
    [ ${#dirs[@]} -eq 1 ] && [ -d "${dirs[0]}" ] ||
        fail "expected exactly one pod under $D/pods/run, found: ${dirs[*]}" || return 1
    UUID=$(basename "${dirs[0]}")
    POD=$D/pods/run/$UUID
}

# The overlay upper dir of the stage1 rootfs (where rkt reads status files).
s1_upper() {
    printf '%s\n' "$POD/overlay/$(cat "$POD/stage1TreeStoreID")/upper"
}

# The directory rkt reads app status files from, for either mode.
status_dir() {
    if [ -e "$POD/overlay-prepared" ]; then
        printf '%s\n' "$(s1_upper)/rkt/status"
    else
        printf '%s\n' "$POD/stage1/rootfs/rkt/status"
    fi
}

pod_unlocked() { ! pod_lock_held "$1"; }

# lock_holders DIR [--scan-fds]: pids holding a flock on DIR (/proc/locks),
# and with --scan-fds every process with DIR open.
lock_holders() {
    local dir=${1%/} ino f
    ino=$(stat -c %i "$dir" 2>/dev/null) || return 0
    awk -v ino="$ino" '$2 == "FLOCK" { n = split($6, a, ":"); if (a[n] == ino) print $5 }' /proc/locks
    [ "${2-}" = --scan-fds ] || return 0
    for f in /proc/[0-9]*/fd/*; do
        if [ "$(readlink "$f" 2>/dev/null)" = "$dir" ]; then
            f=${f#/proc/}
            echo "${f%%/*}"
        fi
    done
}

mounts_under() {
    awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo
}

# Unmount everything at or below a path, deepest first, lazily if busy.
unmount_under() {
    local _ mp
    for _ in 1 2 3 4 5; do
        [ -n "$(mounts_under "$1")" ] || return 0
        while read -r mp; do
            umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
        done < <(mounts_under "$1" | sort -r)
    done
}

# cgroup directories anywhere under /sys/fs/cgroup whose path contains the
# first 8 hex digits of a UUID (rkt's TestGCCgroup scan).
pod_cgroups() {
    find /sys/fs/cgroup -type d -path "*${1:0:8}*" 2>/dev/null
}

# Remove what gc left of these pods' cgroups (a failing gc must not leak them).
remove_cgroups() {
    local u dir
    for u in "$@"; do
        while read -r dir; do
            [ -n "$dir" ] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
        done < <(find /sys/fs/cgroup -maxdepth 3 -type d -name "*${u:0:8}*" 2>/dev/null)
    done
    return 0
}

# bg_done PID: the background process has ended (gone or a zombie).
bg_done() {
    local s
    s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
    [ "$s" = Z ]
}

# wait_bg PID SECONDS: wait for a background process; sets BG_RC.
wait_bg() {
    wait_until "$2" bg_done "$1" || {
        fail "process $1 still running after $2 s"
        return 1
    }
    BG_RC=0
    wait "$1" || BG_RC=$?
}

gone() { ! kill -0 "$1" 2>/dev/null; }

attachable() { s0 attach --app="$1" --mode=list "$UUID" >/dev/null 2>&1; }

# grep_file FILE PATTERN: for wait_until.
grep_file() { grep -q -- "$2" "$1" 2>/dev/null; }

# app_state APP STATE: `app-list` shows APP in STATE (rkt's "name\tstate",
# tab-aligned by Go's tabwriter).
app_state() {
    s0 app-list --no-legend "$UUID" 2>/dev/null | grep -qE -- "^$1"$'\t'"+$2\$"
}

# app_status_has APP TEXT: `app-status` output has the line TEXT.
app_status_has() {
    s0 app-status "$UUID" --app="$1" 2>/dev/null | grep -qx -- "$2"
}

# The fd numbers an app printed with `ls /proc/self/fd` on the pod console
# (log lines "[time] APP[pid]: LINE"), sorted, space separated.
console_fds() {
    grep -o -- "$2\[[0-9]*\]: [0-9]*\$" "$1" | sed 's/.*: //' | sort -n | tr '\n' ' '
}

# attach_expect EXPECT INPUT [--keep] ATTACH ARGS...: run `attach`, write
# INPUT and a newline to it, wait up to 15 s for EXPECT in its output; then
# close its stdin and give it 10 s to end by itself (--keep: kill it
# instead, i.e. detach).  Sets ATT_OUT (the output file) and ATT_RC (its exit
# status, or "killed").  Fails if EXPECT never appears.
attach_expect() {
    local expect=$1 input=$2 keep='' apid
    shift 2
    if [ "${1-}" = --keep ]; then
        keep=1
        shift
    fi
    ATT_OUT=$T/attach.$RANDOM.out
    rm -f "$T/attach.in"
    mkfifo "$T/attach.in"
    "$PYTHON" "$S0_PY" --dir="$D" attach "$@" <"$T/attach.in" >"$ATT_OUT" 2>&1 3>&- &
    apid=$!
    BG_PIDS+=("$apid")
    exec 5>"$T/attach.in"
    printf '%s\n' "$input" >&5
    if ! wait_until 15 grep_file "$ATT_OUT" "$expect"; then
        exec 5>&-
        kill -KILL "$apid" 2>/dev/null || true
        wait "$apid" 2>/dev/null || true
        printf -- '--- attach output:\n%s\n---\n' "$(cat "$ATT_OUT")" >&2
        fail "attach did not show [$expect] within 15 s"
        return 1
    fi
    exec 5>&-
    if [ -n "$keep" ]; then
        kill -KILL "$apid" 2>/dev/null || true
        wait "$apid" 2>/dev/null || true
        ATT_RC=killed
        return 0
    fi
    wait_bg "$apid" 10 || {
        kill -KILL "$apid" 2>/dev/null || true
        wait "$apid" 2>/dev/null || true
        printf -- '--- attach output:\n%s\n---\n' "$(cat "$ATT_OUT")" >&2
        return 1
    }
    ATT_RC=$BG_RC
}

# wait_attachable APP: `attach --mode=list` succeeds (rkt's waitAppAttachable).
wait_attachable() {
    wait_until 10 attachable "$1" || {
        run s0 attach --app="$1" --mode=list "$UUID"
        _dump_run
        fail "app $1 did not become attachable within 10 s"
    }
}

# ------------------------------------------------------------ exit codes

@test "TestExitCodeSimple: run exits with the app's code; status reads it (overlay: from the upper dir)" {
    local mode n
    for mode in overlay no-overlay; do
        for n in 0 1 2; do
            local flags=(--stage1="$STAGE1_ACI" --net=none)
            [ "$mode" = overlay ] || flags+=(--no-overlay)
            run s0 run "${flags[@]}" --image="$ACI" --app=rkt-inspect --exec=/probe -- exit "$n"
            assert_status "$n"
            the_pod
            run s0 status "$UUID"
            assert_status 0
            assert_line "state=exited"
            assert_line "exited=true"
            assert_line "app-rkt-inspect=$n"
            assert_line "pid=$(head -n1 "$POD/pid")"
            if [ "$mode" = overlay ]; then
                [ -e "$POD/overlay-prepared" ] || fail "overlay-prepared missing"
                assert_eq "$(cat "$(s1_upper)/rkt/status/rkt-inspect")" "$n" "status file in the overlay upper dir"
            else
                [ ! -e "$POD/overlay-prepared" ] || fail "overlay-prepared with --no-overlay"
                assert_eq "$(cat "$POD/stage1/rootfs/rkt/status/rkt-inspect")" "$n" "status file in stage1/rootfs"
            fi
            pod_unlocked "$POD" || fail "the pod lock is still held after run returned"
            run s0 gc --grace-period=0
            assert_status 0
        done
    done
}

@test "TestExitCodeWithSeveralApps: exit 0, exit 5 and a sleeper: run exits 5, statuses 0, 5, 0" {
    local mode
    for mode in overlay no-overlay; do
        local flags=(--stage1="$STAGE1_ACI" --net=none)
        [ "$mode" = overlay ] || flags+=(--no-overlay)
        run s0 run "${flags[@]}" \
            --image="$ACI" --app=hello0 --exec=/probe -- exit 0 --- \
            --image="$ACI" --app=hello1 --exec=/bin/sh -- -c 'sleep 0.5; exit 5' --- \
            --image="$ACI" --app=hello2 --exec=/probe -- sleep 30
        assert_status 5
        the_pod
        run s0 status "$UUID"
        assert_status 0
        assert_line "state=exited"
        assert_line "app-hello0=0"
        assert_line "app-hello1=5"
        assert_line "app-hello2=0"
        run s0 gc --grace-period=0
        assert_status 0
    done
}

# ------------------------------------------------------------- stop, lock

@test "TestRktStop: a running pod holds its lock and has a pid; stop ends it with 0; stop again: already stopped" {
    local mode
    for mode in overlay no-overlay; do
        local flags=(--stage1="$STAGE1_ACI")
        [ "$mode" = overlay ] || flags+=(--no-overlay)
        # rkt's test: prepare, then run-prepared
        run s0 prepare "${flags[@]}" --image="$ACI" --app=rkt-stop-test --exec=/probe -- sleep 30
        assert_status 0
        UUID=$output
        [ -d "$D/pods/prepared/$UUID" ] || fail "prepare left no pods/prepared/$UUID"
        s0_bg pod run-prepared --net=none "$UUID"
        POD_PID=$BGP POD=$D/pods/run/$UUID
        run s0 status --wait-ready=10s "$UUID"
        assert_status 0
        assert_line "state=running"
        assert_line "exited=false"
        refute_output_contains "app-rkt-stop-test="
        [[ $(cat "$POD/pid") =~ ^[0-9]+$ ]] || fail "pid file: [$(cat "$POD/pid")]"
        assert_line "pid=$(head -n1 "$POD/pid")"
        [ -d "/proc/$(head -n1 "$POD/pid")" ] || fail "the pid in the pid file is not alive"
        pod_lock_held "$POD" || fail "the pod lock is not held while the pod runs"
        if [ "$mode" = overlay ]; then
            assert_eq "$(readlink "$(s1_upper)/rkt/supervisor-status")" ready "supervisor-status in the upper dir"
        else
            assert_eq "$(readlink "$POD/stage1/rootfs/rkt/supervisor-status")" ready "supervisor-status"
        fi
        # a single-app pod: enter finds the app by itself
        run s0 enter "$UUID" /probe print entered
        assert_status 0
        assert_line "entered"

        run s0 stop "$UUID"
        assert_status 0
        assert_output_is "\"$UUID\""
        wait_bg "$POD_PID" 15
        assert_eq "$BG_RC" 0 "run-prepared's exit status after stop"
        pod_unlocked "$POD" || fail "the pod lock is still held after run exited"
        run s0 status "$UUID"
        assert_line "state=exited"
        assert_line "app-rkt-stop-test=0"
        run s0 stop "$UUID"
        assert_status 0
        assert_output_is "pod \"$UUID\" is already stopped"
        run s0 enter "$UUID" /probe print x
        assert_status 254
        assert_output_contains "enter: pod \"$UUID\" isn't currently running"
        run s0 gc --grace-period=0
        assert_status 0
    done
}

@test "TestRktStop --force: the run process dies by SIGKILL, and the pod with it" {
    start_pod run --net=none --image="$ACI" --app=a --exec=/probe -- sleep 30
    local pid1
    pid1=$(head -n1 "$POD/pid")
    run s0 stop --force "$UUID"
    assert_status 0
    assert_output_is "\"$UUID\""
    wait_bg "$POD_PID" 15
    assert_eq "$BG_RC" 137 "run's exit status after stop --force (killed by SIGKILL)"
    wait_until 10 pod_unlocked "$POD" || fail "the pod lock is still held after stop --force"
    wait_until 5 gone "$pid1" || fail "the pod's PID 1 ($pid1) survived stop --force"
    run s0 status "$UUID"
    assert_line "state=exited"
}

# ------------------------------------------------------------------ enter

@test "enter: the app's environment plus the caller's TERM, as uid 0 in the app's rootfs, no stray descriptors" {
    start_pod run --net=none \
        --image="$ACI" --app=a --user=1000 --group=1000 --set-env=FOO=bar --exec=/probe -- sleep 30 --- \
        --image="$ACI" --app=b --exec=/probe -- sleep 30
    # several apps and no --app: rkt's error
    run s0 enter "$UUID" /probe env
    assert_status 254
    assert_output_contains "enter: pod contains multiple apps:"
    assert_output_contains 'enter: unable to determine app name: specify app using "rkt enter --app= ..."'

    run env TERM=xterm-test CALLERVAR=leaked timeout 20 "$PYTHON" "$S0_PY" --dir="$D" enter --app=a "$UUID" /probe env
    assert_status 0
    local envfile=$POD/stage1/rootfs/rkt/env/a
    [ -f "$envfile" ] || fail "no env file $envfile"
    grep -qx "AC_APP_NAME=a" "$envfile" || fail "env file lacks AC_APP_NAME=a:" "$(cat "$envfile")"
    grep -qx "PATH=$DEFAULT_PATH" "$envfile" || fail "env file lacks the default PATH:" "$(cat "$envfile")"
    grep -qx "FOO=bar" "$envfile" || fail "env file lacks FOO=bar:" "$(cat "$envfile")"
    assert_eq "$(printf '%s\n' "$output" | sort)" "$( (cat "$envfile"; echo TERM=xterm-test) | sort)" \
        "entered environment (the env file + TERM)"

    run s0 enter --app=a "$UUID" /bin/sh -c 'exit 42'
    assert_status 42

    run s0 enter --app=a "$UUID" /probe id
    assert_status 0
    [[ $output == "uid=0 gid=0 "* ]] || fail "enter is not uid/gid 0: $output"
    run s0 enter --app=a "$UUID" /probe cwd
    assert_status 0
    assert_output_is "/"
    # /probe exists in the app's rootfs only: the command ran there
    run s0 enter --app=a "$UUID" /bin/sh -c 'test -x /probe && test ! -e /rkt/env && echo in-app-rootfs'
    assert_output_is "in-app-rootfs"
    # stage0 leaks fd 7 (and bats has fd 3): the entered command gets neither
    run s0 enter --app=a "$UUID" /bin/ls /proc/self/fd
    assert_status 0
    assert_eq "$(printf '%s\n' "$output" | tr '\n' ' ')" "0 1 2 3 " "fds of ls /proc/self/fd in the entered command"
    run s0 stop "$UUID"
    assert_status 0
    wait_bg "$POD_PID" 15
    assert_eq "$BG_RC" 0 "run's exit status"
}

@test "no descriptor reaches an app: neither the caller's nor the lock nor stage0's leaked one" {
    run s0 run --stage1="$STAGE1_ACI" --net=none --image="$ACI" --app=fds --exec=/bin/ls -- /proc/self/fd 9</dev/null
    assert_status 0
    printf '%s\n' "$output" >"$T/run.out"
    assert_eq "$(console_fds "$T/run.out" fds)" "0 1 2 3 " "fds of an app of an immutable pod"
    run s0 gc --grace-period=0

    start_pod app-sandbox --net=none
    run s0 app-add "$UUID" "$ACI" --name=fds --exec=/bin/ls -- /proc/self/fd
    assert_status 0
    run s0 app-start "$UUID" --app=fds
    assert_status 0
    wait_until 10 app_status_has fds "state=exited" || fail "the app fds did not exit"
    wait_until 5 grep_file "$POD_OUT" 'fds\[[0-9]*\]: 3$' || fail "the app's output did not reach the sandbox console:" "$(cat "$POD_OUT")"
    assert_eq "$(console_fds "$POD_OUT" fds)" "0 1 2 3 " "fds of an app added to a sandbox"
    run s0 stop "$UUID"
    assert_status 0
}

# --------------------------------------------------------------------- gc

@test "TestGCCgroup: the pod's cgroups stay after exit, gc removes them and the pod; gc twice is harmless" {
    local mode
    for mode in overlay no-overlay; do
        local flags=(--stage1="$STAGE1_ACI" --net=none)
        [ "$mode" = overlay ] || flags+=(--no-overlay)
        run s0 run "${flags[@]}" --image="$ACI" --app=a --exec=/probe -- exit 0
        assert_status 0
        the_pod
        [ -n "$(pod_cgroups "$UUID")" ] || fail "no cgroup with ${UUID:0:8} under /sys/fs/cgroup after the pod exited"
        run --separate-stderr s0 gc --grace-period=0
        assert_status 0
        assert_output_is "Garbage collecting pod \"$UUID\""
        assert_eq "$stderr" "gc: moving pod \"$UUID\" to garbage" "gc's stderr"
        assert_eq "$(pod_cgroups "$UUID")" "" "cgroups left after gc"
        assert_eq "$(find "$D/pods" -mindepth 2 -maxdepth 2 -name "$UUID")" "" "pod directory after gc"
        assert_eq "$(mounts_under "$D/pods")" "" "mounts under pods/ after gc"
        run --separate-stderr s0 gc --grace-period=0
        assert_status 0
        assert_output_is ""
        assert_eq "$stderr" "" "second gc's stderr"
    done
}

@test "TestGCAfterUnmount: gc prints no error when the pod's mounts were removed behind its back" {
    run s0 run --stage1="$STAGE1_ACI" --net=none --image="$ACI" --app=a --exec=/probe -- exit 0
    assert_status 0
    the_pod
    umount "$POD/stage1/rootfs/opt/stage2/a/rootfs"
    umount "$POD/stage1/rootfs"
    run s0 --debug gc --grace-period=0
    assert_status 0
    if printf '%s\n' "$output" | grep -iE 'error|problem|fail|unable|warning|skipping'; then
        _dump_run
        fail "gc printed an error"
    fi
    assert_output_contains "Garbage collecting pod \"$UUID\""
    assert_eq "$(pod_cgroups "$UUID")" "" "cgroups left after gc"
    assert_eq "$(find "$D/pods" -mindepth 2 -maxdepth 2 -name "$UUID")" "" "pod directory after gc"
}

@test "TestRmCgroup: rm of an exited pod removes it and its cgroups; rm of a running pod is refused" {
    run s0 run --stage1="$STAGE1_ACI" --net=none --image="$ACI" --app=a --exec=/probe -- exit 0
    assert_status 0
    the_pod
    local exited=$UUID
    [ -n "$(pod_cgroups "$exited")" ] || fail "no cgroup with ${exited:0:8} after the pod exited"
    start_pod run --net=none --image="$ACI" --app=a --exec=/probe -- sleep 30
    run --separate-stderr s0 rm "$UUID"
    assert_status 254
    assert_eq "$stderr" "rm: pod \"$UUID\" is currently running"$'\n'"rm: failed to remove one or more pods" "rm's stderr"
    [ -d "$POD" ] || fail "rm removed a running pod"
    run s0 rm "$exited"
    assert_status 0
    assert_output_is "\"$exited\""
    assert_eq "$(pod_cgroups "$exited")" "" "cgroups left after rm"
    assert_eq "$(find "$D/pods" -mindepth 2 -maxdepth 2 -name "$exited")" "" "pod directory after rm"
    run s0 stop "$UUID"
    assert_status 0
}

# ---------------------------------------------------------- mutable pods

@test "TestAppSandboxAddStartRemove: app add/start prints on the sandbox console; app rm leaves nothing" {
    local mode
    for mode in overlay no-overlay; do
        local flags=(--net=none)
        [ "$mode" = overlay ] || flags+=(--no-overlay)
        start_pod app-sandbox "${flags[@]}"
        run s0 status "$UUID"
        assert_line "state=running"
        grep -q '"name":"coreos.com/rkt/stage1/mutable","value":"true"' "$POD/pod" || fail "not a mutable pod: $(cat "$POD/pod")"

        run s0 app-add "$UUID" "$ACI" --name=hello-app --exec=/probe -- print HelloFromAppInSandbox
        assert_status 0
        assert_output_is ""
        [ "$(tail -c1 "$POD/pod" | od -An -c | tr -d ' ')" = '\n' ] || fail "the rewritten pod manifest has no trailing newline"
        grep -q '"name":"hello-app"' "$POD/pod" || fail "hello-app is not in the pod manifest"
        [ -f "$POD/stage1/rootfs/rkt/status/hello-app-created" ] || fail "no hello-app-created"
        # rkt's defaults (a Go map: any order), the app's env, AC_APP_NAME
        assert_eq "$(sort "$POD/stage1/rootfs/rkt/env/hello-app")" \
            "$(printf 'AC_APP_NAME=hello-app\nHOME=/root\nLOGNAME=root\nPATH=%s\nSHELL=/bin/sh\nUSER=root' "$DEFAULT_PATH")" "env file"
        if [ "$mode" = overlay ]; then
            mounts_under "$POD" | grep -qx "$POD/stage1/rootfs/opt/stage2/hello-app/rootfs" ||
                fail "the app's overlay is not mounted in the host namespace"
        fi
        run s0 app-list "$UUID"
        assert_status 0
        assert_output_is $'NAME\t\tSTATE\nhello-app\tcreated'

        run s0 app-start "$UUID" --app=hello-app
        assert_status 0
        wait_until 10 grep_file "$POD_OUT" HelloFromAppInSandbox ||
            fail "HelloFromAppInSandbox did not appear on the sandbox's console:" "$(cat "$POD_OUT")" "$(cat "$POD_ERR")"
        wait_until 10 app_status_has hello-app "state=exited" || fail "hello-app did not reach state=exited"
        run s0 app-status "$UUID" --app=hello-app
        assert_line "exit_code=0"
        assert_eq "$(cat "$(status_dir)/hello-app")" 0 "status file"

        run s0 app-rm "$UUID" --app=hello-app
        assert_status 0
        run s0 app-list --no-legend "$UUID"
        assert_status 0
        assert_output_is ""
        [ ! -e "$POD/stage1/rootfs/opt/stage2/hello-app" ] || fail "opt/stage2/hello-app left"
        [ ! -e "$POD/appsinfo/hello-app" ] || fail "appsinfo/hello-app left"
        [ ! -e "$(status_dir)/hello-app" ] || fail "status file left"
        [ ! -e "$POD/stage1/rootfs/rkt/env/hello-app" ] || fail "env file left"
        if grep -q '"name":"hello-app"' "$POD/pod"; then fail "hello-app is still in the pod manifest"; fi
        assert_eq "$(mounts_under "$POD" | grep -c /opt/stage2/)" 0 "app mounts left in the host namespace"

        run s0 stop "$UUID"
        assert_status 0
        wait_bg "$POD_PID" 15
        assert_eq "$BG_RC" 0 "the sandbox's exit status"
        run s0 gc --grace-period=0
    done
}

@test "TestAppSandboxMultipleApps: exit 0, exit 12 and a sleeper: exited/exited/running, codes 0/12, the pod stays up" {
    start_pod app-sandbox --net=none
    run s0 app-add "$UUID" "$ACI" --name=winner --exec=/probe -- print SUCCESS
    assert_status 0
    run s0 app-add "$UUID" "$ACI" --name=loser --exec=/bin/sh -- -c 'echo FAILED; exit 12'
    assert_status 0
    run s0 app-add "$UUID" "$ACI" --name=sleeper --exec=/bin/sh -- -c 'echo SLEEP; exec /probe sleep 120'
    assert_status 0
    local a m
    for a in winner loser sleeper; do
        run s0 app-start "$UUID" --app="$a"
        assert_status 0
    done
    for m in SUCCESS FAILED SLEEP; do
        wait_until 10 grep_file "$POD_OUT" "$m" || fail "$m did not appear on the sandbox console:" "$(cat "$POD_OUT")"
    done
    wait_until 10 app_state winner exited || fail "winner is not exited"
    wait_until 10 app_state loser exited || fail "loser is not exited"
    app_state sleeper running || fail "sleeper is not running: $(s0 app-list "$UUID")"
    run s0 app-status "$UUID" --app=winner
    assert_line "state=exited"
    assert_line "exit_code=0"
    run s0 app-status "$UUID" --app=loser
    assert_line "state=exited"
    assert_line "exit_code=12"
    run s0 app-status "$UUID" --app=sleeper
    assert_line "state=running"
    refute_output_contains "exit_code="
    run s0 status "$UUID"
    assert_line "state=running"
    for a in winner loser sleeper; do
        run s0 app-rm "$UUID" --app="$a"
        assert_status 0
    done
    run s0 app-list --no-legend "$UUID"
    assert_output_is ""
    run s0 stop "$UUID"
    assert_status 0
    wait_bg "$POD_PID" 15
    assert_eq "$BG_RC" 0 "the sandbox's exit status"
}

@test "TestAppSandboxRestart: stop one app, the other keeps running, start it again; app stop errors" {
    start_pod app-sandbox --net=none
    local a
    for a in app1 app2; do
        run s0 app-add "$UUID" "$ACI" --name="$a" --exec=/probe -- sleep 120
        assert_status 0
        run s0 app-start "$UUID" --app="$a"
        assert_status 0
    done
    wait_until 10 app_state app1 running || fail "app1 not running"
    app_state app2 running || fail "app2 not running"
    app_status_has app1 "state=running" || fail "app1: app-status is not running"

    run s0 app-stop "$UUID" --app=app1
    assert_status 0
    wait_until 10 app_status_has app1 "state=exited" || fail "app1 did not exit after app stop"
    [ -f "$(status_dir)/app1" ] || fail "no status file for app1 after app stop"
    app_state app2 running || fail "app2 stopped with app1"
    # stopping an app that already exited succeeds (rkt's app rm relies on it)
    run s0 app-stop "$UUID" --app=app1
    assert_status 0

    run s0 app-start "$UUID" --app=app1
    assert_status 0
    wait_until 10 app_state app1 running || fail "app1 did not run again"
    app_status_has app1 "state=running" || fail "app1: app-status is not running after restart"
    [ ! -e "$(status_dir)/app1" ] || fail "app1's status file exists while it runs"
    app_state app2 running || fail "app2 is not running"

    # an unknown app: stage0 refuses; the entrypoint itself exits 5
    run s0 app-stop "$UUID" --app=nosuch
    assert_status 254
    assert_output_is 'stop: error stopping app: error: nonexistent app "nosuch"'
    local ep
    ep=$POD/stage1/rootfs$("$PYTHON" -c 'import json,sys; print([a["value"] for a in json.load(open(sys.argv[1]))["annotations"] if a["name"] == "coreos.com/rkt/stage1/app/stop"][0])' "$POD/stage1/manifest")
    run env -i RKT_STAGE1_ENTERCMD="$POD/stage1/rootfs/enter" RKT_STAGE1_ENTERPID="$(head -n1 "$POD/pid")" PATH="$PATH" \
        sh -c 'cd "$1" && exec timeout 20 "$2" --debug=false --app=nosuch </dev/null' sh "$POD" "$ep"
    assert_status 5

    run s0 stop "$UUID"
    assert_status 0
    wait_bg "$POD_PID" 15
    assert_eq "$BG_RC" 0 "the sandbox's exit status"
}

# ----------------------------------------------------------------- attach

@test "TestAttachSmoke (immutable pod): tty and stream apps, list then auto-attach" {
    local mode expect
    for mode in tty stream; do
        start_pod run --net=none --image="$ACI" --app=test-attach \
            --stdin="$mode" --stdout="$mode" --stderr="$mode" --exec=/bin/sh -- -c "$ATTACH_SH"
        wait_attachable test-attach
        run s0 attach --mode=list "$UUID"
        assert_status 0
        local want=stdin,stdout,stderr
        [ "$mode" != tty ] || want='tty'
        assert_eq "$(printf '%s' "$output" | "$PYTHON" -c 'import json,sys; print(",".join(t["name"] for t in json.load(sys.stdin)["targets"]))')" \
            "$want" "attach --mode=list targets"
        assert_output_contains $'{\n    "version": 1,\n    "targets": ['
        if [ "$mode" = tty ]; then expect="stdin is a terminal"; else expect="stdin is not a terminal"; fi
        attach_expect "$expect" some_input "$UUID"
        grep -q "Received text: some_input" "$ATT_OUT" || fail "no 'Received text: some_input':" "$(cat "$ATT_OUT")"
        if [ "$mode" = tty ]; then
            if grep -q "not a terminal" "$ATT_OUT"; then fail "a tty app saw no terminal"; fi
        fi
        assert_eq "$ATT_RC" 0 "attach's exit status once the app ended"
        run s0 stop "$UUID"
        assert_status 0
        wait_bg "$POD_PID" 15
        assert_eq "$BG_RC" 0 "run's exit status"
        run s0 gc --grace-period=0
    done
}

@test "TestAttachSmoke (sandbox): tty and stream apps added later, list then auto-attach" {
    start_pod app-sandbox --net=none
    local mode expect
    for mode in tty stream; do
        run s0 app-add "$UUID" "$ACI" --name="attach-$mode" --stdin="$mode" --stdout="$mode" --stderr="$mode" \
            --exec=/bin/sh -- -c "$ATTACH_SH"
        assert_status 0
        run s0 app-start "$UUID" --app="attach-$mode"
        assert_status 0
        wait_attachable "attach-$mode"
        if [ "$mode" = tty ]; then expect="stdin is a terminal"; else expect="stdin is not a terminal"; fi
        attach_expect "$expect" some_input --app="attach-$mode" "$UUID"
        grep -q "Received text: some_input" "$ATT_OUT" || fail "no 'Received text: some_input':" "$(cat "$ATT_OUT")"
        if [ "$mode" = tty ]; then
            if grep -q "not a terminal" "$ATT_OUT"; then fail "a tty app saw no terminal"; fi
        fi
        assert_eq "$ATT_RC" 0 "attach's exit status once the app ended"
        wait_until 10 app_status_has "attach-$mode" "exit_code=0" || fail "attach-$mode did not exit 0"
    done
    run s0 stop "$UUID"
    assert_status 0
    wait_bg "$POD_PID" 15
    assert_eq "$BG_RC" 0 "the sandbox's exit status"
}

@test "TestAttachStartStop: a stream app in a sandbox: attach, stop, start again, attach again" {
    start_pod app-sandbox --net=none
    run s0 app-add "$UUID" "$ACI" --name=attach-start-stop --stdin=stream --stdout=stream --stderr=stream \
        --exec=/bin/sh -- -c 'read l; echo "Received text: $l"; exec /probe sleep 30'
    assert_status 0
    local round
    for round in 1 2; do
        run s0 app-start "$UUID" --app=attach-start-stop
        assert_status 0
        wait_until 10 app_status_has attach-start-stop "state=running" || fail "round $round: not running"
        wait_attachable attach-start-stop
        attach_expect "Received text: some_input_$round" "some_input_$round" --keep "$UUID"
        run s0 app-stop "$UUID" --app=attach-start-stop
        assert_status 0
        wait_until 10 app_status_has attach-start-stop "state=exited" || fail "round $round: not exited after app stop"
    done
    run s0 stop "$UUID"
    assert_status 0
    wait_bg "$POD_PID" 15
    assert_eq "$BG_RC" 0 "the sandbox's exit status"
}

@test "attach: an app without attachable streams fails; stage0 rejects bad modes" {
    start_pod run --net=none --image="$ACI" --app=plain --exec=/probe -- sleep 30
    run s0 attach --mode=list "$UUID"
    assert_status 254
    assert_output_contains "attach: attach failed: error executing stage1 entrypoint: exit status"
    run s0 attach "$UUID" </dev/null
    assert_status 254
    run s0 attach --mode=tty,stdin "$UUID"
    assert_status 254
    assert_output_is 'attach: invalid attach mode: incompatible endpoints "tty,stdin", cannot simultaneously attach TTY and streams'
    run s0 attach --mode=bogus "$UUID"
    assert_status 254
    assert_output_is 'attach: invalid attach mode: unknown endpoint "bogus"'
    run s0 stop "$UUID"
    assert_status 0
}

# ----------------------------------------------------------------- errors

@test "errors: every entrypoint exits 2 on an unknown flag" {
    run s0 fetch "$STAGE1_ACI"
    assert_status 0
    local root=$D/cas/tree/$output/rootfs names ann ep
    names=$("$PYTHON" -c 'import json,sys
for a in json.load(open(sys.argv[1]))["annotations"]:
    if a["name"].startswith("coreos.com/rkt/stage1/") and not a["name"].endswith("interface-version"):
        print(a["name"] + " " + a["value"])' "$D/cas/tree/$output/manifest")
    assert_eq "$(printf '%s\n' "$names" | wc -l)" 9 "entrypoint annotations"
    while read -r ann ep; do
        run env -i PATH="$PATH" sh -c 'cd "$1" && exec timeout 20 "$2" --bogus-flag </dev/null' sh "$T" "$root$ep"
        [ "$status" -eq 2 ] || { _dump_run; fail "$ann ($ep): exit status $status on an unknown flag, expected 2"; }
    done <<<"$names"
}

@test "errors: a missing exec fails the app (203); an unknown user, --ipc=bogus and an unknown --net exit 254" {
    run s0 run --stage1="$STAGE1_ACI" --net=none --image="$ACI" --app=a --exec=/nosuch
    assert_status 203
    assert_output_contains "/nosuch"
    assert_output_contains "No such file or directory"
    the_pod
    run s0 status "$UUID"
    assert_line "app-a=203"
    run s0 gc --grace-period=0

    run s0 run --stage1="$STAGE1_ACI" --net=none --image="$ACI" --app=a --user=nosuchuser --exec=/probe -- exit 0
    assert_status 254
    assert_output_contains '"nosuchuser" user not found'
    run s0 run --stage1="$STAGE1_ACI" --net=none --image="$ACI" --app=a --group=nosuchgroup --exec=/probe -- exit 0
    assert_status 254
    assert_output_contains '"nosuchgroup" group not found'
    run s0 run --stage1="$STAGE1_ACI" --net=none --ipc=bogus --image="$ACI" --app=a --exec=/probe -- exit 0
    assert_status 254
    # TestRktEnsureErrors: an unknown network.
    run s0 run --stage1="$STAGE1_ACI" --net=nosuchnet --image="$ACI" --app=a --exec=/probe -- exit 0
    assert_status 254
    assert_output_contains "stage1: failed to setup network"
    assert_output_contains 'network "nosuchnet" is not configured'
    run s0 gc --grace-period=0
    assert_status 0
}

@test "TestNetDefault, TestNetDefaultPortFwd: the default network (rkt's --net default), status networks=, a forwarded port; stop and gc leave no rule" {
    local ip
    start_pod run --port=http:tcp:8080:127.0.0.1:18181 --image="$ACI" --app=web --exec=/bin/httpd -- -f -p 8080 -h /etc
    run s0 status "$UUID"
    assert_status 0
    [[ $output =~ networks=default:ip4=(172\.16\.28\.[0-9]+) ]] || { _dump_run; fail "no default network in rkt status"; }
    ip=${BASH_REMATCH[1]}
    assert_eq "$(jget 0.netName <"$POD/net-info.json")" default "net-info.json netName"
    run curl -sS --max-time 5 "http://$ip:8080/passwd"
    assert_status 0
    assert_output_contains "root:"
    run curl -sS --max-time 5 "http://127.0.0.1:18181/passwd"
    assert_status 0
    assert_output_contains "root:"
    # ptp's masquerade and portmap's forwarding rules name the pod (its UUID is the CNI container id).
    [ "$(iptables-save -t nat | grep -c -- "$UUID")" -ge 2 ] || fail "no nat rule names the pod while it runs"
    run s0 stop "$UUID"
    assert_status 0
    wait_until 15 bg_done "$POD_PID" || fail "the pod did not stop"
    # The launcher tore the network down when the pod exited; gc finds nothing left to do.
    [ ! -e "$POD/netns" ] || fail "$POD/netns is still there after the pod exited"
    run s0 gc --grace-period=0
    assert_status 0
    assert_eq "$(iptables-save | grep -c -- "$UUID")" 0 "rules naming the pod after stop and gc"
    [ ! -e "/var/lib/cni/networks/default/$ip" ] || fail "the lease of $ip is still there"
}

# ------------------------------------------------- hostname, hosts, resolv

@test "TestHostname, TestPrepareAppCheckEtcHostname, TestEtcHosts: rkt-<uuid> by default, /etc/hostname, the fallback hosts file" {
    local show='cat /etc/hostname; echo; stat -c %A /etc/hostname; hostname; grep "^127.0.0.1" /etc/hosts'
    run s0 run --stage1="$STAGE1_ACI" --net=none --image="$ACI" --app=a --exec=/bin/sh -- -c "$show"
    assert_status 0
    the_pod
    assert_output_contains "rkt-$UUID"
    assert_output_contains "-rw-r--r--"
    assert_output_contains "127.0.0.1 localhost localhost.domain localhost4 localhost4.localdomain4 rkt-$UUID"
    run s0 gc --grace-period=0

    run s0 run --stage1="$STAGE1_ACI" --net=none --hostname=myhost --image="$ACI" --app=a --exec=/bin/sh -- \
        -c "$show; echo x >>/etc/hosts || echo read-only"
    assert_status 0
    assert_output_contains "]: myhost"
    assert_output_contains "localhost4.localdomain4 myhost"
    assert_output_contains "read-only"
    refute_output_contains "rkt-"
}

@test "--hosts-entry (hosts=stage0) and --dns (resolv=stage0) are forced onto the app; hosts=host and resolv=host copy the host's files" {
    [ -f /etc/resolv.conf ] && [ -f /etc/hosts ] ||
        fail "this test needs the host's /etc/resolv.conf and /etc/hosts"
    run s0 run --stage1="$STAGE1_ACI" --net=none --hostname=h1 --hosts-entry=10.0.0.1=foo --dns=8.8.8.8 \
        --image="$ACI" --app=a --exec=/bin/sh -- -c 'cat /etc/hosts /etc/resolv.conf'
    assert_status 0
    assert_output_contains "10.0.0.1 foo"
    assert_output_contains " h1"
    assert_output_contains "nameserver 8.8.8.8"
    run s0 gc --grace-period=0

    run s0 run --stage1="$STAGE1_ACI" --net=none --dns-conf-mode=resolv=host,hosts=host \
        --image="$ACI" --app=a --exec=/bin/sh -- -c 'md5sum /etc/hosts /etc/resolv.conf'
    assert_status 0
    assert_output_contains "$(md5sum </etc/hosts | cut -d' ' -f1)  /etc/hosts"
    assert_output_contains "$(md5sum </etc/resolv.conf | cut -d' ' -f1)  /etc/resolv.conf"
}

@test "TestIpc: a private IPC namespace by default and with auto/private, the host's with parent" {
    local host mode
    host=$(readlink /proc/self/ns/ipc)
    for mode in "" auto private parent; do
        run s0 run --stage1="$STAGE1_ACI" --net=none ${mode:+--ipc=$mode} --image="$ACI" --app=a \
            --exec=/bin/sh -- -c 'echo "ns=$(readlink /proc/self/ns/ipc)"'
        assert_status 0
        if [ "$mode" = parent ]; then
            assert_output_contains "ns=$host"
        else
            assert_output_contains "ns=ipc:"
            refute_output_contains "ns=$host"
        fi
        run s0 gc --grace-period=0
    done
}

# ------------------------------------------------------------- readiness

@test "an sd_notify image gates the pod's readiness on READY=1; readiness reaches rkt's NOTIFY_SOCKET" {
    cp -a "$IMG" "$T/nimg"
    "$PYTHON" - "$T/nimg/manifest" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m.setdefault("annotations", []).append({"name": "appc.io/executor/supports-systemd-notify", "value": "true"})
json.dump(m, open(sys.argv[1], "w"))
PY
    bash "$PODINIT_SRC/tests/lib/mkaci.sh" "$T/nimg" "$T/nimg.aci"
    # A service manager's notification socket, recording what it receives.
    "$PYTHON" - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(25)
with open(sys.argv[2], "a") as log:
    try:
        while True:
            msg = s.recv(4096).decode()
            log.write("%d %s\n" % (time.monotonic_ns() // 1000000, msg.replace("\n", " ")))
            log.flush()
    except socket.timeout:
        pass
PY
    BG_PIDS+=($!)
    wait_until 5 test -S "$T/notify.sock" || fail "the notification socket did not appear"
    touch "$T/go"
    NOTIFY_SOCKET=$T/notify.sock s0_bg pod run --stage1="$STAGE1_ACI" --uuid-file-save="$T/uuid" --net=none \
        --image="$T/nimg.aci" --app=svc --exec=/bin/sh -- -c 'while [ ! -e /go ]; do sleep 0.05; done; /probe notify READY=1; sleep 30'
    local run_pid=$BGP
    wait_until 10 test -s "$T/uuid" || fail "no pod"
    UUID=$(cat "$T/uuid") POD=$D/pods/run/$UUID
    wait_until 10 test -e "$POD/pid" || fail "the pod did not start"
    sleep 0.5
    [ ! -L "$POD/stage1/rootfs/rkt/supervisor-status" ] || fail "the pod is ready before the app said READY=1"
    [ ! -s "$T/notify.log" ] || fail "READY=1 was sent before the app was ready: $(cat "$T/notify.log")"
    touch "$POD/stage1/rootfs/opt/stage2/svc/rootfs/go"
    run s0 status --wait-ready=10s "$UUID"
    assert_status 0
    wait_until 5 grep_file "$T/notify.log" "READY=1" || fail "no READY=1 on NOTIFY_SOCKET: $(cat "$T/notify.log")"
    run s0 stop "$UUID"
    assert_status 0
    wait_bg "$run_pid" 15 || fail "the pod did not stop"
    wait_until 5 grep_file "$T/notify.log" "STOPPING=1" || fail "no STOPPING=1: $(cat "$T/notify.log")"
}

# ---------------------------------------------------------- event handlers

# handler_image NAME PRE-START-SCRIPT: an image whose app (uid 1000) has a pre-start handler.
handler_image() {
    cp -a "$IMG" "$T/$1"
    "$PYTHON" - "$T/$1/manifest" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["app"] = {"exec": ["/bin/sh", "-c", "echo main uid=$(id -u); cat /tmp/pre"], "user": "1000", "group": "1000",
            "eventHandlers": [{"name": "pre-start", "exec": ["/bin/sh", "-c", sys.argv[2]]}]}
json.dump(m, open(sys.argv[1], "w"))
PY
    bash "$PODINIT_SRC/tests/lib/mkaci.sh" "$T/$1" "$T/$1.aci"
}

@test "TestPreStart: the pre-start handler runs before the app, as root, in its root; a failing one fails the app" {
    handler_image ok 'echo "pre uid=$(id -u)" >/tmp/pre; chmod 644 /tmp/pre; echo pre-start ran'
    run s0 run --stage1="$STAGE1_ACI" --net=none --image="$T/ok.aci" --app=hello
    assert_status 0
    assert_output_contains "hello["
    assert_output_contains "pre-start ran"
    assert_output_contains "main uid=1000"
    assert_output_contains "pre uid=0"
    run s0 gc --grace-period=0

    handler_image bad 'echo failing; exit 3'
    run s0 run --stage1="$STAGE1_ACI" --net=none --image="$T/bad.aci" --app=hello
    assert_status 3
    assert_output_contains "failing"
    assert_output_contains "pre-start handler failed"
    refute_output_contains "main uid="
    the_pod
    run s0 status "$UUID"
    assert_line "app-hello=3"
}

# ------------------------------------------------------- what apps see

@test "TestCaps (PID 1), TestNonRootReadInfo: PID 1's bounding set, a uid-1000 app's output, in both modes" {
    local mode
    for mode in overlay no-overlay; do
        local flags=(--stage1="$STAGE1_ACI" --net=none)
        [ "$mode" = overlay ] || flags+=(--no-overlay)
        run s0 run "${flags[@]}" --image="$ACI" --app=a --exec=/bin/sh -- -c 'grep CapBnd /proc/1/status' --- \
            --image="$ACI" --app=nonroot --user=1000 --group=1000 --exec=/bin/sh -- -c 'echo "nonroot says hello as $(id -u)"'
        assert_status 0
        # nspawn's default set plus the apps' (rkt's TestCaps): SYS_ADMIN (21) is in, NET_ADMIN (12) is not.
        local bnd
        bnd=$(printf '%s\n' "$output" | sed -n 's/.*CapBnd:[[:space:]]*\([0-9a-f]*\).*/\1/p')
        [ -n "$bnd" ] || fail "no CapBnd line in: $output"
        (( (16#$bnd >> 21) & 1 )) || fail "PID 1's bounding set $bnd lacks CAP_SYS_ADMIN"
        (( ((16#$bnd >> 12) & 1) == 0 )) || fail "PID 1's bounding set $bnd has CAP_NET_ADMIN, which no app asked for"
        assert_output_contains "nonroot says hello as 1000"
        run s0 gc --grace-period=0
    done
}
