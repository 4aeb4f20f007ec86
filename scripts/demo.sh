#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, and runs cspwatch over the
# shipped demo (etc/demo/: ~30 fictional customer tenants of "Northwind IT Services").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
bin=build/bin/cspwatch
config=etc/demo/cspwatch.yaml
# The demo's data is a snapshot taken on this day; evaluate it as of then.
now=2026-11-25T00:00:00Z

step() { printf '\n== %s\n' "$*"; }

step "cspwatch rules check etc/rules.d"
"$bin" rules check etc/rules.d
step "cspwatch rules test etc/rules.d"
"$bin" rules test etc/rules.d | tail -1
step "cspwatch --config $config tenants list"
"$bin" --config "$config" tenants list
step "cspwatch --config $config scan --once --dry-run --now $now"
"$bin" --config "$config" scan --once --dry-run --now "$now"
step "the first finding in full (--format json)"
"$bin" --config "$config" scan --once --dry-run --now "$now" --format json | sed -n '/"findings"/,/}/p' | head -14

# Recording: a fresh database under build/demo/, two scans six hours apart.
mkdir -p build/demo
rm -f build/demo/cspwatch.db build/demo/cspwatch.db-wal build/demo/cspwatch.db-shm
step "cspwatch --config $config scan --once (recorded), twice"
"$bin" --config "$config" scan --once --now "$now"
"$bin" --config "$config" scan --once --now 2026-11-25T06:00:00Z
step "cspwatch --config $config findings list"
"$bin" --config "$config" findings list
step "cspwatch --config $config scans list"
"$bin" --config "$config" scans list
