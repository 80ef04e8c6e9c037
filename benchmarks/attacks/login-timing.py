#!/usr/bin/env python3
"""Login timing probe (issue 13, finding 5): does a wrong password for a known name take as long
as one for an unknown name? Usage: login-timing.py PORT N [KNOWN_NAME]. Each attempt comes from an
address of its own in 127.0.10.0-127.0.89.255, so the login throttle's doubling delay is the same
first-failure delay for every attempt. Loopback only; N attempts per name, bounded.
"""
import socket, struct, sys, time, statistics
port = int(sys.argv[1]); n = min(int(sys.argv[2]), 4000)
known = sys.argv[3] if len(sys.argv) > 3 else "alice"
def attempt(user, src):
    s = socket.socket(); s.bind((src, 0)); s.connect(("127.0.0.1", port))
    s.sendall(b"\x05\x01\x02"); assert s.recv(2) == b"\x05\x02"
    u = user.encode(); p = b"wrongpw"
    t = time.perf_counter(); s.sendall(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
    r = s.recv(2); dt = time.perf_counter() - t; s.close(); return dt, r
res = {known: [], "nobody": []}
for i in range(n):
    for name in (known, "nobody"):
        src = "127.0.%d.%d" % ((10 if name == known else 50) + i // 100, 1 + i % 100)
        dt, r = attempt(name, src); res[name].append(dt * 1000)
for name, v in res.items():
    print("%-7s median %.2f ms  p10 %.2f  p90 %.2f  (n=%d)" % (name, statistics.median(v), sorted(v)[len(v)//10], sorted(v)[9*len(v)//10], len(v)))
