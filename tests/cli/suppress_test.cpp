// SPDX-License-Identifier: Apache-2.0
// `suppress add` says what it covers and refuses what covers nothing (issue 19), through the
// real binary over the demo inventory: nearest matches and nothing stored, --allow-none,
// --dry-run, --finding, a tenant by name or domain, a tag, a could-not-check item covered, and
// `findings show` naming the suppression's reason, owner, ticket and expiry.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>
#include <unistd.h>

#include "cli/suppress_target.h"
#include "common/clock.h"
#include "storage/finding_store.h"
#include "tests/support/demo_partner.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::Contains;
using cspwatch::testing::parseObject;
using cspwatch::testing::ProcessResult;
using cspwatch::testing::runBinary;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

const std::string kWestgate = "f00b18d4-5934-42a6-8a64-9a6c06c7f30e";  // dap-enabled fails there

// The demo inventory and the default rules, scanned once, the database in `dir`.
struct Demo {
  TempDir dir;
  std::string config =
      dir.write("cspwatch.yaml", testing::kDemoPartnerYaml + "sources:\n  inventory:\n    path: " +
                                     sourcePath("etc/demo/inventory.json") +
                                     "\nstorage:\n  path: " + dir.file("cspwatch.db") +
                                     "\nrules:\n  paths: [" + sourcePath("etc/rules.d") + "]\n");
  Demo() {
    auto scan = run({"scan", "--once", "--now", "2026-11-25T00:00:00Z"});
    INFO(scan.err);
    REQUIRE(scan.exit_code == 0);
  }
  ProcessResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"-c", config});
    return runBinary("cspwatch", args);
  }
  // `suppress add` with a reason, an owner and an expiry, and `extra`.
  ProcessResult add(std::vector<std::string> extra) const {
    std::vector<std::string> args = {"suppress", "add",   "--reason",  "moving to GDAP",
                                     "--owner",  "alice", "--expires", "14d"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  size_t stored() const {
    auto store = storage::FindingStore::open(dir.file("cspwatch.db"));
    REQUIRE(store);
    auto list = store->listSuppressions(true, SystemClock().now());
    REQUIRE(list);
    return list->size();
  }
  Poco::JSON::Array::Ptr findings(const std::string& rule) const {
    auto r = run({"findings", "list", "--rule", rule, "--format", "json"});
    REQUIRE(r.exit_code == 0);
    return parseObject(r.out)->getArray("findings");
  }
};

}  // namespace

TEST_CASE("cli suppress: one that covers nothing is refused with the nearest matches") {
  Demo d;
  SECTION("a mistyped tenant id names the closest tenant") {
    auto r = d.add({"--rule", "dap-enabled", "--tenant", "f00b18d4-5934-42a6-8a64-9a6c06c7f30f"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("covers no open finding and no could-not-check item"));
    CHECK_THAT(r.err, Contains("closest: Westgate Accounting Partners (" + kWestgate));
    CHECK_THAT(r.err, Contains("--allow-none"));
  }
  SECTION("a mistyped tenant name names the closest tenant") {
    auto r = d.add({"--rule", "dap-enabled", "--tenant", "Westgate Acounting Partners"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("closest: Westgate Accounting Partners"));
  }
  SECTION("a mistyped subject names the closest subjects of the rule's open findings") {
    auto r = d.add({"--rule", "admin-email-unverified", "--tenant", "Eastwood Hair & Beauty",
                    "--subject", "sarah.eastwodhair@gmail.com"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err,
               Contains("closest subjects of its open findings: sarah.eastwoodhair@gmail.com"));
  }
  SECTION("a mistyped tag names the closest tags") {
    auto r = d.add({"--rule", "dap-enabled", "--tag", "tier:gld"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("closest tags: tier:gold"));
  }
  CHECK(d.stored() == 0);
  // --allow-none stores it, for findings to come, and says it covers nothing yet.
  auto none = d.add({"--rule", "dap-enabled", "--tenant", "f00b18d4-5934-42a6-8a64-9a6c06c7f30f",
                     "--allow-none"});
  INFO(none.err);
  CHECK(none.exit_code == 0);
  CHECK_THAT(none.out, Contains("suppression #1 added: covers 0 open findings and 0 "
                                "could-not-check items; it expires"));
  CHECK(d.stored() == 1);
}

TEST_CASE("cli suppress: --dry-run, a tenant by name or domain, --finding, and findings show") {
  Demo d;
  auto dry = d.run({"suppress", "add", "--rule", "dap-enabled", "--tenant",
                    "WestgateAccounting.com.au", "--dry-run"});  // no reason needed to look
  INFO(dry.err);
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out, Contains("would cover 1 open finding and 0 could-not-check items "
                               "(Westgate Accounting Partners"));
  CHECK_THAT(dry.out, Contains("nothing stored"));
  CHECK(d.stored() == 0);

  auto by_name = d.add(
      {"--rule", "dap-enabled", "--tenant", "westgate accounting partners", "--ticket", "OPS-7"});
  INFO(by_name.err);
  REQUIRE(by_name.exit_code == 0);
  CHECK_THAT(by_name.out, Contains("suppression #1 added: covers 1 open finding and 0 "
                                   "could-not-check items (Westgate Accounting Partners"));
  CHECK_THAT(by_name.out, Contains("it expires"));

  // --finding takes the rule, tenant and subject of one finding.
  auto rows = d.findings("partner-not-listed");
  REQUIRE(rows->size() > 1);
  const int64_t id = rows->getObject(1)->getValue<int64_t>("id");
  auto by_finding = d.add({"--finding", std::to_string(id), "--ticket", "OPS-8"});
  INFO(by_finding.err);
  REQUIRE(by_finding.exit_code == 0);
  CHECK_THAT(by_finding.out, Contains("suppression #2 added: covers 1 open finding and 0"));
  CHECK(d.run({"suppress", "add", "--finding", "99999", "--reason", "x", "--owner", "y",
               "--expires", "1d"})
            .exit_code == 2);
  CHECK(d.run({"suppress", "add", "--finding", std::to_string(id), "--rule", "dap-enabled",
               "--reason", "x", "--owner", "y", "--expires", "1d"})
            .exit_code == 2);  // --finding names the rule itself

  auto show = d.run({"findings", "show", std::to_string(id)});
  REQUIRE(show.exit_code == 0);
  CHECK_THAT(show.out, Contains("suppressed   #2 until "));
  CHECK_THAT(show.out, Contains("owner alice, ticket OPS-8: moving to GDAP"));
  auto json = d.run({"findings", "show", std::to_string(id), "--format", "json"});
  REQUIRE(json.exit_code == 0);
  auto doc = parseObject(json.out);
  CHECK(doc->getValue<int>("schema_version") == 1);
  auto sups = doc->getArray("suppressions");
  REQUIRE(sups->size() == 1);
  CHECK(sups->getObject(0)->getValue<int64_t>("id") == 2);
  CHECK(sups->getObject(0)->getValue<std::string>("reason") == "moving to GDAP");
  CHECK(sups->getObject(0)->getValue<std::string>("owner") == "alice");
  CHECK(sups->getObject(0)->getValue<std::string>("ticket") == "OPS-8");
  CHECK(sups->getObject(0)->has("expires_at"));
}

TEST_CASE("cli suppress: a tag covers its tenants' findings, and a rule+tenant its unknowns") {
  Demo d;
  // Its open findings are in two bronze tenants and a silver one; none in a gold one.
  auto gold = d.add({"--rule", "partner-not-listed", "--tag", "tier:gold"});
  CHECK(gold.exit_code == 1);
  CHECK_THAT(gold.err, Contains("the tenants tagged 'tier:gold' have none"));
  auto tag = d.add({"--rule", "partner-not-listed", "--tag", "tier:bronze"});
  INFO(tag.err);
  REQUIRE(tag.exit_code == 0);
  CHECK_THAT(tag.out, Contains("covers 2 open findings and 0 could-not-check items"));
  CHECK_THAT(tag.out, Contains("and every tenant tagged 'tier:bronze' later"));
  auto list = d.run({"suppress", "list", "--format", "json"});
  auto sup = parseObject(list.out)->getArray("suppressions")->getObject(0);
  CHECK(sup->getValue<std::string>("tenant_tag") == "tier:bronze");
  CHECK(sup->isNull("tenant_id"));

  // A could-not-check item of the demo (a rule the inventory cannot answer for some tenant).
  auto store = storage::FindingStore::open(d.dir.file("cspwatch.db"));
  REQUIRE(store);
  auto streaks = store->unknownStreaks();
  REQUIRE(streaks);
  const storage::UnknownStreak* item = nullptr;
  for (const auto& u : *streaks)
    if (u.rule_id != "*") item = &u;
  REQUIRE(item != nullptr);
  auto r = d.add({"--rule", item->rule_id, "--tenant", item->tenant_id});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("1 could-not-check item"));
  CHECK_THAT(r.out, Contains(item->tenant_name + ": could not be checked"));
  auto after = store->unknownStreaks(SystemClock().now());
  REQUIRE(after);
  for (const auto& u : *after)
    if (u.rule_id == item->rule_id && u.tenant_id == item->tenant_id) CHECK(u.suppressed_by == 2);
}

TEST_CASE("cli suppress: a tenant name shared by several tenants is refused, listing them") {
  std::vector<storage::KnownTenant> known = {
      {"11111111-1111-1111-1111-111111111111", "Contoso", "contoso.com", {}},
      {"22222222-2222-2222-2222-222222222222", "Contoso", "contoso.co.nz", {}},
      {"33333333-3333-3333-3333-333333333333", "Fabrikam", "fabrikam.com", {}}};
  auto two = cli::resolveTenant("contoso", known);
  CHECK(two.tenant_id.empty());
  CHECK_THAT(two.error, Contains("'contoso' names 2 tenants: Contoso (1111"));
  CHECK_THAT(two.error, Contains("Contoso (2222"));
  CHECK_THAT(two.error, Contains("give the tenant id"));
  CHECK(cli::resolveTenant("CONTOSO.CO.NZ", known).tenant_id == known[1].tenant_id);
  CHECK(cli::resolveTenant("33333333-3333-3333-3333-333333333333", known).tenant_id ==
        known[2].tenant_id);
  CHECK_THAT(cli::resolveTenant("Fabrikan", known).error, Contains("closest: Fabrikam"));
}

TEST_CASE("cli suppress: an empty target is refused, never read as every tenant") {
  Demo demo;
  for (const char* option : {"--tenant", "--tag", "--subject"}) {
    INFO(option);
    auto r = demo.add({"--rule", "admin-email-unverified", option, ""});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(std::string(option) + ": is empty"));
    auto dry = demo.add({"--rule", "admin-email-unverified", option, " ", "--dry-run"});
    CHECK(dry.exit_code == 2);
  }
  CHECK(demo.stored() == 0);
}

TEST_CASE("cli suppress: a dry run before any scan creates no database and says so") {
  TempDir dir;
  const std::string db = dir.file("cspwatch.db");
  const std::string config = dir.write(
      "cspwatch.yaml", testing::kDemoPartnerYaml + "sources:\n  inventory:\n    path: " +
                           sourcePath("etc/demo/inventory.json") + "\nstorage:\n  path: " + db +
                           "\nrules:\n  paths: [" + sourcePath("etc/rules.d") + "]\n");
  auto dry = runBinary("cspwatch",
                       {"-c", config, "suppress", "add", "--rule", "gdap-missing", "--dry-run"});
  INFO(dry.err);
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.err, Contains("no scan yet"));
  CHECK(::access(db.c_str(), F_OK) != 0);
  // A real one before any scan: refused for covering nothing, and the reason is the missing scan.
  auto add = runBinary("cspwatch", {"-c", config, "suppress", "add", "--rule", "gdap-missing",
                                    "--reason", "r", "--owner", "o", "--expires", "1d"});
  CHECK(add.exit_code == 1);
  CHECK_THAT(add.err, Contains("no scan yet: nothing is known to cover"));
}

TEST_CASE(
    "cli suppress: a dry run that would be refused says so, exit 1, without the dry-run hint") {
  Demo demo;
  auto r = demo.add({"--rule", "admin-email-unverified", "--tag", "tier:bronz", "--dry-run"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("dry run: it would be refused"));
  CHECK(r.err.find("--dry-run shows") == std::string::npos);
  CHECK(demo.stored() == 0);
}

TEST_CASE(
    "cli findings list: --tenant by name or domain, a typo an error, an unknown --rule noted") {
  Demo demo;
  for (const char* which :
       {kWestgate.c_str(), "westgate accounting partners", "westgateaccounting.com.au"}) {
    INFO(which);
    auto r = demo.run({"findings", "list", "--tenant", which, "--format", "json"});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("\"rule\": \"dap-enabled\""));
    CHECK(r.err.empty());
  }
  auto typo = demo.run({"findings", "list", "--tenant", "Westgate Acounting Partners"});
  CHECK(typo.exit_code == 1);
  CHECK_THAT(typo.err, Contains("closest: Westgate Accounting Partners"));
  CHECK(typo.out.empty());
  auto rule = demo.run({"findings", "list", "--rule", "dap-enabeld"});
  CHECK(rule.exit_code == 0);
  CHECK_THAT(rule.err, Contains("no rule 'dap-enabeld' in the configured rules; did you mean "
                                "'dap-enabled'?"));
}
