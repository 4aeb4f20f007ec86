#!/usr/bin/env bash
# Builds the release preset, runs every benchmark and writes one Markdown table of the figures
# with their targets (to stdout and to $BUILD_DIR/bench/report.md; each benchmark's raw output
# beside it). Benchmarks are not tests. About 40 minutes on 2 cores; see bench/README.md.
# Usage: bench/run.sh
# Environment: BUILD_DIR (default build) is the build tree, configured with the release preset
# when it has none; BENCH_SIZES (default 1000:1,10000:10) the scans as TENANTS:SCALE, each run
# for every bucket shape of BENCH_BURSTS (default 1,10,60: seconds of refill a bucket holds).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}

if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  args=(--preset release -B "$build_dir")
  if command -v ninja >/dev/null 2>&1; then args+=(-G Ninja); fi
  if command -v ccache >/dev/null 2>&1; then args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake "${args[@]}" >/dev/null
fi
# Only what the benchmarks run: the daemon, the simulator and the benchmark programs.
cmake --build "$build_dir" --parallel "$(nproc)" \
  --target cspwatch cspwatch-sim rules_bench storage_bench sim_bench >/dev/null

exec python3 bench/report.py "$build_dir/bin" "$build_dir/bench"
