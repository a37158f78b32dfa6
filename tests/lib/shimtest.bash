# tests/lib/shimtest.bash -- what the bats files of containerd-shim-podinit-v2's
# `ctr` path share (shim.bats, shim_stats.bats): a private containerd for the
# file (tests/lib/containerd.sh) with the shim first on its PATH, the shim's
# pods in a podctl state directory under it, and a container per test that
# never outlives it.  Load after helpers: `load ../lib/shimtest`.
# $CTR is a command with its arguments ("ctr --address S"): split on purpose (SC2086).
# shellcheck disable=SC2154,SC2153,SC2034,SC2086
# shellcheck source=containerd.sh
source "$PODINIT_SRC/tests/lib/containerd.sh"

SHIM=$PODINIT_BIN_DIR/containerd-shim-podinit-v2
IMG=localhost/podinit-busybox:test
RT=io.containerd.podinit.v2

# shim_suite_setup PREFIX: containerd under /tmp/PREFIX.XXXXXX, the test images imported.
shim_suite_setup() {
    [ -x "$SHIM" ] || fail "$SHIM not found: build it (cmake --build)" || return 1
    command -v containerd >/dev/null ||
        fail "containerd is not installed (apt-get install containerd runc; scripts/deps.sh test)" || return 1
    CTD_DIR=$(mktemp -d "/tmp/$1.XXXXXX")
    rmdir "$CTD_DIR"
    export CTD_DIR
    # containerd passes its environment to the shims it starts.
    export PODINIT_SHIM_STATE_DIR=$CTD_DIR/podinit
    export CONTAINERD_SHIM_DIR=$PODINIT_BIN_DIR
    containerd_start "$CTD_DIR" || return 1
    containerd_images "$PROBE" default || return 1
    # containerd_start's variables, for the tests (each runs in a subshell of the file).
    export CONTAINERD_DIR CONTAINERD_SOCK CONTAINERD_LOG CTR CTR_FIFO_DIR
}

shim_suite_teardown() {
    containerd_stop
    # Pods left by a failing test: their mounts, then the state directory.
    local mp
    if [ -n "${CTD_DIR-}" ]; then
        while read -r mp; do umount -l "$mp" 2>/dev/null || true; done < <(awk -v p="$CTD_DIR" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
        rm -rf -- "$CTD_DIR"
    fi
}

# shim_test_teardown: nothing of the test's container ($ID) outlives it.
shim_test_teardown() {
    $CTR -n default task kill -s KILL "$ID" >/dev/null 2>&1 || true
    wait_until 10 task_gone "$ID" || true
    $CTR -n default task rm -f "$ID" >/dev/null 2>&1 || true
    $CTR -n default container rm "$ID" >/dev/null 2>&1 || true
}

ctr_run() { timeout 60 $CTR -n default run --fifo-dir "$CTR_FIFO_DIR" --runtime "$RT" "$@"; }
task_gone() { ! $CTR -n default task ls -q | grep -qx "$1"; }
task_status() { $CTR -n default task ls | awk -v id="$1" '$1 == id { print $3 }'; }
