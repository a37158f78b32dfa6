# crashpoints.sh -- crash-consistency helpers for tests/integration/crash.bats
# (issue 18).  Sourced after helpers.bash: uses pc, fail, wait_until, $D,
# $PYTHON, $BATS_TEST_TMPDIR and BG_PIDS.
#
# A crash point is "the Nth call of syscall S by a process": strace's fault
# injection (-e inject=S:signal=KILL:when=N) SIGKILLs the process when it
# enters that call.  Counters are per traced process and per syscall, and
# with -P only the calls that touch the given paths (or fds open on them)
# count, which is how PID 1 is aimed at without hitting the launcher.
# A loop over N = 1, 2, ... ends at the first N that does not fire: then
# every such step of the operation has been crashed once.

CRASH_MAX_N=${CRASH_MAX_N:-40}

# strace_fired FILE: the injection killed a traced process.
strace_fired() {
    grep -q 'killed by SIGKILL' "$1"
}

# crash_cmd SYSCALL N [STRACE-ARGS...] -- CMD...: run CMD under strace, which
# SIGKILLs the process at its Nth SYSCALL.  CRASH_RC is CMD's status;
# returns 0 if the injection fired, 1 if CMD ran to its end untouched.
crash_cmd() {
    local sc=$1 n=$2 sargs=()
    shift 2
    while [ "$#" -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift
    CRASH_OUT=$BATS_TEST_TMPDIR/strace.out
    CRASH_RC=0
    strace -q -o "$CRASH_OUT" "${sargs[@]}" -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" \
        "$@" >"$BATS_TEST_TMPDIR/crash.stdout" 2>"$BATS_TEST_TMPDIR/crash.stderr" </dev/null 3>&- || CRASH_RC=$?
    strace_fired "$CRASH_OUT"
}

_traced() {
    local t
    t=$(awk '/^TracerPid:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$t" ] && [ "$t" != 0 ]
}

# crash_attach PID SYSCALL N [STRACE-ARGS...]: attach strace to a running
# process (and the children it makes from now on), to SIGKILL it at its
# Nth SYSCALL from now.  Returns once the tracer is attached.
crash_attach() {
    local pid=$1 sc=$2 n=$3
    shift 3
    ATTACH_OUT=$BATS_TEST_TMPDIR/strace-attach.out
    ATTACH_TARGET=$pid
    strace -q -f -o "$ATTACH_OUT" "$@" -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" -p "$pid" \
        </dev/null >/dev/null 2>&1 3>&- &
    ATTACH_PID=$!
    BG_PIDS+=("$ATTACH_PID")
    wait_until 5 _traced "$pid" || fail "strace did not attach to $pid" || return 1
}

# proc_dead PID: the process is gone or a zombie
proc_dead() {
    local s
    s=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 0
    [ -z "$s" ] || [ "$s" = Z ]
}

# crash_detach: stop the attached tracer (it detaches; a process it killed
# is gone anyway); returns 0 if the injection fired.  A target that died
# was killed by it: strace prints so once it has reaped the event, which
# it must be given the time to do before it is stopped.
crash_detach() {
    if proc_dead "$ATTACH_TARGET"; then
        wait_until 5 strace_fired "$ATTACH_OUT" || true
    fi
    kill -INT "$ATTACH_PID" 2>/dev/null || true
    wait "$ATTACH_PID" 2>/dev/null || true
    strace_fired "$ATTACH_OUT"
}

# The pod's launcher (PID 1's parent on the host).
pod_launcher() {
    awk '{print $4}' "/proc/$1/stat"
}

# ------------------------------------------------------------ the checker

CRASH_PY=$(cat <<'EOF'
import errno, fcntl, json, os, subprocess, sys, time

mode, D, PODCTL_BIN = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3]
PODS = os.path.join(D, "pods")
problems = []

def esc(u):
    return u.replace("-", "\\x2d")

def pod_dirs():
    out = []
    for sd in ("prepare", "run", "exited-garbage"):
        p = os.path.join(PODS, sd)
        try:
            names = os.listdir(p)
        except FileNotFoundError:
            continue
        out += [(sd, n, os.path.join(p, n)) for n in names if len(n) == 36]
    return out

def lock_held(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError as e:
        return e.errno in (errno.EWOULDBLOCK, errno.EAGAIN)
    finally:
        os.close(fd)

def pid_of(path):
    try:
        s = open(os.path.join(path, "pid")).read()
    except FileNotFoundError:
        return None
    if not s.strip().isdigit():
        problems.append("%s/pid is not a pid: %r" % (path, s))
        return None
    return int(s)

def holds_pod_dir(pid, path):
    d = "/proc/%d/fd" % pid
    try:
        for f in os.listdir(d):
            try:
                if os.readlink(os.path.join(d, f)) == path:
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False

def check_files():
    """Every state file parses (or is absent): no half-written file."""
    for sd, uuid, path in pod_dirs():
        for root, dirs, files in os.walk(path):
            # the apps' root filesystems are theirs, not state
            if root.endswith("/opt/stage2"):
                dirs[:] = []
                continue
            for f in files:
                p = os.path.join(root, f)
                rel = os.path.relpath(p, path)
                try:
                    if f.endswith(".json") or rel in ("pod", "stage1/manifest", "runtime-config"):
                        data = open(p, "rb").read()
                        if rel == "runtime-config" and not data:
                            problems.append("%s is empty" % p)
                        else:
                            json.loads(data)
                    elif f == "events.jsonl" or f == "events.jsonl.1":
                        for i, line in enumerate(open(p, "rb").read().split(b"\n")):
                            if line:
                                json.loads(line)
                    elif "/rkt/status/" in p and ".tmp" not in f:
                        s = open(p).read()
                        if not s.strip().lstrip("-").isdigit():
                            problems.append("rkt status %s is %r" % (p, s))
                    elif rel == "subcgroup":
                        if "machine-rkt" not in open(p).read():
                            problems.append("%s is %r" % (p, open(p).read()))
                except FileNotFoundError:
                    pass
                except (ValueError, UnicodeDecodeError) as e:
                    problems.append("half-written state file %s: %s" % (p, e))
        pid_of(path)

def podctl(*args):
    r = subprocess.run([PODCTL_BIN, "--dir=" + D] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    return r.returncode, r.stdout.decode(), r.stderr.decode()

LIVE = ("running", "starting", "stopping", "preparing", "ready")

def check_truth():
    """podctl list and status say what the processes and locks say."""
    rc, out, err = podctl("list", "--json")
    if rc != 0:
        return ["podctl list --json failed (%d): %s" % (rc, err)]
    try:
        listed = {p["uuid"]: p for p in json.loads(out)}
    except ValueError as e:
        return ["podctl list --json is not JSON: %s: %r" % (e, out)]
    bad = []
    for sd, uuid, path in pod_dirs():
        held = lock_held(path)
        pid = pid_of(path)
        alive = pid is not None and os.path.exists("/proc/%d" % pid)
        holder = alive and holds_pod_dir(pid, path)
        e = listed.get(uuid)
        if e is None:
            if os.path.exists(path):
                bad.append("%s (%s) is not in podctl list" % (uuid, sd))
            continue
        st = e.get("state")
        rc, sout, serr = podctl("status", "--json", uuid)
        if rc != 0:
            if os.path.exists(path):
                bad.append("podctl status --json %s failed (%d): %s" % (uuid, rc, serr))
            continue
        try:
            s = json.loads(sout)
        except ValueError:
            bad.append("podctl status --json %s is not JSON: %r" % (uuid, sout))
            continue
        sst = s.get("state")
        if e.get("unresponsive") or s.get("unresponsive"):
            bad.append("%s: unresponsive (%s), lock held=%s pid=%s alive=%s" % (uuid, s.get("unresponsiveReason"), held, pid, alive))
        if sd == "run" and held:
            # running: PID 1 alive, holding the pod's lock fd, and the pod says it runs
            if not holder:
                bad.append("%s: lock held but the pid file's process (%s) is %s" %
                           (uuid, pid, "not holding the pod dir" if alive else "dead or missing"))
            if st not in LIVE or sst not in LIVE:
                bad.append("%s: alive and locked, but list says %s and status says %s" % (uuid, st, sst))
        elif sd == "run":
            if alive and holder:
                bad.append("%s: unlocked but its PID 1 %d still runs" % (uuid, pid))
            if st != "exited" or sst != "exited":
                bad.append("%s: dead (no lock), but list says %s and status says %s" % (uuid, st, sst))
            elif not isinstance(s.get("exitCode"), int) and not s.get("exitReason"):
                bad.append("%s: dead with neither an exit code nor a reason: %s" % (uuid, sout))
        elif sd == "prepare":
            want = "preparing" if held else "garbage"
            if st != want or sst != want:
                bad.append("%s in prepare/ (lock %s): list says %s, status %s" % (uuid, held, st, sst))
        else:
            if st != "garbage" or sst != "garbage":
                bad.append("%s in exited-garbage/: list says %s, status %s" % (uuid, st, sst))
        # apps that are said to run have a live process in the pod
        if sd == "run" and not held:
            for a in s.get("apps", []):
                if a.get("state") in ("starting", "running", "ready", "stopping", "backoff"):
                    bad.append("%s: dead pod, but app %s is said to be %s" % (uuid, a.get("name"), a.get("state")))
    return bad

def leftovers(uuids):
    left = []
    for sd, uuid, path in pod_dirs():
        left.append("pod directory %s" % path)
    for line in open("/proc/self/mountinfo"):
        if D in line or any(u in line for u in uuids):
            left.append("mount: " + line.strip())
    for h in os.listdir("/sys/fs/cgroup"):
        ms = os.path.join("/sys/fs/cgroup", h, "machine.slice")
        try:
            names = os.listdir(ms)
        except OSError:
            continue
        for n in names:
            if n.startswith("machine-rkt") and any(esc(u) in n for u in uuids):
                left.append("cgroup %s/%s" % (ms, n))
    me = os.getpid()
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == me:
            continue
        why = None
        try:
            for l in ("cwd", "root"):
                t = os.readlink("/proc/%s/%s" % (p, l))
                if t.startswith(D + "/") or t == D:
                    why = "%s %s" % (l, t)
            cmd = open("/proc/%s/cmdline" % p, "rb").read().replace(b"\0", b" ").decode(errors="replace")
            cg = open("/proc/%s/cgroup" % p).read()
            if any(u in cmd for u in uuids) and "strace" not in cmd:
                why = "cmdline " + cmd
            if any(esc(u) in cg for u in uuids):
                why = "in the pod's cgroup"
        except OSError:
            continue
        if why:
            left.append("process %s (%s)" % (p, why))
    return left

def all_uuids():
    u = set(n for sd, n, p in pod_dirs())
    try:
        u |= set(open(os.path.join(D, ".crash-uuids")).read().split())
    except FileNotFoundError:
        pass
    with open(os.path.join(D, ".crash-uuids") if os.path.isdir(D) else "/dev/null", "a") as f:
        f.write("".join(x + "\n" for x in u))
    return u

if mode == "truth":
    deadline = time.time() + 5
    check_files()
    all_uuids()
    while True:
        bad = check_truth()
        if not bad or time.time() > deadline:
            break
        time.sleep(0.1)      # a killed tree takes a moment to go
    problems += bad
elif mode == "files":
    check_files()
elif mode == "running":
    for sd, uuid, path in pod_dirs():
        if sd == "run" and lock_held(path):
            print(uuid)
elif mode == "leftovers":
    uuids = all_uuids()
    deadline = time.time() + 5
    while True:
        left = leftovers(uuids)
        if not left or time.time() > deadline:
            break
        time.sleep(0.1)
    problems += left
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
EOF
)

# assert_truth: every state file parses; podctl list and status agree with
# the processes and locks (retrying for up to 5 s while a killed tree dies).
assert_truth() {
    "$PYTHON" -c "$CRASH_PY" truth "$D" "$PODCTL" || fail "state of $D is not consistent (above)"
}

# assert_consistent: assert_truth, then stop what still runs (a plain stop
# must work after any crash), gc, and nothing may be left: pod directories,
# mounts under the state dir, the pods' cgroups, their processes.
assert_consistent() {
    local u rc=0 out
    [ -d "$D/pods" ] || return 0
    assert_truth || return 1
    for u in $("$PYTHON" -c "$CRASH_PY" running "$D" "$PODCTL"); do
        timeout 20 "$PODCTL" --dir="$D" stop "$u" >/dev/null 2>&1 ||
            fail "podctl stop $u failed after the crash" || return 1
    done
    out=$(timeout 20 "$PODCTL" --dir="$D" gc 2>&1) || rc=$?
    [ "$rc" -eq 0 ] || fail "podctl gc failed ($rc):" "$out" || return 1
    "$PYTHON" -c "$CRASH_PY" leftovers "$D" "$PODCTL" || fail "podctl gc left the above behind"
}
