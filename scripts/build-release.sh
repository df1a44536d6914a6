#!/usr/bin/env bash
# Builds the release binary the Docker image ships: `scripts/build-release.sh [output-dir]` (default dist/).
# The Swift runtime and Foundation are linked statically (--static-swift-stdlib); what stays dynamic is
# glibc and the Debian libraries the code links (OpenSSL, nghttp2, lz4, snappy), which `ldd` lists at the
# end: the runtime image must install exactly those. SWIFT_SCRATCH_PATH picks the build directory
# (default: SwiftPM's .build).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-dist}"
scratch=()
if [ -n "${SWIFT_SCRATCH_PATH:-}" ]; then
    scratch=(--scratch-path "$SWIFT_SCRATCH_PATH")
fi

swift build "${scratch[@]}" -c release --product cql-proxy --static-swift-stdlib
bin_dir="$(swift build "${scratch[@]}" -c release --show-bin-path)"

mkdir -p "$out"
strip -o "$out/cql-proxy" "$bin_dir/cql-proxy"
chmod 0755 "$out/cql-proxy"

bytes="$(stat -c %s "$out/cql-proxy")"
echo "$out/cql-proxy: $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB)"
echo "shared libraries (ldd):"
ldd "$out/cql-proxy"
