#!/usr/bin/env python3
"""One client against the admission limits (issue 13, finding 4).

Usage: admission-flood.py HOST:PORT KIND COUNT
KIND udp: COUNT UDP ASSOCIATEs from 127.0.20.1, each control connection kept open;
KIND greet: COUNT greeting-only SOCKS5 connections from 127.0.20.1 (no request).
Then a client from 127.0.20.2 does a UDP ASSOCIATE (udp) or a CONNECT to HOST:PORT itself
(greet: any reply code counts as served) and its time is printed. Loopback only, bounded.
"""
import socket, sys, time

host, port = sys.argv[1].rsplit(":", 1); port = int(port)
kind = sys.argv[2]; count = min(int(sys.argv[3]), 30000)
held = []; outcome = {}

def connect_from(src):
    s = socket.socket(); s.bind((src, 0)); s.settimeout(5); s.connect((host, port)); return s

def udp_associate(s):
    s.sendall(b"\x05\x01\x00")
    if s.recv(2) != b"\x05\x00":
        return "greeting refused"
    s.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
    reply = s.recv(10)
    return "reply 0x%02x" % reply[1] if len(reply) >= 2 else "closed"

start = time.time()
for i in range(count):
    try:
        s = connect_from("127.0.20.1")
        if kind == "udp":
            result = udp_associate(s)
        else:
            s.sendall(b"\x05\x01\x00"); r = s.recv(2)
            result = "greeted" if r == b"\x05\x00" else "closed"
        held.append(s)
    except OSError as e:
        result = type(e).__name__
    outcome[result] = outcome.get(result, 0) + 1
print("%d %s attempts from 127.0.20.1 in %.1f s: %s" % (count, kind, time.time() - start, outcome))
t = time.perf_counter()
try:
    other = connect_from("127.0.20.2")
    if kind == "udp":
        print("another client's UDP ASSOCIATE:", udp_associate(other), "in %.1f ms" % ((time.perf_counter() - t) * 1000))
    else:
        other.sendall(b"\x05\x01\x00"); other.recv(2)
        other.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + port.to_bytes(2, "big"))
        print("another client's CONNECT: reply 0x%02x in %.1f ms" % (other.recv(10)[1], (time.perf_counter() - t) * 1000))
except OSError as e:
    print("another client:", type(e).__name__, e)
for s in held:
    s.close()
