#!/usr/bin/env bats
# rkt's k8s-plain CRI log mode (docs/stage1-abi.md "app/add"), driven through
# the stage0 simulator as rkt 1.30 drives it: `rkt app sandbox
# --annotation=coreos.com/rkt/experiment/logmode=k8s-plain
# --annotation=coreos.com/rkt/experiment/kubernetes-log-dir=DIR`, then `rkt app
# add ... --annotation=coreos.com/rkt/experiment/kubernetes-log-path=FILE` with
# stream stdout/stderr (rkt's TestAppSandboxCRILogs).  Kept apart from
# stage1.bats, whose set-up it repeats in short.
# shellcheck disable=SC2154,SC2016

load helpers

S0_PY=$PODINIT_SRC/tests/lib/stage0.py
STAGE1_ACI=$PODINIT_BIN_DIR/podinit-stage1.aci

setup_file() {
    [ -f "$STAGE1_ACI" ] || fail "stage1 image $STAGE1_ACI not found: build it (cmake --build)" || return 1
    build_images
}

setup() {
    T=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/podinit-k8s.XXXXXX")")
    D=$T/data
    LOGDIR=$T/k8s-logs
    mkdir -p "$LOGDIR"
    POD_PID='' UUID=''
}

mounts_under() { awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo; }

teardown() {
    [ -n "${T-}" ] && [ -d "$T" ] || return 0
    if [ -n "$UUID" ]; then
        s0 stop --force "$UUID" >/dev/null 2>&1 || true
    fi
    if [ -n "$POD_PID" ]; then
        kill -KILL "$POD_PID" 2>/dev/null || true
        wait "$POD_PID" 2>/dev/null || true
    fi
    sleep 0.2
    [ -d "$D/pods" ] && timeout 30 "$PYTHON" "$S0_PY" --dir="$D" gc --grace-period=0 >/dev/null 2>&1 || true
    local mp _
    for _ in 1 2 3; do
        while read -r mp; do umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true; done < <(mounts_under "$T" | sort -r)
    done
    [ -z "$(mounts_under "$T")" ] || { fail "mounts left under $T:" "$(mounts_under "$T")"; return 1; }
    rm -rf -- "$T"
}

s0() { timeout 20 "$PYTHON" "$S0_PY" --dir="$D" "$@"; }

# sandbox ANNOTATIONS...: an app sandbox with those pod annotations, ready; sets UUID, POD, POD_PID.
sandbox() {
    local a args=()
    for a in "$@"; do args+=("--annotation=$a"); done
    "$PYTHON" "$S0_PY" --dir="$D" app-sandbox --stage1="$STAGE1_ACI" "${args[@]}" --net=none \
        --uuid-file-save="$T/uuid" >"$T/pod.out" 2>"$T/pod.err" </dev/null 3>&- &
    POD_PID=$!
    wait_until 10 test -s "$T/uuid" || { cat "$T/pod.err" >&2; fail "no sandbox UUID"; return 1; }
    UUID=$(cat "$T/uuid")
    POD=$D/pods/run/$UUID
    run s0 status --wait-ready=10s "$UUID"
    [ "$status" -eq 0 ] || { cat "$T/pod.err" >&2; fail "the sandbox did not become ready"; return 1; }
}

@test "TestAppSandboxCRILogs: k8s-plain writes the app's stream output to <log dir>/<log path> (CRI format)" {
    sandbox coreos.com/rkt/experiment/logmode=k8s-plain "coreos.com/rkt/experiment/kubernetes-log-dir=$LOGDIR"
    run s0 app-add "$UUID" "$ACI" --name=hello --stdin=stream --stdout=stream --stderr=stream \
        --annotation=coreos.com/rkt/experiment/kubernetes-log-path=hello_0.log --exec=/probe -- print HelloFromAppInSandbox
    assert_status 0
    run s0 app-start "$UUID" --app=hello
    assert_status 0
    wait_until 10 grep -q "stdout F HelloFromAppInSandbox" "$LOGDIR/hello_0.log" ||
        fail "no CRI record in $LOGDIR/hello_0.log:" "$(cat "$LOGDIR/hello_0.log" 2>&1)" "$(cat "$T/pod.err")"
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout F HelloFromAppInSandbox$' "$LOGDIR/hello_0.log" ||
        fail "not a CRI record: $(cat "$LOGDIR/hello_0.log")"
    # The same file podinit keeps in the pod (podctl logs reads it).
    assert_eq "$(readlink "$LOGDIR/hello_0.log")" "$POD/stage1/rootfs/rkt/logs/hello.log" "link target"
}

@test "k8s-plain: a log path that leaves the log directory, or none for stream output, is refused" {
    sandbox coreos.com/rkt/experiment/logmode=k8s-plain "coreos.com/rkt/experiment/kubernetes-log-dir=$LOGDIR"
    run s0 --debug app-add "$UUID" "$ACI" --name=evil --stdout=stream \
        --annotation=coreos.com/rkt/experiment/kubernetes-log-path=../evil.log --exec=/bin/true
    assert_failure
    assert_output_contains "refusing path traversal"
    [ ! -e "$T/evil.log" ] || fail "a file was made outside the log directory"
    run s0 --debug app-add "$UUID" "$ACI" --name=nolog --stdout=stream --exec=/bin/true
    assert_failure
    assert_output_contains "kubernetes-log-path annotation needs to be specified when k8s-plain logging mode is used"
    # Log-mode output without a path is fine, as with rkt.
    run s0 app-add "$UUID" "$ACI" --name=plain --exec=/bin/true
    assert_status 0
}
