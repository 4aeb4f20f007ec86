// SPDX-License-Identifier: Apache-2.0
// What a rule tells an admin (issue 18): `why` in admin words, or the description's first
// sentence; `subject_label`, a finding's subject by name; the lint warning about API detail in
// `why`.
#include <catch2/catch.hpp>

#include "rules/rule_lint.h"
#include "rules/rule_loader.h"
#include "tenants/tenant_value.h"

using namespace cspwatch;
using namespace cspwatch::rules;
using Catch::Contains;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const PartnerIdentity kPartner{"Northwind",      "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64", {}, {}, {},
                               {"northwind.com"}};

LoadResult load(const std::string& text) {
  return loadRules({{"w.yaml", text}}, {&tenants::tenantType()});
}

const char* kRules = R"y(
rules:
  - id: relationship-named
    title: T
    severity: low
    description: >-
      Long relationships keep roles nobody reviews, e.g. Global Administrator. Data: Graph
      tenantRelationships/delegatedAdminRelationships (DelegatedAdminRelationship.Read.All).
    for_each: r in tenant.admin_relationships
    subject: r.id
    subject_label: >-
      r.display_name + " (" + r.kind.upperAscii() + ")"
    when: "true"
    message: M
    remediation: R
  - id: with-why
    title: T
    severity: low
    description: "The API detail. Data: GET /v1/customers."
    why: >-
      Until the customer accepts, we
      cannot reset a password.
    when: tenant.dap_enabled
    message: M
    remediation: R
)y";

tenants::Tenant withRelationships() {
  tenants::Tenant t;
  t.id = "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c";
  t.name = "Contoso";
  t.dap_enabled = true;
  tenants::AdminRelationship named;
  named.id = "rel-1";
  named.display_name = "NWIT_Standard_Support";
  named.kind = "gdap";
  named.status = "active";
  t.admin_relationships = std::vector<tenants::AdminRelationship>{named};
  return t;
}

}  // namespace

TEST_CASE("why: the rule's own words, or the description's first sentence", "[rules][why]") {
  LoadResult r = load(kRules);
  INFO(r.diagnostics.renderText());
  REQUIRE(r.ok());
  const CompiledRule* named = r.rules->find("relationship-named");
  const CompiledRule* with = r.rules->find("with-why");
  REQUIRE(named != nullptr);
  REQUIRE(with != nullptr);
  CHECK(named->why.empty());
  // "e.g. Global" does not end the sentence; the description keeps the API detail.
  CHECK(named->adminWhy() ==
        "Long relationships keep roles nobody reviews, e.g. Global "
        "Administrator.");
  CHECK_THAT(named->description, Contains("DelegatedAdminRelationship.Read.All"));
  CHECK(with->adminWhy() == "Until the customer accepts, we cannot reset a password.");
  CHECK(with->description == "The API detail. Data: GET /v1/customers.");
}

TEST_CASE("why: firstSentence", "[rules][why]") {
  CHECK(firstSentence("One. Two.") == "One.");
  CHECK(firstSentence("  No full stop at all  ") == "No full stop at all");
  CHECK(firstSentence("Version 1.5 of it. Then more.") == "Version 1.5 of it.");
  CHECK(firstSentence("Ends here!\nNext line.") == "Ends here!");
  CHECK(firstSentence("lower. case goes on. Until Here.") == "lower. case goes on.");
  CHECK(firstSentence("") == "");
}

TEST_CASE("subject_label: each finding names its subject, the key stays the subject",
          "[rules][why]") {
  LoadResult r = load(kRules);
  REQUIRE(r.ok());
  auto results = r.rules->evaluate(tenants::tenantToValue(withRelationships()), kPartner, kNow);
  const RuleResult* res = nullptr;
  for (const auto& x : results)
    if (x.rule->id == "relationship-named") res = &x;
  REQUIRE(res != nullptr);
  REQUIRE(res->findings.size() == 1);
  CHECK(res->findings[0].subject == "rel-1");
  CHECK(res->findings[0].subject_label == "NWIT_Standard_Support (GDAP)");
}

TEST_CASE("subject_label: a label that cannot be evaluated leaves the subject, not an unknown",
          "[rules][why]") {
  LoadResult r = load(R"y(
rules:
  - id: r1
    title: T
    severity: low
    description: D
    for_each: r in tenant.admin_relationships
    subject: r.id
    subject_label: tenant.partners.map(p, p.tenant_id).join(", ")
    when: "true"
    message: M
    remediation: R
)y");
  REQUIRE(r.ok());
  auto results = r.rules->evaluate(tenants::tenantToValue(withRelationships()), kPartner, kNow);
  REQUIRE(results.size() == 1);
  CHECK(results[0].outcome == Outcome::kFail);  // tenant.partners unknown: only the label is
  REQUIRE(results[0].findings.size() == 1);
  CHECK(results[0].findings[0].subject_label.empty());
}

TEST_CASE("subject_label: only with for_each, a string, and misspelt keys still found",
          "[rules][why]") {
  LoadResult without = load(R"y(
rules:
  - id: r1
    title: T
    severity: low
    description: D
    subject_label: tenant.name
    when: tenant.dap_enabled
    message: M
    remediation: R
)y");
  CHECK_FALSE(without.ok());
  CHECK_THAT(
      without.diagnostics.renderText(),
      Contains("w.yaml:7:5: error: rule 'r1': 'subject_label' only applies with 'for_each'"));

  LoadResult number = load(R"y(
rules:
  - id: r1
    title: T
    severity: low
    description: D
    for_each: r in tenant.admin_relationships
    subject: r.id
    subject_label: size(r.role_definition_ids)
    when: "true"
    message: M
    remediation: R
)y");
  CHECK_FALSE(number.ok());
  CHECK_THAT(number.diagnostics.renderText(),
             Contains("the subject_label must be a string (a name such as r.display_name), "
                      "found int"));

  LoadResult typo = load(R"y(
rules:
  - id: r1
    title: T
    severity: low
    description: D
    whyy: W
    when: tenant.dap_enabled
    message: M
    remediation: R
)y");
  CHECK_FALSE(typo.ok());
  CHECK_THAT(typo.diagnostics.renderText(), Contains("w.yaml:7:5: error: rule 'r1': unknown key"));
  CHECK_THAT(typo.diagnostics.renderText(), Contains("did you mean 'why'?"));
}

TEST_CASE("why: an override replaces it", "[rules][why]") {
  LoadResult r = loadRules({{"a.yaml", kRules}, {"b.yaml", R"y(
rules:
  - id: with-why
    why: Our own words.
    override: {why: replace}
)y"}},
                           {&tenants::tenantType()});
  INFO(r.diagnostics.renderText());
  REQUIRE(r.ok());
  CHECK(r.rules->find("with-why")->adminWhy() == "Our own words.");
}

TEST_CASE("why: API paths, hosts and permission names are warned about", "[rules][why]") {
  auto warning = [](const std::string& why) {
    Diagnostics d;
    lintWhy(why, SourceLocation{"w.yaml", 3, 10}, "rule 'r1': why", d);
    return d.items().empty() ? std::string() : d.items()[0].message;
  };
  CHECK(warning("Nobody can reset a password, so the customer is locked out.").empty());
  CHECK(warning("Read it, and all of it. Send it. A/B tests, e.g. and/or.").empty());
  CHECK(warning("Data: GET /v1/customers.") ==
        "'why' names an HTTP method, 'GET': the digest "
        "shows it to admins");
  CHECK_THAT(warning("needs (Policy.Read.All)"), Contains("a permission, 'Policy.Read.All'"));
  CHECK_THAT(warning("needs Mail.Send"), Contains("a permission, 'Mail.Send'"));
  CHECK_THAT(warning("from /organization"), Contains("an API path, '/organization'"));
  CHECK_THAT(warning("via https://graph.microsoft.com/v1.0/x"), Contains("an API's host"));
  CHECK_THAT(warning("see tenantRelationships/delegatedAdminRelationships"),
             Contains("a path of API fields"));

  // Through the loader: a warning at the value, and the rules still load.
  LoadResult r = load(R"y(
rules:
  - id: r1
    title: T
    severity: low
    description: D
    why: Needs DelegatedAdminRelationship.Read.All.
    when: tenant.dap_enabled
    message: M
    remediation: R
)y");
  REQUIRE(r.ok());
  CHECK_THAT(r.diagnostics.renderText(),
             Contains("w.yaml:7:10: warning: rule 'r1': why: 'why' names a permission, "
                      "'DelegatedAdminRelationship.Read.All'"));
  CHECK_THAT(r.diagnostics.renderText(), Contains("[rules.technical-why]"));
}
