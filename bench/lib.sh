# bench/lib.sh -- helpers shared by the benchmark scripts.
#
# Sourced by bench/*.sh right after `set -euo pipefail`, with prog set to the
# script's name (bench/run.sh, ...).  Sets src, the source tree, and the lists
# that cleanup walks (bg_pids, conmon_ids, state_dirs), which start empty.
# shellcheck shell=bash
# Globals set here are read by the scripts, and theirs (out, cm_dir, ...) here:
# shellcheck disable=SC2034,SC2154

src=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
bg_pids=()          # processes to kill at exit: sleepers, foreground pods
conmon_ids=()       # conmon containers started, under $cm_dir
state_dirs=()       # podctl state directories whose pods to stop at exit
missing=()          # what the need_* checks found missing
cc=${CC:-cc}        # the C compiler for the helpers (compile)

# die / say MESSAGE: stop with / print MESSAGE on stderr, as $prog
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$prog" "$*" >&2; }

[ -n "${EPOCHREALTIME:-}" ] || die "bash >= 5.0 is needed (EPOCHREALTIME)"

# --------------------------------------------------------- arguments, checks

# Debian packages of the tools the scripts check for, named when one is missing.
declare -A bench_pkg=([tini]=tini [catatonit]=catatonit [conmon]=conmon [crun]=crun
    [hyperfine]=hyperfine [unshare]=util-linux [nsenter]=util-linux [chroot]=coreutils
    [cat]=coreutils [date]=coreutils [df]=coreutils [sort]=coreutils [stat]=coreutils
    [sync]=coreutils [timeout]=coreutils [wc]=coreutils [mount]=mount [umount]=mount
    [awk]=mawk [sed]=sed [grep]=grep [tar]=tar [ps]=procps [getconf]=libc-bin
    [python3]=python3 [s6-svscan]=s6 [s6-supervise]=s6 [s6-svstat]=s6 [s6-svscanctl]=s6
    [cc]=gcc [gcc]=gcc)

# need_built FILE...: BUILD_DIR's programs (or .aci images) that must be there
need_built() {
    local f
    for f; do
        if [[ $f == *.aci ]]; then [ -f "$build/$f" ]; else [ -x "$build/$f" ]; fi ||
            missing+=("$build/$f (build first: cmake --build $build)")
    done
}

# need_tools COMMAND...: commands that must be on PATH
need_tools() {
    local t
    for t; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t${bench_pkg[$t]:+ (Debian package ${bench_pkg[$t]})}")
    done
}

# need_file PATH PACKAGE: a file (from Debian's PACKAGE) that must be readable
need_file() { [ -r "$1" ] || missing+=("$1 (Debian package $2)"); }

# need_busybox: the static busybox that tests/lib/mkrootfs.sh makes images of
need_busybox() { [ -x /bin/busybox ] || missing+=("/bin/busybox (Debian package busybox-static)"); }

# bench_start "$@": the one argument BUILD_DIR, as root; sets build
# (absolute) and notes what every benchmark needs: BUILD_DIR's podctl,
# podinit and tests/probe, and the static busybox (see check_missing)
bench_start() {
    [ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
    [ "$(id -u)" -eq 0 ] || die "must run as root (pods and containers need namespaces and mounts)"
    build=$(cd -- "$1" 2>/dev/null && pwd) || die "no such build directory: $1"
    need_built podctl podinit tests/probe
    need_busybox
}

# check_missing: stop with the list of all that the need_* checks missed
check_missing() {
    [ ${#missing[@]} -gt 0 ] || return 0
    printf '%s: missing tools:\n' "$prog" >&2
    printf '  %s\n' "${missing[@]}" >&2
    die "install them with: scripts/deps.sh bench"
}

# whole_number NAME VALUE [MIN]: VALUE of the environment variable NAME must
# be a whole number (and at least MIN)
whole_number() {
    [[ $2 =~ ^[0-9]+$ ]] || die "$1=$2: expected a whole number"
    [ $# -lt 3 ] || [ "$2" -ge "$3" ] || die "$1 must be at least $3"
}

# --------------------------------------------------------------- set-up

# private_mount_ns VAR: run the script again (with "$build") in a private
# mount namespace of its own, where its mounts never show on the host and
# vanish with it; VAR=1 in the environment marks the second run
private_mount_ns() {
    [ "${!1:-}" != 1 ] || return 0
    export "$1=1"
    exec unshare --mount --propagation private -- bash "$src/$prog" "$build"
}

# make_work DIR MARKER VAR: a fresh scratch directory DIR (sets work, made
# absolute), with log (an empty file) and samples (a directory) in it, and
# the directory of $out.  An existing DIR is removed only if it holds MARKER,
# left by an earlier run; else we stop (VAR is the variable that sets DIR).
make_work() {
    work=$1
    if [ -e "$work" ]; then
        [ -e "$work/$2" ] || die "$work exists and was not made by $prog; set $3 elsewhere"
        rm -rf -- "$work"
    fi
    mkdir -p -- "$work" "$(dirname -- "$out")"
    touch "$work/$2"
    work=$(cd -- "$work" && pwd)
    log=$work/log
    samples=$work/samples
    mkdir -p "$samples"
    : >"$log"
}

# copy_binaries [FILE...]: private copies of BUILD_DIR's podctl, podinit,
# tests/probe (and FILEs) in $work/bin, so that a rebuild while we run cannot
# swap them under us (podctl finds podinit next to itself); sets podctl,
# podinit and probe
copy_binaries() {
    local f copies=("$build/podctl" "$build/podinit" "$build/tests/probe")
    for f; do copies+=("$build/$f"); done
    mkdir -p "$work/bin"
    cp "${copies[@]}" "$work/bin/"
    podctl=$work/bin/podctl
    podinit=$work/bin/podinit
    probe=$work/bin/probe
}

# compile OUT SOURCE: build a helper program with $cc (its errors go to $log)
compile() {
    "$cc" -O2 -Wall -o "$1" "$2" 2>>"$log" || fail_run "$cc $2" $?
}

# make_image DEST [mkrootfs.sh OPTIONS...]: the busybox-static image with the
# probe (tests/lib/mkrootfs.sh) in DEST
make_image() {
    local dest=$1
    shift
    bash "$src/tests/lib/mkrootfs.sh" "$dest" --probe "$probe" "$@" >>"$log" 2>&1 ||
        fail_run "tests/lib/mkrootfs.sh $dest" $?
}

# make_aci DIR ACI [mkaci.sh OPTIONS...]: DIR's image packed into ACI
make_aci() { bash "$src/tests/lib/mkaci.sh" "$@" >>"$log" 2>&1 || fail_run "tests/lib/mkaci.sh $2" $?; }

# cleanup: the EXIT trap (see install_cleanup).  Ends the watchdog, stops the
# pods still running in state_dirs, kills bg_pids, deletes the crun
# containers under $crun_root and the conmons of conmon_ids, runs the script's
# own cleanup_extra if it has one and removes $work (BENCH_KEEP=1 keeps it).
cleanup() {
    local rc=$? d u p c
    trap - EXIT INT TERM
    set +e
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null && wait "$watchdog" 2>/dev/null
    for d in "${state_dirs[@]}"; do
        for u in "$d"/pods/run/*; do
            [ -e "$u/pid" ] || continue
            u=${u##*/}
            "$podctl" --dir="$d" status "$u" 2>/dev/null | grep -q exited ||
                timeout 30 "$podctl" --dir="$d" stop --force "$u" >/dev/null 2>&1
        done
    done
    for p in "${bg_pids[@]}"; do
        [ -n "$p" ] || continue
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    for d in "${state_dirs[@]}"; do
        [ -d "$d" ] && "$podctl" --dir="$d" gc >/dev/null 2>&1
    done
    if [ -n "${crun_root:-}" ] && [ -d "$crun_root" ]; then
        for c in $(crun --root="$crun_root" list -q 2>/dev/null); do
            crun --root="$crun_root" delete -f "$c" >/dev/null 2>&1
        done
    fi
    for c in "${conmon_ids[@]}"; do         # conmon exits with its container; make sure
        p=$(cat "$cm_dir/$c/conmon.pid" 2>/dev/null)
        [ -n "$p" ] && [ -e "/proc/$p" ] && grep -q conmon "/proc/$p/comm" 2>/dev/null && kill -KILL "$p"
    done
    declare -F cleanup_extra >/dev/null && cleanup_extra
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        rm -rf -- "$work"
    else
        say "kept $work"
    fi
    [ $rc -ne 0 ] && say "failed (exit $rc); see the messages above"
    exit $rc
}

# install_cleanup: cleanup on exit, failure and Ctrl-C alike
install_cleanup() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# start_watchdog SECONDS: keeps the whole run bounded even if something
# hangs: after SECONDS it ends the commands we are waiting on, then us (the
# EXIT trap cleans up); sets watchdog, which cleanup ends
start_watchdog() {
    local main_pid=$$
    (
        trap 'kill "$sp" 2>/dev/null; exit 0' TERM
        sleep "$1" & sp=$!
        wait "$sp"
        echo "$prog: over the ${1}s budget, aborting" >&2
        for c in $(ps -o pid= --ppid "$main_pid"); do
            [ "$c" = "$BASHPID" ] || kill -TERM "$c" 2>/dev/null
        done
        kill -TERM "$main_pid"
    ) &
    watchdog=$!
}

# ------------------------------------------------------- crun and conmon

# make_bundle ROOTFS: an OCI bundle in $work/bundle (sets bundle) with a copy
# of ROOTFS and crun spec's default config as template.json (see
# crun_config); makes $crun_root too
make_bundle() {
    bundle=$work/bundle
    mkdir -p "$bundle" "$crun_root"
    cp -a "$1" "$bundle/rootfs"
    crun spec -b "$bundle"
    mv "$bundle/config.json" "$bundle/template.json"
}

# crun_config OUT ARGS_JSON: the bundle's template edited into OUT: the
# process's args (ARGS_JSON: `"/probe", "exit", "0"`), no terminal, a
# writable root
crun_config() {
    local f=$1
    args=$2 awk '
        /^[ \t]*"sh"$/ { match($0, /^[ \t]*/); $0 = substr($0, 1, RLENGTH) ENVIRON["args"] }
        { sub(/"terminal": true/, "\"terminal\": false"); sub(/"readonly": true/, "\"readonly\": false"); print }' \
        "$bundle/template.json" >"$f"
    if ! grep -q '"terminal": false' "$f" || ! grep -q '"readonly": false' "$f" ||
        ! grep -qF "$2" "$f" || ! grep -q '"path": "rootfs"' "$f"; then
        die "crun spec's template changed; cannot edit $f (see $bundle/template.json)"
    fi
}

# crun_setup MANAGER: crun_g, crun's command line (--cgroup-manager=MANAGER,
# its state in $crun_root), and crun_note, for the results.  crun refuses
# hybrid cgroup hierarchies whose v2 part has controllers, so in our mount
# namespace (only) the v2 controller list reads as empty.
crun_setup() {
    local cgc=/sys/fs/cgroup/unified/cgroup.controllers
    crun_note="crun runs with --cgroup-manager=$1"
    if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] && [ -e "$cgc" ] && [ -n "$(cat "$cgc")" ]; then
        : >"$work/empty"
        mount --bind "$work/empty" "$cgc"
        crun_note+="; hybrid cgroups: $cgc hidden in the benchmark's mount namespace"
    fi
    crun_g=(crun --cgroup-manager="$1" --root="$crun_root")
}

# conmon_start ID LOG_PATH [CONMON OPTIONS...]: conmon as podman starts it (it
# daemonizes and has crun create the container of $bundle/config.json), its
# files in $cm_dir/ID (sets cm_d); waits for the container to be created and
# sets cm_pid, the conmon process that stays
conmon_start() {
    local id=$1 logpath=$2
    shift 2
    cm_d=$cm_dir/$id
    mkdir -p "$cm_d/exit" "$cm_d/sock"
    rm -f "$bundle/attach" "$bundle/ctl" "$bundle/winsz"
    conmon_ids+=("$id")
    conmon --cid "$id" --cuuid "$id" --name "$id" --runtime /usr/bin/crun \
        --runtime-arg=--root="$crun_root" --runtime-arg=--cgroup-manager=disabled \
        --bundle "$bundle" --exit-dir "$cm_d/exit" --log-path "$logpath" --socket-dir-path "$cm_d/sock" \
        --container-pidfile "$cm_d/ctr.pid" --conmon-pidfile "$cm_d/conmon.pid" "$@" </dev/null >>"$log" 2>&1 ||
        fail_run conmon $?
    if ! wait_file "$cm_d/ctr.pid" 10 || ! wait_file "$cm_d/conmon.pid" 1; then
        fail_run "conmon (the container was not created)" 1
    fi
    cm_pid=$(cat "$cm_d/conmon.pid")
    grep -q conmon "/proc/$cm_pid/comm" || { say "conmon: pid $cm_pid is not conmon"; exit 1; }
}

# conmon_end ID PID: delete the container ID, then give its conmon PID up to
# 5 s to go
conmon_end() {
    local i
    "${crun_g[@]}" delete -f "$1" >/dev/null 2>&1 || true
    for ((i = 0; i < 500; i++)); do
        grep -q conmon "/proc/$2/comm" 2>/dev/null || break
        sleep 0.01
    done
}

# ------------------------------------------------------------------ pods

# wait_file FILE [SECONDS]: wait (5 s by default) until FILE is not empty;
# false if it never is
wait_file() {
    local i n=$(( ${2:-5} * 100 ))
    for ((i = 0; i < n; i++)); do
        [ -s "$1" ] && return 0
        sleep 0.01
    done
    [ -s "$1" ]
}

# await_uuid FILE: the uuid that a `podctl run --uuid-file-save=FILE` in the
# background saves there (sets uuid)
await_uuid() {
    wait_file "$1" || true
    uuid=$(cat "$1" 2>/dev/null) || fail_run "podctl run (no --uuid-file-save)" 1
}

# pod_up STATE UUID: wait for the pod's PID 1; sets pod (its directory) and pid1
pod_up() {
    pod=$1/pods/run/$2
    wait_file "$pod/pid" || true
    pid1=$(cat "$pod/pid" 2>/dev/null) || fail_run "pod $2 (no pid file)" 1
    grep -q podinit "/proc/$pid1/comm" || { say "pod $2: PID 1 ($pid1) is not podinit"; exit 1; }
}

# stop_pod STATE UUID [FG_PID]: force-stop the pod, reap its foreground
# podctl (FG_PID, the last of bg_pids) and collect the pod
stop_pod() {
    "$podctl" --dir="$1" stop --force "$2" >/dev/null 2>>"$log" || fail_run "podctl stop --force" $?
    if [ -n "${3:-}" ]; then
        wait "$3" 2>/dev/null || true
        unset 'bg_pids[-1]'
    fi
    "$podctl" --dir="$1" gc >/dev/null 2>>"$log"
}

# fail_run WHAT RC: stop, with the last lines of $log
fail_run() {
    say "$1 failed (exit $2); last lines of $log:"
    tail -n 20 "$log" >&2
    exit 1
}

# --------------------------------------------------------- times, numbers

# now_us: CLOCK_REALTIME in microseconds
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# elapsed T0_US T1_US: the seconds between them
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", (b - a) / 1e6 }'; }

# record VARIANT KEY VALUE: append VALUE to $samples/[$group.]VARIANT.KEY,
# unless recording=0 (warm-up rounds)
record() {
    [ "${recording:-1}" = 1 ] || return 0
    echo "$3" >>"$samples/${group:+$group.}$1.$2"
}

# stats FILE: "median p90" (nearest rank) in ms of a file of microseconds,
# with $stats_digits decimals (3 unless the script sets it)
stats() {
    sort -n "$1" | awk -v d="${stats_digits:-3}" '{ a[NR] = $1 } END {
        if (NR == 0) { print "nan nan"; exit }
        med = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        k = int(0.9 * NR); if (k < 0.9 * NR) k++
        printf "%." d "f %." d "f\n", med / 1000, a[k] / 1000 }'
}

# median FILE: the median of a column of numbers ("-" if none or any is "-")
median() {
    if [ ! -s "$1" ] || grep -q -- '^-$' "$1"; then echo -; return; fi
    sort -g "$1" | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m }'
}

# ratio A B: A/B to two decimals ("-" if either is "-" or B is not positive)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "-" }'; }

# pss PID: "RSS PSS USS ANON" in kB, from /proc/PID/smaps_rollup.  ANON is
# Pss_Anon: the heap, stack and written data that each new process really
# adds; the rest of PSS is clean file pages (the binary and its libraries),
# which the page cache shares with every other process running the same files.
pss() {
    awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { u += $2 } /^Pss_Anon:/ { a = $2 }
         END { print r + 0, p + 0, u + 0, a + 0 }' "/proc/$1/smaps_rollup"
}

# mem_of_init MEASURE CMD...: start CMD (an init supervising one child) in
# the background, let it settle ($settle seconds), check it has one child,
# and set mem=($(MEASURE PID)) (MEASURE: pss, or a script's own); then end it
mem_of_init() {
    local measure=$1 pid kids c
    shift
    "$@" </dev/null >>"$log" 2>&1 &
    pid=$!
    bg_pids+=("$pid")
    sleep "$settle"
    kids=$(ps -o pid= --ppid "$pid" | wc -l)
    [ "$kids" -eq 1 ] || { say "$1: expected one child, found $kids"; exit 1; }
    read -r -a mem <<<"$("$measure" "$pid")"
    for c in $(ps -o pid= --ppid "$pid"); do kill -KILL "$c" 2>/dev/null || true; done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset 'bg_pids[-1]'
}

# mem_of_conmon MEASURE: conmon as podman runs it (it daemonizes and creates
# the container with crun; we start the container and measure the conmon
# that stays, from --conmon-pidfile); mem=($(MEASURE PID)).  Needs
# crun_setup and $cm_dir.
mem_of_conmon() {
    local id=bench-conmon-$$
    conmon_start "$id" "$cm_dir/$id/ctr.log"
    "${crun_g[@]}" start "$id" >>"$log" 2>&1 || fail_run "crun start (under conmon)" $?
    sleep "$settle"
    [ "$(ps -o pid= --ppid "$cm_pid" | tr -d ' ')" = "$(cat "$cm_d/ctr.pid")" ] ||
        { say "conmon: $cm_pid does not supervise the container"; exit 1; }
    read -r -a mem <<<"$("$1" "$cm_pid")"
    conmon_end "$id" "$cm_pid"
}

# ----------------------------------------------------------------- report

# machine_line [MORE...]: "DATE, podinit REV, KERNEL, N CPUs, [MORE, ]load ..."
# for a results header; REV is the source tree's commit (+dirty if changed)
machine_line() {
    local rev more="" m
    rev=$(git -C "$src" rev-parse --short HEAD 2>/dev/null) || rev=unknown
    [ -z "$(git --no-optional-locks -C "$src" status --porcelain 2>/dev/null | head -1)" ] || rev+="+dirty"
    for m; do more+="$m, "; done
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), podinit $rev, $(uname -sr), $(nproc) CPUs, ${more}load $(cut -d' ' -f1-3 /proc/loadavg)."
}

# only_pod STATE_DIR: the UUID of the only pod under it (the scripts gc before every run)
only_pod() {
    local p=("$1"/pods/run/*)
    [ ${#p[@]} -eq 1 ] && [ -e "${p[0]}" ] || { say "expected exactly one pod under $1/pods/run: ${p[*]}"; exit 1; }
    echo "${p[0]##*/}"
}

# read_ns FILE: the CLOCK_REALTIME ns that the probe's write-now left there
read_ns() {
    local v
    v=$(cat "$1" 2>/dev/null) || { say "the app did not write $1"; exit 1; }
    [[ $v =~ ^[0-9]+$ ]] || { say "$1: not a timestamp: $v"; exit 1; }
    echo "$v"
}

# run_rounds VARIANT...: $warmup + $runs rounds of the variants, interleaved, the order rotating by
# one each round; $recording is 1 in the measured rounds (the variants record only then)
run_rounds() {
    local vs=("$@") n=$# i k
    for ((i = 0; i < warmup + runs; i++)); do
        recording=0
        [ "$i" -ge "$warmup" ] && recording=1
        for ((k = 0; k < n; k++)); do
            "${vs[(i + k) % n]}"
        done
    done
}
