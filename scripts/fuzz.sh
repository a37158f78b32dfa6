#!/usr/bin/env bash
# Run the libFuzzer targets (fuzz/README.md) of a POD_FUZZ build, one after another, each for
# FUZZ_SECONDS on a scratch copy of its seed corpus fuzz/corpus/<name>/ (the tree's corpus is
# never written).  Stops at the first crash, leak, UB report, timeout or failed check: it names
# the fuzzer, keeps the input in BUILD_DIR/fuzz-crashes/ and prints how to reproduce it.
#
# usage: scripts/fuzz.sh BUILD_DIR [NAME...]      (NAME: manifest, proto, ...; default all)
# env:   FUZZ_SECONDS (default 60) per fuzzer; FUZZ_KEEP=DIR keeps each grown corpus in DIR/<name>
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/fuzz.sh BUILD_DIR [NAME...]}
shift
seconds=${FUZZ_SECONDS:-60}
build=$(cd "$build" && pwd)

if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for f in "$src"/fuzz/fuzz_*.c; do
    n=${f##*/fuzz_}
    names+=("${n%.c}")
  done
fi
[ ${#names[@]} -gt 0 ] || { echo "fuzz: no fuzz/fuzz_*.c" >&2; exit 2; }
for n in "${names[@]}"; do
  if [ ! -x "$build/fuzz/fuzz_$n" ]; then
    echo "fuzz: $build/fuzz/fuzz_$n is not built (configure with CC=clang -DPOD_FUZZ=ON; make fuzz does)" >&2
    exit 2
  fi
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/podinit-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$build/fuzz-crashes"
# Leaks are bugs (every fuzzer frees what it made); UBSan aborts (-fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

total=0
for n in "${names[@]}"; do
  bin=$build/fuzz/fuzz_$n
  work=$scratch/$n
  mkdir -p "$work/corpus" "$work/tmp" "$work/out"
  [ -d "$src/fuzz/corpus/$n" ] && cp -r "$src/fuzz/corpus/$n/." "$work/corpus/"
  args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -close_fd_mask=2 -print_final_stats=1
        -artifact_prefix="$work/out/")
  # JSON inputs: the keys jansson looks up, which the fuzzer cannot learn by itself.
  case $n in
    manifest|image_manifest|isolators|volumes|annotations|oci|cni|ports|proto) args+=(-dict="$src/fuzz/json.dict") ;;
  esac
  run=("$bin")
  if [ "$n" = layer ] && unshare --mount --propagation private true 2>/dev/null; then
    # fuzz_layer writes archives out: in its own mount namespace, with the root file system
    # read-only but for its work directory, an entry that escaped would fail to land.  Its
    # temp directory is a tmpfs there (on a disk file system it runs at a tenth of the speed).
    run=(unshare --mount --propagation private -- sh -c \
         'mount --bind "$1" "$1" && mount -t tmpfs -o size=512m tmpfs "$1/tmp" && mount -o remount,bind,ro / &&
          shift && exec "$@"' sh "$work" "$bin")
  fi
  start=$(date +%s)
  # The fuzzers make their temp directories (fuzz_proto's socket, fuzz_paths's layers) under TMPDIR.
  if TMPDIR=$work/tmp "${run[@]}" "${args[@]}" "$work/corpus" >"$work/log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    secs=$(( $(date +%s) - start ))
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1)
    printf 'fuzz: %-16s ok  %10s execs  %7s/s  %s  corpus %s -> %s files  (%ss)\n' "fuzz_$n" "${runs:-?}" \
      "${rate:-?}" "${cov:-cov: ?}" "$(find "$src/fuzz/corpus/$n" -type f 2>/dev/null | wc -l)" \
      "$(find "$work/corpus" -type f | wc -l)" "$secs"
    total=$((total + ${runs:-0}))
    if [ -n "${FUZZ_KEEP:-}" ]; then
      mkdir -p "$FUZZ_KEEP/$n"
      cp -r "$work/corpus/." "$FUZZ_KEEP/$n/"
    fi
    continue
  fi
  crash=$(find "$work/out" -type f | head -1)
  echo "fuzz: fuzz_$n FAILED" >&2
  grep -E 'ERROR: |SUMMARY: |runtime error|fuzz check failed|^    #[0-9] ' "$work/log" | head -30 >&2 || true
  if [ -n "$crash" ]; then
    keep=$build/fuzz-crashes/fuzz_$n-${crash##*/}
    cp "$crash" "$keep"
    echo "fuzz: fuzz_$n: the input is $keep" >&2
    echo "fuzz: reproduce: $bin $keep" >&2
    echo "fuzz: once fixed, add it to fuzz/corpus/$n/ as a regression seed (fuzz/README.md)" >&2
  else
    echo "fuzz: fuzz_$n exited without an input file; its log:" >&2
    tail -40 "$work/log" >&2
  fi
  exit 1
done
echo "fuzz: ${#names[@]} fuzzers, ${seconds}s each, $total inputs, no crash"
