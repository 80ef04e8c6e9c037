#!/usr/bin/env bash
# limits-cost.sh: what issue 14's limits cost, side by side in one run. Three Ferry servers with the
# same bcrypt users file (ferry passwd): no limits; limits on every user kept locally; the same
# limits shared through a redis-server (on the server's core, as a sidecar would be). The limits
# (tunnels, connections per second, bandwidth both ways, a monthly quota) are far above what the
# run uses, so every check and charge runs and none refuses or pauses.
#
# Per round, in rotating order: connect rate with the C client (benchmarks/c/connect-rate.c,
# 16 clients, each doing connect, greeting, RFC 1929 login, CONNECT, 64 B echo, close) and bulk
# throughput with the load generator (one stream down, one up). Servers pinned to SERVER_CPU, load
# and targets to LOAD_CPU. Medians of REPEAT rounds, ratios to the no-limits server and to direct
# loopback (the same clients straight to the targets) measured in the same rounds; CPU per tunnel from
# /proc (the server's, plus Redis' for the Redis row).
#
# Settings (environment): REPEAT (3), DURATION (5 s), WARMUP (2 s, per run), FERRY_WARMUP (10 s),
# SERVER_CPU (0), LOAD_CPU (1), OUT (benchmarks/target/limits-cost.md). Needs cc, taskset, python3,
# redis-server, and benchmarks/target/benchmarks.jar and proxy-app/target/ferry.jar
# (mvn -B -DskipTests package). Every port is on 127.0.0.1, below the ephemeral range; every run is
# bounded by WARMUP + DURATION.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FERRY_JAR=$ROOT/proxy-app/target/ferry.jar
BENCH_JAR=$ROOT/benchmarks/target/benchmarks.jar
GENERATOR=dev.ferryproxy.benchmarks.load.LoadGenerator
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
FERRY_WARMUP=${FERRY_WARMUP:-10}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-$ROOT/benchmarks/target/limits-cost.md}
mkdir -p "$(dirname "$OUT")"
COMMAND="benchmarks/limits-cost.sh"
for setting in REPEAT DURATION WARMUP FERRY_WARMUP SERVER_CPU LOAD_CPU; do
    [[ -n ${!setting+set} ]] && COMMAND="$setting=${!setting} $COMMAND"
done
for file in "$FERRY_JAR" "$BENCH_JAR"; do
    [[ -f $file ]] || { echo "limits-cost.sh: $file is missing; build first: mvn -B -DskipTests package" >&2; exit 2; }
done
command -v redis-server >/dev/null || { echo "limits-cost.sh: redis-server is not installed" >&2; exit 2; }

WORK=$(mktemp -d)
STARTED_PIDS=()
cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
await_port() {
    local i
    for ((i = 0; i < 300; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "limits-cost.sh: nothing accepts on 127.0.0.1:$1" >&2
    tail -n 20 "$WORK"/*.log >&2 2>/dev/null || true
    return 1
}

cc -O2 -Wall -o "$WORK/connect-rate" "$ROOT/benchmarks/c/connect-rate.c"
USER_NAME=bench
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
echo "$PASSWORD" | java -jar "$FERRY_JAR" passwd "$USER_NAME" >"$WORK/users"

ECHO_PORT=21100
taskset -c "$LOAD_CPU" "$WORK/connect-rate" echo "$ECHO_PORT" >"$WORK/echo.out" &
STARTED_PIDS+=($!)
ECHO_PID=$!
await_port "$ECHO_PORT"

# The generator's targets (source and sink for the throughput runs), on the load core.
mkfifo "$WORK/targets.stdin"
exec 7<>"$WORK/targets.stdin"
taskset -c "$LOAD_CPU" java -cp "$BENCH_JAR" "$GENERATOR" targets <&7 >"$WORK/targets.out" 2>&1 &
STARTED_PIDS+=($!)
for ((i = 0; i < 150; i++)); do
    grep -q "^TARGETS " "$WORK/targets.out" 2>/dev/null && break
    sleep 0.1
done
TARGETS=$(sed -n 's/^TARGETS //p' "$WORK/targets.out")
[[ -n $TARGETS ]] || { echo "limits-cost.sh: the targets did not start" >&2; cat "$WORK/targets.out" >&2; exit 1; }

REDIS_PORT=21150
taskset -c "$SERVER_CPU" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    >"$WORK/redis.log" 2>&1 &
STARTED_PIDS+=($!)
REDIS_PID=$!
await_port "$REDIS_PORT"

SERVERS=(limits-off limits-local limits-redis)
declare -A PORT SERVER_PID
# direct: the same clients straight to the targets, no proxy (the CPU column is the echo target's)
PORT[direct]=0
SERVER_PID[direct]=$ECHO_PID
port=21110
for name in "${SERVERS[@]}"; do
    config=$WORK/$name.yaml
    printf 'auth:\n  required: true\n  usersFile: "%s"\n' "$WORK/users" >"$config"
    if [[ $name != limits-off ]]; then
        printf '%s\n' "limits:" "  default:" "    tunnels: 100000" "    connectionsPerSecond: 1000000" \
            "    uploadBytesPerSecond: 100GiB" "    downloadBytesPerSecond: 100GiB" \
            "    quota: { bytes: 1000TiB, period: month }" >>"$config"
    fi
    if [[ $name == limits-redis ]]; then
        printf 'cluster:\n  redis: redis://127.0.0.1:%s\n' "$REDIS_PORT" >>"$config"
    fi
    PORT[$name]=$port
    # The access log (standard output) into a pipe that is read, as under a container runtime.
    mkfifo "$WORK/$name.stdout"
    taskset -c "$SERVER_CPU" cat <"$WORK/$name.stdout" >/dev/null &
    STARTED_PIDS+=($!)
    taskset -c "$SERVER_CPU" java -Xmn16m -jar "$FERRY_JAR" --config "$config" --listen "127.0.0.1:$port" \
        --dns-server 127.0.0.1:9 >"$WORK/$name.stdout" 2>"$WORK/$name.log" &
    STARTED_PIDS+=($!)
    SERVER_PID[$name]=$!
    await_port "$port"
    port=$((port + 1))
done

cpu_ticks() { # PID...: user + system clock ticks used so far by these processes, all threads
    local pid total=0 fields
    for pid in "$@"; do
        read -ra fields <"/proc/$pid/stat"
        # fields 14 and 15 (utime, stime), counted after the command name, which has no spaces here
        total=$((total + fields[13] + fields[14]))
    done
    echo "$total"
}

connect_rate() { # NAME WARMUP DURATION: one JSON line
    taskset -c "$LOAD_CPU" "$WORK/connect-rate" run "$ECHO_PORT" "${PORT[$1]}" 16 "$2" "$3" "$USER_NAME" "$PASSWORD"
}
proxy_of() { # NAME: the load generator's --proxy
    if [[ $1 == direct ]]; then echo direct; else echo "socks5://$USER_NAME:$PASSWORD@127.0.0.1:${PORT[$1]}"; fi
}

throughput() { # NAME DIRECTION: one JSON line
    taskset -c "$LOAD_CPU" java -cp "$BENCH_JAR" "$GENERATOR" throughput --targets "$TARGETS" \
        --proxy "$(proxy_of "$1")" --streams 1 --direction "$2" \
        --warmup "${WARMUP}s" --duration "${DURATION}s" --output json 2>>"$WORK/generator.err" | tail -n 1
}

for name in "${SERVERS[@]}"; do
    log "warming $name up for ${FERRY_WARMUP}s"
    connect_rate "$name" 0 "$FERRY_WARMUP" >/dev/null
    throughput "$name" down >/dev/null
done

RESULTS=${OUT%.md}.csv
echo "round,server,connect_per_s,connect_errors,cpu_us_per_tunnel,down_gbit_s,up_gbit_s" >"$RESULTS"
MEASURED=(direct "${SERVERS[@]}")
for ((round = 1; round <= REPEAT; round++)); do
    n=${#MEASURED[@]}
    for ((i = 0; i < n; i++)); do
        name=${MEASURED[$(((i + round - 1) % n))]}
        log "round $round: $name"
        connect_rate "$name" 0 "$WARMUP" >/dev/null
        # the server's CPU (and Redis', which serves only limits-redis) over the measured run
        charged=("${SERVER_PID[$name]}")
        [[ $name == limits-redis ]] && charged+=("$REDIS_PID")
        before=$(cpu_ticks "${charged[@]}")
        rate=$(connect_rate "$name" 0 "$DURATION")
        cpu=$(($(cpu_ticks "${charged[@]}") - before))
        down=$(throughput "$name" down)
        up=$(throughput "$name" up)
        python3 - "$round" "$name" "$rate" "$down" "$up" "$cpu" "$(getconf CLK_TCK)" >>"$RESULTS" <<'PY'
import json, sys
rnd, name, rate, down, up, cpu, hz = sys.argv[1:8]
def figure(line, key):
    def find(node):
        if isinstance(node, dict):
            if key in node:
                value = node[key]
                return value["value"] if isinstance(value, dict) else value
            for child in node.values():
                found = find(child)
                if found is not None:
                    return found
        if isinstance(node, list):
            for child in node:
                found = find(child)
                if found is not None:
                    return found
        return None
    return find(json.loads(line))
r = json.loads(rate)
cpu_us = int(cpu) / int(hz) * 1e6 / max(1, r["tunnels"])
print(f'{rnd},{name},{r["tunnels_per_second"]},{r["errors"]},{cpu_us:.1f},{figure(down, "gbit_per_s"):.3f},{figure(up, "gbit_per_s"):.3f}')
PY
    done
done

python3 - "$RESULTS" "$OUT" "$COMMAND" "$(nproc)" "$(uname -r)" <<'PY'
import csv, statistics, sys
results, out, command, cores, kernel = sys.argv[1:6]
rows = list(csv.DictReader(open(results)))
servers = ["direct", "limits-off", "limits-local", "limits-redis"]
labels = {"direct": "direct loopback, no proxy (CPU: the echo target's)", "limits-off": "users file, no limits", "limits-local": "users file, limits on every user (local)",
          "limits-redis": "the same limits shared through Redis (Redis on the server's core)"}
med = {s: {k: statistics.median(float(r[k]) for r in rows if r["server"] == s)
           for k in ("connect_per_s", "cpu_us_per_tunnel", "down_gbit_s", "up_gbit_s")} for s in servers}
errors = {s: sum(int(r["connect_errors"]) for r in rows if r["server"] == s) for s in servers}
lines = [f"# Cost of the limits (issue 14)", "", f"`{command}`, {cores} cores, kernel {kernel}; medians of "
         f"{len(rows) // len(servers)} rounds; ratios to the server without limits, and to direct loopback in the "
         f"last columns. CPU per tunnel: the server's user and system time (and Redis' for the Redis row) over the "
         f"connect-rate run, divided by its tunnels. Raw runs: {results.split('/')[-1]}.", "",
         "| server | connect rate, 16 clients (/s) | ratio | of direct | CPU per tunnel (µs) | 1 stream down (Gbit/s) | ratio | of direct | 1 stream up (Gbit/s) | ratio | of direct | connect errors |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
base, direct = med["limits-off"], med["direct"]
for s in servers:
    m = med[s]
    cells = [labels[s], f"{m['connect_per_s']:,.0f}", f"{m['connect_per_s'] / base['connect_per_s']:.2f}",
             f"{m['connect_per_s'] / direct['connect_per_s']:.2f}", f"{m['cpu_us_per_tunnel']:.0f}"]
    for key in ("down_gbit_s", "up_gbit_s"):
        cells += [f"{m[key]:.2f}", f"{m[key] / base[key]:.2f}", f"{m[key] / direct[key]:.2f}"]
    cells.append(str(errors[s]))
    lines.append("| " + " | ".join(cells) + " |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
