# Finds the Debian 12 packages cspwatch builds against (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(Poco 1.11 REQUIRED COMPONENTS Foundation Util Net NetSSL JSON Crypto JWT)
find_package(yaml-cpp 0.7 REQUIRED)
find_package(SQLite3 3.40 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
# libsystemd: sd_notify (READY, RELOADING, WATCHDOG, STATUS, STOPPING) for `cspwatch run`.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
# libpq 15, PostgreSQL's C client, for the shared store (storage/postgres_backend.cpp).
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq>=15)
if(CSPWATCH_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
endif()
