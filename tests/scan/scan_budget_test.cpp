// SPDX-License-Identifier: Apache-2.0
// A scan with a rule too costly for some tenants' data (rules.max_steps_per_tenant): the rule is
// could-not-check for those tenants with the reason, the log names it once, and every other rule
// and tenant gives its findings as usual.
#include <map>
#include <set>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <catch2/catch.hpp>

#include "common/logging.h"
#include "config/app_config.h"
#include "tests/support/cli_runner.h"
#include "tests/support/demo_partner.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::cliRun;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;
using Run = cspwatch::testing::CliRun;

namespace {

const std::string kNow = "2026-11-25T00:00:00Z";

// Three nested exists() over the verified domains: 10^9 steps for a tenant with 1,000 of them,
// a few hundred for the demo's tenants, which have two or three.
const char* kCostlyRule = R"y(rules:
  - id: domain-triples
    title: Three domains that spell a word
    severity: low
    description: d
    when: >-
      tenant.verified_domains.exists(a, tenant.verified_domains.exists(b,
        tenant.verified_domains.exists(c, a + b + c == "none")))
    message: m
    remediation: r
)y";

std::string stringify(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out);
  return out.str();
}

// The demo inventory plus two copies of Bellbird Bookkeeping (not in our customer list: a
// partner-not-listed finding) with 1,000 verified domains each.
std::string inventoryWithBigTenants(const TempDir& dir) {
  Poco::JSON::Object::Ptr doc = Poco::JSON::Parser()
                                    .parse(testing::readFile(sourcePath("etc/demo/inventory.json")))
                                    .extract<Poco::JSON::Object::Ptr>();
  Poco::JSON::Array::Ptr tenants = doc->getArray("tenants");
  Poco::JSON::Object::Ptr bellbird;
  for (size_t i = 0; i < tenants->size(); ++i)
    if (tenants->getObject(i)->getValue<std::string>("name") == "Bellbird Bookkeeping")
      bellbird = tenants->getObject(i);
  REQUIRE(bellbird);
  const std::pair<const char*, const char*> copies[] = {
      {"0b16a7e2-5c3d-4e8f-9a1b-2c3d4e5f6a70", "Big One"},
      {"0b16a7e2-5c3d-4e8f-9a1b-2c3d4e5f6a71", "Big Two"}};
  for (const auto& [id, name] : copies) {
    Poco::JSON::Object::Ptr big =
        Poco::JSON::Parser().parse(stringify(bellbird)).extract<Poco::JSON::Object::Ptr>();
    big->set("id", std::string(id));
    big->set("name", std::string(name));
    Poco::JSON::Array::Ptr domains = new Poco::JSON::Array();
    for (int i = 0; i < 1000; ++i) domains->add("d" + std::to_string(i) + ".example.com");
    big->set("verified_domains", domains);
    tenants->add(big);
  }
  return dir.write("inventory.json", stringify(doc));
}

std::string configYaml(const TempDir& dir, const std::vector<std::string>& rule_paths,
                       const std::string& rules_extra = "") {
  std::string paths;
  for (const auto& p : rule_paths) paths += (paths.empty() ? "" : ", ") + p;
  return dir.write("cspwatch-" + std::to_string(rule_paths.size()) + ".yaml",
                   testing::kDemoPartnerYaml +
                       "sources:\n  inventory:\n    path: " + inventoryWithBigTenants(dir) +
                       "\nstorage:\n  path: " + dir.file("cspwatch.db") + "\nrules:\n  paths: [" +
                       paths + "]\n" + rules_extra);
}

struct DryRun {
  Run run;
  std::string log;
  // "rule/tenant name/subject" -> outcome and message
  std::map<std::string, std::pair<std::string, std::string>> rows;
};

DryRun dryRun(const std::string& config_path) {
  std::ostringstream captured;
  addLogStream(captured);
  Run r =
      cliRun({"-c", config_path, "scan", "--once", "--dry-run", "--format", "json", "--now", kNow});
  removeLogStreams();
  setupLogging({spdlog::level::warn, false});
  INFO(r.err);
  REQUIRE(r.code == 0);
  DryRun out{r, captured.str(), {}};
  auto findings =
      Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>()->getArray("findings");
  for (size_t i = 0; i < findings->size(); ++i) {
    auto f = findings->getObject(i);
    out.rows[f->getValue<std::string>("rule") + "/" + f->getValue<std::string>("tenant_name") +
             "/" + f->getValue<std::string>("subject")] = {f->getValue<std::string>("outcome"),
                                                           f->getValue<std::string>("message")};
  }
  return out;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "scan budget: a rule too costly for a tenant is could-not-check there, named once in "
    "the log, and every other rule gives its findings") {
  TempDir dir;
  const std::string costly = dir.write("local/50-costly.yaml", kCostlyRule);
  DryRun with = dryRun(configYaml(dir, {sourcePath("etc/rules.d"), dir.file("local")}));
  DryRun without = dryRun(configYaml(dir, {sourcePath("etc/rules.d")}));

  // Out of steps for the two big tenants, with the reason; decided for the demo's tenants (or
  // unknown for the one whose domains could not be read, as any rule reading them).
  std::map<std::string, std::pair<std::string, std::string>> out_of_steps, other_rows;
  const std::string reason =
      "could not be checked: rule evaluation stopped after 1,000,000 steps "
      "(rules.max_steps_per_tenant): the rule is too costly for this tenant's data (list macros "
      "nested inside each other over long lists multiply their sizes)";
  for (const auto& [key, row] : with.rows) {
    if (key.rfind("domain-triples/", 0) != 0)
      other_rows[key] = row;
    else if (row.second == reason)
      out_of_steps[key] = row;
    else
      CHECK_THAT(row.second, Catch::Contains("tenant.verified_domains is unknown"));
  }
  CHECK(out_of_steps == std::map<std::string, std::pair<std::string, std::string>>{
                            {"domain-triples/Big One/", {"unknown", reason}},
                            {"domain-triples/Big Two/", {"unknown", reason}}});
  // The default pack's outcomes are those of a scan without the costly rule, big tenants too.
  CHECK(other_rows == without.rows);
  CHECK(other_rows.count("partner-not-listed/Big One/"));
  CHECK(other_rows.count("partner-not-listed/Big Two/"));

  // The log names the rule and where it is written, once for the scan, with the first tenant.
  INFO(with.log);
  CHECK(count(with.log, "ran out of steps") == 1);
  CHECK_THAT(with.log, Catch::Contains("rule 'domain-triples' (" + costly +
                                       ":2) ran out of steps for tenant Big One "
                                       "(0b16a7e2-5c3d-4e8f-9a1b-2c3d4e5f6a70): it needs more "
                                       "than rules.max_steps_per_tenant (1000000) and is "
                                       "could-not-check there"));
  // The load's cost warnings (the second and third of three nested levels), once each.
  CHECK(count(with.log, "[rules.costly-nesting]") == 2);
  CHECK_THAT(with.log, Catch::Contains(costly +
                                       ":7:65: rule 'domain-triples': when: exists() over "
                                       "a tenant list runs once for each element of the "
                                       "exists() at " +
                                       costly + ":7:31"));
  CHECK_THAT(with.log, Catch::Contains(costly + ":8:33: rule 'domain-triples': when: exists()"));
  CHECK(count(without.log, "rules.costly-nesting") == 0);
  CHECK(count(without.log, "ran out of steps") == 0);
}

TEST_CASE("scan budget: rules.max_steps_per_tenant sets each rule's budget for each tenant") {
  TempDir dir;
  dir.write("local/50-costly.yaml", kCostlyRule);
  DryRun r = dryRun(configYaml(dir, {sourcePath("etc/rules.d"), dir.file("local")},
                               "  max_steps_per_tenant: 20000\n"));
  auto big = r.rows.find("domain-triples/Big One/");
  REQUIRE(big != r.rows.end());
  CHECK(big->second.first == "unknown");
  CHECK_THAT(big->second.second,
             Catch::Contains("stopped after 20,000 steps (rules.max_steps_per_tenant)"));
  CHECK_THAT(r.log, Catch::Contains("ran out of steps for tenant Big One "
                                    "(0b16a7e2-5c3d-4e8f-9a1b-2c3d4e5f6a70): it needs more than "
                                    "rules.max_steps_per_tenant (20000)"));
  // The demo's tenants need a few hundred steps: still decided.
  CHECK(r.rows.count("domain-triples/Bellbird Bookkeeping/") == 0);
  CHECK(r.rows.count("partner-not-listed/Bellbird Bookkeeping/") == 1);
}

TEST_CASE("scan budget: rules.max_steps_per_tenant is checked with its position") {
  const std::string base = testing::kDemoPartnerYaml +
                           "sources:\n  inventory:\n    path: /tmp/inventory.json\n"
                           "rules:\n  max_steps_per_tenant: ";
  Diagnostics ok_diags;
  auto ok = config::parseConfig(base + "5000000\n", "c.yaml", "/tmp", ok_diags);
  INFO(ok_diags.renderText());
  REQUIRE(ok);
  CHECK(ok->rules_max_steps == 5000000);
  Diagnostics none;
  auto fallback = config::parseConfig(
      testing::kDemoPartnerYaml + "sources:\n  inventory:\n    path: /tmp/inventory.json\n",
      "c.yaml", "/tmp", none);
  REQUIRE(fallback);
  CHECK(fallback->rules_max_steps == 1000000);
  for (const char* bad : {"10", "2000000000", "lots"}) {
    INFO(bad);
    Diagnostics d;
    CHECK_FALSE(config::parseConfig(base + bad + "\n", "c.yaml", "/tmp", d));
    REQUIRE(d.errorCount() == 1);
    const Diagnostic& e = d.items().front();
    CHECK(e.location.str() == "c.yaml:12:25");
    CHECK_THAT(e.message, Catch::Contains("'max_steps_per_tenant' must be a whole number from 1000 "
                                          "to 1000000000"));
  }
}
