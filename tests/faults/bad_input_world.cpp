// SPDX-License-Identifier: Apache-2.0
#include "tests/faults/bad_input_world.h"

#include <algorithm>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "common/text.h"
#include "sim/generator.h"
#include "sim/truth.h"
#include "tenants/tenant_json.h"
#include "tests/faults/bad_input_run.h"
#include "tests/faults/sim_config.h"

namespace cspwatch::testing::bad_input {

namespace {

std::string csvInventory(const sim::World& world) {
  std::string csv = "tenant_id,name,domain,admin_email,onboarded_at,tags\n";
  for (const auto& t : world.tenants) {
    if (std::find(t.sources.begin(), t.sources.end(), "inventory") == t.sources.end()) continue;
    std::string admin;
    for (const auto& ct : t.contacts.value_or(std::vector<tenants::ContactEmail>{}))
      if (ct.source == "inventory" && ct.purpose == "admin_credentials") admin = ct.address;
    csv += t.id + ",\"" + replaceAll(t.name, "\"", "\"\"") + "\"," + t.default_domain + "," +
           admin + "," + (t.onboarded_at ? formatTimestamp(*t.onboarded_at) : "") + "," +
           join(t.tags, ";") + "\n";
  }
  return csv;
}

// A rule of the test's own, beside the shipped ones: it reads every part of a tenant, so that a
// part that could not be read shows as could-not-check with its reason, whichever part it is
// (no shipped rule reads indirect_relationships, for one).
const char* const kEveryPartRule = R"(rules:
  - id: reads-every-part
    title: Reads every part of a tenant
    severity: info
    description: Passes whenever every part of the tenant could be read.
    when: >-
      size(tenant.verified_domains) + size(tenant.partners) + size(tenant.indirect_relationships)
      + size(tenant.admin_relationships) + size(tenant.contacts) < 0
      || (tenant.dap_enabled && !tenant.dap_enabled)
      || (tenant.in_customer_list && !tenant.in_customer_list)
    message: "{{ tenant.name }}"
    remediation: Nothing to do.
)";

// A generated world in which one customer, the target, has every part readable and a finding
// that depends on each of them: DAP left on (customer details), an incumbent listed as service
// provider (partners, admin relationships), an admin email on a free-mail domain (inventory
// contacts, organization). A part read as empty or false would resolve one of them.
sim::World makeWorld(Timestamp now, std::string& target) {
  sim::World world = sim::generateWorld(10, 7, now);
  for (auto& t : world.tenants) {
    if (!t.in_customer_list.value_or(false) || !t.verified_domains || !t.partners ||
        !t.dap_enabled || !t.indirect_relationships || !t.admin_relationships || !t.contacts)
      continue;
    target = t.id;
    t.dap_enabled = true;
    t.partners->push_back(
        {"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", std::string("Incumbent IT"), std::nullopt, true});
    t.contacts->push_back({"owner." + t.id.substr(0, 8) + "@gmail.com",
                           tenants::kPurposeAdminCredentials, tenants::kSourceInventory});
    t.addSource(tenants::kSourceInventory);
    break;
  }
  return world;
}

}  // namespace

std::set<std::string> storedFindings(const std::string& config) {
  auto r =
      testing::cliRun({"-c", config, "findings", "list", "--state", "all", "--format", "json"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  auto list = doc->getArray("findings");
  std::set<std::string> out;
  for (size_t i = 0; i < list->size(); ++i) {
    auto f = list->getObject(static_cast<unsigned>(i));
    out.insert(f->getValue<std::string>("rule") + " " + f->getValue<std::string>("tenant_id") +
               " " + f->getValue<std::string>("subject") + " " + f->getValue<std::string>("state") +
               " " + f->optValue<std::string>("resolved_reason", ""));
  }
  return out;
}

World::World()
    : now_(*parseTimestamp(kNow)),
      world_(makeWorld(now_, target_)),
      login_(sim::LoginOptions{testing::kSimClient, "s3cret", Seconds(86400), Seconds(86400), "",
                               true},
             5),
      api_(world_, login_, clock_, nullptr),
      server_(api_) {
  base_ = "http://127.0.0.1:" + std::to_string(server_.start(0, 8));
  REQUIRE(!target_.empty());
  std::set<std::string> rules;
  for (const auto& e : sim::computeTruth(world_, now_))
    if (e.outcome == "fail" && e.tenant_id == target_) rules.insert(e.rule);
  INFO("the target's findings: " << join({rules.begin(), rules.end()}, ", "));
  REQUIRE(rules.size() >= 3);
}

std::map<std::string, std::string> World::inventoryVars() const {
  std::string csv = csvInventory(world_);
  std::string rows = csv.substr(csv.find('\n') + 1);
  if (!rows.empty()) rows.pop_back();  // the case's own line end follows
  auto doc =
      Poco::JSON::Parser().parse(sim::inventoryJson(world_)).extract<Poco::JSON::Object::Ptr>();
  auto list = doc->getArray("tenants");
  std::vector<std::string> records;
  for (size_t i = 0; i < list->size(); ++i)
    records.push_back(tenants::jsonText(list->get(static_cast<unsigned>(i)), false));
  return {{"good-rows", rows}, {"good-tenants", join(records, ",\n")}};
}

std::string World::prepare(const std::string& dir, const std::string& inventory_name,
                           const std::string& rules) {
  REQUIRE(makeDirectories(dir, 0700));
  std::string cfg = testing::simConfigYaml(world_.partner, base_, 4);
  cfg = replaceAll(cfg, "path: inventory.json", "path: " + inventory_name);
  cfg = replaceAll(cfg, "storage:\n  path: cspwatch.db\n",
                   "storage:\n  path: cspwatch.db\n  tenant_gone_after_scans: 1\n");
  REQUIRE(writeFileAtomically(dir + "/every-part.yaml", kEveryPartRule, 0644));
  cfg =
      replaceAll(cfg, testing::sourcePath("etc/rules.d"), rules + ", " + dir + "/every-part.yaml");
  REQUIRE(writeFileAtomically(dir + "/cspwatch.yaml", cfg, 0600));
  REQUIRE(writeFileAtomically(dir + "/client_secret", "s3cret\n", 0600));
  REQUIRE(writeFileAtomically(dir + "/refresh_token", login_.issueRefreshToken(now_) + "\n", 0600));
  REQUIRE(writeFileAtomically(
      dir + "/" + inventory_name,
      endsWith(inventory_name, ".csv") ? csvInventory(world_) : sim::inventoryJson(world_), 0644));
  return dir + "/cspwatch.yaml";
}

const World::Baseline& World::baseline(const std::string& extension, const TempDir& tmp) {
  auto it = baselines_.find(extension);
  if (it != baselines_.end()) return it->second;
  const std::string dir = tmp.file("baseline-" + extension);
  const std::string cfg = prepare(dir, "inventory." + extension);
  Run r = runCspwatch({"-c", cfg, "scan", "--once", "--format", "json", "--now", kNow}, dir);
  INFO("the good scan: " << r.describe());
  REQUIRE(r.exit_code == 0);
  Baseline b{dir + "/cspwatch.db", storedFindings(cfg)};
  REQUIRE(!b.findings.empty());
  return baselines_[extension] = b;
}

void World::restore(const Baseline& b, const std::string& dir) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    auto text = readWholeFile(b.db + suffix);
    if (!text) continue;
    REQUIRE(writeFileAtomically(dir + "/cspwatch.db" + suffix, *text, 0600));
  }
}

}  // namespace cspwatch::testing::bad_input
