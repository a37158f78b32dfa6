#!/bin/bash
# mkimages.sh -- the images podctl's image tests import, made with the real
# tools (umoci, skopeo) from the busybox-static rootfs of mkrootfs.sh.
#
# usage: mkimages.sh OUTDIR [--from ACI_DIR] [--probe PATH]
#
# The rootfs is ACI_DIR/rootfs (an unpacked ACI as mkrootfs.sh makes it,
# e.g. the tests' $IMG), or else mkrootfs.sh builds OUTDIR/aci (with the test
# probe at /probe when --probe is given).  OUTDIR must not exist or be empty.
# Written into OUTDIR:
#
#   busybox.aci         mkaci.sh --gzip of the ACI (manifest name example.com/busybox)
#   busybox-oci/        OCI layout (umoci): one gzip layer, `umoci insert` of the
#                       rootfs at /; Entrypoint ["/bin/sh","-c"], Cmd ["echo hello
#                       from busybox-oci"], User 0:0, WorkingDir /, Env PATH and
#                       IMAGE=busybox-oci; one index entry, ref.name latest
#   busybox-oci.tar     the same image as an OCI layout tar (skopeo oci-archive:)
#   busybox-docker.tar  the same image as a docker archive (skopeo docker-archive:,
#                       RepoTags as skopeo writes them for busybox:latest)
#   user-oci/           the config-mapping image, two layers: the rootfs (insert),
#                       then (`umoci unpack`, edit, `umoci repack`) a new /etc/passwd
#                       (app 1234:2345, home /work) and /etc/group (app 2345, users
#                       100 with member app) and /work (owned 1234:2345); User app,
#                       WorkingDir /work, Env FOO=bar, Entrypoint ["/bin/sh","-c"],
#                       Cmd ["id -u; id -g; pwd; echo $FOO"]
#   user-uid/           user-oci with User 1234         (expect uid 1234 gid 2345)
#   user-uidgid/        user-oci with User 1234:100     (expect uid 1234 gid 100)
#   user-namegroup/     user-oci with User app:users    (expect uid 1234 gid 100)
#   user-meta/          user-oci plus ExposedPorts 8080/tcp and 53/udp, Volumes
#                       /data, StopSignal SIGUSR1
#   wh-oci/             whiteouts as `umoci repack` writes them (.wh.NAME files):
#                       over the rootfs, a layer adding /gone (file), /gonedir/ (dir
#                       with a file), /opq/old1 and /opq/old2, then a layer that
#                       removes /gone, /gonedir, /opq/old1 and /opq/old2 and adds
#                       /opq/new; Cmd ["/bin/sh","-c","ls -A /opq; ls -d /gone
#                       /gonedir 2>/dev/null; echo end"] (prints "new" and "end")
#   wh-insert-oci/      the same content made with `umoci insert`: /gone, /gonedir,
#                       /opq inserted, then `umoci insert --whiteout` of /gone and
#                       /gonedir and `umoci insert --opaque` of /opq holding only
#                       "new" (an opaque whiteout, .wh..wh..opq); same Cmd
#
# The layers of `umoci insert` in umoci up to 0.4.7 (Debian 12's) are not
# terminated (umoci issue 436, fixed in 0.4.8): no end-of-archive blocks, and
# when the last member is a non-empty file, no padding after its data.  GNU
# tar and Python's tarfile say "unexpected EOF"; libarchive 3.6 reads every
# member but fails on the last file's data ("Truncated input file"); Go's
# archive/tar (docker, umoci) reads them.  Images like these are in the wild.
# busybox-oci's single layer ends with a symlink, so only its end-of-archive
# blocks are missing; wh-insert-oci has every form.  The repack layers of
# user-oci and wh-oci are well-formed.  (mkoci.py --unterminated makes the
# same shape on purpose.)
#
# Every layout has exactly one index entry, named latest, and is checked with
# `umoci stat`; wh-oci and wh-insert-oci are unpacked with umoci to check
# that their whiteouts are the intended ones; the archives are read back with
# skopeo.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
    echo "usage: $prog OUTDIR [--from ACI_DIR] [--probe PATH]" >&2
    exit 2
}

out=""
from=""
probe=""
while [ $# -gt 0 ]; do
    case $1 in
        --from)  [ $# -ge 2 ] || usage; from=$2; shift 2 ;;
        --probe) [ $# -ge 2 ] || usage; probe=$2; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "$prog: unknown option: $1" >&2; usage ;;
        *)  [ -z "$out" ] || usage; out=$1; shift ;;
    esac
done
[ -n "$out" ] || usage

missing=()
for t in umoci skopeo; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
[ ${#missing[@]} -eq 0 ] ||
    die "${missing[*]} not found; the image tests need them: apt-get install umoci skopeo"

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# The system interpreter when there is one (version-manager shims are slow).
py=${PYTHON:-}
if [ -z "$py" ]; then
    if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=python3; fi
fi

if [ -e "$out" ]; then
    [ -d "$out" ] || die "$out exists and is not a directory"
    [ -z "$(ls -A -- "$out")" ] || die "$out exists and is not empty; refusing to touch it"
fi
mkdir -p -- "$out"
out=$(cd -- "$out" && pwd)

if [ -n "$from" ]; then
    if [ ! -f "$from/manifest" ] || [ ! -d "$from/rootfs" ]; then
        die "--from $from: not an unpacked ACI (manifest and rootfs/)"
    fi
    aci=$(cd -- "$from" && pwd)
else
    aci=$out/aci
    bash "$here/mkrootfs.sh" "$aci" ${probe:+--probe "$probe"} 2>/dev/null ||
        die "mkrootfs.sh $aci failed"
fi
rootfs=$aci/rootfs

work=$(mktemp -d "${TMPDIR:-/tmp}/mkimages.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

# q CMD...: run a tool quietly; on failure show what it said and stop.
q() {
    local log=$work/tool.log
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        die "failed: $*"
    fi
}

path_env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ------------------------------------------------------------ the ACI
bash "$here/mkaci.sh" "$aci" "$out/busybox.aci" --gzip || die "mkaci.sh failed"

# ------------------------------------------------------------ busybox-oci
b=$out/busybox-oci
q umoci init --layout "$b"
q umoci new --image "$b:latest"
q umoci insert --image "$b:latest" "$rootfs" /
q umoci config --image "$b:latest" \
    --config.entrypoint /bin/sh --config.entrypoint=-c \
    --config.cmd 'echo hello from busybox-oci' \
    --config.user 0:0 --config.workingdir / \
    --config.env "$path_env" --config.env IMAGE=busybox-oci
q umoci gc --layout "$b"

q skopeo copy -q "oci:$b:latest" "oci-archive:$out/busybox-oci.tar:latest"
q skopeo copy -q "oci:$b:latest" "docker-archive:$out/busybox-docker.tar:busybox:latest"

# ------------------------------------------------------------ user-oci and variants
u=$work/user
ub=$work/user-bundle
q umoci init --layout "$u"
q umoci new --image "$u:base"
q umoci insert --image "$u:base" "$rootfs" /
q umoci unpack --image "$u:base" "$ub"
cat >"$ub/rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1234:2345:app user:/work:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$ub/rootfs/etc/group" <<'EOF'
root:x:0:
users:x:100:app
app:x:2345:
nogroup:x:65534:
EOF
chmod 0644 "$ub/rootfs/etc/passwd" "$ub/rootfs/etc/group"
install -d -m 0755 -o 1234 -g 2345 "$ub/rootfs/work"
q umoci repack --image "$u:base" "$ub"
# shellcheck disable=SC2016  # $FOO is for the app's shell
q umoci config --image "$u:base" --tag latest \
    --config.entrypoint /bin/sh --config.entrypoint=-c \
    --config.cmd 'id -u; id -g; pwd; echo $FOO' \
    --config.user app --config.workingdir /work \
    --config.env "$path_env" --config.env FOO=bar
q umoci config --image "$u:latest" --tag uid --config.user 1234
q umoci config --image "$u:latest" --tag uidgid --config.user 1234:100
q umoci config --image "$u:latest" --tag namegroup --config.user app:users
q umoci config --image "$u:latest" --tag meta \
    --config.exposedports 8080/tcp --config.exposedports 53/udp \
    --config.volume /data --config.stopsignal SIGUSR1
# One layout per image: each has a single index entry named latest.
for v in latest:user-oci uid:user-uid uidgid:user-uidgid namegroup:user-namegroup meta:user-meta; do
    q skopeo copy -q "oci:$u:${v%%:*}" "oci:$out/${v#*:}:latest"
done

# ------------------------------------------------------------ wh-oci, wh-insert-oci
src=$work/wh-src
mkdir -p "$src/gonedir" "$src/opq" "$src/opq-new"
echo "i should be hidden" >"$src/gone"
echo "me too" >"$src/gonedir/file"
echo old1 >"$src/opq/old1"
echo old2 >"$src/opq/old2"
echo new >"$src/opq-new/new"
wh_cmd=(--config.cmd /bin/sh --config.cmd=-c
        --config.cmd 'ls -A /opq; ls -d /gone /gonedir 2>/dev/null; echo end' --config.env "$path_env")

w=$work/wh
wb=$work/wh-bundle
q umoci init --layout "$w"
q umoci new --image "$w:latest"
q umoci insert --image "$w:latest" "$rootfs" /
q umoci unpack --image "$w:latest" "$wb"
cp -a "$src/gone" "$src/gonedir" "$src/opq" "$wb/rootfs/"
q umoci repack --image "$w:latest" "$wb"
rm -rf "$wb"
q umoci unpack --image "$w:latest" "$wb"
rm -rf "$wb/rootfs/gone" "$wb/rootfs/gonedir" "$wb/rootfs/opq/old1" "$wb/rootfs/opq/old2"
cp -a "$src/opq-new/new" "$wb/rootfs/opq/"
q umoci repack --image "$w:latest" "$wb"
q umoci config --image "$w:latest" "${wh_cmd[@]}"
q skopeo copy -q "oci:$w:latest" "oci:$out/wh-oci:latest"

w=$work/wh-insert
q umoci init --layout "$w"
q umoci new --image "$w:latest"
q umoci insert --image "$w:latest" "$rootfs" /
q umoci insert --image "$w:latest" "$src/gone" /gone
q umoci insert --image "$w:latest" "$src/gonedir" /gonedir
q umoci insert --image "$w:latest" "$src/opq" /opq
q umoci insert --image "$w:latest" --whiteout /gone
q umoci insert --image "$w:latest" --whiteout /gonedir
q umoci insert --image "$w:latest" --opaque "$src/opq-new" /opq
q umoci config --image "$w:latest" "${wh_cmd[@]}"
q skopeo copy -q "oci:$w:latest" "oci:$out/wh-insert-oci:latest"

# ------------------------------------------------------------ checks
layouts=(busybox-oci user-oci user-uid user-uidgid user-namegroup user-meta wh-oci wh-insert-oci)
for l in "${layouts[@]}"; do
    q umoci stat --image "$out/$l:latest"
done
"$py" - "$out" "${layouts[@]}" <<'EOF' || die "a layout does not have exactly one index entry"
import json, sys
for l in sys.argv[2:]:
    n = len(json.load(open("%s/%s/index.json" % (sys.argv[1], l)))["manifests"])
    if n != 1:
        sys.exit("%s: index.json has %d entries, expected 1" % (l, n))
EOF
for l in wh-oci wh-insert-oci; do
    q umoci unpack --image "$out/$l:latest" "$work/check-$l"
    got=$(cd "$work/check-$l/rootfs" && ls -A opq && { [ ! -e gone ] && [ ! -e gonedir ] && echo hidden; })
    [ "$got" = "$(printf 'new\nhidden')" ] ||
        die "$l: umoci unpack shows [$got], expected opq/new only and no /gone, /gonedir"
    [ -x "$work/check-$l/rootfs/bin/busybox" ] || die "$l: the rootfs layer is missing"
done
# Whiteouts of both kinds are there, as intended.
layer_names() {
    "$py" - "$1" <<'EOF'
import json, sys, zlib
d = sys.argv[1]
blob = lambda dg: open("%s/blobs/sha256/%s" % (d, dg.split(":")[1]), "rb").read()
m = json.loads(blob(json.load(open(d + "/index.json"))["manifests"][0]["digest"]))
for l in m["layers"][1:]:
    raw = zlib.decompressobj(31).decompress(blob(l["digest"]))   # tolerates unterminated tars
    off = 0
    while off + 512 <= len(raw) and raw[off:off + 512].strip(b"\0"):
        h = raw[off:off + 512]
        print(h[:100].rstrip(b"\0").decode())
        size = int(h[124:136].rstrip(b"\0 ") or b"0", 8)
        off += 512 + (size + 511) // 512 * 512
EOF
}
names=$(layer_names "$out/wh-oci")
for n in .wh.gone .wh.gonedir opq/.wh.old1 opq/.wh.old2; do
    grep -qx -- "$n" <<<"$names" || die "wh-oci: no whiteout $n in its layers: $names"
done
names=$(layer_names "$out/wh-insert-oci")
for n in .wh.gone .wh.gonedir opq/.wh..wh..opq; do
    grep -qx -- "$n" <<<"$names" || die "wh-insert-oci: no whiteout $n in its layers: $names"
done
q skopeo inspect "oci-archive:$out/busybox-oci.tar:latest"
q skopeo inspect "docker-archive:$out/busybox-docker.tar"
tar -tf "$out/busybox-docker.tar" manifest.json >/dev/null 2>&1 ||
    die "busybox-docker.tar has no manifest.json"
