#!/usr/bin/env bash
# bench/images.sh -- the image store: starting pods from imported images
# (overlay and copy), many apps of one image, and importing, side by side
# with crun and umoci.
#
# usage: bench/images.sh BUILD_DIR      (as root; part of `make bench`)
#
# Two rootfs, each as an OCI layout made with umoci, as the same unpacked
# ACI directory (mkrootfs.sh) and as a crun bundle: "small" is the
# busybox-static rootfs with the probe (one layer); "big" is the same plus
# 100 MiB in 4000 files, as one layer ("big") and as six ("layered": small's
# layer and 5 layers of 20 MiB).
#
# 1. Start latency of a one-app pod whose app is `/probe write-now /t`, for
#    each image: `podctl run NAME` from the store (overlay of the store's
#    layer trees), `podctl run --no-overlay NAME` (the trees copied into the
#    pod), `podctl run DIR` of the unpacked ACI directory (the copy path that
#    existed before the store) and `crun run` of the rootfs in place; and
#    `podctl run` of the layered image.  Interleaved rounds, order rotating,
#    as in bench/run.sh.  A row whose pod did not get an overlay (podctl
#    fell back to a copy) is marked.
# 2. Many apps of one image in one pod (`podctl run -d` of the small image
#    BENCH_IMAGES_APPS times): time until all of them have exec'd, the pod
#    directory's and the store's disk use, stop time; overlay vs copy.
# 3. Import of the layered image: `podctl image import` into a fresh store vs
#    `umoci unpack` and `umoci raw unpack` into a fresh directory.
#
# Environment: BENCH_OUT (default /tmp/podinit-bench/images.md), BENCH_WORK
# (default /tmp/podinit-bench/images-work), BENCH_RUNS (10) and
# BENCH_WARMUP (1) for part 1, BENCH_IMAGES_APPS (400) for part 2,
# BENCH_IMPORT_RUNS (3) for part 3, BENCH_TIMEOUT (whole-run budget in
# seconds, 420), BENCH_KEEP=1 (keep the scratch directory).
set -euo pipefail
export LC_ALL=C

prog=bench/images.sh
# shellcheck source=bench/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_start "$@"
bench_pkg[umoci]=umoci
bench_pkg[du]=coreutils
need_tools crun umoci unshare date sort mount umount awk sed stat timeout python3 du
check_missing

runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-1}
napps=${BENCH_IMAGES_APPS:-400}
iruns=${BENCH_IMPORT_RUNS:-3}
budget=${BENCH_TIMEOUT:-420}
out=${BENCH_OUT:-/tmp/podinit-bench/images.md}
whole_number BENCH_RUNS "$runs" 1
whole_number BENCH_WARMUP "$warmup"
whole_number BENCH_IMAGES_APPS "$napps" 1
whole_number BENCH_IMPORT_RUNS "$iruns" 1
whole_number BENCH_TIMEOUT "$budget"

private_mount_ns PODINIT_BENCH_IN_NS
exec </dev/null     # no console for the pods

make_work "${BENCH_WORK:-/tmp/podinit-bench/images-work}" .podinit-bench BENCH_WORK
copy_binaries
cd "$work"          # image names given to podctl run must not be paths here

crun_root=$work/crun-state
st=$work/state              # the store with small, big and layered: overlay and --no-overlay
st_aci=$work/state-aci      # ACI directories (no store)
st_many=$work/state-many    # part 2 (only the small image in its store)
st_imp=$work/state-import   # part 3, a fresh one every round
state_dirs=("$st" "$st_aci" "$st_many" "$st_imp")
install_cleanup
start_watchdog "$budget"

stats_digits=1

pc() { local d=$1; shift; "$podctl" --dir="$d" "$@"; }


# q CMD...: a tool whose output goes to the log; stop if it fails
q() { "$@" >>"$log" 2>&1 || fail_run "$*" $?; }

# -------------------------------------------------------------- fixtures
say "building the images (umoci) in $work"
started=$(now_us)
small=$work/aci-small
big=$work/aci-big
make_image "$small" --name example.com/bench-small --exec '["/probe","exit","0"]'
make_image "$big" --name example.com/bench-big --exec '["/probe","exit","0"]'

# The big image's extra layers: layers/lN/data/lN/dXX/fNNNN, 20 MiB per layer
# in 800 files of 1 to 50 KiB; each file half random bytes, half zeros (it
# gzips to about half).
python3 - "$work/layers" <<'PY'
import os, random, sys
top = sys.argv[1]
rnd = random.Random(42)
for layer in range(1, 6):
    left, n = 20 << 20, 800
    for i in range(n):
        size = left // (n - i) if i == n - 1 else min(left, rnd.randint(1024, 50 << 10))
        d = os.path.join(top, "l%d" % layer, "data", "l%d" % layer, "d%02d" % (i % 40))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "f%04d" % i), "wb") as f:
            f.write(os.urandom(size // 2) + bytes(size - size // 2))
        left -= size
PY
for l in 1 2 3 4 5; do cp -a "$work/layers/l$l/." "$big/rootfs/"; done

# oci_layout LAYOUT ROOTFS [LAYER_DIR...]: an OCI layout (tag latest) whose
# first layer is ROOTFS and every LAYER_DIR one more layer on top, made with
# umoci unpack + repack, which writes relative names (`umoci insert ROOTFS /`
# writes an entry named "/", which podctl refused when this was written),
# with the probe as the entrypoint
oci_layout() {
    local l=$1 root=$2 b=$work/umoci-bundle d
    shift 2
    q umoci init --layout "$l"
    q umoci new --image "$l:base"
    q umoci unpack --image "$l:base" "$b"
    cp -a "$root/." "$b/rootfs/"
    q umoci repack --refresh-bundle --image "$l:latest" "$b"
    for d; do
        cp -a "$d/." "$b/rootfs/"
        q umoci repack --refresh-bundle --image "$l:latest" "$b"
    done
    q umoci config --image "$l:latest" --config.entrypoint /probe --config.cmd exit --config.cmd 0 \
        --config.workingdir /
    q umoci rm --image "$l:base"
    q umoci gc --layout "$l"
    rm -rf "$b"
}
oci_layout "$work/oci-small" "$small/rootfs"
oci_layout "$work/oci-big" "$big/rootfs"
oci_layout "$work/oci-layered" "$small/rootfs" "$work/layers"/l{1,2,3,4,5}
rm -rf "$work/layers"

q pc "$st" image import "$work/oci-small:latest" --name=bench-small
q pc "$st" image import "$work/oci-big:latest" --name=bench-big
q pc "$st" image import "$work/oci-layered:latest" --name=bench-layered
q pc "$st_many" image import "$work/oci-small:latest" --name=bench-small

# kib DIR: disk use of DIR in KiB
kib() { du -sk "$1" | cut -f1; }
files() { find "$1" | wc -l; }
small_kb=$(kib "$small/rootfs"); small_files=$(files "$small/rootfs")
big_kb=$(kib "$big/rootfs"); big_files=$(files "$big/rootfs")
oci_small_kb=$(kib "$work/oci-small"); oci_big_kb=$(kib "$work/oci-big"); oci_layered_kb=$(kib "$work/oci-layered")
layers_of() {   # layers_of LAYOUT: how many layers its (only) image has
    python3 -c '
import json, sys
i = json.load(open(sys.argv[1] + "/index.json"))
m = json.load(open(sys.argv[1] + "/blobs/sha256/" + i["manifests"][0]["digest"].split(":")[1]))
print(len(m["layers"]))' "$1"
}
big_layers=$(layers_of "$work/oci-big")
layered_layers=$(layers_of "$work/oci-layered")

fixtures_s=$(( ($(now_us) - started) / 1000000 ))

# crun bundles of the same two rootfs (crun spec's default, edited as in
# run.sh: the probe's args, no terminal, a writable root)
crun_setup cgroupfs
for s in small big; do
    root=$small; [ $s = big ] && root=$big
    make_bundle "$root/rootfs"
    crun_config "$bundle/cfg-now.json" '"/probe", "write-now", "/t"'
    crun_config "$bundle/cfg-true.json" '"/probe", "exit", "0"'
    mv "$bundle" "$work/bundle-$s"
done

# Sanity: every way runs the probe once before anything is timed.
for s in small big; do
    q "${crun_g[@]}" run -b "$work/bundle-$s" -f "$work/bundle-$s/cfg-true.json" sanity-$s
    "${crun_g[@]}" delete -f sanity-$s >/dev/null 2>&1 || true
    q pc "$st" run --net=none "bench-$s" --name=app
    q pc "$st" run --net=none --no-overlay "bench-$s" --name=app
    q pc "$st_aci" run --net=none "$work/aci-$s" --name=app
done
q pc "$st" run --net=none bench-layered --name=app
pc "$st" gc >/dev/null; pc "$st_aci" gc >/dev/null

# ------------------------------------------------ 1. start latency
# t0: this shell, right before it forks the command; the stamp: the app's
# first act; t1: the command has returned.  A sync before each command.

# pod_marks VARIANT DIR UUID T0: the pod's startedAt and the app's startedAt
# (fork), relative to T0
pod_marks() {
    local json ns
    json=$(pc "$2" status --json "$3" | tr -d ' \n')
    [[ ${json%%\"apps\":*} =~ \"startedAt\":\"([^\"]+)\" ]] || { say "pod $3: no startedAt"; exit 1; }
    ns=("${BASH_REMATCH[1]}")
    [[ ${json#*\"apps\":} =~ \"startedAt\":\"([^\"]+)\" ]] || { say "pod $3: no app startedAt"; exit 1; }
    ns+=("${BASH_REMATCH[1]}")
    mapfile -t ns < <(printf '%s\n' "${ns[@]}" | date -f - +%s%N)
    record "$1" podup $((ns[0] / 1000 - $4))
    record "$1" fork $((ns[1] / 1000 - $4))
}

# podctl_variant VARIANT STATE RUN_ARGS...: podctl run RUN_ARGS --name=app
# --exec=/probe -- write-now /t; the stamp lands in the app's upper (an
# overlay) or rootfs (a copy): VARIANT.overlay records which (1 or 0)
podctl_variant() {
    local v=$1 d=$2 t0 t1 w rc=0 u a
    shift 2
    pc "$d" gc >/dev/null
    sync
    t0=$(now_us)
    "$podctl" --dir="$d" run --net=none "$@" --name=app --exec=/probe -- write-now /t >>"$log" 2>&1 || rc=$?
    t1=$(now_us)
    [ $rc -eq 0 ] || fail_run "podctl run ($v)" $rc
    u=$(only_pod "$d")
    a=$d/pods/run/$u/stage1/rootfs/opt/stage2/app
    if [ -e "$a/upper/t" ]; then
        w=$(read_ns "$a/upper/t")
        record "$v" overlay 1
    else
        w=$(read_ns "$a/rootfs/t")
        record "$v" overlay 0
    fi
    record "$v" exec $((w / 1000 - t0))
    record "$v" total $((t1 - t0))
    pod_marks "$v" "$d" "$u" "$t0"
}

crun_seq=0
crun_variant() {    # crun_variant VARIANT BUNDLE
    local v=$1 b=$2 t0 t1 w rc=0 id=img-$$-$((crun_seq++))
    rm -f "$b/rootfs/t"
    sync
    t0=$(now_us)
    "${crun_g[@]}" run -b "$b" -f "$b/cfg-now.json" "$id" >>"$log" 2>&1 || rc=$?
    t1=$(now_us)
    "${crun_g[@]}" delete -f "$id" >/dev/null 2>&1 || true
    [ $rc -eq 0 ] || fail_run "crun run ($v)" $rc
    w=$(read_ns "$b/rootfs/t")
    record "$v" exec $((w / 1000 - t0))
    record "$v" total $((t1 - t0))
}

v_small_overlay() { podctl_variant small-overlay "$st" bench-small; }
v_small_copy() { podctl_variant small-copy "$st" --no-overlay bench-small; }
v_small_aci() { podctl_variant small-aci "$st_aci" "$small"; }
v_small_crun() { crun_variant small-crun "$work/bundle-small"; }
v_big_overlay() { podctl_variant big-overlay "$st" bench-big; }
v_big_copy() { podctl_variant big-copy "$st" --no-overlay bench-big; }
v_big_aci() { podctl_variant big-aci "$st_aci" "$big"; }
v_big_crun() { crun_variant big-crun "$work/bundle-big"; }
v_big_layered() { podctl_variant big-layered "$st" bench-layered; }

variants=(v_small_overlay v_small_copy v_small_aci v_small_crun v_big_overlay v_big_copy v_big_aci v_big_crun v_big_layered)
nv=${#variants[@]}
say "start latency: $warmup warm-up + $runs measured rounds of $nv interleaved variants"
started=$(now_us)
run_rounds "${variants[@]}"
loop1_s=$(( ($(now_us) - started) / 1000000 ))
pc "$st" gc >/dev/null; pc "$st_aci" gc >/dev/null

# ------------------------------------------------ 2. many apps of one image
# many_apps VARIANT [RUN FLAGS...]: one pod of $napps apps of the small image
# (each /probe sleep 3600), started with run -d; sets the times (ms), disk
# use (KiB) and stop time of VARIANT in many[VARIANT.KEY]
declare -A many
many_apps() {
    local v=$1 args=() i u t0 t1 t2 t3 ready json deadline
    shift
    for ((i = 1; i <= napps; i++)); do
        args+=(bench-small --name="a$i" --exec=/probe -- sleep 3600)
        if [ "$i" -lt "$napps" ]; then args+=(---); fi
    done
    pc "$st_many" gc >/dev/null
    sync
    t0=$(now_us)
    u=$(pc "$st_many" run -d --net=none "$@" "${args[@]}" 2>>"$log") || fail_run "podctl run -d ($napps apps, $v)" $?
    t1=$(now_us)
    deadline=$(( $(date +%s) + 200 ))
    while :; do
        json=$(pc "$st_many" status --json "$u")
        ready=$(grep -c '"state": "ready"' <<<"$json" || true)
        [ "$ready" -ge "$napps" ] && break
        [ "$(date +%s)" -lt "$deadline" ] || die "$v: only $ready of $napps apps running after 200 s"
        sleep 0.5
    done
    # the last app's exec as PID 1 saw it, and the pod's own start
    read -r first_exec last_exec pod_start < <(python3 -c '
import datetime, json, sys
def us(s):
    a, b = s.rstrip("Z").split(".")
    d = datetime.datetime.fromisoformat(a).replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + int((b + "000000")[:6])
d = json.loads(sys.stdin.read())
ex = [us(a["execAt"]) for a in d["apps"]]
print(min(ex), max(ex), us(d["startedAt"]))' <<<"$json")
    many[$v.run]=$(( (t1 - t0) / 1000 ))
    many[$v.pod]=$(( (pod_start - t0) / 1000 ))
    many[$v.first]=$(( (first_exec - t0) / 1000 ))
    many[$v.all]=$(( (last_exec - t0) / 1000 ))
    many[$v.mounts]=$(wc -l <"/proc/$(cat "$st_many/pods/run/$u/pid")/mountinfo")
    many[$v.overlays]=$(find "$st_many/pods/run/$u/stage1/rootfs/opt/stage2" -mindepth 2 -maxdepth 2 -name upper | wc -l)
    many[$v.kb_pod]=$(kib "$st_many/pods/run/$u")
    many[$v.kb_store]=$(kib "$st_many/images")
    many[$v.kb_both]=$(du -sck "$st_many/pods/run/$u" "$st_many/images" | tail -1 | cut -f1)
    t2=$(now_us)
    pc "$st_many" stop "$u" >/dev/null 2>>"$log" || fail_run "podctl stop ($v)" $?
    t3=$(now_us)
    many[$v.stop]=$(( (t3 - t2) / 1000 ))
    pc "$st_many" gc >/dev/null 2>>"$log"
}
say "$napps apps of one image in one pod: overlay, then --no-overlay"
started=$(now_us)
many_apps overlay
many_apps copy --no-overlay
loop2_s=$(( ($(now_us) - started) / 1000000 ))

# ------------------------------------------------ 3. import
# Each round: a fresh destination (removed untimed, then sync); t0; the
# command; t1; sync; t2.  "returned" is t1 - t0, "+ sync" t2 - t0 (podctl
# syncs its trees before renaming them into the store; umoci does not).
import_variant() {  # import_variant VARIANT DEST COMMAND...
    local v=$1 dest=$2 t0 t1 t2 rc=0
    shift 2
    rm -rf "$dest"
    sync
    t0=$(now_us)
    "$@" >>"$log" 2>&1 || rc=$?
    t1=$(now_us)
    sync
    t2=$(now_us)
    [ $rc -eq 0 ] || fail_run "$v: $*" $rc
    record "$v" total $((t1 - t0))
    record "$v" synced $((t2 - t0))
}
v_import() { import_variant import "$st_imp" "$podctl" --dir="$st_imp" image import "$work/oci-layered:latest" --name=layered; }
v_unpack() { import_variant unpack "$work/unpack" umoci unpack --image "$work/oci-layered:latest" "$work/unpack"; }
v_raw() { import_variant raw "$work/unpack" umoci raw unpack --image "$work/oci-layered:latest" "$work/unpack"; }
variants=(v_import v_unpack v_raw)
# No warm-up round: the blobs are in the page cache since they were written.
say "import of the layered image: $iruns rounds of podctl image import, umoci unpack, umoci raw unpack"
started=$(now_us)
recording=1
for ((i = 0; i < iruns; i++)); do
    for ((k = 0; k < 3; k++)); do
        "${variants[(i + k) % 3]}"
    done
done
loop3_s=$(( ($(now_us) - started) / 1000000 ))
imp_store_kb=$(kib "$st_imp/images")
unpack_kb=$(kib "$work/unpack")
rm -rf "$work/unpack"

# ---------------------------------------------------------------- report
declare -A med
for f in "$samples"/*; do
    read -r m _ < <(stats "$f")
    med[${f##*/}]=$m
done

row1() {    # row1 SIZE VARIANT LABEL
    local v=$1-$2 e e90 t t90 label=$3
    if [[ $2 == overlay || $2 == layered ]] && grep -qx 0 "$samples/$v.overlay"; then
        label+=" ⚠ no overlay: podctl fell back to a copy in $(grep -cx 0 "$samples/$v.overlay") of $runs runs"
    fi
    read -r e e90 < <(stats "$samples/$v.exec")
    read -r t t90 < <(stats "$samples/$v.total")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$label" "$e" "$e90" "$t" "$t90" \
        "$(ratio "$e" "${med[$1-crun.exec]}")" "$(ratio "$t" "${med[$1-crun.total]}")"
}
seg1() {    # seg1 SIZE VARIANT LABEL
    local v=$1-$2 a b c
    paste "$samples/$v.podup" "$samples/$v.fork" | awk '{ print $2 - $1 }' >"$samples/$v.podup-fork"
    paste "$samples/$v.fork" "$samples/$v.exec" | awk '{ print $2 - $1 }' >"$samples/$v.fork-exec"
    read -r a _ < <(stats "$samples/$v.podup")
    read -r b _ < <(stats "$samples/$v.podup-fork")
    read -r c _ < <(stats "$samples/$v.fork-exec")
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$3" "$a" "$b" "$c"
}
goal() {    # goal RATIO: met or missed for <= 0.70
    awk -v r="$1" 'BEGIN { if (r == "-") print "-"; else if (r <= 0.70) print "met"; else print "missed" }'
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

{
echo "# podinit image store benchmarks"
echo
machine_line "$(df --output=fstype "$work" | tail -1) at $work"
echo "$(crun --version | head -1), umoci $(umoci --version | awk '{ print $3 }'). $crun_note."
echo "Images (built in ${fixtures_s}s; each an OCI layout made with umoci, and the same rootfs as an unpacked ACI directory"
echo "and a crun bundle): small = busybox-static + probe, $(mib "$small_kb") MiB in $small_files files, 1 layer (layout"
echo "$(mib "$oci_small_kb") MiB); big = small + 100 MiB in 4000 files (each half random, half zeros), $(mib "$big_kb") MiB in"
echo "$big_files files, $big_layers layer (layout $(mib "$oci_big_kb") MiB); layered = big's rootfs in $layered_layers layers, small's and 5 of"
echo "20 MiB (layout $(mib "$oci_layered_kb") MiB)."
echo
echo "## 1. Start latency of a one-app pod (ms; $runs interleaved rounds after $warmup warm-up, ${loop1_s}s)"
echo
echo "The app is \`/probe write-now /t\`. exec = from the shell forking the command to the app's first act (its"
echo "CLOCK_REALTIME stamp); exit = until the command returns (pod or container gone). A sync before each command."
echo
echo "| image | runtime | exec median | exec p90 | exit median | exit p90 | exec ÷ crun | exit ÷ crun |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for s in small big; do
    row1 $s overlay "**podctl run NAME** (store, overlay)"
    row1 $s copy "podctl run --no-overlay NAME (store trees copied)"
    row1 $s aci "podctl run DIR (unpacked ACI copied: before the store)"
    row1 $s crun "crun run (bundle, rootfs in place)"
done
row1 big layered "podctl run NAME of layered (big's rootfs in $layered_layers layers, overlay)"
echo
for s in small big; do
    echo "- $s: overlay ÷ crun: exec $(ratio "${med[$s-overlay.exec]}" "${med[$s-crun.exec]}")" \
        "(goal ≤ 0.70: $(goal "$(ratio "${med[$s-overlay.exec]}" "${med[$s-crun.exec]}")")), exit $(ratio "${med[$s-overlay.total]}" "${med[$s-crun.total]}");" \
        "copy ÷ crun: exec $(ratio "${med[$s-copy.exec]}" "${med[$s-crun.exec]}"), exit $(ratio "${med[$s-copy.total]}" "${med[$s-crun.total]}");" \
        "overlay ÷ ACI dir: exec $(ratio "${med[$s-overlay.exec]}" "${med[$s-aci.exec]}")."
done
echo "- layered ÷ crun (big): exec $(ratio "${med[big-layered.exec]}" "${med[big-crun.exec]}") (goal ≤ 0.70: $(goal "$(ratio "${med[big-layered.exec]}" "${med[big-crun.exec]}")")), exit $(ratio "${med[big-layered.total]}" "${med[big-crun.total]}")."
echo "- big ÷ small, exec: overlay $(ratio "${med[big-overlay.exec]}" "${med[small-overlay.exec]}"), copy $(ratio "${med[big-copy.exec]}" "${med[small-copy.exec]}"), ACI dir $(ratio "${med[big-aci.exec]}" "${med[small-aci.exec]}"), crun $(ratio "${med[big-crun.exec]}" "${med[small-crun.exec]}")."
echo
echo "Where the podctl time goes (medians, ms): start → pod's startedAt is podctl (image resolution, overlay"
echo "set-up or copy, pod directory) and the launcher; the app's fork → its exec includes mounting its root."
echo
echo "| image | runtime | start → pod startedAt | → app forked | app forked → exec |"
echo "|---|---|---:|---:|---:|"
for s in small big; do
    seg1 $s overlay "podctl run NAME (overlay)"
    seg1 $s copy "podctl run --no-overlay NAME"
    seg1 $s aci "podctl run DIR (ACI)"
done
seg1 big layered "podctl run NAME of layered"
echo
echo "## 2. $napps apps of the small image in one pod (one run each, ${loop2_s}s)"
echo
echo "\`podctl run -d\` of $napps × (bench-small --name=aN --exec=/probe -- sleep 3600). Times in ms from starting"
echo "podctl; disk in MiB (du -s; \"together\" counts files hard-linked between the two once)."
echo
echo "| mode | apps with an overlay | mounts in PID 1's namespace | run -d returned | pod startedAt | first app exec | all apps exec'd | pod dir | store | together | stop |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for v in overlay copy; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$v" "${many[$v.overlays]}" "${many[$v.mounts]}" "${many[$v.run]}" "${many[$v.pod]}" \
        "${many[$v.first]}" "${many[$v.all]}" "$(mib "${many[$v.kb_pod]}")" "$(mib "${many[$v.kb_store]}")" \
        "$(mib "${many[$v.kb_both]}")" "${many[$v.stop]}"
done
echo
echo "Every app's mounts are made in PID 1's namespace (hence the mounts column), and every app starts by unsharing"
echo "a copy of that namespace, so in a pod this big the apps' starts are bound by copying mount namespaces."
echo
echo "overlay ÷ copy: all running $(ratio "${many[overlay.all]}" "${many[copy.all]}"), disk (together) $(ratio "${many[overlay.kb_both]}" "${many[copy.kb_both]}")."
echo
echo "## 3. Import of the layered image ($layered_layers layers, $(mib "$oci_layered_kb") MiB of blobs, ms; $iruns rounds, ${loop3_s}s)"
echo
echo "A fresh destination every round; \"+ sync\" adds a sync after the command (podctl syncs its trees itself)."
echo
echo "| command | returned median | p90 | + sync median | + sync ÷ umoci unpack | + sync ÷ umoci raw unpack | result (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for v in import unpack raw; do
    case $v in
        import) label="**podctl image import LAYOUT:latest** (fresh store)"; r=$(mib "$imp_store_kb") ;;
        unpack) label="umoci unpack (rootfs + config.json + mtree manifest)"; r=$(mib "$unpack_kb") ;;
        raw) label="umoci raw unpack (rootfs only)"; r="" ;;
    esac
    read -r m m90 < <(stats "$samples/$v.total")
    read -r s _ < <(stats "$samples/$v.synced")
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$m" "$m90" "$s" \
        "$(ratio "$s" "${med[unpack.synced]}")" "$(ratio "$s" "${med[raw.synced]}")" "$r"
done
echo
echo "podctl image import ÷ umoci unpack, returned: $(ratio "${med[import.total]}" "${med[unpack.total]}"); ÷ umoci raw unpack: $(ratio "${med[import.total]}" "${med[raw.total]}")."
} >"$out"

cat "$out"
say "results written to $out"
