#!/usr/bin/env bash
# Installs the Debian 12 packages cspwatch needs to build, test and run its demo.
# Idempotent: when every package is already installed it does not call apt-get at all.
# Usage: scripts/install-deps.sh            (as root, or with sudo available)
set -euo pipefail

# One list, grouped by purpose; keep it in step with docs/development.md.
packages=(
  # toolchain
  g++ make cmake ninja-build ccache pkg-config
  # lld links about four times faster than GNU ld (CMakeLists.txt, CSPWATCH_LINKER)
  lld
  # libraries (Debian 12 versions are the supported ones)
  libpoco-dev libyaml-cpp-dev libsqlite3-dev libspdlog-dev libfmt-dev catch2 libcli11-dev
  libsystemd-dev libkainjow-mustache-dev libre2-dev
  # the PostgreSQL backend (libpq), and the server its tests start of their own
  # (tests/support/postgres_server.sh; ctest -L postgres)
  libpq-dev postgresql-15
  # the sanitizer build and the fuzzers: clang with its sanitizer and libFuzzer runtimes, and
  # llvm-symbolizer for readable stack traces
  clang libclang-rt-14-dev llvm-14
  # tools the tests and the demo use
  sqlite3 python3 python3-aiosmtpd python3-jsonschema openssl ca-certificates
  # the tz database, for named zones in the rules' time accessors (t.getHours("Australia/Sydney"))
  tzdata
  # the HTML mail rendering test: headless Chromium, pdftotext, a font to render with
  chromium poppler-utils fonts-dejavu-core
  # packaging: the man page (help2man), the .deb (cpack with dpkg-shlibdeps, which needs file)
  # and the unit's checks (systemd-analyze security/verify; the unit's ExecReload= /bin/kill)
  help2man dpkg-dev file systemd procps
  # the completion scripts' test: zsh -n parses the zsh one (bash is already there)
  zsh
  # promtool (Debian's prometheus package) checks and unit-tests the shipped alerting rules
  # (etc/prometheus/, ctest -L prometheus)
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  # dpkg-query prints "install ok installed" only for a fully installed package.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
