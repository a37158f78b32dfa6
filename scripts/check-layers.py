#!/usr/bin/env python3
"""Check the code's layers (docs/architecture.md "Layers"); run by ctest as `layers`.

usage: check-layers.py SRC_DIR BUILD_DIR

Three rules, each failure printed with what to do:
  1. A file includes only headers of its own layer or of the layers it may use
     (the LAYERS table below), read from its #include lines.
  2. The same for calls: every symbol an object file needs (nm) is resolved to
     the file that defines it, and that file must be in an allowed layer.
  3. No two files call each other in a circle, inside a layer or across
     (strongly connected sets of the file-level call graph).
and a fourth: no product source file is longer than MAX_LINES.
"""
import collections
import glob
import os
import re
import subprocess
import sys

MAX_LINES = 800

# Layer -> the layers it may use (besides itself).  Longest prefix wins (a prefix may name files:
# "stage0/images" is stage0/images.c and .h).
LAYERS = {
    "common/": [],
    "iomux/": ["common/"],
    "logger/": ["iomux/", "common/"],       # a log sink is an iomux sink
    "net/": ["common/"],
    "image/": ["common/"],
    "stage0/": ["common/"],                 # podstage0: no image code (stage0/source.h)
    "stage0/images": ["stage0/", "image/", "common/"],  # podstage0img: stage0/images.[ch]
    "init/isolate/": ["common/"],
    "init/core/": ["init/isolate/", "logger/", "iomux/", "common/"],
    "init/control/": ["init/core/", "init/isolate/", "logger/", "iomux/", "common/"],
    "init/": ["init/control/", "init/core/", "init/isolate/", "net/", "logger/", "iomux/", "common/",
              "stage1/"],                   # main.c dispatches to the stage1 entrypoints
    "stage1/": ["stage0/", "image/", "net/", "common/"],     # gc tears a pod's networks down
    "cli/": ["stage0/images", "stage0/", "image/", "net/", "common/"],
    "shim/": ["stage0/", "net/", "common/"],    # containerd-shim-podinit-v2: rootfs apps only, no image code
}
# Not product code: not checked (tests and benchmarks may use anything).
SKIP = ("tests/", "bench/", "build", "image/mkstage1.c")


def layer_of(path):
    best = None
    for prefix in LAYERS:
        if path.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def allowed(src, dst):
    a, b = layer_of(src), layer_of(dst)
    return a is None or b is None or a == b or b in LAYERS[a]


def sources(src_dir):
    out = []
    for dirpath, _, files in os.walk(src_dir):
        rel = os.path.relpath(dirpath, src_dir)
        if rel.startswith(".") and rel != ".":
            continue
        for f in files:
            if f.endswith((".c", ".h")):
                p = os.path.normpath(os.path.join(rel, f))
                if not p.startswith(SKIP) and layer_of(p):
                    out.append(p)
    return sorted(out)


def main():
    src_dir, build_dir = sys.argv[1], sys.argv[2]
    errors = []

    files = sources(src_dir)
    for f in files:
        with open(os.path.join(src_dir, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        n = text.count("\n")
        if n > MAX_LINES:
            errors.append(f"{f}: {n} lines, over {MAX_LINES}: split it by responsibility (docs/architecture.md)")
        for m in re.finditer(r'^#include "([^"]+)"', text, re.M):
            inc = m.group(1)
            if not allowed(f, inc):
                errors.append(f"{f}: includes {inc}, a layer it may not use "
                              f"({layer_of(f)} uses {', '.join(LAYERS[layer_of(f)]) or 'nothing else'})")

    defs, needs = {}, {}
    objs = glob.glob(os.path.join(build_dir, "CMakeFiles", "*", "**", "*.o"), recursive=True)
    for o in objs:
        src = o.split(".dir/", 1)[1][:-2]
        if src.startswith(SKIP) or not layer_of(src) or not os.path.exists(os.path.join(src_dir, src)):
            continue            # tests, tools, and objects of files that no longer exist
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        needs.setdefault(src, set())
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBR":
                defs[p[2]] = src
            elif len(p) == 2 and p[0] == "U":
                needs[src].add(p[1])
    if not needs:
        errors.append(f"no object files under {build_dir}: build first")

    edges = collections.defaultdict(lambda: collections.defaultdict(set))
    for src, syms in needs.items():
        for s in syms:
            d = defs.get(s)
            if d and d != src:
                edges[src][d].add(s)
                if not allowed(src, d):
                    errors.append(f"{src}: calls {s} in {d}, a layer it may not use")

    # Tarjan's strongly connected components, iteratively.
    index, low, on, stack, sccs, counter = {}, {}, set(), [], [], [0]
    for root in sorted(needs):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    sccs.append(sorted(comp))
    for comp in sccs:
        detail = "; ".join(f"{a} -> {b} ({', '.join(sorted(edges[a][b])[:4])})"
                           for a in comp for b in sorted(edges[a]) if b in comp)
        errors.append(f"call circle among {', '.join(comp)}: {detail}. "
                      "Move what both need below them, or let the lower one emit an event")

    for e in errors:
        print("layers:", e)
    print(f"layers: {len(files)} files, {len(needs)} objects checked, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
