#!/usr/bin/env bash
# Proxy memory and startup, against a plain cql-mock node and against the Astra emulator (bundle + token):
#   - time from starting cql-proxy to /readiness answering 200 (median of --starts tries);
#   - RSS idle, with 10,000 idle client connections (STARTUP only), after they close, with 1,000 active
#     connections (depth 1, prepared EXECUTE), and after those close.
#
#   benchmarks/memory.sh [--idle N] [--active N] [--starts N] [--no-build]
#
# Environment: UPSTREAMS (default "plain astra"), PROXY_WORKERS (default 1), SCRATCH, BIN (as run.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
IDLE=10000 ACTIVE=1000 STARTS=5 BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --idle) IDLE="$2"; shift ;;
        --active) ACTIVE="$2"; shift ;;
        --starts) STARTS="$2"; shift ;;
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
. benchmarks/lib.sh

# Each idle connection is one fd in the load generator and one in the proxy (the children inherit this).
ulimit -n "$(ulimit -Hn)"
need=$((IDLE + 200))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    echo "ulimit -n is $(ulimit -n) (hard limit); $need needed for --idle $IDLE" >&2
    exit 1
fi

build_binaries

now_ns() { date +%s%N; }

# start_timed NAME ARGS...: starts cql-proxy with health endpoints and sets READY_MS to the milliseconds from
# launch to /readiness 200; the proxy keeps running as NAME.
start_timed() {
    local name="$1"; shift
    local t0 url deadline
    rm -f "$TMP/$name.log"   # else wait_for may read the last start's log before the shell truncates it
    t0="$(now_ns)"
    "$BIN/cql-proxy" --bind 127.0.0.1:0 --workers "$PROXY_WORKERS" --health-check --http-bind 127.0.0.1:0 "$@" \
        >"$TMP/$name.log" 2>&1 &
    PID[$name]=$!; CHILDREN+=("$!")
    wait_for "$TMP/$name.log" 'health endpoints on http://' "${PID[$name]}" 30
    url="$(sed -nE 's|.*health endpoints on (http://[^ ]+).*|\1|p' "$TMP/$name.log" | head -1)"
    deadline=$((SECONDS + 30))
    until code="$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$url/readiness")"; [ "$code" = 200 ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "$name: GET $url/readiness still answers '$code' after 30 s" >&2
            cat "$TMP/$name.log" >&2
            exit 1
        fi
        sleep 0.005
    done
    READY_MS=$(( ($(now_ns) - t0) / 1000000 ))
    wait_for "$TMP/$name.log" 'proxy listening on' "${PID[$name]}" 10
    PORT[$name]="$(sed -nE 's/.*proxy listening on [^ ;,]*:([0-9]+)[;, ].*/\1/p' "$TMP/$name.log" | head -1)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# field JSON KEY: a number from cql-bench's JSON line.
field() { sed -nE "s/.*\"$2\":([0-9.]+).*/\1/p" <<<"$1"; }

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

printf '%-8s %9s %9s %12s %9s %9s %11s %13s %9s %9s %9s\n' upstream "ready ms" "idle MiB" "${IDLE} idle MiB" "KiB/conn" \
    "open s" "closed MiB" "${ACTIVE} active MiB" "req/s" "p99 µs" "after MiB" >"$TMP/table"

for upstream in ${UPSTREAMS:-plain astra}; do
    case "$upstream" in
        plain)
            [ -n "${MOCK_PID:-}" ] || start_mock
            [ -n "${DONE_SETUP:-}" ] || "$BIN/cql-bench" load --port "$MOCK_PORT" --setup --connections 1 --depth 1 \
                --duration 0.1 --warmup 0 >/dev/null
            DONE_SETUP=1
            args=(--contact-points "127.0.0.1:$MOCK_PORT" --port "$MOCK_PORT") ;;
        astra)
            start_astra
            "$BIN/cql-bench" load --port "$ASTRA_NODE_PORT" --username token --password "$ASTRA_TOKEN" --setup \
                --connections 1 --depth 1 --duration 0.1 --warmup 0 >/dev/null
            args=(--astra-bundle "$ASTRA_BUNDLE" --astra-token "$ASTRA_TOKEN") ;;
        *) echo "unknown upstream $upstream (plain, astra)" >&2; exit 2 ;;
    esac
    times=()
    for i in $(seq 1 "$STARTS"); do
        start_timed "proxy-$upstream" "${args[@]}"
        times+=("$READY_MS")
        [ "$i" = "$STARTS" ] || stop "proxy-$upstream"
    done
    ready="$(printf '%s\n' "${times[@]}" | median)"
    name="proxy-$upstream" pid="${PID[proxy-$upstream]}" port="${PORT[proxy-$upstream]}"
    echo "$upstream: ready in ${times[*]} ms (median $ready)" >&2
    sleep 1
    base="$(rss_kib "$pid")"

    idle_line="$("$BIN/cql-bench" load --port "$port" --idle --connections "$IDLE" --duration 2 --cpu-pid "$pid")"
    check_alive "$IDLE idle connections"
    idle_rss="$(field "$idle_line" server_rss_kib)"
    echo "$upstream idle: $idle_line" >&2

    sleep 1
    idle_after="$(rss_kib "$pid")"

    # The active clients get a fresh proxy: the one above keeps the high-water mark of the idle burst (the
    # allocator does not hand freed pages back), which would be counted twice.
    stop "$name"
    start_timed "$name" "${args[@]}"
    pid="${PID[$name]}" port="${PORT[$name]}"
    active_line="$("$BIN/cql-bench" load --port "$port" --prepared --connections "$ACTIVE" --depth 1 --duration 3 \
        --warmup 1 --cpu-pid "$pid")"
    check_alive "$ACTIVE active connections"
    echo "$upstream active: $active_line" >&2
    sleep 1
    after="$(rss_kib "$pid")"

    printf '%-8s %9s %9s %12s %9s %9s %11s %13s %9s %9s %9s\n' "$upstream" "$ready" "$(mib "$base")" "$(mib "$idle_rss")" \
        "$(awk -v a="$idle_rss" -v b="$base" -v n="$IDLE" 'BEGIN { printf "%.1f", (a - b) / n }')" \
        "$(field "$idle_line" open_s)" "$(mib "$idle_after")" "$(mib "$(field "$active_line" server_rss_kib)")" \
        "$(field "$active_line" rps)" "$(field "$active_line" p99_us)" "$(mib "$after")" >>"$TMP/table"
    stop "$name"
done

cat "$TMP/table"
echo "ready ms: launch to /readiness 200 (median of $STARTS). idle MiB: RSS once ready, no client. KiB/conn:" \
     "(idle-connections RSS - idle RSS) / connections. open s: time to open them all (STARTUP each, 64 at a time)." \
     "closed MiB: RSS once the idle connections closed. The active connections run on a fresh proxy." \
     "after MiB: RSS 1 s after the active connections closed."
report_proxy_logs
