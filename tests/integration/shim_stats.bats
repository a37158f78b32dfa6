#!/usr/bin/env bats
# containerd-shim-podinit-v2's Stats under a real containerd (Debian's 1.6),
# `ctr run` path: `ctr task metrics` shows the app's cgroup (docs/kubernetes.md
# "Stats and Update"); the CRI path (ContainerStats, UpdateContainerResources)
# is in cri_podinit.bats.  containerd runs with its own config, root, state
# and socket under a temporary directory (tests/lib/containerd.sh), as in
# shim.bats.
# shellcheck disable=SC2154,SC2016

load helpers
load ../lib/shimtest

setup_file() { shim_suite_setup pstats; }
teardown_file() { shim_suite_teardown; }
setup() { ID=t$BATS_TEST_NUMBER-$RANDOM; }
teardown() { shim_test_teardown; }

# metric ID NAME: NAME's value in `ctr task metrics` (its table: METRIC VALUE)
metric() { $CTR -n default task metrics "$1" | awk -v m="$2" '$1 == m { print $2 }'; }

@test "ctr task metrics: the app's CPU time, memory and pids, from its cgroup" {
    local v1=true cpu limit t0 t1
    [ -d /sys/fs/cgroup/memory ] || v1=false
    if $v1; then cpu=cpuacct.usage limit=memory.limit_in_bytes; else cpu=cpu.usage_usec limit=memory.usage_limit; fi
    run ctr_run -d --memory-limit 67108864 "$IMG" "$ID" /probe sleep 3600
    assert_status 0
    wait_until 10 test "$(task_status "$ID")" = RUNNING || fail "$ID not running"
    run $CTR -n default task metrics "$ID"
    assert_status 0
    assert_output_contains "pids.current"
    [ "$(metric "$ID" "$limit")" = 67108864 ] || fail "$limit: $(metric "$ID" "$limit"), expected the spec's 67108864"
    [ "$(metric "$ID" pids.current)" -ge 1 ] || fail "pids.current: $(metric "$ID" pids.current)"
    t0=$(metric "$ID" "$cpu")
    # An exec runs in the app's cgroup: its CPU time is the task's.
    run timeout 60 $CTR -n default task exec --fifo-dir "$CTR_FIFO_DIR" --exec-id burn "$ID" \
        sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i + 1)); done'
    assert_status 0
    t1=$(metric "$ID" "$cpu")
    [ -n "$t0" ] && [ -n "$t1" ] && [ "$t1" -gt "$t0" ] || fail "$cpu did not grow: $t0 -> $t1"
    # JSON: ctr decoded the Metrics by their type URL (v1 or v2, as the host's cgroups).
    run $CTR -n default task metrics --format json "$ID"
    assert_status 0
    assert_output_contains '"memory"'
    assert_output_contains '"pids"'
}
