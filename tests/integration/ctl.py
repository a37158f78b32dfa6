#!/usr/bin/env python3
"""ctl.py -- a minimal client for podinit's control socket, for the tests.

usage: ctl.py PODINIT_DIR STEP...      (PODINIT_DIR holds control.sock)

Framing: 4-byte big-endian length L (type byte + payload), 1 type byte
(0x01 request, 0x02 response), then L-1 bytes of JSON.

Steps run in order on one connection; each prints one line:
  req:TEXT    send TEXT (any bytes, valid JSON or not) as a request frame
              (prints nothing)
  call:TEXT   req:TEXT then recv
  recv        read one frame; prints "frame TYPE PAYLOAD", "eof" or "timeout"
  frame:T:TEXT  send TEXT in a frame of type T (a number, e.g. 2 or 0x10)
  hdr:N       send only a frame header announcing L=N (type 0x01, no body)
  eof         wait up to 5 s for the server to close: "eof", "open" or
              "data PAYLOAD" when a frame arrives instead
Scenarios (one per invocation):
  many N      hold N clients (each checked with a hello), then connect one
              more and print what it got; then check an old client still
              works, close them all and check a new client works
  idle        one silent client and one with half a header stay connected
              while a third asks for status; prints the time it took
  storm N     open N connections at once and keep them open; prints
              "refused R served S other O": R got too-many-clients and were
              closed, S got no frame (admitted, waiting for a request), O
              anything else; then closes them all and checks a new client
              gets a status

The socket path may be longer than sun_path allows, so it is reached through
/proc/self/fd/N/control.sock with N an O_PATH descriptor of its directory.
"""
import json
import os
import socket
import struct
import sys
import time

TIMEOUT = 5.0


class Conn:
    def __init__(self, sockdir):
        self.dirfd = os.open(sockdir, os.O_PATH | os.O_DIRECTORY)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect("/proc/self/fd/%d/control.sock" % self.dirfd)
        self.buf = b""

    def close(self):
        self.sock.close()
        os.close(self.dirfd)

    def send_frame(self, payload, ftype=1):
        if isinstance(payload, str):
            payload = payload.encode()
        self.sock.sendall(struct.pack(">IB", len(payload) + 1, ftype) + payload)

    def send_header(self, length, ftype=1):
        self.sock.sendall(struct.pack(">IB", length, ftype))

    def _fill(self, deadline):
        """Read more bytes; False on EOF, raises socket.timeout."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            return False
        self.buf += data
        return True

    def recv_frame(self, timeout=TIMEOUT):
        """(type, payload str) or None on EOF; raises socket.timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 5:
                (length,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + length:
                    ftype = self.buf[4]
                    payload = self.buf[5:4 + length]
                    self.buf = self.buf[4 + length:]
                    return ftype, payload.decode("utf-8", "replace")
            if not self._fill(deadline):
                return None

    def call(self, obj):
        self.send_frame(json.dumps(obj))
        got = self.recv_frame()
        if got is None:
            raise RuntimeError("server closed the connection instead of answering %r" % obj)
        return json.loads(got[1])


def describe(got):
    if got is None:
        return "eof"
    return "frame 0x%02x %s" % got


def run_steps(sockdir, steps):
    c = Conn(sockdir)
    rc = 0
    for step in steps:
        if step.startswith("req:"):
            c.send_frame(step[4:])
        elif step.startswith("call:") or step == "recv":
            if step.startswith("call:"):
                c.send_frame(step[5:])
            try:
                print(describe(c.recv_frame()), flush=True)
            except socket.timeout:
                print("timeout", flush=True)
                rc = 3
        elif step.startswith("frame:"):
            ftype, text = step[6:].split(":", 1)
            c.send_frame(text, int(ftype, 0))
        elif step.startswith("hdr:"):
            c.send_header(int(step[4:]))
        elif step == "eof":
            try:
                got = c.recv_frame()
                print("eof" if got is None else "data " + got[1], flush=True)
            except socket.timeout:
                print("open", flush=True)
        else:
            sys.exit("ctl.py: unknown step %r" % step)
    c.close()
    return rc


def status_after_hangups(sockdir):
    """A new client's status response once the server has seen earlier
    clients hang up (it notices asynchronously: retried for up to 5 s)."""
    deadline = time.monotonic() + 5
    while True:
        c = Conn(sockdir)
        try:
            r = c.call({"op": "status"})
        except (RuntimeError, ValueError, OSError):
            r = {}
        c.close()
        if r.get("ok") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return r


def scenario_many(sockdir, n):
    held = []
    for i in range(n):
        c = Conn(sockdir)
        r = c.call({"op": "hello", "id": i})
        if not r.get("ok"):
            print("client %d refused: %s" % (i + 1, json.dumps(r)))
            return 1
        held.append(c)
    print("held %d" % len(held), flush=True)

    extra = Conn(sockdir)
    try:
        got = extra.recv_frame()
        print("extra " + describe(got), flush=True)
        if got is not None:
            # The server must also close the connection after refusing it.
            try:
                print("extra then " + describe(extra.recv_frame()), flush=True)
            except socket.timeout:
                print("extra then open", flush=True)
    except socket.timeout:
        print("extra timeout", flush=True)
    extra.close()

    r = held[0].call({"op": "status"})
    print("old client status ok=%s state=%s" % (r.get("ok"), r.get("result", {}).get("state")), flush=True)
    for c in held:
        c.close()

    r = status_after_hangups(sockdir)
    print("new client status ok=%s clients=%s" % (r.get("ok"), r.get("result", {}).get("clients")), flush=True)
    return 0


def scenario_idle(sockdir):
    silent = Conn(sockdir)
    partial = Conn(sockdir)
    partial.sock.sendall(b"\x00\x00")           # half a header, then nothing
    time.sleep(0.2)
    start = time.monotonic()
    c = Conn(sockdir)
    try:
        r = c.call({"op": "status"})
        ms = int((time.monotonic() - start) * 1000)
        print("status ok=%s in %d ms" % (r.get("ok"), ms), flush=True)
    except socket.timeout:
        print("status timeout", flush=True)
    c.close()
    # Both stalled clients are still connected (not dropped for idling).
    for name, conn in (("silent", silent), ("partial", partial)):
        try:
            got = conn.recv_frame(timeout=0.2)
            print("%s %s" % (name, describe(got)), flush=True)
        except socket.timeout:
            print("%s open" % name, flush=True)
        conn.close()
    return 0


def scenario_storm(sockdir, n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    path = "/proc/self/fd/%d/control.sock" % os.open(sockdir, os.O_PATH | os.O_DIRECTORY)
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)         # blocking: a full backlog waits for PID 1 to accept
        s.settimeout(TIMEOUT)
        socks.append(s)
    # The refused get their error at once; give the server a moment to answer
    # every one (epoll: more sockets than select() takes), then read them.
    import selectors
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    ready, deadline = set(), time.monotonic() + 3
    while len(ready) < n and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            ready.add(key.fileobj)
            sel.unregister(key.fileobj)
        if len(ready) >= n - 64:
            deadline = min(deadline, time.monotonic() + 0.5)
    refused = served = other = 0
    for s in socks:
        if s not in ready:
            served += 1
            continue
        c = Conn.__new__(Conn)
        c.sock, c.buf = s, b""
        try:
            got = c.recv_frame(timeout=1)
        except socket.timeout:
            got = None
        if got is not None and got[0] == 2 and json.loads(got[1]).get("error", {}).get("code") == "too-many-clients":
            refused += 1
        else:
            other += 1
    print("refused %d served %d other %d" % (refused, served, other), flush=True)
    for s in socks:
        s.close()
    r = status_after_hangups(sockdir)
    print("after status ok=%s state=%s" % (r.get("ok"), r.get("result", {}).get("state")), flush=True)
    return 0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sockdir, args = sys.argv[1], sys.argv[2:]
    if args[0] == "many":
        return scenario_many(sockdir, int(args[1]))
    if args[0] == "idle":
        return scenario_idle(sockdir)
    if args[0] == "storm":
        return scenario_storm(sockdir, int(args[1]))
    return run_steps(sockdir, args)


if __name__ == "__main__":
    sys.exit(main())
