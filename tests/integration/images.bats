#!/usr/bin/env bats
# The image store (podctl image import|list|inspect|rm|gc, and podctl run of a
# stored image or of an image file): OCI layouts, OCI layout tars, docker
# archives and ACIs; overlay and --no-overlay roots; whiteouts; the OCI config
# mapping; locks; broken and hostile input, which must leave the store as it
# was.  The store is DIR/images: blobs/ trees/ images/ refs/ locks/ tmp/.
#
# Fixtures (built once in setup_file):
#   $IMAGES  tests/lib/mkimages.sh: real-tool images (umoci, skopeo) of the
#            busybox-static test rootfs; its header lists them
#   $FIX     tests/lib/mkoci.py: the edge cases real tools cannot make; each
#            NAME has a JSON summary NAME.json (digests, layer names)

load helpers

bats_require_minimum_version 1.5.0     # run --separate-stderr

MKOCI=$PODINIT_SRC/tests/lib/mkoci.py

mkoci() { "$PYTHON" "$MKOCI" "$@"; }

# fixture NAME MKOCI-VERB [ARGS...]: queue $FIX/NAME (a layout dir, or
# NAME.tar with docker-archive or --tar) and its summary $FIX/NAME.json for
# make_fixtures, which builds them all in one mkoci.py process.
fixture() {
    local name=$1 verb=$2 out=$FIX/$1
    shift 2
    [ "$verb" = docker-archive ] && out=$FIX/$name.tar
    [[ " $* " == *" --tar "* ]] && out=$FIX/$name.tar
    local a q=\'
    for a in "$verb" "$out" "$@" "--summary=$FIX/$name.json"; do
        printf "'%s' " "${a//$q/$q\\$q$q}"     # POSIX shell quoting: ' becomes '\''
    done >>"$FIX/batch"
    echo >>"$FIX/batch"
}

make_fixtures() {
    mkoci batch <"$FIX/batch" || fail "mkoci.py batch failed; its commands: $FIX/batch"
}

# The whiteout layers over the rootfs (see "whiteouts" below for what they hide).
WH_L2='dir etc; file etc/gone gone; file etc/keep keep; dir opq; file opq/old1 1; file opq/old2 2;
       dir opq2; file opq2/old 1; dir gonedir; dir gonedir/sub; file gonedir/sub/f f; file again first'
# opq's marker comes before its new file (as the OCI spec recommends), opq2's after it.
WH_L3='dir etc; whiteout etc/gone; whiteout gonedir; dir opq; opaque opq; file opq/new new;
       dir opq2; file opq2/new new; opaque opq2; whiteout again'
WH_L4='file again second'
# shellcheck disable=SC2016
WH_CHECK='ls -A /opq; ls -A /opq2; cat /etc/keep /again
for p in /etc/gone /gonedir; do [ -e $p ] && echo "$p is visible"; done
ls -A / /etc /opq /opq2 | grep "^\.wh\."; echo end'
WH_EXPECT=$'new\nnew\nkeep\nsecond\nend'

setup_file() {
    build_images
    IMAGES=$BATS_FILE_TMPDIR/images
    bash "$PODINIT_SRC/tests/lib/mkimages.sh" "$IMAGES" --from "$IMG" || fail "mkimages.sh failed" || return 1
    FIX=$BATS_FILE_TMPDIR/fix
    mkdir -p "$FIX"
    local r=$IMG/rootfs k
    # A tiny image to seed the store before a failing import.
    fixture seed layout --layer 'dir seed; file seed/file x'
    # Layer formats (each a runnable image: the rootfs plus a marker).
    fixture plain layout --layer-dir "$r" --layer 'file marker plain' --compress=none --dot-slash
    fixture zstd layout --layer-dir "$r" --layer 'file marker zstd' --compress=zstd
    fixture mixed layout --layer-dir "$r" --layer 'file marker one' --layer 'file marker two' \
        --compress=none,gzip,zstd
    fixture unterminated layout --layer-dir "$r" --layer 'file marker unterminated' --unterminated
    fixture rootentry layout --layer-dir "$r" --layer 'dir / 0755; file marker rootentry' --compress=none
    fixture dockermedia layout --layer-dir "$r" --layer 'file marker dockermedia' --media-types=docker
    fixture ocitar layout --tar --layer-dir "$r" --layer 'file marker ocitar' --ref=v2
    fixture dock docker-archive --layer-dir "$r" --layer 'file marker dock' --compress=none,gzip \
        --repo-tag=example.com/dock:v1 --repo-tag=example.com/dock:latest
    # Indexes.
    fixture multi layout --layer-dir "$r" --platform=linux/amd64 --platform=linux/arm64/v8
    fixture nested layout --layer-dir "$r" --platform=linux/arm64/v8 --platform=linux/amd64 --nested
    # Whiteouts (the layers above), many layers.
    fixture wh layout --layer-dir "$r" --layer "$WH_L2" --layer "$WH_L3" --layer "$WH_L4"
    fixture tiny150 layout --layer-dir "$r" --tiny-layers 149
    # Broken: the rootfs, a layer of its own (so a half-done import would leave
    # a tree behind) and the broken top layer.
    for k in missing-index bad-index-json missing-manifest bad-manifest-json missing-config \
        bad-config-json missing-layer unknown-media-type digest-mismatch size-mismatch truncate-layer; do
        fixture "bad-$k" layout --layer-dir "$r" --layer "file only-in-$k x" \
            --layer 'file top x; zeros pad 64K' --corrupt="$k"
    done
    fixture dock-missing-layer docker-archive --layer-dir "$r" --layer 'file only-in-dock x' \
        --repo-tag=example.com/broken:v1 --corrupt=missing-layer
    : >"$FIX/empty-file"
    bash "$PODINIT_SRC/tests/lib/mkaci.sh" --hostile not-an-archive "$FIX/random.bin"
    # Hostile layers over a small base; chardev over the rootfs (it imports).
    for k in dotdot absolute hardlink-escape symlink-escape symlink-absolute; do
        fixture "hostile-$k" layout --layer 'dir base; file base/file x' --hostile "$k"
    done
    fixture hostile-chardev layout --layer-dir "$r" --hostile chardev
    for k in dotdot absolute symlink-escape hardlink-escape; do
        bash "$PODINIT_SRC/tests/lib/mkaci.sh" --hostile "$k" "$FIX/hostile-$k.aci"
    done
    # Limits: 32 MiB of zeros in a tiny gzip blob; 3000 empty files.
    fixture bomb layout --layer 'zeros big 32M'
    fixture manyfiles layout --layer 'dir many; files many 3000'
    make_fixtures
    export IMAGES FIX
}

setup() { pod_setup; }
teardown() { pod_teardown; }

# ------------------------------------------------------------------ helpers

# fixj NAME PATH: a field of fixture NAME's summary (mkoci.py's JSON).
fixj() { jget "$2" <"$FIX/$1.json"; }

# h12 DIGEST: its first 12 hex digits.
h12() {
    local h=${1#sha256:}
    printf '%s\n' "${h:0:12}"
}

# import_image PATH [FLAGS...]: `podctl image import`, which must succeed and
# print the id as its last stdout line; sets ID (sha256:...) and HEX.
import_image() {
    local out=$BATS_TEST_TMPDIR/import.out err=$BATS_TEST_TMPDIR/import.err rc=0
    pc image import "$@" >"$out" 2>"$err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        cat "$err" >&2
        fail "podctl image import $* exited $rc"
        return 1
    fi
    ID=$(tail -n 1 "$out")
    [[ $ID =~ ^sha256:[0-9a-f]{64}$ ]] ||
        fail "the last line of podctl image import's stdout is not an image id:" "$(cat "$out")" || return 1
    HEX=${ID#sha256:}
    assert_tmp_empty
}

# The store's content, to compare before and after a failing import: every
# path under blobs/ trees/ images/ refs/, with type and size (not of dirs),
# and the names at the top of DIR/images (an escape to there shows).
store_state() {
    (cd "$D/images" 2>/dev/null &&
        find blobs trees images refs \( -type d -printf '%p/\n' \) -o -printf '%p %y %s\n' 2>/dev/null |
        sort && find . -mindepth 1 -maxdepth 1 | sort) || true
}

assert_tmp_empty() {
    local left
    left=$(ls -A "$D/images/tmp" 2>/dev/null || true)
    [ -z "$left" ] || fail "$D/images/tmp is not empty: $left"
}

assert_store_unchanged() {
    local now
    now=$(store_state)
    if [ "$now" != "$1" ]; then
        diff <(printf '%s\n' "$1") <(printf '%s\n' "$now") >&2 || true
        fail "the store changed (diff above: < before, > after)"
        return 1
    fi
    assert_tmp_empty
}

# A store with one image in it (so "unchanged" is about more than nothing).
seed_store() {
    import_image "$FIX/seed" --name=seed:v1
}

# import_fails PATH NEEDLE [FLAGS...]: the import exits 1 with NEEDLE in its
# message and leaves the store as it was.
import_fails() {
    local path=$1 needle=$2 before
    shift 2
    before=$(store_state)
    run pc image import "$path" "$@"
    assert_status 1 || return 1
    assert_output_contains "$needle" || return 1
    assert_store_unchanged "$before"
}

# assert_output_matches_any ERE...: the output matches at least one of them.
assert_output_matches_any() {
    local re
    for re in "$@"; do
        [[ ${output-} =~ $re ]] && return 0
    done
    _dump_run
    fail "expected the output to match one of: $*"
}

# Every image of the store as JSON (podctl image list --json).
images_json() { pc image list --json; }

# img_py EXPR...: evaluate Python statements with `imgs` bound to the image
# list; an AssertionError fails the test with the list shown.
img_py() {
    local js
    js=$(images_json) || fail "podctl image list --json failed" || return 1
    printf '%s' "$js" | "$PYTHON" -c '
import json, sys
imgs = json.load(sys.stdin)
byid = {i["id"]: i for i in imgs}
try:
    exec(sys.argv[1])
except AssertionError as e:
    print("assertion failed: %s\nimages: %s" % (e, json.dumps(imgs, indent=1)), file=sys.stderr)
    sys.exit(1)
' "$1"
}

image_count() { img_py 'print(len(imgs))'; }

# names ID: the image's names, sorted, space-separated.
names_of() { img_py "print(' '.join(sorted(byid['$1']['names'])))"; }

inspect_field() { pc image inspect "$1" | jget "$2"; }

# img_run MODE REF [APP FLAGS...] [-- ARGS...]: `podctl run REF --name=web ...`
# in the foreground, stdout in $output, stderr in $stderr.  MODE: overlay, or
# copy (--no-overlay, a pod flag: podctl run parses it before the images).
img_run() {
    local mode=$1 ref=$2 pod_flags=()
    shift 2
    [ "$mode" = copy ] && pod_flags+=(--no-overlay)
    # assert_ran checks the mode too; an unpacked ACI directory is always copied.
    IMG_MODE=$mode
    [ -f "$ref/manifest" ] && [ -d "$ref/rootfs" ] && IMG_MODE=
    run --separate-stderr "$PODCTL" --dir="$D" run --net=none "${pod_flags[@]}" "$ref" --name=web "$@"
}

_dump_sep() {
    printf -- '--- status: %s\n--- stdout:\n%s\n--- stderr:\n%s\n---\n' \
        "${status-}" "${output-}" "${stderr-}" >&2
}

# assert_ran EXPECTED-STDOUT: img_run exited 0 and printed exactly that.
assert_ran() {
    if [ "${status-}" != 0 ] || [ "${output-}" != "$1" ]; then
        _dump_sep
        fail "expected exit 0 and stdout:" "$1"
        return 1
    fi
    # The newest pod's app ran the way img_run asked: on an overlay (never a silent copy), or copied.
    local a
    a=$(ls -td "$D"/pods/*/*/stage1/rootfs/opt/stage2/web 2>/dev/null | head -n 1)
    case ${IMG_MODE-} in
    overlay) [ -f "$a/layers" ] && [ -d "$a/upper" ] || { _dump_sep; fail "the app did not run on an overlay ($a)"; return 1; } ;;
    copy) [ ! -e "$a/layers" ] && [ ! -e "$a/upper" ] || { _dump_sep; fail "the app was not copied ($a)"; return 1; } ;;
    esac
}

# entries DIR: how many names DIR holds.
entries() { find "$1" -mindepth 1 -maxdepth 1 | wc -l; }

# The app "web" of $POD, as the host sees it.
app_dir() { printf '%s\n' "$POD/stage1/rootfs/opt/stage2/web"; }

# A fingerprint of every tree in the store: names, types, modes, owners,
# sizes and file contents.
trees_sum() {
    (cd "$D/images/trees" &&
        find . -printf '%p %y %m %U:%G %s\n' | sort &&
        find . -type f -exec sha256sum {} + | sort) | sha256sum
}

# ------------------------------------------------------------------ import

@test "image import: an OCI layout made by umoci; the store's layout; a second import is the same image" {
    import_image "$IMAGES/busybox-oci"
    local first=$ID
    [ -f "$D/images/images/$HEX.json" ] || fail "no images/$HEX.json"
    [ -n "$(ls -A "$D/images/trees")" ] || fail "no tree in the store"
    [ -n "$(ls -A "$D/images/blobs/sha256")" ] || fail "no blob in blobs/sha256"
    assert_eq "$(entries "$D/images/refs")" 1 "entries in refs/"
    [ -d "$D/images/locks" ] || fail "no locks/ in the store"
    img_py "
i = byid['$ID']
assert len(imgs) == 1, 'one image'
assert i['names'] == ['busybox-oci:latest'], i['names']
assert i['kind'] == 'oci', i['kind']
assert i['layers'] == 1, i['layers']
assert isinstance(i['size'], int) and i['size'] > 1000000, i['size']
assert isinstance(i['created'], str) and i['created'], i['created']
"
    import_image "$IMAGES/busybox-oci"
    assert_eq "$ID" "$first" "id of the second import"
    assert_eq "$(image_count)" 1 "images after importing twice"
}

@test "image import: an OCI layout tar (skopeo oci-archive) and mkoci's, with --name" {
    import_image "$IMAGES/busybox-oci.tar" --name=busybox-tar:v1
    img_py "i = byid['$ID']; assert i['names'] == ['busybox-tar:v1'], i; assert i['kind'] == 'oci', i; assert i['layers'] == 1, i"
    import_image "$FIX/ocitar.tar" --name=ocitar:v2
    img_py "i = byid['$ID']; assert i['names'] == ['ocitar:v2'], i; assert i['layers'] == 2, i"
    assert_eq "$(image_count)" 2 "images"
    img_run overlay ocitar:v2 --exec=/bin/cat -- /marker
    assert_ran ocitar
}

@test "image import: a docker archive made by skopeo is named by its RepoTags" {
    local tags
    tags=$(tar -xOf "$IMAGES/busybox-docker.tar" manifest.json |
        "$PYTHON" -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)[0]["RepoTags"])))')
    [ -n "$tags" ] || fail "skopeo wrote no RepoTags"
    import_image "$IMAGES/busybox-docker.tar"
    assert_eq "$(names_of "$ID")" "$tags" "names"
    img_py "i = byid['$ID']; assert i['kind'] == 'docker', i; assert i['layers'] == 1, i"
    img_run overlay "$ID"
    assert_ran "hello from busybox-oci"
}

@test "image import: a docker archive with two RepoTags and a gzip layer (mkoci)" {
    import_image "$FIX/dock.tar"
    assert_eq "$(names_of "$ID")" "example.com/dock:latest example.com/dock:v1" "names"
    img_py "i = byid['$ID']; assert i['kind'] == 'docker', i; assert i['layers'] == 2, i"
    # A name without a tag is :latest.
    assert_eq "$(inspect_field example.com/dock id)" "$ID" "inspect example.com/dock"
    img_run overlay example.com/dock:v1 --exec=/bin/cat -- /marker
    assert_ran dock
}

@test "image import: an ACI file and the same ACI as a directory are one image" {
    import_image "$IMAGES/busybox.aci"
    local fromfile=$ID
    img_py "
i = byid['$ID']
assert i['kind'] == 'aci', i
assert i['layers'] == 1, i
assert [n for n in i['names'] if n in ('example.com/busybox', 'example.com/busybox:latest')], i['names']
"
    assert_eq "$(inspect_field example.com/busybox id)" "$ID" "inspect by the manifest's name"
    # image/tree.h: an ACI's id is the digest of its tree, from a file or a directory.
    import_image "$IMG"
    assert_eq "$ID" "$fromfile" "id of the ACI directory"
    assert_eq "$(image_count)" 1 "images"
}

@test "image import: plain tar layers with ./ names" {
    import_image "$FIX/plain" --name=plain:v1
    img_run overlay plain:v1 --exec=/bin/cat -- /marker
    assert_ran plain
}

@test "image import: zstd layers" {
    import_image "$FIX/zstd" --name=zstd:v1
    img_run overlay zstd:v1 --exec=/bin/cat -- /marker
    assert_ran zstd
}

@test "image import: tar, gzip and zstd layers in one image; the upper layer wins" {
    import_image "$FIX/mixed" --name=mixed:v1
    img_py "assert byid['$ID']['layers'] == 3"
    img_run overlay mixed:v1 --exec=/bin/cat -- /marker
    assert_ran two
    img_run copy mixed:v1 --exec=/bin/cat -- /marker
    assert_ran two
}

# umoci <= 0.4.7 (Debian 12's) writes `umoci insert` layers without the tar
# end-of-archive blocks, and without the padding after the last file's data
# (umoci issue 436).  Go's archive/tar reads them (docker, umoci); libarchive
# 3.6 fails on the last file ("Truncated input file"): an importer built on it
# has to supply the missing zeros after the blob's end.
@test "image import: layers without tar padding or end-of-archive blocks (umoci <= 0.4.7's insert)" {
    import_image "$FIX/unterminated" --name=unterminated:v1
    img_run overlay unterminated:v1 --exec=/bin/cat -- /marker
    assert_ran unterminated
    # The real thing, with umoci insert --whiteout and --opaque whiteouts.
    import_image "$IMAGES/wh-insert-oci"
    img_run overlay wh-insert-oci:latest
    assert_ran $'new\nend'
    img_run copy wh-insert-oci:latest
    assert_ran $'new\nend'
}

@test "image import: a layer whose first entry is the root itself, / (as umoci insert ... / writes it)" {
    import_image "$FIX/rootentry" --name=rootentry:v1
    img_run overlay rootentry:v1 --exec=/bin/cat -- /marker
    assert_ran rootentry
}

@test "image import: docker schema 2 media types in an OCI layout" {
    import_image "$FIX/dockermedia" --name=dockermedia:v1
    img_run overlay dockermedia:v1 --exec=/bin/cat -- /marker
    assert_ran dockermedia
}

@test "image import: a multi-platform index: the host's platform by default, --platform picks another" {
    [ "$(uname -m)" = x86_64 ] || fail "this test expects an x86-64 host (linux/amd64 is the default)"
    import_image "$FIX/multi"
    local amd=$ID
    assert_eq "$(names_of "$ID")" "multi:latest" "default name"
    img_run overlay multi:latest --exec=/bin/cat -- /platform
    assert_ran linux/amd64
    import_image "$FIX/multi" --platform=linux/arm64/v8 --name=multi:arm64
    [ "$ID" != "$amd" ] || fail "--platform=linux/arm64/v8 imported the amd64 image"
    local m c
    m=$(fixj multi manifests.1.digest)
    c=$(fixj multi manifests.1.config)
    [ "$ID" = "$m" ] || [ "$ID" = "$c" ] ||
        fail "the arm64 import $ID is neither the arm64 manifest $m nor its config $c"
    # No variant asked: any variant matches.
    local arm=$ID
    import_image "$FIX/multi" --platform=linux/arm64 --name=multi:arm64-2
    assert_eq "$ID" "$arm" "the id with --platform=linux/arm64"
}

@test "image import: a nested index" {
    import_image "$FIX/nested"
    assert_eq "$(names_of "$ID")" "nested:latest" "default name"
    img_run overlay nested:latest --exec=/bin/cat -- /platform
    assert_ran linux/amd64
}

@test "image import: --name moves a name from the image that had it" {
    import_image "$IMAGES/busybox-oci" --name=moving:v1
    local first=$ID
    import_image "$FIX/zstd" --name=moving:v1
    local second=$ID
    assert_eq "$(image_count)" 2 "images"
    assert_eq "$(names_of "$second")" "moving:v1" "names of the second image"
    assert_eq "$(names_of "$first")" "" "names of the first image"
    assert_eq "$(inspect_field moving:v1 id)" "$second" "moving:v1 now"
    assert_eq "$(inspect_field "$first" id)" "$first" "the first image is still there"
}

@test "image import: two concurrent imports of the same file make one image" {
    local f=$BATS_TEST_TMPDIR/same.tar o1=$BATS_TEST_TMPDIR/o1 o2=$BATS_TEST_TMPDIR/o2 p1 p2
    cp "$IMAGES/busybox-oci.tar" "$f"
    bg pc image import "$f" --name=same:v1 >"$o1" 2>"$o1.err"
    p1=$BGP
    bg pc image import "$f" --name=same:v1 >"$o2" 2>"$o2.err"
    p2=$BGP
    wait_ok "$p1" "the first import" "$o1.err"
    wait_ok "$p2" "the second import" "$o2.err"
    assert_eq "$(tail -n 1 "$o1")" "$(tail -n 1 "$o2")" "the two ids"
    assert_eq "$(image_count)" 1 "images"
    assert_eq "$(names_of "$(tail -n 1 "$o1")")" "same:v1" "names"
    assert_tmp_empty
    img_run overlay same:v1
    assert_ran "hello from busybox-oci"
}

@test "image: usage errors exit 2" {
    run pc image list
    assert_status 0
    run pc image
    assert_status 2
    run pc image import
    assert_status 2
    run pc image import "$FIX/seed" --no-such-flag
    assert_status 2
    run pc image frobnicate
    assert_status 2
    run pc image inspect
    assert_status 2
    run pc image rm
    assert_status 2
}

# ------------------------------------------------------------ list, inspect

@test "image list: a header on an empty store; --json is []" {
    run pc image list
    assert_status 0
    assert_eq "$(echo "${lines[0]}" | tr -s ' ')" "ID NAME KIND LAYERS SIZE CREATED" "header"
    assert_eq "${#lines[@]}" 1 "lines"
    run pc image list --json
    assert_status 0
    assert_eq "$(printf '%s' "$output" | jget "")" "[]" "list --json"
}

@test "image list: one row per image with the short id, name, kind and layers" {
    import_image "$IMAGES/busybox-oci"
    local oci=$HEX
    import_image "$FIX/tiny150" --name=tiny:v1
    local tiny=$HEX
    import_image "$IMAGES/busybox.aci" --name=aci:v1
    local aci=$HEX
    run pc image list
    assert_status 0
    assert_eq "$(echo "${lines[0]}" | tr -s ' ')" "ID NAME KIND LAYERS SIZE CREATED" "header"
    assert_eq "${#lines[@]}" 4 "lines"
    [[ $(echo "$output" | grep "^${oci:0:12} " | tr -s ' ') == "${oci:0:12} busybox-oci:latest oci 1 "* ]] ||
        { _dump_run; fail "bad row for busybox-oci"; }
    [[ $(echo "$output" | grep "^${tiny:0:12} " | tr -s ' ') == "${tiny:0:12} tiny:v1 oci 150 "* ]] ||
        { _dump_run; fail "bad row for tiny:v1"; }
    [[ $(echo "$output" | grep "^${aci:0:12} " | tr -s ' ') == "${aci:0:12} aci:v1 aci 1 "* ]] ||
        { _dump_run; fail "bad row for aci:v1"; }
    refute_output_contains "${oci:0:13}"
    img_py "
assert sorted(i['id'] for i in imgs) == sorted(['sha256:$oci', 'sha256:$tiny', 'sha256:$aci'])
for i in imgs:
    assert set(i) >= {'id', 'names', 'kind', 'layers', 'size', 'created'}, i
    assert isinstance(i['names'], list) and isinstance(i['layers'], int) and isinstance(i['size'], int), i
"
}

@test "image inspect: by name, name without tag, full id and 12-digit prefix; the app section" {
    import_image "$IMAGES/busybox-oci"
    local ref
    for ref in busybox-oci:latest busybox-oci "$ID" "$HEX" "${HEX:0:12}" "sha256:${HEX:0:12}"; do
        run --separate-stderr pc image inspect "$ref"
        assert_status 0
        assert_eq "$(printf '%s' "$output" | jget id)" "$ID" "id of inspect $ref"
    done
    run --separate-stderr pc image inspect busybox-oci:latest
    assert_status 0
    printf '%s' "$output" | "$PYTHON" -c '
import json, sys
i = json.load(sys.stdin)
for k in ("id", "names", "kind", "layers", "size", "created", "app", "annotations"):
    assert k in i, "no %s in %s" % (k, i)
a = i["app"]
assert a["exec"] == ["/bin/sh", "-c", "echo hello from busybox-oci"], a
assert str(a["user"]) == "0" and str(a["group"]) == "0", a
assert a["workingDirectory"] == "/", a
env = {e["name"]: e["value"] for e in a["environment"]}
assert env.get("IMAGE") == "busybox-oci", env
assert i["kind"] == "oci" and i["layers"] == 1, i
' || { _dump_run; fail "bad inspect document"; }
    run pc image inspect "${HEX:0:11}"
    assert_failure
    run pc image inspect no-such-image:v1
    assert_failure
    assert_output_contains "no-such-image"
}

@test "image inspect: User, WorkingDir, Env, Entrypoint+Cmd, ExposedPorts, Volumes and StopSignal" {
    import_image "$IMAGES/user-meta"
    run --separate-stderr pc image inspect user-meta:latest
    assert_status 0
    # shellcheck disable=SC2016  # $FOO is the image's
    printf '%s' "$output" | "$PYTHON" -c '
import json, sys
i = json.load(sys.stdin)
a = i["app"]
assert a["exec"] == ["/bin/sh", "-c", "id -u; id -g; pwd; echo $FOO"], a["exec"]
assert str(a["user"]) == "1234" and str(a["group"]) == "2345", (a["user"], a["group"])
assert a["workingDirectory"] == "/work", a
env = {e["name"]: e["value"] for e in a["environment"]}
assert env.get("FOO") == "bar", env
ports = sorted((p["protocol"], p["port"]) for p in a["ports"])
assert ports == [("tcp", 8080), ("udp", 53)], a["ports"]
assert [m["path"] for m in a["mountPoints"]] == ["/data"], a["mountPoints"]
# podinit.io/stop-signal: an appc annotation list or a map, wherever it is put.
def find(o):
    if isinstance(o, dict):
        if o.get("name") == "podinit.io/stop-signal":
            yield o.get("value")
        if "podinit.io/stop-signal" in o:
            yield o["podinit.io/stop-signal"]
        for v in o.values():
            yield from find(v)
    elif isinstance(o, list):
        for v in o:
            yield from find(v)
sig = [s for s in find(i) if s]
assert sig and all("USR1" in s for s in sig), sig
' || { _dump_run; fail "bad config mapping"; }
}

# ------------------------------------------------------------------ run

@test "run: an OCI image with overlay: its own exec; writes land in upper/, never in the store" {
    import_image "$IMAGES/busybox-oci"
    local before
    before=$(trees_sum)
    # shellcheck disable=SC2016  # $IMAGE is the app's
    img_run overlay busybox-oci:latest --exec=/bin/sh -- -c \
        'echo written >/tmp/written; echo changed >>/etc/passwd; rm /bin/ls; echo IMAGE=$IMAGE; pwd'
    assert_ran $'IMAGE=busybox-oci\n/'
    only_pod
    local a
    a=$(app_dir)
    [ -f "$a/upper/tmp/written" ] || fail "the written file is not in upper/"
    assert_eq "$(cat "$a/upper/tmp/written")" written "the written file"
    tail -n 1 "$a/upper/etc/passwd" | grep -qx changed || fail "the changed /etc/passwd is not in upper/"
    local d
    for d in upper work layers manifest rootfs; do
        [ -e "$a/$d" ] || fail "no $d in the app's directory $a"
    done
    [ -z "$(find "$D/images/trees" -name written)" ] || fail "the app's file is in a store tree"
    assert_eq "$(trees_sum)" "$before" "the store's trees"
    # The next pod sees the image, not the last one's changes.
    img_run overlay busybox-oci:latest --exec=/bin/sh -- -c 'tail -n 1 /etc/passwd; test -e /bin/ls && echo ls'
    assert_ran $'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\nls'
    img_run overlay busybox-oci:latest
    assert_ran "hello from busybox-oci"
}

@test "app add: a store image in a running mutable pod runs on its overlay; rm unmounts it; the image is locked meanwhile" {
    import_image "$IMAGES/busybox-oci"
    UUID=$(pc app sandbox -d) || fail "app sandbox -d failed"
    POD=$D/pods/run/$UUID
    run pc app add "$UUID" busybox-oci:latest --name=web --exec=/probe -- sleep 60
    assert_status 0
    [ -f "$POD/stage1/rootfs/opt/stage2/web/layers" ] || fail "the added app has no layers file"
    run pc app start "$UUID" --app=web
    assert_status 0
    wait_until 5 app_is "$UUID" 0 state ready || fail "web did not start"
    run pc exec --app=web "$UUID" -- /bin/sh -c 'echo hi >/tmp/x; cat /tmp/x'
    assert_status 0
    assert_output_contains hi
    [ -f "$POD/stage1/rootfs/opt/stage2/web/upper/tmp/x" ] || fail "the app's write is not in its upper dir"
    run pc image rm busybox-oci:latest
    assert_failure
    assert_output_contains "used by a pod that is running"
    local pid1
    pid1=$(pod_pid1)
    grep -q " /opt/stage2/web/rootfs .* - overlay " "/proc/$pid1/mountinfo" || fail "no overlay on the app's root in PID 1's mounts"
    run pc app rm "$UUID" --app=web
    assert_status 0
    ! grep -q " /opt/stage2/web/rootfs " "/proc/$pid1/mountinfo" || fail "the app's overlay is still mounted after rm"
    # The name is free again, and the new app gets a fresh upper dir.
    run pc app add "$UUID" busybox-oci:latest --name=web --exec=/bin/sh -- -c 'test ! -e /tmp/x && echo fresh'
    assert_status 0
    run pc app start "$UUID" --app=web
    assert_status 0
    wait_until 5 app_is "$UUID" 0 state exited || fail "the second web did not run"
    assert_eq "$(pod_field "$UUID" apps.0.exitCode)" 0 "the second web saw a fresh root"
    run pc stop "$UUID"
    assert_status 0
    run pc image rm busybox-oci:latest
    assert_status 0
}

@test "run: --no-overlay copies the image into the app's rootfs" {
    import_image "$IMAGES/busybox-oci"
    local before
    before=$(trees_sum)
    img_run copy busybox-oci:latest --exec=/bin/sh -- -c \
        'echo written >/tmp/written; echo changed >>/etc/passwd; echo copied'
    assert_ran copied
    only_pod
    local a
    a=$(app_dir)
    [ -f "$a/rootfs/bin/busybox" ] && [ ! -L "$a/rootfs/bin/busybox" ] ||
        fail "no regular file rootfs/bin/busybox in $a"
    assert_eq "$(stat -c %h "$a/rootfs/bin/busybox")" 1 "links of the copied busybox"
    assert_eq "$(cat "$a/rootfs/tmp/written")" written "the written file in rootfs/"
    [ -z "$(find "$D/images/trees" -name written)" ] || fail "the app's file is in a store tree"
    assert_eq "$(trees_sum)" "$before" "the store's trees"
}

@test "run: a path is imported first (OCI dir, OCI tar, docker archive, ACI file); an ACI dir is not" {
    img_run overlay "$IMAGES/busybox-oci"
    assert_ran "hello from busybox-oci"
    assert_eq "$(image_count)" 1 "images after running an OCI layout"
    img_run copy "$IMAGES/busybox-oci.tar" --exec=/bin/echo -- tar
    assert_ran tar
    img_run overlay "$IMAGES/busybox-docker.tar" --exec=/bin/echo -- docker
    assert_ran docker
    img_run overlay "$IMAGES/busybox.aci" --exec=/probe -- print aci-file
    assert_ran aci-file
    img_py "assert sorted(i['kind'] for i in imgs) == ['aci', 'docker', 'oci', 'oci'] or sorted(i['kind'] for i in imgs) == ['aci', 'docker', 'oci'], [i['kind'] for i in imgs]"
    local n
    n=$(image_count)
    img_run overlay "$IMG" --exec=/probe -- print aci-dir
    assert_ran aci-dir
    assert_eq "$(image_count)" "$n" "images after running an ACI directory"
}

@test "run: an ACI directory on a fresh state dir leaves no store behind" {
    img_run overlay "$IMG" --exec=/probe -- print hi
    assert_ran hi
    [ -z "$(ls -A "$D/images/images" 2>/dev/null)" ] || fail "an ACI directory was imported"
}

@test "run: an unknown image name fails before any pod exists" {
    run pc run no-such-image:v9 --name=web --exec=/bin/true
    assert_failure
    assert_output_contains "no-such-image:v9"
    assert_no_pod_dirs
}

@test "run: User, WorkingDir, Env and Entrypoint+Cmd of an OCI config" {
    img_run overlay "$IMAGES/user-oci"
    assert_ran $'1234\n2345\n/work\nbar'
    img_run copy user-oci:latest
    assert_ran $'1234\n2345\n/work\nbar'
}

@test "run: User as uid, uid:gid and name:group, from the image's /etc/passwd and /etc/group" {
    img_run overlay "$IMAGES/user-uid"
    assert_ran $'1234\n2345\n/work\nbar'
    img_run overlay "$IMAGES/user-uidgid"
    assert_ran $'1234\n100\n/work\nbar'
    img_run overlay "$IMAGES/user-namegroup"
    assert_ran $'1234\n100\n/work\nbar'
}

@test "run: --user and --group by name for a store image on overlay, in podctl's check and in PID 1" {
    # The names are in the image's /etc/passwd and /etc/group, which exist only in the store's
    # trees until PID 1 mounts the overlay: both lookups must read them there, not the empty root.
    import_image "$IMG" --name=named
    run pc run named --user=app --group=app --exec=/probe -- id
    assert_status 0
    assert_output_contains "uid=1000 gid=1000"
    run pc run named --user=nobody-here --exec=/probe -- id
    assert_failure
    assert_output_contains '"nobody-here" user not found'
}

@test "whiteouts (mkoci): .wh. files and opaque dirs hide lower layers, with overlay and --no-overlay" {
    import_image "$FIX/wh" --name=wh:v1
    img_run overlay wh:v1 --exec=/bin/sh -- -c "$WH_CHECK"
    assert_ran "$WH_EXPECT"
    img_run copy wh:v1 --exec=/bin/sh -- -c "$WH_CHECK"
    assert_ran "$WH_EXPECT"
    # The --no-overlay pod's copy (the overlay pod's rootfs is empty on the
    # host): no whiteout files, no whiteout devices.
    local a left
    for a in "$D"/pods/run/*/stage1/rootfs/opt/stage2/web/rootfs; do
        [ -d "$a/etc" ] || continue
        left=$(find "$a" -path "$a/dev" -prune -o \( -name '.wh.*' -o -type c \) -print)
        [ -z "$left" ] || fail "whiteouts in the --no-overlay copy:" "$left"
    done
}

@test "whiteouts (umoci repack: .wh. files), with overlay and --no-overlay" {
    import_image "$IMAGES/wh-oci"
    img_run overlay wh-oci:latest
    assert_ran $'new\nend'
    img_run copy wh-oci:latest
    assert_ran $'new\nend'
}

@test "150 layers run, with overlay and with --no-overlay" {
    import_image "$FIX/tiny150" --name=tiny:v1
    img_py "assert byid['$ID']['layers'] == 150, byid['$ID']['layers']"
    img_run overlay tiny:v1 --exec=/bin/sh -- -c 'cat /top; ls /layers | wc -l; cat /layers/1 /layers/149'
    assert_ran $'149\n149\n1\n149'
    img_run copy tiny:v1 --exec=/bin/sh -- -c 'cat /top; ls /layers | wc -l'
    assert_ran $'149\n149'
}

# ------------------------------------------------------------------ rm, gc, locks

@test "image rm: by name or id; the image, its name and its record go" {
    import_image "$IMAGES/busybox-oci"
    local oci=$ID
    import_image "$FIX/zstd" --name=zstd:v1
    local zstd=$ID
    run pc image rm busybox-oci:latest
    assert_status 0
    assert_eq "$(image_count)" 1 "images after rm"
    run pc image inspect busybox-oci:latest
    assert_failure
    [ ! -e "$D/images/images/${oci#sha256:}.json" ] || fail "images/<hex>.json left"
    assert_eq "$(entries "$D/images/refs")" 1 "entries in refs/"
    run pc image rm busybox-oci:latest
    assert_status 1
    run pc image rm "$(h12 "$zstd")"
    assert_status 0
    assert_eq "$(image_count)" 0 "images"
    assert_eq "$(entries "$D/images/refs")" 0 "entries in refs/"
}

@test "image gc: removes unreferenced blobs and trees and stale tmp dirs, keeps what an image uses" {
    import_image "$IMAGES/busybox-oci"
    import_image "$IMAGES/busybox-docker.tar" --name=dock:v1
    local blobs before
    blobs=$(find "$D/images/blobs" -type f | wc -l)
    mkdir -p "$D/images/tmp/stale-import.1234/x"
    touch -d '2 days ago' "$D/images/tmp/stale-import.1234/x" "$D/images/tmp/stale-import.1234"
    run pc image rm busybox-oci:latest
    assert_status 0
    run pc image gc
    assert_status 0
    assert_tmp_empty
    assert_lt "$(find "$D/images/blobs" -type f | wc -l)" "$blobs" "blobs after gc"
    before=$(trees_sum)
    img_run overlay dock:v1 --exec=/bin/echo -- still here
    assert_ran "still here"
    run pc image gc
    assert_status 0
    assert_eq "$(trees_sum)" "$before" "trees after a gc with nothing to do"
    run pc image rm dock:v1
    assert_status 0
    run pc image gc
    assert_status 0
    assert_eq "$(find "$D/images/blobs" "$D/images/trees" -mindepth 1 -not -type d | wc -l)" 0 \
        "files left in blobs/ and trees/ with no image"
    assert_eq "$(find "$D/images/trees" -mindepth 1 -maxdepth 1 | wc -l)" 0 "trees left"
}

@test "image rm: refused while a running pod uses the image, done once it is stopped" {
    import_image "$IMAGES/busybox-oci"
    run_detached busybox-oci:latest --name=web --exec=/probe -- sleep 60
    run pc image rm busybox-oci:latest
    assert_status 1
    assert_output_matches_any 'running pod' 'used by a pod that is running'
    assert_eq "$(image_count)" 1 "images"
    run pc image gc
    assert_status 0
    is_ready || fail "the pod is not ready after image gc"
    pc exec --app=web "$UUID" -- /bin/sh -c 'test -x /bin/busybox' || fail "the app lost its image after image gc"
    run pc stop "$UUID"
    assert_status 0
    run pc image rm busybox-oci:latest
    assert_status 0
    assert_eq "$(image_count)" 0 "images"
}

@test "podctl gc removes a pod's upper dir, not the image" {
    import_image "$IMAGES/busybox-oci"
    local before
    before=$(trees_sum)
    img_run overlay busybox-oci:latest --exec=/bin/sh -- -c 'echo x >/tmp/written'
    assert_ran ""
    only_pod
    [ -f "$(app_dir)/upper/tmp/written" ] || fail "no upper/tmp/written"
    run pc gc
    assert_status 0
    assert_line "removed $UUID"
    [ ! -e "$POD" ] || fail "the pod dir (and its upper/) is still there"
    assert_eq "$(image_count)" 1 "images"
    assert_eq "$(trees_sum)" "$before" "the store's trees"
    img_run overlay busybox-oci:latest
    assert_ran "hello from busybox-oci"
}

# ------------------------------------------------------------------ bad input

@test "bad input: no index.json" {
    seed_store
    import_fails "$FIX/bad-missing-index" index.json
}

@test "bad input: index.json is not JSON" {
    seed_store
    import_fails "$FIX/bad-bad-index-json" index.json
}

@test "bad input: the manifest blob is missing" {
    seed_store
    import_fails "$FIX/bad-missing-manifest" "$(h12 "$(fixj bad-missing-manifest removed)")"
}

@test "bad input: the config blob is missing" {
    seed_store
    import_fails "$FIX/bad-missing-config" "$(h12 "$(fixj bad-missing-config removed)")"
}

@test "bad input: a layer blob is missing" {
    seed_store
    import_fails "$FIX/bad-missing-layer" "$(h12 "$(fixj bad-missing-layer removed)")"
}

@test "bad input: an unknown layer media type is named" {
    seed_store
    import_fails "$FIX/bad-unknown-media-type" "application/vnd.example.layer.v1.tar+lz4"
}

@test "bad input: a blob that does not match its digest is named" {
    seed_store
    import_fails "$FIX/bad-digest-mismatch" "$(h12 "$(fixj bad-digest-mismatch mismatched)")"
}

@test "bad input: a layer whose size is not the descriptor's" {
    seed_store
    import_fails "$FIX/bad-size-mismatch" "$(h12 "$(fixj bad-size-mismatch manifests.0.layers.-1.digest)")"
}

@test "bad input: a truncated gzip layer" {
    seed_store
    import_fails "$FIX/bad-truncate-layer" "$(h12 "$(fixj bad-truncate-layer manifests.0.layers.-1.digest)")"
}

@test "bad input: a manifest or a config that is not JSON" {
    seed_store
    import_fails "$FIX/bad-bad-manifest-json" "$(h12 "$(fixj bad-bad-manifest-json manifests.0.digest)")"
    import_fails "$FIX/bad-bad-config-json" "$(h12 "$(fixj bad-bad-config-json manifests.0.config)")"
}

@test "bad input: a --platform the index does not have; the message lists what it has" {
    seed_store
    import_fails "$FIX/multi" linux/amd64 --platform=linux/s390x
    assert_output_contains "linux/arm64"
    assert_output_contains "linux/s390x"
}

@test "bad input: a docker archive whose manifest.json names a missing layer" {
    seed_store
    import_fails "$FIX/dock-missing-layer.tar" "$(fixj dock-missing-layer layers.-1)"
}

@test "bad input: an empty file and a random binary file" {
    seed_store
    import_fails "$FIX/empty-file" empty-file
    import_fails "$FIX/random.bin" random.bin
}

@test "bad input: podctl run of a broken image leaves no pod and no image" {
    seed_store
    local before
    before=$(store_state)
    run pc run "$FIX/bad-digest-mismatch" --name=web --exec=/bin/true
    assert_failure
    assert_output_contains "$(h12 "$(fixj bad-digest-mismatch mismatched)")"
    assert_no_pod_dirs
    assert_store_unchanged "$before"
}

# ------------------------------------------------------------------ limits

@test "--max-entries: more entries than allowed is refused, naming the limit" {
    seed_store
    import_fails "$IMAGES/busybox-oci" max-entries --max-entries=50
    import_fails "$FIX/manyfiles" max-entries --max-entries=1000
    import_image "$FIX/manyfiles" --max-entries=100000 --name=many:v1
}

@test "--max-size: more bytes than allowed is refused, naming the limit (also from a tiny gzip bomb)" {
    seed_store
    import_fails "$IMAGES/busybox-oci" max-size --max-size=100000
    import_fails "$FIX/bomb" max-size --max-size=16000000
    import_image "$FIX/bomb" --max-size=64000000 --name=bomb:v1
}

# ------------------------------------------------------------------ hostile

# hostile_refused KIND FILE ENTRY-ERE: fixture hostile-KIND is refused with a
# message naming its layer (blob digest) or the entry (matching ENTRY-ERE),
# the store is as it was, and FILE (on the host) was not created.
hostile_refused() {
    local kind=$1 target=$2 entry=$3 before
    rm -f -- "$target"
    seed_store
    before=$(store_state)
    run pc image import "$FIX/hostile-$kind"
    assert_status 1 || return 1
    assert_output_matches_any "$(h12 "$(fixj "hostile-$kind" manifests.0.layers.-1.digest)")" "$entry" || return 1
    assert_store_unchanged "$before" || return 1
    [ ! -e "$target" ] || fail "$target was created on the host"
}

@test "hostile layer: an entry with .." {
    hostile_refused dotdot /tmp/podinit-evil-oci-dotdot 'podinit-evil-oci-dotdot'
}

@test "hostile layer: an absolute entry" {
    hostile_refused absolute /tmp/podinit-evil-oci-abs 'podinit-evil-oci-abs'
}

@test "hostile layer: a hard link to a file outside" {
    local sum
    sum=$(sha256sum /etc/passwd)
    hostile_refused hardlink-escape /tmp/podinit-evil-oci-none '(^|[^[:alnum:]])hl([^[:alnum:]-]|$)|etc/passwd'
    assert_eq "$(sha256sum /etc/passwd)" "$sum" "the host's /etc/passwd"
}

@test "hostile layer: a file written through a symlink to a relative path outside" {
    hostile_refused symlink-escape /tmp/podinit-evil-oci-link 'escape(/podinit-evil-oci-link)?([^[:alnum:]-]|$)'
}

@test "hostile layer: a file written through a symlink to an absolute path" {
    hostile_refused symlink-absolute /tmp/podinit-evil-oci-abslink 'escape-abs'
}

@test "hostile layer: a device node is skipped, the rest imports" {
    import_image "$FIX/hostile-chardev" --name=dev:v1
    [ -z "$(find "$D/images/trees" -name hostdev)" ] || fail "the device node is in a tree"
    [ -n "$(find "$D/images/trees" -path '*/devdir/ok')" ] || fail "devdir/ok is not in a tree"
    img_run copy dev:v1 --exec=/bin/sh -- -c '[ -e /hostdev ] && echo hostdev is there; cat /devdir/ok'
    assert_ran fine
}

@test "hostile ACIs (.., absolute, symlink and hard link escapes) are refused, the store unchanged" {
    seed_store
    local k before
    before=$(store_state)
    rm -f /tmp/podinit-evil-abs /tmp/podinit-evil-link
    for k in dotdot absolute symlink-escape hardlink-escape; do
        run pc image import "$FIX/hostile-$k.aci"
        assert_status 1
        assert_store_unchanged "$before"
    done
    [ ! -e /tmp/podinit-evil-abs ] || fail "/tmp/podinit-evil-abs was created"
    [ ! -e /tmp/podinit-evil-link ] || fail "/tmp/podinit-evil-link was created"
}

@test "hostile layer: podctl run of it leaves no pod and no image" {
    seed_store
    local before
    before=$(store_state)
    rm -f /tmp/podinit-evil-oci-link
    run pc run "$FIX/hostile-symlink-escape" --name=web --exec=/bin/true
    assert_failure
    assert_no_pod_dirs
    assert_store_unchanged "$before"
    [ ! -e /tmp/podinit-evil-oci-link ] || fail "/tmp/podinit-evil-oci-link was created"
}
