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
# install_tool COMMAND PACKAGE WHAT: installs a Debian package when its command is missing (as
# root; otherwise prints the command to run), so the tests that need it run instead of skipping.
install_tool() {
    command -v "$1" >/dev/null && return 0
    if [ "$(id -u)" = 0 ]; then
        { echo "test: installing $2" >&2; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; } \
            || echo "test: could not install $2; $3 will be skipped" >&2
    else
        echo "test: $2 is missing (sudo apt-get install -y $2); $3 will be skipped" >&2
    fi
}
# Chromium, to render `codedpo report` headless (scripts/check_report.py; the report test skips without it).
command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
    || install_tool chromium chromium "the report rendering check"
# Bubblewrap, so the executor's `--isolation bwrap` test runs instead of being skipped.
install_tool bwrap bubblewrap "the bwrap isolation test"
# valgrind, so `efficiency --method instructions` is tested where perf_event_open is refused
# (most VMs and containers) instead of being skipped.
install_tool valgrind valgrind "the instruction-count tests"
# The executor's Python harness on its own: every hostile behaviour, both isolation modes.
python3 -m unittest discover -s Tests/harness
# The reward functions of examples/ (TRL GRPO, verl, OpenRLHF) on correct and wrong answers.
python3 -m unittest discover -s Tests/examples
# Debug and release builds, failing on any compiler warning in our code (scripts/build.sh).
scripts/build.sh
scripts/build.sh release
swift test
