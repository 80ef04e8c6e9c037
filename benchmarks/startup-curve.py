#!/usr/bin/env python3
"""The first seconds of a SOCKS server: time from process start to the first answered SOCKS5
greeting, and tunnels per second in each second after the start (the load generator's
connect-rate samples).

Each run is a fresh server process. The load generator is started first, against the port
before anything listens there: a placeholder listener in this script sees its first connection
attempt (so the generator's clock is known), closes without accepting (the generator retries
refused connections every 10 ms), and only then is the server started, at t=0. So the
generator's per-second samples are seconds of the server's life, and the generator's own JVM
start is not counted against the server. Variants are interleaved round by round.

  taskset -c 1 python3 benchmarks/startup-curve.py --rounds 3 \\
      --variant 'ferry=./ferry --listen 127.0.0.1:{port} --access-log off' \\
      --variant 'microsocks=microsocks -i 127.0.0.1 -p {port}'

The server command is run under `taskset -c SERVER_CPU` (default 0), the generator under
`taskset -c CLIENT_CPU` (default 1). The targets run in a separate, already warm process. JSON
lines of every run go to --results; a summary table goes to standard output.
"""
import argparse
import json
import os
import select
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

LG_CLASS = "dev.ferryproxy.benchmarks.load.LoadGenerator"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_targets(jar, client_cpu):
    proc = subprocess.Popen(["taskset", "-c", client_cpu, "java", "-cp", jar, LG_CLASS, "targets"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("TARGETS "):
            return proc, line.split(" ", 1)[1].strip()
    raise SystemExit("targets did not start")


def first_greeting(port, t0, deadline, out):
    """Seconds from t0 to the first SOCKS5 method reply on the port (probes every 1 ms)."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"\x05\x01\x00")
                if len(s.recv(2)) == 2:
                    out.append(time.monotonic() - t0)
                    return
        except OSError:
            pass
        time.sleep(0.001)


def one_run(name, command, args, jar, targets):
    port = free_port()
    placeholder = socket.socket()
    placeholder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    placeholder.bind(("127.0.0.1", port))
    placeholder.listen(64)
    lg = subprocess.Popen(["taskset", "-c", args.client_cpu, "java", "-cp", jar, LG_CLASS, "connect-rate",
                           "--proxy", f"socks5://127.0.0.1:{port}", "--targets", targets,
                           "--concurrency", str(args.concurrency), "--duration", f"{args.duration}s",
                           "--timeout", "20s", "--label", name, "--output", "json"],
                          stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([placeholder], [], [], 60)
    if not ready:
        lg.kill()
        raise SystemExit("the load generator never connected")
    generator_started = time.monotonic()
    placeholder.close()  # queued connections are reset, not accepted: nothing in TIME_WAIT
    t0 = time.monotonic()
    server = subprocess.Popen(["taskset", "-c", args.server_cpu] + shlex.split(command.format(port=port)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    first = []
    prober = threading.Thread(target=first_greeting, args=(port, t0, t0 + 30, first), daemon=True)
    prober.start()
    out, _ = lg.communicate(timeout=args.duration + 60)
    prober.join(5)
    os.killpg(server.pid, signal.SIGTERM)  # our own server's process group (the launcher execs java)
    try:
        _, err = server.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        _, err = server.communicate()
    result = json.loads(out.strip().splitlines()[-1])
    offset = t0 - generator_started  # the generator's clock runs ahead of the server's by this
    samples = [(round(s["t"] - offset, 2), s["value"]) for s in result["samples"]]
    return {"variant": name, "first_greeting_s": first[0] if first else None, "offset_s": round(offset, 4),
            "samples": samples, "errors": result["errors"], "server_stderr_tail": err[-400:]}


def per_second(samples, second):
    """The rate of the sample that ends in (second-0.5, second+0.5]."""
    for t, value in samples:
        if second - 0.5 < t <= second + 0.5:
            return value
    return None


def summarize(run, duration):
    s = [per_second(run["samples"], k) for k in (1, 2, 3)]
    steady_seconds = [per_second(run["samples"], k) for k in range(duration - 2, duration + 1)]
    steady = statistics.mean(v for v in steady_seconds if v is not None)
    return {"first": run["first_greeting_s"], "s1": s[0], "s2": s[1], "s3": s[2], "steady": steady,
            "s3_fraction": (s[2] or 0) / steady if steady else 0,
            "first3_fraction": sum(v or 0 for v in s) / (3 * steady) if steady else 0}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", action="append", required=True, help="NAME=COMMAND with {port}")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--client-cpu", default="1")
    p.add_argument("--jar", default="benchmarks/target/benchmarks.jar")
    p.add_argument("--results", help="append one JSON line per run")
    args = p.parse_args()
    variants = [v.split("=", 1) for v in args.variant]
    targets_proc, targets = start_targets(args.jar, args.client_cpu)
    rows = []
    try:
        for rnd in range(args.rounds):
            for name, command in variants:
                run = one_run(name, command, args, args.jar, targets)
                run["round"] = rnd + 1
                run["summary"] = summarize(run, args.duration)
                rows.append(run)
                if args.results:
                    with open(args.results, "a") as f:
                        f.write(json.dumps(run) + "\n")
                m = run["summary"]
                print(f"round {rnd + 1} {name:>14}: first {m['first']:.3f} s  s1 {m['s1']:.0f}  s2 {m['s2']:.0f}  "
                      f"s3 {m['s3']:.0f}  steady {m['steady']:.0f}  s3/steady {m['s3_fraction']:.2f}  "
                      f"s1-3/steady {m['first3_fraction']:.2f}  errors {run['errors']}", flush=True)
    finally:
        targets_proc.stdin.close()
        targets_proc.wait(10)
    print("\nmedians over rounds")
    for name, _ in variants:
        ms = [r["summary"] for r in rows if r["variant"] == name]
        med = {k: statistics.median(m[k] or 0 for m in ms) for k in ms[0]}
        print(f"{name:>14}: first {med['first']:.3f} s  s1 {med['s1']:.0f}  s2 {med['s2']:.0f}  s3 {med['s3']:.0f}  "
              f"steady {med['steady']:.0f}  s3/steady {med['s3_fraction']:.2f}  s1-3/steady {med['first3_fraction']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
