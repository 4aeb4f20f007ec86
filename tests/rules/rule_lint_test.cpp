// SPDX-License-Identifier: Apache-2.0
// The load-time warning about list macros over tenant lists nested inside each other
// (rules.costly-nesting, rules/rule_lint.h).
#include "rules/rule_lint.h"

#include <algorithm>
#include <filesystem>

#include <catch2/catch.hpp>

#include "rules/rule_loader.h"
#include "tenants/tenant_value.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::rules;

namespace {

// A rule file with `macros` (may be empty) and one rule whose `when` is `when`.
std::string ruleFile(const std::string& when, const std::string& macros = "",
                     const std::string& extra = "") {
  return (macros.empty() ? "" : "macros:\n" + macros) +
         "rules:\n"
         "  - id: r1\n"
         "    title: t\n"
         "    severity: low\n"
         "    description: d\n" +
         extra + "    when: " + when +
         "\n"
         "    message: m\n"
         "    remediation: r\n";
}

std::vector<Diagnostic> nestingWarnings(const LoadResult& r) {
  std::vector<Diagnostic> out;
  for (const auto& d : r.diagnostics.items())
    if (d.code == kCostlyNestingCode) out.push_back(d);
  return out;
}

LoadResult load(const std::string& text) {
  LoadResult r = loadRules({{"rules.yaml", text}}, {&tenants::tenantType()});
  INFO(r.diagnostics.renderText());
  REQUIRE(r.ok());  // a warning never rejects the rule set
  return r;
}

}  // namespace

TEST_CASE("cost lint: exists over a tenant list inside exists over a tenant list is a warning",
          "[rules][lint]") {
  LoadResult r = load(ruleFile(
      "tenant.partners.exists(p, tenant.verified_domains.exists(d, d == p.default_domain))"));
  auto warnings = nestingWarnings(r);
  REQUIRE(warnings.size() == 1);
  const Diagnostic& w = warnings[0];
  CHECK(w.severity == Severity::kWarning);
  CHECK(w.location.str() == "rules.yaml:6:61");
  CHECK(w.context == "rule 'r1': when");
  CHECK(w.message ==
        "exists() over a tenant list runs once for each element of the exists() at "
        "rules.yaml:6:27, also over a tenant list: it takes the product of their sizes in steps "
        "(1,000 elements each: 1,000,000)");
  CHECK_THAT(w.hint, Catch::StartsWith("nested comprehensions over tenant lists cost the product "
                                       "of their sizes; filter"));
  CHECK(r.diagnostics.warningCount() == 1);
  // Rendered as rules check shows it.
  CHECK_THAT(r.diagnostics.renderText(),
             Catch::Contains("rules.yaml:6:61: warning: rule 'r1': when: exists() over a tenant "
                             "list runs once") &&
                 Catch::Contains("[rules.costly-nesting]"));
}

TEST_CASE("cost lint: three nested exists warn at the second and the third", "[rules][lint]") {
  LoadResult r =
      load(ruleFile("tenant.verified_domains.exists(a, tenant.verified_domains.exists(b, "
                    "tenant.verified_domains.exists(c, a + b + c == \"x\")))"));
  auto warnings = nestingWarnings(r);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].location.str() == "rules.yaml:6:69");
  CHECK_THAT(warnings[0].message, Catch::Contains("exists() at rules.yaml:6:35"));
  CHECK(warnings[1].location.str() == "rules.yaml:6:103");
  CHECK_THAT(warnings[1].message, Catch::Contains("exists() at rules.yaml:6:69"));
}

TEST_CASE("cost lint: what is not a product of tenant lists is not warned about", "[rules][lint]") {
  const char* quiet[] = {
      // The element's own list: one pass over the tenant's data in all.
      "tenant.admin_relationships.exists(r, r.role_definition_ids.exists(x, x == \"a\"))",
      // An operator's list, or a literal one, inside a tenant list.
      "tenant.partners.exists(p, partner.mpn_ids.exists(m, p.mpn_id == m))",
      "tenant.contacts.exists(c, [\"billing\", \"company\"].exists(x, c.purpose == x))",
      // Side by side, or one as the list of the other: each runs once.
      ("tenant.partners.exists(p, p.is_service_provider) && "
       "tenant.verified_domains.exists(d, d == \"x\")"),
      "tenant.partners.filter(p, p.is_service_provider).exists(p, p.tenant_id == \"x\")",
      // 'in' against a list: not a list macro (the budget still counts it).
      "tenant.partners.exists(p, p.default_domain in tenant.verified_domains)",
  };
  for (const char* when : quiet) {
    INFO(when);
    LoadResult r = load(ruleFile(when));
    CHECK(nestingWarnings(r).empty());
  }
  // The first, with the tenant's list for the element's: warned about.
  CHECK(nestingWarnings(load(ruleFile("tenant.admin_relationships.exists(r, "
                                      "tenant.verified_domains.exists(x, x == r.id))")))
            .size() == 1);
}

TEST_CASE("cost lint: for_each is not counted as a list macro", "[rules][lint]") {
  const std::string for_each = "    for_each: c in tenant.contacts\n    subject: c.address\n";
  LoadResult r = load(
      ruleFile("tenant.verified_domains.exists(d, d == emailDomain(c.address))", "", for_each));
  CHECK(nestingWarnings(r).empty());
  // Inside a list macro over a tenant list, the same is warned about.
  LoadResult nested = load(ruleFile(
      "tenant.partners.exists(p, tenant.verified_domains.exists(d, d == emailDomain(c.address)))",
      "", for_each));
  CHECK(nestingWarnings(nested).size() == 1);
}

TEST_CASE("cost lint: tenant lists through macros, chains and concatenation", "[rules][lint]") {
  const std::string macros =
      "  ours: tenant.admin_relationships.filter(r, r.partner_tenant_id == partner.tenant_id)\n"
      "  inner: tenant.verified_domains.exists(d, d == p.default_domain)\n";
  SECTION("a macro's list is the tenant's") {
    LoadResult r =
        load(ruleFile("tenant.partners.exists(p, ours.exists(r, r.partner_tenant_id == "
                      "p.tenant_id))",
                      macros));
    auto warnings = nestingWarnings(r);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].location.str() == "rules.yaml:9:42");
  }
  SECTION("a nested macro inside a list macro is warned about in the macro, once") {
    LoadResult r = load(ruleFile(
        "tenant.partners.exists(p, inner) || tenant.partners.all(p, inner) || size(ours) > 0",
        macros));
    auto warnings = nestingWarnings(r);
    REQUIRE(warnings.size() == 2);  // two outer macros, two messages, one position
    CHECK(warnings[0].location.str() == "rules.yaml:3:34");
    CHECK(warnings[0].context == "macro 'inner'");
    CHECK(warnings[1].location.str() == "rules.yaml:3:34");
    CHECK_THAT(warnings[1].message, Catch::Contains("all() at rules.yaml:9:63"));
  }
  SECTION("a chain is warned about once, at its first list macro") {
    LoadResult r = load(
        ruleFile("tenant.partners.exists(p, tenant.verified_domains.filter(d, d.endsWith(\".au\"))"
                 ".exists(d, d == p.default_domain))",
                 macros));
    auto warnings = nestingWarnings(r);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].location.str() == "rules.yaml:9:61");
    CHECK_THAT(warnings[0].message, Catch::StartsWith("filter() over a tenant list"));
  }
  SECTION("concatenated and mapped lists are the tenant's too") {
    LoadResult r = load(ruleFile(
        "tenant.partners.exists(p, (partner.email_domains + tenant.verified_domains).map(d, "
        "d.lowerAscii()).exists(d, d == p.default_domain))",
        macros));
    CHECK(nestingWarnings(r).size() == 1);
  }
}

TEST_CASE(
    "cost lint: the default pack has no costly nesting, and the rule set keeps the "
    "warnings for the scan's log once",
    "[rules][lint]") {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(testing::sourcePath("etc/rules.d")))
    if (e.path().extension() == ".yaml" &&
        e.path().filename().string().find(".test.") == std::string::npos)
      names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  std::vector<RuleSource> pack;
  for (const auto& n : names) pack.push_back({n, testing::readFile(n)});
  LoadResult shipped = loadRules(pack, {&tenants::tenantType()});
  INFO(shipped.diagnostics.renderText());
  REQUIRE(shipped.ok());
  CHECK(nestingWarnings(shipped).empty());
  CHECK(shipped.rules->costWarningsOnce().empty());

  LoadResult r = load(ruleFile(
      "tenant.partners.exists(p, tenant.verified_domains.exists(d, d == p.default_domain))"));
  std::vector<Diagnostic> once = r.rules->costWarningsOnce();
  REQUIRE(once.size() == 1);
  CHECK(once[0].location.str() == "rules.yaml:6:61");
  CHECK(r.rules->costWarningsOnce().empty());
}

TEST_CASE("cost lint: the two-variable macros and transformList() count as the others do",
          "[rules][lint]") {
  // transformList() gives a list as long as the tenant's, like map().
  CHECK(nestingWarnings(load(ruleFile("'tenant.verified_domains.transformList(i, d, d).exists(d, "
                                      "tenant.partners.exists(p, p.default_domain == d))'")))
            .size() == 1);
  // The element of a two-variable macro is the element, not a tenant list.
  CHECK(nestingWarnings(load(ruleFile("'tenant.verified_domains.exists(i, d, "
                                      "tenant.partners.exists(p, p.default_domain == d))'")))
            .size() == 1);
  CHECK(nestingWarnings(
            load(ruleFile("'tenant.admin_relationships.all(i, r, r.role_definition_ids.exists(x, "
                          "x != \"\"))'")))
            .empty());
}
