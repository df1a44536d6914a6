#!/usr/bin/env bash
# The cql-proxy benchmark: the same pipelined CQL load over six paths, interleaved per repetition so that
# drift on a shared machine hits all of them alike:
#   (a) direct      client -> cql-mock node                          (plain)
#   (b) relay       client -> TCP relay -> node                      (plain)
#   (c) proxy       client -> cql-proxy -> node                      (plain)
#   (d') direct-tls client -> Astra emulator SNI front (TLS) -> node
#   (e) relay-tls   client -> relay (plain in, TLS out) -> SNI front -> node
#   (d) proxy-tls   client -> cql-proxy (--astra-bundle) -> SNI front -> node
#
#   benchmarks/run.sh [--quick] [--reps N] [--duration S] [--warmup S] [--no-build]
#
# Environment: CONFIGS (paths, names or letters, default all: "a b c d' e d"), LOADS (connections x depth,
# default "4x32 16x128 1x1"), MODES ("query execute"), VALUE_SIZE (bytes per row, default "100 65536"),
# PROXY_WORKERS (default 1; the relays get as many), SCRATCH (build dir, default .build-bench),
# BIN (ready binaries, implies --no-build), OUT (raw results dir, default benchmarks/out).
set -euo pipefail

cd "$(dirname "$0")/.."
REPS=5 DURATION=2 WARMUP=0.5 BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) REPS=1 DURATION=0.5 WARMUP=0.2 ;;
        --reps) REPS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --warmup) WARMUP="$2"; shift ;;
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
LOADS="${LOADS:-4x32 16x128 1x1}"
MODES="${MODES:-query execute}"
VALUE_SIZE="${VALUE_SIZE:-100 65536}"
PROXY_WORKERS="${PROXY_WORKERS:-1}"
OUT="${OUT:-benchmarks/out}"
. benchmarks/lib.sh

PATHS=()
for c in ${CONFIGS:-a b c "d'" e d}; do
    case "$c" in
        a|direct) PATHS+=(direct) ;;
        b|relay) PATHS+=(relay) ;;
        c|proxy) PATHS+=(proxy) ;;
        "d'"|direct-tls) PATHS+=(direct-tls) ;;
        e|relay-tls) PATHS+=(relay-tls) ;;
        d|proxy-tls) PATHS+=(proxy-tls) ;;
        *) echo "unknown configuration $c (a b c d' e d, or direct relay proxy direct-tls relay-tls proxy-tls)" >&2; exit 2 ;;
    esac
done
wants() { local p; for p in "${PATHS[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
PLAIN=0 TLS=0
for p in "${PATHS[@]}"; do case "$p" in *-tls) TLS=1 ;; *) PLAIN=1 ;; esac; done

build_binaries

# table_for SIZE: the table holding SIZE-byte values, and how many rows it has (fewer when large).
table_for() { if [ "$1" = 100 ]; then echo "kv 1000"; else echo "kv_$1 $(( $1 > 4096 ? 100 : 1000 ))"; fi; }

if [ "$PLAIN" = 1 ]; then
    start_mock
    for size in $VALUE_SIZE; do
        read -r table rows <<<"$(table_for "$size")"
        "$BIN/cql-bench" load --port "$MOCK_PORT" --setup --table "$table" --rows "$rows" --value-size "$size" \
            --connections 1 --depth 1 --duration 0.1 --warmup 0 >/dev/null
    done
    wants relay && start_relay relay "127.0.0.1:$MOCK_PORT"
    wants proxy && start_proxy proxy --contact-points "127.0.0.1:$MOCK_PORT" --port "$MOCK_PORT"
fi
if [ "$TLS" = 1 ]; then
    start_astra
    for size in $VALUE_SIZE; do
        read -r table rows <<<"$(table_for "$size")"
        "$BIN/cql-bench" load --port "$ASTRA_NODE_PORT" --username token --password "$ASTRA_TOKEN" --setup \
            --table "$table" --rows "$rows" --value-size "$size" --connections 1 --depth 1 --duration 0.1 \
            --warmup 0 >/dev/null
    done
    wants relay-tls && start_relay relay-tls "$ASTRA_SNI" --tls-bundle "$ASTRA_BUNDLE" --sni "$ASTRA_HOST_ID"
    wants proxy-tls && start_proxy proxy-tls --astra-bundle "$ASTRA_BUNDLE" --astra-token "$ASTRA_TOKEN"
fi

echo "paths: ${PATHS[*]}; loads: $LOADS; modes: $MODES; values: $VALUE_SIZE bytes; workers $PROXY_WORKERS;" \
     "$REPS x ${DURATION}s (+${WARMUP}s warm-up)" >&2

# target_args PATH: how `cql-bench load` reaches PATH, and which processes it measures.
target_args() {
    case "$1" in
        direct) echo "--port $MOCK_PORT --cpu-pid $MOCK_PID --upstream-pid $MOCK_PID" ;;
        relay) echo "--port ${PORT[relay]} --cpu-pid ${PID[relay]} --upstream-pid $MOCK_PID" ;;
        proxy) echo "--port ${PORT[proxy]} --cpu-pid ${PID[proxy]} --upstream-pid $MOCK_PID" ;;
        direct-tls) echo "--bundle $ASTRA_BUNDLE --token $ASTRA_TOKEN --host-id $ASTRA_HOST_ID --port ${ASTRA_SNI##*:}" \
                         "--cpu-pid $ASTRA_PID --upstream-pid $ASTRA_PID" ;;
        relay-tls) echo "--port ${PORT[relay-tls]} --username token --password $ASTRA_TOKEN" \
                        "--cpu-pid ${PID[relay-tls]} --upstream-pid $ASTRA_PID" ;;
        proxy-tls) echo "--port ${PORT[proxy-tls]} --cpu-pid ${PID[proxy-tls]} --upstream-pid $ASTRA_PID" ;;
    esac
}

mkdir -p "$OUT"
RESULTS="$OUT/results-$(date +%Y%m%d-%H%M%S).jsonl"
: >"$RESULTS"
FAILED=0
for size in $VALUE_SIZE; do
    read -r table rows <<<"$(table_for "$size")"
    for mode in $MODES; do
        case "$mode" in query) flag= ;; execute) flag=--prepared ;; *) echo "unknown mode $mode" >&2; exit 2 ;; esac
        for load in $LOADS; do
            conns="${load%x*}" depth="${load#*x}"
            for rep in $(seq 1 "$REPS"); do
                for path in "${PATHS[@]}"; do
                    # shellcheck disable=SC2046,SC2086  # word splitting wanted
                    if line="$("$BIN/cql-bench" load $(target_args "$path") --table "$table" --rows "$rows" $flag \
                            --connections "$conns" --depth "$depth" --duration "$DURATION" --warmup "$WARMUP" \
                            2>"$TMP/load.err")"; then
                        rc=0
                    else
                        rc=$?
                    fi
                    if [ "$rc" != 0 ] || [ -s "$TMP/load.err" ]; then
                        echo "[$size $mode $load $path #$rep] exit $rc: $(cat "$TMP/load.err")" >&2
                        [ "$rc" = 0 ] || FAILED=$((FAILED + 1))
                    fi
                    check_alive "$size $mode $load $path #$rep"
                    [ -n "$line" ] || line='{}'
                    printf '{"size":%s,"mode":"%s","load":"%s","path":"%s","rep":%s,"exit":%s,"result":%s}\n' \
                        "$size" "$mode" "$load" "$path" "$rep" "$rc" "$line" >>"$RESULTS"
                    echo "  $size $mode $load $path #$rep $line" >&2
                done
            done
        done
    done
done

python3 benchmarks/summarize.py "$RESULTS"
echo "raw results: $RESULTS" >&2
report_proxy_logs
[ "$FAILED" = 0 ]
