#!/usr/bin/env bash
# Ferry, Dante and microsocks side by side with direct loopback, in one run, in the configurations
# users run: Ferry's defaults (access log on, JSON lines on standard output, read through a pipe
# as a container runtime would), Ferry with the access log off, Ferry with a bcrypt users file,
# and Dante and microsocks without and with passwords.
#
#   mvn -B -DskipTests package          # first: proxy-app/target/ferry.jar, benchmarks/target/benchmarks.jar
#   benchmarks/compare.sh               # the full comparison (about 40 minutes)
#   QUICK=1 benchmarks/compare.sh       # a 3-to-5-minute check that everything works (figures mean little)
#
# Each server runs pinned to one core (SERVER_CPU, default 0); the load generator and its targets
# to another (LOAD_CPU, default 1). For every workload the servers take turns, interleaved
# (direct, ferry, ..., then again), REPEAT times, and the tables give the medians.
# Before anything else a fresh Ferry (defaults) is spawned and driven at once with connect-rate
# at 4 clients: tunnels/s per second counted from the spawn (the warm-up target). Then the
# long-running servers start; Ferry is warmed up (its JIT needs 8 to 10 s of load), and that
# first run's per-second throughput is kept as the throughput warm-up curve. Every generator run
# also has a short warm-up of its own (RUN_WARMUP), for the generator's JIT; its samples are
# reported, its figures are not. After the timed runs, a separate pass counts system calls per
# tunnel with strace -c (strace slows a server: it never runs during a timed run).
#
# Writes OUT_DIR (default docs/benchmarks/YYYY-MM-DD): results.md (targets, tables, machine
# facts), results.csv, chart.svg (ratio to direct), warmup.svg (Ferry's warm-up curve),
# servers.txt (what each row ran), raw/*.jsonl and raw/syscalls-*.txt.
#
# Settings (environment): QUICK=1, REPEAT, DURATION, RUN_WARMUP, FERRY_WARMUP, WARMUP_CURVE,
# SERVERS ("direct ferry ferry-nolog ferry-users ferry-users-nothrottle dante dante-users microsocks
# microsocks-users"),
# SERVER_CPU, LOAD_CPU, OUT_DIR, IDLE_TUNNELS, STRACE_COUNT, UDP_ASSOCIATIONS, UDP_WINDOW,
# FERRY_JAVA_OPTS (default -Xmn16m, as the ./ferry launcher and the image give), DANTE_USER.
# Servers that are not installed (danted, microsocks, strace) are left out with a note.
#
# dante-users needs a system account: Dante's "username" method checks the password with
# getpwnam/getspnam against /etc/passwd and /etc/shadow (no Dante-only password file exists). Run
# as root, the script creates a throwaway account DANTE_USER (default ferrybench: no home, shell
# /usr/sbin/nologin, a random password for this run only) if it does not exist, and deletes it
# at the end if it created it. Not root: dante-users is left out.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FERRY_JAR=$ROOT/proxy-app/target/ferry.jar
BENCH_JAR=$ROOT/benchmarks/target/benchmarks.jar
GENERATOR=dev.ferryproxy.benchmarks.load.LoadGenerator

# The command as given, settings included, for results.md ("the command that made it").
COMMAND="benchmarks/compare.sh"
for setting in QUICK REPEAT DURATION RUN_WARMUP FERRY_WARMUP WARMUP_CURVE SERVERS SERVER_CPU LOAD_CPU OUT_DIR \
    IDLE_TUNNELS STRACE_COUNT UDP_ASSOCIATIONS UDP_WINDOW FERRY_JAVA_OPTS DANTE_USER; do
    if [[ -n ${!setting+set} ]]; then
        COMMAND="$setting=$(printf '%q' "${!setting}") $COMMAND"
    fi
done
if [[ ${QUICK:-0} == 1 ]]; then
    : "${REPEAT:=1}" "${DURATION:=1s}" "${RUN_WARMUP:=300ms}" "${FERRY_WARMUP:=1s}" "${IDLE_TUNNELS:=300}"
    : "${WARMUP_CURVE:=3s}" "${STRACE_COUNT:=200}"
    : "${OUT_DIR:=$ROOT/benchmarks/target/compare-quick}"
fi
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10s}
RUN_WARMUP=${RUN_WARMUP:-3s}
FERRY_WARMUP=${FERRY_WARMUP:-15s}
WARMUP_CURVE=${WARMUP_CURVE:-20s}     # the connect-rate run from Ferry's spawn
STRACE_COUNT=${STRACE_COUNT:-3000}    # tunnels in the strace pass, per server
UDP_ASSOCIATIONS=${UDP_ASSOCIATIONS:-4}
UDP_WINDOW=${UDP_WINDOW:-4}           # per association: 4 x 4 = 16 datagrams in flight
SERVERS=${SERVERS:-direct ferry ferry-nolog ferry-users ferry-users-nothrottle dante dante-users microsocks microsocks-users}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT_DIR=${OUT_DIR:-$ROOT/docs/benchmarks/$(date +%F)}
FERRY_JAVA_OPTS=${FERRY_JAVA_OPTS--Xmn16m}
DANTE_USER=${DANTE_USER:-ferrybench}
BENCH_USER=bench
BENCH_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')

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
rm -f "$RAW"/*.jsonl "$RAW"/syscalls-*.txt "$OUT_DIR/servers.txt"
STARTED_PIDS=()
CREATED_DANTE_USER=0

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ $CREATED_DANTE_USER == 1 ]]; then
        userdel "$DANTE_USER" 2>/dev/null || true
    fi
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
        dante) command -v danted >/dev/null ;;
        dante-users) command -v danted >/dev/null && [[ $(id -u) == 0 ]] ;;
        microsocks | microsocks-users) command -v microsocks >/dev/null ;;
        *) true ;;
    esac
}
PATH=$PATH:/usr/sbin

# The account Dante's username method checks (see the header). An account of that name that the
# script did not make is used only if it looks like one it makes (no login shell).
ensure_dante_user() {
    if id "$DANTE_USER" >/dev/null 2>&1; then
        if [[ $(getent passwd "$DANTE_USER" | cut -d: -f7) != /usr/sbin/nologin ]]; then
            echo "compare.sh: $DANTE_USER exists and has a login shell; set DANTE_USER to another name" >&2
            return 1
        fi
    else
        useradd --system --no-create-home --shell /usr/sbin/nologin "$DANTE_USER"
        CREATED_DANTE_USER=1
    fi
    echo "$DANTE_USER:$BENCH_PASSWORD" | chpasswd
}

# ---- the targets: one process on the load core, for the whole run -------------------------------
mkfifo "$WORK/targets.stdin"
exec 7<>"$WORK/targets.stdin" # the targets stop when this (their standard input) closes
taskset -c "$LOAD_CPU" java -cp "$BENCH_JAR" "$GENERATOR" targets <&7 >"$WORK/targets.out" 2>&1 &
TARGETS_PID=$!
STARTED_PIDS+=($!)
for ((i = 0; i < 150; i++)); do
    grep -q "^TARGETS " "$WORK/targets.out" 2>/dev/null && break
    sleep 0.1
done
TARGETS=$(sed -n 's/^TARGETS //p' "$WORK/targets.out")
[[ -n $TARGETS ]] || { echo "compare.sh: the targets did not start:" >&2; cat "$WORK/targets.out" >&2; exit 1; }
log "targets: $TARGETS"

# ---- the servers ---------------------------------------------------------------------------------
declare -A SERVER_PID SERVER_PORT SERVER_SPAWN_MS
# What each row ran, for the tables (servers.txt); the keys are the generator's labels.
declare -A LABEL=(
    [direct]="direct loopback (no proxy)"
    [ferry]="ferry (defaults: access log stdout)"
    [ferry-nolog]="ferry --access-log off"
    [ferry-users]="ferry --users bcrypt (auth.usersFile from ferry passwd)"
    [ferry-users-nothrottle]="ferry --users bcrypt, auth.throttle off (baseDelay 0, maxDelay 0, lockoutAfter 1000000)"
    [dante]="dante (socksmethod none)"
    [dante-users]="dante (socksmethod username, system account)"
    [microsocks]="microsocks"
    [microsocks-users]="microsocks -u -P"
)

# The users file, as a user makes it: ferry passwd reads the password from standard input.
make_ferry_users() {
    [[ -f $WORK/users ]] && return 0
    echo "$BENCH_PASSWORD" | java -jar "$FERRY_JAR" passwd "$BENCH_USER" >"$WORK/users"
    printf 'auth:\n  required: true\n  usersFile: "%s"\n' "$WORK/users" >"$WORK/ferry-users.yaml"
    # The login throttle counts a login as failed until it succeeds, so 16 logins at once from
    # 127.0.0.1 pass its lockout (10) and correct passwords are refused: this row measures bcrypt
    # without the throttle, beside the defaults' row.
    { cat "$WORK/ferry-users.yaml"
      printf '  throttle:\n    baseDelay: 0s\n    maxDelay: 0s\n    lockoutAfter: 1000000\n'
    } >"$WORK/ferry-users-nothrottle.yaml"
}

# start_server NAME [nowait]: spawns NAME on SERVER_CPU and (unless nowait) waits until it accepts.
start_server() {
    local name=$1 port ferry_args=()
    port=$(free_port)
    case $name in
        direct)
            return 0 ;;
        ferry | ferry-nolog | ferry-users | ferry-users-nothrottle)
            # Defaults but for the address; --dns-server keeps every packet on loopback (the
            # targets are IP literals, so nothing is resolved).
            ferry_args=(--listen "127.0.0.1:$port" --dns-server 127.0.0.1:9)
            case $name in
                ferry-nolog) ferry_args+=(--access-log off) ;;
                ferry-users*) make_ferry_users; ferry_args+=(--config "$WORK/$name.yaml") ;;
            esac
            # Standard output (the access log) goes to a pipe that is read, as under a container
            # runtime: /dev/null would make each write free. The reader shares the server's core.
            rm -f "$WORK/$name.stdout"
            mkfifo "$WORK/$name.stdout"
            taskset -c "$SERVER_CPU" cat <"$WORK/$name.stdout" >/dev/null &
            STARTED_PIDS+=($!)
            SERVER_SPAWN_MS[$name]=$(date +%s%3N)
            # shellcheck disable=SC2086 # FERRY_JAVA_OPTS is a list of JVM flags
            taskset -c "$SERVER_CPU" java $FERRY_JAVA_OPTS -jar "$FERRY_JAR" "${ferry_args[@]}" \
                >"$WORK/$name.stdout" 2>"$WORK/$name.log" &
            ;;
        dante | dante-users)
            [[ $name == dante-users ]] && ensure_dante_user
            {
                echo "logoutput: stderr"
                echo "internal: 127.0.0.1 port = $port"
                echo "external: 127.0.0.1"
                echo "clientmethod: none"
                if [[ $name == dante-users ]]; then
                    echo "socksmethod: username"
                else
                    echo "socksmethod: none"
                fi
                if [[ $(id -u) == 0 ]]; then
                    echo "user.privileged: root" # reads /etc/shadow for the username method
                    echo "user.unprivileged: nobody"
                fi
                echo "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }"
                echo "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect udpassociate udpreply }"
            } >"$WORK/$name.conf"
            taskset -c "$SERVER_CPU" danted -f "$WORK/$name.conf" -p "$WORK/$name.pid" >"$WORK/$name.log" 2>&1 &
            ;;
        microsocks)
            taskset -c "$SERVER_CPU" microsocks -i 127.0.0.1 -p "$port" >"$WORK/$name.log" 2>&1 &
            ;;
        microsocks-users)
            taskset -c "$SERVER_CPU" microsocks -i 127.0.0.1 -p "$port" -u "$BENCH_USER" -P "$BENCH_PASSWORD" \
                >"$WORK/$name.log" 2>&1 &
            ;;
    esac
    SERVER_PID[$name]=$!
    SERVER_PORT[$name]=$port
    STARTED_PIDS+=($!)
    [[ ${2:-} == nowait ]] || await_port "$port"
}

stop_server() {
    local name=$1 pid=${SERVER_PID[$1]:-}
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "SERVER_PID[$name]"
}

# The proxy URI for a server, with the run's credentials where it wants them.
proxy_uri() {
    case $1 in
        ferry-users | ferry-users-nothrottle | microsocks-users) echo "socks5://$BENCH_USER:$BENCH_PASSWORD@127.0.0.1:${SERVER_PORT[$1]}" ;;
        dante-users) echo "socks5://$DANTE_USER:$BENCH_PASSWORD@127.0.0.1:${SERVER_PORT[$1]}" ;;
        *) echo "socks5://127.0.0.1:${SERVER_PORT[$1]}" ;;
    esac
}

# ---- one generator run ---------------------------------------------------------------------------
# run_load WORKLOAD SERVER MODE [ARGS...]: appends the result to raw/WORKLOAD.jsonl; a failed run
# is noted and the comparison goes on. The server's PID goes along (memory, CPU per tunnel); for
# direct loopback the CPU counted is the targets' process, the far side of every connection.
run_load() {
    local workload=$1 server=$2 mode=$3
    shift 3
    local proxy=(--cpu-pid "$TARGETS_PID" --targets-pid "$TARGETS_PID")
    if [[ $server != direct ]]; then
        proxy=(--proxy "$(proxy_uri "$server")" --server-pid "${SERVER_PID[$server]}" --targets-pid "$TARGETS_PID")
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

BULK=$(servers_for "direct ferry dante microsocks")
CONNECT=$(servers_for "direct ferry ferry-nolog ferry-users ferry-users-nothrottle dante dante-users microsocks microsocks-users")
CONNECT_128=$(servers_for "direct ferry ferry-nolog dante microsocks")
REQUESTS=$(servers_for "direct ferry ferry-nolog dante microsocks")
UDP=$(servers_for "direct ferry dante") # microsocks has no UDP ASSOCIATE
MEMORY=$(servers_for "ferry dante microsocks")
LONG_RUNNING=$(servers_for "ferry ferry-nolog ferry-users ferry-users-nothrottle dante dante-users microsocks microsocks-users")
SYSCALLS=$(servers_for "direct ferry ferry-nolog dante microsocks")
for s in $SERVERS; do
    have "$s" || log "note: $s is not installed (or needs root); left out"
done
if ! command -v strace >/dev/null; then
    log "note: strace is not installed; no system call counts"
    SYSCALLS=""
fi
for s in $SERVERS; do
    echo "$s=${LABEL[$s]:-$s}"
done >"$OUT_DIR/servers.txt"

# As many idle tunnels as the descriptors allow: the server holds two per tunnel.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
MAX_TUNNELS=$(( ($(ulimit -n) - 512) / 2 ))
IDLE_TUNNELS=${IDLE_TUNNELS:-10000}
if (( IDLE_TUNNELS > MAX_TUNNELS )); then
    IDLE_TUNNELS=$MAX_TUNNELS
fi

# ---- warm-up from spawn: a fresh Ferry (defaults), driven from its first moment ------------------
# The generator starts with the server (its own JVM start overlaps Ferry's), waits for the port,
# and counts its per-second samples from the spawn. The tail of the run is the steady rate.
if [[ " $LONG_RUNNING " == *" ferry "* ]]; then
    log "Ferry from spawn: connect-rate, 4 clients, $WARMUP_CURVE"
    start_server ferry nowait
    run_load warmup-from-spawn ferry connect-rate --concurrency 4 --await-proxy 30s \
        --time-origin "${SERVER_SPAWN_MS[ferry]}" --duration "$WARMUP_CURVE"
    stop_server ferry
fi

# The long-running servers for the load workloads (memory workloads get fresh ones).
for s in $LONG_RUNNING; do
    start_server "$s"
done

# ---- Ferry's warm-up: its first run, kept as the throughput warm-up curve ------------------------
if [[ " $LONG_RUNNING " == *" ferry "* ]]; then
    log "warming Ferry up for $FERRY_WARMUP"
    run_load warmup ferry throughput --streams 1 --direction up --warmup "$FERRY_WARMUP" --duration 2s
    run_load warmup-connect ferry connect-rate --concurrency 16 --warmup 1s --duration "$DURATION"
    rm -f "$RAW/warmup-connect.jsonl"
fi
for s in ferry-nolog ferry-users ferry-users-nothrottle; do
    if [[ " $LONG_RUNNING " == *" $s "* ]]; then
        run_load warmup-connect "$s" connect-rate --concurrency 16 --warmup 1s --duration "$DURATION"
        rm -f "$RAW/warmup-connect.jsonl"
    fi
done

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

interleave throughput-up-1 "$BULK" throughput --streams 1 --direction up
interleave throughput-down-1 "$BULK" throughput --streams 1 --direction down
interleave throughput-up-8 "$BULK" throughput --streams 8 --direction up
interleave throughput-down-8 "$BULK" throughput --streams 8 --direction down
interleave connect-rate-16 "$CONNECT" connect-rate --concurrency 16
interleave connect-rate-128 "$CONNECT_128" connect-rate --concurrency 128
interleave request-response "$BULK" request-response --connections 1 --size 64
interleave request-response-16 "$REQUESTS" request-response --connections 16 --size 64
interleave udp-rate "$UDP" udp-rate --concurrency "$UDP_ASSOCIATIONS" --window "$UDP_WINDOW" --size 64

# ---- system calls per tunnel: a separate pass under strace (never timed) -------------------------
# strace -c -f attaches to every thread of every process of the server's tree (Dante's workers
# are processes that exist already, so each gets its -p) and counts calls by type until it is
# interrupted; the generator runs STRACE_COUNT tunnels meanwhile. Direct: the targets' process.
process_tree() { # the PID and its descendants, one a line
    local pid=$1 child
    echo "$pid"
    for child in $(pgrep -P "$pid"); do
        process_tree "$child"
    done
}
count_syscalls() {
    local s=$1 root pids=() p i tracer
    root=${SERVER_PID[$s]:-$TARGETS_PID}
    [[ $s == direct ]] && root=$TARGETS_PID
    for p in $(process_tree "$root"); do
        pids+=(-p "$p")
    done
    strace -c -f -o "$RAW/syscalls-$s.txt" "${pids[@]}" 2>"$WORK/strace-$s.err" &
    tracer=$!
    STARTED_PIDS+=("$tracer")
    # strace says "Process PID attached" (with N threads) once per -p when it holds all of them.
    for ((i = 0; i < 150; i++)); do # at most 15 s
        (( $(grep -c ' attached' "$WORK/strace-$s.err" 2>/dev/null || true) >= ${#pids[@]} / 2 )) && break
        sleep 0.1
    done
    run_load syscalls "$s" connect-rate --concurrency 16 --count "$STRACE_COUNT" --duration 120s
    kill -INT "$tracer" 2>/dev/null || true
    wait "$tracer" 2>/dev/null || true
}
for s in $SYSCALLS; do
    count_syscalls "$s"
done

# ---- memory: a fresh server for each run ---------------------------------------------------------
for s in $LONG_RUNNING; do
    stop_server "$s"
done
for ((r = 1; r <= REPEAT; r++)); do
    for s in $MEMORY; do
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
    echo "strace=$(strace -V 2>/dev/null | sed -n 1p || echo 'not installed')"
    echo "ferry=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "ferry_java_opts=$FERRY_JAVA_OPTS"
    echo "repeat=$REPEAT"
    echo "duration=$DURATION"
    echo "run_warmup=$RUN_WARMUP"
    echo "ferry_warmup=$FERRY_WARMUP"
    echo "warmup_curve=$WARMUP_CURVE"
    echo "strace_count=$STRACE_COUNT"
    echo "udp_associations=$UDP_ASSOCIATIONS"
    echo "udp_window=$UDP_WINDOW"
    echo "idle_tunnels=$IDLE_TUNNELS"
    echo "server_cpu=$SERVER_CPU"
    echo "load_cpu=$LOAD_CPU"
    echo "quick=${QUICK:-0}"
    echo "command=$COMMAND"
} >"$OUT_DIR/machine.txt"

python3 "$ROOT/benchmarks/compare_report.py" "$OUT_DIR"
log "wrote $OUT_DIR/results.md, results.csv, chart.svg, warmup.svg"
