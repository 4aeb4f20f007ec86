// SPDX-License-Identifier: Apache-2.0
// The cspwatch-sim binary: the files it writes for cspwatch, and its usage errors.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tenants/inventory_source.h"
#include "tests/support/cli_runner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::runBinary;
using cspwatch::testing::TempDir;

TEST_CASE("sim binary: --write-config writes a config cspwatch accepts, with private secrets") {
  TempDir dir;
  auto r =
      runBinary("cspwatch-sim", {"--world", testing::sourcePath("etc/demo/world.json"), "--now",
                                 "2026-11-25T00:00:00Z", "--write-config",
                                 dir.file("cspwatch.yaml"), "--write-truth", dir.file("truth.json"),
                                 "--rules-path", testing::sourcePath("etc/rules.d"), "--no-serve"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("listening on http://127.0.0.1:"));
  for (const char* secret : {"client_secret", "refresh_token"}) {
    struct stat st {};
    REQUIRE(::stat(dir.file(secret).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  auto check = testing::cliRun({"--config", dir.file("cspwatch.yaml"), "config", "check"});
  INFO(check.err);
  CHECK(check.code == 0);
  // The written inventory holds the demo's tenants, as cspwatch reads inventories.
  auto inventory = tenants::loadInventoryFile(dir.file("inventory.json"));
  REQUIRE(inventory);
  CHECK(inventory->tenants.size() == 33);
  CHECK(inventory->diagnostics.empty());
  CHECK_THAT(testing::readFile(dir.file("truth.json")),
             Catch::Contains("\"rule\": \"partner-not-listed\""));
}

TEST_CASE("sim binary: usage errors exit 2 with a message") {
  CHECK(runBinary("cspwatch-sim", {}).exit_code == 2);
  auto bad = runBinary("cspwatch-sim", {"--generate", "5", "--faults", "medium"});
  CHECK(bad.exit_code == 2);
  auto missing = runBinary("cspwatch-sim", {"--world", "/nonexistent/world.json"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("/nonexistent/world.json"));
}

TEST_CASE("sim binary: --pc-burst and --graph-burst shape the buckets, said at start-up") {
  auto given = runBinary(
      "cspwatch-sim", {"--generate", "5", "--pc-burst", "1", "--graph-burst", "0.5", "--no-serve"});
  INFO(given.out << given.err);
  REQUIRE(given.exit_code == 0);
  CHECK_THAT(given.out, Catch::StartsWith("listening on http://127.0.0.1:"));
  CHECK_THAT(given.out, Catch::Contains("\nrate limits: Partner Center 500 a minute, burst 1 s (8 "
                                        "requests at once); Graph 3500 per 10 s, burst 0.5 s (175 "
                                        "requests at once)\n"));
  // Not given, the seed picks them: seed 2 draws 1 s for both.
  auto varied = runBinary("cspwatch-sim", {"--generate", "5", "--seed", "2", "--no-serve"});
  CHECK_THAT(varied.out, Catch::Contains("Partner Center 500 a minute, burst 1 s (8 requests"));
  CHECK_THAT(varied.out, Catch::Contains("Graph 3500 per 10 s, burst 1 s (350 requests"));
  auto none = runBinary("cspwatch-sim", {"--generate", "5", "--no-rate-limits", "--no-serve"});
  CHECK_THAT(none.out, Catch::Contains("\nrate limits: none\n"));
  CHECK(runBinary("cspwatch-sim", {"--generate", "5", "--pc-burst", "0", "--no-serve"}).exit_code ==
        2);
}
