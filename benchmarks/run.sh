#!/usr/bin/env bash
# The first cql-proxy benchmark: the same pipelined CQL load straight to a cql-mock node (direct), through a
# plain TCP relay built on our EventLoop/Transport (relay), and through cql-proxy (proxy), interleaved
# direct relay proxy, direct relay proxy, ... so that drift on a shared machine hits all three alike.
#
#   benchmarks/run.sh [--quick] [--reps N] [--duration S] [--warmup S] [--unprepared] [--no-build]
#
# Environment: SCRATCH (build dir, default .build-bench), BIN (use these binaries, implies --no-build),
# PROXY_WORKERS (default 1; the relay gets as many), VALUE_SIZE (bytes per row, default 100),
# CONFIGS (default "4x32 16x128 1x1": connections x depth), OUT (raw results dir, default benchmarks/out).
set -euo pipefail

cd "$(dirname "$0")/.."
REPS=3 DURATION=5 WARMUP=1 MODE=--prepared BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) REPS=1 DURATION=1 WARMUP=0.5 ;;
        --reps) REPS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --warmup) WARMUP="$2"; shift ;;
        --unprepared) MODE= ;;
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
SCRATCH="${SCRATCH:-.build-bench}"
PROXY_WORKERS="${PROXY_WORKERS:-1}"
VALUE_SIZE="${VALUE_SIZE:-100}"
CONFIGS="${CONFIGS:-4x32 16x128 1x1}"
OUT="${OUT:-benchmarks/out}"

if [ -n "${BIN:-}" ]; then
    BUILD=0
else
    BIN="$SCRATCH/release"
fi
if [ "$BUILD" = 1 ]; then
    echo "building release binaries in $SCRATCH ..." >&2
    for product in cql-mock cql-proxy cql-bench; do
        swift build -c release --scratch-path "$SCRATCH" --product "$product" >&2
    done
fi
for tool in cql-mock cql-proxy cql-bench; do
    [ -x "$BIN/$tool" ] || { echo "missing $BIN/$tool" >&2; exit 1; }
done

TMP="$(mktemp -d)"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for FILE REGEX PID SECONDS: until a line of FILE matches, the process dies, or time runs out.
wait_for() {
    local file="$1" regex="$2" pid="$3" deadline=$((SECONDS + $4))
    until grep -Eq "$regex" "$file" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then echo "process $pid exited early:" >&2; cat "$file" >&2; exit 1; fi
        if [ "$SECONDS" -ge "$deadline" ]; then echo "timed out waiting for /$regex/ in $file" >&2; cat "$file" >&2; exit 1; fi
        sleep 0.05
    done
}

"$BIN/cql-mock" --nodes 1 --port 0 >"$TMP/mock.log" 2>&1 &
MOCK_PID=$!; PIDS+=("$MOCK_PID")
wait_for "$TMP/mock.log" '^ready$' "$MOCK_PID" 20
MOCK_PORT="$(awk '$1 == "node" && $2 == "0" { n = split($3, a, ":"); print a[n] }' "$TMP/mock.log")"

"$BIN/cql-bench" load --port "$MOCK_PORT" --setup --value-size "$VALUE_SIZE" \
    --connections 1 --depth 1 --duration 0.2 --warmup 0 >/dev/null

"$BIN/cql-bench" relay --listen 127.0.0.1:0 --to "127.0.0.1:$MOCK_PORT" --workers "$PROXY_WORKERS" \
    >"$TMP/relay.log" 2>&1 &
RELAY_PID=$!; PIDS+=("$RELAY_PID")
wait_for "$TMP/relay.log" 'relay listening on' "$RELAY_PID" 20
RELAY_PORT="$(sed -nE 's/^relay listening on [^ ]*:([0-9]+) .*/\1/p' "$TMP/relay.log")"

"$BIN/cql-proxy" --contact-points "127.0.0.1:$MOCK_PORT" --port "$MOCK_PORT" --bind 127.0.0.1:0 \
    --workers "$PROXY_WORKERS" >"$TMP/proxy.log" 2>&1 &
PROXY_PID=$!; PIDS+=("$PROXY_PID")
wait_for "$TMP/proxy.log" 'proxy listening on' "$PROXY_PID" 30
PROXY_PORT="$(sed -nE 's/.*proxy listening on [^ ]*:([0-9]+),.*/\1/p' "$TMP/proxy.log")"

echo "mock :$MOCK_PORT (pid $MOCK_PID)  relay :$RELAY_PORT (pid $RELAY_PID)  proxy :$PROXY_PORT (pid $PROXY_PID)," \
     "workers $PROXY_WORKERS, ${MODE:---unprepared} ${VALUE_SIZE}-byte values, $REPS x ${DURATION}s (+${WARMUP}s warm-up)" >&2

mkdir -p "$OUT"
RESULTS="$OUT/results-$(date +%Y%m%d-%H%M%S).jsonl"
: >"$RESULTS"
FAILED=0
for config in $CONFIGS; do
    conns="${config%x*}" depth="${config#*x}"
    for rep in $(seq 1 "$REPS"); do
        for target in direct relay proxy; do
            case "$target" in
                direct) port="$MOCK_PORT" pid="$MOCK_PID" ;;
                relay) port="$RELAY_PORT" pid="$RELAY_PID" ;;
                proxy) port="$PROXY_PORT" pid="$PROXY_PID" ;;
            esac
            # shellcheck disable=SC2086  # MODE is one flag or nothing
            if line="$("$BIN/cql-bench" load --port "$port" --connections "$conns" --depth "$depth" \
                    --duration "$DURATION" --warmup "$WARMUP" $MODE --cpu-pid "$pid" --upstream-pid "$MOCK_PID" \
                    2>"$TMP/load.err")"; then
                rc=0
            else
                rc=$?
            fi
            if [ "$rc" != 0 ] || [ -s "$TMP/load.err" ]; then
                echo "[$config $target #$rep] exit $rc: $(cat "$TMP/load.err")" >&2
                [ "$rc" = 0 ] || FAILED=$((FAILED + 1))
            fi
            for check in "$MOCK_PID:mock" "$RELAY_PID:relay" "$PROXY_PID:proxy"; do
                if ! kill -0 "${check%%:*}" 2>/dev/null; then
                    echo "${check#*:} (pid ${check%%:*}) died during $config $target #$rep; its log:" >&2
                    tail -40 "$TMP/${check#*:}.log" >&2
                    exit 1
                fi
            done
            [ -n "$line" ] || line='{}'
            printf '{"config":"%s","target":"%s","rep":%s,"exit":%s,"result":%s}\n' \
                "$config" "$target" "$rep" "$rc" "$line" >>"$RESULTS"
            echo "  $config $target #$rep $line" >&2
        done
    done
done

python3 benchmarks/summarize.py "$RESULTS"
echo "raw results: $RESULTS" >&2
if grep -Eiq 'error|warn|fatal' "$TMP/proxy.log"; then
    echo "proxy log has warnings or errors:" >&2
    grep -Ei 'error|warn|fatal' "$TMP/proxy.log" | tail -20 >&2
fi
[ "$FAILED" = 0 ]
