#!/usr/bin/env bash
# bench/signal.sh BUILD_DIR -- how fast a SIGTERM to the init process reaches
# the app's handler, and how soon after it the init process has exited:
# podinit (the pod's launcher, the process rkt and systemd signal) next to
# tini and catatonit, interleaved in one run.
#
# The app is `/probe term-stamp FILE`: its SIGTERM handler writes the
# CLOCK_MONOTONIC time it ran (the host's clock: no time namespace), and exits
# 0.  The sender takes the same clock just before kill(2); the init's exit is
# when waitpid(2) returns it.  tini and catatonit run the probe directly (no
# namespaces); podinit runs it as a pod's one app (--net=none, the ACI
# directory copied into the pod), as `podctl run` in the foreground, which
# becomes the launcher.
#
# Environment: BENCH_OUT (default /tmp/podinit-bench/signal.md), BENCH_WORK,
# BENCH_RUNS (30), BENCH_WARMUP (3).
set -euo pipefail
prog=bench/signal.sh
# shellcheck source=bench/lib.sh
source "$(dirname -- "$0")/lib.sh"
bench_start "$@"
need_tools tini catatonit python3
check_missing
out=${BENCH_OUT:-/tmp/podinit-bench/signal.md}
runs=${BENCH_RUNS:-30}
warmup=${BENCH_WARMUP:-3}
whole_number BENCH_RUNS "$runs" 3
whole_number BENCH_WARMUP "$warmup"
private_mount_ns BENCH_SIGNAL_PRIVATE
make_work "${BENCH_WORK:-/tmp/podinit-bench/signal-work}" .bench-signal BENCH_WORK
copy_binaries
make_image "$work/img" --name example.com/bench
state=$work/state
state_dirs+=("$state")
install_cleanup
start_watchdog "${BENCH_TIMEOUT:-290}"

say "$runs rounds (after $warmup warm-up) of podinit (signalled through its launcher and at PID 1), tini and catatonit"
python3 - "$work" "$podctl" "$probe" "$runs" "$warmup" "$out" "$(machine_line)" <<'EOF'
import glob, os, select, statistics, subprocess, sys, time

work, podctl, probe, runs, warmup, out, machine = sys.argv[1:8]
runs, warmup = int(runs), int(warmup)
img, state = os.path.join(work, "img"), os.path.join(work, "state")


def wait_for(pred, what, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.0005)
    raise SystemExit("bench/signal.sh: timed out waiting for %s" % what)


def one(variant, n):
    stamp = os.path.join(work, "stamp-%s-%d" % (variant, n))
    pfd = None
    if variant.startswith("podinit"):
        argv = [podctl, "--dir=" + state, "run", "--net=none", "--console-format=none", img, "--name=app",
                "--exec=/probe", "--", "term-stamp", "/stamp"]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        f = wait_for(lambda: [p for p in glob.glob(state + "/pods/run/*/stage1/rootfs/opt/stage2/app/rootfs/stamp")
                              if os.path.exists(p)], "the pod's app")[0]
        # The pod is ready (every app exec'd) once supervisor-status exists.
        pod = f.split("/stage1/")[0]
        wait_for(lambda: os.path.islink(pod + "/stage1/rootfs/rkt/supervisor-status"), "the pod to be ready")
        pid1 = int(open(pod + "/pid").read())
        pfd = os.pidfd_open(pid1)
    else:
        init = ["tini", "-s", "--"] if variant == "tini" else ["catatonit", "--"]
        proc = subprocess.Popen(init + [probe, "term-stamp", stamp], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        f = wait_for(lambda: os.path.exists(stamp) and stamp, "the app")
    time.sleep(0.05)            # let the start settle
    t0 = time.monotonic_ns()
    os.kill(pid1 if variant == "podinit-pid1" else proc.pid, 15)
    t_pid1 = None
    if pfd is not None:
        # PID 1's end (its records written, the pod's namespaces torn down), then the launcher's.
        select.select([pfd], [], [], 20)
        t_pid1 = time.monotonic_ns()
        os.close(pfd)
    proc.wait()
    t_exit = time.monotonic_ns()
    stamped = int(wait_for(lambda: open(f).read().strip(), "the handler's stamp", 5))
    split = None if pfd is None else ((t_pid1 - stamped) / 1000.0, (t_exit - t_pid1) / 1000.0)
    if variant.startswith("podinit"):
        subprocess.run([podctl, "--dir=" + state, "gc"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        os.unlink(stamp)
    return (stamped - t0) / 1000.0, (t_exit - t0) / 1000.0, split


variants = ["podinit", "podinit-pid1", "tini", "catatonit"]
pid1_ms, launcher_ms = [], []
res = {v: ([], []) for v in variants}
for r in range(warmup + runs):
    order = variants[r % len(variants):] + variants[:r % len(variants)]
    for v in order:
        h, e, split = one(v, r)
        if r >= warmup:
            res[v][0].append(h)
            res[v][1].append(e)
            if split:
                pid1_ms.append(split[0])
                launcher_ms.append(split[1])

med = {v: (statistics.median(res[v][0]), statistics.median(res[v][1])) for v in variants}
p90 = {v: tuple(sorted(x)[int(0.9 * (len(x) - 1))] for x in res[v]) for v in variants}
with open(out, "w") as o:
    o.write("# SIGTERM to the init process (%d interleaved rounds after %d warm-up)\n\n%s\n\n" % (runs, warmup, machine))
    o.write("| init | SIGTERM -> app handler, median (p90), us | SIGTERM -> init exited, median (p90), us |\n|---|---:|---:|\n")
    for v in variants:
        o.write("| %s | %.0f (%.0f) | %.0f (%.0f) |\n" % (v, med[v][0], p90[v][0], med[v][1], p90[v][1]))
    o.write("\n| ratio | podinit / tini | podinit / catatonit | goal |\n|---|---:|---:|---|\n")
    o.write("| SIGTERM -> handler | %.2f | %.2f | <= 1.5 x tini |\n" % (med["podinit"][0] / med["tini"][0], med["podinit"][0] / med["catatonit"][0]))
    o.write("| SIGTERM -> exited | %.2f | %.2f | <= 1.5 x tini |\n" % (med["podinit"][1] / med["tini"][1], med["podinit"][1] / med["catatonit"][1]))
    o.write("| SIGTERM -> handler, sent to PID 1 (no launcher hop) | %.2f | %.2f | |\n" %
            (med["podinit-pid1"][0] / med["tini"][0], med["podinit-pid1"][0] / med["catatonit"][0]))
    o.write("\nWhere podinit's exit time goes (medians, us): the app's handler -> PID 1 gone %.0f (the app's"
            " exit drained, its log and status files synced and renamed, the pod's namespaces torn down);"
            " PID 1 gone -> launcher exited %.0f.  \"podinit-pid1\" sends SIGTERM to PID 1 itself, as"
            " `podctl stop` does, instead of to the launcher that rkt and systemd signal.\n" %
            (statistics.median(pid1_ms), statistics.median(launcher_ms)))
print(open(out).read())
EOF
