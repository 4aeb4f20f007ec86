// SPDX-License-Identifier: Apache-2.0
// Demand-driven fetching (issue 17) over the simulator, through real HTTP: a scan calls for a
// tenant part only when a rule reads one of its fields (tenants/fetch_plan.h). The default pack
// reads no indirect_relationships, so a scan never asks Partner Center for them; one custom rule
// that reads them brings the call back, once per customer, with the right findings; a part left
// out is not stored as could-not-read; `tenants list` still fetches everything.
#include <map>
#include <set>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "sim/truth.h"
#include "tests/support/cli_runner.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::TempDir;
using Poco::JSON::Object;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kClient = "11111111-2222-4333-8444-555555555555";
const std::string kRelationships = "GET /pc/v1/customers/{id}/relationships";
// An indirect reseller that is not our distributor, linked to one customer.
const std::string kRival = "d4c3b2a1-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

// A rule outside the default pack that reads indirect_relationships.
const char* kIndirectRule = R"y(rules:
  - id: indirect-not-our-distributor
    title: An indirect provider or reseller that is not our distributor
    severity: medium
    description: A test rule that reads the customer's indirect relationships.
    for_each: r in tenant.indirect_relationships
    subject: r.tenant_id
    when: "!(r.tenant_id in partner.distributor_tenant_ids)"
    message: "{{ tenant.name }} is linked to {{ r.name }} ({{ r.type }})"
    remediation: Ask the customer why.
)y";

// The demo world, with the first customer's indirect relationship a rival reseller's.
sim::World demoWorld() {
  sim::World world = *sim::loadWorld(testing::sourcePath("etc/demo/world.json"));
  for (auto& t : world.tenants)
    if (t.in_customer_list.value_or(false)) {
      t.indirect_relationships = std::vector<tenants::IndirectRelationship>{
          {kRival, "Rival Reseller Pty Ltd", std::string("7000001"), "is_indirect_reseller_of"}};
      break;
    }
  return world;
}

size_t customersOf(const sim::World& world) {
  size_t n = 0;
  for (const auto& t : world.tenants) n += t.in_customer_list.value_or(false) ? 1 : 0;
  return n;
}

// The simulator in this process over real HTTP, and the configurations that point at it.
struct DemandSim {
  TempDir dir;
  SystemClock clock;
  sim::LoginService login;
  sim::SimApi api;
  sim::SimServer server;
  std::string base;

  explicit DemandSim(sim::World world)
      : login(sim::LoginOptions{kClient, "s3cret", Seconds(3600), Seconds(60), "", true}, 17),
        api(std::move(world), login, clock),
        server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 16));
    REQUIRE(writeFileAtomically(dir.file("client_secret"), "s3cret\n", 0600));
    REQUIRE(writeFileAtomically(dir.file("refresh_token"),
                                login.issueRefreshToken(clock.now()) + "\n", 0600));
    REQUIRE(writeFileAtomically(dir.file("inventory.json"), sim::inventoryJson(api.world()), 0644));
    dir.write("extra/90-indirect.yaml", kIndirectRule);
  }

  // `user`: App+User (a refresh token) or app-only; `extra`: the custom rule besides the pack.
  std::string config(bool user, bool extra) const {
    const PartnerIdentity& p = api.world().partner;
    std::ostringstream c;
    c << "partner:\n  name: " << p.name << "\n  tenant_id: " << p.tenant_id
      << "\n  distributor_tenant_ids: [" << p.distributor_tenant_ids[0]
      << "]\n  trusted_partner_tenant_ids: [" << p.trusted_partner_tenant_ids[0]
      << "]\n  email_domains: [" << p.email_domains[0] << "]\n"
      << "sources:\n  partner_center:\n    login_url: " << base << "/login\n"
      << "    partner_center_url: " << base << "/pc\n    graph_url: " << base << "/graph\n"
      << "    client_id: " << kClient << "\n    client_secret_file: client_secret\n"
      << (user ? "    refresh_token_file: refresh_token\n" : "")
      << "    concurrency: 8\n    retry_backoff_ms: 20\n"
      << "  inventory:\n    path: inventory.json\n"
      << "storage:\n  path: " << (user ? "user" : "app") << (extra ? "-extra" : "") << ".db\n"
      << "rules:\n  paths: [" << testing::sourcePath("etc/rules.d")
      << (extra ? ", " + dir.file("extra") : "") << "]\n";
    return dir.write(std::string(user ? "user" : "app") + (extra ? "-extra" : "") + ".yaml",
                     c.str());
  }

  // Requests by route so far (/_sim/stats).
  std::map<std::string, int64_t> requests() {
    auto stats = Poco::JSON::Parser().parse(api.statsJson()).extract<Object::Ptr>();
    std::map<std::string, int64_t> out;
    auto by_route = stats->getObject("requests");
    for (const auto& name : by_route->getNames()) out[name] = by_route->getValue<int64_t>(name);
    return out;
  }
};

// The requests by route that `run` made.
template <typename Fn>
std::map<std::string, int64_t> requestsOf(DemandSim& sim, Fn run) {
  auto before = sim.requests();
  run();
  auto after = sim.requests();
  for (auto& [route, n] : after) n -= before[route];
  return after;
}

// A dry run's findings, "rule tenant subject outcome" (subject only for a fail), with the log
// at info.
std::set<std::string> dryRun(const std::string& config, std::string* logged) {
  std::ostringstream captured;
  addLogStream(captured);
  auto r = testing::cliRun({"--log-level", "info", "--config", config, "scan", "--once",
                            "--dry-run", "--format", "json", "--now", formatTimestamp(kNow)});
  removeLogStreams();
  setupLogging({spdlog::level::warn, false});
  *logged = captured.str();
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto list = Poco::JSON::Parser().parse(r.out).extract<Object::Ptr>()->getArray("findings");
  std::set<std::string> out;
  for (size_t i = 0; i < list->size(); ++i) {
    auto f = list->getObject(i);
    const std::string outcome = f->getValue<std::string>("outcome");
    out.insert(f->getValue<std::string>("rule") + " " + f->getValue<std::string>("tenant_id") +
               " " + (outcome == "fail" ? f->getValue<std::string>("subject") : "") + " " +
               outcome);
  }
  return out;
}

std::set<std::string> truthOf(const sim::World& world) {
  std::set<std::string> out;
  for (const auto& e : sim::computeTruth(world, kNow))
    out.insert(e.rule + " " + e.tenant_id + " " + e.subject + " " + e.outcome);
  return out;
}

Poco::JSON::Array::Ptr tenantsList(const std::string& config) {
  auto r = testing::cliRun({"--config", config, "tenants", "list", "--format", "json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  return Poco::JSON::Parser().parse(r.out).extract<Object::Ptr>()->getArray("tenants");
}

}  // namespace

TEST_CASE("demand fetching: the default pack never asks for indirect relationships") {
  const sim::World world = demoWorld();
  DemandSim sim(world);
  std::set<std::string> findings;
  std::string logged;
  auto asked = requestsOf(sim, [&] { findings = dryRun(sim.config(true, false), &logged); });
  CHECK(asked[kRelationships] == 0);
  CHECK(asked["GET /pc/v1/customers/{id}"] == static_cast<int64_t>(customersOf(world)));
  CHECK(findings == truthOf(world));  // what the pack reads is all still read
  CHECK_THAT(logged, Catch::Contains("skipping indirect_relationships (no enabled rule reads "
                                     "indirect_relationships)"));
}

TEST_CASE(
    "demand fetching: a custom rule reading indirect_relationships brings the call back, once "
    "per customer, with its findings") {
  const sim::World world = demoWorld();
  DemandSim sim(world);
  std::set<std::string> findings;
  std::string logged;
  auto asked = requestsOf(sim, [&] { findings = dryRun(sim.config(true, true), &logged); });
  CHECK(asked[kRelationships] == static_cast<int64_t>(customersOf(world)));
  CHECK_THAT(logged, Catch::Contains("indirect_relationships (for indirect_relationships)"));
  // The pack's findings, and the rival reseller flagged on the one customer it is linked to.
  std::set<std::string> expected = truthOf(world);
  for (const auto& t : world.tenants)
    for (const auto& r :
         t.indirect_relationships.value_or(std::vector<tenants::IndirectRelationship>{}))
      if (r.tenant_id == kRival)
        expected.insert("indirect-not-our-distributor " + t.id + " " + kRival + " fail");
  REQUIRE(expected.size() == truthOf(world).size() + 1);
  CHECK(findings == expected);
}

TEST_CASE("demand fetching: tenants list still fetches and shows indirect relationships") {
  const sim::World world = demoWorld();
  DemandSim sim(world);
  Poco::JSON::Array::Ptr listed;
  auto asked = requestsOf(sim, [&] { listed = tenantsList(sim.config(true, false)); });
  CHECK(asked[kRelationships] == static_cast<int64_t>(customersOf(world)));
  size_t shown = 0, rival = 0;
  for (size_t i = 0; i < listed->size(); ++i) {
    auto t = listed->getObject(i);
    if (!t->getValue<bool>("in_customer_list")) continue;
    auto indirect = t->getArray("indirect_relationships");
    REQUIRE(indirect);
    shown += indirect->size() > 0 ? 1 : 0;
    for (size_t j = 0; j < indirect->size(); ++j)
      rival += indirect->getObject(j)->getValue<std::string>("tenant_id") == kRival ? 1 : 0;
  }
  CHECK(shown == customersOf(world));
  CHECK(rival == 1);
}

TEST_CASE("demand fetching: a part left out is not stored as could-not-read") {
  // App-only, indirect relationships cannot be read at all (Partner Center offers them to
  // App+User only): `tenants list`, which reads every part, says so for every customer.
  const sim::World world = demoWorld();
  DemandSim sim(world);
  const std::string config = sim.config(false, false);
  Poco::JSON::Array::Ptr listed = tenantsList(config);
  size_t indirect_unread = 0, partial_without_indirect = 0;
  for (size_t i = 0; i < listed->size(); ++i) {
    auto t = listed->getObject(i);
    bool other_problem = false;
    auto problems = t->getArray("fetch_problems");
    for (size_t j = 0; j < problems->size(); ++j) {
      const bool indirect =
          problems->getObject(j)->getValue<std::string>("part") == "indirect_relationships";
      indirect_unread += indirect ? 1 : 0;
      other_problem = other_problem || !indirect;
    }
    auto contacts = t->getArray("contacts");
    for (size_t j = 0; contacts && j < contacts->size(); ++j)
      other_problem = other_problem || contacts->getObject(j)->has("unread");
    partial_without_indirect += other_problem ? 1 : 0;
  }
  REQUIRE(indirect_unread == customersOf(world));
  // The default pack's scan leaves the part out: a tenant is partly read only for the parts
  // its rules read.
  auto r = testing::cliRun(
      {"--config", config, "scan", "--once", "--format", "json", "--now", formatTimestamp(kNow)});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  auto tenants = Poco::JSON::Parser().parse(r.out).extract<Object::Ptr>()->getObject("tenants");
  CHECK(tenants->getValue<size_t>("partial") == partial_without_indirect);
  CHECK(tenants->getValue<size_t>("full") == listed->size() - partial_without_indirect);
  CHECK(tenants->getValue<size_t>("unread") == 0);
}

TEST_CASE(
    "demand fetching: one tenant asked for by id, name or domain has only its own parts read "
    "(tenants show, rules eval --tenant, a dry run's --tenant)") {
  const sim::World world = demoWorld();
  DemandSim sim(world);
  const std::string config = sim.config(true, false);
  const tenants::Tenant* one = nullptr;
  for (const auto& t : world.tenants)
    if (t.in_customer_list.value_or(false)) {
      one = &t;
      break;
    }
  REQUIRE(one != nullptr);
  const std::string kDetails = "GET /pc/v1/customers/{id}";
  for (const std::string& which : {one->id, one->name, one->default_domain}) {
    INFO(which);
    testing::CliRun show;
    auto asked = requestsOf(sim, [&] {
      show = testing::cliRun({"--config", config, "tenants", "show", which, "--format", "json"});
    });
    INFO(show.err);
    REQUIRE(show.code == 0);
    CHECK(asked[kDetails] == 1);  // every customer's before
    auto doc = Poco::JSON::Parser().parse(show.out).extract<Object::Ptr>();
    CHECK(doc->getObject("tenant")->getValue<std::string>("id") == one->id);

    testing::CliRun eval;
    asked = requestsOf(sim, [&] {
      eval = testing::cliRun({"--config", config, "rules", "eval", "tenant.id", "--tenant", which});
    });
    INFO(eval.err);
    REQUIRE(eval.code == 0);
    CHECK(eval.out == "\"" + one->id + "\"\ntype: string\n");
    CHECK(asked[kDetails] <= 1);  // tenant.id needs no details: none or its own
  }
  testing::CliRun dry;
  auto asked = requestsOf(sim, [&] {
    dry = testing::cliRun({"--config", config, "scan", "--once", "--dry-run", "--format", "json",
                           "--now", formatTimestamp(kNow), "--tenant", one->default_domain});
  });
  INFO(dry.err);
  REQUIRE(dry.code == 0);
  CHECK(Poco::JSON::Parser().parse(dry.out).extract<Object::Ptr>()->getValue<int>("tenants") == 1);
  CHECK(asked[kDetails] == 1);

  // A name no list shows: every tenant is read (a part read later might match), and the nearest
  // names are offered.
  testing::CliRun typo;
  asked = requestsOf(sim, [&] {
    typo = testing::cliRun({"--config", config, "tenants", "show", one->name + "x"});
  });
  CHECK(typo.code == 2);
  CHECK_THAT(typo.err, Catch::Contains(one->name));
  CHECK(asked[kDetails] == static_cast<int64_t>(customersOf(world)));
}
