#!/usr/bin/env bash
# Ferry, Dante and microsocks side by side with direct loopback, in one run.
#
#   mvn -B -DskipTests package          # first: proxy-app/target/ferry.jar, benchmarks/target/benchmarks.jar
#   benchmarks/compare.sh               # the full comparison (about 25 minutes)
#   QUICK=1 benchmarks/compare.sh       # a one-minute check that everything works (figures mean little)
#
# Each server runs pinned to one core (SERVER_CPU, default 0); the load generator and its targets
# to another (LOAD_CPU, default 1). For every workload the servers take turns, interleaved
# (direct, ferry, dante, microsocks, then again), REPEAT times, and the tables give the medians.
# Ferry is warmed up first (its JIT needs 8 to 10 s of load), and that first run's per-second
# throughput is kept as the warm-up curve. Every generator run also has a short warm-up of its own
# (RUN_WARMUP), for the generator's JIT; its samples are reported, its figures are not.
#
# Writes OUT_DIR (default docs/benchmarks/YYYY-MM-DD): results.md (tables, machine facts),
# results.csv, chart.svg (ratio to direct), warmup.svg (Ferry's warm-up curve), raw/*.jsonl.
#
# Settings (environment): QUICK=1, REPEAT, DURATION, RUN_WARMUP, FERRY_WARMUP, SERVERS
# ("direct ferry dante microsocks"), SERVER_CPU, LOAD_CPU, OUT_DIR, IDLE_TUNNELS, FERRY_JAVA_OPTS.
# Servers that are not installed (danted, microsocks) are left out with a note.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FERRY_JAR=$ROOT/proxy-app/target/ferry.jar
BENCH_JAR=$ROOT/benchmarks/target/benchmarks.jar
GENERATOR=dev.ferryproxy.benchmarks.load.LoadGenerator

if [[ ${QUICK:-0} == 1 ]]; then
    : "${REPEAT:=1}" "${DURATION:=1s}" "${RUN_WARMUP:=500ms}" "${FERRY_WARMUP:=2s}" "${IDLE_TUNNELS:=500}"
    : "${OUT_DIR:=$ROOT/benchmarks/target/compare-quick}"
fi
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10s}
RUN_WARMUP=${RUN_WARMUP:-3s}
FERRY_WARMUP=${FERRY_WARMUP:-15s}
SERVERS=${SERVERS:-direct ferry dante microsocks}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT_DIR=${OUT_DIR:-$ROOT/docs/benchmarks/$(date +%F)}
FERRY_JAVA_OPTS=${FERRY_JAVA_OPTS:-}

for jar in "$FERRY_JAR" "$BENCH_JAR"; do
    if [[ ! -f $jar ]]; then
        echo "compare.sh: $jar is missing; build first: mvn -B -DskipTests package" >&2
        exit 2
    fi
done
for tool in taskset python3 java; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool is needed" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferry-compare.XXXXXX")
RAW=$OUT_DIR/raw
mkdir -p "$OUT_DIR" "$RAW"
rm -f "$RAW"/*.jsonl
STARTED_PIDS=()

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

# A port nothing listens on now (the server binds it a moment later).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until 127.0.0.1:$1 accepts connections, or fails after 15 s.
await_port() {
    local i
    for ((i = 0; i < 150; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "compare.sh: nothing listens on 127.0.0.1:$1 after 15 s" >&2
    return 1
}

have() {
    case $1 in
        dante) command -v danted >/dev/null || [[ -x /usr/sbin/danted ]] ;;
        microsocks) command -v microsocks >/dev/null ;;
        *) true ;;
    esac
}

# ---- the targets: one process on the load core, for the whole run -------------------------------
mkfifo "$WORK/targets.stdin"
exec 7<>"$WORK/targets.stdin" # the targets stop when this (their standard input) closes
taskset -c "$LOAD_CPU" java -cp "$BENCH_JAR" "$GENERATOR" targets <&7 >"$WORK/targets.out" 2>&1 &
STARTED_PIDS+=($!)
for ((i = 0; i < 150; i++)); do
    grep -q "^TARGETS " "$WORK/targets.out" 2>/dev/null && break
    sleep 0.1
done
TARGETS=$(sed -n 's/^TARGETS //p' "$WORK/targets.out")
[[ -n $TARGETS ]] || { echo "compare.sh: the targets did not start:" >&2; cat "$WORK/targets.out" >&2; exit 1; }
log "targets: $TARGETS"

# ---- the servers ---------------------------------------------------------------------------------
declare -A SERVER_PID SERVER_PORT

start_server() {
    local name=$1 port
    port=$(free_port)
    case $name in
        direct)
            return 0 ;;
        ferry)
            # No rate limit on UDP (the default is 100000 datagrams/s per association), no access log
            # (Dante and microsocks log nothing per connection either).
            printf 'udp:\n  maxPacketsPerSecond: 0\naccessLog: "off"\n' >"$WORK/ferry.yaml"
            # shellcheck disable=SC2086 # FERRY_JAVA_OPTS is a list of JVM flags
            taskset -c "$SERVER_CPU" java $FERRY_JAVA_OPTS -jar "$FERRY_JAR" --config "$WORK/ferry.yaml" \
                --listen "127.0.0.1:$port" --dns-server 127.0.0.1:9 --log-level warn \
                >"$WORK/ferry.log" 2>&1 &
            ;;
        dante)
            {
                echo "logoutput: stderr"
                echo "internal: 127.0.0.1 port = $port"
                echo "external: 127.0.0.1"
                echo "clientmethod: none"
                echo "socksmethod: none"
                if [[ $(id -u) == 0 ]]; then
                    echo "user.privileged: root"
                    echo "user.unprivileged: nobody"
                fi
                echo "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }"
                echo "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect udpassociate udpreply }"
            } >"$WORK/danted.conf"
            taskset -c "$SERVER_CPU" danted -f "$WORK/danted.conf" -p "$WORK/danted.pid" >"$WORK/dante.log" 2>&1 &
            ;;
        microsocks)
            taskset -c "$SERVER_CPU" microsocks -i 127.0.0.1 -p "$port" >"$WORK/microsocks.log" 2>&1 &
            ;;
    esac
    SERVER_PID[$name]=$!
    SERVER_PORT[$name]=$port
    STARTED_PIDS+=($!)
    await_port "$port"
}

stop_server() {
    local name=$1 pid=${SERVER_PID[$1]:-}
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "SERVER_PID[$name]"
}

# ---- one generator run ---------------------------------------------------------------------------
# run_load WORKLOAD SERVER MODE [ARGS...]: appends the result to raw/WORKLOAD.jsonl; a failed run
# is noted and the comparison goes on.
run_load() {
    local workload=$1 server=$2 mode=$3
    shift 3
    local proxy=()
    if [[ $server != direct ]]; then
        proxy=(--proxy "socks5://127.0.0.1:${SERVER_PORT[$server]}" --server-pid "${SERVER_PID[$server]}")
    fi
    log "$workload: $server"
    # In the background and waited for, so that a signal reaches the trap (and the clean-up) at once.
    taskset -c "$LOAD_CPU" java -cp "$BENCH_JAR" "$GENERATOR" "$mode" --targets "$TARGETS" \
        --label "$server" --output json --results "$RAW/$workload.jsonl" "${proxy[@]}" "$@" \
        >>"$WORK/generator.out" 2>>"$WORK/generator.err" &
    local generator=$!
    STARTED_PIDS+=("$generator")
    if ! wait "$generator"; then
        log "$workload: $server FAILED (see below)"
        tail -n 5 "$WORK/generator.err" >&2 || true
    fi
}

# Servers of $SERVERS that are installed and that serve the workload ($1: a list to keep).
servers_for() {
    local s
    for s in $SERVERS; do
        if [[ " $1 " == *" $s "* ]] && have "$s"; then
            printf '%s ' "$s"
        fi
    done
}

ALL=$(servers_for "direct ferry dante microsocks")
PROXIES=$(servers_for "ferry dante microsocks")
UDP=$(servers_for "direct ferry dante") # microsocks has no UDP ASSOCIATE
for s in $SERVERS; do
    have "$s" || log "note: $s is not installed; left out"
done

# As many idle tunnels as the descriptors allow: the server holds two per tunnel.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
MAX_TUNNELS=$(( ($(ulimit -n) - 512) / 2 ))
IDLE_TUNNELS=${IDLE_TUNNELS:-10000}
if (( IDLE_TUNNELS > MAX_TUNNELS )); then
    IDLE_TUNNELS=$MAX_TUNNELS
fi

# The long-running servers for the load workloads (memory workloads get fresh ones).
for s in $PROXIES; do
    start_server "$s"
done

# ---- Ferry's warm-up: its first run, kept as the warm-up curve -----------------------------------
if [[ " $PROXIES " == *" ferry "* ]]; then
    log "warming Ferry up for $FERRY_WARMUP"
    run_load warmup ferry throughput --streams 1 --direction up --warmup "$FERRY_WARMUP" --duration 2s
    run_load warmup-connect ferry connect-rate --concurrency 16 --warmup 1s --duration "$DURATION"
    rm -f "$RAW/warmup-connect.jsonl"
fi

# ---- the load workloads, interleaved and repeated ------------------------------------------------
interleave() { # interleave WORKLOAD SERVERS MODE ARGS...
    local workload=$1 servers=$2 r s
    shift 2
    for ((r = 1; r <= REPEAT; r++)); do
        for s in $servers; do
            run_load "$workload" "$s" "$@" --warmup "$RUN_WARMUP" --duration "$DURATION"
        done
    done
}

interleave throughput-up-1 "$ALL" throughput --streams 1 --direction up
interleave throughput-down-1 "$ALL" throughput --streams 1 --direction down
interleave throughput-up-8 "$ALL" throughput --streams 8 --direction up
interleave throughput-down-8 "$ALL" throughput --streams 8 --direction down
interleave connect-rate-16 "$ALL" connect-rate --concurrency 16
interleave connect-rate-128 "$ALL" connect-rate --concurrency 128
interleave request-response "$ALL" request-response --connections 1 --size 64
interleave udp-rate "$UDP" udp-rate --concurrency 1 --window 32 --size 64

# ---- memory: a fresh server for each run ---------------------------------------------------------
for s in $PROXIES; do
    stop_server "$s"
done
for ((r = 1; r <= REPEAT; r++)); do
    for s in $PROXIES; do
        start_server "$s"
        sleep 1 # let a fresh JVM finish starting before the first reading
        run_load idle-tunnels "$s" idle-tunnels --tunnels "$IDLE_TUNNELS" --duration 120s --settle 3s
        run_load slow-reader "$s" slow-reader --tunnels 16 --duration "$DURATION" --warmup 1s
        stop_server "$s"
    done
done

# ---- the report ----------------------------------------------------------------------------------
{
    echo "date=$(date -u +%FT%TZ)"
    echo "host=$(hostname)"
    echo "nproc=$(nproc)"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed -n 1p)"
    echo "kernel=$(uname -r)"
    echo "java=$(java -version 2>&1 | sed -n 1p)"
    echo "java_runtime=$(java -version 2>&1 | sed -n 2p)"
    echo "dante=$(dpkg-query -W -f='${Version}' dante-server 2>/dev/null || echo 'not installed')"
    echo "microsocks=$(dpkg-query -W -f='${Version}' microsocks 2>/dev/null || echo 'not installed')"
    echo "ferry=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "repeat=$REPEAT"
    echo "duration=$DURATION"
    echo "run_warmup=$RUN_WARMUP"
    echo "ferry_warmup=$FERRY_WARMUP"
    echo "idle_tunnels=$IDLE_TUNNELS"
    echo "server_cpu=$SERVER_CPU"
    echo "load_cpu=$LOAD_CPU"
    echo "quick=${QUICK:-0}"
} >"$OUT_DIR/machine.txt"

python3 "$ROOT/benchmarks/compare_report.py" "$OUT_DIR"
log "wrote $OUT_DIR/results.md, results.csv, chart.svg, warmup.svg"
