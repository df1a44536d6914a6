# Shared by run.sh and memory.sh (sourced, not run): building, starting and watching the processes.
# Expects SCRATCH/BIN/BUILD/PROXY_WORKERS from the caller; every process started here is stopped on exit.

SCRATCH="${SCRATCH:-.build-bench}"
PROXY_WORKERS="${PROXY_WORKERS:-1}"
BUILD="${BUILD:-1}"
if [ -n "${BIN:-}" ]; then BUILD=0; else BIN="$SCRATCH/release"; fi

TMP="$(mktemp -d)"
declare -A PID PORT
CHILDREN=()
cleanup() {
    local pid
    for pid in "${CHILDREN[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${CHILDREN[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_binaries() {
    if [ "$BUILD" = 1 ]; then
        echo "building release binaries in $SCRATCH ..." >&2
        local product
        for product in cql-mock cql-proxy cql-bench; do
            swift build -c release --scratch-path "$SCRATCH" --product "$product" >&2
        done
    fi
    local tool
    for tool in cql-mock cql-proxy cql-bench; do
        [ -x "$BIN/$tool" ] || { echo "missing $BIN/$tool" >&2; exit 1; }
    done
}

# wait_for FILE REGEX PID SECONDS: until a line of FILE matches, the process dies, or time runs out.
wait_for() {
    local file="$1" regex="$2" pid="$3" deadline=$((SECONDS + $4))
    until grep -Eq "$regex" "$file" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then echo "process $pid exited early:" >&2; cat "$file" >&2; exit 1; fi
        if [ "$SECONDS" -ge "$deadline" ]; then echo "timed out waiting for /$regex/ in $file" >&2; cat "$file" >&2; exit 1; fi
        sleep 0.02
    done
}

# start_mock: one plain cql-mock node; sets MOCK_PID, MOCK_PORT.
start_mock() {
    "$BIN/cql-mock" --nodes 1 --port 0 >"$TMP/mock.log" 2>&1 &
    MOCK_PID=$!; CHILDREN+=("$MOCK_PID"); PID[mock]=$MOCK_PID
    wait_for "$TMP/mock.log" '^ready$' "$MOCK_PID" 20
    MOCK_PORT="$(awk '$1 == "node" && $2 == "0" { n = split($3, a, ":"); print a[n] }' "$TMP/mock.log")"
}

# start_astra: the Astra emulator with one node; sets ASTRA_PID, ASTRA_BUNDLE, ASTRA_TOKEN, ASTRA_SNI
# (host:port of the SNI front), ASTRA_HOST_ID and ASTRA_NODE_PORT (the node's own plain port, for setup).
start_astra() {
    "$BIN/cql-mock" astra --nodes 1 --bundle-out "$TMP/bundle.zip" >"$TMP/astra.log" 2>&1 &
    ASTRA_PID=$!; CHILDREN+=("$ASTRA_PID"); PID[astra]=$ASTRA_PID
    wait_for "$TMP/astra.log" '^ready$' "$ASTRA_PID" 30
    ASTRA_BUNDLE="$(awk '$1 == "bundle" { print $2 }' "$TMP/astra.log")"
    chmod 600 "$ASTRA_BUNDLE"   # it holds a private key; the proxy warns otherwise
    ASTRA_TOKEN="$(awk '$1 == "token" { print $2 }' "$TMP/astra.log")"
    ASTRA_SNI="$(awk '$1 == "sni-proxy" { print $2 }' "$TMP/astra.log")"
    ASTRA_HOST_ID="$(awk '$1 == "node" && $2 == "0" { print $4 }' "$TMP/astra.log")"
    ASTRA_NODE_PORT="$(awk '$1 == "node" && $2 == "0" { n = split($3, a, ":"); print a[n] }' "$TMP/astra.log")"
}

# start_relay NAME TO [ARGS...]: a cql-bench relay; sets PID[NAME], PORT[NAME].
start_relay() {
    local name="$1" to="$2"; shift 2
    "$BIN/cql-bench" relay --listen 127.0.0.1:0 --to "$to" --workers "$PROXY_WORKERS" "$@" >"$TMP/$name.log" 2>&1 &
    PID[$name]=$!; CHILDREN+=("$!")
    wait_for "$TMP/$name.log" 'relay listening on' "${PID[$name]}" 20
    PORT[$name]="$(sed -nE 's/^relay listening on [^ ]*:([0-9]+) .*/\1/p' "$TMP/$name.log")"
}

# start_proxy NAME ARGS...: cql-proxy on 127.0.0.1:0 with PROXY_WORKERS loops; sets PID[NAME], PORT[NAME].
start_proxy() {
    local name="$1"; shift
    "$BIN/cql-proxy" --bind 127.0.0.1:0 --workers "$PROXY_WORKERS" "$@" >"$TMP/$name.log" 2>&1 &
    PID[$name]=$!; CHILDREN+=("$!")
    wait_for "$TMP/$name.log" 'proxy listening on' "${PID[$name]}" 30
    PORT[$name]="$(sed -nE 's/.*proxy listening on [^ ;,]*:([0-9]+)[;, ].*/\1/p' "$TMP/$name.log" | head -1)"
}

# stop NAME: stops one process started above and waits for it.
stop() {
    local pid="${PID[$1]}"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "PID[$1]"
}

# check_alive WHAT: every started process still runs, else print its log and stop the run.
check_alive() {
    local name
    for name in "${!PID[@]}"; do
        if ! kill -0 "${PID[$name]}" 2>/dev/null; then
            echo "$name (pid ${PID[$name]}) died during $1; its log:" >&2
            tail -40 "$TMP/$name.log" >&2
            exit 1
        fi
    done
}

# rss_kib PID: VmRSS of a process, in KiB.
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

report_proxy_logs() {
    local name
    for name in "${!PID[@]}"; do
        case "$name" in proxy*) ;; *) continue ;; esac
        if grep -Eiq 'error|warn|fatal' "$TMP/$name.log"; then
            echo "$name log has warnings or errors:" >&2
            grep -Ei 'error|warn|fatal' "$TMP/$name.log" | tail -20 >&2
        fi
    done
}
