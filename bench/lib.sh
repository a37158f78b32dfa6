# bench/lib.sh -- helpers shared by the benchmark scripts (sourced; set prog first).
# shellcheck shell=bash

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
# stats FILE (values in microseconds): "median p90" in ms
stats() {
    sort -n "$1" | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "nan nan"; exit }
        med = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        k = int(0.9 * NR); if (k < 0.9 * NR) k++
        printf "%.3f %.3f\n", med / 1000, a[k] / 1000 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# pss PID -> "PSS ANON" in kB
pss() { awk '/^Pss:/ { p = $2 } /^Pss_Anon:/ { a = $2 } END { print p + 0, a + 0 }' "/proc/$1/smaps_rollup"; }
