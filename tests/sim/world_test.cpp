// SPDX-License-Identifier: Apache-2.0
// Worlds, the generator and the truth; the truth checked against the rules engine.
#include "sim/world.h"

#include <set>

#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "rules/rule_loader.h"
#include "sim/generator.h"
#include "sim/truth.h"
#include "tenants/tenant_value.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::sim;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");

// What cspwatch's sources will assemble for a world tenant (docs/simulator.md): our own admin
// relationships only; not-listed tenants have no DAP and no Partner Center relationships;
// knowledge per contact: a contact the access withholds is there unread, with a reason.
tenants::Tenant observed(const tenants::Tenant& t, const World& world) {
  const PartnerIdentity& us = world.partner;
  tenants::Tenant o = t;
  const bool listed = t.in_customer_list.value_or(false);
  o.in_customer_list = listed;
  std::vector<tenants::AdminRelationship> ours;
  for (const auto& r : t.admin_relationships.value_or(std::vector<tenants::AdminRelationship>{}))
    if (r.partner_tenant_id == us.tenant_id) ours.push_back(r);
  o.admin_relationships = ours;
  if (!listed) {
    o.dap_enabled = false;
    o.indirect_relationships = std::vector<tenants::IndirectRelationship>{};
  }
  const bool details = listed && t.dap_enabled.has_value();
  const bool company = world.companyDetailsVisible(t);
  const bool organization = t.verified_domains && !world.accessOf(t.id).organization_basic_only;
  std::vector<tenants::ContactEmail> contacts;
  for (const auto& c : t.contacts.value_or(std::vector<tenants::ContactEmail>{})) {
    if (c.source == "partner_center" && (!details || (c.purpose == "company" && !company)))
      continue;  // withheld: added below as unread
    if (c.source == "graph" && !organization) continue;
    contacts.push_back(c);
  }
  if (listed && !details) {
    contacts.push_back({"", "billing", "partner_center", "details denied"});
    contacts.push_back({"", "company", "partner_center", "details denied"});
  }
  if (details && !company) contacts.push_back({"", "company", "partner_center", "hidden"});
  if (!organization)
    contacts.push_back({"", "technical_notification", "graph", "organization not read"});
  o.contacts = contacts;
  return o;
}

std::vector<rules::RuleSource> defaultPack() {
  std::vector<rules::RuleSource> out;
  for (const char* f :
       {"00-lists.yaml", "10-partner.yaml", "20-admin-access.yaml", "30-email.yaml"}) {
    std::string path = testing::sourcePath(std::string("etc/rules.d/") + f);
    out.push_back({path, testing::readFile(path)});
  }
  return out;
}

}  // namespace

TEST_CASE("sim world: generation is deterministic for a seed and varies with it") {
  const std::string a = worldToJson(generateWorld(300, 7, kNow));
  CHECK(a == worldToJson(generateWorld(300, 7, kNow)));
  CHECK(a != worldToJson(generateWorld(300, 8, kNow)));
  auto truth = computeTruth(generateWorld(300, 7, kNow), kNow);
  CHECK(truthToJson(truth, kNow) ==
        truthToJson(computeTruth(generateWorld(300, 7, kNow), kNow), kNow));
  // A realistic mix: every default rule has something to find, and some checks are unknown.
  std::set<std::string> rules;
  size_t unknown = 0;
  for (const auto& e : truth) {
    rules.insert(e.rule);
    unknown += e.outcome == "unknown";
  }
  CHECK(rules.size() == 9);
  CHECK(unknown > 0);
}

TEST_CASE("sim world: a world file round-trips and reports bad records with positions") {
  World w = generateWorld(20, 3, kNow);
  auto back = parseWorld(worldToJson(w), "w.json");
  REQUIRE(back);
  CHECK(worldToJson(*back) == worldToJson(w));
  auto bad = parseWorld(
      "{\"partner\": {\"name\": \"x\", \"tenant_id\": \"nope\", \"email_domains\": [a.com]},\n"
      " \"tenants\": []}",
      "w.json");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.status().message(), Catch::Contains("w.json:1:40"));
  auto demo = loadWorld(testing::sourcePath("etc/demo/world.json"));
  REQUIRE(demo);
  CHECK(demo->tenants.size() >= 25);
}

TEST_CASE("sim truth: agrees with the rules engine over what cspwatch can observe") {
  auto loaded = rules::loadRules(defaultPack(), {&tenants::tenantType()});
  INFO(loaded.diagnostics.renderText());
  REQUIRE(loaded.ok());
  for (auto [name, world] :
       {std::pair<std::string, World>{"generated", generateWorld(600, 11, kNow)},
        {"demo", *loadWorld(testing::sourcePath("etc/demo/world.json"))}}) {
    INFO(name);
    std::set<std::string> engine;
    for (const auto& t : world.tenants) {
      if (!t.in_customer_list.value_or(false) && !t.hasSource("inventory")) continue;
      for (const auto& r : loaded.rules->evaluate(tenants::tenantToValue(observed(t, world)),
                                                  world.partner, kNow)) {
        for (const auto& f : r.findings)
          engine.insert(r.rule->id + " " + t.id + " " + f.subject + " fail");
        if (r.outcome == rules::Outcome::kUnknown || r.incomplete)
          engine.insert(r.rule->id + " " + t.id + "  unknown");
      }
    }
    std::set<std::string> truth;
    for (const auto& e : computeTruth(world, kNow))
      truth.insert(e.rule + " " + e.tenant_id + " " + e.subject + " " + e.outcome);
    std::vector<std::string> only_engine, only_truth;
    std::set_difference(engine.begin(), engine.end(), truth.begin(), truth.end(),
                        std::back_inserter(only_engine));
    std::set_difference(truth.begin(), truth.end(), engine.begin(), engine.end(),
                        std::back_inserter(only_truth));
    INFO("only the rules engine says: " << only_engine.size()
                                        << (only_engine.empty() ? "" : " e.g. " + only_engine[0]));
    INFO("only the truth says: " << only_truth.size()
                                 << (only_truth.empty() ? "" : " e.g. " + only_truth[0]));
    CHECK(only_engine.empty());
    CHECK(only_truth.empty());
    CHECK(truth.size() > 10);
  }
}
