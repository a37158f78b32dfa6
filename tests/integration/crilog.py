#!/usr/bin/env python3
"""crilog.py -- strict reader of CRI log files for podinit's integration tests.

usage:
  crilog.py check FILE...           every record of every FILE (given oldest
                                    first) parses strictly, every file ends with
                                    a whole record, timestamps never go back;
                                    prints "records=N stdout=N stderr=N P=N F=N
                                    meta=N files=N"
  crilog.py stream [--stream=S] FILE...
                                    the app's bytes back: the content of every
                                    record of stream S (stdout, stderr; default
                                    both, in file order) that is not a podinit
                                    record, with a newline after F records only
  crilog.py records FILE...         one line per record: "STREAM TAG LENGTH"
                                    (TAG is F, P, F:podinit or P:podinit)
  crilog.py meta FILE...            the content of every podinit record, one a line
  crilog.py rotated MAX FILE...     each FILE (a rotated one) reached MAX bytes
                                    with its last record, not before
  crilog.py probe-lines COUNT SIZE  what `/probe lines COUNT SIZE` writes

A record (docs/logging.md, "Format") is
    ^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z (stdout|stderr) (F|P)(:podinit)? CONTENT\\n
where CONTENT is any bytes but a newline.  Exit status 1 (with the file,
the record number and the record) at the first record that is not one.
"""
import re
import sys

RECORD = re.compile(
    rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (stdout|stderr) (F|P)(:podinit)? (.*)\Z",
    re.S,
)


def die(msg):
    sys.stderr.write("crilog.py: %s\n" % msg)
    sys.exit(1)


def records(paths):
    """Yield (path, index, ts, stream, tag, meta, content) for every record."""
    last_ts = None
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        if data and not data.endswith(b"\n"):
            die("%s: does not end with a whole record (last bytes %r)" % (path, data[-80:]))
        lines = data.split(b"\n")[:-1] if data else []
        for i, line in enumerate(lines, 1):
            m = RECORD.match(line)
            if not m:
                die("%s: record %d is not a CRI record: %r" % (path, i, line[:200]))
            ts = m.group(1)
            if last_ts is not None and ts < last_ts:
                die("%s: record %d: timestamp %s is before the previous one, %s"
                    % (path, i, ts.decode(), last_ts.decode()))
            last_ts = ts
            yield (path, i, ts, m.group(2).decode(), m.group(3).decode(),
                   m.group(4) is not None, m.group(5))


def cmd_check(paths):
    n = {"records": 0, "stdout": 0, "stderr": 0, "P": 0, "F": 0, "meta": 0}
    for (_, _, _, stream, tag, meta, _) in records(paths):
        n["records"] += 1
        n[stream] += 1
        n[tag] += 1
        if meta:
            n["meta"] += 1
    print(" ".join("%s=%d" % (k, n[k]) for k in ("records", "stdout", "stderr", "P", "F", "meta"))
          + " files=%d" % len(paths))


def cmd_stream(args):
    want = None
    paths = []
    for a in args:
        if a.startswith("--stream="):
            want = a.split("=", 1)[1]
            if want not in ("stdout", "stderr"):
                die("--stream: stdout or stderr")
        else:
            paths.append(a)
    out = sys.stdout.buffer
    for (_, _, _, stream, tag, meta, content) in records(paths):
        if meta or (want and stream != want):
            continue
        out.write(content)
        if tag == "F":
            out.write(b"\n")


def cmd_records(paths):
    for (_, _, _, stream, tag, meta, content) in records(paths):
        print("%s %s%s %d" % (stream, tag, ":podinit" if meta else "", len(content)))


def cmd_meta(paths):
    out = sys.stdout.buffer
    for (_, _, _, _, _, meta, content) in records(paths):
        if meta:
            out.write(content + b"\n")


def cmd_rotated(args):
    limit = int(args[0])
    for path in args[1:]:
        with open(path, "rb") as f:
            data = f.read()
        last = len(data) - data.rstrip(b"\n").rfind(b"\n") - 1
        if len(data) < limit or len(data) - last >= limit:
            die("%s: %d bytes, last record %d bytes: not rotated right past %d"
                % (path, len(data), last, limit))


def probe_lines(count, size):
    """The bytes of `/probe lines COUNT SIZE` (tests/probe/probe.c)."""
    parts = []
    for i in range(count):
        head = b"%d " % i
        body = (head + b"y" * size)[: size - 1]
        parts.append(body + b"\n")
    return b"".join(parts)


def main():
    if len(sys.argv) < 2:
        die("usage: crilog.py check|stream|records|meta|probe-lines ...")
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "check":
        cmd_check(args)
    elif cmd == "stream":
        cmd_stream(args)
    elif cmd == "records":
        cmd_records(args)
    elif cmd == "meta":
        cmd_meta(args)
    elif cmd == "rotated":
        cmd_rotated(args)
    elif cmd == "probe-lines":
        if len(args) != 2:
            die("usage: crilog.py probe-lines COUNT SIZE")
        sys.stdout.buffer.write(probe_lines(int(args[0]), int(args[1])))
    else:
        die("unknown command %s" % cmd)


if __name__ == "__main__":
    main()
