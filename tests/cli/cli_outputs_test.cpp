// SPDX-License-Identifier: Apache-2.0
// Webhooks and Teams end to end: real scans of the demo inventory posted to a real HTTP server
// on 127.0.0.1 by the real binary; each event once, signed (checked with OpenSSL), valid under
// docs/webhook-event.schema.json (checked with python3-jsonschema) and selected by its route;
// one Teams card; and no webhook secret or Teams signature in the output, the log, the
// database (every table dumped) or `alerts outbox`.
#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/file_util.h"
#include "common/text.h"
#include "tests/support/demo_partner.h"
#include "tests/support/http_receiver.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/webhook_checks.h"

using namespace cspwatch;
using Catch::contains;
using cspwatch::testing::HttpReceiver;
using cspwatch::testing::ReceivedRequest;
using cspwatch::testing::runBinary;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

const std::string kSecret = "whsec-cli-outputs-5b8e2f1c9d";
const std::string kSig = "U2lnbmF0dXJlT2ZUaGVUZWFtc1dvcmtmbG93VVJM";
const std::string kT0 = "2026-11-25T00:00:00Z";

// The demo inventory; mail to .eml files for ops; the route "desk" posts high and critical
// items to `receiver` (a webhook at /hook, a Teams Workflows URL at /teams?...&sig=).
std::string config(const TempDir& dir, const HttpReceiver& receiver, bool teams_inline = false) {
  dir.write("inventory.json", testing::readFile(sourcePath("etc/demo/inventory.json")));
  ::chmod(dir.write("webhook.secret", kSecret + "\n").c_str(), 0600);
  const std::string teams_url = receiver.url("/teams?api-version=2016-06-01&sig=" + kSig);
  ::chmod(dir.write("teams.url", teams_url + "\n").c_str(), 0600);
  const std::string path = dir.write(
      "cspwatch.yaml", testing::kDemoPartnerYaml +
                           "sources:\n  inventory:\n    path: inventory.json\n"
                           "storage:\n  path: cspwatch.db\n"
                           "rules:\n  paths: [" +
                           sourcePath("etc/rules.d") +
                           "]\n"
                           "alerts:\n"
                           "  from: \"cspwatch <cspwatch@northwind-it.com.au>\"\n"
                           "  templates_dir: " +
                           sourcePath("etc/templates") +
                           "\n"
                           "  file:\n    dir: mail\n"
                           "  could_not_check_after_scans: 1\n"
                           "  routes:\n"
                           "    - to: [ops@northwind-it.com.au]\n"
                           "      default: true\n"
                           "    - name: desk\n"
                           "      match: {severities: [critical, high]}\n"
                           "      webhooks:\n"
                           "        - url: " +
                           receiver.url("/hook") +
                           "\n"
                           "          secret_file: webhook.secret\n"
                           "      teams:\n" +
                           (teams_inline ? "        - url: \"" + teams_url + "\"\n"
                                         : std::string("        - url_file: teams.url\n")));
  ::chmod(path.c_str(), 0644);
  return path;
}

std::vector<ReceivedRequest> to(const HttpReceiver& receiver, const std::string& prefix) {
  std::vector<ReceivedRequest> out;
  for (const auto& r : receiver.requests())
    if (r.target.rfind(prefix, 0) == 0) out.push_back(r);
  return out;
}

Poco::JSON::Object::Ptr json(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

// Every table of the database, as `sqlite3 .dump` prints it.
std::string dump(const std::string& db) {
  auto r = testing::runCommand("/usr/bin/sqlite3", {db, ".dump"});
  REQUIRE(r.exit_code == 0);
  return r.out;
}

}  // namespace

TEST_CASE("outputs: a scan's events are posted once each, signed, valid, as the route selects",
          "[outputs]") {
  TempDir dir;
  HttpReceiver receiver;
  const std::string cfg = config(dir, receiver);
  auto scan =
      runBinary("cspwatch", {"-c", cfg, "--log-level", "debug", "scan", "--once", "--now", kT0});
  INFO(scan.out << scan.err);
  REQUIRE(scan.exit_code == 0);

  const auto events = to(receiver, "/hook");
  REQUIRE(events.size() >= 3);
  std::set<std::string> ids;
  std::vector<std::string> bodies;
  for (const auto& e : events) {
    auto body = json(e.body);
    const std::string id = body->getValue<std::string>("event_id");
    CHECK(ids.insert(id).second);  // each event once
    CHECK(e.header("x-cspwatch-signature") == testing::opensslSignature(kSecret, e.body));
    CHECK(e.header("x-cspwatch-event-id") == id);
    CHECK(e.header("idempotency-key") == id);
    CHECK(e.header("x-cspwatch-event") == body->getValue<std::string>("event"));
    // The route takes high and critical items only; the rest went to ops by mail alone.
    auto about =
        body->has("finding") ? body->getObject("finding") : body->getObject("could_not_check");
    const std::string severity = about->getValue<std::string>("severity");
    CHECK((severity == "high" || severity == "critical"));
    bodies.push_back(e.body);
  }
  const std::string problems = testing::schemaProblems(bodies);
  INFO(problems);
  CHECK(problems.empty());

  // One Teams card, to the whole Workflows URL.
  const auto cards = to(receiver, "/teams");
  REQUIRE(cards.size() == 1);
  CHECK(cards[0].target == "/teams?api-version=2016-06-01&sig=" + kSig);
  auto card = json(cards[0].body);
  CHECK(card->getValue<std::string>("type") == "message");
  CHECK(card->getArray("attachments")->getObject(0)->getValue<std::string>("contentType") ==
        "application/vnd.microsoft.card.adaptive");

  // The outbox names outputs by route and place, sent once; a second scan posts nothing again.
  auto outbox = runBinary("cspwatch", {"-c", cfg, "alerts", "outbox", "--all", "--format", "json"});
  REQUIRE(outbox.exit_code == 0);
  auto rows = json(outbox.out)->getArray("messages");
  size_t webhook_rows = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    auto m = rows->getObject(static_cast<unsigned>(i));
    CHECK(m->getValue<std::string>("status") == "sent");
    if (m->getValue<std::string>("channel") == "webhook") {
      ++webhook_rows;
      CHECK(m->getValue<std::string>("target") == "webhook:desk:0");
      CHECK(m->getValue<std::string>("to") == receiver.url("/hook"));
      CHECK(ids.count(m->getValue<std::string>("message_id")) == 1);
    }
  }
  CHECK(webhook_rows == events.size());
  auto table = runBinary("cspwatch", {"-c", cfg, "alerts", "outbox", "--all"});
  INFO(table.out);
  CHECK(contains(table.out, "webhook:desk:0"));
  CHECK(contains(table.out, "teams:desk:0"));
  auto again =
      runBinary("cspwatch", {"-c", cfg, "scan", "--once", "--now", "2026-11-25T06:00:00Z"});
  REQUIRE(again.exit_code == 0);
  CHECK(receiver.requests().size() == events.size() + 1);

  // No secret anywhere cspwatch writes or prints.
  std::string everything = scan.out + scan.err + outbox.out + outbox.err + table.out + table.err +
                           again.out + again.err + dump(dir.file("cspwatch.db"));
  for (const char* extra : {"cspwatch.db", "cspwatch.db-wal"})
    if (auto raw = readWholeFile(dir.file(extra), 1 << 30)) everything += *raw;
  CHECK_FALSE(contains(everything, kSecret));
  CHECK_FALSE(contains(everything, kSig));
  CHECK(contains(scan.err, "delivered evt_"));  // the log was there to be looked at
}

TEST_CASE("outputs: config check warns of a Teams signature in a configuration others can read",
          "[outputs]") {
  TempDir dir;
  HttpReceiver receiver;
  auto inline_url = runBinary("cspwatch", {"-c", config(dir, receiver, true), "config", "check"});
  INFO(inline_url.out << inline_url.err);
  CHECK(inline_url.exit_code == 0);
  CHECK(contains(inline_url.err, "[config.secret-readable]"));
  CHECK(contains(inline_url.err, "the Teams URL of the route 'desk' carries a secret"));
  CHECK(contains(inline_url.err, "url_file"));
  CHECK(contains(inline_url.err, "cspwatch.yaml:30:16:"));  // where the URL is written
  auto from_file = runBinary("cspwatch", {"-c", config(dir, receiver, false), "config", "check"});
  INFO(from_file.out << from_file.err);
  CHECK(from_file.exit_code == 0);
  CHECK_FALSE(contains(from_file.err, "secret-readable"));
  const std::string cfg = config(dir, receiver, false);
  ::chmod(dir.file("webhook.secret").c_str(), 0644);
  auto readable = runBinary("cspwatch", {"-c", cfg, "config", "check"});
  CHECK(contains(readable.err, "the webhook secret file of the route 'desk'"));
}
