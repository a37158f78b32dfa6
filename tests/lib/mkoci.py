#!/usr/bin/env python3
"""mkoci.py -- OCI image layouts and docker archives for podinit's tests.

Real tools (umoci and skopeo, in tests/lib/mkimages.sh) make well-formed
images; this script makes the ones they cannot: layers written entry by
entry (whiteouts, hostile names, device nodes), many layers, any compression
per layer, multi-platform and nested indexes, docker media types, and broken
layouts and archives.  Standard library only; zstd layers run the zstd
program.  The output is deterministic: fixed times, numeric owners, sorted
directory walks, so the same command always gives the same digests.

usage:
  mkoci.py layout OUT [LAYERS...] [IMAGE OPTIONS] [--tar] [--nested] [--corrupt=KIND]
  mkoci.py docker-archive OUT.tar [LAYERS...] [IMAGE OPTIONS] [--repo-tag=NAME:TAG]... [--corrupt=KIND]
  mkoci.py batch < COMMANDS
  mkoci.py selftest [--keep=DIR]

`layout` writes an OCI image layout directory OUT (which must not exist or
be empty), or with --tar a tar of one.  `docker-archive` writes OUT.tar in
`docker save`'s format (manifest.json, repositories, <id>/layer.tar, the
config as <hex>.json).  Both print a JSON summary on stdout:

  layout:          {"manifests": [{"platform", "digest", "size", "config",
                    "layers": [{"digest", "size", "mediaType", "diffId"}]}],
                    "nestedIndex": DIGEST or null}
  docker-archive:  {"config": "<hex>.json", "configDigest", "repoTags",
                    "layers": ["<id>/layer.tar", ...], "diffIds": [...]}

(--summary=FILE writes it to FILE instead.)  `batch` reads layout and
docker-archive commands from stdin, each ended by a newline or ";" outside
quotes, words quoted as for the POSIX shell (no $'...', no comments), each
usually with --summary: one process for many images, and a --layer-dir tree
or a compressed blob used twice is made once.

LAYERS, bottom first, in the order given (each option may repeat):
  --layer-dir=DIR     a layer holding the tree under DIR (names relative,
                      e.g. "bin/sh"; --dot-slash makes them "./bin/sh")
  --layer=OPS         a layer written entry by entry: operations separated
                      by ";", words split as by the shell (quote to keep
                      spaces or ";").  Names are written VERBATIM (no
                      normalisation, no implied parent directories): that is
                      how hostile layers are made.
        file PATH [CONTENT [MODE]]   regular file; CONTENT gets a newline
        dir PATH [MODE]              directory (default mode 0755)
        symlink PATH TARGET
        hardlink PATH TARGET         hard link to TARGET (a name in the tar)
        whiteout PATH                the entry DIR/.wh.NAME hiding PATH
        opaque DIR                   the entry DIR/.wh..wh..opq
        chardev PATH MAJOR MINOR     (also blockdev)
        fifo PATH
        zeros PATH SIZE              a file of SIZE zero bytes (K, M, G suffixes)
        files DIR N                  N empty files DIR/f00000 ... (no DIR entry)
        owner UID:GID                owner of the following entries (default 0:0)
  --tiny-layers=N     N small layers; layer i (1..N) adds layers/i holding "i"
                      and rewrites /top to "i"
  --hostile=KIND      one hostile layer (the files it aims at are listed):
        dotdot           file ../../../../../../../../tmp/podinit-evil-oci-dotdot
        absolute         file /tmp/podinit-evil-oci-abs
        hardlink-escape  hard link hl -> ../../../../../../../../etc/passwd
        symlink-escape   symlink escape -> ../../../../../../../../tmp, then
                         file escape/podinit-evil-oci-link through it
        symlink-absolute symlink escape-abs -> /tmp, then file
                         escape-abs/podinit-evil-oci-abslink through it
        chardev          a character device hostdev (1:3), beside a file
                         devdir/ok; an importer skips the device

IMAGE OPTIONS:
  --compress=C[,C...]  none, gzip or zstd, per layer bottom first (the last
                       one repeats); default gzip (layout), none (docker-archive)
  --config-json=JSON   merged into the config's "config" object (Entrypoint,
                       Cmd, Env, User, WorkingDir, ExposedPorts, Volumes,
                       StopSignal, Labels, ...); default Env=[PATH=...]
  --created=TIME       the config's "created" (default 2024-01-02T03:04:05Z)
  --platform=OS/ARCH[/VARIANT]  repeatable: one image per platform (default
                       linux/amd64).  With more than one, each image gets an
                       extra top layer with the file /platform holding its
                       platform string.
  --ref=NAME           the index entries' org.opencontainers.image.ref.name
                       (default latest); --no-ref: none
  --annotation=K=V     an annotation of the image manifest (repeatable)
  --media-types=oci|docker  OCI's media types (default) or docker schema 2's
  --nested             index.json has one entry, an image index, which lists
                       the manifests
  --dot-slash          --layer-dir names start with "./"
  --unterminated       every layer tar ends right after its last member's
                       data: no zero padding, no end-of-archive blocks, as
                       `umoci insert` wrote them up to umoci 0.4.7 (umoci
                       issue 436; GNU tar says "Unexpected EOF", Go and
                       libarchive read them); diff_ids are of these bytes

--corrupt=KIND breaks the image (the first platform's, its top layer):
  layout:  missing-index bad-index-json missing-oci-layout missing-manifest
           bad-manifest-json missing-config bad-config-json missing-layer
           unknown-media-type digest-mismatch size-mismatch truncate-layer
           (truncate-layer cuts the layer blob in half and describes the cut
           blob with its own digest and size, so only decompression fails;
           digest-mismatch changes one byte of the blob, keeping its name)
  docker-archive: missing-layer missing-config bad-manifest-json
           missing-manifest-json

`selftest` builds each kind of image into a temporary directory and checks it
with umoci and skopeo (Debian packages umoci and skopeo): good images must
unpack to the expected trees, broken ones must be refused.
"""

import argparse
import functools
import gzip
import hashlib
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib

MTIME = 1704164645          # 2024-01-02T03:04:05Z: every entry's time
CREATED = "2024-01-02T03:04:05Z"
DEFAULT_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
REF_ANNOTATION = "org.opencontainers.image.ref.name"
UNKNOWN_MEDIA_TYPE = "application/vnd.example.layer.v1.tar+lz4"

MEDIA = {
    "oci": {
        "index": "application/vnd.oci.image.index.v1+json",
        "manifest": "application/vnd.oci.image.manifest.v1+json",
        "config": "application/vnd.oci.image.config.v1+json",
        "none": "application/vnd.oci.image.layer.v1.tar",
        "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
        "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    },
    "docker": {
        "index": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifest": "application/vnd.docker.distribution.manifest.v2+json",
        "config": "application/vnd.docker.container.image.v1+json",
        "gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    },
}

LAYOUT_CORRUPTIONS = (
    "missing-index", "bad-index-json", "missing-oci-layout", "missing-manifest",
    "bad-manifest-json", "missing-config", "bad-config-json", "missing-layer",
    "unknown-media-type", "digest-mismatch", "size-mismatch", "truncate-layer")
ARCHIVE_CORRUPTIONS = ("missing-layer", "missing-config", "bad-manifest-json", "missing-manifest-json")

EVIL = "../../../../../../../.."
HOSTILE = {
    "dotdot": f"dir ok; file ok/file fine; file {EVIL}/tmp/podinit-evil-oci-dotdot escaped",
    "absolute": "dir ok; file ok/file fine; file /tmp/podinit-evil-oci-abs escaped",
    "hardlink-escape": f"file hl-src source; hardlink hl {EVIL}/etc/passwd",
    "symlink-escape": f"symlink escape {EVIL}/tmp; file escape/podinit-evil-oci-link escaped",
    "symlink-absolute": "symlink escape-abs /tmp; file escape-abs/podinit-evil-oci-abslink escaped",
    "chardev": "dir devdir; file devdir/ok fine; chardev hostdev 1 3",
}


class UsageError(Exception):
    pass


def die(msg):
    print(f"mkoci.py: {msg}", file=sys.stderr)
    sys.exit(1)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def jbytes(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


# ------------------------------------------------------------------ layers

def tarinfo(name, kind=tarfile.REGTYPE, mode=0o644, size=0, link="", owner=(0, 0)):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.size = size
    ti.linkname = link
    ti.uid, ti.gid = owner
    ti.uname = ti.gname = ""
    ti.mtime = MTIME
    return ti


def new_tar():
    buf = io.BytesIO()
    # PAX keeps names longer than 100 bytes and large ids; it never rewrites a name.
    return buf, tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)


@functools.lru_cache(maxsize=None)
def layer_from_dir(root, dot_slash=False):
    if not os.path.isdir(root):
        raise UsageError(f"--layer-dir: {root}: not a directory")
    buf, tf = new_tar()
    with tf:
        def walk(rel):
            for name in sorted(os.listdir(os.path.join(root, rel) if rel else root)):
                r = f"{rel}/{name}" if rel else name
                path = os.path.join(root, r)
                ti = tf.gettarinfo(path, arcname=("./" + r) if dot_slash else r)
                if ti is None:              # a socket: tar has no type for it
                    continue
                ti.uname = ti.gname = ""
                ti.mtime = MTIME
                if ti.isreg():
                    with open(path, "rb") as f:
                        tf.addfile(ti, f)
                else:
                    tf.addfile(ti)
                if ti.isdir():
                    walk(r)
        walk("")
    return buf.getvalue()


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    try:
        if s and s[-1].upper() in mult:
            return int(s[:-1]) * mult[s[-1].upper()]
        return int(s)
    except ValueError:
        raise UsageError(f"bad size: {s}") from None


def split_ops(text):
    lex = shlex.shlex(text, posix=True, punctuation_chars=";")
    lex.whitespace_split = True
    lex.commenters = ""
    ops, cur = [], []
    for tok in lex:
        if tok == ";":
            if cur:
                ops.append(cur)
            cur = []
        else:
            cur.append(tok)
    if cur:
        ops.append(cur)
    return ops


def layer_from_ops(text):
    buf, tf = new_tar()
    owner = (0, 0)

    def need(op, lo, hi):
        if not lo <= len(op) - 1 <= hi:
            raise UsageError(f"--layer: {' '.join(op)}: expected {lo}..{hi} arguments")

    with tf:
        for op in split_ops(text):
            verb, args = op[0], op[1:]
            if verb == "file":
                need(op, 1, 3)
                data = (args[1] + "\n").encode() if len(args) > 1 else b""
                mode = int(args[2], 8) if len(args) > 2 else 0o644
                tf.addfile(tarinfo(args[0], mode=mode, size=len(data), owner=owner), io.BytesIO(data))
            elif verb == "dir":
                need(op, 1, 2)
                mode = int(args[1], 8) if len(args) > 1 else 0o755
                tf.addfile(tarinfo(args[0], tarfile.DIRTYPE, mode=mode, owner=owner))
            elif verb == "symlink":
                need(op, 2, 2)
                tf.addfile(tarinfo(args[0], tarfile.SYMTYPE, mode=0o777, link=args[1], owner=owner))
            elif verb == "hardlink":
                need(op, 2, 2)
                tf.addfile(tarinfo(args[0], tarfile.LNKTYPE, link=args[1], owner=owner))
            elif verb == "whiteout":
                need(op, 1, 1)
                d, _, base = args[0].rstrip("/").rpartition("/")
                tf.addfile(tarinfo(f"{d}/.wh.{base}" if d else f".wh.{base}", owner=owner),
                           io.BytesIO(b""))
            elif verb == "opaque":
                need(op, 1, 1)
                tf.addfile(tarinfo(args[0].rstrip("/") + "/.wh..wh..opq", owner=owner), io.BytesIO(b""))
            elif verb in ("chardev", "blockdev"):
                need(op, 3, 3)
                ti = tarinfo(args[0], tarfile.CHRTYPE if verb == "chardev" else tarfile.BLKTYPE,
                             mode=0o666, owner=owner)
                ti.devmajor, ti.devminor = int(args[1]), int(args[2])
                tf.addfile(ti)
            elif verb == "fifo":
                need(op, 1, 1)
                tf.addfile(tarinfo(args[0], tarfile.FIFOTYPE, owner=owner))
            elif verb == "zeros":
                need(op, 2, 2)
                n = parse_size(args[1])
                tf.addfile(tarinfo(args[0], size=n, owner=owner), ZeroReader(n))
            elif verb == "files":
                need(op, 2, 2)
                for i in range(int(args[1])):
                    tf.addfile(tarinfo(f"{args[0].rstrip('/')}/f{i:05d}", owner=owner), io.BytesIO(b""))
            elif verb == "owner":
                need(op, 1, 1)
                u, _, g = args[0].partition(":")
                owner = (int(u), int(g or u))
            else:
                raise UsageError(f"--layer: unknown operation {verb!r} in: {text}")
    return buf.getvalue()


class ZeroReader:
    """A file object of n zero bytes, without holding them all at once."""

    def __init__(self, n):
        self.left = n

    def read(self, size=-1):
        if size < 0 or size > self.left:
            size = self.left
        self.left -= size
        return bytes(size)


def tiny_layers(n):
    return [layer_from_ops(f"dir layers; file layers/{i} {i}; file top {i}") for i in range(1, n + 1)]


_compressed = {}


def compress(data, how):
    key = (hashlib.sha256(data).digest(), how)
    if key not in _compressed:
        _compressed[key] = _compress(data, how)
    return _compressed[key]


def _compress(data, how):
    if how == "none":
        return data
    if how == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if how == "zstd":
        if shutil.which("zstd") is None:
            die("zstd layers need the zstd program: apt-get install zstd")
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, stdout=subprocess.PIPE,
                              check=True).stdout
    raise UsageError(f"--compress: unknown compression {how!r} (none, gzip, zstd)")


class LayerAction(argparse.Action):
    """Every layer option appends (kind, value) to one ordered list."""

    def __call__(self, parser, ns, value, option_string=None):
        ns.layers = (ns.layers or []) + [(self.dest, value)]


def build_layers(args):
    out = []
    for kind, value in args.layers or []:
        if kind == "layer_dir":
            out.append(layer_from_dir(value, args.dot_slash))
        elif kind == "layer":
            out.append(layer_from_ops(value))
        elif kind == "tiny_layers":
            out.extend(tiny_layers(int(value)))
        elif kind == "hostile":
            if value not in HOSTILE:
                raise UsageError(f"--hostile: unknown kind {value!r} ({', '.join(HOSTILE)})")
            out.append(layer_from_ops(HOSTILE[value]))
    if not out:
        raise UsageError("no layers: give --layer-dir, --layer, --tiny-layers or --hostile")
    if args.unterminated:
        out = [unterminate(t) for t in out]
    return out


def unterminate(raw):
    last = None
    with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
        for last in tf:
            pass
    if last is None:
        return raw
    return raw[:last.offset_data + (last.size if last.isreg() else 0)]


def compressions(args, n, default):
    cs = (args.compress or default).split(",")
    for c in cs:
        if c not in ("none", "gzip", "zstd"):
            raise UsageError(f"--compress: unknown compression {c!r} (none, gzip, zstd)")
    return [cs[min(i, len(cs) - 1)] for i in range(n)]


def parse_platform(s):
    parts = s.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"--platform: expected OS/ARCH[/VARIANT], got {s!r}")
    p = {"os": parts[0], "architecture": parts[1]}
    if len(parts) == 3:
        p["variant"] = parts[2]
    return p


def make_config(args, platform, diff_ids):
    cfg = {"Env": list(DEFAULT_ENV)}
    if args.config_json:
        try:
            extra = json.loads(args.config_json)
        except ValueError as e:
            raise UsageError(f"--config-json: not JSON: {e}") from None
        if not isinstance(extra, dict):
            raise UsageError("--config-json: expected a JSON object")
        cfg.update(extra)
    doc = {
        "created": args.created,
        "architecture": platform["architecture"],
        "os": platform["os"],
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": args.created, "created_by": "mkoci.py"} for _ in diff_ids],
    }
    if "variant" in platform:
        doc["variant"] = platform["variant"]
    return doc


# ------------------------------------------------------------------ layout

def build_layout(args):
    media = MEDIA[args.media_types]
    corrupt = args.corrupt
    if corrupt and corrupt not in LAYOUT_CORRUPTIONS:
        raise UsageError(f"--corrupt: unknown kind {corrupt!r} for a layout ({', '.join(LAYOUT_CORRUPTIONS)})")
    platforms = [parse_platform(p) for p in (args.platform or ["linux/amd64"])]
    base = build_layers(args)
    blobs = {}

    def put(data):
        d = sha256(data)
        blobs[d] = data
        return d

    summary = {"manifests": [], "nestedIndex": None}
    entries = []
    for n, plat in enumerate(platforms):
        pstr = "/".join(plat[k] for k in ("os", "architecture", "variant") if k in plat)
        raws = list(base)
        if len(platforms) > 1:
            raws.append(layer_from_ops(f"file platform {pstr}"))
        comps = compressions(args, len(raws), "gzip")
        mine = corrupt if n == 0 else None      # only the first image is broken
        layers, diff_ids = [], []
        for i, raw in enumerate(raws):
            if args.media_types == "docker" and comps[i] != "gzip":
                raise UsageError("--media-types=docker: docker schema 2 layers are gzip only")
            blob = compress(raw, comps[i])
            top = i == len(raws) - 1
            if top and mine == "truncate-layer":
                blob = blob[:len(blob) // 2]
            desc = {"mediaType": media[comps[i]], "digest": put(blob), "size": len(blob)}
            if top and mine == "unknown-media-type":
                desc["mediaType"] = UNKNOWN_MEDIA_TYPE
            if top and mine == "size-mismatch":
                desc["size"] += 1
            layers.append(desc)
            diff_ids.append(sha256(raw))
        cfg = jbytes(make_config(args, plat, diff_ids))
        if mine == "bad-config-json":
            cfg = b'{"architecture": "amd64", "config": {'
        cfg_desc = {"mediaType": media["config"], "digest": put(cfg), "size": len(cfg)}
        manifest = {"schemaVersion": 2, "mediaType": media["manifest"], "config": cfg_desc, "layers": layers}
        if args.annotation:
            manifest["annotations"] = dict(a.split("=", 1) for a in args.annotation)
        mbytes = jbytes(manifest)
        if mine == "bad-manifest-json":
            mbytes = b'{"schemaVersion": 2, "layers": ['
        entry = {"mediaType": media["manifest"], "digest": put(mbytes), "size": len(mbytes), "platform": plat}
        entries.append(entry)
        summary["manifests"].append({
            "platform": pstr, "digest": entry["digest"], "size": entry["size"], "config": cfg_desc["digest"],
            "layers": [dict(l, diffId=d) for l, d in zip(layers, diff_ids)]})
        # Removed blobs are taken out at the end: another image may share them.
        if mine == "missing-layer":
            summary["removed"] = layers[-1]["digest"]
        elif mine == "missing-config":
            summary["removed"] = cfg_desc["digest"]
        elif mine == "missing-manifest":
            summary["removed"] = entry["digest"]
        elif mine == "digest-mismatch":
            summary["mismatched"] = layers[-1]["digest"]

    ref = {} if args.no_ref else {"annotations": {REF_ANNOTATION: args.ref}}
    if args.nested:
        nested = jbytes({"schemaVersion": 2, "mediaType": media["index"], "manifests": entries})
        summary["nestedIndex"] = put(nested)
        top_entries = [dict({"mediaType": media["index"], "digest": summary["nestedIndex"],
                             "size": len(nested)}, **ref)]
    else:
        top_entries = [dict(e, **ref) for e in entries]
    index = jbytes({"schemaVersion": 2, "mediaType": MEDIA["oci"]["index"], "manifests": top_entries})

    if "removed" in summary:
        del blobs[summary["removed"]]
    if "mismatched" in summary:
        b = bytearray(blobs[summary["mismatched"]])
        b[len(b) // 2] ^= 0xff
        blobs[summary["mismatched"]] = bytes(b)

    files = {"oci-layout": jbytes({"imageLayoutVersion": "1.0.0"}), "index.json": index}
    if corrupt == "missing-index":
        del files["index.json"]
    elif corrupt == "bad-index-json":
        files["index.json"] = b'{"schemaVersion": 2, "manifests": [{"mediaType": '
    elif corrupt == "missing-oci-layout":
        del files["oci-layout"]
    for d, data in blobs.items():
        files["blobs/sha256/" + d.split(":", 1)[1]] = data
    return files, summary


def build_docker_archive(args):
    corrupt = args.corrupt
    if corrupt and corrupt not in ARCHIVE_CORRUPTIONS:
        raise UsageError(f"--corrupt: unknown kind {corrupt!r} for a docker archive ({', '.join(ARCHIVE_CORRUPTIONS)})")
    if args.platform and len(args.platform) > 1:
        raise UsageError("docker-archive: one --platform only")
    plat = parse_platform(args.platform[0] if args.platform else "linux/amd64")
    raws = build_layers(args)
    comps = compressions(args, len(raws), "none")
    files, paths, diff_ids, parent = {}, [], [], ""
    for raw, how in zip(raws, comps):
        diff = sha256(raw)
        lid = hashlib.sha256(f"{parent}\n{diff}".encode()).hexdigest()
        meta = {"id": lid, "created": args.created}
        if parent:
            meta["parent"] = parent
        files[f"{lid}/VERSION"] = b"1.0"
        files[f"{lid}/json"] = jbytes(meta)
        files[f"{lid}/layer.tar"] = compress(raw, how)
        paths.append(f"{lid}/layer.tar")
        diff_ids.append(diff)
        parent = lid
    cfg = jbytes(make_config(args, plat, diff_ids))
    cfg_name = sha256(cfg).split(":", 1)[1] + ".json"
    files[cfg_name] = cfg
    tags = args.repo_tag or []
    manifest = [{"Config": cfg_name, "RepoTags": tags or None, "Layers": paths}]
    files["manifest.json"] = jbytes(manifest)
    repos = {}
    for t in tags:
        name, _, tag = t.rpartition(":")
        if not name or "/" in tag:
            raise UsageError(f"--repo-tag: expected NAME:TAG, got {t!r}")
        repos.setdefault(name, {})[tag] = parent
    files["repositories"] = jbytes(repos)
    if corrupt == "missing-layer":
        del files[paths[-1]]
    elif corrupt == "missing-config":
        del files[cfg_name]
    elif corrupt == "bad-manifest-json":
        files["manifest.json"] = b'[{"Config": "' + cfg_name.encode() + b'", "Layers": ['
    elif corrupt == "missing-manifest-json":
        del files["manifest.json"]
    summary = {"config": cfg_name, "configDigest": sha256(cfg), "repoTags": tags,
               "layers": paths, "diffIds": diff_ids}
    return files, summary


# ------------------------------------------------------------------ output

def write_dir(out, files):
    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        die(f"{out} exists and is not an empty directory; refusing to touch it")
    for name in sorted(files):
        path = os.path.join(out, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(files[name])


def write_tar(out, files):
    tmp = f"{out}.tmp.{os.getpid()}"
    try:
        with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tf:
            dirs = set()
            for name in sorted(files):
                parts = name.split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    d = "/".join(parts[:i])
                    if d not in dirs:
                        dirs.add(d)
                        tf.addfile(tarinfo(d + "/", tarfile.DIRTYPE, mode=0o755))
                data = files[name]
                tf.addfile(tarinfo(name, size=len(data)), io.BytesIO(data))
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def add_image_options(p):
    lay = p.add_argument_group("layers (bottom first, in the order given)")
    lay.add_argument("--layer-dir", action=LayerAction, dest="layer_dir", metavar="DIR")
    lay.add_argument("--layer", action=LayerAction, dest="layer", metavar="OPS")
    lay.add_argument("--tiny-layers", action=LayerAction, dest="tiny_layers", metavar="N")
    lay.add_argument("--hostile", action=LayerAction, dest="hostile", metavar="KIND")
    p.add_argument("--compress", metavar="C[,C...]")
    p.add_argument("--config-json", metavar="JSON")
    p.add_argument("--created", default=CREATED)
    p.add_argument("--platform", action="append", metavar="OS/ARCH[/VARIANT]")
    p.add_argument("--dot-slash", action="store_true")
    p.add_argument("--unterminated", action="store_true")
    p.add_argument("--corrupt", metavar="KIND")
    p.add_argument("--summary", metavar="FILE")
    p.set_defaults(layers=[])


def main(argv):
    ap = argparse.ArgumentParser(prog="mkoci.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="verb", required=True)
    lp = sub.add_parser("layout", allow_abbrev=False, help="an OCI image layout (directory, or tar with --tar)")
    lp.add_argument("out")
    add_image_options(lp)
    lp.add_argument("--tar", action="store_true")
    lp.add_argument("--nested", action="store_true")
    lp.add_argument("--ref", default="latest")
    lp.add_argument("--no-ref", action="store_true")
    lp.add_argument("--annotation", action="append", metavar="K=V")
    lp.add_argument("--media-types", choices=("oci", "docker"), default="oci")
    dp = sub.add_parser("docker-archive", allow_abbrev=False, help="a docker save archive")
    dp.add_argument("out")
    add_image_options(dp)
    dp.add_argument("--repo-tag", action="append", metavar="NAME:TAG")
    sub.add_parser("batch", help="layout and docker-archive commands from stdin, one process")
    sp = sub.add_parser("selftest", help="build every kind and check it with umoci and skopeo")
    sp.add_argument("--keep", metavar="DIR")
    args = ap.parse_args(argv)
    try:
        if args.verb == "selftest":
            return selftest(args.keep)
        if args.verb == "batch":
            return batch(sys.stdin)
        if args.verb == "layout":
            files, summary = build_layout(args)
            (write_tar if args.tar else write_dir)(args.out, files)
        else:
            files, summary = build_docker_archive(args)
            write_tar(args.out, files)
    except UsageError as e:
        print(f"mkoci.py: {e}", file=sys.stderr)
        return 2
    text = json.dumps(summary, indent=1, sort_keys=True) + "\n"
    if args.summary:
        with open(args.summary, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def batch(stream):
    lex = shlex.shlex(stream.read(), posix=True, punctuation_chars=";\n")
    lex.whitespace_split = True
    lex.whitespace = " \t\r"
    lex.commenters = ""
    commands, cur = [], []
    for tok in lex:
        if tok and set(tok) <= {";", "\n"}:   # separators (quoted newlines stay in their word)
            if cur:
                commands.append(cur)
            cur = []
        else:
            cur.append(tok)
    if cur:
        commands.append(cur)
    for n, argv in enumerate(commands, 1):
        if argv[0] not in ("layout", "docker-archive"):
            raise UsageError(f"batch command {n}: expected layout or docker-archive, got {argv[0]!r}")
        try:
            rc = main(argv)
        except SystemExit as e:         # argparse's usage errors, die()
            rc = e.code
        if rc:
            print(f"mkoci.py: batch command {n} failed: {shlex.join(argv)}", file=sys.stderr)
            return rc
    return 0


# ------------------------------------------------------------------ selftest

def check_layout(what, out, failures):
    """Read a layout back as an importer would: every index entry, manifest,
    config and layer, checking digests, sizes, media types and diff_ids."""
    def blob(desc):
        with open(os.path.join(out, "blobs", *desc["digest"].split(":")), "rb") as f:
            data = f.read()
        if sha256(data) != desc["digest"] or len(data) != desc["size"]:
            raise ValueError(f"blob {desc['digest']}: digest or size does not match")
        return data

    def image(desc, platform):
        m = json.loads(blob(desc))
        cfg = json.loads(blob(m["config"]))
        if platform and (cfg["os"], cfg["architecture"], cfg.get("variant")) != (
                platform["os"], platform["architecture"], platform.get("variant")):
            raise ValueError(f"config platform {cfg['architecture']} under index platform {platform}")
        diff_ids = []
        for l in m["layers"]:
            data = blob(l)
            if l["mediaType"].endswith("gzip"):
                data = gzip.decompress(data)
            elif l["mediaType"].endswith("zstd"):
                data = subprocess.run(["zstd", "-q", "-d", "-c"], input=data, stdout=subprocess.PIPE,
                                      check=True).stdout
            tarfile.open(fileobj=io.BytesIO(data)).getmembers()
            diff_ids.append(sha256(data))
        if diff_ids != cfg["rootfs"]["diff_ids"]:
            raise ValueError("diff_ids do not match the layers")

    def walk(idx, depth):
        for e in idx["manifests"]:
            if e["mediaType"] in (MEDIA["oci"]["index"], MEDIA["docker"]["index"]):
                walk(json.loads(blob(e)), depth + 1)
            else:
                image(e, e.get("platform"))
    try:
        with open(os.path.join(out, "oci-layout"), "rb") as f:
            if json.loads(f.read()).get("imageLayoutVersion") != "1.0.0":
                raise ValueError("oci-layout: not version 1.0.0")
        with open(os.path.join(out, "index.json"), "rb") as f:
            walk(json.loads(f.read()), 0)
    except (OSError, EOFError, ValueError, KeyError, zlib.error, tarfile.TarError,
            subprocess.CalledProcessError) as e:
        failures.append(f"{what}: reading it back: {e}")
        return False
    return True


def selftest(keep):
    for tool, pkg in (("umoci", "umoci"), ("skopeo", "skopeo"), ("zstd", "zstd")):
        if shutil.which(tool) is None:
            die(f"selftest needs {tool}: apt-get install {pkg}")
    work = keep or tempfile.mkdtemp(prefix="mkoci-selftest.")
    os.makedirs(work, exist_ok=True)
    failures = []
    me = os.path.abspath(__file__)

    def mk(*a, ok=True):
        r = subprocess.run([sys.executable, me, *a], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if (r.returncode == 0) != ok:
            failures.append(f"mkoci.py {' '.join(a)}: exit {r.returncode}: {r.stderr.strip()}")
            return None
        return json.loads(r.stdout) if ok else None

    def tool(*a):
        r = subprocess.run(a, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return r.returncode, r.stdout

    def expect_ok(what, *a):
        rc, out = tool(*a)
        if rc != 0:
            failures.append(f"{what}: {' '.join(a)} failed: {out.strip()}")
        return rc == 0, out

    def expect_fail(what, *a):
        rc, out = tool(*a)
        if rc == 0:
            failures.append(f"{what}: {' '.join(a)} succeeded on a broken image")

    def unpack(what, layout, check):
        bundle = os.path.join(work, "bundle-" + os.path.basename(layout))
        ok, _ = expect_ok(what, "umoci", "unpack", "--image", layout + ":latest", bundle)
        if ok:
            err = check(os.path.join(bundle, "rootfs"))
            if err:
                failures.append(f"{what}: unpacked tree: {err}")

    def read(root, p):
        try:
            with open(os.path.join(root, p)) as f:
                return f.read().strip()
        except OSError:
            return None

    src = os.path.join(work, "src")
    os.makedirs(os.path.join(src, "etc"), exist_ok=True)
    os.makedirs(os.path.join(src, "d"), exist_ok=True)
    for p, c in (("etc/keep", "keep"), ("etc/gone", "gone"), ("d/old", "old"), ("hello", "hi")):
        with open(os.path.join(src, p), "w") as f:
            f.write(c + "\n")
    if not os.path.lexists(os.path.join(src, "link")):
        os.symlink("hello", os.path.join(src, "link"))
        os.link(os.path.join(src, "hello"), os.path.join(src, "hard"))
    wh = "whiteout etc/gone; opaque d; file d/new new; dir x; file x/y y"

    def whiteouts_applied(root):
        if read(root, "etc/keep") != "keep":
            return "etc/keep lost"
        if os.path.lexists(os.path.join(root, "etc/gone")):
            return "etc/gone not whited out"
        if sorted(os.listdir(os.path.join(root, "d"))) != ["new"]:
            return f"d holds {sorted(os.listdir(os.path.join(root, 'd')))}, expected [new]"
        if read(root, "link") != "hi" or os.stat(os.path.join(root, "hard")).st_nlink != 2:
            return "link or hard link wrong"
        return None

    for comp in ("gzip", "none", "zstd"):
        out = os.path.join(work, f"wh-{comp}")
        if mk("layout", out, "--layer-dir", src, "--layer", wh, f"--compress={comp}") is not None:
            expect_ok(f"layout {comp}", "umoci", "stat", "--image", out + ":latest")
            check_layout(f"layout {comp}", out, failures)
            if comp != "zstd":      # umoci 0.4.7 cannot unpack zstd layers
                unpack(f"layout {comp}", out, whiteouts_applied)

    out = os.path.join(work, "mixed")
    if mk("layout", out, "--layer-dir", src, "--dot-slash", "--layer", "file m 1", "--layer", "file m 2",
          "--compress=none,gzip") is not None:
        unpack("mixed none/gzip", out, lambda r: None if read(r, "m") == "2" and read(r, "hello") == "hi"
               else "m or hello wrong")

    out = os.path.join(work, "unterminated")
    if mk("layout", out, "--layer-dir", src, "--layer", "file m 1", "--unterminated") is not None:
        unpack("unterminated", out, lambda r: None if read(r, "m") == "1" and read(r, "hello") == "hi"
               else "m or hello wrong")
        idx = json.load(open(os.path.join(out, "index.json")))
        man = json.load(open(os.path.join(out, "blobs", *idx["manifests"][0]["digest"].split(":"))))
        top = gzip.decompress(open(os.path.join(out, "blobs", *man["layers"][-1]["digest"].split(":")),
                                   "rb").read())
        if len(top) != 512 + 2:     # one header, "1\n", nothing after
            failures.append(f"unterminated: top layer is {len(top)} bytes, expected 514")

    out = os.path.join(work, "tiny")
    if mk("layout", out, "--layer-dir", src, "--tiny-layers", "150") is not None:
        unpack("150 layers", out, lambda r: None if read(r, "top") == "150" and len(os.listdir(
            os.path.join(r, "layers"))) == 150 else f"top={read(r, 'top')}")

    for nested in ([], ["--nested"]):
        out = os.path.join(work, "multi" + "".join(nested))
        if mk("layout", out, "--layer-dir", src, "--platform=linux/amd64", "--platform=linux/arm64/v8",
              *nested) is not None:
            check_layout(f"multi{nested}", out, failures)
            if not nested:          # skopeo takes the first entry named latest, whatever its platform
                continue
            for arch, variant in (("amd64", None), ("arm64", "v8")):
                a = ["skopeo", "inspect", f"--override-arch={arch}"]
                if variant:
                    a.append(f"--override-variant={variant}")
                ok, txt = expect_ok(f"multi{nested} {arch}", *a, f"oci:{out}:latest")
                if ok and json.loads(txt)["Architecture"] != arch:
                    failures.append(f"multi{nested}: skopeo chose {json.loads(txt)['Architecture']} for {arch}")

    out = os.path.join(work, "docker-media")
    if mk("layout", out, "--layer-dir", src, "--media-types=docker", "--nested") is not None:
        check_layout("docker media types", out, failures)   # neither umoci nor skopeo reads these

    out = os.path.join(work, "layout.tar")
    if mk("layout", out, "--tar", "--layer-dir", src) is not None:
        expect_ok("layout tar", "skopeo", "inspect", f"oci-archive:{out}:latest")

    cfg = '{"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],"User":"app","WorkingDir":"/work",' \
          '"ExposedPorts":{"8080/tcp":{}},"Volumes":{"/data":{}},"StopSignal":"SIGUSR1"}'
    out = os.path.join(work, "cfg")
    if mk("layout", out, "--layer-dir", src, f"--config-json={cfg}") is not None:
        ok, txt = expect_ok("config", "skopeo", "inspect", "--config", f"oci:{out}:latest")
        if ok and json.loads(txt)["config"].get("User") != "app":
            failures.append(f"config: User lost: {txt}")

    out = os.path.join(work, "docker.tar")
    s = mk("docker-archive", out, "--layer-dir", src, "--layer", wh, "--repo-tag=example.com/dock:v1")
    if s is not None:
        # skopeo finds the image by the RepoTags of manifest.json.
        expect_ok("docker-archive", "skopeo", "inspect", f"docker-archive:{out}:example.com/dock:v1")
        conv = os.path.join(work, "docker-conv")
        if expect_ok("docker-archive", "skopeo", "copy", "-q", f"docker-archive:{out}",
                     f"oci:{conv}:latest")[0]:
            unpack("docker-archive", conv, whiteouts_applied)

    # Each broken layout must be refused by the tool that checks what is broken.
    def umoci_unpack(out):
        return ("umoci", "unpack", "--image", out + ":latest", out + ".bundle")

    def umoci_stat(out):
        return ("umoci", "stat", "--image", out + ":latest")

    def skopeo_copy(out):
        return ("skopeo", "copy", "-q", f"oci:{out}:latest", f"oci:{out}.copy:latest")

    refusers = {
        "missing-index": (umoci_stat,), "bad-index-json": (umoci_stat,), "missing-oci-layout": (umoci_stat,),
        "missing-manifest": (umoci_stat, skopeo_copy), "bad-manifest-json": (umoci_stat, skopeo_copy),
        "missing-config": (umoci_stat, skopeo_copy), "bad-config-json": (umoci_stat,),
        "missing-layer": (umoci_unpack, skopeo_copy), "unknown-media-type": (umoci_unpack,),
        "digest-mismatch": (umoci_unpack, skopeo_copy), "size-mismatch": (umoci_unpack,),
        "truncate-layer": (umoci_unpack,),
    }
    for kind in LAYOUT_CORRUPTIONS:
        out = os.path.join(work, f"bad-{kind}")
        if mk("layout", out, "--layer-dir", src, "--layer", "file top x", f"--corrupt={kind}") is None:
            continue
        for refuser in refusers[kind]:
            expect_fail(kind, *refuser(out))
        if check_layout(kind, out, []):
            failures.append(f"{kind}: reading it back found nothing wrong")
    for kind in ARCHIVE_CORRUPTIONS:
        out = os.path.join(work, f"bad-{kind}.tar")
        if mk("docker-archive", out, "--layer-dir", src, "--repo-tag=x/y:z", f"--corrupt={kind}") is not None:
            expect_fail(kind, "skopeo", "copy", "-q", f"docker-archive:{out}", f"oci:{out}.copy:latest")

    # Hostile layers: the intended entry is in the top layer, byte for byte.
    want = {"dotdot": ("-", f"{EVIL}/tmp/podinit-evil-oci-dotdot"),
            "absolute": ("-", "/tmp/podinit-evil-oci-abs"),
            "hardlink-escape": ("h", f"hl -> {EVIL}/etc/passwd"),
            "symlink-escape": ("l", f"escape -> {EVIL}/tmp"),
            "symlink-absolute": ("l", "escape-abs -> /tmp"),
            "chardev": ("c", "hostdev 1:3")}
    for kind, (t, entry) in want.items():
        out = os.path.join(work, f"hostile-{kind}")
        s = mk("layout", out, "--layer-dir", src, "--hostile", kind, "--compress=none")
        if s is None:
            continue
        top = s["manifests"][0]["layers"][-1]["digest"].split(":")[1]
        with tarfile.open(os.path.join(out, "blobs/sha256", top)) as tf:
            have = []
            for m in tf.getmembers():
                c = {tarfile.REGTYPE: "-", tarfile.LNKTYPE: "h", tarfile.SYMTYPE: "l",
                     tarfile.CHRTYPE: "c", tarfile.DIRTYPE: "d"}.get(m.type, "?")
                desc = m.name
                if m.issym() or m.islnk():
                    desc += " -> " + m.linkname
                if m.ischr():
                    desc += f" {m.devmajor}:{m.devminor}"
                have.append((c, desc))
        if (t, entry) not in have:
            failures.append(f"hostile {kind}: no entry [{t}] {entry}; have {have}")
        if kind.startswith("symlink") and [d for c, d in have if c == "-"] == []:
            failures.append(f"hostile {kind}: no file written through the link")
        if kind == "dotdot" or kind == "absolute":
            # tarfile keeps the names as given: check the raw header bytes too.
            with open(os.path.join(out, "blobs/sha256", top), "rb") as f:
                if entry.encode() not in f.read():
                    failures.append(f"hostile {kind}: the raw tar lacks {entry}")

    # Same command, same digests.
    a = mk("layout", os.path.join(work, "det1"), "--layer-dir", src, "--tiny-layers", "2")
    b = mk("layout", os.path.join(work, "det2"), "--layer-dir", src, "--tiny-layers", "2")
    if a and b and a["manifests"][0]["digest"] != b["manifests"][0]["digest"]:
        failures.append("two identical runs gave different manifest digests")

    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("mkoci.py selftest: FAILED:", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        return 1
    print("mkoci.py selftest: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
