#!/usr/bin/env python3
"""attach_client.py -- an attach-stream client for podinit's tests.

usage: attach_client.py PODINIT_DIR [OPTIONS] [ACTION...]
       attach_client.py --raw SOCKET [--out FILE] [--ready FILE] [--send TEXT] [--timeout S]

PODINIT_DIR is the directory holding control.sock (<pod>/stage1/rootfs/rkt/podinit).
The client sends one attach request (docs/protocol.md, "The attach stream"),
then runs the ACTIONs in order while a reader thread takes every frame the
pod sends; then it waits for the end of the stream (EXIT, then end-of-file)
and prints a summary.

Attach request options (or, with --exec, an exec request: docs/protocol.md "exec"):
  --exec JSON             exec this argv (a JSON list) instead of attaching
  --env NAME=VALUE        exec: add to its environment (repeatable)
  --tty, --stdin          exec: a pty; forward stdin
  --app NAME              the app (default: the server's default)
  --streams LIST          comma-separated subset of stdin,stdout,stderr; the
                          others are requested false (default: not sent)
  --replay N              bytes of scrollback to replay (default: not sent)
  --queue N               this client's output queue (default: not sent)
  --overflow drop|disconnect
  --size ROWSxCOLS        window size in the request
Output options:
  --out FILE              write the STDOUT payloads to FILE
  --err FILE              write the STDERR payloads to FILE
  --ready FILE            create FILE once the attach response arrived
  --timeout S             overall deadline in seconds (default 30)
  --expect-timeout S      deadline of each expect: action (default 5)
Stuck client:
  --no-read               never read until --hold-until exists, the pod closes
                          the connection or --timeout passes ("end timeout")
  --hold-until FILE       with --no-read: once FILE exists, read the rest
Actions:
  send:TEXT       a STDIN frame with TEXT (Python escapes: \\n, \\t, \\xHH, ...)
  bytes:N         N bytes 0,1,...,255,0,1,... in STDIN frames of 32 KiB
  close           CLOSE_STDIN
  resize:R:C      RESIZE
  signal:N        SIGNAL
  expect:TEXT     wait until the STDOUT bytes received since the last expect
                  contain TEXT (escapes as for send:); exit 4 on timeout
  sleep:S         sleep S seconds (a float)
  detach          close the connection at once (no summary wait)

Summary (stdout), one item per line:
  attached JSON             the attach response's result
  error CODE MESSAGE        the attach was refused (exit status 2)
  stdout N / stderr N       payload bytes received per stream
  dropped-frames N          DROPPED frames received
  dropped-bytes STREAM N    their byte counts, summed per stream
  response JSON             any RESPONSE frame after the attach response
  event NAME JSON           an EVENT frame (a restart marker: backoff, restart)
  exit JSON | exit none     the EXIT frame
  frames-after-exit N       frames that came after EXIT (should be 0)
  end eof|timeout|detached|reset
Exit status: 0 normally, 2 attach refused, 3 timeout, 4 an expect failed.

--raw SOCKET connects to a raw rkt iottymux socket (no framing; docs/io.md),
creates the --ready FILE, then either writes --send TEXT and closes
("sent N"), or reads until end-of-file, printing "raw N" (bytes read) and
"end eof|timeout|reset".
"""
import json
import os
import select
import socket
import struct
import sys
import threading
import time

STDIN, STDOUT, STDERR = 0x10, 0x11, 0x12
RESIZE, SIGNAL, CLOSE_STDIN, EXIT, DROPPED, EVENT = 0x13, 0x14, 0x15, 0x16, 0x17, 0x18
REQUEST, RESPONSE = 0x01, 0x02
KEEP_MAX = 8 << 20      # bytes of STDOUT kept in memory for expect:


def unescape(text):
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1")


def connect(path):
    """Connect to a Unix socket whose path may exceed sun_path."""
    dirfd = os.open(os.path.dirname(path) or ".", os.O_PATH | os.O_DIRECTORY)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect("/proc/self/fd/%d/%s" % (dirfd, os.path.basename(path)))
    finally:
        os.close(dirfd)
    return s


class Attach:
    def __init__(self, sock, out, err):
        self.sock = sock
        self.out, self.err = out, err
        self.buf = b""
        self.lock = threading.Condition()
        self.counts = {"stdout": 0, "stderr": 0}
        self.kept = bytearray()
        self.expect_from = 0
        self.dropped_frames = 0
        self.dropped = {}
        self.responses = []
        self.events = []
        self.exit = None
        self.after_exit = 0
        self.ended = None           # "eof" / "reset" once the reader stops

    def send(self, ftype, payload=b""):
        self.sock.sendall(struct.pack(">IB", len(payload) + 1, ftype) + payload)

    def read_frame(self, deadline):
        while True:
            if len(self.buf) >= 5:
                (length,) = struct.unpack(">I", self.buf[:4])
                if length == 0:
                    raise RuntimeError("zero-length frame from the pod")
                if len(self.buf) >= 4 + length:
                    ftype = self.buf[4]
                    payload = self.buf[5:4 + length]
                    self.buf = self.buf[4 + length:]
                    return ftype, payload
            if deadline is not None:
                # Only before the reader thread runs: the socket's timeout
                # must not change while another thread sends.
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout()
                self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 18)
            except ConnectionResetError:
                return "reset"
            if not data:
                return None
            self.buf += data

    def handle(self, ftype, payload):
        with self.lock:
            if self.exit is not None:
                self.after_exit += 1
            if ftype in (STDOUT, STDERR):
                name = "stdout" if ftype == STDOUT else "stderr"
                self.counts[name] += len(payload)
                f = self.out if ftype == STDOUT else self.err
                if f is not None:
                    f.write(payload)
                if ftype == STDOUT and len(self.kept) < KEEP_MAX:
                    self.kept += payload
            elif ftype == DROPPED:
                d = json.loads(payload)
                self.dropped_frames += 1
                self.dropped[d.get("stream")] = self.dropped.get(d.get("stream"), 0) + int(d.get("bytes", 0))
            elif ftype == EXIT:
                self.exit = json.loads(payload)
            elif ftype == EVENT:
                self.events.append(json.loads(payload))
            elif ftype == RESPONSE:
                self.responses.append(payload.decode("utf-8", "replace"))
            else:
                self.responses.append("unexpected frame 0x%02x" % ftype)
            self.lock.notify_all()

    def reader(self):
        try:
            while True:
                got = self.read_frame(None)
                if got is None or got == "reset":
                    with self.lock:
                        self.ended = "eof" if got is None else "reset"
                        self.lock.notify_all()
                    return
                self.handle(*got)
        except OSError:
            with self.lock:
                self.ended = self.ended or "reset"
                self.lock.notify_all()

    def expect(self, needle, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                i = self.kept.find(needle, self.expect_from)
                if i >= 0:
                    self.expect_from = i + len(needle)
                    return True
                left = deadline - time.monotonic()
                if left <= 0 or self.ended:
                    return False
                self.lock.wait(left)

    def wait_end(self, deadline):
        with self.lock:
            while self.ended is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(left)
            return True

    def summary(self, end):
        with self.lock:
            print("stdout %d" % self.counts["stdout"])
            print("stderr %d" % self.counts["stderr"])
            print("dropped-frames %d" % self.dropped_frames)
            for name in sorted(self.dropped):
                print("dropped-bytes %s %d" % (name, self.dropped[name]))
            for r in self.responses:
                print("response %s" % r)
            for e in self.events:
                print("event %s %s" % (e.get("event"), json.dumps(e, sort_keys=True)))
            print("exit %s" % (json.dumps(self.exit, sort_keys=True) if self.exit is not None else "none"))
            print("frames-after-exit %d" % self.after_exit)
            print("end %s" % end)
        sys.stdout.flush()


def raw_mode(args):
    path, out, ready, send, timeout = args[0], None, None, None, 30.0
    i = 1
    while i < len(args):
        if i + 1 >= len(args):
            sys.exit("attach_client.py: --raw: %s needs a value" % args[i])
        if args[i] == "--out":
            out = open(args[i + 1], "wb")
        elif args[i] == "--ready":
            ready = args[i + 1]
        elif args[i] == "--send":
            send = unescape(args[i + 1])
        elif args[i] == "--timeout":
            timeout = float(args[i + 1])
        else:
            sys.exit("attach_client.py: --raw: unknown option %r" % args[i])
        i += 2
    s = connect(path)
    if ready:
        open(ready, "w").close()
    if send is not None:
        s.sendall(send)
        s.close()
        print("sent %d" % len(send))
        return 0
    deadline = time.monotonic() + timeout
    n, end = 0, "eof"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            end = "timeout"
            break
        s.settimeout(left)
        try:
            data = s.recv(1 << 16)
        except socket.timeout:
            end = "timeout"
            break
        except ConnectionResetError:
            end = "reset"
            break
        if not data:
            break
        n += len(data)
        if out:
            out.write(data)
    if out:
        out.close()
    print("raw %d" % n)
    print("end %s" % end)
    return 0 if end == "eof" else 3


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    if argv[1] == "--raw":
        return raw_mode(argv[2:])
    sockdir = argv[1]
    req = {"v": 1, "id": 1, "op": "attach"}
    out = err = None
    ready = hold_until = None
    timeout, expect_timeout, no_read = 30.0, 5.0, False
    actions = []
    i = 2
    while i < len(argv):
        a = argv[i]
        val = argv[i + 1] if i + 1 < len(argv) else None
        if a in ("--app", "--streams", "--replay", "--queue", "--overflow", "--size", "--out",
                 "--err", "--ready", "--timeout", "--expect-timeout", "--hold-until", "--exec", "--env"):
            if val is None:
                sys.exit("attach_client.py: %s needs a value" % a)
            i += 2
        else:
            i += 1
        if a == "--app":
            req["app"] = val
        elif a == "--streams":
            chosen = [s for s in val.split(",") if s]
            for s in ("stdin", "stdout", "stderr"):
                req[s] = s in chosen
        elif a == "--replay":
            req["replay"] = int(val)
        elif a == "--queue":
            req["queue"] = int(val)
        elif a == "--overflow":
            req["overflow"] = val
        elif a == "--size":
            r, c = val.split("x")
            req["rows"], req["cols"] = int(r), int(c)
        elif a == "--out":
            out = open(val, "wb")
        elif a == "--err":
            err = open(val, "wb")
        elif a == "--ready":
            ready = val
        elif a == "--timeout":
            timeout = float(val)
        elif a == "--expect-timeout":
            expect_timeout = float(val)
        elif a == "--hold-until":
            hold_until = val
        elif a == "--no-read":
            no_read = True
        elif a == "--exec":
            req["op"] = "exec"
            req["argv"] = json.loads(val)
        elif a == "--env":
            req.setdefault("env", []).append(val)
        elif a == "--tty":
            req["tty"] = True
        elif a == "--stdin":
            req["stdin"] = True
        elif a.startswith("--"):
            sys.exit("attach_client.py: unknown option %r" % a)
        else:
            actions.append(a)

    deadline = time.monotonic() + timeout
    sock = connect(os.path.join(sockdir, "control.sock"))
    c = Attach(sock, out, err)
    c.send(REQUEST, json.dumps(req).encode())
    try:
        got = c.read_frame(deadline)
    except socket.timeout:
        print("end timeout")
        return 3
    if got is None or got == "reset":
        print("end %s" % ("eof" if got is None else "reset"))
        return 3
    ftype, payload = got
    resp = json.loads(payload)
    if ftype != RESPONSE or not resp.get("ok"):
        e = resp.get("error", {})
        print("error %s %s" % (e.get("code"), e.get("message")))
        return 2
    print("attached %s" % json.dumps(resp.get("result"), sort_keys=True), flush=True)
    sock.settimeout(None)       # blocking from now on; wait_end() keeps the deadline
    if ready:
        open(ready, "w").close()

    if no_read:
        # Fill nothing, read nothing: the pod must cope with us.
        for act in actions:
            run_action(c, act, expect_timeout)
        # Hold without reading, but not past the deadline nor once the pod
        # has closed the connection: a client left holding forever would
        # outlive its test (teardown kills the shell function, not python).
        held = select.poll()
        held.register(sock, 0)      # reports only POLLHUP / POLLERR
        while hold_until is None or not os.path.exists(hold_until):
            if time.monotonic() >= deadline:
                c.summary("timeout")
                return 3
            if held.poll(50):
                break
        deadline = time.monotonic() + timeout
    t = threading.Thread(target=c.reader, daemon=True)
    t.start()
    rc = 0
    if not no_read:
        for act in actions:
            if act == "detach":
                sock.close()
                c.summary("detached")
                return 0
            if not run_action(c, act, expect_timeout):
                print("expect-failed %r" % act[len("expect:"):])
                rc = 4
                break
    if rc == 0 and not c.wait_end(deadline):
        c.summary("timeout")
        return 3
    if rc == 0:
        t.join(1)
    c.summary(c.ended or "timeout")
    if out:
        out.close()
    if err:
        err.close()
    return rc


def run_action(c, act, expect_timeout):
    if act.startswith("send:"):
        c.send(STDIN, unescape(act[5:]))
    elif act.startswith("bytes:"):
        n = int(act[6:])
        block = bytes(range(256)) * 128          # 32 KiB, a whole number of cycles
        while n > 0:
            chunk = block[:min(n, len(block))]
            c.send(STDIN, chunk)
            n -= len(chunk)
    elif act == "close":
        c.send(CLOSE_STDIN)
    elif act.startswith("resize:"):
        _, r, col = act.split(":")
        c.send(RESIZE, struct.pack(">HH", int(r), int(col)))
    elif act.startswith("signal:"):
        c.send(SIGNAL, bytes([int(act[7:])]))
    elif act.startswith("expect:"):
        return c.expect(unescape(act[7:]), expect_timeout)
    elif act.startswith("sleep:"):
        time.sleep(float(act[6:]))
    else:
        sys.exit("attach_client.py: unknown action %r" % act)
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv))
