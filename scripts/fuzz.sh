#!/usr/bin/env bash
# Builds the libFuzzer targets (build preset `fuzz`: the targets of the clang ASan + UBSan tree build-asan/) and
# runs each for SECONDS (default 30) over a copy of its seed corpus fuzz/corpus/<target>/ with
# its dictionary fuzz/<target>.dict, so nothing is written into the repository. Prints per
# target the executions, exec/s and the coverage of the last status line (cov: / ft:); exits
# non-zero if any target crashed, leaked, timed out or ran out of memory, and shows where the
# input that did it was saved. fuzz/README.md says how to reproduce and minimise one.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]      (default: every target)
# Environment: FUZZ_JOBS   targets run at once (default: the number of CPUs)
#              FUZZ_OUT    work directory (default: build-asan/fuzz-run; a target's
#                          subdirectory is emptied before it runs)
# Needs clang, libclang-rt-14-dev (libFuzzer and the sanitizer runtimes) and, for symbolized
# stack traces, llvm-14 (llvm-symbolizer).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-30}
[ $# -gt 0 ] && shift
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a number, got '$seconds'" >&2; exit 2 ;; esac
all_targets=(rule_loader_fuzz condition_parser_fuzz tenant_json_fuzz inventory_csv_fuzz)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [ -d "fuzz/corpus/$t" ] || { echo "fuzz.sh: unknown target '$t' (${all_targets[*]})" >&2; exit 2; }
done
jobs=${FUZZ_JOBS:-$(nproc)}
. scripts/presets.sh
tree=$(preset_dir fuzz)
out=${FUZZ_OUT:-$tree/fuzz-run}
case "$out" in /*) ;; *) out="$root/$out" ;; esac

scripts/build.sh fuzz

# Symbolized reports: Debian installs llvm-symbolizer under a versioned name.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && ! command -v llvm-symbolizer >/dev/null 2>&1; then
  for s in /usr/bin/llvm-symbolizer-14 /usr/lib/llvm-14/bin/llvm-symbolizer; do
    if [ -x "$s" ]; then export ASAN_SYMBOLIZER_PATH=$s; break; fi
  done
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run() {  # run TARGET: fuzz it for $seconds in $out/TARGET; libFuzzer's exit status to ./status
  local t=$1 dir="$out/$1" status=0
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp fuzz/corpus/"$t"/* "$dir/corpus/"
  (cd "$dir" && "$root/$tree/bin/$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -dict="$root/fuzz/$t.dict" -artifact_prefix=artifacts/ -print_final_stats=1 \
    corpus >log 2>&1) || status=$?
  echo "$status" >"$dir/status"
}

# Regression: every saved reproducer (fuzz/crashes/<target>/) must now run clean.
mkdir -p "$out"
for t in "${targets[@]}"; do
  inputs=(fuzz/crashes/"$t"/*)
  [ -e "${inputs[0]}" ] || continue
  if ! "$tree/bin/$t" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >"$out/$t.replay.log" 2>&1; then
    echo "fuzz.sh: a saved reproducer of $t fails again; see $out/$t.replay.log" >&2
    grep -E '^==[0-9]+== ?ERROR|^SUMMARY|Running:|contract broken' "$out/$t.replay.log" | tail -n 5 >&2
    exit 1
  fi
  echo "fuzz.sh: $t: ${#inputs[@]} saved reproducer(s) run clean"
done

echo "fuzz.sh: ${#targets[@]} target(s), ${seconds}s each, $jobs at a time, in $out"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run "$t" &
done
wait

failed=0
printf '%-24s %-7s %12s %8s %8s %8s\n' target result executions exec/s cov ft
for t in "${targets[@]}"; do
  status=$(cat "$out/$t/status" 2>/dev/null || echo 1)
  log="$out/$t/log"
  # The last status line ("#12345 REDUCE cov: 1234 ft: 5678 corp: ...") and the final stats.
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -n 1)
  result=ok
  if [ "$status" -ne 0 ]; then result=FAILED; failed=1; fi
  printf '%-24s %-7s %12s %8s %8s %8s\n' "$t" "$result" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}"
done

if [ "$failed" -ne 0 ]; then
  for t in "${targets[@]}"; do
    dir="$out/$t"
    if compgen -G "$dir/artifacts/*" >/dev/null; then
      echo
      echo "== $t: $(grep -m1 -E '^==[0-9]+== ?ERROR|^SUMMARY|contract broken' "$dir/log" || echo failed)"
      for a in "$dir"/artifacts/*; do echo "  input: $a"; done
      grep -E '^SUMMARY' "$dir/log" | sed 's/^/  /' || true
      echo "  log:   $dir/log"
      echo "  again: $tree/bin/$t <input>"
    elif ! grep -q '^Done' "$dir/log"; then
      echo
      echo "== $t: did not finish; the end of $dir/log:"
      tail -n 20 "$dir/log" | sed 's/^/  /'
    fi
  done
  exit 1
fi
