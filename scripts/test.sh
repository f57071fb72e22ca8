#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The executor's Python harness on its own: every hostile behaviour, both isolation modes.
python3 -m unittest discover -s Tests/harness
swift build --build-tests
swift test
