#!/usr/bin/env python3
"""cri.py -- a small CRI client for podinit's tests and benchmarks.

It talks the Kubernetes Container Runtime Interface (runtime.v1, gRPC over
a Unix socket) to containerd's CRI plugin the way the kubelet does, with the
messages of api.proto next to this file, compiled with protoc --python_out
on first use into a cache directory ($CRI_PROTO_CACHE, default
$TMPDIR/podinit-cri-pb-HASH).  Needs python3-grpcio, python3-protobuf and
protoc (protobuf-compiler).  Exec and attach streams use the runtime's
streaming server (the URL Exec/Attach return) over WebSocket with the
v4.channel.k8s.io subprotocol.

usage: cri.py --socket SOCK [--timeout SECONDS] COMMAND [ARGS...]

  version                          runtime name and version
  info                             runtime conditions (Status)
  runp [--runtime H] SANDBOX.json  RunPodSandbox; prints the sandbox id
  stopp ID / rmp ID                StopPodSandbox / RemovePodSandbox
  inspectp ID                      PodSandboxStatus (verbose) as JSON
  pods [-q] [--name N]             ListPodSandbox
  create POD CONTAINER.json SANDBOX.json
                                   CreateContainer; prints the container id
  start ID                         StartContainer
  stop [--timeout S] ID            StopContainer (S: grace seconds, default 10)
  rm ID                            RemoveContainer
  status ID / inspect ID           ContainerStatus (verbose) as JSON
  state ID                         the container's state: CONTAINER_RUNNING, ...
  wait ID STATE [--within S]       poll until the container is in STATE
  ps [-q] [-a] [--pod ID]          ListContainers (-a: exited ones too)
  exec-sync [--timeout S] ID -- CMD...
                                   ExecSync: its stdout and stderr are
                                   written to ours; exits with its code
  exec [-i] [-t] ID -- CMD...      Exec, streamed; exits with its code
  attach [-i] [-t] ID              Attach, streamed; ends when the container
                                   exits (exit code 0: attach has no status)
  (exec and attach -i: at EOF of our stdin we stop sending; v4 streams
  cannot close the remote stdin, so a command reading to EOF keeps waiting)
  images [-q]                      ListImages
  stats [--pod ID] [ID]            ContainerStats of ID, or ListContainerStats
                                   (of the sandbox's containers with --pod),
                                   as JSON
  update [--memory B] [--swap B] [--cpu-shares N] [--cpu-quota US]
         [--cpu-period US] [--cpuset-cpus L] [--cpuset-mems L] ID
                                   UpdateContainerResources (unset: 0/"", which
                                   CRI leaves as it is)

SANDBOX.json is a PodSandboxConfig, CONTAINER.json a ContainerConfig, in
the protobuf JSON mapping (field names as in api.proto or lowerCamelCase,
enums by name: "network": "NODE").  An unknown field is an error.
Exit codes: 0 ok, 1 a CRI error (its gRPC code and message on stderr), 2
usage; exec and exec-sync give the command's own exit code.

As a library: sys.path.insert(0, "tests/lib/cri"); import cri;
c = cri.Client(sock); c.call("RunPodSandbox", config=..., runtime_handler=...).
"""

import argparse
import base64
import hashlib
import json
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "api.proto")
PROG = "cri.py"


class CRIError(Exception):
    """A failed call: code is the gRPC status name (NOT_FOUND, ...)."""

    def __init__(self, method, code, details):
        super().__init__("%s: %s: %s" % (method, code, details))
        self.method, self.code, self.details = method, code, details


def die(msg, rc=1):
    sys.stderr.write("%s: %s\n" % (PROG, msg))
    sys.exit(rc)


def _import_deps():
    import importlib
    try:
        for m in ("grpc", "google.protobuf.json_format"):
            importlib.import_module(m)
    except ImportError as e:
        die("%s (the CRI client needs python3-grpcio and python3-protobuf: "
            "apt-get install python3-grpcio python3-protobuf; run it with /usr/bin/python3)" % e)


def load_pb2():
    """api_pb2, compiled once per api.proto content into the cache."""
    data = open(PROTO, "rb").read()
    tag = hashlib.sha256(data).hexdigest()[:16]
    cache = os.environ.get("CRI_PROTO_CACHE") or os.path.join(
        tempfile.gettempdir(), "podinit-cri-pb-" + tag)
    if not os.path.exists(os.path.join(cache, "api_pb2.py")):
        protoc = subprocess.run(["which", "protoc"], stdout=subprocess.PIPE).stdout.strip()
        if not protoc:
            die("protoc not found (it compiles the CRI messages); apt-get install protobuf-compiler")
        parent = os.path.dirname(cache) or "."
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".cri-pb-", dir=parent)
        r = subprocess.run([protoc, "--proto_path=" + HERE, "--python_out=" + tmp, PROTO],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            die("protoc failed on %s:\n%s" % (PROTO, r.stdout.decode(errors="replace")))
        try:
            os.rename(tmp, cache)           # atomic; another process may have won
        except OSError:
            subprocess.run(["rm", "-rf", tmp])
    sys.path.insert(0, cache)
    import api_pb2
    return api_pb2


class Client:
    """A CRI connection.  call(METHOD, **fields) -> the response message."""

    RUNTIME = ("Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox", "PodSandboxStatus",
               "ListPodSandbox", "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer",
               "ListContainers", "ContainerStatus", "ExecSync", "Exec", "Attach", "Status",
               "UpdateContainerResources", "ContainerStats", "ListContainerStats")
    IMAGE = ("ListImages", "ImageStatus")

    def __init__(self, sock, timeout=60.0):
        _import_deps()
        import grpc
        self.grpc = grpc
        self.pb = load_pb2()
        if not os.path.exists(sock):
            die("no socket at %s (is containerd running?)" % sock)
        self.sock = sock
        self.timeout = timeout
        self.channel = grpc.insecure_channel("unix://" + os.path.abspath(sock))
        self._stubs = {}

    def _stub(self, method):
        if method not in self._stubs:
            if method in self.RUNTIME:
                svc = "runtime.v1.RuntimeService"
            elif method in self.IMAGE:
                svc = "runtime.v1.ImageService"
            else:
                raise ValueError("unknown CRI method " + method)
            req = getattr(self.pb, method + "Request")
            resp = getattr(self.pb, method + "Response")
            self._stubs[method] = (req, self.channel.unary_unary(
                "/%s/%s" % (svc, method), request_serializer=req.SerializeToString,
                response_deserializer=resp.FromString))
        return self._stubs[method]

    def call(self, method, _timeout=None, **fields):
        req_cls, stub = self._stub(method)
        req = req_cls(**fields)
        try:
            return stub(req, timeout=_timeout or self.timeout)
        except self.grpc.RpcError as e:
            raise CRIError(method, e.code().name, e.details()) from None

    def message(self, name, obj):
        """A message NAME from a dict in the protobuf JSON mapping."""
        from google.protobuf import json_format
        msg = getattr(self.pb, name)()
        json_format.ParseDict(obj, msg)
        return msg

    def to_dict(self, msg):
        from google.protobuf import json_format
        return json_format.MessageToDict(msg, preserving_proto_field_name=True,
                                         including_default_value_fields=True)

    def state(self, cid):
        st = self.call("ContainerStatus", container_id=cid).status
        return self.pb.ContainerState.Name(st.state)

    def wait_state(self, cid, state, within=30.0):
        end = time.monotonic() + within
        while True:
            cur = self.state(cid)
            if cur == state:
                return
            if time.monotonic() > end:
                raise CRIError("ContainerStatus", "DEADLINE_EXCEEDED",
                               "container %s is %s, not %s after %gs" % (cid, cur, state, within))
            time.sleep(0.01)

    def close(self):
        self.channel.close()


# ------------------------------------------------------------ streaming

class WebSocket:
    """A minimal WebSocket client (RFC 6455) for the CRI streaming server:
    binary frames, no extensions, no fragmentation on send."""

    def __init__(self, url, protocols, timeout=30.0):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "http":
            raise OSError("streaming URL %s: only http:// is supported" % url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n"
               % (path, u.netloc, key, ", ".join(protocols)))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("streaming server closed the connection during the handshake: %r" % head)
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode(errors="replace").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise OSError("streaming server refused the upgrade: %s" % lines[0])
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        if hdrs.get("sec-websocket-accept", "").encode() != want:
            raise OSError("streaming server: bad Sec-WebSocket-Accept")
        self.protocol = hdrs.get("sec-websocket-protocol", "")
        self.sock.settimeout(None)

    def send(self, payload, opcode=2):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + body)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """(opcode, payload) of the next whole message, or (None, None) at EOF."""
        data, first_op = b"", None
        while True:
            h = self._read(2)
            if h is None:
                return None, None
            fin, op, ln = h[0] & 0x80, h[0] & 0x0F, h[1] & 0x7F
            if ln >= 126:
                ext = self._read(2 if ln == 126 else 8)
                if ext is None:
                    return None, None
                ln = struct.unpack("!H" if len(ext) == 2 else "!Q", ext)[0]
            mask = self._read(4) if h[1] & 0x80 else b""
            p = self._read(ln) if ln else b""
            if p is None or mask is None:
                return None, None
            if mask:
                p = bytes(b ^ mask[i % 4] for i, b in enumerate(p))
            if op == 9:                       # ping
                self.send(p, 10)
                continue
            if op == 10:
                continue
            if op == 8:
                return 8, p
            if first_op is None:
                first_op = op
            data += p
            if fin:
                return first_op, data

    def pending(self):
        return bool(self.buf)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def stream(url, stdin, tty, out=None, err=None, inp=None):
    """Run an exec or attach session on URL: copy INP (a file descriptor,
    default 0, when stdin) to the remote stdin, its stdout and stderr to
    OUT and ERR (binary files); returns the remote exit code (0 when the
    status says Success, the ExitCode cause on NonZeroExitCode), or None
    when the stream ended without a status (attach)."""
    out = out or sys.stdout.buffer
    err = err or sys.stderr.buffer
    inp = 0 if inp is None else inp
    ws = WebSocket(url, ["v4.channel.k8s.io"])
    if ws.protocol != "v4.channel.k8s.io":
        raise OSError("streaming server chose subprotocol %r, not v4.channel.k8s.io" % ws.protocol)
    if tty:
        try:
            cols, rows = os.get_terminal_size(0)
        except OSError:
            cols, rows = 80, 24
        ws.send(b"\x04" + json.dumps({"Width": cols, "Height": rows}).encode())
    status = None
    stdin_open = stdin
    while True:
        fds = [ws.sock] + ([inp] if stdin_open else [])
        if not ws.pending():
            r, _, _ = select.select(fds, [], [])
        else:
            r = [ws.sock]
        if inp in r and stdin_open:
            data = os.read(inp, 65536)
            if data:
                ws.send(b"\x00" + data)
            else:
                # v4.channel.k8s.io cannot close stdin alone (v5 can; the
                # streaming server of containerd 1.6 does not speak it),
                # and the server ends the whole session when the connection
                # is half-closed, losing the output.  So at EOF we only stop
                # sending: a command that waits for more input keeps waiting.
                stdin_open = False
        if ws.sock in r:
            op, msg = ws.recv()
            if op is None or op == 8:
                break
            if not msg:
                continue
            ch, data = msg[0], msg[1:]
            if ch == 1 and data:
                out.write(data)
                out.flush()
            elif ch == 2 and data:
                err.write(data)
                err.flush()
            elif ch == 3 and data:
                status = data
    ws.close()
    if status is None:
        return None
    try:
        st = json.loads(status)
    except ValueError:
        raise OSError("streaming server: error channel says: %s" % status.decode(errors="replace"))
    if st.get("status") == "Success":
        return 0
    for c in (st.get("details") or {}).get("causes") or []:
        if c.get("reason") == "ExitCode":
            return int(c.get("message", "1"))
    raise OSError("stream failed: %s" % st.get("message", status.decode(errors="replace")))


# ------------------------------------------------------------ CLI

def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        die("%s: %s" % (path, e.strerror), 2)
    except ValueError as e:
        die("%s: not valid JSON: %s" % (path, e), 2)


def parse_msg(c, name, path):
    from google.protobuf import json_format
    try:
        return c.message(name, read_json(path))
    except json_format.ParseError as e:
        die("%s: not a valid %s: %s" % (path, name, e), 2)


def dump(obj):
    print(json.dumps(obj, indent=2, sort_keys=True))


def status_dict(c, resp):
    d = c.to_dict(resp)
    for k, v in list(d.get("info", {}).items()):
        try:
            d["info"][k] = json.loads(v)
        except ValueError:
            pass
    return d


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description="a small CRI client (runtime.v1)",
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socket", required=True, help="the CRI socket (containerd's)")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-call timeout, seconds")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.required = True
    sub.add_parser("version")
    sub.add_parser("info")
    p = sub.add_parser("runp")
    p.add_argument("--runtime", default="", help="the runtime handler (runc, podinit, ...)")
    p.add_argument("sandbox")
    for name in ("stopp", "rmp", "inspectp", "start", "rm", "status", "inspect", "state"):
        sub.add_parser(name).add_argument("id")
    p = sub.add_parser("pods")
    p.add_argument("-q", action="store_true")
    p.add_argument("--name", default="")
    p = sub.add_parser("create")
    p.add_argument("pod")
    p.add_argument("container")
    p.add_argument("sandbox")
    p = sub.add_parser("stop")
    p.add_argument("--timeout", dest="grace", type=int, default=10)
    p.add_argument("id")
    p = sub.add_parser("wait")
    p.add_argument("id")
    p.add_argument("state")
    p.add_argument("--within", type=float, default=30.0)
    p = sub.add_parser("ps")
    p.add_argument("-q", action="store_true")
    p.add_argument("-a", action="store_true")
    p.add_argument("--pod", default="")
    p = sub.add_parser("exec-sync")
    p.add_argument("--timeout", dest="exec_timeout", type=int, default=0)
    p.add_argument("id")
    p.add_argument("command", nargs="+")
    p = sub.add_parser("exec")
    p.add_argument("-i", action="store_true")
    p.add_argument("-t", action="store_true")
    p.add_argument("id")
    p.add_argument("command", nargs="+")
    p = sub.add_parser("attach")
    p.add_argument("-i", action="store_true")
    p.add_argument("-t", action="store_true")
    p.add_argument("id")
    p = sub.add_parser("images")
    p.add_argument("-q", action="store_true")
    p = sub.add_parser("stats")
    p.add_argument("--pod", default="")
    p.add_argument("id", nargs="?", default="")
    p = sub.add_parser("update")
    for flag in ("--memory", "--swap", "--cpu-shares", "--cpu-quota", "--cpu-period"):
        p.add_argument(flag, type=int, default=0)
    p.add_argument("--cpuset-cpus", default="")
    p.add_argument("--cpuset-mems", default="")
    p.add_argument("id")
    a = ap.parse_args(argv)

    c = Client(a.socket, a.timeout)
    pb = c.pb
    try:
        if a.cmd == "version":
            v = c.call("Version", version="v1")
            print("%s %s (CRI %s)" % (v.runtime_name, v.runtime_version, v.runtime_api_version))
        elif a.cmd == "info":
            dump(status_dict(c, c.call("Status", verbose=True)))
        elif a.cmd == "runp":
            cfg = parse_msg(c, "PodSandboxConfig", a.sandbox)
            print(c.call("RunPodSandbox", config=cfg, runtime_handler=a.runtime).pod_sandbox_id)
        elif a.cmd == "stopp":
            c.call("StopPodSandbox", pod_sandbox_id=a.id)
        elif a.cmd == "rmp":
            c.call("RemovePodSandbox", pod_sandbox_id=a.id)
        elif a.cmd == "inspectp":
            dump(status_dict(c, c.call("PodSandboxStatus", pod_sandbox_id=a.id, verbose=True)))
        elif a.cmd == "pods":
            for s in c.call("ListPodSandbox").items:
                if a.name and s.metadata.name != a.name:
                    continue
                if a.q:
                    print(s.id)
                else:
                    print("%s %s %s %s" % (s.id, s.metadata.name, pb.PodSandboxState.Name(s.state),
                                           s.runtime_handler or "-"))
        elif a.cmd == "create":
            ctr = parse_msg(c, "ContainerConfig", a.container)
            sb = parse_msg(c, "PodSandboxConfig", a.sandbox)
            print(c.call("CreateContainer", pod_sandbox_id=a.pod, config=ctr, sandbox_config=sb).container_id)
        elif a.cmd == "start":
            c.call("StartContainer", container_id=a.id)
        elif a.cmd == "stop":
            c.call("StopContainer", container_id=a.id, timeout=a.grace,
                   _timeout=max(a.timeout, a.grace + 30))
        elif a.cmd == "rm":
            c.call("RemoveContainer", container_id=a.id)
        elif a.cmd in ("status", "inspect"):
            dump(status_dict(c, c.call("ContainerStatus", container_id=a.id, verbose=True)))
        elif a.cmd == "state":
            print(c.state(a.id))
        elif a.cmd == "wait":
            if a.state not in pb.ContainerState.keys():
                die("unknown state %s; one of %s" % (a.state, ", ".join(pb.ContainerState.keys())), 2)
            c.wait_state(a.id, a.state, a.within)
        elif a.cmd == "ps":
            filt = pb.ContainerFilter(pod_sandbox_id=a.pod)
            if not a.a:
                filt.state.state = pb.CONTAINER_RUNNING
            for x in c.call("ListContainers", filter=filt).containers:
                if a.q:
                    print(x.id)
                else:
                    print("%s %s %s %s" % (x.id, x.pod_sandbox_id, x.metadata.name, pb.ContainerState.Name(x.state)))
        elif a.cmd == "exec-sync":
            r = c.call("ExecSync", container_id=a.id, cmd=a.command, timeout=a.exec_timeout,
                       _timeout=a.exec_timeout + 30 if a.exec_timeout else None)
            sys.stdout.buffer.write(r.stdout)
            sys.stdout.flush()
            sys.stderr.buffer.write(r.stderr)
            sys.stderr.flush()
            return r.exit_code
        elif a.cmd == "exec":
            url = c.call("Exec", container_id=a.id, cmd=a.command, tty=a.t, stdin=a.i,
                         stdout=True, stderr=not a.t).url
            rc = stream(url, a.i, a.t)
            if rc is None:
                die("exec: the stream ended without the command's exit status")
            return rc
        elif a.cmd == "attach":
            url = c.call("Attach", container_id=a.id, stdin=a.i, tty=a.t, stdout=True, stderr=not a.t).url
            rc = stream(url, a.i, a.t)
            return 0 if rc is None else rc
        elif a.cmd == "stats":
            if a.id:
                dump(c.to_dict(c.call("ContainerStats", container_id=a.id)))
            else:
                filt = pb.ContainerStatsFilter(pod_sandbox_id=a.pod)
                dump(c.to_dict(c.call("ListContainerStats", filter=filt)))
        elif a.cmd == "update":
            res = pb.LinuxContainerResources(
                memory_limit_in_bytes=a.memory, memory_swap_limit_in_bytes=a.swap, cpu_shares=a.cpu_shares,
                cpu_quota=a.cpu_quota, cpu_period=a.cpu_period, cpuset_cpus=a.cpuset_cpus, cpuset_mems=a.cpuset_mems)
            c.call("UpdateContainerResources", container_id=a.id, linux=res)
        elif a.cmd == "images":
            for i in c.call("ListImages").images:
                print(i.id if a.q else "%s %s" % (i.id, " ".join(i.repo_tags)))
    except CRIError as e:
        die(str(e))
    except OSError as e:
        die(str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
