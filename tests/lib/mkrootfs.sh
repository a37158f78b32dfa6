#!/bin/bash
# mkrootfs.sh -- build an unpacked appc image (ACI layout) for podinit's tests.
#
# usage: mkrootfs.sh DEST [--probe PATH_TO_PROBE] [--name IMAGE_NAME]
#                         [--exec 'JSON array']
#
# Creates DEST/manifest (an ImageManifest) and DEST/rootfs/, a tiny root file
# system made of Debian's static busybox (package busybox-static) plus its
# applet symlinks, minimal /etc/passwd and /etc/group, and optionally the test
# probe at /probe.  DEST must not exist or be empty.  Pack it with mkaci.sh.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
    echo "usage: $prog DEST [--probe PATH] [--name IMAGE_NAME] [--exec 'JSON array']" >&2
    exit 2
}

dest=""
probe=""
name="example.com/busybox"
exec_json='["/bin/sh","-c","echo hello from busybox"]'

while [ $# -gt 0 ]; do
    case $1 in
        --probe) [ $# -ge 2 ] || usage; probe=$2; shift 2 ;;
        --name)  [ $# -ge 2 ] || usage; name=$2; shift 2 ;;
        --exec)  [ $# -ge 2 ] || usage; exec_json=$2; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "$prog: unknown option: $1" >&2; usage ;;
        *)  [ -z "$dest" ] || usage; dest=$1; shift ;;
    esac
done
[ -n "$dest" ] || usage

# appc names are lower-case ASCII letters, digits and -._~/ (AC Identifier).
[[ $name =~ ^[a-z0-9][a-z0-9._~/-]*$ ]] || die "invalid image name: $name"
# Only a cheap shape check: the string is embedded verbatim into the manifest.
exec_trim=$(printf '%s' "$exec_json" | tr -d '\n')
[[ $exec_trim =~ ^[[:space:]]*\[.*\][[:space:]]*$ ]] ||
    die "--exec must be a JSON array, got: $exec_json"

busybox=/bin/busybox
hint="install it with: apt-get install busybox-static"
[ -x "$busybox" ] || die "$busybox not found; $hint"
# A dynamically linked busybox cannot run inside a libc-less chroot.
case $(LC_ALL=C ldd "$busybox" 2>&1 || true) in
    *"not a dynamic executable"*|*"statically linked"*) ;;
    *) die "$busybox is not statically linked (package busybox?); $hint" ;;
esac
[ -z "$probe" ] || [ -f "$probe" ] || die "probe not found: $probe"

if [ -e "$dest" ]; then
    [ -d "$dest" ] || die "$dest exists and is not a directory"
    [ -z "$(ls -A -- "$dest")" ] || die "$dest exists and is not empty; refusing to touch it"
fi

umask 022
mkdir -p -- "$dest/rootfs"
root=$(cd -- "$dest/rootfs" && pwd)

install -d -m 0755 "$root/bin" "$root/etc" "$root/proc" "$root/sys" \
    "$root/dev" "$root/home" "$root/var"
install -d -m 0700 "$root/root"
install -d -m 0755 -o 1000 -g 1000 "$root/home/app"
install -d -m 1777 "$root/tmp" "$root/var/tmp"

install -m 0755 "$busybox" "$root/bin/busybox"

skipped=()
while IFS= read -r applet; do
    case $applet in
        ""|busybox|*/*) skipped+=("${applet:-<empty>}"); continue ;;
    esac
    if [ -e "$root/bin/$applet" ] || [ -L "$root/bin/$applet" ]; then
        skipped+=("$applet")
        continue
    fi
    ln -s busybox "$root/bin/$applet"
done < <("$root/bin/busybox" --list)
[ -L "$root/bin/sh" ] || die "busybox has no sh applet?"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app user:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
app:x:1000:
users:x:100:app
nogroup:x:65534:
EOF
chmod 0644 "$root/etc/passwd" "$root/etc/group"

if [ -n "$probe" ]; then
    install -m 0755 "$probe" "$root/probe"
fi

cat >"$dest/manifest" <<EOF
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"$name",
 "labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],
 "app":{"exec":$exec_json,"user":"0","group":"0","workingDirectory":"/"}}
EOF
chmod 0644 "$dest/manifest"

if [ ${#skipped[@]} -gt 0 ]; then
    echo "$prog: skipped applets: ${skipped[*]}" >&2
fi
