#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
# Usage: scripts/test.sh [PRESET] [extra ctest arguments...]   (PRESET defaults to release)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
shift || true
scripts/install-deps.sh
scripts/build.sh "$preset"
dir=$(case "$preset" in release) echo build ;; debug) echo build-debug ;; asan-ubsan) echo build-asan ;; *) echo "build-$preset" ;; esac)
ctest --test-dir "$dir" --output-on-failure --parallel "$(nproc)" "$@"
