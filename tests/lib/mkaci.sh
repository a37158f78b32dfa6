#!/bin/bash
# mkaci.sh -- pack an appc image (.aci) for podinit's tests.
#
# usage: mkaci.sh SRC_DIR OUT.aci [--gzip]
#        mkaci.sh --hostile KIND OUT.aci [--gzip]
#
# The first form tars SRC_DIR/manifest and SRC_DIR/rootfs/ (as made by
# mkrootfs.sh) into OUT.aci, with members named exactly "manifest" and
# "rootfs/...", numeric owners, GNU tar format.
#
# The second form writes a deliberately malicious or broken image that the
# image loader must refuse.  KIND is one of:
#   dotdot           manifest, rootfs/bin/busybox and a file "rootfs/../../evil"
#   absolute         manifest and a file "/tmp/podinit-evil-abs"
#   symlink-escape   manifest, symlink rootfs/escape -> ../../../../../../tmp,
#                    then a file rootfs/escape/podinit-evil-link through it
#   hardlink-escape  manifest and a hard link rootfs/hl -> ../../etc/passwd
#                    (plus the regular file rootfs/hl-src it was made from)
#   no-manifest      rootfs entries only
#   bad-manifest     a manifest that is not valid JSON
#   not-an-archive   4 KiB of random bytes
# Every hostile archive is listed back and checked for the intended entry.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
    echo "usage: $prog SRC_DIR OUT.aci [--gzip]" >&2
    echo "       $prog --hostile KIND OUT.aci [--gzip]" >&2
    echo "KIND: dotdot absolute symlink-escape hardlink-escape no-manifest bad-manifest not-an-archive" >&2
    exit 2
}

gzip=""
hostile=""
args=()
while [ $# -gt 0 ]; do
    case $1 in
        --gzip) gzip=1; shift ;;
        --hostile) [ $# -ge 2 ] || usage; hostile=$2; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "$prog: unknown option: $1" >&2; usage ;;
        *) args+=("$1"); shift ;;
    esac
done

tar --version 2>/dev/null | grep -q 'GNU tar' || die "GNU tar is required"

# Absolute output path: tar runs with -C elsewhere.
abspath() {
    local dir
    dir=$(cd -- "$(dirname -- "$1")" && pwd) || die "no such directory: $(dirname -- "$1")"
    printf '%s/%s\n' "$dir" "$(basename -- "$1")"
}

common=(--format=gnu --numeric-owner)
[ -z "$gzip" ] || common+=(--gzip)

# ---------------------------------------------------------------- normal
if [ -z "$hostile" ]; then
    [ ${#args[@]} -eq 2 ] || usage
    src=${args[0]}
    out=$(abspath "${args[1]}")
    [ -f "$src/manifest" ] || die "$src/manifest: no such file"
    [ -d "$src/rootfs" ] || die "$src/rootfs: no such directory"
    tmp="$out.tmp.$$"
    trap 'rm -f -- "$tmp"' EXIT
    tar "${common[@]}" --sort=name -C "$src" -cf "$tmp" manifest rootfs
    mv -f -- "$tmp" "$out"
    trap - EXIT
    exit 0
fi

# --------------------------------------------------------------- hostile
[ ${#args[@]} -eq 1 ] || usage
out=$(abspath "${args[0]}")
kind=$hostile

work=$(mktemp -d "${TMPDIR:-/tmp}/mkaci.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
cd "$work"

good_manifest() {
    printf '%s\n' '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/evil","app":{"exec":["/bin/true"],"user":"0","group":"0"}}' >manifest
}

# A small but real rootfs/bin/busybox (the host's static one if present).
small_rootfs() {
    mkdir -p rootfs/bin
    if [ -f /bin/busybox ]; then
        cp /bin/busybox rootfs/bin/busybox
    else
        printf '#!/bin/sh\nexit 0\n' >rootfs/bin/busybox
    fi
    chmod 0755 rootfs/bin/busybox
}

# Pack with -P so that tar keeps "..", leading "/" and link targets as is.
pack() { tar "${common[@]}" --owner=0 --group=0 -P --no-recursion -cf "$out" "$@"; }

# expect TYPE NAME [LINKTARGET]: the archive must hold that member.
# TYPE is the first character of "tar -tv" mode output: - d l h
expect() {
    local type=$1 name=$2 target=${3-} want
    case $type in
        l) want="$name -> $target" ;;
        h) want="$name link to $target" ;;
        *) want=$name ;;
    esac
    # tar -tv: MODE OWNER SIZE DATE TIME NAME...; cut off the first 5 fields.
    if ! LC_ALL=C tar -tvPf "$out" --quoting-style=literal |
        awk -v t="$type" -v w="$want" '
            { line = $0; for (i = 0; i < 5; i++) sub(/^[^ ]+ +/, "", line) }
            substr($1, 1, 1) == t && line == w { found = 1 }
            END { exit !found }'; then
        echo "$prog: $kind: archive lacks member [$type] $want; it holds:" >&2
        LC_ALL=C tar -tvPf "$out" >&2 || true
        rm -f -- "$out"
        exit 1
    fi
}

case $kind in
    dotdot)
        good_manifest; small_rootfs
        echo "escaped via .." >evil
        pack manifest rootfs rootfs/bin rootfs/bin/busybox \
            --transform 's,^evil$,rootfs/../../evil,' evil
        expect - manifest
        expect - rootfs/bin/busybox
        expect - rootfs/../../evil
        ;;
    absolute)
        good_manifest
        echo "escaped via absolute name" >abs
        pack manifest --transform 's,^abs$,/tmp/podinit-evil-abs,' abs
        expect - manifest
        expect - /tmp/podinit-evil-abs
        ;;
    symlink-escape)
        good_manifest
        mkdir rootfs
        ln -s ../../../../../../tmp rootfs/escape
        echo "escaped via symlink" >linkfile
        # Order matters: the symlink first, then the file written through it.
        pack manifest rootfs rootfs/escape \
            --transform 's,^linkfile$,rootfs/escape/podinit-evil-link,' linkfile
        expect - manifest
        expect l rootfs/escape ../../../../../../tmp
        expect - rootfs/escape/podinit-evil-link
        LC_ALL=C tar -tPf "$out" | awk '
            $0 == "rootfs/escape" { s = NR }
            $0 == "rootfs/escape/podinit-evil-link" { f = NR }
            END { exit !(s && f && s < f) }' ||
            die "$kind: symlink does not precede the file"
        ;;
    hardlink-escape)
        good_manifest
        mkdir rootfs
        echo "hard link source" >rootfs/hl-src
        ln rootfs/hl-src rootfs/hl
        # tar stores rootfs/hl as a link to the first name, rootfs/hl-src;
        # rewrite only hard link targets (flags: not R, not S, h).
        pack manifest rootfs rootfs/hl-src rootfs/hl \
            --transform 's,^rootfs/hl-src$,../../etc/passwd,RSh'
        expect - manifest
        expect h rootfs/hl ../../etc/passwd
        ;;
    no-manifest)
        small_rootfs
        ln -s busybox rootfs/bin/sh
        pack rootfs rootfs/bin rootfs/bin/busybox rootfs/bin/sh
        expect - rootfs/bin/busybox
        if LC_ALL=C tar -tPf "$out" | grep -qx 'manifest'; then
            die "$kind: archive unexpectedly holds a manifest"
        fi
        ;;
    bad-manifest)
        small_rootfs
        printf '%s\n' '{"acKind": "ImageManifest", "name": 5' >manifest
        pack manifest rootfs rootfs/bin rootfs/bin/busybox
        expect - manifest
        [ "$(tar -xOPf "$out" manifest)" = '{"acKind": "ImageManifest", "name": 5' ] ||
            die "$kind: manifest content is not the intended one"
        ;;
    not-an-archive)
        # Random data is (overwhelmingly) not a tar; make sure of it anyway.
        for _ in 1 2 3 4 5; do
            head -c 4096 /dev/urandom >"$out"
            if ! tar -tf "$out" >/dev/null 2>&1; then
                [ "$(stat -c %s "$out")" -eq 4096 ] || die "$kind: short write"
                exit 0
            fi
        done
        die "$kind: random bytes kept parsing as a tar archive"
        ;;
    *)
        echo "$prog: unknown hostile kind: $kind" >&2
        usage
        ;;
esac
