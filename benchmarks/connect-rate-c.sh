#!/usr/bin/env bash
# connect-rate-c.sh: new SOCKS5 tunnels per second with a C client (benchmarks/c/connect-rate.c)
# instead of the Java load generator, which on the load core it shares with its targets tops out
# near 6,000 tunnels/s: below direct loopback and close to the proxies, so that its ratios said
# more about the generator than about the servers. The setup is the issue's: each server pinned
# to SERVER_CPU, the C client and a C echo target on LOAD_CPU; 16 and 128 clients, each doing
# connect, SOCKS5 greeting (and RFC 1929 login for the -users rows), CONNECT, 64 B echo, close.
# REPEAT rounds in rotating order; medians; server CPU per tunnel from /proc (utime+stime of the
# server's processes, and for direct loopback of the echo target: the target side alone).
#
# Rows: direct, ferry (defaults: JSON access log on standard output, read from a pipe on the
# server's core), ferry-uring (the same with --transport io_uring), ferry-nolog (--access-log off),
# ferry-users (a bcrypt users file made by
# `ferry passwd`, the default throttle and login cache), microsocks, microsocks-users (-u -P),
# dante (socksmethod none), and for issue 14's limits ferry-limits-users (ferry-users with a limit
# on every user: tunnels, connections per second, bandwidth and a quota, all far above what the run
# uses, so that every check and charge runs and none refuses) and ferry-redis-users (the same
# limits shared through a redis-server the script starts on 127.0.0.1:21050). Ferry runs as the jar with FERRY_JAVA_OPTS (default -Xmn16m) and is
# warmed up for FERRY_WARMUP seconds first (its JIT).
#
# Settings (environment): REPEAT (3), DURATION (5 s), WARMUP (2 s, per run), FERRY_WARMUP (12 s),
# WARMUP_WINDOW (0.5 s) and WARMUP_SPAN (6 s) for the warm-up from spawn (below),
# SERVERS, SERVER_CPU (0), LOAD_CPU (1), OUT (benchmarks/target/connect-rate-c.md).
# Needs cc, taskset, python3; microsocks and danted are left out when not installed. Every port is
# on 127.0.0.1; every run is bounded by WARMUP + DURATION.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FERRY_JAR=$ROOT/proxy-app/target/ferry.jar
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
FERRY_WARMUP=${FERRY_WARMUP:-12}
WARMUP_WINDOW=${WARMUP_WINDOW:-0.5}
WARMUP_SPAN=${WARMUP_SPAN:-6}
SERVERS=${SERVERS:-"direct ferry ferry-uring ferry-nolog ferry-users microsocks microsocks-users dante"}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-$ROOT/benchmarks/target/connect-rate-c.md}
mkdir -p "$(dirname "$OUT")"
FERRY_JAVA_OPTS=${FERRY_JAVA_OPTS:--Xmn16m}
COMMAND="benchmarks/connect-rate-c.sh"
for setting in REPEAT DURATION WARMUP FERRY_WARMUP WARMUP_WINDOW WARMUP_SPAN SERVERS SERVER_CPU LOAD_CPU FERRY_JAVA_OPTS; do
    if [[ -n ${!setting+set} ]]; then
        COMMAND="$setting=$(printf '%q' "${!setting}") $COMMAND"
    fi
done
[[ -f $FERRY_JAR ]] || { echo "connect-rate-c.sh: $FERRY_JAR is missing; build first: mvn -B -DskipTests package" >&2; exit 2; }

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

cc -O2 -Wall -o "$WORK/connect-rate" "$ROOT/benchmarks/c/connect-rate.c"
CLIENT=$WORK/connect-rate
USER_NAME=bench
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')

# Ports below the ephemeral range (32768-60999), so that no client's port can collide with them.
ECHO_PORT=21000
taskset -c "$LOAD_CPU" "$CLIENT" echo "$ECHO_PORT" >"$WORK/echo.out" &
ECHO_PID=$!
STARTED_PIDS+=("$ECHO_PID")

await_port() {
    local i
    for ((i = 0; i < 300; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "connect-rate-c.sh: nothing accepts on 127.0.0.1:$1" >&2
    tail -n 20 "$WORK"/*.log >&2 2>/dev/null || true
    return 1
}
await_port "$ECHO_PORT"

# The limits' shared store for ferry-redis-users, on the server's core (as a sidecar would be).
REDIS_PORT=21050
start_redis() {
    taskset -c "$SERVER_CPU" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
        >"$WORK/redis.log" 2>&1 &
    STARTED_PIDS+=($!)
    REDIS_PID=$!
    await_port "$REDIS_PORT"
}

declare -A PORT PID
have() {
    case $1 in
        microsocks*) command -v microsocks >/dev/null ;;
        dante) command -v danted >/dev/null ;;
        ferry-redis-users) command -v redis-server >/dev/null ;;
        *) true ;;
    esac
}

start_server() {
    local name=$1 port=$2
    PORT[$name]=$port
    case $name in
        direct) return 0 ;;
        ferry | ferry-uring | ferry-nolog | ferry-users | ferry-limits-users | ferry-redis-users)
            local args=(--listen "127.0.0.1:$port" --dns-server 127.0.0.1:9)
            case $name in
                ferry-nolog) args+=(--access-log off) ;;
                ferry-uring) args+=(--transport io_uring) ;;
                ferry-users | ferry-limits-users | ferry-redis-users)
                    echo "$PASSWORD" | java -jar "$FERRY_JAR" passwd "$USER_NAME" >"$WORK/users"
                    printf 'auth:\n  required: true\n  usersFile: "%s"\n' "$WORK/users" >"$WORK/$name.yaml"
                    if [[ $name != ferry-users ]]; then
                        printf '%s\n' "limits:" "  default:" "    tunnels: 100000" "    connectionsPerSecond: 1000000" \
                            "    uploadBytesPerSecond: 100GiB" "    downloadBytesPerSecond: 100GiB" \
                            "    quota: { bytes: 1000TiB, period: month }" >>"$WORK/$name.yaml"
                    fi
                    if [[ $name == ferry-redis-users ]]; then
                        start_redis
                        printf 'cluster:\n  redis: redis://127.0.0.1:%s\n' "$REDIS_PORT" >>"$WORK/$name.yaml"
                    fi
                    args+=(--config "$WORK/$name.yaml") ;;
            esac
            # Standard output (the access log) into a pipe that is read, as under a container runtime.
            mkfifo "$WORK/$name.stdout"
            taskset -c "$SERVER_CPU" cat <"$WORK/$name.stdout" >/dev/null &
            STARTED_PIDS+=($!)
            # shellcheck disable=SC2086 # FERRY_JAVA_OPTS is a list of JVM flags
            taskset -c "$SERVER_CPU" java $FERRY_JAVA_OPTS -jar "$FERRY_JAR" "${args[@]}" \
                >"$WORK/$name.stdout" 2>"$WORK/$name.log" &
            ;;
        microsocks)
            taskset -c "$SERVER_CPU" microsocks -i 127.0.0.1 -p "$port" >"$WORK/$name.log" 2>&1 & ;;
        microsocks-users)
            taskset -c "$SERVER_CPU" microsocks -i 127.0.0.1 -p "$port" -u "$USER_NAME" -P "$PASSWORD" \
                >"$WORK/$name.log" 2>&1 & ;;
        dante)
            # Dante wants its settings (user.*) before the first rule.
            printf '%s\n' "logoutput: stderr" "internal: 127.0.0.1 port = $port" "external: 127.0.0.1" \
                "clientmethod: none" "socksmethod: none" >"$WORK/dante.conf"
            if [[ $(id -u) == 0 ]]; then
                printf 'user.privileged: root\nuser.unprivileged: nobody\n' >>"$WORK/dante.conf"
            fi
            printf '%s\n' "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }" \
                "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }" >>"$WORK/dante.conf"
            taskset -c "$SERVER_CPU" danted -f "$WORK/dante.conf" -p "$WORK/dante.pid" >"$WORK/$name.log" 2>&1 & ;;
    esac
    PID[$name]=$!
    STARTED_PIDS+=($!)
    await_port "$port"
}

# CPU seconds (utime+stime, in clock ticks) of a server: Dante forks, so all of its processes;
# for direct loopback, the echo target's.
cpu_ticks() {
    local name=$1 pids
    case $name in
        direct) pids=$ECHO_PID ;;
        dante) pids=$(pgrep -x danted | tr '\n' ' ') ;;
        ferry-redis-users) pids="${PID[$name]} $REDIS_PID" ;;   # Redis' CPU is the fleet's cost too
        *) pids=${PID[$name]} ;;
    esac
    local total=0 pid fields
    for pid in $pids; do
        if fields=$(cut -d')' -f2 "/proc/$pid/stat" 2>/dev/null); then
            read -r -a f <<<"$fields"
            total=$((total + f[11] + f[12]))
        fi
    done
    echo "$total"
}

run_client() {
    local name=$1 clients=$2 warmup=$3 duration=$4 proxy=0 creds=()
    [[ $name == direct ]] || proxy=${PORT[$name]}
    [[ $name == *-users ]] && creds=("$USER_NAME" "$PASSWORD")
    taskset -c "$LOAD_CPU" "$CLIENT" run "$ECHO_PORT" "$proxy" "$clients" "$warmup" "$duration" "${creds[@]}"
}

ACTIVE=()
port=21010
for s in $SERVERS; do
    if have "$s"; then
        start_server "$s" "$port"
        ACTIVE+=("$s")
        port=$((port + 1))
    else
        log "$s: not installed, left out"
    fi
done
for s in "${ACTIVE[@]}"; do
    if [[ $s == ferry* ]]; then
        log "warming $s up for ${FERRY_WARMUP}s"
        run_client "$s" 16 0 "$FERRY_WARMUP" >/dev/null
    fi
done

TICKS=$(getconf CLK_TCK)
RESULTS=${OUT%.md}.csv # the raw runs, kept next to the summary
echo "round,clients,server,tunnels_per_second,errors,cpu_us_per_tunnel" >"$RESULTS"
for ((round = 1; round <= REPEAT; round++)); do
    for clients in 16 128; do
        # Rotate the order each round, so that no server always runs first or last.
        n=${#ACTIVE[@]}
        for ((i = 0; i < n; i++)); do
            s=${ACTIVE[$(((i + round - 1) % n))]}
            log "round $round, $clients clients: $s"
            # The warm-up part of the run is not counted, nor its CPU: CPU is read around a second
            # run of exactly DURATION seconds that follows it on warm connections.
            run_client "$s" "$clients" 0 "$WARMUP" >/dev/null
            before=$(cpu_ticks "$s")
            line=$(run_client "$s" "$clients" 0 "$DURATION")
            after=$(cpu_ticks "$s")
            python3 - "$line" "$round" "$clients" "$s" "$before" "$after" "$TICKS" >>"$RESULTS" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
rnd, clients, server, before, after, ticks = sys.argv[2:8]
tunnels = r["tunnels"]
cpu_us = (int(after) - int(before)) / int(ticks) * 1e6
per = cpu_us / tunnels if tunnels else float("nan")
print(f'{rnd},{clients},{server},{r["tunnels_per_second"]},{r["errors"]},{per:.1f}')
PY
        done
    done
done

# Warm-up from spawn: a fresh Ferry with its defaults, started the way an operator starts it from a
# checkout (./ferry: AppCDS archive, -Xmn16m), its archive made beforehand. From the moment of the
# spawn, 4 clients run in windows of WARMUP_WINDOW seconds until WARMUP_SPAN seconds have passed; the
# steady rate is the same 4 clients for DURATION seconds after FERRY_WARMUP seconds of load. The C
# client has no JIT of its own, so the curve is Ferry's alone.
WARMUP_CSV=${OUT%.md}-warmup.csv
echo "seconds_since_spawn,tunnels_per_second" >"$WARMUP_CSV"
if [[ " ${ACTIVE[*]} " == *" ferry "* ]]; then
    FERRY_CDS=make "$ROOT/ferry" >/dev/null 2>&1 || log "./ferry could not make its AppCDS archive; the warm-up runs without"
    log "warm-up from spawn: ./ferry, 4 clients, ${WARMUP_WINDOW}s windows for ${WARMUP_SPAN}s"
    spawn_ns=$(date +%s%N)
    taskset -c "$SERVER_CPU" "$ROOT/ferry" --listen "127.0.0.1:$port" --dns-server 127.0.0.1:9 >/dev/null 2>"$WORK/warmup.log" &
    WARM_PID=$!
    STARTED_PIDS+=("$WARM_PID")
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        (( $(date +%s%N) - spawn_ns < 30000000000 )) || { echo "connect-rate-c.sh: ./ferry did not listen within 30 s" >&2; exit 1; }
        sleep 0.01
    done
    echo "listening,$(( ($(date +%s%N) - spawn_ns) / 1000000 ))" >"$WORK/warmup-listening"
    PORT[warmup]=$port
    while (( $(date +%s%N) - spawn_ns < ${WARMUP_SPAN%.*} * 1000000000 )); do
        line=$(taskset -c "$LOAD_CPU" "$CLIENT" run "$ECHO_PORT" "$port" 4 0 "$WARMUP_WINDOW")
        end_ms=$(( ($(date +%s%N) - spawn_ns) / 1000000 ))
        python3 -c 'import json,sys; print("%.3f,%s" % (int(sys.argv[2]) / 1000, json.loads(sys.argv[1])["tunnels_per_second"]))' \
            "$line" "$end_ms" >>"$WARMUP_CSV"
    done
    taskset -c "$LOAD_CPU" "$CLIENT" run "$ECHO_PORT" "$port" 4 0 "$FERRY_WARMUP" >/dev/null
    line=$(taskset -c "$LOAD_CPU" "$CLIENT" run "$ECHO_PORT" "$port" 4 0 "$DURATION")
    python3 -c 'import json,sys; print("steady,%s" % json.loads(sys.argv[1])["tunnels_per_second"])' "$line" >>"$WARMUP_CSV"
    kill "$WARM_PID"
    wait "$WARM_PID" 2>/dev/null || true
fi

python3 - "$RESULTS" "$OUT" "$COMMAND" "$REPEAT" "$DURATION" "$WARMUP_CSV" "$WORK/warmup-listening" <<'PY'
import csv, statistics, sys, datetime, platform, os
results, out, command, repeat, duration, warmup_csv, listening_file = sys.argv[1:8]
rows = list(csv.DictReader(open(results)))
def med(xs): return statistics.median(xs) if xs else float("nan")
servers = list(dict.fromkeys(r["server"] for r in rows))
lines = [f"# Connect rate with the C client, {datetime.date.today()}", "",
         f"Command: `{command}` ({repeat} rounds of {duration} s per server and client count, rotating order;"
         " medians). Server on one core, the C client and its echo target on the other.", "",
         f"Machine: {os.cpu_count()} cores, {platform.platform()}.", ""]
peers = [s for s in servers if s.startswith(("microsocks", "dante")) and not s.endswith("-users")]
user_peers = [s for s in servers if s.startswith(("microsocks", "dante")) and s.endswith("-users")]
for clients in ("16", "128"):
    lines += [f"## {clients} clients", "",
              "| server | tunnels/s (median) | runs | ratio to direct | server CPU per tunnel (µs) | errors |",
              "|---|---|---|---|---|---|"]
    tps = {}
    for s in servers:
        rs = [r for r in rows if r["server"] == s and r["clients"] == clients]
        tps[s] = med([float(r["tunnels_per_second"]) for r in rs])
        cpu = med([float(r["cpu_us_per_tunnel"]) for r in rs])
        runs = ", ".join(f'{float(r["tunnels_per_second"]):,.0f}' for r in rs)
        errors = sum(int(r["errors"]) for r in rs)
        direct = tps.get("direct")
        ratio = f"{tps[s] / direct:.2f}" if direct else ""
        lines.append(f"| {s} | {tps[s]:,.0f} | {runs} | {ratio} | {cpu:.0f} | {errors} |")
    best = max(peers, key=lambda p: tps.get(p, 0), default=None)
    best_users = max(user_peers, key=lambda p: tps.get(p, 0), default=None)
    lines.append("")
    for s in servers:
        peer = best_users if s.endswith("-users") else best
        if s.startswith("ferry") and peer and tps.get(peer):
            lines.append(f"- {s}: {tps[s] / tps[peer]:.2f}x {peer}, the best peer"
                         f" {'with' if s.endswith('-users') else 'without'} passwords")
    if True:
        if "ferry-users" in tps and "ferry" in tps:
            lines.append(f"- ferry-users: {tps['ferry-users'] / tps['ferry']:.2f}x ferry (the same defaults, no password)")
        lines.append("")
warm = list(csv.reader(open(warmup_csv)))[1:]
if warm:
    listening = open(listening_file).read().split(",")[1].strip() if os.path.exists(listening_file) else "?"
    steady = float(next(r[1] for r in warm if r[0] == "steady"))
    curve = [(float(t), float(r)) for t, r in warm if t != "steady"]
    lines += ["## Warm-up from spawn (./ferry, defaults, 4 clients)", "",
              f"Listening {int(listening) / 1000:.2f} s after the spawn. Steady: {steady:,.0f} tunnels/s.", "",
              "| window ending at (s after spawn) | tunnels/s | share of steady |", "|---|---|---|"]
    lines += [f"| {t:.2f} | {r:,.0f} | {r / steady:.0%} |" for t, r in curve]
    at3 = [r for t, r in curve if t <= 3.0]
    if at3:
        lines += ["", f"- In the last window that ended by 3 s: {at3[-1] / steady:.0%} of steady (goal: 80 %)."]
    lines.append("")
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
PY
echo "wrote $OUT" >&2
