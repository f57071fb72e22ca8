#!/usr/bin/env bash
# Builds codedpo (debug with tests by default; `scripts/build.sh release` for the release binary)
# and fails when our own code has a compiler warning. Warnings from dependencies (.build/checkouts)
# do not count: we cannot fix them, and -warnings-as-errors would reach them too.
# A warning is only printed when its file compiles, so run this on a clean clone (CI does) or
# after `rm -rf .build` to see them all; an incremental build shows the files it recompiled.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ "${1:-debug}" = release ]; then
    swift build -c release 2>&1 | tee "$log"
else
    swift build --build-tests 2>&1 | tee "$log"
fi
# Diagnostics start with the file's absolute path: ours are under these folders.
if grep -E "^$(pwd)/(Sources|Tests|Plugins|migrations)/[^ ]+:[0-9]+:[0-9]+: warning:" "$log" | sort -u > "$log.warnings" && [ -s "$log.warnings" ]; then
    echo "build: $(wc -l < "$log.warnings") compiler warning(s) in our code; the build must have none:" >&2
    cat "$log.warnings" >&2
    rm -f "$log.warnings"
    exit 1
fi
rm -f "$log.warnings"
