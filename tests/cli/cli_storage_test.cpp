// SPDX-License-Identifier: Apache-2.0
// `scan --once` recording, `findings`, `suppress` and `scans` through the CLI and the real
// binary, including a scan killed half way.
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include "cli/cli.h"
#include "config/app_config.h"
#include "storage/finding_store.h"
#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::parseObject;
using namespace cspwatch::cli;
using namespace cspwatch::config;
using cspwatch::testing::cliRun;
using cspwatch::testing::runBinary;
using Run = cspwatch::testing::CliRun;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

// A config over the demo inventory and the default rules, with the database in `dir`.
std::string demoConfig(const TempDir& dir) {
  return dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                        "sources:\n"
                                        "  inventory:\n"
                                        "    path: " +
                                        sourcePath("etc/demo/inventory.json") +
                                        "\n"
                                        "storage:\n"
                                        "  path: " +
                                        dir.file("cspwatch.db") +
                                        "\n"
                                        "rules:\n"
                                        "  paths: [" +
                                        sourcePath("etc/rules.d") + "]\n");
}

std::string integrity(const std::string& db_path) {
  auto db = storage::Database::open(db_path);
  REQUIRE(db);
  auto st = db->prepare("PRAGMA integrity_check");
  REQUIRE(st);
  REQUIRE(st->step());
  return st->getText(0);
}

const std::string kNow1 = "2026-11-25T00:00:00Z";
const std::string kNow2 = "2026-11-25T06:00:00Z";

}  // namespace

TEST_CASE("cli scan --once: records findings, running it again changes only what changed") {
  TempDir dir;
  std::string config = demoConfig(dir);
  Run first = cliRun({"-c", config, "scan", "--once", "--now", kNow1, "--format", "json"});
  INFO(first.err);
  REQUIRE(first.code == 0);
  auto s1 = parseObject(first.out);
  CHECK(s1->getValue<std::string>("status") == "completed");
  CHECK(s1->getObject("tenants")->getValue<int>("total") == 33);
  // Two with a part unread, three with a contact a missing permission hides.
  CHECK(s1->getObject("tenants")->getValue<int>("partial") == 5);
  CHECK(s1->getObject("findings")->getValue<int>("new") == 18);
  CHECK(s1->getObject("findings")->getValue<int>("unknown") == 5);

  Run second = cliRun({"-c", config, "scan", "--once", "--now", kNow2});
  CHECK(second.code == 0);
  CHECK_THAT(second.out,
             Catch::Contains("findings: 0 new, 0 reopened, 0 resolved, 0 retired, 18 open"));

  Run list = cliRun({"-c", config, "findings", "list", "--format", "json"});
  REQUIRE(list.code == 0);
  auto doc = parseObject(list.out);
  CHECK(doc->getValue<int>("schema_version") == 1);
  auto rows = doc->getArray("findings");
  REQUIRE(rows->size() == 18);
  for (size_t i = 0; i < rows->size(); ++i) {
    auto f = rows->getObject(i);
    for (const char* key : {"id", "rule", "tenant_id", "tenant_name", "subject", "state",
                            "suppressed", "severity", "first_seen", "last_seen", "message"})
      CHECK(f->has(key));
    CHECK(f->getValue<std::string>("first_seen") == kNow1);
    CHECK(f->getValue<std::string>("last_seen") == kNow2);
  }

  Run table = cliRun({"-c", config, "findings", "list", "--rule", "partner-not-listed"});
  CHECK(table.code == 0);
  CHECK_THAT(table.out, Catch::Contains("Bellbird Bookkeeping"));
  CHECK_THAT(table.out, Catch::Contains("3 finding(s)"));
  std::istringstream lines(table.out);
  for (std::string line; std::getline(lines, line);) CHECK(line.size() <= 100);

  Run csv = cliRun({"-c", config, "findings", "list", "--format", "csv", "--severity", "medium"});
  CHECK(csv.code == 0);
  CHECK_THAT(csv.out,
             Catch::StartsWith("id,rule,tenant_id,tenant_name,subject,state,suppressed,severity,"));
  CHECK_THAT(csv.out, Catch::Contains(",dap-enabled,"));
  CHECK_FALSE(csv.out.find(",high,") != std::string::npos);

  Run show = cliRun({"-c", config, "findings", "show", "1"});
  CHECK(show.code == 0);
  CHECK_THAT(show.out, Catch::Contains("history\n  " + kNow1 + "  opened (scan 1)"));
  CHECK(cliRun({"-c", config, "findings", "show", "999"}).code == 2);

  Run scans = cliRun({"-c", config, "scans", "list", "--format", "json"});
  CHECK(scans.code == 0);
  CHECK(parseObject(scans.out)->getArray("scans")->size() == 2);
  Run diff = cliRun({"-c", config, "scans", "diff", "1", "2", "--format", "json"});
  CHECK(diff.code == 0);
  auto d = parseObject(diff.out);
  for (const char* bucket : {"new", "resolved", "reopened", "still_open", "became_unknown"})
    CHECK(d->has(bucket));
  CHECK(d->getArray("still_open")->size() == 18);
  CHECK(d->getArray("new")->size() == 0);
}

TEST_CASE("cli suppress: add, list, remove, with the audit trail and clear errors") {
  TempDir dir;
  std::string config = demoConfig(dir);
  REQUIRE(cliRun({"-c", config, "scan", "--once", "--now", kNow1}).code == 0);
  Run add = cliRun({"-c", config, "suppress", "add", "--rule", "dap-enabled", "--tenant",
                    "F00B18D4-5934-42A6-8A64-9A6C06C7F30E", "--reason", "moving to GDAP this week",
                    "--owner", "alice", "--expires", "14d", "--ticket", "OPS-7"});
  INFO(add.err);
  REQUIRE(add.code == 0);
  CHECK_THAT(add.out, Catch::Contains("suppression #1 added"));
  Run supp =
      cliRun({"-c", config, "findings", "list", "--state", "suppressed", "--format", "json"});
  auto rows = parseObject(supp.out)->getArray("findings");
  REQUIRE(rows->size() == 1);
  CHECK(rows->getObject(0)->getValue<std::string>("tenant_id") ==
        "f00b18d4-5934-42a6-8a64-9a6c06c7f30e");
  CHECK(rows->getObject(0)->getValue<bool>("suppressed"));

  Run typo = cliRun({"-c", config, "suppress", "add", "--rule", "dap-enabld", "--reason", "x",
                     "--owner", "y", "--expires", "1d"});
  CHECK(typo.code == 2);
  CHECK_THAT(typo.err, Catch::Contains("did you mean 'dap-enabled'?"));
  Run too_long = cliRun({"-c", config, "suppress", "add", "--rule", "dap-enabled", "--reason", "x",
                         "--owner", "y", "--expires", "400d"});
  CHECK(too_long.code == 2);
  CHECK_THAT(too_long.err, Catch::Contains("more than 90d"));
  Run missing = cliRun({"-c", config, "suppress", "add", "--rule", "dap-enabled", "--owner", "y",
                        "--expires", "1d"});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("--reason"));

  CHECK(cliRun({"-c", config, "suppress", "remove", "1"}).code == 0);
  CHECK(cliRun({"-c", config, "suppress", "remove", "1"}).code == 2);
  Run list = cliRun({"-c", config, "suppress", "list", "--all", "--format", "json"});
  auto sups = parseObject(list.out)->getArray("suppressions");
  REQUIRE(sups->size() == 1);
  CHECK_FALSE(sups->getObject(0)->getValue<bool>("active"));

  auto store = storage::FindingStore::open(dir.file("cspwatch.db"));
  REQUIRE(store);
  auto audit = store->listAudit();
  REQUIRE(audit);
  REQUIRE(audit->size() == 2);
  CHECK(audit->at(1).action == "suppress.add");
  CHECK_FALSE(audit->at(1).actor.empty());
}

TEST_CASE("cli scan: a process killed between tenants leaves the database as it was") {
  TempDir dir;
  std::string config = demoConfig(dir);
  const std::string db = dir.file("cspwatch.db");
  // Killed during the very first scan: nothing recorded. (The test build's cspwatch-faulty:
  // the packaged cspwatch has no fault points armed, see the next test.)
  auto killed = runBinary("cspwatch-faulty", {"-c", config, "scan", "--once", "--now", kNow1},
                          {{"CSPWATCH_TEST_CRASH_AFTER_TENANTS", "10"}});
  CHECK(killed.exit_code != 0);
  CHECK(integrity(db) == "ok");
  {
    auto store = storage::FindingStore::open(db);
    REQUIRE(store);
    auto rows =
        store->listFindings({storage::StateFilter::kAll, "", "", ""}, *parseTimestamp(kNow1));
    REQUIRE(rows);
    CHECK(rows->empty());
  }
  // The next scan marks the killed one interrupted and completes.
  auto ok =
      runBinary("cspwatch", {"-c", config, "scan", "--once", "--now", kNow1, "--format", "json"});
  INFO(ok.err);
  REQUIRE(ok.exit_code == 0);
  CHECK(parseObject(ok.out)->getObject("findings")->getValue<int>("new") == 18);
  // Killed again half way through a later scan: the previous state stands, untouched.
  auto again = runBinary("cspwatch-faulty", {"-c", config, "scan", "--once", "--now", kNow2},
                         {{"CSPWATCH_TEST_CRASH_AFTER_TENANTS", "20"}});
  CHECK(again.exit_code != 0);
  CHECK(integrity(db) == "ok");
  auto after =
      runBinary("cspwatch", {"-c", config, "scan", "--once", "--now", kNow2, "--format", "json"});
  REQUIRE(after.exit_code == 0);
  auto f = parseObject(after.out)->getObject("findings");
  CHECK(f->getValue<int>("new") == 0);
  CHECK(f->getValue<int>("resolved") == 0);
  CHECK(f->getValue<int>("open") == 18);
  Run scans = cliRun({"-c", config, "scans", "list", "--format", "json"});
  auto list = parseObject(scans.out)->getArray("scans");
  REQUIRE(list->size() == 4);
  CHECK(list->getObject(0)->getValue<std::string>("status") == "completed");
  CHECK(list->getObject(1)->getValue<std::string>("status") == "interrupted");
  CHECK(list->getObject(2)->getValue<std::string>("status") == "completed");
  CHECK(list->getObject(3)->getValue<std::string>("status") == "interrupted");
}

TEST_CASE("cli scan: the packaged binary has no crash hook, whatever the environment says") {
  TempDir dir;
  std::string config = demoConfig(dir);
  auto run =
      runBinary("cspwatch", {"-c", config, "scan", "--once", "--now", kNow1, "--format", "json"},
                {{"CSPWATCH_TEST_CRASH_AFTER_TENANTS", "1"}});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(parseObject(run.out)->getObject("findings")->getValue<int>("new") == 18);
}

TEST_CASE("cli: a database from a newer cspwatch is refused with a clear message") {
  TempDir dir;
  std::string config = demoConfig(dir);
  {
    auto db = storage::Database::open(dir.file("cspwatch.db"));
    REQUIRE(db);
    REQUIRE(db->exec("PRAGMA user_version = 42"));
  }
  Run r = cliRun({"-c", config, "findings", "list"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("newer than this cspwatch knows"));
}
