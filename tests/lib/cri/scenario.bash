# scenario.bash -- the CRI scenario of issue 19, for any runtime handler.
#
# Loaded by tests/integration/cri_*.bats after `load helpers`; drives a
# private containerd (tests/lib/containerd.sh) through the CRI client
# (tests/lib/cri/cri.py) as the kubelet would.  The handler is CRI_HANDLER:
#   runc     containerd's io.containerd.runc.v2 shim + runc (works today)
#   podinit  io.containerd.podinit.v2: containerd-shim-podinit-v2 from
#            $PODINIT_BIN_DIR (issue 19's shim: tests/integration/cri_podinit.bats);
#            its pods go to PODINIT_SHIM_STATE_DIR, by default a directory
#            of this instance
#
# A .bats file calls cri_setup_file HANDLER in setup_file, cri_teardown_file
# in teardown_file, cri_setup / cri_teardown around each test.
# shellcheck shell=bash
# shellcheck disable=SC2154  # status, output, lines: set by bats' run
# shellcheck disable=SC2034  # SB, C1, C2: the test's, read by the .bats file
# shellcheck disable=SC2086  # $CTR is "ctr --address SOCKET", split on purpose
# shellcheck disable=SC2153  # PROBE, PODINIT_BIN_DIR: from helpers.bash

CRI_LIB=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
CRI_PY=$CRI_LIB/cri.py
export CRI_LIB
# shellcheck source=tests/lib/containerd.sh
source "$CRI_LIB/../containerd.sh"

# cri ARGS...: the CRI client on this file's containerd
cri() { timeout 90 "$PYTHON" "$CRI_PY" --socket "$CONTAINERD_SOCK" "$@"; }

cri_setup_file() {
    CRI_HANDLER=${1:?handler}
    containerd_check || return 1
    "$PYTHON" -c 'import grpc, google.protobuf' 2>/dev/null ||
        fail "$PYTHON cannot import grpc and google.protobuf; apt-get install python3-grpcio python3-protobuf" || return 1
    command -v protoc >/dev/null 2>&1 ||
        fail "protoc is not installed (the CRI client compiles its messages); apt-get install protobuf-compiler" || return 1
    [ -f "$PROBE" ] || fail "test probe $PROBE not found; build first or set PROBE" || return 1
    if [ "$CRI_HANDLER" = podinit ] && [ ! -x "$PODINIT_BIN_DIR/containerd-shim-podinit-v2" ]; then
        fail "$PODINIT_BIN_DIR/containerd-shim-podinit-v2 not found (the containerd shim of this repo); build it or set PODINIT_BIN_DIR"
        return 1
    fi
    # Short: containerd's socket and the netns paths live under it.
    CRI_BASE=$(mktemp -d /tmp/pcri.XXXXXX) || return 1
    # podinit: the shims' pods and sockets in a podctl state directory of
    # this instance (containerd passes its environment on to the shims).
    if [ "$CRI_HANDLER" = podinit ] && [ -z "${PODINIT_SHIM_STATE_DIR-}" ]; then
        PODINIT_SHIM_STATE_DIR=$CRI_BASE/pshim
        export PODINIT_SHIM_STATE_DIR
    fi
    if ! CONTAINERD_SHIM_DIR=$PODINIT_BIN_DIR containerd_start "$CRI_BASE/ctd" ||
        ! containerd_images "$PROBE" k8s.io podinit-test ||
        ! cri version >/dev/null; then      # (compiles the messages once, here)
        containerd_stop
        rm -rf -- "$CRI_BASE"
        CRI_BASE=''
        fail "setting up containerd for the CRI tests failed (see above)"
        return 1
    fi
    export CRI_HANDLER CRI_BASE CONTAINERD_DIR CONTAINERD_SOCK CONTAINERD_CONFIG CONTAINERD_LOG \
        CONTAINERD_PID CTR CTR_FIFO_DIR CONTAINERD_RUNC_ROOT CONTAINERD_CGROUP_PARENT CONTAINERD_CNI_CONF_DIR
}

cri_teardown_file() {
    [ -n "${CRI_BASE-}" ] || return 0
    containerd_stop
    rm -rf -- "$CRI_BASE"
}

# Per test: T, a directory for its configs and logs.
cri_setup() {
    T=$CRI_BASE/t$BATS_TEST_NUMBER
    mkdir -p "$T/logs"
    SB=''
    C1='' C2=''
}

# Whatever a test left: its pods go (CRI removes their containers), and
# the tasks and containers ctr made in the namespace podinit-test.
cri_teardown() {
    local p
    for p in $(cri pods -q 2>/dev/null); do
        cri stopp "$p" >/dev/null 2>&1
        cri rmp "$p" >/dev/null 2>&1
    done
    for p in $($CTR -n podinit-test tasks ls -q 2>/dev/null); do
        timeout 10 $CTR -n podinit-test tasks kill -a -s KILL "$p" >/dev/null 2>&1
        timeout 10 $CTR -n podinit-test tasks delete -f "$p" >/dev/null 2>&1
    done
    for p in $($CTR -n podinit-test containers ls -q 2>/dev/null); do
        timeout 10 $CTR -n podinit-test containers delete "$p" >/dev/null 2>&1
    done
    return 0
}

# ------------------------------------------------------------ configs

# sandbox_json NAME [NETWORK]: $T/NAME.sandbox.json, a PodSandboxConfig
# like the kubelet's: logs in $T/logs/NAME, a cgroup parent of this
# containerd, NETWORK NODE (the host's; default) or POD (a new netns on
# the loopback-only CNI network)
sandbox_json() {
    local name=$1 net=${2:-NODE}
    local host=''
    mkdir -p "$T/logs/$name"
    # As the kubelet: no hostname on the host's network (its UTS namespace
    # is the host's then; runc refuses to set one).
    [ "$net" = NODE ] || host="\"hostname\": \"$name\","
    cat >"$T/$name.sandbox.json" <<EOF
{
  "metadata": {"name": "$name", "uid": "uid-$name-$BATS_TEST_NUMBER", "namespace": "podinit-test", "attempt": 0},
  $host
  "log_directory": "$T/logs/$name",
  "labels": {"podinit-test": "$BATS_TEST_NUMBER"},
  "linux": {
    "cgroup_parent": "$CONTAINERD_CGROUP_PARENT/pod-$name-$BATS_TEST_NUMBER",
    "security_context": {"namespace_options": {"network": "$net", "pid": "CONTAINER", "ipc": "POD"}}
  }
}
EOF
    echo "$T/$name.sandbox.json"
}

# container_json NAME SCRIPT [EXTRA_JSON]: $T/NAME.json, a ContainerConfig
# of the busybox image running `/bin/sh -c SCRIPT`, logging to NAME.log
# (relative to the sandbox's log directory, as the kubelet does)
container_json() {
    local name=$1 script=$2 extra=${3:-}
    "$PYTHON" - "$T/$name.json" "$name" "$script" "$CONTAINERD_BUSYBOX" "$extra" <<'EOF'
import json, sys
out, name, script, image, extra = sys.argv[1:6]
c = {"metadata": {"name": name, "attempt": 0}, "image": {"image": image},
     "command": ["/bin/sh", "-c", script], "log_path": name + ".log",
     "envs": [{"key": "CTR_NAME", "value": name}],
     "labels": {"podinit-test": "yes"}}
c.update(json.loads(extra or "{}"))
json.dump(c, open(out, "w"), indent=1)
EOF
    echo "$T/$name.json"
}

# ------------------------------------------------------------ ctr

# ctr_run_opts: opts, the `ctr run` options for the handler's runtime type:
# fifos under the instance, a cgroup under its parent; runc: its state under
# the instance (--runc-root is an option of the runc shim only)
ctr_run_opts() {
    opts=(--fifo-dir "$CTR_FIFO_DIR" --cgroup "$CONTAINERD_CGROUP_PARENT/ctr")
    case $CRI_HANDLER in
        podinit) opts+=(--runtime io.containerd.podinit.v2) ;;
        *) opts+=(--runtime io.containerd.runc.v2 --runc-root "$CONTAINERD_RUNC_ROOT") ;;
    esac
}

# ctr_task_status NS ID STATUS: `ctr tasks ls` shows task ID in STATUS
ctr_task_status() {
    $CTR -n "$1" tasks ls 2>/dev/null | awk -v id="$2" -v st="$3" '$1 == id && $3 == st { f = 1 } END { exit !f }'
}

# ------------------------------------------------------------ queries

# cstatus ID PATH: a field of the container's verbose status (jget PATH)
cstatus() { cri status "$1" | jget "$2"; }

# pstatus ID PATH: a field of the sandbox's verbose status
pstatus() { cri inspectp "$1" | jget "$2"; }

# cri_pid ID: the container's (or sandbox's) init process on the host
cri_pid() {
    local p
    p=$(cri status "$1" 2>/dev/null | jget info.info.pid) || p=$(cri inspectp "$1" | jget info.info.pid)
    echo "$p"
}

# log_lines FILE STREAM: the payload of FILE's CRI log lines of STREAM
# ("TIMESTAMP STREAM F|P TEXT"), one per line; checks each line's shape
log_lines() {
    "$PYTHON" - "$1" "$2" <<'EOF'
import re, sys
pat = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) (stdout|stderr) ([FP]) (.*)$")
for n, line in enumerate(open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")[:-1], 1):
    m = pat.match(line)
    if not m:
        sys.exit("%s:%d: not a CRI log line: %r" % (sys.argv[1], n, line))
    if m.group(3) == sys.argv[2]:
        print(m.group(5))
EOF
}

# shims_of ID: the shim processes containerd started for the task ID
shims_of() {
    local p
    for p in $(_ctd_shims); do
        { tr '\0' '\n' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qxF -- "$1" && echo "$p"
    done
}

# supervisor_of PID: PID or its nearest ancestor that supervises containers
# for the handler: containerd-shim-runc-v2 (runc), podinit (podinit: the
# pod's PID 1, which may be the sandbox's process itself)
supervisor_of() {
    local p=$1 comm want
    case $CRI_HANDLER in
        podinit) want=podinit ;;
        *) want=containerd-shim ;;
    esac
    while [ -n "$p" ] && [ "$p" -gt 1 ]; do
        comm=$(cat "/proc/$p/comm" 2>/dev/null) || return 1
        [[ $comm == "$want"* ]] && { echo "$p"; return 0; }
        p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null) || return 1
    done
    return 1
}

# cgroups_named NAME: cgroup directories (any hierarchy) named NAME
# under this containerd's cgroup parent
cgroups_named() {
    local root
    for root in $(_ctd_cgroup_roots); do
        [ -d "$root$CONTAINERD_CGROUP_PARENT" ] || continue
        find "$root$CONTAINERD_CGROUP_PARENT" -type d -name "$1" 2>/dev/null
    done
}

# ------------------------------------------------------------ cleanliness

# _gone ID PID...: true when nothing of ID is left (see assert_gone)
_gone() {
    local id=$1 p
    shift
    ! $CTR -n k8s.io containers ls -q 2>/dev/null | grep -qxF "$id" &&
    ! $CTR -n k8s.io tasks ls -q 2>/dev/null | grep -qxF "$id" &&
    ! awk '{ print $2 }' /proc/self/mounts | grep -F -- "$CONTAINERD_DIR/" | grep -qF -- "$id" &&
    [ -z "$(shims_of "$id")" ] &&
    [ -z "$(cgroups_named "$id")" ] || return 1
    for p; do
        [ -n "$p" ] && [ -e "/proc/$p" ] && return 1
    done
    return 0
}

# assert_gone ID PID...: after RemovePodSandbox of sandbox ID (or
# RemoveContainer of a container ID): containerd has no container or task
# ID, no mount under the instance mentions it, no shim serves it, no cgroup
# is named after it, and the PIDs (its processes, recorded while running)
# have exited.  Polls up to 10 s: shims and processes go asynchronously.
assert_gone() {
    local id=$1 p
    wait_until 10 _gone "$@" && return 0
    shift
    fail "left behind for $id:" \
        "containers: $($CTR -n k8s.io containers ls -q | grep -F "$id")" \
        "tasks: $($CTR -n k8s.io tasks ls -q | grep -F "$id")" \
        "mounts: $(awk '{ print $2 }' /proc/self/mounts | grep -F -- "$CONTAINERD_DIR/" | grep -F -- "$id")" \
        "shims: $(shims_of "$id")" "cgroups: $(cgroups_named "$id")" \
        "processes: $(for p; do [ -e "/proc/$p" ] && echo "$p"; done)"
}

# assert_instance_clean: nothing of any pod is left in the instance: no
# CRI pod or container, no containerd container or task in k8s.io, no
# shim, no rootfs/shm/netns mount, no cgroup below the pod cgroups
assert_instance_clean() {
    local x
    x=$(cri pods -q; cri ps -a -q; $CTR -n k8s.io containers ls -q; $CTR -n k8s.io tasks ls -q; _ctd_shims)
    [ -z "$x" ] || fail "left in containerd: $x" || return 1
    x=$(awk '{ print $2 }' /proc/self/mounts | grep -F -- "$CONTAINERD_DIR/" | grep -v '/overlayfs/snapshots/' || true)
    [ -z "$x" ] || fail "mounts left under $CONTAINERD_DIR: $x" || return 1
    x=$(for r in $(_ctd_cgroup_roots); do
            if [ -d "$r$CONTAINERD_CGROUP_PARENT" ]; then
                find "$r$CONTAINERD_CGROUP_PARENT" -mindepth 2 -type d
            fi
        done)
    [ -z "$x" ] || fail "container cgroups left: $x"
}
