#!/usr/bin/env python3
"""Turns compare.sh's raw results into results.md, results.csv, chart.svg and warmup.svg.

    python3 benchmarks/compare_report.py OUT_DIR

OUT_DIR holds machine.txt (key=value facts), servers.txt (key=what that server ran),
raw/WORKLOAD.jsonl (one JSON result per line, as the load generator's --results writes them,
labelled with the server's key) and raw/syscalls-SERVER.txt (strace -c summaries). Standard
library only.
"""
import json
import statistics
import sys
from pathlib import Path

SERVERS = ["direct", "ferry", "ferry-nolog", "ferry-users", "ferry-users-nothrottle", "dante", "dante-users",
           "microsocks", "microsocks-users"]
PEERS = ["dante", "microsocks"]  # without passwords, as Ferry's defaults

# workload: (title, headline figure, unit shown, scale from the figure's unit, higher is better)
WORKLOADS = {
    "throughput-up-1": ("Throughput, 1 stream, up", "gbit_per_s", "Gbit/s", 1, True),
    "throughput-down-1": ("Throughput, 1 stream, down", "gbit_per_s", "Gbit/s", 1, True),
    "throughput-up-8": ("Throughput, 8 streams, up", "gbit_per_s", "Gbit/s", 1, True),
    "throughput-down-8": ("Throughput, 8 streams, down", "gbit_per_s", "Gbit/s", 1, True),
    "connect-rate-16": ("Connect rate, 16 clients", "tunnels_per_s", "tunnels/s", 1, True),
    "connect-rate-128": ("Connect rate, 128 clients", "tunnels_per_s", "tunnels/s", 1, True),
    "request-response": ("Request/response, 64 B, 1 tunnel", "requests_per_s", "requests/s", 1, True),
    "request-response-16": ("Request/response, 64 B, 16 tunnels", "requests_per_s", "requests/s", 1, True),
    "udp-rate": ("UDP echo, 64 B", "datagrams_per_s", "datagrams/s", 1, True),
}
LATENCIES = {
    "connect-rate-16": ["handshake_p50_us", "handshake_p99_us", "handshake_p999_us", "cycle_p50_us",
                        "cycle_p99_us", "cycle_p999_us"],
    "connect-rate-128": ["handshake_p50_us", "handshake_p99_us", "handshake_p999_us", "cycle_p50_us",
                         "cycle_p99_us", "cycle_p999_us"],
    "request-response": ["rtt_p50_us", "rtt_p99_us", "rtt_p999_us"],
    "request-response-16": ["rtt_p50_us", "rtt_p99_us", "rtt_p999_us"],
}
MEMORY = {
    "idle-tunnels": [("rss_bytes_per_tunnel", "RSS per idle tunnel", "KiB", 1 / 1024),
                     ("pss_bytes_per_tunnel", "PSS per idle tunnel", "KiB", 1 / 1024),
                     ("tunnels_open", "tunnels held", "", 1)],
    "slow-reader": [("rss_growth_bytes", "RSS growth, 16 tunnels not reading", "MiB", 1 / 1048576),
                    ("rss_max_bytes", "RSS at most", "MiB", 1 / 1048576),
                    ("bytes_read_after_resume", "bytes read after resuming", "MiB", 1 / 1048576)],
}
COLOURS = {"direct": "#888888", "ferry": "#1f77b4", "ferry-nolog": "#6baed6", "ferry-users": "#08306b",
           "ferry-users-nothrottle": "#4292c6",
           "dante": "#ff7f0e", "dante-users": "#a63603", "microsocks": "#2ca02c", "microsocks-users": "#00441b"}


def load(raw):
    """{workload: [result, ...]} from raw/*.jsonl."""
    results = {}
    for path in sorted(raw.glob("*.jsonl")):
        with path.open() as f:
            results[path.stem] = [json.loads(line) for line in f if line.strip()]
    return results


def runs(results, workload, server, figure):
    return [r["figures"][figure] for r in results.get(workload, [])
            if r["label"] == server and r["figures"].get(figure) is not None]


def median(values):
    return statistics.median(values) if values else None


def fmt(value, digits=3):
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def facts(out):
    path = out / "machine.txt"
    pairs = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def labels(out):
    """{server key: what it ran} from servers.txt (the key itself where it is missing)."""
    return {k: v for k, _, v in (line.partition("=") for line in
                                 (out / "servers.txt").read_text().splitlines()) if k} \
        if (out / "servers.txt").exists() else {}


def syscalls(out, results):
    """{server: {syscall: calls per tunnel}} from raw/syscalls-SERVER.txt (strace -c), with "total"."""
    tunnels = {r["label"]: r["figures"].get("cycles_total") for r in results.get("syscalls", [])}
    per_tunnel = {}
    for path in sorted((out / "raw").glob("syscalls-*.txt")):
        server = path.stem[len("syscalls-"):]
        count = tunnels.get(server)
        if not count:
            continue
        calls = {}
        for line in path.read_text().splitlines():
            fields = line.split()
            # % time, seconds, usecs/call, calls, [errors,] syscall; the total line is summed here
            if len(fields) in (5, 6) and fields[0][0].isdigit() and fields[-1] != "total":
                calls[fields[-1]] = calls.get(fields[-1], 0) + int(fields[3])
        if calls:
            per = {name: c / count for name, c in calls.items()}
            per["total"] = sum(calls.values()) / count
            per_tunnel[server] = per
    return per_tunnel


def warm_from_spawn(results):
    """(samples, steady, the rate of the second ending at 3 s) of the run from Ferry's spawn."""
    runs_ = [r for r in results.get("warmup-from-spawn", []) if r["label"] == "ferry"]
    if not runs_ or not runs_[0]["samples"]:
        return None
    samples = runs_[0]["samples"]
    last = samples[-1]["t"]
    first = samples[0]["t"] - 1
    # Steady: the median of the last third of the run (the JIT has had its seconds of load by then).
    tail = [x["value"] for x in samples if x["t"] >= first + (last - first) * 2 / 3] or [samples[-1]["value"]]
    steady = statistics.median(tail)
    by_three = [x for x in samples if x["t"] <= 3.05]
    at_three = by_three[-1]["value"] if by_three else 0.0
    return samples, steady, at_three, float(runs_[0]["parameters"].get("samples_start_s", "nan"))


def ratio(a, b):
    return a / b if a is not None and b else None


def verdict(value, goal, higher):
    if value is None:
        return "–"
    return "yes" if (value >= goal if higher else value <= goal) else "**no**"


def targets_section(out, results, machine):
    """The issue's targets, each figure and its ratio, from this run."""
    def m(workload, server, figure):
        return median(runs(results, workload, server, figure))

    rows = []

    def row(what, figures, value, goal, higher, shown=None, goal_text=None):
        text = shown if shown is not None else ("–" if value is None else f"{value:.2f}×")
        rows.append(f"| {what} | {figures} | {text} | {'≥' if higher else '≤'} {goal_text or f'{goal:g}×'} | "
                    f"{verdict(value, goal, higher)} |")

    for workload, clients in [("connect-rate-16", 16), ("connect-rate-128", 128)]:
        ferry = m(workload, "ferry", "tunnels_per_s")
        peers = {p: m(workload, p, "tunnels_per_s") for p in PEERS}
        peers = {p: v for p, v in peers.items() if v}
        best = max(peers, key=peers.get) if peers else None
        busy = [(srv, m(workload, srv, "load_cpu_cores")) for srv in ["ferry", best] if srv]
        busy = [f"{srv} {b:.2f}" for srv, b in busy if b is not None]
        row(f"Connect rate, {clients} clients, Ferry's defaults vs the best peer",
            f"ferry {fmt(ferry)}/s; {best or 'no peer'} {fmt(peers.get(best))}/s"
            + (f" (load core busy: {', '.join(busy)}; near 1.0 the generator set the rate)" if busy else ""),
            ratio(ferry, peers.get(best)), 1.4, True)

    for workload, clients in [("connect-rate-16", 16), ("connect-rate-128", 128)]:
        ferry = m(workload, "ferry", "server_cpu_us_per_tunnel")
        direct = m(workload, "direct", "server_cpu_us_per_tunnel")
        row(f"Server CPU per tunnel, {clients} clients, Ferry's defaults vs 2× direct's targets",
            f"ferry {fmt(ferry)} µs; direct's targets {fmt(direct)} µs",
            ratio(ferry, 2 * direct if direct else None), 1.5, False)

    calls = syscalls(out, results)
    for server in ["ferry", "ferry-nolog"]:
        if server in calls:
            total = calls[server]["total"]
            row(f"System calls per tunnel, {server}", f"strace -c over {machine.get('strace_count', '?')} tunnels",
                total, 26, False, f"{total:.1f}", "26")

    for workload, title in [("connect-rate-16", "connect rate, 16 clients"),
                            ("request-response-16", "64 B request/response, 16 tunnels")]:
        on = m(workload, "ferry", WORKLOADS[workload][1])
        off = m(workload, "ferry-nolog", WORKLOADS[workload][1])
        row(f"Access log on (stdout, piped) vs off, {title}", f"on {fmt(on)}/s; off {fmt(off)}/s",
            ratio(on, off), 0.95, True)

    users = m("connect-rate-16", "ferry-users", "tunnels_per_s")
    plain = m("connect-rate-16", "ferry", "tunnels_per_s")
    peers = ", ".join(f"{p} {fmt(m('connect-rate-16', p, 'tunnels_per_s'))}/s"
                      for p in ["dante-users", "microsocks-users"] if m("connect-rate-16", p, "tunnels_per_s"))
    errors = sum(r.get("errors", 0) for r in results.get("connect-rate-16", []) if r["label"] == "ferry-users")
    row("Password logins (bcrypt users file) vs no passwords, connect rate, 16 clients",
        f"ferry-users {fmt(users)}/s ({errors} logins refused); ferry {fmt(plain)}/s" + (f"; {peers}" if peers else ""),
        ratio(users, plain), 0.9, True)
    loose = m("connect-rate-16", "ferry-users-nothrottle", "tunnels_per_s")
    if loose is not None:
        row("Password logins, login throttle off, vs no passwords, connect rate, 16 clients",
            f"ferry-users-nothrottle {fmt(loose)}/s; ferry {fmt(plain)}/s", ratio(loose, plain), 0.9, True)

    ferry = m("udp-rate", "ferry", "datagrams_per_s")
    dante = m("udp-rate", "dante", "datagrams_per_s")
    loss = {srv: udp_loss(results, srv) for srv in ["ferry", "dante"]}
    row(f"UDP ASSOCIATE, defaults, {machine.get('udp_associations', '?')} associations × "
        f"{machine.get('udp_window', '?')} in flight, vs Dante",
        f"ferry {fmt(ferry)}/s (loss {fmt_pct(loss['ferry'])}); dante {fmt(dante)}/s (loss {fmt_pct(loss['dante'])})",
        ratio(ferry, dante), 1.5, True)

    warm = warm_from_spawn(results)
    if warm:
        _, steady, at_three, _ = warm
        row("Warm-up: tunnels/s in the second ending at 3 s after spawn vs steady, 4 clients",
            f"{fmt(at_three)}/s of {fmt(steady)}/s steady", ratio(at_three, steady), 0.8, True,
            "–" if not steady else f"{at_three / steady:.0%}", "80 %")

    for workload in ["throughput-up-1", "throughput-down-1", "throughput-up-8", "throughput-down-8"]:
        ferry = m(workload, "ferry", "gbit_per_s")
        direct = m(workload, "direct", "gbit_per_s")
        if ferry is not None:
            text = "–" if not direct else f"{ferry / direct:.2f}× direct"
            rows.append(f"| {WORKLOADS[workload][0]}, Ferry's defaults | {fmt(ferry)} Gbit/s; direct {fmt(direct)} "
                        f"Gbit/s | {text} | (reported) | |")
    rss = m("idle-tunnels", "ferry", "rss_bytes_per_tunnel")
    row("Memory per idle tunnel, Ferry (RSS)", f"{machine.get('idle_tunnels', '?')} tunnels",
        None if rss is None else rss / 1024, 6, False, "–" if rss is None else f"{rss / 1024:.1f} KiB", "6 KiB")
    return ["## Targets (issue 12)", "",
            "Each figure is the median of this run's interleaved runs; \"peer\" is Dante or microsocks "
            "without passwords, like Ferry's defaults.", "",
            "| target | figures | ratio | goal | met |", "|---|---|---|---|---|"] + rows + [""]


def udp_loss(results, server):
    """Datagrams sent that never came back, as a fraction (the last window in flight counts)."""
    sent = sum(runs(results, "udp-rate", server, "sent_total"))
    echoed = sum(runs(results, "udp-rate", server, "echoed_total"))
    return (sent - echoed) / sent if sent else None


def fmt_pct(value):
    return "–" if value is None else f"{value:.2%}"


def servers_in(results):
    seen = {r["label"] for rs in results.values() for r in rs}
    return [s for s in SERVERS if s in seen] + sorted(seen - set(SERVERS))


def write_csv(out, results, servers):
    lines = ["workload,server,figure,median,unit,ratio_to_direct,runs"]
    for workload, rs in sorted(results.items()):
        figures = sorted({name for r in rs for name in r["figures"]})
        units = {name: r["units"].get(name, "") for r in rs for name in r["figures"]}
        for server in servers:
            for figure in figures:
                values = runs(results, workload, server, figure)
                if not values:
                    continue
                m = median(values)
                direct = median(runs(results, workload, "direct", figure))
                ratio = f"{m / direct:.4f}" if direct else ""
                lines.append(f"{workload},{server},{figure},{m},{units[figure]},{ratio},"
                             + ";".join(str(v) for v in values))
    (out / "results.csv").write_text("\n".join(lines) + "\n")


def write_markdown(out, results, servers, machine):
    proxies = [s for s in servers if s != "direct"]
    md = [f"# SOCKS servers side by side, {machine.get('date', '')[:10]}", ""]
    names = labels(out)
    if machine.get("quick") == "1":
        md += ["**Quick mode: short runs, one repetition. These figures only show that the script works.**", ""]
    md += ["Produced by `benchmarks/compare.sh` (see `benchmarks/README.md`). Each server ran pinned to CPU "
           f"{machine.get('server_cpu', '0')}, the load generator and its targets to CPU {machine.get('load_cpu', '1')}. "
           f"Servers took turns, interleaved, {machine.get('repeat', '?')} time(s); each figure is the median. "
           f"Each run measured {machine.get('duration', '?')} after a {machine.get('run_warmup', '?')} warm-up of the "
           f"generator; Ferry was warmed up for {machine.get('ferry_warmup', '?')} first. Ratios are to direct "
           "loopback (generator straight to the targets) on the same cores.", ""]
    md += ["## Machine", "", "| | |", "|---|---|"]
    for key, label in [("date", "date (UTC)"), ("cpu", "CPU"), ("nproc", "cores (nproc)"), ("kernel", "kernel"),
                       ("java", "Java"), ("java_runtime", "Java runtime"), ("ferry", "Ferry (git)"),
                       ("dante", "Dante (dante-server)"), ("microsocks", "microsocks")]:
        md.append(f"| {label} | {machine.get(key, '?')} |")
    md.append(f"| command | `{machine.get('command', 'benchmarks/compare.sh')}` |")
    md.append("")
    md += ["## What each row ran", "", "| row | server and settings |", "|---|---|"]
    for server in servers:
        md.append(f"| {server} | {names.get(server, server)} |")
    md += ["", "Ferry ran as `java " + (machine.get("ferry_java_opts") or "") + " -jar proxy-app/target/ferry.jar "
           "--listen 127.0.0.1:PORT --dns-server 127.0.0.1:9` plus the row's options; its standard output (the "
           "access log where on) went to a pipe read by `cat` on the server's core.", ""]
    md += targets_section(out, results, machine)

    md += ["## Throughput and rates (median; ratio to direct)", "",
           "| workload | unit | " + " | ".join(servers) + " |", "|---|---|" + "---|" * len(servers)]
    for workload, (title, figure, unit, scale, _) in WORKLOADS.items():
        if workload not in results:
            continue
        direct = median(runs(results, workload, "direct", figure))
        cells = []
        for server in servers:
            m = median(runs(results, workload, server, figure))
            if m is None:
                cells.append("–")
            elif server == "direct" or not direct:
                cells.append(fmt(m * scale))
            else:
                cells.append(f"{fmt(m * scale)} ({m / direct:.2f}×)")
        if workload == "udp-rate":
            title += (f", {machine.get('udp_associations', '?')} associations × {machine.get('udp_window', '?')} "
                      "in flight")
        md.append(f"| {title} | {unit} | " + " | ".join(cells) + " |")
    md.append("")
    udp = [s for s in servers if runs(results, "udp-rate", s, "sent_total")]
    if udp:
        md += ["UDP datagrams lost (sent, never echoed; each run's last window in flight included): "
               + ", ".join(f"{s} {fmt_pct(udp_loss(results, s))}" for s in udp) + ".", ""]

    md += cpu_section(results, servers)
    md += syscall_section(out, results)
    md += spawn_section(results)

    md += ["## Latency (median of the runs' percentiles, µs)", "",
           "| workload | percentile | " + " | ".join(servers) + " |", "|---|---|" + "---|" * len(servers)]
    for workload, figures in LATENCIES.items():
        if workload not in results:
            continue
        for figure in figures:
            cells = [fmt(median(runs(results, workload, s, figure))) for s in servers]
            md.append(f"| {WORKLOADS[workload][0]} | {figure.replace('_us', '')} | " + " | ".join(cells) + " |")
    md.append("")

    proxies = [s for s in proxies if any(runs(results, w, s, f[0]) for w, fs in MEMORY.items() for f in fs)]
    md += ["## Memory (server process tree; fresh server per run)", "",
           "| measure | unit | " + " | ".join(proxies) + " |", "|---|---|" + "---|" * len(proxies)]
    for workload, figures in MEMORY.items():
        if workload not in results:
            continue
        for figure, title, unit, scale in figures:
            cells = []
            for s in proxies:
                m = median(runs(results, workload, s, figure))
                cells.append("–" if m is None else fmt(m * scale))
            md.append(f"| {title} | {unit} | " + " | ".join(cells) + " |")
    md += ["", "Dante forks worker processes that share pages: their RSS adds shared pages more than once, "
           "PSS shares them out. A server with backpressure keeps its RSS flat while clients do not read.", ""]

    warm = [r for r in results.get("warmup", []) if r["label"] == "ferry"]
    if warm:
        md += ["## Ferry's warm-up (first run after start: 1 stream up, Gbit/s per second)", "",
               "![warm-up](warmup.svg)", "", "| second | Gbit/s | |", "|---|---|---|"]
        for s in warm[0]["samples"]:
            md.append(f"| {s['t']} | {fmt(s['value'])} | {'warm-up' if s['warmup'] else 'measured'} |")
        md.append("")
    md += ["## Ratio to direct", "", "![ratio to direct](chart.svg)", ""]

    failed = []
    for workload in list(WORKLOADS) + list(MEMORY) + ["syscalls", "warmup-from-spawn"]:
        for server in servers:
            expected = int(machine.get("repeat", "1") or 1)
            if workload in results and results[workload] and any(r["label"] == server for r in results[workload]):
                got = sum(1 for r in results[workload] if r["label"] == server)
                if got < expected:
                    failed.append(f"{workload}/{server}: {got} of {expected} runs")
            errors = sum(r.get("errors", 0) for r in results.get(workload, []) if r["label"] == server)
            if errors:
                failed.append(f"{workload}/{server}: {errors} failed operation(s)")
    if failed:
        md += ["## Missing runs and errors", ""] + [f"- {f}" for f in failed] + [""]
    md += ["Raw results: `raw/*.jsonl` (one JSON object per run); all medians and runs: `results.csv`.", ""]
    (out / "results.md").write_text("\n".join(md))


def cpu_section(results, servers):
    """Server CPU per tunnel in connect-rate, and whether the generator was the limit."""
    md = ["## CPU per tunnel (connect rate; utime+stime from /proc over the measured window)", "",
          "Server: the server's process tree; for direct, the targets' process (the far side of every "
          "connection, which a proxy has twice over). Generator and targets: the load side, both pinned to "
          "the load core; with the load core near 1.0 busy, the load side rather than the server set the rate.", "",
          "| workload | figure | " + " | ".join(servers) + " |", "|---|---|" + "---|" * len(servers)]
    found = False
    for workload in ["connect-rate-16", "connect-rate-128"]:
        for figure, title in [("server_cpu_us_per_tunnel", "server µs/tunnel"),
                              ("server_cpu_cores", "server cores busy"),
                              ("generator_cpu_us_per_tunnel", "generator µs/tunnel"),
                              ("targets_cpu_us_per_tunnel", "targets µs/tunnel"),
                              ("generator_cpu_cores", "generator cores busy"),
                              ("load_cpu_cores", "load core busy (generator + targets)")]:
            cells = [fmt(median(runs(results, workload, s, figure))) for s in servers]
            found = found or any(c != "–" for c in cells)
            md.append(f"| {WORKLOADS[workload][0]} | {title} | " + " | ".join(cells) + " |")
    return md + [""] if found else []


def syscall_section(out, results):
    calls = syscalls(out, results)
    if not calls:
        return []
    servers = [s for s in SERVERS if s in calls] + sorted(set(calls) - set(SERVERS))
    names = sorted({n for per in calls.values() for n in per if n != "total"},
                   key=lambda n: -max(per.get(n, 0) for per in calls.values()))
    md = ["## System calls per tunnel (strace -c -f, a separate untimed pass; connect rate, 16 clients)", "",
          "Every thread of the server's processes counts (event loops, and the JVM's own threads); for "
          "direct, the targets' process. Types below 0.05 per tunnel in every column are summed in \"other\".", "",
          "| system call | " + " | ".join(servers) + " |", "|---|" + "---|" * len(servers)]
    other = {s: 0.0 for s in servers}
    for name in names:
        if all(calls[s].get(name, 0) < 0.05 for s in servers):
            for s in servers:
                other[s] += calls[s].get(name, 0)
            continue
        md.append(f"| {name} | " + " | ".join(f"{calls[s].get(name, 0):.2f}" for s in servers) + " |")
    md.append("| other | " + " | ".join(f"{other[s]:.2f}" for s in servers) + " |")
    md.append("| **total** | " + " | ".join(f"**{calls[s]['total']:.1f}**" for s in servers) + " |")
    return md + [""]


def spawn_section(results):
    warm = warm_from_spawn(results)
    if not warm:
        return []
    samples, steady, _, start = warm
    md = ["## Ferry from spawn (connect rate, 4 clients; seconds since the process was spawned)", "",
          f"The generator started with the server and began at {start:.2f} s, when the port first accepted; each "
          f"row is the second ending at t. Steady: the median of the last third of the run, {fmt(steady)} tunnels/s.",
          "", "| t (s) | tunnels/s | of steady |", "|---|---|---|"]
    for x in samples:
        md.append(f"| {x['t']} | {fmt(x['value'])} | {x['value'] / steady:.0%} |" if steady else
                  f"| {x['t']} | {fmt(x['value'])} | – |")
    return md + [""]


def svg_text(x, y, text, size=12, anchor="middle", extra=""):
    text = str(text).replace("&", "&amp;").replace("<", "&lt;")
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {extra}>{text}</text>'


def write_chart(out, results, servers):
    """Grouped bars: each workload's headline as a ratio to direct, one bar per proxy."""
    proxies = [s for s in servers if s != "direct"]
    groups = []
    for workload, (title, figure, _, _, _) in WORKLOADS.items():
        direct = median(runs(results, workload, "direct", figure))
        if not direct:
            continue
        ratios = [(s, (median(runs(results, workload, s, figure)) or 0) / direct) for s in proxies]
        groups.append((title, ratios))
    width, height, left, bottom, top = 960, 460, 60, 130, 40
    plot_w, plot_h = width - left - 20, height - bottom - top
    top_ratio = max([1.2] + [r for _, rs in groups for _, r in rs]) * 1.1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif">', f'<rect width="{width}" height="{height}" fill="white"/>',
             svg_text(width / 2, 22, "Ratio to direct loopback (higher is better; 1.0 = as fast as no proxy)", 15)]
    y_of = lambda v: top + plot_h - v / top_ratio * plot_h  # noqa: E731
    step = 0.25 if top_ratio <= 2 else 0.5
    v = 0.0
    while v <= top_ratio:
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y_of(v):.1f}" y2="{y_of(v):.1f}" '
                     f'stroke="{"#333" if v == 1.0 else "#ddd"}"/>')
        parts.append(svg_text(left - 6, y_of(v) + 4, f"{v:.2f}", 11, "end"))
        v += step
    if groups:
        group_w = plot_w / len(groups)
        bar_w = group_w * 0.8 / max(1, len(proxies))
        for i, (title, ratios) in enumerate(groups):
            x0 = left + i * group_w + group_w * 0.1
            for j, (server, ratio) in enumerate(ratios):
                x = x0 + j * bar_w
                parts.append(f'<rect x="{x:.1f}" y="{y_of(ratio):.1f}" width="{bar_w - 2:.1f}" '
                             f'height="{top + plot_h - y_of(ratio):.1f}" fill="{COLOURS.get(server, "#999")}">'
                             f'<title>{server}: {ratio:.2f}</title></rect>')
                if ratio > 0:
                    parts.append(svg_text(x + bar_w / 2, y_of(ratio) - 3, f"{ratio:.2f}", 9))
            cx = left + i * group_w + group_w / 2
            parts.append(svg_text(cx, top + plot_h + 14, title, 11, "end",
                                  f'transform="rotate(-30 {cx:.1f} {top + plot_h + 14:.1f})"'))
    for j, server in enumerate(proxies):
        x = left + 10 + j * 130
        parts.append(f'<rect x="{x}" y="{height - 22}" width="12" height="12" fill="{COLOURS.get(server, "#999")}"/>')
        parts.append(svg_text(x + 18, height - 12, server, 12, "start"))
    parts.append("</svg>")
    (out / "chart.svg").write_text("\n".join(parts) + "\n")


def write_warmup(out, results):
    """Ferry's per-second throughput from its first run: the JIT's warm-up curve."""
    warm = [r for r in results.get("warmup", []) if r["label"] == "ferry"]
    samples = warm[0]["samples"] if warm else []
    width, height, left, bottom, top = 720, 320, 60, 50, 40
    plot_w, plot_h = width - left - 20, height - bottom - top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             svg_text(width / 2, 22, "Ferry's first run after start: Gbit/s per second (1 stream up)", 15)]
    if samples:
        t_max = max(s["t"] for s in samples) or 1
        v_max = max(s["value"] for s in samples) * 1.15 or 1
        x_of = lambda t: left + t / t_max * plot_w  # noqa: E731
        y_of = lambda v: top + plot_h - v / v_max * plot_h  # noqa: E731
        parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#333"/>')
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
        for k in range(5):
            v = v_max * k / 4
            parts.append(svg_text(left - 6, y_of(v) + 4, f"{v:.1f}", 11, "end"))
        for s in samples:
            parts.append(svg_text(x_of(s["t"]), top + plot_h + 16, f"{s['t']:.0f}", 10))
        points = " ".join(f"{x_of(s['t']):.1f},{y_of(s['value']):.1f}" for s in samples)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{COLOURS["ferry"]}" stroke-width="2"/>')
        for s in samples:
            parts.append(f'<circle cx="{x_of(s["t"]):.1f}" cy="{y_of(s["value"]):.1f}" r="3" '
                         f'fill="{COLOURS["ferry"] if not s["warmup"] else "white"}" stroke="{COLOURS["ferry"]}"/>')
        parts.append(svg_text(left + plot_w / 2, height - 8, "seconds since the first byte (open: warm-up)", 11))
    else:
        parts.append(svg_text(width / 2, height / 2, "no warm-up run recorded", 13))
    parts.append("</svg>")
    (out / "warmup.svg").write_text("\n".join(parts) + "\n")


def main():
    out = Path(sys.argv[1])
    results = load(out / "raw")
    servers = servers_in(results)
    machine = facts(out)
    write_csv(out, results, servers)
    write_markdown(out, results, servers, machine)
    write_chart(out, results, servers)
    write_warmup(out, results)


if __name__ == "__main__":
    main()
