// SPDX-License-Identifier: Apache-2.0
// The notification history and retention through the CLI: `findings show` names the messages
// that mentioned a finding by the Message-ID the recipient got, and `scan --once` prunes what
// is older than alerts.retention after the scan, at the time --now gives.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include "common/text.h"
#include "storage/database.h"
#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::contains;
using cspwatch::testing::cliRun;
using cspwatch::testing::parseObject;
using cspwatch::testing::readFile;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;
using Run = cspwatch::testing::CliRun;

namespace {

const std::string kOps = "ops@northwind-it.com.au";
const std::string kT0 = "2026-11-25T00:00:00Z";

// The demo inventory and rules, alerts to kOps as .eml files in mail/; `extra` adds keys to
// the alerts section (indented 2).
std::string config(const TempDir& dir, const std::string& extra = "") {
  return dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                        "sources:\n"
                                        "  inventory:\n"
                                        "    path: " +
                                        sourcePath("etc/demo/inventory.json") +
                                        "\n"
                                        "storage:\n"
                                        "  path: cspwatch.db\n"
                                        "rules:\n"
                                        "  paths: [" +
                                        sourcePath("etc/rules.d") +
                                        "]\n"
                                        "alerts:\n"
                                        "  transport: file\n"
                                        "  file:\n"
                                        "    dir: mail\n"
                                        "  from: \"cspwatch <cspwatch@northwind-it.com.au>\"\n"
                                        "  templates_dir: " +
                                        sourcePath("etc/templates") +
                                        "\n"
                                        "  routes:\n"
                                        "    - to: [" +
                                        kOps +
                                        "]\n"
                                        "      default: true\n" +
                                        extra);
}

// The Message-ID header of the only .eml file in `dir`.
std::string onlyMessageId(const std::string& dir) {
  std::vector<std::string> emls;
  for (const auto& name : testing::listDirectory(dir))
    if (endsWith(name, ".eml")) emls.push_back(name);
  REQUIRE(emls.size() == 1);
  const std::string text = readFile(dir + "/" + emls[0]);
  const size_t at = text.find("\r\nMessage-ID: ");
  REQUIRE(at != std::string::npos);
  const size_t start = at + 14;
  return text.substr(start, text.find("\r\n", start) - start);
}

// The body the outbox holds for `message_id`.
std::string storedBody(const std::string& db_path, const std::string& message_id) {
  auto db = storage::Database::open(db_path, true);
  REQUIRE(db);
  auto st = db->prepare("SELECT body FROM outbox WHERE message_id = ?1");
  REQUIRE(st);
  st->bind(1, message_id);
  REQUIRE(st->step());
  return st->getText(0);
}

}  // namespace

TEST_CASE("findings show lists the messages that mentioned the finding by the Message-ID sent",
          "[history]") {
  TempDir dir;
  const std::string cfg = config(dir);
  Run scan = cliRun({"-c", cfg, "scan", "--once", "--now", kT0});
  INFO(scan.out << scan.err);
  REQUIRE(scan.code == 0);
  REQUIRE(contains(scan.out, "alerts: 1 delivered"));
  const std::string message_id = onlyMessageId(dir.file("mail"));
  REQUIRE(startsWith(message_id, "<"));

  Run json = cliRun({"-c", cfg, "findings", "show", "1", "--format", "json"});
  INFO(json.err);
  REQUIRE(json.code == 0);
  auto doc = parseObject(json.out);
  for (const char* key : {"id", "rule", "tenant_id", "evidence", "history"})
    CHECK(doc->has(key));  // the fields there were before stay
  auto list = doc->getArray("notifications");
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  auto n = list->getObject(0);
  CHECK(n->getValue<std::string>("message_id") == message_id);
  CHECK(n->getValue<std::string>("recipient") == kOps);
  CHECK(n->getValue<std::string>("kind") == "digest");
  CHECK(n->getValue<std::string>("at") == kT0);
  CHECK(n->getValue<std::string>("status") == "sent");
  CHECK(n->getValue<std::string>("sent_at") == kT0);
  CHECK(n->getValue<int>("attempts") == 1);
  CHECK(n->isNull("last_error"));

  Run text = cliRun({"-c", cfg, "findings", "show", "1"});
  REQUIRE(text.code == 0);
  CHECK(contains(text.out, "history\n"));
  const std::string table = text.out.substr(text.out.find("\nnotifications\n"));
  CHECK(contains(table, "AT"));
  CHECK(contains(table, "MESSAGE-ID"));
  CHECK(contains(table, kT0 + "  digest  " + kOps));
  CHECK(contains(table, "sent"));
  CHECK(contains(table, message_id));
}

TEST_CASE("scan --once prunes a digest's body after alerts.retention, its Message-ID stays",
          "[history]") {
  TempDir dir;
  const std::string cfg = config(dir, "  retention: 30d\n");
  const std::string db = dir.file("cspwatch.db");
  REQUIRE(cliRun({"-c", cfg, "scan", "--once", "--now", kT0}).code == 0);
  const std::string first = onlyMessageId(dir.file("mail"));
  REQUIRE_FALSE(storedBody(db, first).empty());

  // Exactly 30 days after it was sent: kept.
  Run inside = cliRun({"-c", cfg, "scan", "--once", "--now", "2026-12-25T00:00:00Z"});
  INFO(inside.out << inside.err);
  REQUIRE(inside.code == 0);
  CHECK_FALSE(storedBody(db, first).empty());
  // A second later: its body is gone, its row and the history naming it are not.
  Run outside = cliRun({"-c", cfg, "scan", "--once", "--now", "2026-12-25T00:00:01Z"});
  INFO(outside.out << outside.err);
  REQUIRE(outside.code == 0);
  CHECK(storedBody(db, first).empty());
  Run show = cliRun({"-c", cfg, "findings", "show", "1", "--format", "json"});
  REQUIRE(show.code == 0);
  auto list = parseObject(show.out)->getArray("notifications");
  REQUIRE(list->size() >= 1);
  CHECK(list->getObject(0)->getValue<std::string>("message_id") == first);
  CHECK(list->getObject(0)->getValue<std::string>("status") == "sent");
}
