#!/usr/bin/env bash
# `systemd-analyze verify` of cspwatch.service as the package installs it. systemd 252 verifies
# offline (no running systemd): --root makes it read the unit, its dependencies (sysinit.target,
# network-online.target, ...) and the ExecStart=/ExecReload= binaries from a tree that holds the
# unpacked package, the host's units and kill. Warnings fail the test too (an unknown key or a
# bad value is only a warning to systemd, and the exit status stays 0).
# Usage: unit_verify.sh DEB WORK_DIR
set -euo pipefail
deb=$1 work=$2

command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze not found (package systemd)"; exit 1; }
[ -f "$deb" ] || { echo "FAIL: no package $deb (the .deb test builds it)"; exit 1; }
root=$work/root
rm -rf "$work"
mkdir -p "$root/usr/lib/systemd/system" "$root/usr/bin"
dpkg-deb -x "$deb" "$root"
ln -s usr/lib "$root/lib"
ln -s usr/bin "$root/bin"
# The units systemd itself ships (Debian 12 keeps them in /lib/systemd/system).
for d in /lib/systemd/system /usr/lib/systemd/system; do
  [ -d "$d" ] && cp -an "$d/." "$root/usr/lib/systemd/system/"
done
# ExecReload=/bin/kill (package procps, which the .deb depends on).
kill_bin=$(type -P kill || true)
[ -n "$kill_bin" ] || { echo "FAIL: no kill program (package procps; run scripts/install-deps.sh)"; exit 1; }
cp "$kill_bin" "$root/usr/bin/kill"

set +e
# --man=no: Documentation= would be checked with man(1) on the host, not in --root.
out=$(SYSTEMD_COLORS=0 systemd-analyze verify --man=no --root="$root" cspwatch.service 2>&1)
rc=$?
set -e
if [ $rc -ne 0 ] || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify exited $rc:"
  echo "$out"
  exit 1
fi
echo "OK: systemd-analyze verify --root=... cspwatch.service: no errors, no warnings"
rm -rf "$work"
