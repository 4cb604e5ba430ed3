"""A stand-in for systemd's notification socket (sd_notify(3)) in the
tests: binds an AF_UNIX datagram socket at PATH and appends
every message it receives to OUT, one line per field, until it is
killed. Usage: /usr/bin/python3 notify_recv.py PATH OUT"""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
# The socket exists now: tell the test it may start the daemon.
with open(out + ".bound", "w") as f:
    f.write("bound\n")
while True:
    data = s.recv(4096)
    with open(out, "a") as f:
        f.write(data.decode("utf-8", "replace") + "\n")
        f.flush()
        os.fsync(f.fileno())
