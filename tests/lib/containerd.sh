# containerd.sh -- a private containerd for podinit's tests and benchmarks.
#
# Sourced by bats files and bench scripts (bash; no `set -e` assumed).  It
# starts Debian's containerd 1.6 (/usr/bin/containerd, with its built-in CRI
# plugin) with its own config.toml, root, state, socket, CNI configuration
# and CRI settings, all under a directory the caller gives, and never reads
# or writes /etc/containerd, /var/lib/containerd or the system's socket.
#
#   containerd_start DIR [EXTRA_TOML]
#       DIR must be empty or not exist; an absolute path short enough for a
#       Unix socket (about 80 bytes).  EXTRA_TOML is appended to the
#       config.toml: new tables only (TOML forbids defining a table twice),
#       e.g. '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]'.
#       Waits (polling, CONTAINERD_TIMEOUT seconds, default 30) until the
#       daemon answers and its CRI plugin is up.  Returns non-zero with the
#       log's last lines on stderr when it does not.
#   containerd_stop
#       Ends every task and shim of this instance, stops the daemon, kills
#       any process left from its shims or in CONTAINERD_CGROUP_PARENT,
#       unmounts everything under DIR, removes CONTAINERD_CGROUP_PARENT and
#       the default cgroups (/NS/ID) of the containers ctr made, and
#       removes DIR.  Safe to call twice, after a failed start, or from a
#       teardown after a failing test.
#   containerd_import NS ARCHIVE
#       `ctr -n NS images import` of a docker archive or OCI archive.
#   containerd_images PROBE [NS...]
#       Builds (once per instance) and imports the test images:
#         $CONTAINERD_BUSYBOX  localhost/podinit-busybox:test  busybox-static
#                              rootfs (tests/lib/mkrootfs.sh) with PROBE at
#                              /probe; Cmd ["/bin/sh"]
#         $CONTAINERD_PAUSE    localhost/podinit-pause:test    only /pause (a
#                              copy of PROBE); Entrypoint ["/pause",
#                              "term-exit","0"]: the CRI sandbox ("pause")
#                              image, as no registry is reachable
#       into each NS (default: k8s.io, the CRI namespace; the pause image
#       always goes to k8s.io).
#
# Variables set by containerd_start (read them, do not change them):
#   CONTAINERD_DIR      DIR, absolute
#   CONTAINERD_SOCK     the gRPC socket (CRI is served on it too)
#   CONTAINERD_CONFIG   the config.toml written
#   CONTAINERD_LOG      the daemon's stdout and stderr
#   CONTAINERD_PID      the daemon
#   CTR                 "ctr --address $CONTAINERD_SOCK" (use unquoted:
#                       $CTR -n NS images ls)
#   CTR_FIFO_DIR        give `$CTR run/tasks start/exec` --fifo-dir
#                       "$CTR_FIFO_DIR", or ctr puts its fifos under
#                       /run/containerd/fifo
#   CONTAINERD_RUNC_ROOT  the runc state root of the CRI runtimes (ctr run:
#                       pass --runc-root "$CONTAINERD_RUNC_ROOT")
#   CONTAINERD_CGROUP_PARENT  a cgroup parent of this instance only
#                       (/podinit-ctd + DIR with / as _): make CRI sandboxes'
#                       cgroup_parent a child of it (tests/lib/cri/scenario.bash
#                       does) and give `ctr run --cgroup` a path under it, so
#                       that containerd_stop finds and removes what is left
#   CONTAINERD_CNI_CONF_DIR  the CRI plugin's CNI config dir (DIR/cni/net.d),
#                       holding one network, "podinit-test": its plugin
#                       (DIR/cni/bin/podinit-test-eth0) puts a veth pair
#                       with both ends in the pod's netns, eth0 10.88.0.2/24,
#                       and changes nothing on the host.  Plugins are looked
#                       up in DIR/cni/bin only (loopback links to Debian's).
#
# Settings read by containerd_start:
#   CONTAINERD_SHIM_DIR  put first on the PATH containerd gets, where it
#                       finds containerd-shim-podinit-v2 (runtime type
#                       io.containerd.podinit.v2); default $PODINIT_BIN_DIR,
#                       else none
#   CONTAINERD_DEBUG=1  the daemon logs at debug level
#   CONTAINERD_TIMEOUT  seconds to wait for readiness (default 30)
#
# Without CAP_SYS_RESOURCE (some CI containers drop it) the CRI plugin's
# restrict_oom_score_adj is set: the sandbox's oom_score_adj of -998 would
# make runc fail ("failed to update /proc/self/oom_score_adj").
#
# CRI runtime handlers configured:
#   runc     io.containerd.runc.v2 (runc; the default handler)
#   crun     io.containerd.runc.v2 with BinaryName crun (when crun exists)
#   podinit  io.containerd.podinit.v2 (containerd-shim-podinit-v2 on PATH)
#
# What containerd 1.6 does outside DIR no matter what: the runc v2 shim's
# ttrpc socket is /run/containerd/s/<sha256 of address, namespace, id> (the
# shim removes it when it exits; containerd_stop removes those of shims it
# had to kill), and ctr's fifos go to /run/containerd/fifo unless given
# --fifo-dir.  Pod network namespaces are under DIR (netns_mounts_under_state_dir).
# shellcheck shell=bash
# The CONTAINERD_* and CTR* variables set here are the callers' to read:
# shellcheck disable=SC2034

CONTAINERD_BIN=${CONTAINERD_BIN:-/usr/bin/containerd}
CONTAINERD_BUSYBOX=localhost/podinit-busybox:test
CONTAINERD_PAUSE=localhost/podinit-pause:test
_CONTAINERD_LIB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

_ctd_err() { printf 'containerd.sh: %s\n' "$*" >&2; }

# _ctd_ctr ARGS...: ctr on this instance's socket
_ctd_ctr() { ctr --address "$CONTAINERD_SOCK" "$@"; }

# containerd_check: true when everything containerd_start needs is there;
# else says what is missing and how to install it
containerd_check() {
    local missing=()
    [ -x "$CONTAINERD_BIN" ] || missing+=(containerd)
    command -v ctr >/dev/null 2>&1 || missing+=(containerd)
    command -v containerd-shim-runc-v2 >/dev/null 2>&1 || missing+=(containerd)
    command -v runc >/dev/null 2>&1 || missing+=(runc)
    [ -x /usr/lib/cni/loopback ] || missing+=(containernetworking-plugins)
    [ ${#missing[@]} -eq 0 ] && return 0
    _ctd_err "missing: ${missing[*]} (the containerd tests run Debian's containerd 1.6 with runc); apt-get install containerd runc containernetworking-plugins"
    return 1
}

# _ctd_has_cap BIT: our effective capabilities include capability BIT
_ctd_has_cap() {
    local eff
    eff=$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
    (( (16#${eff:-0} >> $1) & 1 ))
}

# _ctd_cgroup_roots: the mounted cgroup hierarchies (v1 controllers and v2)
_ctd_cgroup_roots() {
    awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts
}

containerd_start() {
    local dir=${1:-} extra=${2:-} shimdir deadline debug=info crun_rt="" restrict_oom cri_state
    if [ -z "$dir" ]; then
        _ctd_err "usage: containerd_start DIR [EXTRA_TOML]"
        return 2
    fi
    containerd_check || return 1
    case $dir in
        /*) ;;
        *) dir=$PWD/$dir ;;
    esac
    if [ -e "$dir" ] && [ -n "$(ls -A -- "$dir" 2>/dev/null)" ]; then
        _ctd_err "$dir exists and is not empty; refusing to use it"
        return 1
    fi
    case $dir in
        /etc/containerd*|/var/lib/containerd*|/run/containerd*|/var/run/containerd*)
            _ctd_err "$dir: refusing to run in the system containerd's directories"
            return 1 ;;
    esac
    # sockaddr_un holds 108 bytes; the shims' sockets are hashed, but
    # containerd.sock and the netns bind mounts are under DIR.
    if [ ${#dir} -gt 80 ]; then
        _ctd_err "$dir: too long for a Unix socket path (max 80 bytes); use a shorter temp dir"
        return 1
    fi
    mkdir -p -- "$dir"/{root,state,opt,fifo,runc,cni/net.d,cni/bin,tmp} || return 1
    CONTAINERD_DIR=$(cd -- "$dir" && pwd)
    CONTAINERD_SOCK=$CONTAINERD_DIR/containerd.sock
    CONTAINERD_CONFIG=$CONTAINERD_DIR/config.toml
    CONTAINERD_LOG=$CONTAINERD_DIR/containerd.log
    CONTAINERD_CNI_CONF_DIR=$CONTAINERD_DIR/cni/net.d
    CONTAINERD_RUNC_ROOT=$CONTAINERD_DIR/runc
    CTR_FIFO_DIR=$CONTAINERD_DIR/fifo
    CONTAINERD_CGROUP_PARENT=/podinit-ctd$(printf '%s' "$CONTAINERD_DIR" | tr -c 'A-Za-z0-9_.-' _)
    CTR="ctr --address $CONTAINERD_SOCK"
    CONTAINERD_PID=""
    shimdir=${CONTAINERD_SHIM_DIR-${PODINIT_BIN_DIR-}}
    [ "${CONTAINERD_DEBUG:-0}" = 1 ] && debug=debug
    # The sandbox's oom_score_adj is -998; lowering it needs CAP_SYS_RESOURCE,
    # which some CI containers drop (runc then fails: "failed to update
    # /proc/self/oom_score_adj").  Without it, clamp as containerd can.
    restrict_oom=false
    _ctd_has_cap 24 || restrict_oom=true
    if command -v crun >/dev/null 2>&1; then
        crun_rt="
      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun]
        runtime_type = \"io.containerd.runc.v2\"
        [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun.options]
          BinaryName = \"$(command -v crun)\"
          Root = \"$CONTAINERD_RUNC_ROOT/crun\"
          SystemdCgroup = false"
    fi

    cat >"$CONTAINERD_CONFIG" <<EOF
# written by tests/lib/containerd.sh for a private test instance
version = 2
root = "$CONTAINERD_DIR/root"
state = "$CONTAINERD_DIR/state"
temp = "$CONTAINERD_DIR/tmp"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$CONTAINERD_SOCK"

[ttrpc]
  address = ""

[debug]
  address = ""
  level = "$debug"

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$CONTAINERD_DIR/opt"

  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$CONTAINERD_PAUSE"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    disable_apparmor = true
    disable_tcp_service = true
    netns_mounts_under_state_dir = true
    restrict_oom_score_adj = $restrict_oom
    max_container_log_line_size = 16384

    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$CONTAINERD_DIR/cni/bin"
      conf_dir = "$CONTAINERD_CNI_CONF_DIR"
      max_conf_num = 1

    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "$(command -v runc)"
          Root = "$CONTAINERD_RUNC_ROOT"
          SystemdCgroup = false
$crun_rt
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.podinit]
        runtime_type = "io.containerd.podinit.v2"
$extra
EOF
    # The CRI plugin wants a network for sandboxes that are not on the
    # host's network, with an address on eth0.  podinit-test-eth0 makes one
    # inside the pod's namespace only (a veth pair with both ends there,
    # 10.88.0.2/24 in every pod): nothing on the host changes.
    ln -s /usr/lib/cni/loopback "$CONTAINERD_DIR/cni/bin/loopback"
    cat >"$CONTAINERD_DIR/cni/bin/podinit-test-eth0" <<'EOF'
#!/bin/bash
# A CNI plugin of tests/lib/containerd.sh: eth0 inside the netns only.
set -u
cat >/dev/null
case ${CNI_COMMAND:-} in
ADD)
    if ! err=$(nsenter --net="$CNI_NETNS" sh -c "
            ip link add $CNI_IFNAME type veth peer name ${CNI_IFNAME}-peer &&
            ip addr add 10.88.0.2/24 dev $CNI_IFNAME &&
            ip link set ${CNI_IFNAME}-peer up && ip link set $CNI_IFNAME up" 2>&1); then
        printf '{"cniVersion":"0.4.0","code":11,"msg":"podinit-test-eth0: %s"}\n' "${err//\"/\'}"
        exit 1
    fi
    printf '{"cniVersion":"0.4.0","interfaces":[{"name":"%s","sandbox":"%s"}],"ips":[{"version":"4","address":"10.88.0.2/24","interface":0}]}\n' \
        "$CNI_IFNAME" "$CNI_NETNS" ;;
VERSION)
    echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}' ;;
*) ;;
esac
exit 0
EOF
    chmod 0755 "$CONTAINERD_DIR/cni/bin/podinit-test-eth0"
    cat >"$CONTAINERD_CNI_CONF_DIR/10-podinit-test.conflist" <<'EOF'
{
  "cniVersion": "0.4.0",
  "name": "podinit-test",
  "plugins": [ { "type": "podinit-test-eth0" } ]
}
EOF

    PATH=${shimdir:+$shimdir:}$PATH TMPDIR=$CONTAINERD_DIR/tmp \
        "$CONTAINERD_BIN" --config "$CONTAINERD_CONFIG" \
        </dev/null >"$CONTAINERD_LOG" 2>&1 3>&- &
    CONTAINERD_PID=$!
    echo "$CONTAINERD_PID" >"$CONTAINERD_DIR/containerd.pid"

    deadline=$((SECONDS + ${CONTAINERD_TIMEOUT:-30}))
    while :; do
        if ! kill -0 "$CONTAINERD_PID" 2>/dev/null; then
            _ctd_err "containerd exited during start-up; last lines of $CONTAINERD_LOG:"
            tail -n 20 "$CONTAINERD_LOG" >&2
            return 1
        fi
        if [ -S "$CONTAINERD_SOCK" ]; then
            cri_state=$(_ctd_ctr plugins ls 2>/dev/null |
                awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" { print $NF }')
            [ "$cri_state" = ok ] && break
            if [ "$cri_state" = error ]; then
                _ctd_err "containerd's CRI plugin failed to load; last lines of $CONTAINERD_LOG:"
                tail -n 20 "$CONTAINERD_LOG" >&2
                return 1
            fi
        fi
        if [ $SECONDS -ge $deadline ]; then
            _ctd_err "containerd did not become ready (CRI plugin) in ${CONTAINERD_TIMEOUT:-30}s; last lines of $CONTAINERD_LOG:"
            tail -n 20 "$CONTAINERD_LOG" >&2
            return 1
        fi
        sleep 0.05
    done
    return 0
}

# _ctd_descendants PID...: the PIDs and all their descendants
_ctd_descendants() {
    ps -e -o pid=,ppid= | awk -v roots="$*" '
        BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1 }
        { parent[$1] = $2; pids[NR] = $1 }
        END {
            do {
                changed = 0
                for (i in pids) { p = pids[i]; if (!(p in want) && (parent[p] in want)) { want[p] = 1; changed = 1 } }
            } while (changed)
            for (p in want) print p
        }'
}

# _ctd_shims: the shim processes started for this instance (their
# command line has "-address $CONTAINERD_SOCK")
_ctd_shims() {
    local p
    for p in /proc/[0-9]*; do
        { tr '\0' '\n' <"$p/cmdline"; } 2>/dev/null | grep -qxF -- "$CONTAINERD_SOCK" || continue
        { tr '\0' '\n' <"$p/cmdline"; } 2>/dev/null | grep -qx -- '-address' || continue
        echo "${p#/proc/}"
    done
}

# _ctd_rm_cgroup PATH: remove the cgroup PATH (relative to each hierarchy's
# root) and its children, depth first, in every hierarchy; a cgroup whose
# last process is still exiting is busy for a moment, so retry for 5 s
_ctd_rm_cgroup() {
    local root d i left
    [ -n "$1" ] && [ "$1" != / ] || return 0
    for ((i = 0; i < 100; i++)); do
        left=0
        for root in $(_ctd_cgroup_roots); do
            d=$root/${1#/}
            [ -d "$d" ] || continue
            find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
            [ -d "$d" ] && left=1
        done
        [ $left = 0 ] && return 0
        sleep 0.05
    done
    _ctd_err "cgroup $1 could not be removed (processes left in it?)"
    return 1
}

containerd_stop() {
    local dir=${CONTAINERD_DIR:-} ns t pid shims=() procs a m i ctrs=()
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    pid=${CONTAINERD_PID:-$(cat "$dir/containerd.pid" 2>/dev/null)}

    # 1. While the daemon answers: kill and delete every task, then the
    # containers (CRI's too: this is teardown, not a test of CRI).
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ -S "${CONTAINERD_SOCK:-}" ]; then
        for ns in $(timeout 10 ctr --address "$CONTAINERD_SOCK" namespaces ls -q 2>/dev/null); do
            case $ns in
                k8s.io) ;;              # CRI's: under CONTAINERD_CGROUP_PARENT
                *) for t in $(timeout 10 ctr --address "$CONTAINERD_SOCK" -n "$ns" containers ls -q 2>/dev/null); do ctrs+=("$ns/$t"); done ;;
            esac
            for t in $(timeout 10 ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
                timeout 10 ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks kill -a -s KILL "$t" >/dev/null 2>&1
            done
            for t in $(timeout 10 ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
                timeout 10 ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks delete -f "$t" >/dev/null 2>&1
            done
            for t in $(timeout 10 ctr --address "$CONTAINERD_SOCK" -n "$ns" containers ls -q 2>/dev/null); do
                timeout 10 ctr --address "$CONTAINERD_SOCK" -n "$ns" containers delete "$t" >/dev/null 2>&1
            done
        done
    fi
    # 2. The daemon: SIGTERM, then SIGKILL after 10 s.
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 1000; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.01
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    # 3. Shims still there (and what runs under them): SIGKILL, after
    # noting their sockets under /run/containerd/s.
    mapfile -t shims < <(_ctd_shims)
    if [ ${#shims[@]} -gt 0 ]; then
        mapfile -t procs < <(_ctd_descendants "${shims[@]}")
        kill -KILL "${procs[@]}" 2>/dev/null
    fi
    for a in "$dir"/state/io.containerd.runtime.v2.task/*/*/address; do
        [ -f "$a" ] || continue
        a=$(cat "$a" 2>/dev/null)
        a=${a#unix://}
        case $a in /run/containerd/s/*) [ -S "$a" ] && rm -f -- "$a" ;; esac
    done
    # 4. Mounts under DIR, deepest first (rootfs overlays, shm, netns).
    for ((i = 0; i < 5; i++)); do
        mapfile -t m < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
        [ ${#m[@]} -gt 0 ] || break
        for a in "${m[@]}"; do
            umount "$a" 2>/dev/null || umount -l "$a" 2>/dev/null
        done
    done
    # 5. Cgroups: the parent of this instance (a process still in it, say a
    # pod's init that left its shim's tree, is killed first), and ctr's
    # default /NS/ID ones of the containers we deleted (/NS itself only
    # when empty: another containerd may use the same namespace name).
    if [ -n "${CONTAINERD_CGROUP_PARENT:-}" ]; then
        for a in $(_ctd_cgroup_roots); do
            [ -d "$a$CONTAINERD_CGROUP_PARENT" ] || continue
            find "$a$CONTAINERD_CGROUP_PARENT" -name cgroup.procs -exec cat {} + 2>/dev/null
        done | sort -u | xargs -r kill -KILL 2>/dev/null
        _ctd_rm_cgroup "$CONTAINERD_CGROUP_PARENT"
    fi
    for t in "${ctrs[@]}"; do
        _ctd_rm_cgroup "/$t"
        for a in $(_ctd_cgroup_roots); do
            rmdir "$a/${t%%/*}" 2>/dev/null
        done
    done
    # 6. The directory.
    rm -rf -- "$dir" 2>/dev/null || {
        _ctd_err "could not remove all of $dir (still mounted or busy?)"
        CONTAINERD_DIR=""
        return 1
    }
    CONTAINERD_DIR=""
    CONTAINERD_PID=""
    return 0
}

containerd_import() {
    local ns=$1 archive=$2 out
    if ! out=$(_ctd_ctr -n "$ns" images import "$archive" 2>&1); then
        _ctd_err "ctr -n $ns images import $archive failed: $out"
        return 1
    fi
}

containerd_images() {
    local probe=${1:-} ns py img=$CONTAINERD_DIR/images
    shift
    if [ -z "$probe" ] || [ ! -f "$probe" ]; then
        _ctd_err "containerd_images: the static test probe ${probe:-(none given)} is not a file; build first (it is BUILD_DIR/tests/probe)"
        return 1
    fi
    [ -n "${CONTAINERD_DIR:-}" ] || { _ctd_err "containerd_images: containerd_start first"; return 1; }
    py=${PYTHON:-}
    [ -n "$py" ] || { if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=python3; fi; }
    if [ ! -f "$img/pause.tar" ]; then
        mkdir -p "$img/pause-root" || return 1
        bash "$_CONTAINERD_LIB_DIR/mkrootfs.sh" "$img/busybox" --probe "$probe" >/dev/null 2>"$img/mkrootfs.err" || {
            cat "$img/mkrootfs.err" >&2
            _ctd_err "mkrootfs.sh failed"
            return 1
        }
        cp -- "$probe" "$img/pause-root/pause"
        chmod 0755 "$img/pause-root/pause"
        "$py" "$_CONTAINERD_LIB_DIR/mkoci.py" docker-archive "$img/busybox.tar" \
            --layer-dir="$img/busybox/rootfs" \
            --config-json='{"Cmd":["/bin/sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"WorkingDir":"/"}' \
            --repo-tag="$CONTAINERD_BUSYBOX" >/dev/null || { _ctd_err "mkoci.py (busybox image) failed"; return 1; }
        "$py" "$_CONTAINERD_LIB_DIR/mkoci.py" docker-archive "$img/pause.tar" \
            --layer-dir="$img/pause-root" \
            --config-json='{"Entrypoint":["/pause","term-exit","0"],"WorkingDir":"/"}' \
            --repo-tag="$CONTAINERD_PAUSE" >/dev/null || { _ctd_err "mkoci.py (pause image) failed"; return 1; }
    fi
    [ $# -gt 0 ] || set -- k8s.io
    for ns; do
        containerd_import "$ns" "$img/busybox.tar" || return 1
    done
    containerd_import k8s.io "$img/pause.tar" || return 1
}
