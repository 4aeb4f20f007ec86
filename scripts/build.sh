#!/usr/bin/env bash
# Configures and builds cspwatch with a CMake preset (default: release, into build/).
# Uses Ninja and ccache when they are installed.
# Usage: scripts/build.sh [PRESET]
#   release     build/        optimised with line tables (tests, demo, benchmarks)
#   debug       build-debug/  unoptimised
#   asan-ubsan  build-asan/   clang, ASan + UBSan (+ LeakSanitizer), tests and fuzz targets
#   fuzz        build-asan/   only the libFuzzer targets of the asan-ubsan tree
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
. scripts/presets.sh
configure=$(preset_configure "$preset") && dir=$(preset_dir "$preset") ||
  { echo "build.sh: unknown preset '$preset' (release, debug, asan-ubsan, fuzz)" >&2; exit 2; }
args=(--preset "$configure")
if command -v ninja >/dev/null 2>&1; then args+=(-G Ninja); fi
if command -v ccache >/dev/null 2>&1; then args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# Re-configure only when needed: a cached generator must not be switched under an existing tree.
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake "${args[@]}"
fi
cmake --build --preset "$preset" --parallel "$(nproc)"
