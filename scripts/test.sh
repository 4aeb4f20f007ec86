#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
#
# Usage: scripts/test.sh                        everything, as CI runs it (.ci/run):
#          1. the release build (build/) and the whole ctest suite;
#          2. the asan-ubsan build (build-asan/: clang, AddressSanitizer + UndefinedBehaviorSanitizer,
#             LeakSanitizer at every exit; built at low priority while the release suite runs)
#             and the suite again, the packaging checks aside (a
#             sanitized .deb is nothing anyone installs), and the fault suites' PostgreSQL runs;
#          3. every libFuzzer target for FUZZ_SECONDS (default 30) over its seed corpus, after
#             replaying the saved reproducers (scripts/fuzz.sh).
#        scripts/test.sh PRESET [ctest args...]  one preset's suite only (release, debug, asan-ubsan)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/presets.sh
suite() {  # suite PRESET [ctest args...]
  local preset=$1
  shift
  scripts/build.sh "$preset"
  # Two tests a core: most of them wait on the processes and servers they start (the daemon, the
  # simulator, the SMTP server, Chromium), not on the CPU. Measured on 2 cores: the release suite
  # 230 s -> 102 s and the sanitizer suite 246 s -> 163 s, every test passing in repeated runs.
  ctest --test-dir "$(preset_dir "$preset")" --output-on-failure --parallel "$(($(nproc) * 2))" "$@"
}

scripts/install-deps.sh
if [ $# -gt 0 ]; then
  case "$1" in release | debug | asan-ubsan) ;; *) echo "test.sh: unknown preset '$1'" >&2; exit 2 ;; esac
  suite "$@"
  exit 0
fi

start=$SECONDS
phase() { echo; echo "== test.sh: $1 ($((SECONDS - start)) s so far)"; }
phase "release build and suite"
scripts/build.sh release
# The sanitizer build starts now, at the lowest CPU priority, while the release suite runs: the
# suite mostly waits on the processes it starts, so the build takes the idle CPU and the tests
# keep theirs (nice 19 weighs 15 against a test's 1024). On 2 cores this overlaps most of the
# suite's minutes with the build's instead of adding them.
asan_log=$(mktemp)
nice -n 19 scripts/build.sh asan-ubsan >"$asan_log" 2>&1 &
asan_build=$!
release_status=0
ctest --test-dir "$(preset_dir release)" --output-on-failure --parallel "$(($(nproc) * 2))" ||
  release_status=$?
phase "asan-ubsan build (started beside the release suite)"
asan_status=0
wait "$asan_build" || asan_status=$?
tail -n 3 "$asan_log"
if [ "$asan_status" -ne 0 ]; then
  echo "test.sh: the asan-ubsan build failed:" >&2
  grep -E -m 20 'error|FAILED' "$asan_log" >&2 || tail -n 40 "$asan_log" >&2
  exit "$asan_status"
fi
rm -f "$asan_log"
[ "$release_status" -eq 0 ] || { echo "test.sh: the release suite failed" >&2; exit "$release_status"; }
phase "asan-ubsan suite (clang; ASan, UBSan, LeakSanitizer)"
# halt_on_error: UBSan findings fail the test that met them, as ASan's do.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The fault suites' PostgreSQL runs too are left to the release build: they prove process and
# timing behaviour (kill -9, a server restarted, failover), which the sanitizers add nothing to,
# at a minute of CI time; the PostgreSQL backend's code runs sanitized in the storage and
# alert-path suites' PostgreSQL runs, which stay.
suite asan-ubsan --label-exclude packaging --exclude-regex '^faults[a-z_]* on postgres:'
phase "fuzzing, ${FUZZ_SECONDS:-30} s per target"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
phase "done"
