// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <sstream>

#include <catch2/catch.hpp>

#include "common/text.h"
#include "config/app_config.h"
#include "tests/support/cli_runner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::cli;
using namespace cspwatch::config;
using cspwatch::testing::cliRun;
using cspwatch::testing::runBinary;
using Run = cspwatch::testing::CliRun;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

const char* kConfig =
    "partner:\n"
    "  name: Northwind IT Services\n"
    "  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"
    "  email_domains: [northwind-it.com.au]\n"
    "sources:\n"
    "  inventory:\n"
    "    path: inventory.csv\n"
    "rules:\n"
    "  paths: [.]\n";

}  // namespace

TEST_CASE("cli: --help works at every level and --version prints the version") {
  for (auto args : std::vector<std::vector<std::string>>{{"--help"},
                                                         {"config", "--help"},
                                                         {"config", "check", "--help"},
                                                         {"tenants", "--help"},
                                                         {"tenants", "list", "--help"}}) {
    Run r = cliRun(args);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("Usage:") || Catch::Contains("OPTIONS"));
  }
  Run v = cliRun({"--version"});
  CHECK(v.code == 0);
  CHECK_THAT(v.out, Catch::StartsWith("cspwatch "));
}

TEST_CASE("cli: usage errors exit 2 with the message on stderr") {
  Run none = cliRun({});
  CHECK(none.code == 2);
  CHECK(none.out.empty());
  CHECK_FALSE(none.err.empty());
  Run bad = cliRun({"tenants", "list", "--format", "xml"});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--format"));
  CHECK(cliRun({"frobnicate"}).code == 2);
}

TEST_CASE("cli: config check exits 0 clean, 1 for missing files, 2 for an invalid config") {
  TempDir dir;
  // Rules of their own: `.` would load cspwatch.yaml as a rule file, which config check refuses.
  std::string path =
      dir.write("cspwatch.yaml",
                replaceAll(kConfig, "paths: [.]", "paths: [" + sourcePath("etc/rules.d") + "]"));
  Run missing = cliRun({"--config", path, "config", "check"});
  CHECK(missing.code == 1);
  CHECK_THAT(missing.err, Catch::Contains("inventory.csv"));

  dir.write("inventory.csv", "tenant_id\n");
  Run ok = cliRun({"config", "check", "--config", path});
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::Contains(": OK"));

  std::string bad = dir.write("bad.yaml", std::string(kConfig) + "schedlue:\n  interval: 1h\n");
  Run invalid = cliRun({"--config", bad, "config", "check"});
  CHECK(invalid.code == 2);
  CHECK_THAT(invalid.err, Catch::Contains(bad + ":10:1: error: unknown key 'schedlue'"));
  CHECK_THAT(invalid.err, Catch::Contains("did you mean 'schedule'?"));
}

TEST_CASE("cli: the real binary reports a misspelt key as FILE:LINE:COL with exit 2") {
  TempDir dir;
  std::string bad = dir.write("cspwatch.yaml", std::string(kConfig) + "storage:\n  pth: x.db\n");
  auto r = runBinary("cspwatch", {"--config", bad, "config", "check"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains(bad + ":11:3: error: section 'storage': unknown key 'pth'"));
  CHECK_THAT(r.err, Catch::Contains("hint: did you mean 'path'?"));
  CHECK_THAT(r.err, Catch::Contains("\n    pth: x.db\n    ^\n"));
}

TEST_CASE("cli: tenants list prints a table or JSON of the inventory") {
  TempDir dir;
  std::string path = dir.write("cspwatch.yaml", kConfig);
  dir.write("inventory.csv",
            "tenant_id,name,domain,tags\n"
            "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,Contoso Ltd,contoso.com,gold\n"
            "bad,Broken,broken.com,\n");
  Run table = cliRun({"--config", path, "tenants", "list"});
  CHECK(table.code == 0);
  CHECK_THAT(table.out, Catch::Contains("52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c  Contoso Ltd"));
  CHECK_THAT(table.out, Catch::Contains("1 tenant(s), 1 skipped"));
  CHECK_THAT(table.err, Catch::Contains("inventory.csv:3:1: error"));

  Run json = cliRun({"--config", path, "tenants", "list", "--format", "json"});
  CHECK(json.code == 0);
  CHECK_THAT(json.out, Catch::Contains("\"schema_version\": 1"));
  CHECK_THAT(json.out, Catch::Contains("\"name\": \"Contoso Ltd\""));
  CHECK_THAT(json.out, Catch::Contains("\"admin_relationships\": null"));
}

TEST_CASE("cli: tenants list fails with exit 1 when the inventory cannot be read") {
  TempDir dir;
  std::string path = dir.write("cspwatch.yaml", kConfig);
  Run r = cliRun({"--config", path, "tenants", "list"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("cannot read inventory file"));
}

TEST_CASE("cli: the demo config lists the demo tenants in a 100-column table") {
  // A terminal 100 wide (COLUMNS); in a pipe nothing would be cut (docs/cli.md#tables).
  ::setenv("COLUMNS", "100", 1);
  Run r = cliRun({"--config", sourcePath("etc/demo/cspwatch.yaml"), "tenants", "list"});
  ::unsetenv("COLUMNS");
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  std::istringstream lines(r.out);
  std::string line;
  size_t count = 0;
  while (std::getline(lines, line)) {
    CHECK(line.size() <= 100 + 8);  // bytes; UTF-8 names may use more than one per column
    ++count;
  }
  CHECK(count >= 27);
}
