#!/usr/bin/env bash
# bench/logs.sh -- log-file throughput: podinit's CRI log files next to the
# floor and conmon's k8s-file log driver.
#
# usage: bench/logs.sh BUILD_DIR         (as root)
#
# The app writes to its stdout; three workloads:
#   yes:   BENCH_LOGS_YES_BYTES of busybox `yes 2>/dev/null | head -c N`
#          (2-byte lines "y\n", written 4 KiB at a time by head), 1 GiB by
#          default.  yes's stderr goes nowhere: podinit starts apps with
#          SIGPIPE ignored (as rkt does), so yes would end with an error
#          line on stderr there instead of dying of SIGPIPE;
#   short: `/probe lines N 20`, BENCH_LOGS_SHORT_LINES 20-byte lines (10 M);
#   kib:   `/probe lines N 1024`, BENCH_LOGS_KIB_LINES 1 KiB lines (1 M).
# Each is run by three contenders, which take turns within each round (the
# order rotating every round):
#   floor:   the app in a chroot of the same image, `| cat > FILE`, then
#            `sync -d FILE` (the loggers sync their files too);
#   conmon:  conmon with `--log-path k8s-file:FILE`, crun creating the
#            container as bench/io.sh does; timed from `crun start` to the
#            exit file, which conmon writes after draining and fsyncing;
#   podinit: `podctl run --console-format=none` of a pod with the app
#            (rotation off: --log-max-size=0) and a second, idle app that
#            keeps PID 1 alive after the app's end; timed from the app's
#            startedAt to its status file saying "exited", which PID 1
#            writes once the log is drained and synced.
# Measured: seconds, bytes and lines of app output per second, CPU seconds
# (utime + stime) and peak RSS of the logging process (cat; conmon; PID 1,
# read from /proc while it is still alive), and the log file's size.  After
# every conmon and podinit run the full records in the file (F tag) are
# counted and must equal the lines the app wrote.  Each file is deleted
# right after it is checked: 1 GiB of `yes` makes about 25 GB of records.
#
# Environment: BENCH_LOGS_OUT (results, default /tmp/podinit-bench/logs.md),
# BENCH_LOGS_WORK (scratch, on a disk file system: default
# /var/tmp/podinit-bench/logs-work), BENCH_LOGS_YES_BYTES (1073741824),
# BENCH_LOGS_SHORT_LINES (10000000), BENCH_LOGS_KIB_LINES (1000000); 0 skips
# that workload.  BENCH_LOGS_RUNS (rounds, 3), BENCH_TIMEOUT (whole-run
# budget in seconds, 5400), BENCH_KEEP=1 (keep the scratch directory), CC
# (to build the small helper below; default cc).
set -euo pipefail
export LC_ALL=C

prog=bench/logs.sh
# shellcheck source=bench/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
bench_start "$@"

# ------------------------------------------------------------------ checks
need_tools conmon crun unshare chroot cat sort mount umount awk sed stat ps getconf wc grep df date sync "$cc"
check_missing
"$build/podctl" run --help 2>&1 | grep -q -- '--console-format=[a-z|]*none' ||
    die "$build/podctl has no 'run --console-format=none' (a build without CRI log files?)"

yes_bytes=${BENCH_LOGS_YES_BYTES:-1073741824}
short_lines=${BENCH_LOGS_SHORT_LINES:-10000000}
kib_lines=${BENCH_LOGS_KIB_LINES:-1000000}
runs=${BENCH_LOGS_RUNS:-3}
budget=${BENCH_TIMEOUT:-5400}
out=${BENCH_LOGS_OUT:-/tmp/podinit-bench/logs.md}
whole_number BENCH_LOGS_YES_BYTES "$yes_bytes"
whole_number BENCH_LOGS_SHORT_LINES "$short_lines"
whole_number BENCH_LOGS_KIB_LINES "$kib_lines"
whole_number BENCH_LOGS_RUNS "$runs" 1
whole_number BENCH_TIMEOUT "$budget"
[ $((yes_bytes % 2)) -eq 0 ] || die "BENCH_LOGS_YES_BYTES must be even (whole 2-byte lines)"
[ $((yes_bytes + short_lines + kib_lines)) -gt 0 ] || die "all three workloads are 0: nothing to measure"

# The workloads: id, the app's argv (one word per line), its bytes and lines.
wls=()
declare -A wl_argv wl_bytes wl_lines wl_label
add_wl() {      # add_wl ID LABEL BYTES LINES ARGV...
    local id=$1
    wls+=("$id")
    wl_label[$id]=$2
    wl_bytes[$id]=$3
    wl_lines[$id]=$4
    shift 4
    wl_argv[$id]=$(printf '%s\n' "$@")
}
[ "$yes_bytes" -eq 0 ] || add_wl yes "yes: \`yes 2>/dev/null | head -c $yes_bytes\` (2-byte lines)" \
    "$yes_bytes" $((yes_bytes / 2)) /bin/sh -c "yes 2>/dev/null | head -c $yes_bytes"
[ "$short_lines" -eq 0 ] || add_wl short "short: \`probe lines $short_lines 20\` (20-byte lines)" \
    $((short_lines * 20)) "$short_lines" /probe lines "$short_lines" 20
[ "$kib_lines" -eq 0 ] || add_wl kib "kib: \`probe lines $kib_lines 1024\` (1 KiB lines)" \
    $((kib_lines * 1024)) "$kib_lines" /probe lines "$kib_lines" 1024

# A private mount namespace: the crun workaround below never shows on the host.
private_mount_ns PODINIT_BENCH_LOGS_IN_NS

exec </dev/null     # no console for the pods: podinit would look for a tty on stdin

# ------------------------------------------------------------- workspace
make_work "${BENCH_LOGS_WORK:-/var/tmp/podinit-bench/logs-work}" .podinit-bench-logs BENCH_LOGS_WORK

# Room for the largest log file: one at a time exists, since each is deleted
# once checked.  conmon's records are the longer ones: a 35-byte timestamp
# with "+00:00", " stdout F ", the line.
need=0
for w in "${wls[@]}"; do
    n=$(( wl_lines[$w] * 45 + wl_bytes[$w] ))
    [ "$n" -gt "$need" ] && need=$n
done
need=$(( need + need / 50 + (1 << 30) ))    # 2 % and 1 GiB to spare
avail=$(df -B1 --output=avail "$work" | tail -n 1 | tr -d ' ')
fs_type=$(df --output=fstype "$work" | tail -n 1 | tr -d ' ')
gb() { awk -v b="$1" 'BEGIN { printf "%.1f GB", b / 1e9 }'; }
if [ "$avail" -lt "$need" ]; then
    rm -rf -- "$work"
    die "the log files need $(gb "$need") free in $work ($fs_type), which has $(gb "$avail"); set BENCH_LOGS_WORK to a larger file system or lower BENCH_LOGS_YES_BYTES (the largest log is about 23.5 times the yes bytes)"
fi
[ "$fs_type" != tmpfs ] || say "note: $work is on a tmpfs; the log files will be in memory, not on a disk"

copy_binaries
helper=$work/bin/logbench

# The helper: `rusage FILE CMD...` runs CMD and writes its CPU seconds and
# peak RSS (wait4) to FILE; `wait FILE TEXT PID` polls every millisecond
# until FILE exists and holds TEXT (any content if TEXT is empty), then
# prints the time (µs since the epoch), PID's CPU seconds and its VmHWM in
# KiB, read at once while PID is still alive.
cat >"$work/logbench.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static ssize_t slurp(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

/* CPU seconds (utime + stime) and VmHWM (KiB) of a live process. */
static int usage_of(pid_t pid, double *cpu, long *hwm)
{
	static char buf[8192];
	char path[64], *p;
	unsigned long ut, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (slurp(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return -1;
	/* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	*cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (slurp(path, buf, sizeof(buf)) <= 0 || !(p = strstr(buf, "\nVmHWM:")))
		return -1;      /* no VmHWM: the process is exiting */
	*hwm = strtol(p + 7, NULL, 10);
	return 0;
}

static int ready(const char *path, const char *text)
{
	static char buf[65536];

	if (!*text)
		return access(path, F_OK) == 0;
	return slurp(path, buf, sizeof(buf)) > 0 && strstr(buf, text) != NULL;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "rusage")) {
		struct rusage ru;
		int status;
		pid_t pid = fork();
		FILE *f;

		if (pid < 0)
			return perror("fork"), 125;
		if (pid == 0) {
			execvp(argv[3], argv + 3);
			perror(argv[3]);
			_exit(127);
		}
		while (wait4(pid, &status, 0, &ru) < 0)
			if (errno != EINTR)
				return perror("wait4"), 125;
		if (!(f = fopen(argv[2], "w")))
			return perror(argv[2]), 125;
		fprintf(f, "%.6f %ld\n", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
			(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6, ru.ru_maxrss);
		fclose(f);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	if (argc == 5 && !strcmp(argv[1], "wait")) {
		pid_t pid = (pid_t)atoi(argv[4]);
		struct timespec ms = { 0, 1000000 }, now;
		double cpu;
		long hwm;

		for (;;) {
			if (ready(argv[2], argv[3])) {
				clock_gettime(CLOCK_REALTIME, &now);
				if (usage_of(pid, &cpu, &hwm) < 0) {
					fprintf(stderr, "logbench: process %d ended before it could be measured\n", (int)pid);
					return 1;
				}
				printf("%lld %.2f %ld\n", (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000, cpu, hwm);
				return 0;
			}
			if (kill(pid, 0) < 0 && errno == ESRCH && !ready(argv[2], argv[3])) {
				fprintf(stderr, "logbench: process %d ended; %s never held '%s'\n", (int)pid, argv[2], argv[3]);
				return 1;
			}
			nanosleep(&ms, NULL);
		}
	}
	fprintf(stderr, "usage: logbench rusage FILE CMD... | wait FILE TEXT PID\n");
	return 2;
}
EOF
compile "$helper" "$work/logbench.c"

crun_root=$work/crun-state
cm_dir=$work/conmon
st=$work/state
outfile=$work/out               # the floor's file
state_dirs=("$st")

install_cleanup
start_watchdog "$budget"

# --------------------------------------------------------------- helpers
# The samples are recorded (record) in the current workload: group=$wl.

# check_records WHO FILE LINES: the file's full (F) stdout records must be
# the app's LINES, and nothing else but partial (P) records of them.  Sets
# records (all of them) and partial.  wc is fast; grep reads the file once
# more, and once again only if there are records other than F ones.
check_records() {
    local who=$1 f=$2 want=$3 full notfull other=0
    records=$(wc -l <"$f")
    notfull=$(grep -c -v -F ' stdout F ' "$f" || true)
    full=$((records - notfull))
    partial=0
    if [ "$notfull" -gt 0 ]; then
        partial=$(grep -v -F ' stdout F ' "$f" | grep -c -F ' stdout P ' || true)
        other=$((notfull - partial))
    fi
    if [ "$full" -ne "$want" ] || [ "$other" -ne 0 ]; then
        say "$who ($wl): WRONG LOG: $full full stdout records for $want lines written ($records records, $partial partial, $other others) in $f"
        grep -v -F ' stdout F ' "$f" | head -n 5 >&2 || true
        exit 1
    fi
}

# -------------------------------------------------------------- fixtures
say "building the image and the OCI bundle in $work"
img=$work/img
make_image "$img" --name example.com/bench-logs
floor_root=$img/rootfs          # the floor runs the same binaries in a chroot

make_bundle "$img/rootfs"
# conmon runs the bundle's config.json: crun's default spec, edited: the
# workload's argv, no terminal, a writable root.
app_config() {      # app_config WORKLOAD
    local a args_json="" i
    mapfile -t a <<<"${wl_argv[$1]}"
    for i in "${a[@]}"; do args_json+="${args_json:+, }\"$i\""; done
    crun_config "$bundle/config.json" "$args_json"
}

# As in bench/io.sh: crun leaves the cgroups alone.
crun_setup disabled

# ---------------------------------------------------------------- contenders
# Each records for workload $wl: secs, cpu (seconds), rss (KiB), size (bytes
# of the file); conmon and podinit also records and partial (record counts).

c_floor() {
    local t0 t1 a cpu rss sz
    mapfile -t a <<<"${wl_argv[$wl]}"
    rm -f "$outfile"
    sync
    t0=$(now_us)
    chroot "$floor_root" "${a[@]}" | "$helper" rusage "$work/floor.ru" cat >"$outfile" || fail_run "floor (app | cat > file)" $?
    sync -d "$outfile"
    t1=$(now_us)
    sz=$(stat -c %s "$outfile")
    [ "$sz" -eq "${wl_bytes[$wl]}" ] || { say "floor ($wl): $outfile has $sz bytes, not ${wl_bytes[$wl]}"; exit 1; }
    read -r cpu rss <"$work/floor.ru"
    record floor secs "$(elapsed "$t0" "$t1")"
    record floor cpu "$cpu"
    record floor rss "$rss"
    record floor size "$sz"
    rm -f "$outfile"
}

# conmon as podman starts it (daemonized, crun creates the container), with
# its k8s-file log driver; it syncs the log before writing the exit file, as
# PID 1 does before recording the app's exit.  Its exit command (sleep 1)
# keeps it alive for a moment after that, so that its CPU time and peak RSS
# can be read.
conmon_seq=0
c_conmon() {
    local id=logs-$$-$((conmon_seq++)) d cp t0 t1 cpu rss code sz
    conmon_start "$id" "k8s-file:$cm_dir/$id/ctr.log" --exit-command /bin/sleep --exit-command-arg 1
    d=$cm_d cp=$cm_pid
    sync
    t0=$(now_us)
    "${crun_g[@]}" start "$id" >>"$log" 2>&1 || fail_run "crun start (under conmon)" $?
    read -r t1 cpu rss < <("$helper" wait "$d/exit/$id" "" "$cp" 2>>"$log") || fail_run "conmon (waiting for the exit file)" 1
    code=$(cat "$d/exit/$id")
    [ "$code" = 0 ] || { say "conmon ($wl): the app exited with $code"; exit 1; }
    sz=$(stat -c %s "$d/ctr.log")
    check_records conmon "$d/ctr.log" "${wl_lines[$wl]}"
    record conmon secs "$(elapsed "$t0" "$t1")"
    record conmon cpu "$cpu"
    record conmon rss "$rss"
    record conmon size "$sz"
    record conmon records "$records"
    record conmon partial "$partial"
    conmon_end "$id" "$cp"
    rm -rf "$d"
}

# json_num JSON KEY: the first "KEY":NUMBER in JSON
json_num() { [[ $1 =~ \"$2\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo -; }

# A two-app pod in the foreground (as `podctl run` is used by hand): the app,
# logged to its CRI file with rotation off, and an idle app that keeps PID 1
# alive once the app has ended, so that its CPU time and peak RSS can be read.
c_podinit() {
    local a fg uuid pod pid1 t0 t1 cpu rss j ts lpath sz
    mapfile -t a <<<"${wl_argv[$wl]}"
    rm -f "$work/uuid"
    sync
    "$podctl" --dir="$st" run --net=none --console-format=none --uuid-file-save="$work/uuid" \
        "$img" --name=app --log-max-size=0 --exec="${a[0]}" -- "${a[@]:1}" \
        --- "$img" --name=idle --exec=/probe -- sleep 3600 >>"$log" 2>&1 &
    fg=$!
    bg_pids+=("$fg")
    await_uuid "$work/uuid"
    pod_up "$st" "$uuid"
    read -r t1 cpu rss < <("$helper" wait "$pod/stage1/rootfs/rkt/podinit/apps/app.json" '"state":"exited"' "$pid1" 2>>"$log") ||
        fail_run "podinit (waiting for the app's exit)" 1
    j=$(cat "$pod/stage1/rootfs/rkt/podinit/apps/app.json")
    [[ $j =~ \"startedAt\":\"([^\"]+)\" ]] || { say "podinit ($wl): no startedAt in $j"; exit 1; }
    ts=${BASH_REMATCH[1]}
    t0=$(date -u -d "$ts" +%s%6N)
    [ "$(json_num "$j" exitCode)" = 0 ] || { say "podinit ($wl): the app did not exit with 0: $j"; exit 1; }
    [[ $j =~ \"log\":\{\"path\":\"([^\"]+)\" ]] || { say "podinit ($wl): no log path in $j"; exit 1; }
    lpath=${BASH_REMATCH[1]}
    [ "$(json_num "$j" lines)" = "${wl_lines[$wl]}" ] && [ "$(json_num "$j" droppedBytes)" = 0 ] &&
        [ "$(json_num "$j" rotations)" = 0 ] ||
        { say "podinit ($wl): PID 1's log counters are off (want ${wl_lines[$wl]} lines, nothing dropped, no rotation): $j"; exit 1; }
    sz=$(stat -c %s "$lpath")
    check_records podinit "$lpath" "${wl_lines[$wl]}"
    [ "$records" = "$(json_num "$j" records)" ] || { say "podinit ($wl): $records records in $lpath, PID 1 counted $(json_num "$j" records)"; exit 1; }
    record podinit secs "$(elapsed "$t0" "$t1")"
    record podinit cpu "$cpu"
    record podinit rss "$rss"
    record podinit size "$sz"
    record podinit records "$records"
    record podinit partial "$partial"
    stop_pod "$st" "$uuid" "$fg"        # gc removes the pod, and its log
}

# ------------------------------------------------------------------- runs
# Sanity: each contender once on 1000 short lines; the CPU time of a (nearly)
# idle conmon and PID 1 is what every run pays to start.
say "sanity checks"
wls_all=("${wls[@]}")
add_wl sanity sanity 20000 1000 /probe lines 1000 20
wl=sanity group=sanity
app_config sanity
c_floor
c_conmon
c_podinit
base_conmon=$(median "$samples/sanity.conmon.cpu")
base_podinit=$(median "$samples/sanity.podinit.cpu")
wls=("${wls_all[@]}")

contenders=(floor conmon podinit)
declare -A wl_s
t_all=$(now_us)
for wl in "${wls[@]}"; do
    group=$wl
    app_config "$wl"
    say "$wl: $runs rounds of ${#contenders[@]} contenders, ${wl_bytes[$wl]} bytes in ${wl_lines[$wl]} lines"
    t_wl=$(now_us)
    n=${#contenders[@]}
    for ((r = 0; r < runs; r++)); do
        for ((k = 0; k < n; k++)); do
            c=${contenders[$(((k + r) % n))]}
            "c_$c"
            say "  round $((r + 1)): $c $(tail -n 1 "$samples/$wl.$c.secs") s"
        done
    done
    wl_s[$wl]=$(( ($(now_us) - t_wl) / 1000000 ))
done
all_s=$(( ($(now_us) - t_all) / 1000000 ))

# ---------------------------------------------------------------- report
mem_gib=$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
fs_dev=$(df -P "$work" | awk 'NR == 2 { print $1 }')

# row WORKLOAD CONTENDER LABEL
row() {
    local w=$1 c=$2 s cpu rss sz b=${wl_bytes[$1]} l=${wl_lines[$1]} parts fs fc cs cc
    s=$(median "$samples/$w.$c.secs")
    cpu=$(median "$samples/$w.$c.cpu")
    rss=$(median "$samples/$w.$c.rss")
    sz=$(median "$samples/$w.$c.size")
    fs=$(median "$samples/$w.floor.secs") fc=$(median "$samples/$w.floor.cpu")
    cs=$(median "$samples/$w.conmon.secs") cc=$(median "$samples/$w.conmon.cpu")
    parts=-
    [ -e "$samples/$w.$c.partial" ] && parts=$(median "$samples/$w.$c.partial")
    printf '| %s | %s | %.3f | %s | %s | %s | %.2f | %.1f | %s | %s | %s | %s | %s | %s |\n' "$w" "$3" "$s" \
        "$(sort -g "$samples/$w.$c.secs" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo, hi }')" \
        "$(awk -v b="$b" -v s="$s" 'BEGIN { printf "%.0f", b / s / 1048576 }')" \
        "$(awk -v l="$l" -v s="$s" 'BEGIN { printf "%.2f", l / s / 1e6 }')" \
        "$cpu" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
        "$(awk -v b="$sz" 'BEGIN { if (b >= 1e9) printf "%.2f GB", b / 1e9; else printf "%.0f MB", b / 1e6 }')" "$parts" \
        "$( [ "$c" = floor ] && echo - || ratio "$s" "$fs")" \
        "$( [ "$c" = podinit ] && ratio "$s" "$cs" || echo -)" \
        "$( [ "$c" = floor ] && echo - || ratio "$cpu" "$fc")" \
        "$( [ "$c" = podinit ] && ratio "$cpu" "$cc" || echo -)"
}

{
echo "# podinit log-file throughput"
echo
machine_line "${mem_gib} GiB RAM"
echo "$(crun --version | head -1), $(conmon --version | head -1). $crun_note."
echo "Log files in $work: $fs_type on $fs_dev (vm.dirty_ratio $(cat /proc/sys/vm/dirty_ratio) %)."
echo
echo "Medians of $runs interleaved rounds ($all_s s in all: $(for w in "${wls[@]}"; do printf '%s %s s; ' "$w" "${wl_s[$w]}"; done | sed 's/; $//'))."
echo "Time is from starting the app until its output is in the file and synced; MiB/s and M lines/s are"
echo "of the app's output. CPU is utime + stime of the process that writes the file (cat, conmon, podinit's"
echo "PID 1), peak RSS its VmHWM (cat's ru_maxrss). Ratios: lower is better, 1.00 is a tie."
echo
echo "| workload | contender | s | runs: s | MiB/s | M lines/s | CPU s | peak RSS MiB | log file | P records | time ÷ floor | time ÷ conmon | CPU ÷ floor | CPU ÷ conmon |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for w in "${wls[@]}"; do
    row "$w" floor "floor: app \\| cat > file"
    row "$w" conmon "conmon k8s-file"
    row "$w" podinit "**podinit**"
done
echo
echo "Workloads:"
for w in "${wls[@]}"; do
    echo "- ${wl_label[$w]}: $(awk -v b="${wl_bytes[$w]}" 'BEGIN { printf "%.1f MiB", b / 1048576 }'), ${wl_lines[$w]} lines."
done
echo
echo "- floor: the app in a chroot of the same image, \`| cat > FILE\`, then \`sync -d FILE\`."
echo "- conmon: daemonized, crun creating the container, \`--log-path k8s-file:FILE\` (it fsyncs the file"
echo "  before writing the exit file); timed from \`crun start\` to the exit file."
echo "- podinit: \`podctl run --console-format=none\`, the app with \`--log-max-size=0\` (no rotation) and a"
echo "  second, idle app that keeps PID 1 alive; timed from the app's startedAt to its status saying"
echo "  \"exited\" (written once the log is drained and synced)."
echo "- Every conmon and podinit log was checked: its full (F) stdout records equal the lines written,"
echo "  and everything else is partial (P) records. Each file is deleted after its check."
echo "- CPU includes each process's start: with a 1000-line app, conmon used ${base_conmon} s and PID 1 ${base_podinit} s."
} >"$out"

cat "$out"
say "results written to $out"
