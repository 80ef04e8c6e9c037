#!/usr/bin/env python3
"""Slow clients against the admin listener (issue 13, finding 3), while a probe asks /health/live.

Usage: admin-slowloris.py HOST:PORT SLOW_CLIENTS SECONDS
Opens SLOW_CLIENTS connections from loopback addresses 127.0.4.1 and up, each sending the start of a
request and then one header byte per second, reopening any the server closes; meanwhile a probe
GETs /health/live every 0.5 s with a 2 s timeout. Prints, per second, how many slow connections
are open, and at the end the probes' answers and latencies. Loopback only, bounded in time.
"""
import socket, sys, time, statistics

host, port = sys.argv[1].rsplit(":", 1); port = int(port)
count = min(int(sys.argv[2]), 2000); seconds = min(float(sys.argv[3]), 120)
slow = {}

def open_slow(i):
    s = socket.socket(); s.setblocking(True)
    s.bind(("127.0.%d.%d" % (4 + i // 250, 1 + i % 250), 0))
    try:
        s.settimeout(1); s.connect((host, port)); s.send(b"GET /health/live HTTP/1.1\r\nX-Slow: "); s.setblocking(False)
        slow[i] = s
    except OSError:
        s.close()

def probe():
    t = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=2) as p:
            p.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            data = p.recv(64)
        return (data.split(b"\r\n")[0].decode() or "closed"), (time.perf_counter() - t) * 1000
    except OSError as e:
        return type(e).__name__, (time.perf_counter() - t) * 1000

for i in range(count):
    open_slow(i)
answers, latencies = {}, []
start = time.time(); last_tick = 0
while time.time() - start < seconds:
    now = time.time()
    if now - last_tick >= 1:
        last_tick = now
        for i in range(count):
            s = slow.get(i)
            if s is None:
                open_slow(i); continue
            try:
                s.send(b"a")
                if s.recv(1, socket.MSG_PEEK) == b"":
                    raise OSError("closed")
            except BlockingIOError:
                pass
            except OSError:
                s.close(); slow.pop(i, None); open_slow(i)
        print("t=%4.1fs slow connections open: %d" % (now - start, len(slow)), flush=True)
    status, ms = probe()
    answers[status] = answers.get(status, 0) + 1
    if status.startswith("HTTP/1.1 200"):
        latencies.append(ms)
    time.sleep(0.5)
print("probe answers:", answers)
if latencies:
    print("200 latency ms: median %.1f, max %.1f (n=%d)" % (statistics.median(latencies), max(latencies), len(latencies)))
for s in slow.values():
    s.close()
