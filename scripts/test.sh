#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need (Debian packages, the Python driver and
# cqlsh from PyPI), builds, and runs `swift test`. CI's .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libssl-dev libnghttp2-dev liblz4-dev libsnappy-dev zlib1g-dev curl binutils; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python3 -m pip install --quiet --disable-pip-version-check -r Tests/e2e/requirements.txt

# The release binary the Docker image ships (same script), which the executable tests then run.
scripts/build-release.sh dist
swift build --build-tests
CQL_PROXY_BIN="$PWD/dist/cql-proxy" python3 -m pytest -q -p no:cacheprovider Tests/e2e/test_examples.py
# A bounded coverage-guided fuzz run (libFuzzer, about 60 s over the four targets) before the suite.
scripts/fuzz.sh
# A crash could leave children holding the output open; a bound turns a hang into a clear failure.
CQL_PROXY_BINARY="$PWD/dist/cql-proxy" timeout --kill-after=60 2700 swift test
