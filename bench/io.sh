#!/usr/bin/env bash
# bench/io.sh -- podinit's I/O benchmarks, side by side with the floor and conmon.
#
# usage: bench/io.sh BUILD_DIR         (as root)
#
# 1. Throughput of an app's stdout (the probe writes N bytes of 100-byte
#    lines) through podinit's PID 1:
#    a. stream mode, to an attached client: `podctl attach > /dev/null` and
#       the lean client of bench/echo_rtt.c (with podctl's 1 MiB queue and
#       with the largest one);
#    b. log mode (the default), with the pod in the foreground, to a file
#       (`podctl run ... > FILE`) and to a pipe (`podctl run ... | cat`), the
#       whole one-app `podctl run ... > FILE` command, and stream mode with
#       --log-attached (client and file at once);
#    next to the floor (the same probe in a chroot writing to `cat >
#    /dev/null` and to a file) and conmon: attached to its attach socket
#    (lossless, and it writes its k8s-file log meanwhile) and its log alone.
#    The podinit apps wait for a line on their stdin before writing, so that
#    the client is attached first: the timed span is attach to EXIT frame.
#    A second, idle app keeps the pod (and PID 1) alive after the flood, so
#    that PID 1's CPU time (utime + stime) can be read before and after.
#    The log paths are much slower, so they get fewer bytes (b) than the
#    paths to a client (a); each part has its own floor.
# 2. Round-trip latency of one byte through an attached `cat` (stream stdin
#    and stdout), next to a Unix socket echo and a pipe -> cat -> pipe echo.
#
# Environment: BENCH_IO_OUT (results file, default /tmp/podinit-bench/io.md),
# BENCH_IO_WORK (scratch, default /tmp/podinit-bench/io-work), BENCH_IO_BYTES
# (bytes per run of 1a, 536870912), BENCH_IO_LOG_BYTES (of 1b, 67108864),
# BENCH_IO_RUNS (rounds, 5), BENCH_IO_ECHO (round trips per echo run, 2000),
# BENCH_TIMEOUT (whole-run budget in seconds, 290), BENCH_KEEP=1 (keep the
# scratch directory), CC (to build bench/echo_rtt.c; default cc).
set -euo pipefail
export LC_ALL=C

prog=bench/io.sh
# shellcheck source=bench/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_start "$@"

# ------------------------------------------------------------------ checks
need_tools conmon crun unshare chroot cat sort mount umount awk sed stat ps getconf "$cc"
check_missing

bytes_stream=${BENCH_IO_BYTES:-536870912}
bytes_log=${BENCH_IO_LOG_BYTES:-67108864}
runs=${BENCH_IO_RUNS:-5}
iters=${BENCH_IO_ECHO:-2000}
budget=${BENCH_TIMEOUT:-290}
out=${BENCH_IO_OUT:-/tmp/podinit-bench/io.md}
whole_number BENCH_IO_BYTES "$bytes_stream"
whole_number BENCH_IO_LOG_BYTES "$bytes_log"
whole_number BENCH_IO_RUNS "$runs" 1
whole_number BENCH_IO_ECHO "$iters" 10
whole_number BENCH_TIMEOUT "$budget"
[ "$bytes_stream" -ge 1048576 ] && [ "$bytes_log" -ge 1048576 ] || die "BENCH_IO_BYTES and BENCH_IO_LOG_BYTES must be at least 1 MiB"

# A private mount namespace: the crun workaround below never shows on the host.
private_mount_ns PODINIT_BENCH_IO_IN_NS

exec </dev/null     # no console for the pods: podinit would look for a tty on stdin

# ------------------------------------------------------------- workspace
make_work "${BENCH_IO_WORK:-/tmp/podinit-bench/io-work}" .podinit-bench-io BENCH_IO_WORK
copy_binaries
client=$work/bin/echo_rtt
compile "$client" "$src/bench/echo_rtt.c"

crun_root=$work/crun-state
cm_dir=$work/conmon
st=$work/state
outfile=$work/out               # the log-mode and floor files (same file system)
state_dirs=("$st")

install_cleanup
start_watchdog "$budget"

# --------------------------------------------------------------- helpers
hz=$(getconf CLK_TCK)
mib_of() { awk -v b="$1" 'BEGIN { printf "%g", b / 1048576 }'; }

# CPU time of a process so far, in clock ticks (utime + stime, /proc/PID/stat;
# the fields after the command name, which may hold spaces).
cpu_ticks() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -; return 0; }
    s=${s##*) }
    awk '{ print $12 + $13 }' <<<"$s"
}
cpu_diff() { if [ "$1" = - ] || [ "$2" = - ]; then echo -; else echo $(($2 - $1)); fi; }

# The samples are recorded (record) in the current group: stream, log or echo.

# app_stream POD_DIR APP: "BYTES DROPPED" of the app's stdout, from its status file
app_stream() {
    local j
    j=$(cat "$1/stage1/rootfs/rkt/podinit/apps/$2.json") || { say "no status file for app $2 in $1"; exit 1; }
    [[ $j =~ \"stdout\":\{\"bytes\":([0-9]+),\"droppedForClients\":([0-9]+) ]] ||
        { say "app $2: cannot read its stdout counters: $j"; exit 1; }
    echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

# start_pod HOW FLOOD_OPTS...: a two-app pod, the flood app (with FLOOD_OPTS)
# and an idle one that keeps PID 1 alive after the flood.  HOW is -d
# (detached), file (foreground, stdout to $outfile) or pipe (foreground,
# stdout to cat > /dev/null).  Sets uuid, pod (its directory), pid1, fg.
start_pod() {
    local how=$1
    shift
    # The flood app waits for one line on its (stream) stdin, then writes.
    local args=("$img" --name=flood --stdin=stream --exec=/bin/sh "$@" -- -c "read x; exec /probe flood $bytes"
        --- "$img" --name=idle --exec=/probe -- sleep 3600)
    fg=""
    case $how in
        -d)
            uuid=$("$podctl" --dir="$st" run -d --net=none "${args[@]}" 2>>"$log") || fail_run "podctl run -d" $?
            ;;
        file|pipe)
            rm -f "$work/uuid" "$outfile"
            if [ "$how" = file ]; then
                "$podctl" --dir="$st" run --net=none --uuid-file-save="$work/uuid" "${args[@]}" >"$outfile" 2>>"$log" &
            else
                "$podctl" --dir="$st" run --net=none --uuid-file-save="$work/uuid" "${args[@]}" 2>>"$log" | cat >/dev/null &
            fi
            fg=$!
            bg_pids+=("$fg")
            await_uuid "$work/uuid"
            ;;
    esac
    pod_up "$st" "$uuid"
}

# check_all VARIANT GOT DROPPED: record what reached the client
check_all() {
    record "$1" got "$2"
    record "$1" dropped "$3"
    [ $(($2 + $3)) -eq "$bytes" ] || say "$1: the client got $2 bytes and $3 were reported dropped, of $bytes"
}

# -------------------------------------------------------------- fixtures
say "building the image and the OCI bundle in $work"
img=$work/img
make_image "$img" --name example.com/bench-io
floor_root=$img/rootfs          # the floor runs the same binary in a chroot

make_bundle "$img/rootfs"
# conmon runs the bundle's config.json: crun's default spec, edited: the
# flood of $bytes, no terminal, a writable root.
flood_config() { crun_config "$bundle/config.json" '"/probe", "flood", "'"$bytes"'"'; }

# As in bench/run.sh, but crun leaves the cgroups alone.
crun_setup disabled

# ---------------------------------------------------------------- variants
# Each sets samples VARIANT.secs (seconds), .cpu (supervisor clock ticks, or
# -), .got and .dropped (bytes delivered to the client / reported dropped).

v_floor_pipe() {
    local t0 t1
    sync
    t0=$(now_us)
    chroot "$floor_root" /probe flood "$bytes" | cat >/dev/null || fail_run "floor (probe | cat)" $?
    t1=$(now_us)
    record floor_pipe secs "$(elapsed "$t0" "$t1")"
}

v_floor_file() {
    local t0 t1
    rm -f "$outfile"
    sync
    t0=$(now_us)
    chroot "$floor_root" /probe flood "$bytes" >"$outfile" || fail_run "floor (probe > file)" $?
    t1=$(now_us)
    [ "$(stat -c %s "$outfile")" -eq "$bytes" ] || { say "floor: $outfile is not $bytes bytes"; exit 1; }
    rm -f "$outfile"
    record floor_file secs "$(elapsed "$t0" "$t1")"
}

# stream -> podctl attach > /dev/null
v_podctl() {
    local c0 c1 t0 t1 rc=0 b d
    start_pod -d --stdout=stream
    c0=$(cpu_ticks "$pid1")
    t0=$(now_us)
    printf 'go\n' | "$podctl" --dir="$st" attach --app=flood "$uuid" >/dev/null 2>"$work/attach.err" || rc=$?
    t1=$(now_us)
    c1=$(cpu_ticks "$pid1")
    cat "$work/attach.err" >>"$log"
    [ $rc -eq 0 ] || fail_run "podctl attach" $rc
    read -r b d < <(app_stream "$pod" flood)
    [ "$b" -eq "$bytes" ] || { say "podctl attach: PID 1 read $b bytes of $bytes"; exit 1; }
    check_all podctl $((b - d)) "$d"
    record podctl secs "$(elapsed "$t0" "$t1")"
    record podctl cpu "$(cpu_diff "$c0" "$c1")"
    stop_pod "$st" "$uuid" "$fg"
}

# stream -> echo_rtt attach-run (VARIANT [QUEUE]); with log-attached: file too
v_client() {
    local v=$1 c0 c1 secs got dropped code
    shift
    if [ "$v" = logatt ]; then
        start_pod file --stdout=stream --log-attached
    else
        start_pod -d --stdout=stream
    fi
    c0=$(cpu_ticks "$pid1")
    read -r secs got dropped code < <("$client" attach-run "$pod" flood 1 "$@" 2>>"$log") || fail_run "echo_rtt attach-run" 1
    c1=$(cpu_ticks "$pid1")
    [ "$code" = 0 ] || { say "$v: the app exited with $code"; exit 1; }
    check_all "$v" "$got" "$dropped"
    if [ "$v" = logatt ]; then
        [ "$(stat -c %s "$outfile")" -eq "$bytes" ] || { say "$v: the log file is not $bytes bytes"; exit 1; }
    fi
    record "$v" secs "$secs"
    record "$v" cpu "$(cpu_diff "$c0" "$c1")"
    stop_pod "$st" "$uuid" "$fg"
    rm -f "$outfile"
}

# log mode, foreground pod, to a file or a pipe; timed from the attach
# (stdin only) that starts the app to the EXIT frame.
v_log() {
    local how=$1 v=log_$1 c0 c1 secs got dropped code b d
    start_pod "$how"
    c0=$(cpu_ticks "$pid1")
    read -r secs got dropped code < <("$client" attach-run "$pod" flood 0 2>>"$log") || fail_run "echo_rtt attach-run (stdin only)" 1
    c1=$(cpu_ticks "$pid1")
    [ "$code" = 0 ] || { say "$v: the app exited with $code"; exit 1; }
    read -r b d < <(app_stream "$pod" flood)
    [ "$b" -eq "$bytes" ] || { say "$v: PID 1 read $b bytes of $bytes"; exit 1; }
    if [ "$how" = file ]; then
        [ "$(stat -c %s "$outfile")" -eq "$bytes" ] || { say "$v: the log file is not $bytes bytes"; exit 1; }
    fi
    record "$v" secs "$secs"
    record "$v" cpu "$(cpu_diff "$c0" "$c1")"
    stop_pod "$st" "$uuid" "$fg"
    rm -f "$outfile"
}

# the whole user-facing command: one-app pod, foreground, stdout to a file
v_whole() {
    local t0 t1 rc=0
    rm -f "$outfile"
    sync
    t0=$(now_us)
    "$podctl" --dir="$st" run --net=none "$img" --exec=/probe -- flood "$bytes" >"$outfile" 2>>"$log" || rc=$?
    t1=$(now_us)
    [ $rc -eq 0 ] || fail_run "podctl run > file" $rc
    [ "$(stat -c %s "$outfile")" -eq "$bytes" ] || { say "podctl run > file: not $bytes bytes"; exit 1; }
    "$podctl" --dir="$st" gc >/dev/null 2>>"$log"
    rm -f "$outfile"
    record whole secs "$(elapsed "$t0" "$t1")"
}

# conmon as podman runs it (daemonized, crun creates the container), except
# --no-sync-log (podinit does not fsync its log either).  Its exit command
# (sleep 1) keeps it alive for a moment after the container's end, so that
# its CPU time can be read.  attach: connect to its attach socket first,
# then start the container; log: start it and wait for the exit file.
conmon_seq=0
v_conmon() {
    local how=$1 v=conmon_$1 id=io-$$-$((conmon_seq++)) d cp c0 c1 r secs got sz
    sync
    conmon_start "$id" "$cm_dir/$id/ctr.log" --no-sync-log --exit-command /bin/sleep --exit-command-arg 1
    d=$cm_d cp=$cm_pid
    c0=$(cpu_ticks "$cp")
    if [ "$how" = attach ]; then
        r=$("$client" conmon-read "$d/sock/$id/attach" -- "${crun_g[@]}" start "$id" 2>>"$log") ||
            fail_run "echo_rtt conmon-read" 1
        c1=$(cpu_ticks "$cp")
        read -r secs _ got <<<"$r"
        check_all "$v" "$got" 0
    else
        secs=$("$client" run-wait-file "$d/exit/$id" -- "${crun_g[@]}" start "$id" 2>>"$log") ||
            fail_run "crun start (under conmon)" 1
        c1=$(cpu_ticks "$cp")
    fi
    [ "$c1" != - ] || say "$v: conmon was gone before its CPU time could be read"
    sz=$(stat -c %s "$d/ctr.log")
    [ "$sz" -gt "$bytes" ] || { say "$v: conmon's log has $sz bytes, expected more than $bytes"; exit 1; }
    record conmon logsize "$sz"
    record "$v" secs "$secs"
    record "$v" cpu "$(cpu_diff "$c0" "$c1")"
    conmon_end "$id" "$cp"
    rm -f "$d/ctr.log"
}

# echo round trips: each sets er="median p99 mean" (µs)
e_unix() { er=$("$client" unix-echo "$iters" 2>>"$log") || fail_run "echo_rtt unix-echo" 1; }
e_pipe() { er=$("$client" pipe-echo "$iters" "$floor_root/bin/cat" 2>>"$log") || fail_run "echo_rtt pipe-echo" 1; }
e_relay() { er=$("$client" relay-echo "$iters" "$floor_root/bin/cat" 2>>"$log") || fail_run "echo_rtt relay-echo" 1; }
e_attach() {
    uuid=$("$podctl" --dir="$st" run -d --net=none "$img" --name=cat --stdin=stream --stdout=stream --exec=/bin/cat 2>>"$log") ||
        fail_run "podctl run -d (cat)" $?
    er=$("$client" attach-echo "$st/pods/run/$uuid" cat "$iters" 2>>"$log") || fail_run "echo_rtt attach-echo" 1
    "$podctl" --dir="$st" gc >/dev/null 2>>"$log"
}
echo_round() {
    local v med p99
    for v in unix pipe relay attach; do
        "e_$v"
        read -r med p99 _ <<<"$er"
        record "echo_$v" med "$med"
        record "echo_$v" p99 "$p99"
    done
}

# ------------------------------------------------------------------- runs
# Sanity: each path once on a small flood before anything is timed.
say "sanity checks"
"$podctl" --dir="$st" run --net=none "$img" --exec=/probe -- flood 1000 >"$outfile" 2>>"$log" || fail_run "podctl run (sanity)" $?
[ "$(stat -c %s "$outfile")" -eq 1000 ] || die "podctl run (sanity): expected 1000 bytes of output"
"$podctl" --dir="$st" gc >/dev/null
rm -f "$outfile"

run_variant() {
    case $1 in
        floor_pipe) v_floor_pipe ;;
        floor_file) v_floor_file ;;
        podctl) v_podctl ;;
        client) v_client client ;;
        clientbig) v_client clientbig $((256 << 20)) ;;
        logatt) v_client logatt ;;
        conmon_attach) v_conmon attach ;;
        log_file) v_log file ;;
        log_pipe) v_log pipe ;;
        whole) v_whole ;;
        conmon_log) v_conmon log ;;
    esac
}

# run_group GROUP BYTES VARIANT...: $runs rounds, the order rotating every round
declare -A group_s
run_group() {
    local r k n t0
    group=$1 bytes=$2
    shift 2
    n=$#
    local vs=("$@")
    flood_config
    say "$group: $runs rounds of $n variants, $(mib_of "$bytes") MiB each"
    t0=$(now_us)
    for ((r = 0; r < runs; r++)); do
        for ((k = 0; k < n; k++)); do
            run_variant "${vs[$(((k + r) % n))]}"
        done
    done
    group_s[$group]=$(( ($(now_us) - t0) / 1000000 ))
}

# Fast paths (to a client) with more bytes; the line-by-line log paths with fewer.
stream_vs=(floor_pipe podctl client clientbig conmon_attach)
log_vs=(floor_pipe floor_file logatt conmon_attach log_file log_pipe whole conmon_log)
run_group stream "$bytes_stream" "${stream_vs[@]}"
run_group log "$bytes_log" "${log_vs[@]}"

say "echo round trips: $runs runs of $iters"
group="echo"
t_start=$(now_us)
for ((r = 0; r < runs; r++)); do echo_round; done
echo_s=$(( ($(now_us) - t_start) / 1000000 ))

# ---------------------------------------------------------------- report
# per GROUP.VARIANT: median seconds, MiB/s, CPU ms per MiB
declare -A rate secs cpu
for g in stream log; do
    if [ $g = stream ]; then b=$bytes_stream; vs=("${stream_vs[@]}"); else b=$bytes_log; vs=("${log_vs[@]}"); fi
    m=$(mib_of "$b")
    for v in "${vs[@]}"; do
        k=$g.$v
        secs[$k]=$(median "$samples/$k.secs")
        rate[$k]=$(awk -v s="${secs[$k]}" -v m="$m" 'BEGIN { printf "%.0f", m / s }')
        cpu[$k]=-
        if [ -e "$samples/$k.cpu" ]; then
            c=$(median "$samples/$k.cpu")
            cpu[$k]=$(awk -v c="$c" -v hz="$hz" -v m="$m" 'BEGIN { if (c == "-") print "-"; else printf "%.2f", c * 1000 / hz / m }')
        fi
    done
done

# delivered GROUP.VARIANT BYTES: what the client got, over all runs
delivered() {
    [ -e "$samples/$1.got" ] || { echo "-"; return; }
    paste "$samples/$1.got" "$samples/$1.dropped" | awk -v n="$2" '
        { runs++; if ($1 < n) short++; if (n - $1 > worst) worst = n - $1 }
        END {
            if (short == 0) { printf "all (%d/%d runs)", runs, runs; exit }
            printf "**lossy**: %d/%d runs short, up to %.0f KiB (%.3f %%) lost", short, runs, worst / 1024, 100 * worst / n }'
}

cm_log=$(median "$samples/log.conmon.logsize")

row() {     # row GROUP LABEL VARIANT FLOOR CONMON: ratios of times (the same bytes)
    local g=$1 l=$2 v=$1.$3 f=$1.$4 c=$1.$5 b
    [ "$g" = stream ] && b=$bytes_stream || b=$bytes_log
    printf '| %s | %s | %.3f | %s | %s | %s | %s | %s |\n' "$l" "${rate[$v]}" "${secs[$v]}" \
        "$( [ "$4" = - ] && echo - || ratio "${secs[$v]}" "${secs[$f]}")" \
        "$( [ "$5" = - ] && echo - || ratio "${secs[$v]}" "${secs[$c]}")" \
        "${cpu[$v]}" "$( [ "$5" = - ] && echo - || ratio "${cpu[$v]}" "${cpu[$c]}")" "$(delivered "$v" "$b")"
}
erow() {    # erow LABEL VARIANT
    local m p
    m=$(median "$samples/echo.echo_$2.med")
    p=$(median "$samples/echo.echo_$2.p99")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$m" "$p" "$(ratio "$m" "$(median "$samples/echo.echo_unix.med")")" \
        "$(ratio "$m" "$(median "$samples/echo.echo_pipe.med")")" "$(ratio "$m" "$(median "$samples/echo.echo_relay.med")")"
}

{
echo "# podinit I/O benchmarks"
echo
machine_line
echo "$(crun --version | head -1), $(conmon --version | head -1). $crun_note."
echo
echo "## 1. Throughput of an app's stdout (100-byte lines; medians of $runs interleaved rounds)"
echo
echo "Ratios are of times (and of CPU time) for the same bytes: lower is better, 1.00 is a tie. CPU is"
echo "the supervisor's (podinit's PID 1, or conmon) utime + stime per MiB forwarded, at ${hz} Hz."
echo
echo "### 1a. To an attached client ($(mib_of "$bytes_stream") MiB per run, ${group_s[stream]}s)"
echo
echo "| path | MiB/s | s | time ÷ floor | time ÷ conmon | CPU ms/MiB | CPU ÷ conmon | delivered to the client |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
row stream "floor: probe \\| cat > /dev/null" floor_pipe - -
row stream "**stream → podctl attach > /dev/null**" podctl floor_pipe conmon_attach
row stream "stream → lean client (1 MiB queue, as podctl)" client floor_pipe conmon_attach
row stream "stream → lean client (256 MiB queue)" clientbig floor_pipe conmon_attach
row stream "conmon attach socket (+ its k8s-file log)" conmon_attach floor_pipe -
echo
echo "### 1b. To the log ($(mib_of "$bytes_log") MiB per run, ${group_s[log]}s)"
echo
echo "| path | MiB/s | s | time ÷ floor | time ÷ conmon | CPU ms/MiB | CPU ÷ conmon | delivered to the client |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
row log "floor: probe \\| cat > /dev/null" floor_pipe - -
row log "floor: probe > file" floor_file - -
row log "**log → file** (podctl run > FILE)" log_file floor_file conmon_log
row log "log → pipe (podctl run \\| cat > /dev/null)" log_pipe floor_pipe conmon_log
row log "podctl run > FILE, whole command (1 app, start to exit)" whole floor_file conmon_log
row log "conmon k8s-file log alone" conmon_log floor_file -
row log "stream + --log-attached → lean client + file" logatt floor_file conmon_attach
row log "conmon attach socket (+ its k8s-file log)" conmon_attach floor_pipe -
echo
echo "- The podinit apps are \`sh -c 'read x; exec /probe flood N'\` with a stream stdin: the client attaches"
echo "  (stdin only, for log mode), sends the line, and the time runs until the EXIT frame (for podctl"
echo "  attach: from starting podctl to its exit). A second, idle app keeps PID 1 alive for the CPU reading."
echo "- conmon runs as podman starts it (daemonized, crun), with --no-sync-log; \"attach\" connects to its"
echo "  SOCK_SEQPACKET attach socket before \`crun start\` and times until the last byte; \"log alone\" times"
echo "  \`crun start\` to the exit file. Its k8s-file log holds $cm_log bytes for $bytes_log of output (a timestamp"
echo "  and stream tag per line)."
echo "- \"lossy\": podinit never slows an app for a client (docs/protocol.md, \"Slow clients\"): a client that"
echo "  falls more than its queue behind misses output (DROPPED frames). conmon's attach socket blocks the"
echo "  container instead and loses nothing."
echo
echo "## 2. Round trip of one byte through an attached \`cat\` (µs; $iters round trips per run, medians of $runs runs, ${echo_s}s)"
echo
echo "| path | median | p99 | median ÷ socket echo | median ÷ pipe echo | median ÷ relay floor |"
echo "|---|---:|---:|---:|---:|---:|"
erow "floor: Unix socket to an echo process" unix
erow "floor: pipe → cat → pipe (no supervisor)" pipe
erow "floor: socket → relay → pipe → cat → pipe → relay → socket" relay
erow "**podinit attach (stream stdin/stdout) → cat**" attach
echo
echo "The attach round trip is client → socket → PID 1 → pipe → cat → pipe → PID 1 → socket → client,"
echo "measured with bench/echo_rtt.c's own client (podctl attach adds its terminal handling on top)."
echo "The relay floor takes the same four hops through the smallest possible supervisor (one epoll loop,"
echo "no framing): it is what any supervisor between a client and an app costs; the socket echo has two"
echo "hops fewer (no app), so no supervisor can come near it."
} >"$out"

cat "$out"
say "results written to $out"
