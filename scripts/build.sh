#!/usr/bin/env bash
# Configures and builds cspwatch with a CMake preset (default: release, into build/).
# Uses Ninja and ccache when they are installed. Usage: scripts/build.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
args=(--preset "$preset")
if command -v ninja >/dev/null 2>&1; then args+=(-G Ninja); fi
if command -v ccache >/dev/null 2>&1; then args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# Re-configure only when needed: a cached generator must not be switched under an existing tree.
dir=$(case "$preset" in release) echo build ;; debug) echo build-debug ;; asan-ubsan) echo build-asan ;; *) echo "build-$preset" ;; esac)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake "${args[@]}"
fi
cmake --build --preset "$preset" --parallel "$(nproc)"
