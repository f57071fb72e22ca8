#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Hugging Face datasets, to load exports the way trainers do (tests skip without it).
python3 -c "import datasets" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check datasets \
    || echo "test: could not install datasets; the trainer-loading check will be skipped" >&2
# The executor's Python harness on its own: every hostile behaviour, both isolation modes.
python3 -m unittest discover -s Tests/harness
swift build --build-tests
swift test
