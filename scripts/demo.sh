#!/usr/bin/env bash
# Set-up and the main job on a fresh machine: build a release binary, create a database,
# and show what is in it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
DB="${CODEDPO_DB:-demo.db}"
.build/release/codedpo init --db "$DB"
.build/release/codedpo stats --db "$DB"
