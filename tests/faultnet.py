#!/usr/bin/env python3
"""Network faults for tests/faults.sh and bench/soak.sh, on loopback only.

Commands:
  proxy --to HOST:PORT --ready FILE --control FILE [--max-seconds S]
      A TCP forwarder between a child hub and its parent, listening on
      127.0.0.1 with a kernel-chosen port (written to the ready file as a
      tcp:// URL). The control file holds one word, read every 50 ms:
        pass   forward both ways;
        stall  keep every connection open but forward nothing (the bytes
               wait in the kernel's buffers, as on a link that hangs);
        cut    reset every connection and refuse new ones (accepted and
               closed at once): the port is blocked.
      Going back to pass after stall delivers what waited; after cut, the
      child dials again. Stops by itself once the process that started it
      is gone (a test killed outright leaves no proxy behind), or after
      --max-seconds.

  stuck --to HOST:PORT --mode MODE [--count N] [--seconds S] --ready FILE
      Hostile or broken children on the hub's tcp:// listener, speaking
      the SP-over-TCP framing by hand (8-byte header "\\0SP\\0" with the
      protocol number, then each message as a 64-bit big-endian length
      and its bytes; a REQ message starts with a 32-bit request id whose
      top bit is set). Modes:
        silent   connect and send nothing, not even the header;
        partial  send the header and the start of a message that claims
                 1000 bytes, then nothing more;
        slow     send the header and a message of 600 bytes one byte
                 every 200 ms (it takes two minutes, longer than a test);
        noread   send the header and then as many small requests as the
                 socket takes, never reading a reply, so that the hub's
                 replies pile up in the kernel's buffers.
      Each of the N connections does the same. The ready file is written
      once every connection has sent what it sends first; the command
      stops by itself after --seconds, or once the process that started
      it is gone (and prints what it sent).
"""

import argparse
import os
import selectors
import signal
import socket
import struct
import sys
import time

REQ0 = 0x30
REP0 = 0x31

# Set by SIGTERM: the loops end and the command prints what it did.
stopping = []


def parse_hostport(text):
    if text.startswith("tcp://"):
        text = text[len("tcp://"):]
    host, _, port = text.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        raise SystemExit("faultnet: only loopback addresses, not %r" % host)
    return host.strip("[]"), int(port)


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ------------------------------------------------------------------ proxy

class Proxy:
    def __init__(self, to, control):
        self.to = to
        self.control = control
        self.sel = selectors.DefaultSelector()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.lsock.setblocking(False)
        self.sel.register(self.lsock, selectors.EVENT_READ, None)
        self.peer = {}  # socket -> the socket it forwards to
        self.mode = "pass"
        self.forwarded = 0
        self.resets = 0

    def port(self):
        return self.lsock.getsockname()[1]

    def read_mode(self):
        try:
            with open(self.control) as f:
                word = f.read().strip()
        except OSError:
            return
        if word in ("pass", "stall", "cut") and word != self.mode:
            print("faultnet proxy: %s -> %s" % (self.mode, word), flush=True)
            self.mode = word
            if word == "cut":
                for s in list(self.peer):
                    self.close_pair(s, reset=True)
            self.apply_interest()

    def apply_interest(self):
        # In stall, nothing is read, so nothing moves; the kernel holds
        # what each side wrote.
        registered = self.sel.get_map()
        for s in list(self.peer):
            if self.mode == "pass" and s not in registered:
                self.sel.register(s, selectors.EVENT_READ, s)
            elif self.mode != "pass" and s in registered:
                self.sel.unregister(s)

    def close_pair(self, s, reset=False):
        other = self.peer.pop(s, None)
        for x in (s, other):
            if x is None or x.fileno() == -1:
                continue
            self.peer.pop(x, None)
            try:
                self.sel.unregister(x)
            except (KeyError, ValueError):
                pass
            if reset:
                # SO_LINGER 0: the close sends RST, as a blocked port does.
                x.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                self.resets += 1
            x.close()

    def accept(self):
        try:
            c, _ = self.lsock.accept()
        except BlockingIOError:
            return
        if self.mode == "cut":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
            self.resets += 1
            return
        try:
            u = socket.create_connection(self.to, timeout=2)
        except OSError:
            c.close()
            return
        for x in (c, u):
            x.setblocking(False)
            x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.peer[c] = u
        self.peer[u] = c
        if self.mode == "pass":
            self.sel.register(c, selectors.EVENT_READ, c)
            self.sel.register(u, selectors.EVENT_READ, u)

    def pump(self, s):
        other = self.peer.get(s)
        if other is None:
            return
        try:
            data = s.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.close_pair(s)
            return
        try:
            other.setblocking(True)
            other.settimeout(5)
            other.sendall(data)
            other.setblocking(False)
            self.forwarded += len(data)
        except OSError:
            self.close_pair(s)

    def run(self, max_seconds):
        end = time.monotonic() + max_seconds
        next_check = 0.0
        parent = os.getppid()
        while time.monotonic() < end and not stopping:
            now = time.monotonic()
            if now >= next_check:
                if os.getppid() != parent:
                    break
                self.read_mode()
                next_check = now + 0.05
            for key, _ in self.sel.select(timeout=0.05):
                if key.data is None:
                    self.accept()
                else:
                    self.pump(key.data)
        print("faultnet proxy: stopped; %d bytes forwarded, %d resets"
              % (self.forwarded, self.resets), flush=True)


def cmd_proxy(args):
    p = Proxy(parse_hostport(args.to), args.control)
    if not os.path.exists(args.control):
        write_atomic(args.control, "pass\n")
    write_atomic(args.ready, "tcp://127.0.0.1:%d\n" % p.port())
    p.run(args.max_seconds)
    return 0


# ------------------------------------------------------------------ stuck

def sp_header(proto):
    return b"\x00SP\x00" + struct.pack(">H", proto) + b"\x00\x00"


def frame(req_id, body):
    payload = struct.pack(">I", 0x80000000 | req_id) + body
    return struct.pack(">Q", len(payload)) + payload


def cmd_stuck(args):
    to = parse_hostport(args.to)
    socks = []
    sent = 0
    for _ in range(args.count):
        s = socket.create_connection(to, timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    if args.mode != "silent":
        for s in socks:
            s.sendall(sp_header(REQ0))
            sent += 8
    if args.mode == "partial":
        # A length of 1000 bytes, the request id and 10 bytes of body.
        for s in socks:
            s.sendall(struct.pack(">Q", 1000) + struct.pack(">I", 0x80000001) + b"\x0a" * 10)
            sent += 22
    slow = []
    if args.mode == "slow":
        for s in socks:
            slow.append([s, struct.pack(">Q", 600) + struct.pack(">I", 0x80000001) + b"\x0a" * 596, 0])
    replies_pending = 0
    if args.mode == "noread":
        # As many requests as the kernel takes without blocking for long:
        # a one-byte body is not a submission, so the hub answers each one
        # with a refusal, and none of those answers is ever read.
        # The requests go out a thousand at a time: one system call per
        # request made the flood take longer than the test waits for it
        # on a loaded machine, without making it any heavier for the hub.
        for s in socks:
            s.settimeout(0.5)
            rid = 1
            blocked = False
            while not blocked and rid <= args.max_requests:
                n = min(1000, args.max_requests - rid + 1)
                chunk = b"".join(frame(rid + i, b"\x00") for i in range(n))
                off = 0
                while off < len(chunk):
                    try:
                        off += s.send(chunk[off:])
                    except (socket.timeout, BlockingIOError, OSError):
                        blocked = True
                        break
                sent += off
                replies_pending += off // 13
                rid += n
    write_atomic(args.ready, "%d\n" % sent)
    end = time.monotonic() + args.seconds
    parent = os.getppid()
    while time.monotonic() < end and not stopping and os.getppid() == parent:
        if slow:
            for item in slow:
                s, data, off = item
                if off < len(data):
                    try:
                        s.send(data[off:off + 1])
                        item[2] += 1
                        sent += 1
                    except OSError:
                        item[2] = len(data)
            time.sleep(0.2)
        else:
            time.sleep(0.1)
    alive = 0
    for s in socks:
        # A connection the hub closed reads as end-of-file (or a reset).
        try:
            s.setblocking(False)
            alive += 0 if s.recv(1, socket.MSG_PEEK) == b"" else 1
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
        s.close()
    print("faultnet stuck %s: %d connections, %d bytes sent, %d requests unread, "
          "%d still open at the end" % (args.mode, args.count, sent, replies_pending, alive),
          flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("proxy")
    x.add_argument("--to", required=True)
    x.add_argument("--ready", required=True)
    x.add_argument("--control", required=True)
    x.add_argument("--max-seconds", type=float, default=600)
    s = sub.add_parser("stuck")
    s.add_argument("--to", required=True)
    s.add_argument("--mode", required=True, choices=["silent", "partial", "slow", "noread"])
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--seconds", type=float, default=30)
    s.add_argument("--max-requests", type=int, default=200000)
    s.add_argument("--ready", required=True)
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    return {"proxy": cmd_proxy, "stuck": cmd_stuck}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
