#!/usr/bin/env bash
# Installs what codedpo needs to build and run on Debian 12 (Swift itself is already there):
# the SQLite and zlib development files and a Python 3 interpreter (the executor's workers).
set -euo pipefail

need=()
[ -f /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
command -v python3 >/dev/null 2>&1 || [ -x /usr/bin/python3 ] || need+=(python3)

if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "setup: installing ${need[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "setup: missing ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
        exit 1
    fi
fi
command -v swift >/dev/null 2>&1 || { echo "setup: swift is not on PATH (expected Swift 6.x, e.g. /opt/swift/usr/bin)" >&2; exit 1; }
