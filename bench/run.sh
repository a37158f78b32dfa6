#!/usr/bin/env bash
# bench/run.sh -- podinit's benchmarks, side by side with the floor and its peers.
#
# usage: bench/run.sh BUILD_DIR        (as root; `make bench` from the repo root)
#
# 1. Start latency of a one-app pod whose app is /probe (exit 0 / write-now):
#    time to the app's exec and time until the whole command returns, for
#    the floor (unshare + chroot), `crun run` of the same rootfs as an OCI
#    bundle (crun's default spec, and with podman's default seccomp
#    profile), podinit alone on an already prepared pod directory (with its
#    default isolation, and with seccomp, capabilities and paths off), and
#    `podctl run` (image copy included) from a directory image, an .aci and
#    with the state directory on tmpfs.  The variants are interleaved (their
#    order rotates every iteration) so that load from elsewhere on the
#    machine hits them alike.  The exit times are cross-checked with
#    hyperfine.
# 2. Idle memory (PSS) of the supervisor processes: podinit (PID 1 +
#    launcher) with 1 and with 50 sleeping apps, tini, catatonit, and conmon
#    watching one crun container.
#
# Environment: BENCH_OUT (results file, default /tmp/podinit-bench/results.md),
# BENCH_WORK (scratch, default /tmp/podinit-bench/work), BENCH_RUNS (30),
# BENCH_WARMUP (3), BENCH_TIMEOUT (whole-run budget in seconds, 290),
# BENCH_KEEP=1 (keep the scratch directory).
set -euo pipefail
export LC_ALL=C

prog=bench/run.sh
# shellcheck source=bench/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_start "$@"

# ------------------------------------------------------------------ checks
need_tools tini catatonit conmon crun hyperfine unshare chroot date sort mount umount awk tar ps sed stat timeout python3
podman_seccomp=/usr/share/containers/seccomp.json
need_file "$podman_seccomp" golang-github-containers-common
check_missing
[ -r /proc/self/smaps_rollup ] || die "/proc/PID/smaps_rollup is missing (Linux >= 4.14 needed)"

runs=${BENCH_RUNS:-30}
warmup=${BENCH_WARMUP:-3}
budget=${BENCH_TIMEOUT:-290}
out=${BENCH_OUT:-/tmp/podinit-bench/results.md}
whole_number BENCH_RUNS "$runs" 1
whole_number BENCH_WARMUP "$warmup"
whole_number BENCH_TIMEOUT "$budget"

# Everything runs in a private mount namespace of its own: our tmpfs and the
# crun workaround below never show on the host, and vanish with us.
private_mount_ns PODINIT_BENCH_IN_NS

exec </dev/null     # no console for the pods: podinit would look for a tty on stdin

# ------------------------------------------------------------- workspace
make_work "${BENCH_WORK:-/tmp/podinit-bench/work}" .podinit-bench BENCH_WORK
copy_binaries

crun_root=$work/crun-state
cm_dir=$work/conmon
tmpfs=$work/tmpfs
st_dir=$work/state-dir          # podctl run DIR-image
st_aci=$work/state-aci          # podctl run .aci
st_tmp=$tmpfs/state             # podctl run DIR-image, state on tmpfs
st_alone=$work/state-alone      # prepared pods for podinit alone
st_mem=$work/state-mem
state_dirs=("$st_dir" "$st_aci" "$st_alone" "$st_mem" "$st_tmp")
tmpfs_mounted=0

cleanup_extra() { [ "$tmpfs_mounted" = 1 ] && umount -l "$tmpfs"; }
install_cleanup
start_watchdog "$budget"

# --------------------------------------------------------------- helpers
stats_digits=2      # this script's tables are in hundredths of a ms


# podinit_marks VARIANT DIR UUID T0_US: the pod's own timestamps, relative to T0
podinit_marks() {
    local v=$1 dir=$2 uuid=$3 t0=$4 json podpart apppart ts=() ns
    json=$("$podctl" --dir="$dir" status --json "$uuid" | tr -d ' \n')
    podpart=${json%%\"apps\":*}
    apppart=${json#*\"apps\":}
    for re in "$podpart:startedAt" "$apppart:startedAt" "$apppart:execAt" "$apppart:exitedAt"; do
        [[ ${re%:*} =~ \"${re##*:}\":\"([^\"]+)\" ]] || { say "pod $uuid: no ${re##*:} in its status"; exit 1; }
        ts+=("${BASH_REMATCH[1]}")
    done
    mapfile -t ns < <(printf '%s\n' "${ts[@]}" | date -f - +%s%N)
    [ ${#ns[@]} -eq 4 ] || { say "pod $uuid: cannot parse its timestamps: ${ts[*]}"; exit 1; }
    record "$v" podup $((ns[0] / 1000 - t0))
    record "$v" fork $((ns[1] / 1000 - t0))
    record "$v" execat $((ns[2] / 1000 - t0))
    record "$v" appexit $((ns[3] / 1000 - t0))
}

# -------------------------------------------------------------- fixtures
say "building the image and the OCI bundle in $work"
img=$work/img
make_image "$img" --name example.com/bench --exec '["/probe","exit","0"]'
make_aci "$img" "$work/img.aci"
img_kb=$(du -sk "$img" | cut -f1)
aci_kb=$(du -k "$work/img.aci" | cut -f1)
img_files=$(find "$img" | wc -l)
floor_root=$work/floor-rootfs
cp -a "$img/rootfs" "$floor_root"

make_bundle "$img/rootfs"
# crun's default spec, edited: our args, no terminal, a writable root.
crun_config "$bundle/cfg-now.json" '"/probe", "write-now", "/t"'
crun_config "$bundle/cfg-true.json" '"/probe", "exit", "0"'
crun_config "$bundle/cfg-sleep.json" '"/probe", "sleep", "3600"'
# The same with podman's default seccomp profile (Docker's format, from
# containers-common), turned into the OCI form for this machine: rules for
# other architectures, or for capabilities the container does not hold, go.
python3 - "$podman_seccomp" "$bundle/cfg-now.json" "$bundle/cfg-now-seccomp.json" <<'PY'
import json, os, sys
prof, cfg = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
caps = set(cfg["process"]["capabilities"]["bounding"])
archs = [a for m in prof.get("archMap", []) if m["architecture"] == "SCMP_ARCH_" + {"amd64": "X86_64", "arm64": "AARCH64"}.get(arch, arch.upper())
         for a in [m["architecture"]] + m.get("subArchitectures", [])]
rules = []
for r in prof["syscalls"]:
    inc, exc = r.get("includes") or {}, r.get("excludes") or {}
    if inc.get("arches") and arch not in inc["arches"] or arch in (exc.get("arches") or []):
        continue
    if not set(inc.get("caps") or []) <= caps or set(exc.get("caps") or []) & caps:
        continue
    rule = {"names": r["names"], "action": r["action"]}
    for k in ("args", "errnoRet"):
        if r.get(k):
            rule[k] = r[k]
    rules.append(rule)
sc = {"defaultAction": prof["defaultAction"], "architectures": archs, "syscalls": rules}
if "defaultErrnoRet" in prof:
    sc["defaultErrnoRet"] = prof["defaultErrnoRet"]
cfg["linux"]["seccomp"] = sc
json.dump(cfg, open(sys.argv[3], "w"), indent=1)
PY

# crun creates its container's cgroups (--cgroup-manager=cgroupfs), as
# podinit creates the pod's.
crun_setup cgroupfs

mkdir -p "$tmpfs"
mount -t tmpfs -o size=512m,mode=0700 podinit-bench "$tmpfs"
tmpfs_mounted=1
mkdir -p "$st_tmp"

# Sanity: every runtime runs the probe once before we time anything.
"${crun_g[@]}" run -b "$bundle" -f "$bundle/cfg-true.json" bench-sanity >>"$log" 2>&1 ||
    fail_run "crun run (sanity check)" $?
"${crun_g[@]}" delete -f bench-sanity >/dev/null 2>&1 || true
"$podctl" --dir="$st_dir" run --net=none "$img" >>"$log" 2>&1 || fail_run "podctl run (sanity check)" $?
"$podctl" --dir="$st_dir" gc >/dev/null

# ------------------------------------------------ 1. start latency (own loop)
# Each variant runs the app `/probe write-now /t`: the app's first act is to
# write CLOCK_REALTIME, so (stamp - t0) is the time to its exec (plus a few
# microseconds of probe start-up, alike for all).  t0 is taken by this shell
# right before it forks the command; t1 right after the command returns.
# Every timed command starts after a `sync`: podinit and podctl fdatasync
# their state files, and on ext4 that would otherwise also flush whatever the
# previous variant (or its untimed clean-up) left dirty.

v_floor() {
    local t0 t1 w rc=0
    rm -f "$floor_root/t"
    sync
    t0=$(now_us)
    unshare --fork --pid --mount --uts --ipc chroot "$floor_root" /probe write-now /t >>"$log" 2>&1 || rc=$?
    t1=$(now_us)
    [ $rc -eq 0 ] || fail_run "floor (unshare + chroot)" $rc
    w=$(read_ns "$floor_root/t")
    record floor exec $((w / 1000 - t0))
    record floor total $((t1 - t0))
}

crun_seq=0
# crun_variant NAME CONFIG
crun_variant() {
    local v=$1 t0 t1 w rc=0 id=bench-$$-$((crun_seq++))
    rm -f "$bundle/rootfs/t"
    sync
    t0=$(now_us)
    "${crun_g[@]}" run -b "$bundle" -f "$bundle/$2" "$id" >>"$log" 2>&1 || rc=$?
    t1=$(now_us)
    "${crun_g[@]}" delete -f "$id" >/dev/null 2>&1 || true
    [ $rc -eq 0 ] || fail_run "crun run ($v)" $rc
    w=$(read_ns "$bundle/rootfs/t")
    record "$v" exec $((w / 1000 - t0))
    record "$v" total $((t1 - t0))
}
v_crun() { crun_variant crun cfg-now.json; }
v_crun_sec() { crun_variant crunsec cfg-now-seccomp.json; }

# podctl run with PODINIT=/bin/true: everything podctl does before it execs
# podinit (image copy, manifest, checks).  The prepared pod is then run by
# podinit alone (`podinit --net=none UUID` in the pod directory, exactly what
# podctl would exec, minus the inherited lock).
# alone_variant NAME [PODINIT FLAGS...]
alone_variant() {
    local v=$1 t0 t1 w rc=0 u
    shift
    "$podctl" --dir="$st_alone" gc >/dev/null
    sync
    t0=$(now_us)
    PODINIT=/bin/true "$podctl" --dir="$st_alone" run --net=none "$img" --exec=/probe -- write-now /t >>"$log" 2>&1 || rc=$?
    t1=$(now_us)
    [ $rc -eq 0 ] || fail_run "podctl run with PODINIT=/bin/true" $rc
    record prepare total $((t1 - t0))
    u=$(only_pod "$st_alone")
    cd "$st_alone/pods/run/$u"
    sync
    t0=$(now_us)
    "$podinit" --net=none "$@" "$u" >>"$log" 2>&1 || rc=$?
    t1=$(now_us)
    cd "$work"
    [ $rc -eq 0 ] || fail_run "podinit on a prepared pod ($v)" $rc
    w=$(read_ns "$st_alone/pods/run/$u/stage1/rootfs/opt/stage2/bench/rootfs/t")
    record "$v" exec $((w / 1000 - t0))
    record "$v" total $((t1 - t0))
    podinit_marks "$v" "$st_alone" "$u" "$t0"
}
v_alone() { alone_variant alone; }
v_alone_open() { alone_variant open --disable-seccomp --disable-capabilities-restriction --disable-paths; }

# podctl_variant NAME STATE_DIR IMAGE
podctl_variant() {
    local v=$1 d=$2 image=$3 t0 t1 w rc=0 u a
    "$podctl" --dir="$d" gc >/dev/null
    sync
    t0=$(now_us)
    "$podctl" --dir="$d" run --net=none "$image" --exec=/probe -- write-now /t >>"$log" 2>&1 || rc=$?
    t1=$(now_us)
    [ $rc -eq 0 ] || fail_run "podctl run ($v)" $rc
    u=$(only_pod "$d")
    # An .aci runs from the image store on an overlay (gone with the pod): its writes are in upper/.
    a=$d/pods/run/$u/stage1/rootfs/opt/stage2/bench
    if [ -e "$a/rootfs/t" ]; then w=$(read_ns "$a/rootfs/t"); else w=$(read_ns "$a/upper/t"); fi
    record "$v" exec $((w / 1000 - t0))
    record "$v" total $((t1 - t0))
    podinit_marks "$v" "$d" "$u" "$t0"
}
v_podctl() { podctl_variant podctl "$st_dir" "$img"; }
v_aci() { podctl_variant aci "$st_aci" "$work/img.aci"; }
v_tmpfs() { podctl_variant tmpfs "$st_tmp" "$img"; }

variants=(v_floor v_crun v_crun_sec v_alone v_alone_open v_podctl v_aci v_tmpfs)
nv=${#variants[@]}
say "start latency: $warmup warm-up + $runs measured rounds of ${nv} interleaved variants"
started=$(now_us)
run_rounds "${variants[@]}"
loop_s=$(( ($(now_us) - started) / 1000000 ))

# ------------------------------------------ 1b. exit times with hyperfine
say "start latency: hyperfine cross-check of the exit times (--warmup $warmup --runs $runs)"
q() { printf '%q' "$1"; }
hf() {          # hf NAME PREPARE COMMAND
    local name=$1 prep=$2 cmd=$3 args=(--shell=bash --warmup "$warmup" --runs "$runs" --style=none
        --export-json "$work/hf-$1.json")
    [ -n "$prep" ] && args+=(--prepare "$prep")
    hyperfine "${args[@]}" "$cmd" >>"$log" 2>&1 || fail_run "hyperfine ($name)" $?
    awk '/"times": \[/ { on = 1; next } on && /\]/ { exit } on { gsub(/[ ,]/, ""); printf "%d\n", $0 * 1000000 }' \
        "$work/hf-$name.json" >"$samples/hf-$name.total"
}
crun_q="crun --cgroup-manager=cgroupfs --root=$(q "$crun_root")"
hf floor "sync" "unshare --fork --pid --mount --uts --ipc chroot $(q "$floor_root") /probe exit 0"
hf crun "for c in \$($crun_q list -q); do $crun_q delete -f \"\$c\"; done; sync" \
    "exec $crun_q run -b $(q "$bundle") -f $(q "$bundle/cfg-true.json") \"hf-\${EPOCHREALTIME/./-}\""
hf alone "$(q "$podctl") --dir=$(q "$st_alone") gc >/dev/null && PODINIT=/bin/true $(q "$podctl") --dir=$(q "$st_alone") run --net=none $(q "$img") && sync" \
    "p=($(q "$st_alone")/pods/run/*); cd \"\$p\" && exec $(q "$podinit") --net=none \"\${p##*/}\""
hf podctl "$(q "$podctl") --dir=$(q "$st_dir") gc >/dev/null && sync" "exec $(q "$podctl") --dir=$(q "$st_dir") run --net=none $(q "$img")"
for d in "$st_dir" "$st_alone"; do "$podctl" --dir="$d" gc >/dev/null; done
for c in $("${crun_g[@]}" list -q); do "${crun_g[@]}" delete -f "$c" >/dev/null 2>&1 || true; done

# ------------------------------------------------------- 2. idle memory
say "idle memory: podinit with 1 and 50 apps, tini, catatonit, conmon"
settle=1

# Each measurement sets mem=(RSS PSS USS ...) in kB; no subshells, so that a
# failure stops the run and cleanup knows every process we started.

# mem_pod NAPPS: mem=(PID1 rss pss uss, launcher rss pss uss)
mem_pod() {
    local n=$1 args=() i u pid1 launcher kids
    for ((i = 1; i <= n; i++)); do
        args+=("$img" --name="app$i" --exec=/probe -- sleep 3600)
        if [ "$i" -lt "$n" ]; then args+=(---); fi
    done
    u=$("$podctl" --dir="$st_mem" run -d --net=none "${args[@]}" </dev/null 2>>"$log") || fail_run "podctl run -d ($n apps)" $?
    pid1=$(cat "$st_mem/pods/run/$u/pid")
    launcher=$(awk '{ print $4 }' "/proc/$pid1/stat")
    sleep "$settle"
    kids=$(ps -o pid= --ppid "$pid1" | wc -l)
    [ "$kids" -eq "$n" ] || { say "pod $u: $kids apps running, expected $n"; exit 1; }
    grep -q podinit "/proc/$launcher/comm" || { say "pod $u: launcher $launcher is not podinit"; exit 1; }
    mem=($(pss "$pid1") $(pss "$launcher"))
    "$podctl" --dir="$st_mem" stop "$u" >/dev/null 2>>"$log" || fail_run "podctl stop" $?
    "$podctl" --dir="$st_mem" gc >/dev/null
}

# mem_init CMD...: a classic init supervising `sleep 3600`; mem=(rss pss uss)
mem_init() { mem_of_init pss "$@"; }

# conmon supervising one crun container; mem=(rss pss uss)
mem_conmon() { mem_of_conmon pss; }

mem_pod 1
read -r p1_rss p1_pss p1_uss p1_anon l1_rss l1_pss l1_uss l1_anon <<<"${mem[*]}"
mem_pod 50
read -r p50_rss p50_pss p50_uss p50_anon l50_rss l50_pss l50_uss l50_anon <<<"${mem[*]}"
mem_init tini -s -- sleep 3600
read -r tini_rss tini_pss tini_uss tini_anon <<<"${mem[*]}"
mem_init catatonit -- sleep 3600
read -r cat_rss cat_pss cat_uss cat_anon <<<"${mem[*]}"
# conmon's container is the bundle's config.json: make it the sleeper.
cp "$bundle/cfg-sleep.json" "$bundle/config.json"
mem_conmon
read -r cm_rss cm_pss cm_uss cm_anon <<<"${mem[*]}"

# ---------------------------------------------------------------- report
sum() { echo $(($1 + $2)); }

# breakdown rows: per-iteration differences, then the median
diff_median() {     # VARIANT A B: median of (B - A) per iteration, A/B sample names or "zero"
    local v=$1 a=$2 b=$3
    if [ "$a" = zero ]; then
        stats "$samples/$v.$b"
    else
        paste "$samples/$v.$a" "$samples/$v.$b" | awk '{ print $2 - $1 }' >"$samples/$v.$a-$b"
        stats "$samples/$v.$a-$b"
    fi
}

read -r fl_e fl_e90 < <(stats "$samples/floor.exec")
read -r fl_t fl_t90 < <(stats "$samples/floor.total")
read -r cr_e cr_e90 < <(stats "$samples/crun.exec")
read -r cr_t cr_t90 < <(stats "$samples/crun.total")

row() {     # row LABEL VARIANT
    local label=$1 v=$2 e e90 t t90
    read -r e e90 < <(stats "$samples/$v.exec")
    read -r t t90 < <(stats "$samples/$v.total")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$e" "$e90" "$t" "$t90" \
        "$(ratio "$e" "$fl_e")" "$(ratio "$e" "$cr_e")" "$(ratio "$t" "$fl_t")" "$(ratio "$t" "$cr_t")"
}

{
echo "# podinit benchmarks"
echo
machine_line
echo "$(crun --version | head -1), $(conmon --version | head -1), tini $(tini --version 2>&1 | awk '{print $3}'), $(hyperfine --version)."
echo "Image: busybox-static + probe, ${img_kb} KiB in ${img_files} files (.aci: ${aci_kb} KiB). $crun_note."
echo
echo "## 1. Start latency of a one-app pod (ms; $runs interleaved rounds after $warmup warm-up, ${loop_s}s)"
echo
echo "exec = from the shell forking the command to the app's first instruction (its CLOCK_REALTIME stamp);"
echo "exit = until the command returns. Each command starts after a sync. Ratios are of medians; lower is better."
echo
echo "| runtime | exec median | exec p90 | exit median | exit p90 | exec ÷ floor | exec ÷ crun | exit ÷ floor | exit ÷ crun |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
row "floor: unshare --fork --pid --mount --uts --ipc chroot" floor
row "crun run (OCI bundle, rootfs in place; crun spec's default: caps, no seccomp)" crun
row "crun run + podman's default seccomp profile" crunsec
row "podinit alone (prepared pod dir, no copy; default isolation: caps, seccomp, paths, cgroups)" alone
row "podinit alone, --disable-seccomp --disable-capabilities-restriction --disable-paths" open
row "**podctl run** (dir image, copies it)" podctl
row "podctl run (.aci image)" aci
row "podctl run (dir image, state on tmpfs)" tmpfs
read -r pr pr90 < <(stats "$samples/prepare.total")
printf '| podctl prepare only (PODINIT=/bin/true) | - | - | %s | %s | | | %s | %s |\n' "$pr" "$pr90" \
    "$(ratio "$pr" "$fl_t")" "$(ratio "$pr" "$cr_t")"
read -r al_e _ < <(stats "$samples/alone.exec")
read -r al_t _ < <(stats "$samples/alone.total")
read -r op_e _ < <(stats "$samples/open.exec")
read -r op_t _ < <(stats "$samples/open.total")
read -r cs_e _ < <(stats "$samples/crunsec.exec")
read -r cs_t _ < <(stats "$samples/crunsec.total")
echo
echo "Cost of isolation: podinit's default ÷ isolation off: exec $(ratio "$al_e" "$op_e"), exit $(ratio "$al_t" "$op_t");"
echo "crun with the seccomp profile ÷ without: exec $(ratio "$cs_e" "$cr_e"), exit $(ratio "$cs_t" "$cr_t");"
echo "podinit's default ÷ crun with the seccomp profile: exec $(ratio "$al_e" "$cs_e"), exit $(ratio "$al_t" "$cs_t")."
echo
echo "### Where the time goes (medians of per-run differences, ms)"
echo
echo "| segment | podinit alone | podctl run (disk) | podctl run (tmpfs) |"
echo "|---|---:|---:|---:|"
seg() {     # seg LABEL A B
    local cells=() v
    for v in alone podctl tmpfs; do cells+=("$(diff_median "$v" "$2" "$3" | cut -d' ' -f1)"); done
    printf '| %s | %s | %s | %s |\n' "$1" "${cells[@]}"
}
seg "start → PID 1 running (pod startedAt)" zero podup
seg "PID 1 running → app forked (app startedAt)" podup fork
seg "app forked → app exec (probe's stamp)" fork exec
seg "app exec → podinit records execAt" exec execat
seg "app exited (reaped) → command returns" appexit total
seg "**start → execAt as podinit reports it**" zero execat
echo
echo "\"start\" is the shell forking podinit (podinit alone) or podctl (podctl run); for podctl run the"
echo "first row includes the image copy, which alone takes $pr ms (podctl prepare only, above)."
echo
echo "### Exit time cross-check with hyperfine (ms; --shell=bash, --warmup $warmup, --runs $runs, one command after the other)"
echo
echo "| runtime | median | p90 | ÷ floor | ÷ crun |"
echo "|---|---:|---:|---:|---:|"
read -r hf_f hf_f90 < <(stats "$samples/hf-floor.total")
read -r hf_c hf_c90 < <(stats "$samples/hf-crun.total")
for v in floor crun alone podctl; do
    read -r m m90 < <(stats "$samples/hf-$v.total")
    case $v in
        floor) label="floor (probe exit 0)" ;;
        crun) label="crun run" ;;
        alone) label="podinit alone (prepared pod)" ;;
        podctl) label="**podctl run** (dir image)" ;;
    esac
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$m" "$m90" "$(ratio "$m" "$hf_f")" "$(ratio "$m" "$hf_c")"
done
echo
echo "## 2. Idle memory of the supervisor (kB, from /proc/PID/smaps_rollup; sleeping apps)"
echo
echo "| supervisor | processes | RSS | PSS | USS | PSS_Anon | PSS ÷ tini | PSS ÷ catatonit | PSS ÷ conmon | Anon ÷ tini | Anon ÷ conmon |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
mrow() {    # label procs rss pss uss anon ref_conmon_pss ref_conmon_anon
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5" "$6" \
        "$(ratio "$4" "$tini_pss")" "$(ratio "$4" "$cat_pss")" "$(ratio "$4" "$7")" \
        "$(ratio "$6" "$tini_anon")" "$(ratio "$6" "$8")"
}
mrow "podinit, 1 app: PID 1" "1" "$p1_rss" "$p1_pss" "$p1_uss" "$p1_anon" "$cm_pss" "$cm_anon"
mrow "podinit, 1 app: launcher" "1" "$l1_rss" "$l1_pss" "$l1_uss" "$l1_anon" "$cm_pss" "$cm_anon"
mrow "**podinit, 1 app: PID 1 + launcher**" "2" "$(sum "$p1_rss" "$l1_rss")" "$(sum "$p1_pss" "$l1_pss")" \
    "$(sum "$p1_uss" "$l1_uss")" "$(sum "$p1_anon" "$l1_anon")" "$cm_pss" "$cm_anon"
mrow "podinit, 50 apps: PID 1" "1" "$p50_rss" "$p50_pss" "$p50_uss" "$p50_anon" "$((50 * cm_pss))" "$((50 * cm_anon))"
mrow "podinit, 50 apps: launcher" "1" "$l50_rss" "$l50_pss" "$l50_uss" "$l50_anon" "$((50 * cm_pss))" "$((50 * cm_anon))"
mrow "**podinit, 50 apps: PID 1 + launcher**" "2" "$(sum "$p50_rss" "$l50_rss")" "$(sum "$p50_pss" "$l50_pss")" \
    "$(sum "$p50_uss" "$l50_uss")" "$(sum "$p50_anon" "$l50_anon")" "$((50 * cm_pss))" "$((50 * cm_anon))"
mrow "tini -s" "1" "$tini_rss" "$tini_pss" "$tini_uss" "$tini_anon" "$cm_pss" "$cm_anon"
mrow "catatonit" "1" "$cat_rss" "$cat_pss" "$cat_uss" "$cat_anon" "$cm_pss" "$cm_anon"
mrow "conmon, 1 container" "1" "$cm_rss" "$cm_pss" "$cm_uss" "$cm_anon" "$cm_pss" "$cm_anon"
mrow "conmon × 50 containers" "50" "$((50 * cm_rss))" "$((50 * cm_pss))" "$((50 * cm_uss))" "$((50 * cm_anon))" \
    "$((50 * cm_pss))" "$((50 * cm_anon))"
echo
echo "PSS_Anon is what each extra pod or container really adds; the rest of PSS is clean pages of"
echo "the binaries (podinit is one static binary; tini, catatonit and conmon share libc with the system)."
echo
echo "The ÷ conmon column compares 1-app rows with one conmon and 50-app rows with 50 conmons."
echo "podinit's cost per extra app: $(( (p50_pss + l50_pss - p1_pss - l1_pss) / 49 )) kB PSS (50-app pod minus 1-app pod, over 49)."
} >"$out"

cat "$out"
say "results written to $out"
