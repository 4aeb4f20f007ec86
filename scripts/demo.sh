#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, and runs cspwatch over the
# shipped demo (etc/demo/: ~30 fictional customer tenants of "Northwind IT Services").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
bin=build/bin/cspwatch
config=etc/demo/cspwatch.yaml

echo
echo "== cspwatch --config $config config check"
"$bin" --config "$config" config check || true
echo
echo "== cspwatch --config $config tenants list"
"$bin" --config "$config" tenants list
