#!/usr/bin/env bash
# Runs the whole test suite under ThreadSanitizer and/or AddressSanitizer, each in its own scratch path
# (.build-tsan, .build-asan) so neither disturbs .build.
#
#   scripts/sanitizers.sh [thread|address|both] [extra swift test args...]     (default: both)
#
# Every product is built sanitized, so the cql-proxy and cql-mock executables the tests start are checked
# too. Reports go to files (log_path), from the test process and every child, and are listed at the end:
# a run fails when a test fails or when any report was written. Nothing is excluded.
#
# Reading TSan's reports on Linux (Swift 6.3), both checked with standalone programs:
# - Synchronization.Mutex is invisible to TSan (its lock lives in the uninstrumented runtime), so two
#   accesses made inside `withLock` on different threads are reported as a race. Check for a Mutex first.
# - Consecutive runs of one DispatchSource's event handler are serialized by libdispatch but reported.
# Under TSan the tests run one at a time (--no-parallel): in parallel, the Python-driver tests hit the
# driver's 5 s connect timeout against a proxy slowed ~10x by TSan on 2 cores (they pass serially).
# Children get exitcode=0 so a report does not also fail the test that checks their exit status; the
# report files are what count.
set -uo pipefail
cd "$(dirname "$0")/.."

which="${1:-both}"
[ $# -gt 0 ] && shift
case "$which" in
    thread) sanitizers=(thread) ;; address) sanitizers=(address) ;; both) sanitizers=(thread address) ;;
    *) echo "usage: $0 [thread|address|both] [swift test args...]" >&2; exit 2 ;;
esac

run() {
    local san="$1"; shift
    local scratch=".build-${san:0:1}san" status=0
    local reports="$PWD/$scratch/reports"
    rm -rf "$reports"; mkdir -p "$reports"
    echo "sanitizers: $san: building and testing in $scratch"
    # TSan's halt_on_error=0 keeps going after the first report so one run lists them all. Leak checking is off:
    # Swift's runtime caches (metadata, conformances) are never freed and would drown real reports.
    # Swift's own crash handler is off so a trap is reported by the sanitizer, not a second backtracer.
    local start=$SECONDS
    local extra=()
    [ "$san" = thread ] && extra=(--no-parallel)
    SWIFT_BACKTRACE=enable=no \
    TSAN_OPTIONS="log_path=$reports/tsan halt_on_error=0 exitcode=0 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
    ASAN_OPTIONS="log_path=$reports/asan detect_leaks=0 ${ASAN_OPTIONS:-}" \
        swift test --sanitize="$san" --scratch-path "$scratch" "${extra[@]}" "$@" >"$scratch/test.log" 2>&1 || status=$?
    local found
    found=$(find "$reports" -type f | wc -l)
    echo "sanitizers: $san: swift test exit $status, $found report file(s), $((SECONDS - start))s (log $scratch/test.log)"
    grep -E "Test run with .* (passed|failed)|✘ Test .* failed|error: " "$scratch/test.log" | tail -15
    if [ "$found" -gt 0 ]; then
        echo "sanitizers: $san: distinct reports (count, kind, first source frame of each stack: access | other access | allocation):"
        summarize "$reports"/* | sort | uniq -c | sort -rn
        echo "sanitizers: $san: full reports in $reports/"
    fi
    [ "$status" -eq 0 ] && [ "$found" -eq 0 ]
}

# One line per report: its kind, then for each stack the first frame in a .swift file with a line number.
summarize() {
    awk '
        function flush() { if (kind != "") print kind ":" locs; kind = ""; locs = "" }
        /^(WARNING: ThreadSanitizer|ERROR: AddressSanitizer): / {
            flush(); n = 0; kind = $0; sub(/^[A-Z]+: [A-Za-z]+: /, "", kind); sub(/ \(pid=.*| on address.*/, "", kind); want = 0
        }
        / +#0 / { want = 1 }
        want && n < 3 && match($0, /[^ \/]+\.swift:[0-9]+/) { locs = locs " " substr($0, RSTART, RLENGTH); want = 0; n++ }
        END { flush() }
    ' "$@"
}

failed=()
for san in "${sanitizers[@]}"; do run "$san" "$@" || failed+=("$san"); done
if [ ${#failed[@]} -eq 0 ]; then echo "sanitizers: ${sanitizers[*]}: pass"; exit 0; fi
echo "sanitizers: FAIL: ${failed[*]}"
exit 1
