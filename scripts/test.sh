#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Hugging Face datasets, to load exports the way trainers do (tests skip without it).
python3 -c "import datasets" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check datasets \
    || echo "test: could not install datasets; the trainer-loading check will be skipped" >&2
# Datasette, to serve the canned queries of examples/datasette.json (the Datasette test skips without it).
python3 -c "import datasette" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check datasette \
    || echo "test: could not install datasette; the Datasette check will be skipped" >&2
# Chromium, to render `codedpo report` headless (scripts/check_report.py; the report test skips without it).
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
    || if [ "$(id -u)" = 0 ]; then
        { echo "test: installing chromium" >&2; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
            || echo "test: could not install chromium; the report rendering check will be skipped" >&2
    else
        echo "test: chromium is missing (sudo apt-get install -y chromium); the report rendering check will be skipped" >&2
    fi
# Bubblewrap, so the executor's `--isolation bwrap` test runs instead of being skipped.
command -v bwrap >/dev/null \
    || if [ "$(id -u)" = 0 ]; then
        { echo "test: installing bubblewrap" >&2; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; } \
            || echo "test: could not install bubblewrap; the bwrap isolation test will be skipped" >&2
    else
        echo "test: bubblewrap is missing (sudo apt-get install -y bubblewrap); the bwrap isolation test will be skipped" >&2
    fi
# The executor's Python harness on its own: every hostile behaviour, both isolation modes.
python3 -m unittest discover -s Tests/harness
# The reward functions of examples/ (TRL GRPO, verl, OpenRLHF) on correct and wrong answers.
python3 -m unittest discover -s Tests/examples
# Debug and release builds, failing on any compiler warning in our code (scripts/build.sh).
scripts/build.sh
scripts/build.sh release
swift test
