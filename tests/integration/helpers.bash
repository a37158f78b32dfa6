# helpers.bash -- shared set-up, assertions and pod helpers for podinit's
# integration tests.  Every .bats file starts with `load helpers`.
#
# Environment (set by run.sh, or defaulted here for a direct `bats FILE`):
#   PODINIT_SRC      source tree (default: two levels above this file)
#   PODINIT_BIN_DIR  build tree holding podctl and podinit (default: $PODINIT_SRC/build)
#   PROBE            the static test probe (default: $PODINIT_BIN_DIR/tests/probe)
#   PODINIT_TEST_IMG / PODINIT_TEST_ACI
#                    a prebuilt image directory and gzip .aci (run.sh builds them
#                    once per run); when unset, setup_file builds them per file.

HELPERS_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
: "${PODINIT_SRC:=$(cd -- "$HELPERS_DIR/../.." && pwd)}"
: "${PODINIT_BIN_DIR:=$PODINIT_SRC/build}"
: "${PROBE:=$PODINIT_BIN_DIR/tests/probe}"
PODCTL=$PODINIT_BIN_DIR/podctl
# The system interpreter when there is one (version-manager shims are slow).
if [ -z "${PYTHON-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
CTL_PY=$HELPERS_DIR/ctl.py
export PODINIT_SRC PODINIT_BIN_DIR PROBE PODCTL PYTHON

# bats sets status, output and lines.
# shellcheck disable=SC2154

# ------------------------------------------------------------- assertions

fail() {
    printf '%s\n' "$@" >&2
    return 1
}

# Show what `run` captured; used by every assertion on failure.
_dump_run() {
    printf -- '--- status: %s\n--- output:\n%s\n---\n' "${status-}" "${output-}" >&2
}

assert_status() {
    [ "${status-}" = "$1" ] && return 0
    _dump_run
    fail "expected exit status $1, got ${status-}"
}

assert_failure() {
    [ "${status-0}" -ne 0 ] && return 0
    _dump_run
    fail "expected a non-zero exit status"
}

assert_output_contains() {
    [[ ${output-} == *"$1"* ]] && return 0
    _dump_run
    fail "expected the output to contain: $1"
}

refute_output_contains() {
    [[ ${output-} != *"$1"* ]] && return 0
    _dump_run
    fail "expected the output NOT to contain: $1"
}

# assert_line TEXT: one line of the output is exactly TEXT.
assert_line() {
    local l
    for l in "${lines[@]}"; do
        [ "$l" = "$1" ] && return 0
    done
    _dump_run
    fail "expected a line exactly: $1"
}

assert_output_is() {
    [ "${output-}" = "$1" ] && return 0
    _dump_run
    fail "expected the output to be exactly:" "$1"
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
    [ "$1" = "$2" ] && return 0
    fail "${3:-value}: expected [$2], got [$1]"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
    [[ $1 == *"$2"* ]] && return 0
    fail "${3:-text}: expected to contain [$2], got:" "$1"
}

# assert_lt A B [WHAT]: integers, A < B
assert_lt() {
    [ "$1" -lt "$2" ] && return 0
    fail "${3:-value}: expected < $2, got $1"
}

assert_ge() {
    [ "$1" -ge "$2" ] && return 0
    fail "${3:-value}: expected >= $2, got $1"
}

now_ms() { date +%s%3N; }

# wait_until SECONDS CMD...: poll CMD every 50 ms; false on timeout.
wait_until() {
    local deadline=$(( $(now_ms) + ${1%.*} * 1000 ))
    shift
    until "$@"; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

# ------------------------------------------------------------------ JSON

# jget PATH: read JSON on stdin, print the value at PATH (dot-separated keys
# and list indexes, e.g. apps.0.signal; "" for the whole document).  Strings
# are printed raw, booleans as true/false, null as null, containers as JSON.
# A missing key prints nothing and returns 3.
jget() {
    "$PYTHON" -c '
import json, sys
doc = json.load(sys.stdin)
cur = doc
for part in [p for p in sys.argv[1].split(".") if p]:
    try:
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    except (KeyError, IndexError, ValueError, TypeError):
        sys.exit(3)
if isinstance(cur, bool):
    print("true" if cur else "false")
elif cur is None:
    print("null")
elif isinstance(cur, str):
    print(cur)
elif isinstance(cur, (dict, list)):
    print(json.dumps(cur, sort_keys=True))
else:
    print(cur)
' "$1"
}

# ------------------------------------------------------------------ images

# build_images: make sure IMG (unpacked dir) and ACI (gzip archive) exist.
# Call from setup_file.  The images are templates: tests never modify them.
build_images() {
    [ -x "$PODCTL" ] || fail "podctl not found at $PODCTL (set PODINIT_BIN_DIR)" || return 1
    [ -f "$PROBE" ] || fail "probe not found at $PROBE (set PROBE)" || return 1
    if [ -n "${PODINIT_TEST_IMG-}" ] && [ -f "$PODINIT_TEST_IMG/manifest" ] &&
        [ -n "${PODINIT_TEST_ACI-}" ] && [ -f "$PODINIT_TEST_ACI" ]; then
        IMG=$PODINIT_TEST_IMG
        ACI=$PODINIT_TEST_ACI
    else
        IMG=$BATS_FILE_TMPDIR/img
        ACI=$BATS_FILE_TMPDIR/img.aci
        bash "$PODINIT_SRC/tests/lib/mkrootfs.sh" "$IMG" --probe "$PROBE" 2>/dev/null ||
            fail "mkrootfs.sh failed" || return 1
        bash "$PODINIT_SRC/tests/lib/mkaci.sh" "$IMG" "$ACI" --gzip ||
            fail "mkaci.sh failed" || return 1
        PODINIT_TEST_IMG=$IMG
        PODINIT_TEST_ACI=$ACI
    fi
    export IMG ACI PODINIT_TEST_IMG PODINIT_TEST_ACI
}

# ------------------------------------------------------------ per-test pod

# Called from each file's setup(): a fresh state dir per test.
pod_setup() {
    D=$BATS_TEST_TMPDIR/state
    BG_PIDS=()
    export D
}

# podctl with this test's state dir.  A pod a test starts without --net is
# on --net=none, not on podctl's default CNI network: only net.bats is about
# networking, and a CNI setup would cost every other pod ~0.2 s.
pc() {
    if [ "${1-}" = run ] && ! _has_net_flag "${@:2}"; then
        "$PODCTL" --dir="$D" run --net=none "${@:2}"
    elif [ "${1-}" = app ] && [ "${2-}" = sandbox ] && ! _has_net_flag "${@:3}"; then
        "$PODCTL" --dir="$D" app sandbox --net=none "${@:3}"
    else
        "$PODCTL" --dir="$D" "$@"
    fi
}
_has_net_flag() {
    local a
    for a in "$@"; do
        case $a in --net=*|--net|--netns=*) return 0 ;; --) return 1 ;; esac
    done
    return 1
}

# UUIDs of every pod in $D that is running, one per line.
running_pods() {
    pc list --json 2>/dev/null | "$PYTHON" -c '
import json, sys
try:
    pods = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for p in pods:
    if p.get("state") in ("running", "starting", "stopping", "preparing"):
        print(p["uuid"])
'
}

# Called from each file's teardown(): nothing of this test may outlive it.
pod_teardown() {
    local u pid p
    [ -n "${D-}" ] || return 0
    if [ -d "$D/pods" ]; then
        for u in $(running_pods); do
            timeout 10 "$PODCTL" --dir="$D" stop --force "$u" >/dev/null 2>&1 || true
        done
        # Belt and braces: kill any PID 1 still holding its pod's lock.
        for p in "$D"/pods/run/*/pid; do
            [ -f "$p" ] || continue
            pid=$(cat "$p" 2>/dev/null) || continue
            if [ -n "$pid" ] && [ -d "/proc/$pid" ] && pod_lock_held "$(dirname "$p")"; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        done
    fi
    for pid in "${BG_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    BG_PIDS=()
    # The pods' cgroups outlive them until gc (rkt's rule): remove them.
    [ -d "$D/pods" ] && timeout 20 "$PODCTL" --dir="$D" gc >/dev/null 2>&1 || true
}

# pod_lock_held DIR: true while some process holds the pod's flock.
pod_lock_held() {
    ! flock -n -s "$1" true 2>/dev/null
}

# run_detached ARGS...: `podctl run -d ARGS`; sets UUID and POD (its dir).
# Fails the test (with the captured stderr) if the pod did not start.
run_detached() {
    local errf=$BATS_TEST_TMPDIR/run-d.err rc=0
    UUID=$(pc run -d "$@" 2>"$errf") || rc=$?
    if [ "$rc" -ne 0 ] || [ -z "$UUID" ]; then
        cat "$errf" >&2
        fail "podctl run -d $* failed with status $rc"
        return 1
    fi
    POD=$D/pods/run/$UUID
    [ -d "$POD" ] || fail "pod dir $POD missing after run -d" || return 1
}

# The only pod in $D (fails if there is not exactly one).
only_pod() {
    local dirs=("$D"/pods/run/*/)
    [ ${#dirs[@]} -eq 1 ] && [ -d "${dirs[0]}" ] ||
        fail "expected exactly one pod under $D/pods/run, found: ${dirs[*]}" || return 1
    UUID=$(basename "${dirs[0]}")
    POD=$D/pods/run/$UUID
}

status_json() { pc status --json "$1"; }

# pod_field UUID PATH: one field of the pod's status document.
pod_field() {
    local js
    js=$(status_json "$1") || fail "podctl status --json $1 failed" || return 1
    printf '%s' "$js" | jget "$2"
}


app_status_file() { cat "$POD/stage1/rootfs/rkt/status/$1"; }

is_ready() { [ -L "$POD/stage1/rootfs/rkt/supervisor-status" ]; }

# No pod directory was left behind in prepare/ or run/.
assert_no_pod_dirs() {
    local left
    left=$(find "$D/pods/prepare" "$D/pods/run" "$D/pods/exited-garbage" -mindepth 1 -maxdepth 1 2>/dev/null || true)
    [ -z "$left" ] && return 0
    fail "pod directories were left behind:" "$left"
}

# Start `podctl run ARGS` (foreground) in the background; output to files.
# Sets BG_PID, BG_OUT, BG_ERR.  fd 3 is closed so bats does not wait on it.
bg_run() {
    BG_OUT=$BATS_TEST_TMPDIR/bg.out
    BG_ERR=$BATS_TEST_TMPDIR/bg.err
    "$PODCTL" --dir="$D" run --net=none "$@" >"$BG_OUT" 2>"$BG_ERR" </dev/null 3>&- &
    BG_PID=$!
    BG_PIDS+=("$BG_PID")
}

# Wait (up to 10 s) for the single pod of $D to be ready; sets UUID/POD.
wait_single_pod_ready() {
    wait_until 10 _one_ready_pod || {
        [ -n "${BG_ERR-}" ] && cat "$BG_ERR" >&2
        fail "no ready pod appeared under $D within 10 s"
        return 1
    }
    only_pod
}

_one_ready_pod() {
    local l=("$D"/pods/run/*/stage1/rootfs/rkt/supervisor-status)
    [ ${#l[@]} -eq 1 ] && [ -L "${l[0]}" ]
}

# Host pid of the pod's PID 1 (from the pid file).
pod_pid1() {
    local p
    wait_until 5 test -s "$POD/pid" || fail "no pid file in $POD" || return 1
    p=$(cat "$POD/pid")
    printf '%s\n' "${p%%[!0-9]*}"
}

# zombie_children PID: how many zombie processes have PID as parent.
zombie_children() {
    "$PYTHON" - "$1" <<'EOF'
import os, sys
parent = sys.argv[1]
n = 0
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open("/proc/%s/stat" % d) as f:
            s = f.read()
    except OSError:
        continue
    fields = s[s.rfind(")") + 2:].split()
    if len(fields) > 1 and fields[0] == "Z" and fields[1] == parent:
        n += 1
print(n)
EOF
}

# count_procs REGEX: host processes whose command line (arguments joined
# by spaces, with a trailing space) matches the extended REGEX.
count_procs() {
    local f
    for f in /proc/[0-9]*/cmdline; do
        tr '\0' ' ' <"$f" 2>/dev/null
        echo
    done | grep -cE -- "$1" || true
}

# ctl ARGS...: the control-socket client (ctl.py) against $POD.
ctl() {
    "$PYTHON" "$CTL_PY" "$POD/stage1/rootfs/rkt/podinit" "$@"
}

# ------------------------------------------------- I/O modes and attach
# (io.bats, attach.bats, interactive.bats)

ATTACH_PY=$HELPERS_DIR/attach_client.py

# attach_py ARGS...: the attach-stream client (attach_client.py) against $POD.
attach_py() {
    "$PYTHON" "$ATTACH_PY" "$POD/stage1/rootfs/rkt/podinit" "$@"
}

# app_root APP: the app's root filesystem as seen from the host.
app_root() {
    printf '%s\n' "$POD/stage1/rootfs/opt/stage2/$1/rootfs"
}

# An app command prefix that waits until the test calls release_app APP,
# so clients can attach before the app writes anything.
# shellcheck disable=SC2034
GATE='while [ ! -e /tmp/go ]; do sleep 0.05; done'
release_app() {
    touch "$(app_root "$1")/tmp/go"
}

# app_is UUID INDEX PATH VALUE: a field of app INDEX in the status document.
app_is() {
    [ "$(pod_field "$1" "apps.$2.$3" 2>/dev/null)" = "$4" ]
}

# tmux on a private server per test (never the user's).  tmux_start CMD...
# opens session "main", 100x30, running CMD; tm ARGS... talks to it.
tm() {
    env -u TMUX tmux -L "$TMUX_SOCK" "$@"
}

tmux_start() {
    TMUX_SOCK=podinit-it-$$-${BATS_TEST_NUMBER:-0}
    tm -f /dev/null new-session -d -s main -x 100 -y 30 "$@"
}

# A plain bash in the pane, prompt "$ ", no rc files, no history file.
tmux_shell() {
    tmux_start env HISTFILE=/dev/null PS1='$ ' bash --norc --noprofile
}

# The pane's text, wrapped lines joined, with its scrollback.
tmux_screen() {
    tm capture-pane -p -J -S -1000 -t main 2>/dev/null
}

# tmux_wait TEXT [SECONDS]: until the pane shows TEXT (default 10 s); on
# timeout prints the pane and fails.
tmux_wait() {
    local deadline=$(( $(now_ms) + ${2:-10} * 1000 ))
    until [[ $(tmux_screen) == *"$1"* ]]; do
        if [ "$(now_ms)" -ge "$deadline" ]; then
            printf -- '--- tmux pane:\n%s\n---\n' "$(tmux_screen)" >&2
            fail "the terminal did not show [$1] within ${2:-10} s"
            return 1
        fi
        sleep 0.05
    done
}

tmux_teardown() {
    [ -n "${TMUX_SOCK-}" ] || return 0
    tm kill-server >/dev/null 2>&1 || true
    TMUX_SOCK=
}

# write_sttycheck FILE: a script for a tmux shell that prints
# "tty-state: raw" or "tty-state: cooked" for its terminal.
write_sttycheck() {
    cat >"$1" <<'EOS'
if stty -a | grep -Eq '(^| )-(icanon|echo|isig)( |;|$)'; then echo "tty-state: raw"; else echo "tty-state: cooked"; fi
EOS
}

# The log files of the apps of $POD (docs/logging.md), as CRI records.
cat_logs() {
    cat "$POD"/stage1/rootfs/rkt/logs/*.log 2>/dev/null
}

# grep_log PATTERN: some record in $POD's app logs matches (grep -q).
grep_log() {
    cat_logs | grep -q -- "$1"
}

# bg CMD...: run CMD in the background (fd 3 closed for bats); sets BGP.
# pod_teardown kills it if the test ends first.
bg() {
    "$@" </dev/null 3>&- &
    BGP=$!
    BG_PIDS+=("$BGP")
}

# wait_ok PID WHAT [FILE]: wait for a background command; fail unless it
# exited 0, showing FILE (its output) if given.
wait_ok() {
    local rc=0
    wait "$1" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    [ -z "${3-}" ] || cat "$3" >&2
    fail "$2 exited $rc"
}
