#!/usr/bin/env bash
# bench/k8s.sh BUILD_DIR -- Kubernetes pods through containerd's CRI (issue
# 19): podinit's containerd shim next to containerd's runc v2 shim with runc
# (and with crun through the same shim's BinaryName), driven by the test CRI
# client (tests/lib/cri/cri.py) as the kubelet drives a node, side by side
# and interleaved in one run, on a private containerd 1.6
# (tests/lib/containerd.sh).
#
# 1. Latency: a pod of one container, from nothing to running
#    (RunPodSandbox + CreateContainer + StartContainer) and back to nothing
#    (StopContainer + RemoveContainer + StopPodSandbox + RemovePodSandbox),
#    each call timed, rounds interleaved with the order rotating.
# 2. Memory per pod, with 1 and with 3 containers (`/probe sleep 3600`): the
#    processes the runtime adds to a pod, i.e. the sandbox's shim, everything
#    under it and the sandbox's own process (runc: the shim and the pause
#    process; podinit: its shim and PID 1), minus the containers' own
#    processes (the same in every variant).  Summed Private_Dirty, PSS and
#    USS from /proc/PID/smaps_rollup, after a settle of BENCH_SETTLE
#    seconds; and the kernel's view: the pod cgroup's memory.usage_in_bytes
#    and memory.kmem.usage_in_bytes (cgroup v1; the pod's processes,
#    containers included, not the shim).
# 3. Memory per pod with BENCH_K8S_PODS (5) one-container pods at once: the
#    same processes, their binaries' pages shared between the pods as on a
#    busy node, and /proc/meminfo's Slab, SUnreclaim, KernelStack and
#    PageTables deltas per pod (machine-wide).
#
# The pods use the host's network (no CNI: what containerd does for the
# network is the same for every runtime).  The variant podinit runs only
# when BUILD_DIR/containerd-shim-podinit-v2 exists ("podinit: shim not
# built" otherwise); crun only when crun is installed.
#
# Environment: BENCH_OUT (default /tmp/podinit-bench/k8s.md), BENCH_WORK,
# BENCH_RUNS (10), BENCH_WARMUP (2), BENCH_MEM_RUNS (3, per variant and
# size), BENCH_K8S_PODS (5; 0 skips part 3), BENCH_SETTLE (1 s),
# BENCH_TIMEOUT (290), BENCH_KEEP=1.
set -euo pipefail
export LC_ALL=C
prog=bench/k8s.sh
# shellcheck source=bench/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_start "$@"
need_tools containerd ctr containerd-shim-runc-v2 runc python3 awk ps timeout
command -v protoc >/dev/null 2>&1 || missing+=("protoc (Debian package protobuf-compiler)")
/usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null ||
    missing+=("python3 grpc and protobuf modules (Debian packages python3-grpcio python3-protobuf)")
check_missing
[ -r /proc/self/smaps_rollup ] || die "/proc/PID/smaps_rollup is missing (Linux >= 4.14 needed)"

out=${BENCH_OUT:-/tmp/podinit-bench/k8s.md}
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-2}
mem_runs=${BENCH_MEM_RUNS:-3}
settle=${BENCH_SETTLE:-1}
npods=${BENCH_K8S_PODS:-5}
whole_number BENCH_RUNS "$runs" 3
whole_number BENCH_WARMUP "$warmup"
whole_number BENCH_MEM_RUNS "$mem_runs" 1
whole_number BENCH_SETTLE "$settle"
whole_number BENCH_K8S_PODS "$npods"
whole_number BENCH_TIMEOUT "${BENCH_TIMEOUT:-290}" 1

# containerd, its shims and their mounts live in our mount namespace only.
private_mount_ns PODINIT_BENCH_K8S_IN_NS
exec </dev/null

make_work "${BENCH_WORK:-/tmp/podinit-bench/k8s-work}" .podinit-bench-k8s BENCH_WORK
shim=""
if [ -x "$build/containerd-shim-podinit-v2" ]; then
    copy_binaries containerd-shim-podinit-v2
    shim=$work/bin/containerd-shim-podinit-v2
else
    copy_binaries
fi
# shellcheck source=tests/lib/containerd.sh
. "$src/tests/lib/containerd.sh"
cleanup_extra() { containerd_stop >/dev/null 2>&1; }
install_cleanup
start_watchdog "${BENCH_TIMEOUT:-290}"

variants=(runc)
notes=()
if command -v crun >/dev/null 2>&1; then
    variants+=(crun)
    # crun refuses hybrid cgroups with v2 controllers; in our namespace the
    # list reads empty (for every variant alike).
    crun_root=$work/crun-unused
    crun_setup cgroupfs
    notes+=("crun: the runc v2 shim with BinaryName crun; $crun_note")
else
    notes+=("crun: not installed (Debian package crun), skipped")
fi
if [ -n "$shim" ]; then
    variants+=(podinit)
else
    say "podinit: shim not built ($build/containerd-shim-podinit-v2 missing); measuring the others"
    notes+=("podinit: shim not built ($build/containerd-shim-podinit-v2 missing)")
fi

say "starting containerd in $work/ctd"
# The podinit shims' pods and sockets under the work directory, not /run/podinit-shim
# (containerd passes its environment on to the shims).
export PODINIT_SHIM_STATE_DIR=$work/pshim
CONTAINERD_SHIM_DIR=$work/bin containerd_start "$work/ctd" >>"$log" 2>&1 || fail_run "containerd_start" $?
containerd_images "$probe" k8s.io >>"$log" 2>&1 || fail_run "containerd_images" $?

say "${#variants[@]} variants (${variants[*]}): $runs rounds after $warmup warm-up, then memory with 1 and 3 containers"
notes_text=$(printf '%s\n' "${notes[@]}")
/usr/bin/python3 - "$src/tests/lib/cri" "$CONTAINERD_SOCK" "$work" "$CONTAINERD_CGROUP_PARENT" \
    "$CONTAINERD_BUSYBOX" "$runs" "$warmup" "$mem_runs" "$settle" "$npods" "$CONTAINERD_PID" "$out" "$(machine_line)" \
    "$notes_text" "${variants[@]}" <<'EOF'
import os, statistics, sys, time

(libdir, sock, work, cgparent, image, runs, warmup, mem_runs, settle, npods, ctd_pid, out, machine,
 notes) = sys.argv[1:15]
variants = sys.argv[15:]
runs, warmup, mem_runs, settle = int(runs), int(warmup), int(mem_runs), float(settle)
npods, ctd_pid = int(npods), int(ctd_pid)
sys.path.insert(0, libdir)
import cri

c = cri.Client(sock, timeout=60)
pb = c.pb
logdir = os.path.join(work, "podlogs")
os.makedirs(logdir, exist_ok=True)
seq = [0]


def sandbox_config(name):
    return c.message("PodSandboxConfig", {
        "metadata": {"name": name, "uid": "uid-" + name, "namespace": "bench"},
        "log_directory": os.path.join(logdir, name),
        "linux": {"cgroup_parent": "%s/%s" % (cgparent, name),
                  "security_context": {"namespace_options": {"network": "NODE", "pid": "CONTAINER"}}}})


def container_config(name):
    return c.message("ContainerConfig", {
        "metadata": {"name": name}, "image": {"image": image},
        "command": ["/probe", "sleep", "3600"], "log_path": name + ".log"})


def now():
    return time.monotonic_ns()


def pod_up(variant, ncont):
    seq[0] += 1
    name = "%s-%d" % (variant, seq[0])
    sbc = sandbox_config(name)
    t = [now()]
    sb = c.call("RunPodSandbox", config=sbc, runtime_handler=variant).pod_sandbox_id
    t.append(now())
    cids = []
    for i in range(ncont):
        cids.append(c.call("CreateContainer", pod_sandbox_id=sb, config=container_config("c%d" % i),
                           sandbox_config=sbc).container_id)
    t.append(now())
    for cid in cids:
        c.call("StartContainer", container_id=cid)
    t.append(now())
    return sb, cids, t


def pod_down(sb, cids):
    t = [now()]
    for cid in cids:
        c.call("StopContainer", container_id=cid, timeout=10)
    t.append(now())
    for cid in cids:
        c.call("RemoveContainer", container_id=cid)
    t.append(now())
    c.call("StopPodSandbox", pod_sandbox_id=sb)
    t.append(now())
    c.call("RemovePodSandbox", pod_sandbox_id=sb)
    t.append(now())
    return t


def ms(a, b):
    return (b - a) / 1e6


# A first pod per variant: one that cannot run a pod is reported, not measured.
for v in list(variants):
    try:
        sb, cids, _ = pod_up(v, 1)
        c.wait_state(cids[0], "CONTAINER_RUNNING", 10)
        pod_down(sb, cids)
    except cri.CRIError as e:
        if v == "runc":
            sys.exit("bench/k8s.sh: runc cannot run a pod: %s" % e)
        notes += "\n%s: left out, its first pod failed: %s" % (v, e)
        sys.stderr.write("bench/k8s.sh: %s: left out, its first pod failed: %s\n" % (v, e))
        variants.remove(v)
        for p in c.call("ListPodSandbox").items:
            if p.runtime_handler == v:
                try:
                    c.call("StopPodSandbox", pod_sandbox_id=p.id)
                    c.call("RemovePodSandbox", pod_sandbox_id=p.id)
                except cri.CRIError:
                    pass

# ------------------------------------------------------------- latency
steps = ["runp", "create", "start", "stop", "rm", "stopp", "rmp"]
lat = {v: {k: [] for k in steps + ["up", "down", "total"]} for v in variants}
for r in range(warmup + runs):
    order = variants[r % len(variants):] + variants[:r % len(variants)]
    for v in order:
        sb, cids, tu = pod_up(v, 1)
        if c.state(cids[0]) != "CONTAINER_RUNNING":
            sys.exit("bench/k8s.sh: %s: the container is not running after StartContainer" % v)
        td = pod_down(sb, cids)
        if r < warmup:
            continue
        d = lat[v]
        for i, k in enumerate(steps[:3]):
            d[k].append(ms(tu[i], tu[i + 1]))
        for i, k in enumerate(steps[3:]):
            d[k].append(ms(td[i], td[i + 1]))
        d["up"].append(ms(tu[0], tu[-1]))
        d["down"].append(ms(td[0], td[-1]))
        d["total"].append(ms(tu[0], tu[-1]) + ms(td[0], td[-1]))


# -------------------------------------------------------------- memory
def children():
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            ppid = int(open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(p))
    return kids


def tree(roots, kids):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(kids.get(p, []))
    return seen


def shims_of(sb):
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            argv = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
        except OSError:
            continue
        if b"-address" in argv and sock.encode() in argv and sb.encode() in argv:
            found.append(int(p))
    return found


def rollup(pid):
    v = {}
    for line in open("/proc/%d/smaps_rollup" % pid):
        f = line.split()
        if len(f) >= 2 and f[0].endswith(":") and f[1].isdigit():
            v[f[0][:-1]] = int(f[1])
    return (v.get("Private_Dirty", 0), v.get("Pss", 0),
            v.get("Private_Clean", 0) + v.get("Private_Dirty", 0))


def cg_read(ctrl, name, f):
    try:
        return int(open("/sys/fs/cgroup/%s%s/%s/%s" % (ctrl, cgparent, name, f)).read())
    except (OSError, ValueError):
        return None


def info_pid(resp):
    import json
    try:
        return int(json.loads(resp.info["info"])["pid"])
    except (KeyError, ValueError):
        return 0


def parent_of(p):
    try:
        return int(open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def ancestors(p, stop):
    """P's ancestors below host init, containerd and this script's own."""
    out = set()
    p = parent_of(p)
    while p > 1 and p not in stop:
        out.add(p)
        p = parent_of(p)
    return out


own = {os.getpid()} | ancestors(os.getpid(), set())
stop = own | {ctd_pid}


def runtime_procs(sb, cids, kids):
    """The processes the runtime adds to pod SB: its shims and all under
    them, the sandbox's process and all under it, and the ancestors of the
    sandbox's and the containers' processes (a pod's init that is not under
    its shim), minus the containers' own processes."""
    shims = shims_of(sb)
    if not shims:
        sys.exit("bench/k8s.sh: no shim process found for sandbox %s" % sb)
    sb_pid = info_pid(c.call("PodSandboxStatus", pod_sandbox_id=sb, verbose=True))
    cpids = [info_pid(c.call("ContainerStatus", container_id=x, verbose=True)) for x in cids]
    payload = tree([p for p in cpids if p], kids)
    mine = tree(shims, kids) | tree([sb_pid] if sb_pid else [], kids)
    for p in [sb_pid] + cpids:
        if p:
            mine |= ancestors(p, stop)
    return sorted(mine - payload)


def measure(procs):
    tot = [0, 0, 0]
    comms = []
    for p in procs:
        try:
            vals = rollup(p)
            comms.append(open("/proc/%d/comm" % p).read().strip())
        except OSError:
            continue
        tot = [a + b for a, b in zip(tot, vals)]
    return tot, comms


def meminfo():
    v = {}
    for line in open("/proc/meminfo"):
        k, rest = line.split(":", 1)
        v[k] = int(rest.split()[0])
    return v


KERNEL = ("Slab", "SUnreclaim", "KernelStack", "PageTables")

mem = {(v, n): [] for v in variants for n in (1, 3)}
procs_seen = {}
for r in range(mem_runs):
    for n in (1, 3):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for v in order:
            sb, cids, _ = pod_up(v, n)
            name = "%s-%d" % (v, seq[0])
            for cid in cids:
                c.wait_state(cid, "CONTAINER_RUNNING", 10)
            time.sleep(settle)          # let the shim and the pod go idle
            tot, comms = measure(runtime_procs(sb, cids, children()))
            procs_seen[v] = sorted(comms)
            usage = cg_read("memory", name, "memory.usage_in_bytes")
            kmem = cg_read("memory", name, "memory.kmem.usage_in_bytes")
            mem[(v, n)].append(tot + [len(comms), usage, kmem])
            pod_down(sb, cids)

# K one-container pods at once: per pod, the runtime's processes (now
# sharing their binaries' pages, as on a busy node) and the kernel's
# memory (meminfo deltas: machine-wide, containers included).
many = {}
if npods > 0:
    for v in variants:
        before = meminfo()
        pods = [pod_up(v, 1)[:2] for _ in range(npods)]
        for _, cids in pods:
            c.wait_state(cids[0], "CONTAINER_RUNNING", 10)
        time.sleep(settle)
        after = meminfo()
        kids = children()
        tot, comms = measure(sorted(set().union(*[set(runtime_procs(sb, cids, kids)) for sb, cids in pods])))
        many[v] = [x / npods for x in tot] + [len(comms) / npods] + \
            [(after[k] - before[k]) / npods for k in KERNEL]
        for sb, cids in pods:
            pod_down(sb, cids)


# -------------------------------------------------------------- report
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def p90(xs):
    s = sorted(xs)
    return s[max(0, -(-9 * len(s) // 10) - 1)]


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b is not None and a >= 0 and b > 0 else "-"


def fmt_kb(x):
    return "-" if x is None else "%.0f" % x


base = "runc"
others = [v for v in variants if v != base]
o = []
o.append("# Kubernetes pods through containerd's CRI (%d interleaved rounds after %d warm-up)\n" % (runs, warmup))
o.append(machine + "\n")
o.append("\n".join("- " + n for n in notes.split("\n") if n) + "\n")
o.append("## Latency: a pod of one container, up and down (ms, median (p90))\n")
o.append("| variant | RunPodSandbox | CreateContainer | StartContainer | up | StopContainer | RemoveContainer | StopPodSandbox | RemovePodSandbox | down | total |")
o.append("|---|" + "---:|" * 10)
for v in variants:
    d = lat[v]
    o.append("| %s | %s |" % (v, " | ".join("%.1f (%.1f)" % (med(d[k]), p90(d[k]))
                                          for k in steps[:3] + ["up"] + steps[3:] + ["down", "total"])))
if others:
    o.append("\n| ratio (medians) | up | down | total | goal |\n|---|---:|---:|---:|---|")
    for v in others:
        o.append("| %s / runc | %s | %s | %s | %s |" % (
            v, ratio(med(lat[v]["up"]), med(lat[base]["up"])), ratio(med(lat[v]["down"]), med(lat[base]["down"])),
            ratio(med(lat[v]["total"]), med(lat[base]["total"])), "<= 0.7" if v == "podinit" else ""))
o.append("\n## Memory per pod (kB, median of %d pods; the runtime's processes, not the containers')\n" % mem_runs)
o.append("| variant | containers | processes | Private_Dirty | PSS | USS | pod cgroup usage | pod cgroup kmem |")
o.append("|---|---:|---:|---:|---:|---:|---:|---:|")
for v in variants:
    for n in (1, 3):
        rows = mem[(v, n)]
        col = lambda i: med([r[i] for r in rows])
        u, k = col(4), col(5)
        o.append("| %s | %d | %s | %s | %s | %s | %s | %s |" % (
            v, n, fmt_kb(col(3)), fmt_kb(col(0)), fmt_kb(col(1)), fmt_kb(col(2)),
            fmt_kb(u / 1024 if u is not None else None), fmt_kb(k / 1024 if k is not None else None)))
o.append("\nProcesses counted (last pod of each variant): " +
         "; ".join("%s: %s" % (v, ", ".join(procs_seen.get(v, []))) for v in variants) + ".")
if others:
    o.append("\n| ratio (medians) | containers | Private_Dirty | PSS | USS | goal |\n|---|---:|---:|---:|---:|---|")
    for v in others:
        for n in (1, 3):
            a = [med([r[i] for r in mem[(v, n)]]) for i in range(3)]
            b = [med([r[i] for r in mem[(base, n)]]) for i in range(3)]
            o.append("| %s / runc | %d | %s | %s | %s | %s |" % (
                v, n, ratio(a[0], b[0]), ratio(a[1], b[1]), ratio(a[2], b[2]), "<= 0.5" if v == "podinit" else ""))
if many:
    o.append("\n## Memory per pod with %d one-container pods at once (kB per pod)\n" % npods)
    o.append("The runtime's processes as above, their binaries' pages now shared between the pods; and "
             "/proc/meminfo's kernel figures before and after starting them (machine-wide: the containers' "
             "processes and other activity count too).\n")
    o.append("| variant | processes | Private_Dirty | PSS | USS | %s |" % " | ".join(KERNEL))
    o.append("|---|" + "---:|" * (4 + len(KERNEL)))
    for v in variants:
        m = many[v]
        o.append("| %s | %.1f | %s |" % (v, m[3], " | ".join("%.0f" % x for x in m[:3] + m[4:])))
    if others:
        o.append("\n| ratio | Private_Dirty | PSS | USS | Slab | goal |\n|---|---:|---:|---:|---:|---|")
        for v in others:
            a, b = many[v], many[base]
            o.append("| %s / runc | %s | %s | %s | %s | %s |" % (
                v, ratio(a[0], b[0]), ratio(a[1], b[1]), ratio(a[2], b[2]), ratio(a[4], b[4]),
                "<= 0.5" if v == "podinit" else ""))
if "podinit" not in variants:
    o.append("\npodinit: " + ("shim not built" if "podinit: shim not built" in notes else "left out (see above)"))
text = "\n".join(o) + "\n"
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
open(out, "w").write(text)
print(text)
EOF
rc=$?
[ $rc -eq 0 ] || fail_run "the CRI benchmark" $rc
