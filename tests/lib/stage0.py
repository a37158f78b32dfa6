#!/usr/bin/env python3
"""stage0.py -- a simulator of rkt 1.30's stage0, for testing a stage1 image.

podinit is a drop-in replacement for rkt's stage1.  rkt itself (the "stage0")
is dead upstream and hard to install, so this program plays its part: it
prepares pod directories exactly as rkt 1.30 does and calls the stage1
entrypoints exactly as rkt does (argv, cwd, environment, file descriptors,
stdin/stdout/stderr, fork/exec or exec in place), and it derives pod and app
states from files only, as `rkt status` and `rkt app list` do.  Its messages
and exit codes are rkt's (`<command>: <message>: <innermost error>`, 254).

The contract it follows is ../shared/reference/rkt-stage1-abi.md (the "ABI"),
checked against rkt's sources (stage0/*.go, rkt/*.go, pkg/pod/*.go):

  ABI 1.1  pod states as directories pods/{embryo,prepare,prepared,run,
           exited-garbage,garbage}/<uuid>; running <=> the pod directory is
           flock'ed; pod.lck flock'ed around manifest rewrites
  ABI 1.2, 9.1
           what stage0 writes before `run`: pod (compact JSON, no newline,
           0640), pod-created, pod.lck, stage1TreeStoreID, stage1/manifest,
           stage1/rootfs (overlay of the tree store, or a copy), apps under
           stage1/rootfs/opt/stage2/<app>, etc/mtab, appsinfo/<app>,
           overlay-prepared, private-users-prepared
  ABI 2.0, 9.0
           entrypoint resolution from stage1/manifest, interface-version gates
  ABI 2.1, 9.1, 9.2
           run / run-prepared / app-sandbox: exec in place, argv order,
           RKT_LOCK_FD and the SELinux variables
  ABI 2.2, 9.3   enter (exec'd from the tree store copy, caller's environment)
  ABI 2.3, 9.5   gc and rm (move to exited-garbage, gc entrypoint, unmount, delete)
  ABI 2.4, 9.4   stop [--force]
  ABI 2.5, 9.6-9.9
           app add/start/stop/rm: preconditions, env file, manifest rewrite,
           status marker files, the three-variable environment, the shared
           stdout+stderr pipe, rm's cleanup
  ABI 9.10 attach (--mode mapping and validation)
  ABI 9.11 status, app list, app status (from files only)

Like rkt, it leaks a read-only, inheritable descriptor on <pod>/net-info.json
(on <pod>/pod when there is no net-info.json) into enter, stop, gc, attach and
app/* (fd 7 when free), so that a stage1 which hands unknown descriptors on to
apps or entered commands is caught.  It also behaves like a systemd host whose
/ is a shared mount: before its first overlay mount it bind-mounts the data
directory onto itself and makes it rshared (once), so that the overlay stage0
mounts for `app add` in the host namespace propagate into a running pod.

Networking is stage1's: stage0 passes --net on (default "default") and writes
--port=NAME:PROTO:PODPORT:HOSTIP:HOSTPORT into the pod manifest's ports, as rkt
does; status reads net-info.json.
Left out: image discovery, fetching by name, signatures and the image store
proper (images are ACI files unpacked into a tree store), the metadata service
(--mds-register), volumes and mounts, isolator flags, --pod-manifest,
SELinux labels, `rkt list`, `api-service`, `export`.  --private-users is only
sketched (marker file, flag, shifted ownership of the copied trees).

Deliberate differences from rkt, all outside what a stage1 can observe:
  * images are given as ACI paths (fetched into the tree store on the fly) or
    as tree store ids; the tree store id is deps-sha512-<64 hex of the file>
  * run-prepared and app-sandbox also accept --ipc; run-prepared also accepts
    --mutable (rkt's run-prepared never passes --ipc nor --mutable)
  * --dns-conf-mode=resolv=X,hosts=Y may be given directly (rkt derives it
    from --dns and --hosts-entry, which are also supported)
  * app rm removes only the removed app's overlay upper and work directories
    (rkt removes overlay/<treeStoreID> whole, the other apps' of the same
    image included); no deletion ever crosses a mount point
  * usage errors of the simulator itself exit 2

Usage: stage0.py [GLOBAL FLAGS] COMMAND [FLAGS] [ARGS]; see USAGE below.
"""

import ctypes
import datetime
import errno
import fcntl
import hashlib
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib

USAGE = """\
usage: stage0.py [--dir=DIR] [--debug] [--local-config=DIR] [--insecure-options=LIST] COMMAND ...

DIR is rkt's data directory (default /var/lib/rkt-sim).  Flags are Go-style:
--f=v or --f v, booleans --f or --f=true|false.

  fetch ACI                             unpack into DIR/cas/tree/<id>, print <id>
  prepare [POD FLAGS] APP...            prepare a pod, print its UUID
  run [POD FLAGS] [RUN FLAGS] APP...    prepare + exec the stage1 `run` entrypoint
  run-prepared [RUN FLAGS] [--mutable] UUID
  app-sandbox [POD FLAGS] [RUN FLAGS]   an empty mutable pod (run --mutable)
  status [--wait[=D]] [--wait-ready[=D]] UUID
  enter [--app=NAME] UUID [CMD ARGS...]
  stop [--force] UUID...
  gc [--grace-period=D] [--expire-prepared=D] [--mark-only]
  rm UUID...
  app-add UUID IMAGE|--image=IMAGE [--name=NAME] [APP FLAGS] [-- ARGS...]
  app-start|app-stop|app-rm UUID --app=NAME
  app-list [--no-legend] UUID
  app-status [--format=json] UUID --app=NAME
  attach [--app=NAME] [--mode=list|auto|tty|tty-in|tty-out|stdin,stdout,stderr] UUID

POD FLAGS: --stage1=ACI (required) --no-overlay --private-users --mutable (prepare)
           --inherit-env --set-env=K=V (before the first app: for every app)
           --annotation=K=V (before the first app: a pod annotation)
RUN FLAGS: --net=LIST (default "default") --port=NAME:PROTO:PODPORT:HOSTIP:HOSTPORT
           --interactive --hostname=H --ipc=MODE
           --dns=IP|host|none --dns-search=D --dns-opt=O --dns-domain=D
           --hosts-entry=IP=HOST|host --dns-conf-mode=resolv=X,hosts=Y
           --uuid-file-save=FILE (run, app-sandbox)
APP:       [IMAGE|--image=IMAGE] [--app=NAME|--name=NAME] [--exec=PATH]
           [--user=U] [--group=G] [--supplementary-gids=1,2] [--working-dir=D]
           [--set-env=K=V|--environment=K=V]... [--annotation=K=V]...
           [--stdin=null|stream|tty] [--stdout=MODE] [--stderr=MODE]
           [--readonly-rootfs] [-- ARGS...]
           A new app begins with an IMAGE, or with --image/--app/--name when the
           current app already has one; "---" ends an app's ARGS (rkt's syntax).
Durations: Go syntax (30m, 1.5s, 100ms) or plain seconds.
"""

RKT_VERSION = "1.30.0"
DEFAULT_DATA_DIR = "/var/lib/rkt-sim"
DEFAULT_LOCAL_CONFIG = "/etc/rkt"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# rkt's common.ComposeEnviron defaults (a Go map: unordered; written first).
DEFAULT_ENV = [("HOME", "/root"), ("PATH", DEFAULT_PATH), ("SHELL", "/bin/sh"),
               ("USER", "root"), ("LOGNAME", "root")]

EP_RUN = "coreos.com/rkt/stage1/run"
EP_ENTER = "coreos.com/rkt/stage1/enter"
EP_GC = "coreos.com/rkt/stage1/gc"
EP_STOP = "coreos.com/rkt/stage1/stop"
EP_ATTACH = "coreos.com/rkt/stage1/attach"
EP_APP_ADD = "coreos.com/rkt/stage1/app/add"
EP_APP_RM = "coreos.com/rkt/stage1/app/rm"
EP_APP_START = "coreos.com/rkt/stage1/app/start"
EP_APP_STOP = "coreos.com/rkt/stage1/app/stop"
ANN_INTERFACE_VERSION = "coreos.com/rkt/stage1/interface-version"
ANN_MUTABLE = "coreos.com/rkt/stage1/mutable"
ANN_STREAM = {s: "coreos.com/rkt/stage2/" + s for s in ("stdin", "stdout", "stderr")}

EXIT_ERR = 254
EXIT_USAGE = 2
FILE_PERM = 0o640          # rkt's DefaultRegularFilePerm
DIR_PERM = 0o750           # rkt's DefaultRegularDirPerm
LEAK_FD = 7                # where rkt's net-info.json descriptor usually lands

AC_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z_0-9.-]*$")
STDIN_MODES = ("null", "stream", "tty")
STDOUT_MODES = ("log", "null", "stream", "tty")

POD_STATE_DIRS = ("embryo", "prepare", "prepared", "run", "exited-garbage", "garbage")

DEBUG = False


# ------------------------------------------------------------------ errors

class Fatal(Exception):
    """A failure that ends the command: printed as is, exit code attached."""

    def __init__(self, msg, code=EXIT_ERR):
        super().__init__(msg)
        self.code = code


class UsageError(Exception):
    pass


class Err(Exception):
    """An error chain like Go's errwrap: outer message, inner cause.

    Printed as rkt's pkg/log does: without --debug `msg: innermost`, with
    --debug the whole chain, one level per line."""

    def __init__(self, msg, cause=None):
        super().__init__(msg)
        self.msg = msg
        self.cause = cause

    def chain(self):
        out, e = [], self
        while e is not None:
            if isinstance(e, Err):
                out.append(e.msg)
                e = e.cause
            else:
                out.append(str(e))
                e = None
        return out


def go_err(e):
    """Go's rendering of an OSError: "open <path>: no such file or directory"."""
    if isinstance(e, Err):
        return e
    if isinstance(e, OSError) and e.errno:
        s = go_strerror(e.errno)
        return Err("%s: %s" % (e.filename, s) if e.filename else s)
    return Err(str(e))


def go_strerror(num):
    s = os.strerror(num)
    return s[:1].lower() + s[1:]


GO_SIGNAL_NAMES = {signal.SIGKILL: "killed", signal.SIGTERM: "terminated",
                   signal.SIGINT: "interrupt", signal.SIGHUP: "hangup",
                   signal.SIGABRT: "aborted", signal.SIGSEGV: "segmentation fault",
                   signal.SIGPIPE: "broken pipe", signal.SIGQUIT: "quit",
                   signal.SIGBUS: "bus error", signal.SIGUSR1: "user defined signal 1",
                   signal.SIGUSR2: "user defined signal 2"}


def go_exit_error(returncode):
    """Go's *exec.ExitError text for a child's wait status."""
    if returncode >= 0:
        return "exit status %d" % returncode
    sig = -returncode
    return "signal: " + GO_SIGNAL_NAMES.get(sig, "signal %d" % sig)


class Logger:
    """rkt's pkg/log: "<prefix>: <message>" on stderr (stdout has no prefix)."""

    def __init__(self, prefix):
        self.prefix = prefix + ": " if prefix else ""

    def print(self, msg, stream=None):
        stream = stream or sys.stderr
        stream.write(self.prefix + msg + "\n")
        stream.flush()

    def format_e(self, msg, e):
        """pkg/log's formatErr: `msg: innermost error`, or with --debug the
        whole chain, one indented level per line."""
        chain = go_err(e).chain()
        if DEBUG:
            text = msg + "".join("\n%s└─%s" % ("  " * (i + 1), c) for i, c in enumerate(chain))
        else:
            text = (msg + ": " if msg else "") + chain[-1]
        return self.prefix + text.rstrip("\n")

    def print_e(self, msg, e):
        sys.stderr.write(self.format_e(msg, e) + "\n")
        sys.stderr.flush()


def out(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


STAGE0 = Logger("stage0")


def debug(msg):
    if DEBUG:
        STAGE0.print(msg.rstrip("\n"))


# ------------------------------------------------------------ flag parsing

BOOL, STR, LIST, OPT = "bool", "str", "list", "opt"


def parse_bool(name, v):
    if v in ("true", "1", "t", "T", "TRUE", "True"):
        return True
    if v in ("false", "0", "f", "F", "FALSE", "False"):
        return False
    raise UsageError("invalid value %r for boolean flag --%s" % (v, name))


def parse_flags(args, spec, interspersed=True):
    """Parse Go/cobra-style flags.  spec: name -> (kind, default) where kind is
    BOOL, STR, LIST (repeatable) or OPT (value only with '=', else its default
    "true").  Returns (values, positionals, rest).  With interspersed=False
    parsing stops at the first positional (the rest is returned in rest)."""
    vals = {k: (list(d) if kind == LIST else d) for k, (kind, d) in spec.items()}
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return vals, pos, args[i + 1:]
        if not a.startswith("--") or a == "---" or len(a) == 2:
            if not interspersed:
                return vals, pos, args[i:]
            pos.append(a)
            i += 1
            continue
        name, eq, value = a[2:].partition("=")
        if name not in spec:
            raise UsageError("unknown flag: --%s" % name)
        kind = spec[name][0]
        if kind == BOOL:
            vals[name] = parse_bool(name, value) if eq else True
        elif kind == OPT:
            vals[name] = value if eq else "true"
        else:
            if not eq:
                if i + 1 >= len(args):
                    raise UsageError("flag needs an argument: --%s" % name)
                i += 1
                value = args[i]
            if kind == LIST:
                vals[name].append(value)
            else:
                vals[name] = value
        i += 1
    return vals, pos, []


def parse_duration(s, what):
    """Go's time.ParseDuration (plus plain numbers as seconds) -> seconds."""
    if re.fullmatch(r"[0-9]+(\.[0-9]*)?", s):
        return float(s)
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    total, rest = 0.0, s
    sign = -1.0 if rest.startswith("-") else 1.0
    rest = rest.lstrip("+-")
    if not rest:
        raise UsageError("invalid duration %r for %s" % (s, what))
    while rest:
        m = re.match(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)", rest)
        if not m:
            raise UsageError("invalid duration %r for %s" % (s, what))
        total += float(m.group(1)) * units[m.group(2)]
        rest = rest[m.end():]
    return sign * total


def wait_duration(s, what):
    """rkt status --wait/--wait-ready values: bool or duration.  None = forever,
    0 = do not wait."""
    if s == "":
        return None
    try:
        return None if parse_bool(what, s) else 0
    except UsageError:
        d = parse_duration(s, what)
        return None if d < 0 else d


# --------------------------------------------------------------- small I/O

def write_file(path, data, mode=FILE_PERM):
    """Go's ioutil.WriteFile: create/truncate with mode & ~umask."""
    if isinstance(data, str):
        data = data.encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def create_file(path):
    """Go's os.Create: an empty file, mode 0666 & ~umask."""
    write_file(path, b"", 0o666)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def makedirs(path, mode):
    os.makedirs(path, mode, exist_ok=True)


def rm_rf_onefs(path):
    """os.RemoveAll that refuses to cross mount points (never deletes through
    a mount left behind).  Raises Err naming the first mount point found."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return
    mounts = set(m["mountpoint"] for m in mountinfo())
    root = os.path.realpath(path)
    for dirpath, dirnames, filenames in os.walk(root, topdown=True):
        if dirpath in mounts:
            raise Err("%s is a mount point, not removing it" % dirpath)
        for d in list(dirnames):
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                dirnames.remove(d)
                filenames.append(d)
            elif full in mounts or os.lstat(full).st_dev != st.st_dev:
                raise Err("%s is a mount point, not removing it" % full)
    shutil.rmtree(root)


def go_time(ts, nanos=False):
    """Go's time formatting: "2006-01-02 15:04:05.999 -0700 MST" (nanos=False)
    or time.Time.String()'s ".999999999" (nanos=True); ts in nanoseconds."""
    sec, ns = divmod(ts, 1_000_000_000)
    dt = datetime.datetime.fromtimestamp(sec).astimezone()
    frac = ("%09d" % ns) if nanos else ("%03d" % (ns // 1_000_000))
    frac = frac.rstrip("0")
    return dt.strftime("%Y-%m-%d %H:%M:%S") + ("." + frac if frac else "") + dt.strftime(" %z %Z")


def json_compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def sanitize_ac_name(s):
    """appc's SanitizeACName."""
    s = re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")
    if not s:
        raise Err("cannot sanitize %r into an ACName" % s)
    return s


def env_set(env, name, value):
    """appc types.Environment.Set: replace in place or append."""
    for e in env:
        if e["name"] == name:
            e["value"] = value
            return
    env.append({"name": name, "value": value})


def ann_get(anns, name):
    for a in anns or []:
        if a.get("name") == name:
            return a.get("value")
    return None


def ann_set(anns, name, value):
    for a in anns:
        if a["name"] == name:
            a["value"] = value
            return
    anns.append({"name": name, "value": value})


# ------------------------------------------------------------------ mounts

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
MS_BIND, MS_REC = 4096, 16384
MS_PRIVATE, MS_SLAVE, MS_SHARED = 1 << 18, 1 << 19, 1 << 20
MNT_DETACH = 2


def _b(s):
    return None if s is None else os.fsencode(s)


def sys_mount(src, target, fstype, flags, data=None):
    if _libc.mount(_b(src), _b(target), _b(fstype), flags, _b(data)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), target)


def sys_umount(target, flags=0):
    if _libc.umount2(_b(target), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), target)


def _unescape_mount(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mountinfo():
    """This process's mounts, in /proc/self/mountinfo order."""
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            res.append({"id": int(fields[0]), "parent": int(fields[1]),
                        "mountpoint": _unescape_mount(fields[4]),
                        "optional": fields[6:sep], "fstype": fields[sep + 1]})
    return res


def mounts_under(path):
    """Mount points at or below path (string prefix, like rkt's HasPrefix)."""
    path = os.path.realpath(path)
    return [m for m in mountinfo()
            if m["mountpoint"] == path or m["mountpoint"].startswith(path + "/")]


def is_mountpoint(path):
    path = os.path.realpath(path)
    return any(m["mountpoint"] == path for m in mountinfo())


def ensure_shared_datadir(datadir):
    """Make DIR a shared mount point (bind onto itself + rshared), once.

    rkt assumes a systemd host, where / is shared: the overlays stage0 mounts
    later (app add) then propagate into the pod's mount namespace.  Here / may
    be private, so the data directory is made into a shared mount of its own
    before the first overlay mount.  Serialised with a lock file."""
    datadir = os.path.realpath(datadir)
    lockfd = os.open(os.path.join(datadir, ".mount.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lockfd, fcntl.LOCK_EX)
        tops = [m for m in mountinfo() if m["mountpoint"] == datadir]
        if not tops:
            sys_mount(datadir, datadir, None, MS_BIND | MS_REC)
            tops = [m for m in mountinfo() if m["mountpoint"] == datadir]
        if not any(o.startswith("shared:") for o in tops[-1]["optional"]):
            sys_mount(None, datadir, None, MS_SHARED | MS_REC)
    finally:
        os.close(lockfd)


def overlay_mount(lower, upper, work, target):
    sys_mount("overlay", target, "overlay", 0,
              "lowerdir=%s,upperdir=%s,workdir=%s" % (lower, upper, work))


def chroot_private_unmount(target):
    """rkt's common.ChrootPrivateUnmount, deepest first: every mount at or
    below target is made private (if shared or slave) and unmounted, busy
    ones lazily.  Returns a list of messages for mounts that stayed."""
    problems = []
    mnts = mounts_under(target)
    for m in reversed(mnts):
        if any(o.startswith(("shared:", "master:")) for o in m["optional"]):
            try:
                sys_mount(None, m["mountpoint"], None, MS_PRIVATE | MS_REC)
            except OSError:
                pass
    for m in sorted(mnts, key=lambda m: (-m["mountpoint"].count("/"), -m["id"])):
        try:
            sys_umount(m["mountpoint"])
        except OSError as e:
            if e.errno == errno.EBUSY:
                try:
                    sys_umount(m["mountpoint"], MNT_DETACH)
                except OSError as e2:
                    problems.append("%s: %s" % (m["mountpoint"], go_strerror(e2.errno)))
            elif e.errno not in (errno.EINVAL, errno.ENOENT):
                problems.append("%s: %s" % (m["mountpoint"], go_strerror(e.errno)))
    return problems


# -------------------------------------------------------------- tree store

class Store:
    """The tree store: DIR/cas/tree/<id>/{manifest,rootfs}.  An ACI file is
    unpacked once (GNU tar: numeric owners, permissions kept, compression
    detected); its id is deps-sha512-<first 64 hex of the file's sha512>."""

    PREFIX = "deps-sha512-"

    def __init__(self, datadir):
        self.dir = os.path.join(datadir, "cas", "tree")

    def rootfs(self, tree_id):
        return os.path.join(self.dir, tree_id, "rootfs")

    def manifest_path(self, tree_id):
        return os.path.join(self.dir, tree_id, "manifest")

    @staticmethod
    def image_id(tree_id):
        return "sha512-" + tree_id[len(Store.PREFIX):]

    def fetch(self, image):
        """image: an ACI path or a tree store id.  Returns the tree id."""
        if image.startswith(self.PREFIX) and not os.path.exists(image):
            if not os.path.isfile(self.manifest_path(image)):
                raise Err("image \"%s\" not found in the tree store" % image)
            return image
        h = hashlib.sha512()
        try:
            with open(image, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError as e:
            raise Err("unable to open image %s" % image, go_err(e))
        tree_id = self.PREFIX + h.hexdigest()[:64]
        final = os.path.join(self.dir, tree_id)
        if os.path.isfile(os.path.join(final, "rendered")):
            return tree_id
        makedirs(self.dir, 0o700)
        tmp = tempfile.mkdtemp(prefix=".tmp-", dir=self.dir)
        try:
            r = subprocess.run(["tar", "-x", "--numeric-owner", "--same-permissions",
                                "-C", tmp, "-f", image, "manifest", "rootfs"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if r.returncode != 0:
                raise Err("error extracting image %s" % image,
                          Err(r.stdout.decode(errors="replace").strip() or go_exit_error(r.returncode)))
            try:
                m = json.loads(read_file(os.path.join(tmp, "manifest")))
            except (OSError, ValueError) as e:
                raise Err("image %s has no valid manifest" % image, go_err(e))
            if not isinstance(m, dict) or m.get("acKind") != "ImageManifest" or not m.get("name"):
                raise Err("image %s: the manifest is not an ImageManifest with a name" % image)
            os.makedirs(os.path.join(tmp, "rootfs"), exist_ok=True)
            create_file(os.path.join(tmp, "rendered"))
            try:
                os.rename(tmp, final)
            except OSError:
                if not os.path.isfile(os.path.join(final, "rendered")):
                    raise
        finally:
            if os.path.exists(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
        return tree_id

    def manifest(self, tree_id):
        raw = read_file(self.manifest_path(tree_id))
        return raw, json.loads(raw)


# -------------------------------------------------------------------- pods

class Pod:
    """A pod found in one of the state directories, as rkt's pkg/pod sees it.

    The pod directory stays open (self.fd); "running" is decided by trying a
    shared flock (rkt's TrySharedLock), so concurrent readers do not disturb
    each other."""

    def __init__(self, datadir, uuid, fd=None, dirstate=None):
        self.datadir = datadir
        self.uuid = uuid
        self.fd = None
        self.dirstate = None
        self.locked = False
        self.leak = None
        self.manifest_lock = None
        if fd is None:
            self._locate()
        else:               # a pod we created and hold locked (NewPod)
            self.fd, self.dirstate, self.locked = fd, dirstate, True

    def _locate(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        for st in POD_STATE_DIRS:
            p = os.path.join(self.datadir, "pods", st, self.uuid)
            try:
                self.fd = os.open(p, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            self.dirstate = st
            break
        else:
            raise Err("pod \"%s\" was not present" % self.uuid)
        self.locked = False
        if self.dirstate not in ("embryo", "prepared"):
            try:
                fcntl.flock(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            except BlockingIOError:
                self.locked = True

    refresh = _locate

    @property
    def path(self):
        return os.path.join(self.datadir, "pods", self.dirstate, self.uuid)

    def state(self):
        d, lk = self.dirstate, self.locked
        return {"embryo": "embryo",
                "prepare": "preparing" if lk else "aborted prepare",
                "prepared": "prepared",
                "run": "running" if lk else "exited",
                "exited-garbage": "exited deleting" if lk else "exited garbage",
                "garbage": "deleting" if lk else "garbage"}[d]

    def is_running(self):
        return self.state() == "running"

    def is_after_run(self):
        return self.state() in ("exited deleting", "deleting", "exited", "exited garbage", "garbage")

    # -- files, relative to the pod directory fd (rkt's openat)
    def open_rel(self, rel, flags=os.O_RDONLY):
        return os.open(rel, flags | os.O_CLOEXEC, dir_fd=self.fd)

    def read(self, rel):
        fd = self.open_rel(rel)
        try:
            chunks = []
            while True:
                b = os.read(fd, 1 << 16)
                if not b:
                    return b"".join(chunks)
                chunks.append(b)
        finally:
            os.close(fd)

    def read_int(self, rel):
        m = re.match(rb"\s*([+-]?[0-9]+)", self.read(rel))
        if not m:
            raise Err("%s: expected an integer" % rel)
        return int(m.group(1))

    def mtime_ns(self, rel):
        return os.stat(rel, dir_fd=self.fd).st_mtime_ns

    def exists(self, rel):
        try:
            os.stat(rel, dir_fd=self.fd, follow_symlinks=False)
            return True
        except FileNotFoundError:
            return False

    def uses_overlay(self):
        return self.exists("overlay-prepared")

    def stage1_tree_id(self):
        return self.read("stage1TreeStoreID").decode()

    def stage1_read_root(self):
        """rkt's Stage1RootfsPath: the overlay upper dir when the pod uses
        overlay (status files are read there), else stage1/rootfs."""
        if self.uses_overlay():
            return os.path.join(self.path, "overlay", self.stage1_tree_id(), "upper")
        return os.path.join(self.path, "stage1", "rootfs")

    def manifest(self):
        try:
            raw = self.read("pod")
            return raw, json.loads(raw)
        except (OSError, ValueError) as e:
            raise Err("error reading pod manifest", go_err(e))

    def app_names(self):
        return [a["name"] for a in (self.manifest()[1].get("apps") or [])]

    def pid(self):
        for f in ("pid", "ppid"):
            try:
                return self.read_int(f)
            except (OSError, Err):
                continue
        return None

    def container_pid1(self):
        """rkt's ContainerPid1: the pid file, else the single child of the
        ppid file; polls every 100 ms for as long as the pod is running."""
        while True:
            try:
                return self.read_int("pid")
            except (OSError, Err):
                pass
            try:
                ppid = self.read_int("ppid")
            except FileNotFoundError:
                ppid = None
            except (OSError, Err) as e:
                raise go_err(e)
            if ppid is not None:
                try:
                    kids = read_file("/proc/%d/task/%d/children" % (ppid, ppid)).split()
                except OSError:
                    kids = []
                if len(kids) > 1:
                    raise Err("too many children of pid %d" % ppid)
                if kids:
                    return int(kids[0])
            time.sleep(0.1)
            self.refresh()
            if not self.is_running():
                raise Err("pod %s is not running anymore" % self.uuid)

    def supervisor_ready(self):
        try:
            return os.readlink(os.path.join(self.stage1_read_root(), "rkt", "supervisor-status")) == "ready"
        except (OSError, Err):
            return False

    def app_exit_code(self, app):
        return self.read_int(os.path.join(self.stage1_read_root(), "rkt", "status", app))

    def lock_exclusive(self):
        """Like rkt's ExclusiveLock: blocking; the state computed when the
        pod was loaded is kept (rkt does not refresh it either)."""
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def lock_manifest(self):
        """flock(LOCK_EX) on pod.lck, for manifest rewrites (app add/rm)."""
        fd = self.open_rel("pod.lck", os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self.manifest_lock = fd

    def unlock_manifest(self):
        if self.manifest_lock is not None:
            os.close(self.manifest_lock)
            self.manifest_lock = None

    def sandbox_manifest(self):
        """rkt's SandboxManifest: the manifest, only for a mutable pod."""
        _, pm = self.manifest()
        v = ann_get(pm.get("annotations"), ANN_MUTABLE)
        if v is None or v.lower() not in ("true", "1", "t"):
            raise Err("immutable pod")
        return pm

    def update_manifest(self, pm):
        """rkt's UpdateManifest: temp file in the pod dir, same mode, JSON
        with a trailing newline (json.Encoder), rename over pod."""
        mode = stat.S_IMODE(os.stat("pod", dir_fd=self.fd).st_mode)
        fd, tmp = tempfile.mkstemp(prefix="", dir=self.path)
        try:
            os.fchmod(fd, mode)
            os.write(fd, (json_compact(pm) + "\n").encode())
            os.close(fd)
            fd = None
            os.rename(tmp, os.path.join(self.path, "pod"))
        finally:
            if fd is not None:
                os.close(fd)
            if os.path.exists(tmp):
                os.unlink(tmp)

    def leak_fd(self):
        """Open net-info.json (else pod) without O_CLOEXEC, like rkt's
        netinfo.LoadAt: it is inherited by every entrypoint rkt starts."""
        self.close_leak()
        for name in ("net-info.json", "pod"):
            try:
                fd = os.open(name, os.O_RDONLY, dir_fd=self.fd)
            except OSError:
                continue
            try:
                os.fstat(LEAK_FD)
            except OSError:
                os.dup2(fd, LEAK_FD, inheritable=True)
                os.close(fd)
                fd = LEAK_FD
            os.set_inheritable(fd, True)
            self.leak = fd
            return

    def close_leak(self):
        if self.leak is not None:
            os.close(self.leak)
            self.leak = None

    def close(self):
        self.close_leak()
        self.unlock_manifest()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def list_pods(datadir, states):
    res = set()
    for st in states:
        try:
            for n in os.listdir(os.path.join(datadir, "pods", st)):
                res.add(n)
        except FileNotFoundError:
            pass
    return sorted(res)


def resolve_uuid(datadir, s):
    """A full UUID, or a unique prefix of one (rkt accepts both)."""
    if not s:
        raise Err("unable to resolve UUID", Err("empty UUID"))
    all_pods = list_pods(datadir, POD_STATE_DIRS)
    if s in all_pods:
        return s
    matches = [p for p in all_pods if p.startswith(s)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise Err("unable to resolve UUID", Err("no matches found for \"%s\"" % s))
    raise Err("unable to resolve UUID", Err("ambiguous uuid, %d matches" % len(matches)))


def load_pod(datadir, s):
    return Pod(datadir, resolve_uuid(datadir, s))


def init_pods(datadir):
    for st in POD_STATE_DIRS:
        makedirs(os.path.join(datadir, "pods", st), DIR_PERM)


# ------------------------------------------------------- stage1 manifest

def stage1_manifest(poddir):
    try:
        return json.loads(read_file(os.path.join(poddir, "stage1", "manifest")))
    except (OSError, ValueError) as e:
        raise Err("error reading pod manifest", go_err(e))


def stage1_entrypoint(poddir, name):
    v = ann_get(stage1_manifest(poddir).get("annotations"), name)
    if v is None:
        raise Err("entrypoint \"%s\" not found" % name)
    return v


def stage1_interface_version(poddir):
    v = ann_get(stage1_manifest(poddir).get("annotations"), ANN_INTERFACE_VERSION)
    if v is None:
        return 1
    if not re.fullmatch(r"[+-]?[0-9]+", v):
        raise Err("error parsing interface version",
                  Err('strconv.Atoi: parsing "%s": invalid syntax' % v))
    return int(v)


def supports_mutable(poddir):
    anns = stage1_manifest(poddir).get("annotations")
    return all(ann_get(anns, e) is not None for e in (EP_APP_RM, EP_APP_START, EP_APP_STOP))


def ep_path(root, ep):
    return os.path.normpath(os.path.join(root, ep.lstrip("/")))


def stage1_rootfs(poddir):
    return os.path.join(poddir, "stage1", "rootfs")


# ---------------------------------------------------------------- global

class Ctx:
    """Global flags and the data directory."""

    def __init__(self, g):
        self.datadir = os.path.abspath(g["dir"])
        self.debug = g["debug"]
        self.local_config = g["local-config"]
        self.local_config_given = g["local-config"] is not None
        if self.local_config is None:
            self.local_config = DEFAULT_LOCAL_CONFIG
        ins = set(x for x in (g["insecure-options"] or "").split(",") if x)
        allowed = {"none", "image", "tls", "ondisk", "http", "pubkey", "capabilities",
                   "paths", "seccomp", "run", "all-fetch", "all-run", "all"}
        bad = ins - allowed
        if bad:
            raise UsageError("unknown insecure option %r" % sorted(bad)[0])
        run_all = bool(ins & {"all", "all-run"})
        self.skip_caps = run_all or "capabilities" in ins
        self.skip_paths = run_all or "paths" in ins
        self.skip_seccomp = run_all or "seccomp" in ins
        self.store = Store(self.datadir)


GLOBAL_SPEC = {"dir": (STR, DEFAULT_DATA_DIR), "debug": (BOOL, False),
               "local-config": (STR, None), "insecure-options": (STR, "")}


# ------------------------------------------------------ app specifications

class AppSpec:
    def __init__(self):
        self.name = None
        self.image = None
        self.exec_ = None
        self.args = None
        self.user = None
        self.group = None
        self.supp_gids = None
        self.workdir = None
        self.env = []
        self.annotations = []
        self.streams = {}
        self.readonly = False
        # filled in by resolution
        self.tree_id = None
        self.am = None
        self.am_raw = None


POD_SPEC = {"stage1": (STR, None), "no-overlay": (BOOL, False), "private-users": (BOOL, False),
            "mutable": (BOOL, False), "inherit-env": (BOOL, False), "set-env": (LIST, []),
            "annotation": (LIST, []), "uuid-file-save": (STR, None)}
RUN_SPEC = {"net": (LIST, []), "interactive": (BOOL, False), "hostname": (STR, ""),
            "ipc": (STR, ""), "dns": (LIST, []), "dns-search": (LIST, []), "dns-opt": (LIST, []),
            "dns-domain": (STR, ""), "hosts-entry": (LIST, []), "dns-conf-mode": (STR, None),
            "port": (LIST, [])}
APP_FLAGS = {"exec", "user", "group", "supplementary-gids", "working-dir", "environment",
             "stdin", "stdout", "stderr", "readonly-rootfs"}
APP_OR_POD_FLAGS = {"set-env", "annotation"}


def kv(flag, s):
    k, eq, v = s.partition("=")
    if not eq or not k:
        raise UsageError("--%s: must be specified as key=value, got %r" % (flag, s))
    return k, v


def parse_pod_cmdline(args, spec):
    """Pod flags, run flags and app specifications in rkt's style (flags
    anywhere, app flags after their app, `-- ARGS ---`).  Returns
    (values, [AppSpec])."""
    vals = {k: (list(d) if kind == LIST else d) for k, (kind, d) in spec.items()}
    apps = []
    cur = None
    i = 0

    def new_app():
        a = AppSpec()
        apps.append(a)
        return a

    while i < len(args):
        a = args[i]
        i += 1
        if a == "---":
            cur = None
            continue
        if a == "--":
            if cur is None:
                raise UsageError("an image is required before any app arguments")
            if cur.args is not None:
                raise UsageError("only one set of app arguments allowed per image")
            cur.args = []
            while i < len(args) and args[i] != "---":
                cur.args.append(args[i])
                i += 1
            i += 1          # the "---", if any
            cur = None
            continue
        if not a.startswith("--"):
            cur = new_app()
            cur.image = a
            continue
        name, eq, value = a[2:].partition("=")
        takes_value = name not in ("readonly-rootfs",) and (
            name in ("app", "name", "image") or name in APP_FLAGS or
            (name in spec and spec[name][0] in (STR, LIST)))
        if takes_value and not eq:
            if i >= len(args):
                raise UsageError("flag needs an argument: --%s" % name)
            value = args[i]
            i += 1
        if name in ("app", "name"):
            if cur is None or cur.name is not None:
                cur = new_app()
            if not AC_NAME_RE.match(value):
                raise UsageError("invalid app name %r (an ACName: [a-z0-9]+(-[a-z0-9]+)*)" % value)
            cur.name = value
        elif name == "image":
            if cur is None or cur.image is not None:
                cur = new_app()
            cur.image = value
        elif name in APP_FLAGS or (name in APP_OR_POD_FLAGS and cur is not None):
            if cur is None:
                raise UsageError("--%s must follow an application (an IMAGE, --image= or --app=)" % name)
            if name == "exec":
                cur.exec_ = value
            elif name == "user":
                cur.user = value
            elif name == "group":
                cur.group = value
            elif name == "supplementary-gids":
                try:
                    cur.supp_gids = [int(x) for x in value.split(",") if x]
                except ValueError:
                    raise UsageError("--supplementary-gids: not a list of integers: %r" % value)
            elif name == "working-dir":
                cur.workdir = value
            elif name in ("set-env", "environment"):
                cur.env.append(kv(name, value))
            elif name == "annotation":
                cur.annotations.append(kv(name, value))
            elif name == "readonly-rootfs":
                cur.readonly = parse_bool(name, value) if eq else True
            elif name in ("stdin", "stdout", "stderr"):
                allowed = STDIN_MODES if name == "stdin" else STDOUT_MODES
                if value not in allowed:
                    raise UsageError("invalid %s mode \"%s\"" % (name, value))
                cur.streams[name] = value
        elif name in spec:
            kind = spec[name][0]
            if kind == BOOL:
                vals[name] = parse_bool(name, value) if eq else True
            elif kind == LIST:
                vals[name].append(value)
            else:
                vals[name] = value
        else:
            raise UsageError("unknown flag: --%s" % name)
    for a in apps:
        if a.image is None:
            raise UsageError("app %s has no image (--image=ACI)" % (a.name or "?"))
    return vals, apps


# --------------------------------------------------------------- preparing

def resolve_apps(ctx, apps):
    for a in apps:
        a.tree_id = ctx.store.fetch(a.image)
        a.am_raw, a.am = ctx.store.manifest(a.tree_id)
        if a.name is None:
            a.name = sanitize_ac_name(a.am["name"].split("/")[-1])


def check_os_arch(am):
    labels = {l.get("name"): l.get("value") for l in am.get("labels") or []}
    if "os" not in labels:
        raise Err("missing os label in the image manifest")
    if "arch" not in labels:
        raise Err("missing arch label in the image manifest")
    if labels["os"] != "linux":
        raise Err("bad os \"%s\"" % labels["os"])


def copy_tree(src, dst, shift=0):
    """fileutil.CopyTree: cp -a, then ownership shifted for --private-users."""
    r = subprocess.run(["cp", "-a", "--", src, dst], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise Err("error copying %s" % src, Err(r.stdout.decode(errors="replace").strip()))
    if shift:
        shift_tree(dst, shift)


def shift_tree(root, shift, skip=()):
    for dirpath, dirnames, filenames in os.walk(root):
        for n in [""] + dirnames + filenames:
            p = os.path.join(dirpath, n) if n else dirpath
            if n == "" and dirpath != root:
                continue
            if os.path.relpath(p, root) in skip:
                continue
            st = os.lstat(p)
            os.lchown(p, st.st_uid + shift, st.st_gid + shift)


def prepare_app_image(ctx, poddir, a, use_overlay, shift):
    """stage0.prepareAppImage."""
    check_os_arch(a.am)
    info = os.path.join(poddir, "appsinfo", a.name)
    makedirs(info, DIR_PERM)
    if use_overlay:
        write_file(os.path.join(info, "treeStoreID"), a.tree_id)
    else:
        ad = os.path.join(stage1_rootfs(poddir), "opt", "stage2", a.name)
        makedirs(ad, DIR_PERM)
        os.chown(ad, shift, shift)
        copy_tree(ctx.store.rootfs(a.tree_id), os.path.join(ad, "rootfs"), shift)
        shutil.copy2(ctx.store.manifest_path(a.tree_id), os.path.join(ad, "manifest"))
    write_file(os.path.join(info, "manifest"), a.am_raw)


def runtime_app(a, args_replace=False):
    """stage0.generateRuntimeApp (+ app add's exec[:1] + args quirk)."""
    app = json.loads(json.dumps(a.am.get("app"))) if a.am.get("app") is not None else None
    if a.exec_:
        if app is None:
            app = {"exec": [], "user": str(os.getuid()), "group": str(os.getgid())}
        app["exec"] = [a.exec_]
    if app is None:
        raise Err("error: image %s has no app section and --exec argument is not provided"
                  % Store.image_id(a.tree_id))
    if a.args is not None:
        app["exec"] = list(app.get("exec") or []) + a.args
        if args_replace:
            app["exec"] = app["exec"][:1] + a.args
    if a.workdir:
        app["workingDirectory"] = a.workdir
    if a.user:
        app["user"] = a.user
    if a.group:
        app["group"] = a.group
    if a.supp_gids is not None:
        app["supplementaryGIDs"] = a.supp_gids
    for k, v in a.env:
        if not ENV_NAME_RE.match(k):
            raise Err("invalid environment variable name \"%s\"" % k)
        env_set(app.setdefault("environment", []), k, v)
    ra = {"name": a.name,
          "image": {"name": a.am["name"], "id": Store.image_id(a.tree_id),
                    "labels": a.am.get("labels") or []},
          "app": app}
    if a.readonly:
        ra["readOnlyRootFS"] = True
    anns = []
    for k, v in a.annotations:
        if ann_get(anns, k) is None:
            anns.append({"name": k, "value": v})
    for s in ("stdin", "stdout", "stderr"):
        if s in a.streams:
            ann_set(anns, ANN_STREAM[s], a.streams[s])
    if anns:
        ra["annotations"] = anns
    return ra


def new_pod(ctx):
    """pkg/pod.NewPod: embryo/<uuid> (0750), locked, renamed to prepare/."""
    init_pods(ctx.datadir)
    u = str(uuidlib.uuid4())
    emb = os.path.join(ctx.datadir, "pods", "embryo", u)
    os.mkdir(emb, DIR_PERM)
    fd = os.open(emb, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(emb, os.path.join(ctx.datadir, "pods", "prepare", u))
    return Pod(ctx.datadir, u, fd=fd, dirstate="prepare")


def port_flag(s):
    """rkt's --port=NAME:PROTO:PODPORT:HOSTIP:HOSTPORT, an ExposedPort with an inline podPort."""
    f = s.split(":")
    if len(f) != 5 or not f[2].isdigit() or not f[4].isdigit():
        raise UsageError("--port: expected NAME:PROTO:PODPORT:HOSTIP:HOSTPORT, got %r" % s)
    return {"name": f[0], "hostPort": int(f[4]), "hostIP": f[3] or "0.0.0.0",
            "podPort": {"name": f[0], "protocol": f[1], "port": int(f[2]), "count": 1, "socketActivated": False}}


def prepare_pod(ctx, vals, apps, mutable, pod_annotations):
    """rkt's NewPod + stage0.Prepare.  Returns the Pod, locked, in prepare/."""
    if not vals["stage1"]:
        raise UsageError("--stage1=ACI is required")
    use_overlay = not vals["no-overlay"]
    shift = 0
    if vals["private-users"]:
        if use_overlay:
            raise Err("error preparing stage1", Err(
                "cannot use both overlay and user namespace: not implemented yet. (Try --no-overlay)"))
        shift = random.randrange(1, 32767) * 65536
    s1_tree = ctx.store.fetch(vals["stage1"])
    s1_raw, _ = ctx.store.manifest(s1_tree)
    resolve_apps(ctx, apps)

    p = new_pod(ctx)
    if vals.get("uuid-file-save"):
        write_file(vals["uuid-file-save"], p.uuid, 0o644)
    d = p.path
    makedirs(os.path.join(d, "appsinfo"), DIR_PERM)
    # prepareStage1Image
    makedirs(os.path.join(d, "stage1"), DIR_PERM)
    write_file(os.path.join(d, "stage1", "manifest"), s1_raw)
    if not use_overlay:
        copy_tree(ctx.store.rootfs(s1_tree), stage1_rootfs(d))
        if shift:
            shift_tree(stage1_rootfs(d), shift, skip=("opt", "opt/stage2"))
    write_file(os.path.join(d, "stage1TreeStoreID"), s1_tree)
    # generatePodManifest
    pm = {"acVersion": RKT_VERSION, "acKind": "PodManifest", "apps": []}
    names = set()
    for a in apps:
        try:
            prepare_app_image(ctx, d, a, use_overlay, shift)
        except (Err, OSError) as e:
            raise Err("error preparing image %s" % Store.image_id(a.tree_id), go_err(e))
        if a.name in names:
            raise Err("error: multiple apps with name %s" % a.name)
        names.add(a.name)
        ra = runtime_app(a)
        if vals["inherit-env"] or vals["set-env"]:
            env = ra["app"].setdefault("environment", [])
            if vals["inherit-env"]:
                for k, v in os.environ.items():
                    if not any(e["name"] == k for e in env):
                        env_set(env, k, v)
            for s in vals["set-env"]:
                k, v = kv("set-env", s)
                env_set(env, k, v)
        pm["apps"].append(ra)
    pm["volumes"] = []
    pm["isolators"] = None
    anns = [{"name": ANN_MUTABLE, "value": "true" if mutable else "false"}]
    for k, v in pod_annotations:
        if ann_get(anns, k) is None:
            anns.append({"name": k, "value": v})
    pm["annotations"] = anns
    pm["ports"] = [port_flag(s) for s in vals.get("port", [])]
    write_file(os.path.join(d, "pod.lck"), b"", 0o600)
    write_file(os.path.join(d, "pod"), json_compact(pm))
    write_file(os.path.join(d, "pod-created"), b"")
    if use_overlay:
        create_file(os.path.join(d, "overlay-prepared"))
    if shift:
        write_file(os.path.join(d, "private-users-prepared"), "%d:65536" % shift)
    return p


def to_run(p):
    """Pod.ToRun: exclusive lock (already held when we prepared it), rename."""
    p.lock_exclusive()
    dst = os.path.join(p.datadir, "pods", "run", p.uuid)
    os.rename(p.path, dst)
    p.dirstate = "run"


# ------------------------------------------------------------------ running

def prepare_overlay(lower, tree_id, poddir, dest, app_name):
    """stage0.prepareOverlay: directories for one overlay mount."""
    img_mode = stat.S_IMODE(os.stat(lower).st_mode)
    dst = os.path.join(dest, "rootfs")
    makedirs(dst, img_mode)
    ovl = os.path.join(poddir, "overlay")
    makedirs(ovl, DIR_PERM)
    os.chmod(ovl, DIR_PERM)
    img_dir = os.path.join(ovl, tree_id)
    makedirs(img_dir, DIR_PERM)
    upper = os.path.join(img_dir, "upper", app_name) if app_name else os.path.join(img_dir, "upper")
    makedirs(upper, img_mode)
    work = os.path.join(img_dir, "work", app_name) if app_name else os.path.join(img_dir, "work")
    makedirs(work, DIR_PERM)
    return lower, upper, work, dst


def overlay_render(ctx, tree_id, poddir, dest, app_name):
    lower, upper, work, dst = prepare_overlay(ctx.store.rootfs(tree_id), tree_id, poddir, dest, app_name)
    ensure_shared_datadir(ctx.datadir)
    try:
        overlay_mount(lower, upper, work, dst)
    except OSError as e:
        raise Err("error rendering overlay filesystem",
                  Err("problem mounting overlay filesystem", go_err(e)))


def setup_stage1_image(ctx, poddir, use_overlay):
    if not use_overlay:
        return
    tree_id = read_file(os.path.join(poddir, "stage1TreeStoreID")).decode()
    overlay_render(ctx, tree_id, poddir, os.path.join(poddir, "stage1"), "")
    status = os.path.join(stage1_rootfs(poddir), "rkt", "status")
    try:
        os.utime(status)
    except OSError as e:
        raise Err("error touching status dir", Err("chtimes %s: %s" % (status, go_strerror(e.errno))))


def ensure_mtab(rootfs):
    etc = os.path.join(rootfs, "etc")
    if not os.path.isdir(etc):
        return
    mtab = os.path.join(etc, "mtab")
    if os.path.lexists(mtab):
        return
    os.symlink("../proc/self/mounts", mtab)


def setup_app_image(ctx, poddir, app_name, use_overlay):
    ad = os.path.join(stage1_rootfs(poddir), "opt", "stage2", app_name)
    if use_overlay:
        makedirs(ad, DIR_PERM)
        tree_id = read_file(os.path.join(poddir, "appsinfo", app_name, "treeStoreID")).decode()
        shutil.copyfile(os.path.join(poddir, "appsinfo", app_name, "manifest"), os.path.join(ad, "manifest"))
        os.chmod(os.path.join(ad, "manifest"), 0o644)
        overlay_render(ctx, tree_id, poddir, ad, app_name)
    ensure_mtab(os.path.join(ad, "rootfs"))


def dns_conf(rvals):
    """rkt's parseDNSFlags -> (resolv mode, hosts mode, resolv.conf, hosts entries)."""
    resolv, hosts = "default", "default"
    nameservers = []
    for d in rvals["dns"]:
        if d in ("host", "none"):
            if len(rvals["dns"]) > 1:
                raise Err("no other --dns options allowed when --dns=%s is passed" % d)
            resolv = d
            break
        nameservers += d.split(",")
    zero = not (nameservers or rvals["dns-search"] or rvals["dns-opt"] or rvals["dns-domain"])
    if not zero:
        if resolv == "default":
            resolv = "stage0"
        if resolv != "stage0":
            raise Err("Cannot call --dns-opt, --dns-search, or --dns-domain with --dns=%s" % resolv)
    entries = {}
    for e in rvals["hosts-entry"]:
        if e == "host":
            hosts = "host"
            continue
        for one in e.split(","):
            ip, eq, host = one.partition("=")
            if not eq:
                raise Err("Did not understand --hosts-entry %s" % one)
            entries.setdefault(ip, []).append(host)
    if entries:
        if hosts == "host":
            raise Err("cannot pass --hosts-entry=host with multiple hosts-entries")
        hosts = "stage0"
    if rvals["dns-conf-mode"]:
        m = re.fullmatch(r"resolv=([a-z0-9]+),hosts=([a-z0-9]+)", rvals["dns-conf-mode"])
        if not m:
            raise UsageError("--dns-conf-mode must be resolv=X,hosts=Y")
        resolv, hosts = m.group(1), m.group(2)
    text = "# Generated by rkt run\n\n"
    if rvals["dns-search"]:
        text += "search %s\n" % " ".join(rvals["dns-search"])
    for ns in nameservers:
        text += "nameserver %s\n" % ns
    if rvals["dns-opt"]:
        text += "options %s\n" % " ".join(rvals["dns-opt"])
    if rvals["dns-domain"]:
        text += "domain %s\n" % rvals["dns-domain"]
    return resolv, hosts, text, entries


def write_dns_config(s1root, resolv, hosts, resolv_text, entries):
    if resolv == "stage0":
        makedirs(os.path.join(s1root, "etc"), DIR_PERM)
        write_file(os.path.join(s1root, "etc", "rkt-resolv.conf"), resolv_text, 0o666)
    if hosts == "stage0":
        try:
            text = read_file(os.path.join(s1root, "etc", "hosts-fallback")).decode()
        except OSError:
            text = "#created by rkt stage0\n127.0.0.1 localhost localhost.localdomain\n"
        text += "\n\n# Added by rkt run --hosts-entry\n"
        for ip, names in entries.items():
            text += "%s %s\n" % (ip, " ".join(names))
        makedirs(os.path.join(s1root, "etc"), 0o755)
        write_file(os.path.join(s1root, "etc", "rkt-hosts"), text, 0o644)


def exec_run(ctx, p, rvals, mutable, pass_local_config, interactive):
    """stage0.Run: mount the overlays, then exec the run entrypoint in place
    with the lock fd inherited.  Never returns."""
    d = p.path
    try:
        private_users = read_file(os.path.join(d, "private-users-prepared")).decode()
    except FileNotFoundError:
        private_users = ""
    use_overlay = p.uses_overlay()
    try:
        setup_stage1_image(ctx, d, use_overlay)
    except (Err, OSError) as e:
        raise fatal_e(STAGE0, "error setting up stage1", e)
    try:
        _, pm = p.manifest()
        for a in pm.get("apps") or []:
            setup_app_image(ctx, d, a["name"], use_overlay)
    except (Err, OSError) as e:
        raise fatal_e(STAGE0, "error setting up app image", e)
    try:
        resolv, hosts, resolv_text, entries = dns_conf(rvals)
    except Err as e:
        raise fatal_e(Logger(CMD_NAME), "error with dns flags", e)
    write_dns_config(stage1_rootfs(d), resolv, hosts, resolv_text, entries)

    env = dict(os.environ)
    env["RKT_LOCK_FD"] = str(p.fd)
    env["RKT_SELINUX_CONTEXT"] = ""
    env["RKT_SELINUX_MOUNT_CONTEXT"] = ""
    os.chdir(d)
    try:
        ep = stage1_entrypoint(d, EP_RUN)
    except Err as e:
        raise fatal_e(STAGE0, "error determining 'run' entrypoint", e)
    argv = [ep_path(stage1_rootfs(d), ep)]
    if ctx.debug:
        argv.append("--debug")
    argv.append("--net=" + (",".join(rvals["net"]) if rvals["net"] else "default"))
    if interactive:
        argv.append("--interactive")
    if private_users:
        argv.append("--private-users=" + private_users)
    if pass_local_config and ctx.local_config:
        argv.append("--local-config=" + ctx.local_config)
    try:
        v = stage1_interface_version(d)
    except Err as e:
        raise fatal_e(STAGE0, "error determining stage1 interface version", e)
    if rvals["hostname"]:
        if v > 1:
            argv.append("--hostname=" + rvals["hostname"])
        else:
            STAGE0.print("warning: --hostname option is not supported by stage1")
    if resolv != "default" or hosts != "default":
        if v > 3:
            argv.append("--dns-conf-mode=resolv=%s,hosts=%s" % (resolv, hosts))
        else:
            STAGE0.print("warning: --dns-conf-mode option not supported by stage1")
    if v > 2:
        if ctx.skip_caps:
            argv.append("--disable-capabilities-restriction")
        if ctx.skip_paths:
            argv.append("--disable-paths")
        if ctx.skip_seccomp:
            argv.append("--disable-seccomp")
    if mutable:
        try:
            ok = supports_mutable(d)
        except Err as e:
            raise fatal_e(STAGE0, "error determining stage1 mutable support", e)
        if not ok:
            raise Fatal("stage0: stage1 does not support mutable pods", 1)
        argv.append("--mutable")
    if rvals["ipc"]:
        if v >= 6:
            argv.append("--ipc=" + rvals["ipc"])
        else:
            STAGE0.print("warning: --ipc option is not supported by stage1")
    argv.append(p.uuid)
    os.set_inheritable(p.fd, True)
    debug("Execing %s" % argv)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(argv[0], argv, env)
    except OSError as e:
        raise Fatal("stage0: error execing init: %s" % go_strerror(e.errno))


def fatal_e(logger, msg, e, code=EXIT_ERR):
    """A Fatal printed like logger.print_e(msg, e) (rkt's log.FatalE)."""
    return Fatal(logger.format_e(msg, e), code)


# ---------------------------------------------------------------- commands

CMD_NAME = ""


def cmd_fetch(ctx, args):
    _, pos, _ = parse_flags(args, {})
    if len(pos) != 1:
        raise UsageError("fetch takes one ACI")
    try:
        out(ctx.store.fetch(pos[0]))
    except Err as e:
        raise fatal_e(Logger("fetch"), "", e)
    return 0


def cmd_prepare(ctx, args):
    vals, apps = parse_pod_cmdline(args, POD_SPEC)
    if not apps:
        raise Fatal("prepare: must provide at least one image or specify the pod manifest")
    try:
        p = prepare_pod(ctx, vals, apps, vals["mutable"],
                        [kv("annotation", s) for s in vals["annotation"]])
    except (Err, OSError) as e:
        raise fatal_e(Logger("prepare"), "error setting up stage0", e)
    os.rename(p.path, os.path.join(ctx.datadir, "pods", "prepared", p.uuid))
    p.close()
    out(p.uuid)
    return 0


def run_common(ctx, args, sandbox):
    spec = dict(POD_SPEC)
    spec.update(RUN_SPEC)
    vals, apps = parse_pod_cmdline(args, spec)
    name = CMD_NAME
    if sandbox and apps:
        raise UsageError("app-sandbox takes no apps (add them with app-add)")
    if not sandbox:
        if vals["interactive"] and len(apps) > 1:
            raise Fatal("%s: interactive option only supports one image" % name)
        if not apps:
            raise Fatal("%s: must provide at least one image or specify the pod manifest" % name)
    try:
        p = prepare_pod(ctx, vals, apps, sandbox or vals["mutable"],
                        [kv("annotation", s) for s in vals["annotation"]])
    except (Err, OSError) as e:
        raise fatal_e(Logger(name), "error setting up stage0", e)
    to_run(p)
    exec_run(ctx, p, vals, sandbox or vals["mutable"], True,
             vals["interactive"] and not sandbox)


def cmd_run(ctx, args):
    return run_common(ctx, args, False)


def cmd_app_sandbox(ctx, args):
    return run_common(ctx, args, True)


def cmd_run_prepared(ctx, args):
    spec = dict(RUN_SPEC)
    spec["mutable"] = (BOOL, False)
    vals, pos, _ = parse_flags(args, spec)
    if len(pos) != 1:
        raise UsageError("run-prepared takes one UUID")
    try:
        p = load_pod(ctx.datadir, pos[0])
    except Err as e:
        raise fatal_e(Logger("run-prepared"), "problem retrieving pod", e)
    if p.state() != "prepared":
        raise Fatal('run-prepared: pod "%s" is not prepared' % p.uuid)
    if vals["interactive"] and len(p.app_names()) > 1:
        raise Fatal("run-prepared: interactive option only supports pods with one app")
    to_run(p)
    exec_run(ctx, p, vals, vals["mutable"], ctx.local_config_given, vals["interactive"])


def cmd_status(ctx, args):
    vals, pos, _ = parse_flags(args, {"wait": (OPT, "false"), "wait-ready": (OPT, "false"),
                                      "uuid-file": (STR, None)})
    log = Logger("status")
    if vals["uuid-file"] and not pos:
        pos = [read_file(vals["uuid-file"]).decode().strip()]
    if len(pos) != 1:
        raise UsageError("status takes one UUID")
    d_wait = wait_duration(vals["wait"], "wait")
    d_ready = wait_duration(vals["wait-ready"], "wait-ready")
    try:
        p = load_pod(ctx.datadir, pos[0])
    except Err as e:
        raise fatal_e(log, "problem retrieving pod", e)
    if d_ready != 0:
        if not poll(lambda: (p.refresh(), p.supervisor_ready())[1], d_ready):
            raise fatal_e(log, "error waiting for pod readiness", Err("context deadline exceeded"))
    if d_wait != 0:
        def finished():
            p.refresh()
            return p.state() in ("exited", "exited garbage", "aborted prepare", "garbage")
        if not poll(finished, d_wait):
            raise fatal_e(log, "error waiting for pod to finish", Err("context deadline exceeded"))
    p.refresh()
    state = p.state()
    out("state=%s" % state)
    created = 0
    if state in ("prepared", "running") or p.is_after_run():
        for f in ("pod-created", "pod"):
            try:
                created = p.mtime_ns(f)
                break
            except OSError:
                continue
    out("created=%s" % (go_time(created) if created else "0001-01-01 00:00:00 +0000 UTC"))
    if state == "running" or p.is_after_run():
        for f in ("pid", "ppid"):
            try:
                out("started=%s" % go_time(p.mtime_ns(f)))
                break
            except OSError:
                continue
    if state in ("running", "exited"):
        nets = []
        try:
            for n in json.loads(p.read("net-info.json")):
                nets.append("%s:ip4=%s" % (n.get("netName"), n.get("ip")))
        except (OSError, ValueError):
            pass
        out("networks=" + ", ".join(nets))
    if state not in ("running", "deleting", "exited deleting", "exited", "exited garbage"):
        return 0
    pid = p.pid()
    if pid is not None:
        out("pid=%d" % pid)
    out("exited=%s" % ("true" if state in ("exited", "exited garbage") else "false"))
    if state != "running":
        for name in p.app_names():
            try:
                out("app-%s=%d" % (name, p.app_exit_code(name)))
            except (OSError, Err):
                continue
    return 0


def poll(pred, timeout):
    """rkt's retry(): test now, then every 100 ms until true or timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if pred():
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def app_states(p, only=None):
    """rkt's lib.appStateInMutablePod for each app of the manifest."""
    _, pm = p.manifest()
    res = []
    root = p.stage1_read_root()
    after = p.is_after_run()
    for ra in pm.get("apps") or []:
        name = ra["name"]
        if only is not None and name != only:
            continue
        st = {"name": name, "state": "unknown", "image_id": ra.get("image", {}).get("id", ""),
              "created_at": None, "started_at": None, "finished_at": None, "exit_code": None,
              "app": ra}
        sd = os.path.join(root, "rkt", "status")
        try:
            st["created_at"] = os.stat(os.path.join(sd, name + "-created")).st_mtime_ns
            st["state"] = "created"
            st["started_at"] = os.stat(os.path.join(sd, name + "-started")).st_mtime_ns
            st["state"] = "running"
            st["finished_at"] = os.stat(os.path.join(sd, name)).st_mtime_ns
            st["state"] = "exited"
            try:
                st["exit_code"] = p.app_exit_code(name)
            except (OSError, Err):
                st["exit_code"] = 1
        except FileNotFoundError:
            pass
        if after and st["state"] != "exited":
            st["state"] = "exited"
            if p.dirstate in ("exited-garbage", "garbage"):
                st["finished_at"] = os.lstat(p.path).st_ctime_ns
        res.append(st)
    return res


def tabwrite(rows):
    """Go's tabwriter.NewWriter(w, 0, 8, 1, '\\t', 0): tab padding."""
    if not rows:
        return ""
    ncol = max(len(r) for r in rows)
    widths = []
    for c in range(ncol - 1):
        w = max((len(r[c]) + 1 for r in rows if len(r) > c + 1), default=0)
        widths.append((w + 7) // 8 * 8)
    lines = []
    for r in rows:
        s = ""
        for c, cell in enumerate(r):
            if c < len(r) - 1:
                s += cell + "\t" * max(1, (widths[c] - len(cell) + 7) // 8)
            else:
                s += cell
        lines.append(s)
    return "\n".join(lines) + "\n"


def cmd_app_list(ctx, args):
    vals, pos, _ = parse_flags(args, {"no-legend": (BOOL, False)})
    if len(pos) != 1:
        raise UsageError("app-list takes one UUID")
    try:
        p = load_pod(ctx.datadir, pos[0])
        apps = app_states(p)
    except (Err, OSError) as e:
        raise fatal_e(Logger("list"), "error listing apps", e, 1)
    rows = [] if vals["no-legend"] else [["NAME", "STATE"]]
    rows += [[a["name"], a["state"]] for a in apps]
    text = tabwrite(rows)   # log.Print adds a newline only when missing
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_app_status(ctx, args):
    vals, pos, _ = parse_flags(args, {"app": (STR, ""), "format": (STR, "")})
    if len(pos) != 1 or not vals["app"]:
        raise UsageError("app-status takes one UUID and --app=NAME")
    log = Logger("status")
    try:
        p = load_pod(ctx.datadir, pos[0])
        apps = app_states(p, vals["app"])
    except (Err, OSError) as e:
        raise fatal_e(log, "error getting app status", e, 1)
    if not apps:
        raise Fatal('status: cannot find app "%s" in the pod' % vals["app"], 1)
    a = apps[0]
    if vals["format"] in ("json", "json-pretty"):
        doc = {"name": a["name"], "state": a["state"], "imageID": a["image_id"]}
        for k, j in (("created_at", "createdAt"), ("started_at", "startedAt"),
                     ("finished_at", "finishedAt"), ("exit_code", "exitCode")):
            if a[k] is not None:
                doc[j] = a[k]
        out(json.dumps(doc, indent="\t" if vals["format"] == "json-pretty" else None))
        return 0
    out("name=%s" % a["name"])
    out("state=%s" % a["state"])
    out("image_id=%s" % a["image_id"])
    for k in ("created_at", "started_at", "finished_at"):
        if a[k] is not None:
            out("%s=%s" % (k, go_time(a[k], nanos=True)))
    if a["exit_code"] is not None:
        out("exit_code=%d" % a["exit_code"])
    return 0


def app_name_for(p, flag, log):
    """rkt's getAppName (enter, attach)."""
    if flag:
        if not AC_NAME_RE.match(flag):
            raise fatal_e(log, "unable to determine app name", Err("ACName must contain only lower case alphanumeric characters plus \"-\""))
        return flag
    names = p.app_names()
    if not names:
        raise fatal_e(log, "unable to determine app name", Err("pod contains zero apps"))
    if len(names) == 1:
        return names[0]
    log.print("pod contains multiple apps:")
    for n in names:
        log.print("\t%s" % n)
    raise fatal_e(log, "unable to determine app name",
                  Err('specify app using "rkt enter --app= ..."'))


def running_pod_pid(ctx, uuid_arg, log):
    """Load a pod that must be running and wait for its pid (ContainerPid1)."""
    try:
        p = load_pod(ctx.datadir, uuid_arg)
    except Err as e:
        raise fatal_e(log, "problem retrieving pod", e)
    if not p.is_running():
        raise Fatal('%s: pod "%s" isn\'t currently running' % (log.prefix[:-2], p.uuid))
    try:
        pid = p.container_pid1()
    except Err as e:
        raise fatal_e(log, 'unable to determine the pid for pod "%s"' % p.uuid, e)
    return p, pid


def cmd_enter(ctx, args):
    log = Logger("enter")
    vals, pos, rest = parse_flags(args, {"app": (STR, "")}, interspersed=False)
    rest = pos + rest
    if not rest:
        raise UsageError("enter takes a UUID")
    p, pid = running_pod_pid(ctx, rest[0], log)
    app = app_name_for(p, vals["app"], log)
    cmdline = rest[1:]
    if not cmdline:
        log.print('no command specified, assuming "/bin/bash"')
        cmdline = ["/bin/bash"]
    try:
        tree_id = p.stage1_tree_id()
    except OSError as e:
        raise fatal_e(log, "error getting stage1 treeStoreID", e)
    p.leak_fd()
    d = p.path
    try:
        os.chdir(d)
        ep = stage1_entrypoint(d, EP_ENTER)
    except (Err, OSError) as e:
        raise fatal_e(log, "enter failed", Err("error determining 'enter' entrypoint", go_err(e)))
    argv = [ep_path(ctx.store.rootfs(tree_id), ep), "--pid=%d" % pid, "--appname=%s" % app, "--"] + cmdline
    debug("Execing %s" % argv)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(argv[0], argv, dict(os.environ))
    except OSError as e:
        raise fatal_e(log, "enter failed", Err("error execing enter", go_err(e)))


def cmd_stop(ctx, args):
    log = Logger("stop")
    vals, pos, _ = parse_flags(args, {"force": (BOOL, False), "uuid-file": (STR, None)})
    if vals["uuid-file"] and not pos:
        pos = [read_file(vals["uuid-file"]).decode().strip()]
    if not pos:
        raise UsageError("stop takes one or more UUIDs")
    errors = 0
    for u in pos:
        try:
            p = load_pod(ctx.datadir, u)
        except Err as e:
            log.print_e("cannot get pod", e)
            errors += 1
            continue
        if p.is_after_run():
            out('pod "%s" is already stopped' % p.uuid)
            p.close()
            continue
        if not p.is_running():
            log.print('pod "%s" is not running' % p.uuid)
            errors += 1
            p.close()
            continue
        p.leak_fd()
        err = stop_pod(p, vals["force"])
        if err is None:
            out('"%s"' % p.uuid)
        else:
            log.print_e('error stopping "%s"' % p.uuid, err)
            errors += 1
        p.close()
    if errors:
        log.print("failed to stop %d pod(s)" % errors)
        return EXIT_ERR
    return 0


def stop_pod(p, force):
    """stage0.StopPod: fork/exec, stdin /dev/null, stdout/stderr inherited,
    caller's environment; waits for the entrypoint only."""
    d = p.path
    try:
        ep = stage1_entrypoint(d, EP_STOP)
    except Err as e:
        return Err("rkt stop not implemented for pod's stage1: %s" % e.msg)
    args = [ep_path(stage1_rootfs(d), ep)] + (["--force"] if force else []) + [p.uuid]
    debug("Execing %s" % ep)
    try:
        r = subprocess.run(args, cwd=d, stdin=subprocess.DEVNULL, close_fds=False)
    except OSError as e:
        return go_err(e)
    return None if r.returncode == 0 else Err(go_exit_error(r.returncode))


def crossing(ctx, p, pid, ep_name, args, interactive=False):
    """stage0.CrossingEntrypoint: cwd = pod, env = exactly ENTERCMD, ENTERPID
    and PATH; non-interactive: stdin /dev/null, stdout+stderr one pipe read
    to EOF (shown with --debug); interactive (attach): stdio passed through.
    Returns None or an Err."""
    d = p.path
    try:
        enter = stage1_entrypoint(d, EP_ENTER)
    except Err as e:
        return Err("error determining 'enter' entrypoint", e)
    try:
        ep = stage1_entrypoint(d, ep_name)
    except Err as e:
        return Err("\"%s\" not implemented for pod's stage1: %s" % (ep_name, e.msg))
    argv = [ep_path(stage1_rootfs(d), ep)] + args
    env = {"RKT_STAGE1_ENTERCMD": ep_path(stage1_rootfs(d), enter),
           "RKT_STAGE1_ENTERPID": str(pid),
           "PATH": os.environ.get("PATH") or DEFAULT_PATH}
    debug("Execing %s" % argv)
    try:
        if interactive:
            sys.stdout.flush()
            r = subprocess.run(argv, cwd=d, env=env, close_fds=False)
            if r.returncode != 0:
                return Err("error executing stage1 entrypoint: %s" % go_exit_error(r.returncode))
            return None
        r = subprocess.run(argv, cwd=d, env=env, close_fds=False, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as e:
        return Err("error executing stage1 entrypoint", go_err(e))
    if r.stdout:
        debug(r.stdout.decode(errors="replace"))
    if r.returncode != 0:
        return Err("error executing stage1 entrypoint", Err(go_exit_error(r.returncode)))
    return None


def app_cmd_common(ctx, args, log, what):
    vals, pos, _ = parse_flags(args, {"app": (STR, "")})
    if not pos:
        raise Fatal("%s: must provide the pod UUID" % log.prefix[:-2])
    if not vals["app"]:
        raise Fatal("%s: must provide the app to %s" % (log.prefix[:-2], what))
    return vals["app"], pos[0]


def check_ready(p, log):
    if not p.supervisor_ready():
        raise Fatal('%ssupervisor for pod "%s" is not yet ready' % (log.prefix, p.uuid))


def cmd_app_add(ctx, args):
    log = Logger("add")
    # rkt: app add UUID IMAGE [APP FLAGS] [-- ARGS]: the UUID comes first.
    if not args or args[0].startswith("--"):
        raise Fatal("add: must provide the pod UUID and an IMAGEID")
    uuid_arg = args[0]
    _, apps = parse_pod_cmdline(args[1:], {})
    if not apps:
        raise Fatal("add: must provide the pod UUID and an IMAGEID")
    if len(apps) > 1:
        raise Fatal("add: must give only one app")
    a = apps[0]
    p, pid = None, None
    try:
        p = load_pod(ctx.datadir, uuid_arg)
    except Err as e:
        raise fatal_e(log, "problem retrieving pod", e)
    if not p.is_running():
        raise Fatal('add: pod "%s" isn\'t currently running' % p.uuid)
    check_ready(p, log)
    try:
        resolve_apps(ctx, [a])
    except (Err, OSError) as e:
        raise fatal_e(log, "error finding images", e)
    try:
        pid = p.container_pid1()
    except Err as e:
        raise fatal_e(log, 'unable to determine the pid for pod "%s"' % p.uuid, e)
    p.leak_fd()
    try:
        err = add_app(ctx, p, pid, a)
    except (Err, OSError) as e:
        err = go_err(e)
    finally:
        p.unlock_manifest()
    if err is not None:
        raise fatal_e(log, "error adding app to pod", err)
    return 0


def add_app(ctx, p, pid, a):
    """stage0.AddApp."""
    d = p.path
    p.lock_manifest()
    try:
        pm = p.sandbox_manifest()
    except Err as e:
        return Err("cannot add application", e)
    if any(ra["name"] == a.name for ra in pm.get("apps") or []):
        return Err("error: multiple apps with name %s" % a.name)
    use_overlay = p.uses_overlay()
    makedirs(os.path.join(d, "appsinfo", a.name), DIR_PERM)
    try:
        prepare_app_image(ctx, d, a, use_overlay, 0)
    except (Err, OSError) as e:
        return Err("error preparing image %s" % Store.image_id(a.tree_id), go_err(e))
    try:
        setup_app_image(ctx, d, a.name, use_overlay)
    except (Err, OSError) as e:
        return Err("error setting up app image: %s" % go_err(e).chain()[-1])
    ra = runtime_app(a, args_replace=True)
    pm.setdefault("apps", [])
    if pm["apps"] is None:
        pm["apps"] = []
    pm["apps"].append(ra)
    env = [dict(e) for e in ra["app"].get("environment") or []]
    env_set(env, "AC_APP_NAME", a.name)
    lines = ["%s=%s" % (k, v) for k, v in DEFAULT_ENV if not any(e["name"] == k for e in env)]
    lines += ["%s=%s" % (e["name"], e["value"]) for e in env]
    envdir = os.path.join(stage1_rootfs(d), "rkt", "env")
    makedirs(envdir, 0o755)
    write_file(os.path.join(envdir, a.name), "".join(l + "\n" for l in lines), 0o644)
    debug("adding app to sandbox")
    p.update_manifest(pm)
    create_file(os.path.join(stage1_rootfs(d), "rkt", "status", a.name + "-created"))
    return crossing(ctx, p, pid, EP_APP_ADD,
                    ["--debug=%s" % str(ctx.debug).lower(), "--uuid=%s" % p.uuid, "--app=%s" % a.name])


def mutable_app_pod(ctx, uuid_arg, log, allow_stopped=False):
    try:
        p = load_pod(ctx.datadir, uuid_arg)
    except Err as e:
        raise fatal_e(log, "problem retrieving pod", e)
    if allow_stopped and p.is_after_run():
        return p, None
    if not p.is_running():
        raise Fatal('%s: pod "%s" isn\'t currently running' % (log.prefix[:-2], p.uuid))
    check_ready(p, log)
    return p, True


def cmd_app_start(ctx, args):
    log = Logger("start")
    app, u = app_cmd_common(ctx, args, log, "start")
    p, _ = mutable_app_pod(ctx, u, log)
    if not AC_NAME_RE.match(app):
        raise fatal_e(log, "invalid app name", Err("ACName must contain only lower case alphanumeric characters plus \"-\""))
    try:
        pid = p.container_pid1()
    except Err as e:
        raise fatal_e(log, 'unable to determine the pid for pod "%s"' % p.uuid, e)
    p.leak_fd()
    try:
        pm = p.sandbox_manifest()
    except Err as e:
        raise fatal_e(log, "error starting app", Err("cannot start application", e))
    if not any(ra["name"] == app for ra in pm.get("apps") or []):
        raise fatal_e(log, "error starting app", Err('error: nonexistent app "%s"' % app))
    sd = os.path.join(stage1_rootfs(p.path), "rkt", "status")
    for f in (app + "-started", app):
        try:
            os.unlink(os.path.join(sd, f))
        except OSError:
            pass
    create_file(os.path.join(sd, app + "-started"))
    err = crossing(ctx, p, pid, EP_APP_START, ["--debug=%s" % str(ctx.debug).lower(), "--app=%s" % app])
    if err is not None:
        raise fatal_e(log, "error starting app", err)
    return 0


def cmd_app_stop(ctx, args):
    log = Logger("stop")
    app, u = app_cmd_common(ctx, args, log, "remove")
    if not AC_NAME_RE.match(app):
        raise fatal_e(log, "invalid app name", Err("ACName must contain only lower case alphanumeric characters plus \"-\""))
    p, running = mutable_app_pod(ctx, u, log, allow_stopped=True)
    if running is None:
        out('pod "%s" is already stopped' % p.uuid)
        return 0
    try:
        pid = p.container_pid1()
    except Err as e:
        raise fatal_e(log, 'unable to determine the pid for pod "%s"' % p.uuid, e)
    p.leak_fd()
    try:
        pm = p.sandbox_manifest()
    except Err as e:
        raise fatal_e(log, "error stopping app", Err("cannot stop application", e))
    if not any(ra["name"] == app for ra in pm.get("apps") or []):
        raise fatal_e(log, "error stopping app", Err('error: nonexistent app "%s"' % app))
    err = crossing(ctx, p, pid, EP_APP_STOP, ["--debug=%s" % str(ctx.debug).lower(), "--app=%s" % app])
    if err is not None:
        raise fatal_e(log, "error stopping app", err)
    return 0


def cmd_app_rm(ctx, args):
    log = Logger("rm")
    app, u = app_cmd_common(ctx, args, log, "remove")
    try:
        p = load_pod(ctx.datadir, u)
    except Err as e:
        raise fatal_e(log, "problem retrieving pod", e)
    pid = 0
    if p.is_running():
        if not p.supervisor_ready():
            raise Fatal('rm: pod "%s" is running but its supervisor is not ready yet' % p.uuid)
        try:
            pid = p.container_pid1()
        except Err as e:
            raise fatal_e(log, 'unable to determine the pid for pod "%s"' % p.uuid, e)
    p.leak_fd()
    try:
        err = rm_app(ctx, p, pid, app)
    except (Err, OSError) as e:
        err = go_err(e)
    finally:
        p.unlock_manifest()
    if err is not None:
        raise fatal_e(log, "error removing app", err)
    return 0


def rm_app(ctx, p, pid, app):
    """stage0.RmApp."""
    d = p.path
    p.lock_manifest()
    try:
        pm = p.sandbox_manifest()
    except Err as e:
        return Err("cannot remove application, sandbox validation failed", e)
    if not any(ra["name"] == app for ra in pm.get("apps") or []):
        return Err('error: nonexistent app "%s"' % app)
    if pid > 0:
        args = ["--debug=%s" % str(ctx.debug).lower(), "--app=%s" % app]
        err = crossing(ctx, p, pid, EP_APP_STOP, args)
        if err is not None:
            return err
        err = crossing(ctx, p, pid, EP_APP_RM, args)
        if err is not None:
            return err
    app_rootfs = os.path.join(stage1_rootfs(d), "opt", "stage2", app, "rootfs")
    if p.uses_overlay():
        tree_id = read_file(os.path.join(d, "appsinfo", app, "treeStoreID")).decode()
        try:
            sys_umount(app_rootfs)
        except OSError as e:
            if e.errno != errno.ENOENT:
                return go_err(e)
        img_dir = os.path.join(d, "overlay", tree_id)
        try:
            for sub in ("upper", "work"):
                rm_rf_onefs(os.path.join(img_dir, sub, app))
            for sub in ("upper", "work", ""):
                try:
                    os.rmdir(os.path.join(img_dir, sub) if sub else img_dir)
                except OSError:
                    pass
        except (Err, OSError) as e:
            return Err("error removing app info directory", go_err(e))
    try:
        rm_rf_onefs(os.path.join(d, "appsinfo", app))
    except (Err, OSError) as e:
        return Err("error removing app info directory", go_err(e))
    rm_rf_onefs(os.path.join(stage1_rootfs(d), "opt", "stage2", app))
    root = p.stage1_read_root()
    for f in (os.path.join(root, "rkt", "status", app), os.path.join(root, "rkt", "env", app)):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass
    pm["apps"] = [ra for ra in pm["apps"] if ra["name"] != app]
    p.update_manifest(pm)
    return None


def attach_flags(mode):
    """rkt's createStage1AttachFlags."""
    if mode == "list":
        return ["--action=list"]
    if mode in ("auto", ""):
        return ["--action=auto-attach"]
    ep = dict.fromkeys(("tty-in", "tty-out", "stdin", "stdout", "stderr"), False)
    for e in mode.split(","):
        if e in ("stdin", "stdout", "stderr", "tty-in", "tty-out"):
            ep[e] = True
        elif e == "tty":
            ep["tty-in"] = ep["tty-out"] = True
        else:
            raise Err('unknown endpoint "%s"' % e)
    if not any(ep.values()):
        raise Err("mode must specify at least one endpoint to attach")
    if (ep["tty-in"] or ep["tty-out"]) and (ep["stdin"] or ep["stdout"] or ep["stderr"]):
        raise Err('incompatible endpoints "%s", cannot simultaneously attach TTY and streams' % mode)
    return ["--action=custom-attach"] + ["--%s=%s" % (k, str(ep[k]).lower())
                                         for k in ("tty-in", "tty-out", "stdin", "stdout", "stderr")]


def cmd_attach(ctx, args):
    log = Logger("attach")
    vals, pos, _ = parse_flags(args, {"app": (STR, ""), "mode": (STR, "auto")})
    if len(pos) != 1:
        raise UsageError("attach takes one UUID")
    p, pid = running_pod_pid(ctx, pos[0], log)
    app = app_name_for(p, vals["app"], log)
    try:
        p.stage1_tree_id()
    except OSError as e:
        raise fatal_e(log, "error getting stage1 treeStoreID", e)
    try:
        aargs = attach_flags(vals["mode"])
    except Err as e:
        raise fatal_e(log, "invalid attach mode", e)
    aargs += ["--app=%s" % app, "--debug=%s" % str(ctx.debug).lower()]
    p.leak_fd()
    err = crossing(ctx, p, pid, EP_ATTACH, aargs, interactive=True)
    if err is not None:
        raise fatal_e(log, "attach failed", err)
    return 0


# --------------------------------------------------------------------- gc

def gc_entrypoint(ctx, p):
    """stage0.GC: fork/exec in the exited-garbage dir, env + PWD, stdin and
    stdout /dev/null, stderr inherited."""
    d = p.path
    try:
        v = stage1_interface_version(d)
    except Err as e:
        return Err("Could not determine stage1 version", e)
    try:
        ep = stage1_entrypoint(d, EP_GC)
    except Err as e:
        return Err("error determining 'gc' entrypoint", e)
    args = [ep_path(stage1_rootfs(d), ep)]
    if ctx.debug:
        args.append("--debug")
    if v >= 5 and ctx.local_config:
        args += ["--local-config", ctx.local_config]
    args.append(p.uuid)
    debug("Execing %s" % args)
    env = dict(os.environ)
    env["PWD"] = d
    try:
        r = subprocess.run(args, cwd=d, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, close_fds=False)
    except OSError as e:
        return go_err(e)
    return None if r.returncode == 0 else Err(go_exit_error(r.returncode))


def mount_pod_stage1(ctx, p):
    """rkt gc's mountPodStage1: re-mount the stage1 overlay if it is gone."""
    if not p.uses_overlay():
        return False
    tree_id = p.stage1_tree_id()
    target = stage1_rootfs(p.path)
    if is_mountpoint(target):
        return False
    img = os.path.join(p.path, "overlay", tree_id)
    ensure_shared_datadir(ctx.datadir)
    try:
        overlay_mount(ctx.store.rootfs(tree_id), os.path.join(img, "upper"), os.path.join(img, "work"), target)
    except OSError as e:
        if e.errno == errno.EBUSY:
            Logger("gc").print("mount detected on stage1 target, skipping overlay mount")
            return False
        raise Err("error mounting stage1", go_err(e))
    return True


def delete_pod(ctx, p, log):
    """rkt's deletePod."""
    state = p.state()
    if state not in ("exited garbage", "garbage", "exited deleting"):
        log.print('non-garbage pod "%s" (status "%s"), skipped' % (p.uuid, state))
        return False
    if state == "exited garbage" or p.dirstate == "exited-garbage":
        p.leak_fd()
        try:
            new_mount = mount_pod_stage1(ctx, p)
        except (Err, OSError) as e:
            log.print_e("skipping stage1 GC", e)
        else:
            err = gc_entrypoint(ctx, p)
            if err is not None:
                log.print_e('problem performing stage1 GC on "%s"' % p.uuid, err)
            if p.uses_overlay() and new_mount:
                try:
                    sys_umount(stage1_rootfs(p.path))
                except OSError as e:
                    if e.errno != errno.EBUSY:
                        log.print_e("error unmounting stage1", e)
        p.close_leak()
        problems = chroot_private_unmount(p.path)
        if problems:
            log.print_e('GC of leftover mounts for pod "%s" failed' % p.uuid,
                        Err("; ".join(problems)))
            return False
    try:
        rm_rf_onefs(p.stage1_read_root())
    except (Err, OSError) as e:
        log.print_e('unable to remove pod rootfs "%s"' % p.uuid, e)
        return False
    try:
        rm_rf_onefs(p.path)
    except (Err, OSError) as e:
        log.print_e('unable to remove pod "%s"' % p.uuid, e)
        return False
    return True


def cmd_gc(ctx, args):
    log = Logger("gc")
    vals, pos, _ = parse_flags(args, {"grace-period": (STR, "30m"), "expire-prepared": (STR, "24h"),
                                      "mark-only": (BOOL, False)})
    if pos:
        raise UsageError("gc takes no arguments")
    grace = parse_duration(vals["grace-period"], "--grace-period")
    expire = parse_duration(vals["expire-prepared"], "--expire-prepared")
    init_pods(ctx.datadir)
    for u in list_pods(ctx.datadir, ("run",)):
        p = Pod(ctx.datadir, u)
        if p.state() == "exited":
            log.print('moving pod "%s" to garbage' % u)
            try:
                os.rename(p.path, os.path.join(ctx.datadir, "pods", "exited-garbage", u))
            except OSError as e:
                log.print_e("rename error", e)
        p.close()
    for u in list_pods(ctx.datadir, ("prepare",)):
        p = Pod(ctx.datadir, u)
        if p.state() == "aborted prepare":
            log.print('moving failed prepare "%s" to garbage' % u)
            try:
                os.rename(p.path, os.path.join(ctx.datadir, "pods", "garbage", u))
            except OSError as e:
                log.print_e("rename error", e)
        p.close()
    if vals["mark-only"]:
        return 0
    for u in list_pods(ctx.datadir, ("prepared",)):
        p = Pod(ctx.datadir, u)
        if p.dirstate == "prepared" and time.time() > os.lstat(p.path).st_ctime + expire:
            log.print('moving expired prepared pod "%s" to garbage' % u)
            try:
                os.rename(p.path, os.path.join(ctx.datadir, "pods", "garbage", u))
            except OSError as e:
                log.print_e("rename error", e)
        p.close()
    for u in list_pods(ctx.datadir, ("exited-garbage",)):
        p = Pod(ctx.datadir, u)
        if p.dirstate != "exited-garbage":
            p.close()
            continue
        if time.time() >= os.lstat(p.path).st_ctime + grace:
            p.lock_exclusive()
            out('Garbage collecting pod "%s"' % u)
            delete_pod(ctx, p, log)
        else:
            log.print('pod "%s" not removed: still within grace period (%s)' % (u, vals["grace-period"]))
        p.close()
    for u in list_pods(ctx.datadir, ("garbage",)):
        p = Pod(ctx.datadir, u)
        if p.dirstate == "garbage":
            p.lock_exclusive()
            out('Garbage collecting pod "%s"' % u)
            delete_pod(ctx, p, log)
        p.close()
    return 0


def cmd_rm(ctx, args):
    log = Logger("rm")
    vals, pos, _ = parse_flags(args, {"uuid-file": (STR, None)})
    if vals["uuid-file"] and not pos:
        pos = [read_file(vals["uuid-file"]).decode().strip()]
    if not pos:
        raise UsageError("rm takes one or more UUIDs")
    ret = 0
    for u in pos:
        try:
            p = load_pod(ctx.datadir, u)
        except Err as e:
            log.print_e("cannot get pod", e)
            ret = EXIT_ERR
            continue
        ok = True
        st = p.state()
        if st == "running":
            log.print('pod "%s" is currently running' % p.uuid)
            ok = False
        elif st in ("embryo", "preparing"):
            log.print('pod "%s" is currently being prepared' % p.uuid)
            ok = False
        elif st == "deleting":
            log.print('pod "%s" is currently being deleted' % p.uuid)
            ok = False
        elif st in ("aborted prepare", "prepared"):
            log.print('moving %s pod "%s" to garbage' % (
                "failed prepare" if st == "aborted prepare" else "expired prepared", p.uuid))
            os.rename(p.path, os.path.join(ctx.datadir, "pods", "garbage", p.uuid))
            p.dirstate = "garbage"
        elif st == "exited":
            os.rename(p.path, os.path.join(ctx.datadir, "pods", "exited-garbage", p.uuid))
            p.dirstate = "exited-garbage"
        if ok:
            p.lock_exclusive()
            ok = delete_pod(ctx, p, log)
        if ok:
            out('"%s"' % p.uuid)
        else:
            ret = EXIT_ERR
        p.close()
    if ret:
        log.print("failed to remove one or more pods")
    return ret


# ------------------------------------------------------------------- main

COMMANDS = {
    "fetch": cmd_fetch, "prepare": cmd_prepare, "run": cmd_run,
    "run-prepared": cmd_run_prepared, "app-sandbox": cmd_app_sandbox,
    "status": cmd_status, "enter": cmd_enter, "stop": cmd_stop, "gc": cmd_gc,
    "rm": cmd_rm, "app-add": cmd_app_add, "app-start": cmd_app_start,
    "app-stop": cmd_app_stop, "app-rm": cmd_app_rm, "app-list": cmd_app_list,
    "app-status": cmd_app_status, "attach": cmd_attach,
}
# rkt's command names, used as the message prefix.
LOG_NAMES = {"run-prepared": "run-prepared", "app-sandbox": "sandbox", "app-add": "add",
             "app-start": "start", "app-stop": "stop", "app-rm": "rm", "app-list": "list",
             "app-status": "status"}


def split_globals(argv):
    """Global flags come before the command; they may also be repeated after
    it (like rkt's persistent flags).  Returns (globals, command, rest)."""
    g = {k: d for k, (_, d) in GLOBAL_SPEC.items()}
    i = 0
    while i < len(argv) and argv[i].startswith("--") and argv[i] != "--":
        name, eq, value = argv[i][2:].partition("=")
        if name == "help":
            return g, "help", []
        if name not in GLOBAL_SPEC:
            raise UsageError("unknown global flag: --%s (global flags go before the command)" % name)
        if GLOBAL_SPEC[name][0] == BOOL:
            g[name] = parse_bool(name, value) if eq else True
        else:
            if not eq:
                i += 1
                if i >= len(argv):
                    raise UsageError("flag needs an argument: --%s" % name)
                value = argv[i]
            g[name] = value
        i += 1
    if i >= len(argv):
        raise UsageError("no command given")
    cmd, rest = argv[i], argv[i + 1:]
    # global flags after the command (before any "--")
    keep = []
    j = 0
    while j < len(rest):
        a = rest[j]
        if a == "--" or (cmd == "enter" and not a.startswith("--")):
            keep += rest[j:]
            break
        name, eq, value = a[2:].partition("=") if a.startswith("--") else ("", "", "")
        if name in ("dir", "local-config", "insecure-options"):
            if not eq:
                j += 1
                if j >= len(rest):
                    raise UsageError("flag needs an argument: --%s" % name)
                value = rest[j]
            g[name] = value
        elif name == "debug":
            g["debug"] = parse_bool(name, value) if eq else True
        else:
            keep.append(a)
        j += 1
    return g, cmd, keep


def main(argv):
    global DEBUG, CMD_NAME
    try:
        g, cmd, rest = split_globals(argv)
        if cmd in ("help", "-h"):
            sys.stdout.write(USAGE)
            return 0
        if cmd not in COMMANDS:
            raise UsageError("unknown command %r" % cmd)
        CMD_NAME = LOG_NAMES.get(cmd, cmd)
        ctx = Ctx(g)
        DEBUG = ctx.debug
        return COMMANDS[cmd](ctx, rest) or 0
    except UsageError as e:
        sys.stderr.write("stage0.py: %s\n%s" % (e, USAGE))
        return EXIT_USAGE
    except Fatal as e:
        sys.stderr.write(str(e) + "\n")
        return e.code
    except Err as e:
        Logger(CMD_NAME).print_e("", e)
        return EXIT_ERR


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
