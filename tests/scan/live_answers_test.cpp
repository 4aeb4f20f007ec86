// SPDX-License-Identifier: Apache-2.0
// The live data path against the realistic simulator, end to end through the real binary:
// partners named by name and domain, a contact a permission hides as its own could-not-check
// beside the other contacts' failures, and a refresh token Entra no longer accepts as one error,
// one critical email and an unhealthy /healthz while app-only calls still read.
#include <regex>
#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "storage/finding_store.h"
#include "storage/outbox.h"
#include "tests/faults/sim_config.h"
#include "tests/support/cli_runner.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using cspwatch::testing::TempDir;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");

struct Live {
  TempDir dir;
  SystemClock clock;
  sim::LoginService login{
      sim::LoginOptions{testing::kSimClient, "s3cret", Seconds(3600), Seconds(60), "", true}, 21};
  sim::SimApi api;
  sim::SimServer server;
  std::string base, config;

  explicit Live(sim::World world, const std::string& extra = "")
      : api(std::move(world), login, clock), server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 8));
    testing::writeSimFiles(dir, login, api.world(), clock.now());
    config = dir.write("cspwatch.yaml", testing::simConfigYaml(api.world().partner, base, 8, extra,
                                                               testing::storageYaml(store())));
  }
  // The findings of a dry run: "rule|tenant name|subject|outcome|message".
  std::vector<Poco::JSON::Object::Ptr> dryRun(int expect_code = 0) {
    auto r = testing::cliRun({"--config", config, "scan", "--once", "--dry-run", "--format", "json",
                              "--now", formatTimestamp(kNow)});
    INFO(r.err);
    REQUIRE(r.code == expect_code);
    auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
    std::vector<Poco::JSON::Object::Ptr> out;
    auto list = doc->getArray("findings");
    for (size_t i = 0; i < list->size(); ++i) out.push_back(list->getObject(i));
    return out;
  }
  // The run's store (tests/support/test_store.h): a file beside the config, or the test server.
  storage::StoreLocation store() const { return testing::testStore(dir); }
  void failRefreshTokens(const std::string& how) {
    REQUIRE(testing::httpRequest("POST", base + "/_sim/refresh-tokens?fail=" + how).status == 200);
  }
};

std::string field(const Poco::JSON::Object::Ptr& f, const char* key) {
  return f->optValue<std::string>(key, "");
}

}  // namespace

TEST_CASE("live answers: the demo's incumbents are named by name and domain, not GUID") {
  Live live(*sim::loadWorld(testing::sourcePath("etc/demo/world.json")));
  bool adatum = false;
  for (const auto& f : live.dryRun()) {
    if (field(f, "rule") != "incumbent-admin-access" || field(f, "outcome") != "fail") continue;
    // The customer-side list carries only tenant ids: the names come from Graph's
    // findTenantInformationByTenantId.
    CHECK_THAT(field(f, "message"), !Catch::StartsWith("Partner tenant "));
    adatum = adatum || startsWith(field(f, "message"),
                                  "Adatum Managed Services (adatum.onmicrosoft.com) still has "
                                  "access to");
  }
  CHECK(adatum);
  // One lookup per partner tenant id, however many tenants list it.
  auto stats = testing::parseObject(live.api.statsJson());
  const int lookups =
      stats->getObject("requests")
          ->optValue<int>("GET /graph/v1.0/tenantRelationships/findTenantInformationByTenantId", 0);
  CHECK(lookups > 0);
  CHECK(lookups <= static_cast<int>(live.api.world().directory.size()));
}

TEST_CASE("live answers: a name that cannot be looked up shows the tenant id, the check goes on") {
  sim::World w = *sim::loadWorld(testing::sourcePath("etc/demo/world.json"));
  w.directory.clear();  // Graph knows none of the partners' names
  Live live(std::move(w));
  size_t incumbents = 0;
  for (const auto& f : live.dryRun())
    if (field(f, "rule") == "incumbent-admin-access" && field(f, "outcome") == "fail") {
      ++incumbents;
      CHECK_THAT(field(f, "message"), Catch::StartsWith("Partner tenant " + field(f, "subject")));
    }
  CHECK(incumbents > 0);
}

TEST_CASE("live answers: names are kept in the database and looked up again after 7 days") {
  Live live(*sim::loadWorld(testing::sourcePath("etc/demo/world.json")));
  auto lookups = [&] {
    return testing::parseObject(live.api.statsJson())
        ->getObject("requests")
        ->optValue<int>("GET /graph/v1.0/tenantRelationships/findTenantInformationByTenantId", 0);
  };
  auto scan = [&](Timestamp at) {
    auto r =
        testing::cliRun({"--config", live.config, "scan", "--once", "--now", formatTimestamp(at)});
    INFO(r.err);
    REQUIRE(r.code == 0);
  };
  scan(kNow);
  const int first = lookups();
  CHECK(first > 0);
  scan(kNow + std::chrono::hours(24));
  CHECK(lookups() == first);  // known for a day: none asked again
  scan(kNow + std::chrono::hours(24 * 8));
  CHECK(lookups() == 2 * first);  // stale after 7 days: each asked once more
  auto store = storage::FindingStore::open(live.store());
  REQUIRE(store);
  auto names = store->directory();
  REQUIRE(names);
  CHECK(static_cast<int>(names->size()) == first);
}

TEST_CASE("live answers: a hidden contact is could-not-check on its own, beside others' failures") {
  // A customer whose company email Partner Center withholds (no DAP, no Global Reader in our
  // GDAP) and whose admin address is a typo of ours.
  sim::World w = sim::generateWorld(1, 4, kNow);
  tenants::Tenant& t = w.tenants[0];
  t.dap_enabled = false;
  for (auto& r : *t.admin_relationships)
    r.role_definition_ids = {"729827e3-9c14-49f7-bb1b-9608f156bbb8"};
  REQUIRE_FALSE(w.companyDetailsVisible(t));
  for (auto& c : *t.contacts)
    if (c.purpose == "admin_credentials") c.address = "csp-admin@northwind-it.com.ua";
  w.access[t.id].organization_basic_only = true;  // and only the basics of its organization
  Live live(std::move(w));
  // The failure found, and one could-not-check row for each hidden contact, by its reason.
  std::set<std::string> rows;
  for (const auto& f : live.dryRun())
    if (field(f, "rule") == "admin-email-unverified") {
      const std::string message = field(f, "message");
      rows.insert(field(f, "outcome") + " " +
                  (field(f, "outcome") == "fail"
                       ? field(f, "subject")
                       : message.substr(0, message.find(':', message.find(':') + 1))));
    }
  CHECK(rows == std::set<std::string>{
                    "fail csp-admin@northwind-it.com.ua",
                    "unknown could not be checked: company email hidden",
                    "unknown could not be checked: technical contacts hidden",
                });
}

TEST_CASE(
    "live answers: a refresh token Entra no longer accepts is one error, app-only still read") {
  Live live(
      sim::generateWorld(60, 8, kNow),
      "alerts:\n  transport: file\n  from: cspwatch <cspwatch@northwind-it.com.au>\n"
      "  templates_dir: " +
          testing::sourcePath("etc/templates") +
          "\n  file:\n    dir: mail\n  routes:\n    - name: all\n      default: true\n      to: "
          "[ops@northwind-it.com.au, security@northwind-it.com.au]\n");
  live.failRefreshTokens("700082");
  auto r =
      testing::cliRun({"--config", live.config, "scan", "--once", "--now", formatTimestamp(kNow)});
  INFO(r.err);
  CHECK(r.code == 1);  // recorded, but a source could not be used
  // One clear error for the scan, not one per tenant, saying what to do.
  size_t lines = 0;
  for (const auto& line : split(r.err, '\n'))
    lines += line.find("AADSTS700082") != std::string::npos;
  CHECK(lines == 1);
  CHECK_THAT(r.err, Catch::Contains("cspwatch auth login"));
  // Only the one refresh grant was refused: none per tenant. (The default pack reads no indirect
  // relationships, so no App+User Partner Center call per tenant is even planned: the token
  // endpoint's count says it.) The partner tenant's app-only tokens for Partner Center and Graph
  // are the other sign-ins; 60 tenants would make 60 or more.
  auto stats = testing::parseObject(live.api.statsJson());
  CHECK(stats->getObject("requests")->optValue<int>("GET /pc/v1/customers/{id}/relationships", 0) ==
        0);
  CHECK(stats->getObject("requests")->optValue<int>("POST /login/{tenant}/oauth2/v2.0/token", 0) <=
        3);
  auto store = storage::FindingStore::open(live.store());
  REQUIRE(store);
  // What app-only calls read is still checked: the GDAP list and the customer list.
  auto open = store->listFindings({storage::StateFilter::kOpen, "", "", ""}, kNow);
  REQUIRE(open);
  std::set<std::string> rules;
  for (const auto& f : *open) rules.insert(f.rule_id);
  CHECK(rules.count("gdap-expiring"));
  CHECK(rules.count("partner-not-listed"));
  // One critical message per admin, first in the outbox.
  storage::Outbox outbox(store->db());
  auto sent = outbox.recent(50);
  REQUIRE(sent);
  size_t signin = 0;
  for (const auto& m : *sent)
    if (m.kind == "signin") {
      ++signin;
      CHECK(m.subject == "[cspwatch] CRITICAL: cspwatch cannot sign in to Partner Center");
      CHECK_THAT(m.body, Catch::Contains("AADSTS700082"));
      CHECK_THAT(m.body, Catch::Contains("cspwatch auth login"));
    }
  CHECK(signin == 2);
  // The next scan, six hours on, does not say it again.
  auto again = testing::cliRun({"--config", live.config, "scan", "--once", "--now",
                                formatTimestamp(kNow + std::chrono::hours(6))});
  CHECK(again.code == 1);
  auto later = outbox.recent(100);
  REQUIRE(later);
  size_t signin_later = 0;
  for (const auto& m : *later) signin_later += m.kind == "signin";
  CHECK(signin_later == 2);
}

TEST_CASE("live answers: while sign-in fails /healthz is unhealthy and names auth login") {
  Live live(sim::generateWorld(20, 9, kNow), "http:\n  listen: 127.0.0.1:0\n");
  live.failRefreshTokens("interaction_required");
  testing::NotifySocket notify(live.dir.file("notify.sock"));
  testing::Daemon d(live.config, notify.path());
  const int port = d.port(notify);
  REQUIRE(d.waitForErr("scan 1 ", std::chrono::seconds(60)));
  auto health =
      testing::httpRequest("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz");
  CHECK(health.status == 503);
  CHECK_THAT(health.body, Catch::Contains("cspwatch auth login"));
  d.signal(SIGTERM);
  CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
}

TEST_CASE("live answers: a list whose later page cannot be read is unknown, never short") {
  // One tenant's partner list: its first page is served, every later page fails. Read as the
  // first page alone, the incumbent listed further down would pass unseen.
  sim::World w = *sim::loadWorld(testing::sourcePath("etc/demo/world.json"));
  std::string victim;
  for (auto& t : w.tenants)
    if (t.partners && t.partners->size() >= 3 && victim.empty()) {
      victim = t.id;
      // Two B2B partners first: whatever the page size (2 or 3), the rest is on a later page.
      t.partners->insert(
          t.partners->begin(),
          {{"0a0b0c0d-0000-4000-8000-000000000001", std::nullopt, std::nullopt, false},
           {"0a0b0c0d-0000-4000-8000-000000000002", std::nullopt, std::nullopt, false}});
    }
  REQUIRE_FALSE(victim.empty());
  Live live(std::move(w));
  live.api.setOverride(
      [&](const sim::Request& r, const std::string& tenant) -> std::optional<sim::Response> {
        if (tenant == victim && endsWith(r.path, "/crossTenantAccessPolicy/partners") &&
            !r.param("$skiptoken").empty())
          return sim::graphError(503, "serviceNotAvailable",
                                 "The service is temporarily unavailable.", kNow);
        return std::nullopt;
      });
  bool unknown = false;
  for (const auto& f : live.dryRun())
    if (field(f, "tenant_id") == victim && field(f, "rule") == "incumbent-admin-access") {
      CHECK(field(f, "outcome") == "unknown");
      unknown = unknown || field(f, "outcome") == "unknown";
    }
  CHECK(unknown);
}
