#!/usr/bin/env bash
# Regenerates Fuzz/corpus/{frame,value,statement,compression} from the test samples and golden frames.
# Each generator is compiled into the module it uses (its `import` of that module is then ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp="${FUZZ_SCRATCH:-.build-fuzz}/seeds"
mkdir -p "$tmp"
quiet() { grep -v "is part of module\|ignoring import\|^ *[0-9]* |\|^ *|\|^$" || true; }
# shellcheck disable=SC2046
swiftc -parse-as-library -module-name CQLProtocol -o "$tmp/protocol-seeds" \
    $(find Sources/CQLProtocol -name '*.swift' | sort) Tests/CQLProtocolTests/Samples.swift Tests/CQLProtocolTests/Helpers.swift \
    Fuzz/ValueFuzz.swift Fuzz/FuzzSupport.swift Fuzz/seeds/ProtocolSeeds.swift 2>&1 | quiet
"$tmp/protocol-seeds" Fuzz/corpus Tests/CQLProtocolTests/GoldenFrameTests.swift
# shellcheck disable=SC2046
swiftc -parse-as-library -module-name Compression -I Sources/CLZ4 -I Sources/CSnappy -llz4 -lsnappy \
    -o "$tmp/compression-seeds" $(find Sources/Compression -name '*.swift' | sort) Fuzz/seeds/CompressionSeeds.swift \
    2>&1 | quiet
"$tmp/compression-seeds" Fuzz/corpus/frame Fuzz/corpus/compression
