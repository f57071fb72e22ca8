#!/usr/bin/env bash
# Set-up and the main job on a fresh machine: installs what is missing, builds a release
# binary, and runs `codedpo demo`: the whole pipeline on the dataset built into the binary
# (no network, no LLM), into ./codedpo-demo (database, exports, report).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
exec .build/release/codedpo demo --dir "${CODEDPO_DEMO_DIR:-codedpo-demo}" "$@"
