#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (swiftc -sanitize=fuzzer,address; never part of Package.swift) and
# runs each one for a bounded time on its seed corpus.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     targets: frame value statement compression
#
# With no seconds, 60 s in total are split evenly across the chosen targets (15 s each for all four): the
# bounded run CI makes. Exits non-zero if any target crashes, times out or runs out of memory, and prints
# the saved input. FUZZ_SCRATCH (default .build-fuzz) holds the binaries (rebuilt only when a source is
# newer), the growing corpus, logs and artifacts/. FUZZ_JOBS>1 runs that many targets at once.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(frame value statement compression)
seconds="${1:-}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
if [ -z "$seconds" ]; then seconds=$(( 60 / ${#targets[@]} )); fi

scratch="${FUZZ_SCRATCH:-.build-fuzz}"
mkdir -p "$scratch"/{mod,lib,bin,corpus,logs,artifacts}
flags=(-parse-as-library -sanitize=fuzzer,address -O -g -swift-version 6)
quiet() { grep -v "Cannot export local symbol" || true; }   # ld.gold's noise about asan's local helpers

# Rebuilds $1 when it is missing or older than any of the remaining paths.
stale() {
    local out="$1"; shift
    [ -e "$out" ] || return 0
    [ -n "$(find "$@" -newer "$out" -print -quit)" ]
}

build_module() {   # name, extra swiftc flags...
    local name="$1"; shift
    local lib="$scratch/lib/lib$name.a"
    if stale "$lib" "Sources/$name"; then
        echo "fuzz: building $name"
        # shellcheck disable=SC2046
        swiftc "${flags[@]}" -wmo -module-name "$name" "$@" \
            -emit-module -emit-module-path "$scratch/mod/$name.swiftmodule" \
            -emit-library -static -o "$lib" $(find "Sources/$name" -name '*.swift' | sort) 2>&1 | quiet
        [ -e "$lib" ]
    fi
}

c_modules=(-I Sources/CLZ4 -I Sources/CSnappy)
module_of() { case "$1" in compression) echo Compression ;; *) echo CQLProtocol ;; esac; }
source_of() {
    case "$1" in
        frame) echo Fuzz/FrameFuzz.swift ;; value) echo Fuzz/ValueFuzz.swift ;;
        statement) echo Fuzz/StatementFuzz.swift ;; compression) echo Fuzz/CompressionFuzz.swift ;;
        *) echo "fuzz: unknown target $1 (have: ${all_targets[*]})" >&2; exit 2 ;;
    esac
}
max_len_of() { case "$1" in statement) echo 4096 ;; compression) echo 65536 ;; *) echo 16384 ;; esac; }

build_target() {
    local t="$1" src module bin
    src="$(source_of "$t")"; module="$(module_of "$t")"; bin="$scratch/bin/fuzz-$t"
    if [ "$module" = Compression ]; then build_module Compression "${c_modules[@]}"; else build_module CQLProtocol; fi
    if stale "$bin" "$src" Fuzz/FuzzSupport.swift "$scratch/lib/lib$module.a"; then
        echo "fuzz: building $bin"
        local link=()
        [ "$module" = Compression ] && link=("${c_modules[@]}" -llz4 -lsnappy)
        swiftc "${flags[@]}" -module-name "Fuzz_$t" -I "$scratch/mod" -L "$scratch/lib" -l"$module" "${link[@]}" \
            "$src" Fuzz/FuzzSupport.swift -o "$bin" 2>&1 | quiet
        [ -x "$bin" ]
    fi
}

for t in "${targets[@]}"; do build_target "$t"; done

# Runs one target; prints its summary; returns non-zero on a finding.
run_target() {
    local t="$1" log="$scratch/logs/$1.log" dict=() rc=0
    mkdir -p "$scratch/corpus/$t"
    [ -f "Fuzz/dict/$t.dict" ] && dict=(-dict="Fuzz/dict/$t.dict")
    # Swift's own crash handler would walk the stack under ASan and trip it: leave crashes to libFuzzer.
    # Leak checks off: the Swift runtime's metadata caches are never freed and would read as leaks.
    SWIFT_BACKTRACE=enable=no "$scratch/bin/fuzz-$t" "$scratch/corpus/$t" "Fuzz/corpus/$t" "${dict[@]}" \
        -max_total_time="$seconds" -max_len="$(max_len_of "$t")" -timeout=10 -rss_limit_mb=2048 \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$t-" >"$log" 2>&1 || rc=$?
    local execs cov
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    echo "fuzz: $t: ${seconds}s, ${execs:-?} execs, ${cov:-no coverage line}, exit $rc (log $log)"
    if [ "$rc" -ne 0 ]; then
        grep -E '^==[0-9]+==ERROR|^Fatal error|fuzz property failed|deadly signal|SUMMARY' "$log" | head -5 || true
        grep -o 'Test unit written to .*' "$log" | sed 's/^Test unit written to /fuzz: reproducer: /' || true
        echo "fuzz: replay with: $scratch/bin/fuzz-$t <reproducer>"
        return 1
    fi
}

failed=0
jobs_max="${FUZZ_JOBS:-1}"
pids=()
for t in "${targets[@]}"; do
    if [ "$jobs_max" -gt 1 ]; then
        run_target "$t" & pids+=($!)
        if [ ${#pids[@]} -ge "$jobs_max" ]; then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
    else
        run_target "$t" || failed=1
    fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ "$failed" -eq 0 ] && echo "fuzz: no findings" || echo "fuzz: FINDINGS (see reproducers above)"
exit "$failed"
