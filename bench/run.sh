#!/usr/bin/env bash
# Runs every benchmark (release build) and prints its figures. Benchmarks are not tests.
# Usage: bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "== rules: evaluations per CPU-second over the default pack"
build/bin/rules_bench 10000 3
echo
echo "== storage: reconciling 100,000 findings"
build/bin/storage_bench 10000
echo
echo "== simulator: start-up and requests per second on one core"
build/bin/sim_bench 10000 5 4
echo
echo "== a scan of 2,000 tenants through the simulator (50 ms latency, documented limits; ~8 min)"
build/bin/scan_bench 2000 50 8 2>/dev/null
