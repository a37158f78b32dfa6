#!/bin/bash
# run.sh -- podinit's integration tests (bats), as run by ctest.
#
# Environment:
#   PODINIT_BIN_DIR  build directory with podctl and podinit (default SRC/build)
#   PROBE            the static test probe (default $PODINIT_BIN_DIR/tests/probe)
#   PODINIT_SRC      source directory (default: two levels above this script)
#   BATS_ARGS        extra arguments for bats (e.g. "--filter stop")
#
# A missing prerequisite is an error, never a silent skip: the tests need
# root, bats, a static /bin/busybox, python3 and the ability to create
# namespaces.  The test image is built once here and shared by every file.
set -uo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
: "${PODINIT_SRC:=$(cd -- "$here/../.." && pwd)}"
: "${PODINIT_BIN_DIR:=$PODINIT_SRC/build}"
: "${PROBE:=$PODINIT_BIN_DIR/tests/probe}"
export PODINIT_SRC PODINIT_BIN_DIR PROBE

[ "$(id -u)" -eq 0 ] || die "must run as root (podinit creates namespaces and mounts); try: sudo $0"
command -v bats >/dev/null 2>&1 || die "bats is not installed; apt-get install bats"
command -v python3 >/dev/null 2>&1 || die "python3 is not installed (needed for JSON and the control-socket client); apt-get install python3"
command -v unshare >/dev/null 2>&1 || die "unshare is not installed; apt-get install util-linux"
command -v flock >/dev/null 2>&1 || die "flock is not installed; apt-get install util-linux"
[ -x /bin/busybox ] || die "/bin/busybox is missing; apt-get install busybox-static"
case $(LC_ALL=C ldd /bin/busybox 2>&1 || true) in
    *"not a dynamic executable"*|*"statically linked"*) ;;
    *) die "/bin/busybox is not statically linked (package busybox?); apt-get install busybox-static" ;;
esac
if ! err=$(unshare --fork --pid --mount true 2>&1); then
    die "cannot create PID and mount namespaces (unshare --fork --pid --mount true: ${err:-failed}); run on a host or privileged container"
fi
command -v strace >/dev/null 2>&1 || die "strace is not installed (crash.bats crashes podctl, the launcher and PID 1 with its fault injection); apt-get install strace"
for t in umoci skopeo zstd; do
    command -v "$t" >/dev/null 2>&1 || die "$t is not installed (images.bats builds OCI and docker images with it); apt-get install umoci skopeo zstd"
done
for p in ptp host-local portmap bridge loopback; do
    [ -x "/usr/lib/cni/$p" ] || die "the CNI plugin /usr/lib/cni/$p is missing (net.bats runs pods on real CNI networks); apt-get install containernetworking-plugins"
done
for t in iptables-save curl ip; do
    command -v "$t" >/dev/null 2>&1 || die "$t is not installed (net.bats checks the host's rules and reaches pods with it); apt-get install iptables curl iproute2"
done
for t in /usr/bin/containerd ctr containerd-shim-runc-v2 runc protoc; do
    command -v "$t" >/dev/null 2>&1 || die "$t is not installed (cri_runc.bats runs a private containerd through the CRI client); apt-get install containerd runc protobuf-compiler"
done
/usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null || die "python3-grpcio or python3-protobuf is missing (the CRI client of cri_runc.bats); apt-get install python3-grpcio python3-protobuf"
for f in podctl podinit; do
    [ -x "$PODINIT_BIN_DIR/$f" ] || die "$PODINIT_BIN_DIR/$f not found; build first (cmake --build) or set PODINIT_BIN_DIR"
done
[ -f "$PROBE" ] || die "test probe $PROBE not found; build first or set PROBE"

work=$(mktemp -d "${TMPDIR:-/tmp}/podinit-it.XXXXXX") || die "mktemp failed"
trap 'rm -rf -- "$work"' EXIT
bash "$PODINIT_SRC/tests/lib/mkrootfs.sh" "$work/img" --probe "$PROBE" 2>"$work/mkrootfs.err" || {
    cat "$work/mkrootfs.err" >&2
    die "building the test image failed"
}
bash "$PODINIT_SRC/tests/lib/mkaci.sh" "$work/img" "$work/img.aci" --gzip ||
    die "packing the test image failed"
export PODINIT_TEST_IMG=$work/img PODINIT_TEST_ACI=$work/img.aci

# Serial on purpose: some tests measure timings and one fills the pod's
# client table; running files in parallel on 2 cores would make them flaky.
# shellcheck disable=SC2086
bats --tap ${BATS_ARGS-} "$here"/*.bats
rc=$?
exit $rc
