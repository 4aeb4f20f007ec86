#!/usr/bin/env bash
# Runs promtool with the arguments given, or fails saying where it comes from.
# Usage: promtool.sh check rules FILE | promtool.sh test rules FILE
set -euo pipefail
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool is missing: run scripts/install-deps.sh (Debian package prometheus)" >&2
  exit 1
fi
exec promtool "$@"
