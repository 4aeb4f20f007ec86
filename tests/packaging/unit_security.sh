#!/usr/bin/env bash
# The unit's sandboxing, as systemd rates it: `systemd-analyze security --offline=yes` must put
# the overall exposure of UNIT_FILE at MAX or lower (0.0 best, 10.0 worst).
# Usage: unit_security.sh UNIT_FILE MAX
# --offline=yes reads the unit file itself (systemd 252: no running systemd, no --root needed;
# the file must be named like the unit, cspwatch.service).
set -euo pipefail
unit=$1 max=$2

if ! command -v systemd-analyze >/dev/null; then
  echo "FAIL: systemd-analyze not found (Debian package systemd; run scripts/install-deps.sh)"
  exit 1
fi
# LC_ALL=C.UTF-8: the number format and the check marks do not depend on the caller's locale.
# --threshold=100: report, and let this script decide (the exit status would hide the output).
set +e
out=$(LC_ALL=C.UTF-8 SYSTEMD_COLORS=0 systemd-analyze security --offline=yes --threshold=100 \
      --no-pager "$unit" 2>&1)
rc=$?
set -e
line=$(grep -E 'Overall exposure level for [^:]+: [0-9]+\.[0-9]' <<<"$out" || true)
if [ $rc -ne 0 ] || [ -z "$line" ]; then
  echo "FAIL: systemd-analyze security exited $rc without an overall exposure:"
  echo "$out"
  exit 1
fi
exposure=$(sed -E 's/.*: ([0-9]+\.[0-9]+).*/\1/' <<<"$line")
if awk -v e="$exposure" -v m="$max" 'BEGIN { exit !(e + 0 <= m + 0) }'; then
  echo "$line"
  echo "OK: exposure $exposure <= $max"
  # The settings still counted against the unit, for whoever wants to tighten it further.
  grep '✗' <<<"$out" || true
  exit 0
fi
echo "FAIL: exposure $exposure > $max for $unit:"
echo "$out"
exit 1
