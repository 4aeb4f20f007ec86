// SPDX-License-Identifier: Apache-2.0
// What the rule tools (`rules eval`, `scan --rule`, `rules check` of one file) need of the
// engine: an expression compiled beside the rules, evaluating some rules only, each rule's
// reads, the lists and macros a file defines, and the hint for a ': ' in plain YAML text.
#include <catch2/catch.hpp>

#include "rules/rule_loader.h"
#include "rules/rule_reader.h"
#include "tenants/tenant_value.h"

using namespace cspwatch;
using namespace cspwatch::rules;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const PartnerIdentity kPartner{"Northwind",      "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64", {}, {}, {},
                               {"northwind.com"}};

const char* kLists = R"y(lists:
  vip_tags: [vip, tier:gold]
macros:
  is_vip: tenant.tags.exists(t, t in lists.vip_tags)
)y";

const char* kRules = R"y(rules:
  - id: vip-dap
    title: t
    severity: high
    description: d
    when: is_vip && tenant.dap_enabled
    message: m
    remediation: r
  - id: named
    title: t
    severity: low
    description: d
    when: tenant.name == "Contoso"
    message: m
    remediation: r
)y";

tenants::Tenant contoso() {
  tenants::Tenant t;
  t.id = "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c";
  t.name = "Contoso";
  t.tags = {"vip"};
  t.dap_enabled = true;
  return t;
}

Value evalExpr(const std::string& expr, std::string* type_name = nullptr) {
  LoadResult r = loadRules({{"00-lists.yaml", kLists}, {"10-r.yaml", kRules}},
                           {&tenants::tenantType(), &expr});
  INFO(r.diagnostics.renderText());
  REQUIRE(r.ok());
  REQUIRE(r.rules->expression() != nullptr);
  if (type_name != nullptr) *type_name = r.rules->expression()->type.name();
  return r.rules->evaluateExpression(tenants::tenantToValue(contoso()),
                                     RuleSet::partnerValue(kPartner), kNow);
}

}  // namespace

TEST_CASE("rule tools: an expression sees the rules' macros and lists, and any type") {
  std::string type;
  Value v = evalExpr("is_vip && size(lists.vip_tags) == 2", &type);
  CHECK(celTypeName(v) == std::string("bool"));
  CHECK(v.asBool());
  CHECK(type == "bool");
  CHECK(celTypeName(evalExpr("tenant.tags")) == std::string("list"));
  CHECK(evalExpr("tenant.tags").toText() == "[vip]");
  CHECK(celTypeName(evalExpr("size(tenant.name)")) == std::string("int"));
  CHECK(celTypeName(evalExpr("now")) == std::string("timestamp"));
  CHECK(celTypeName(evalExpr("partner")) == std::string("map"));
  CHECK(celTypeName(evalExpr("tenant.tags.filter(t, t == \"vip\")")) == std::string("list"));
  // What it reads is kept with it (a read of one tenant for it fetches only that), not added
  // to the rules' reads.
  const std::string expr = "is_vip && size(tenant.verified_domains) > 0";
  LoadResult r = loadRules({{"00-lists.yaml", kLists}, {"10-r.yaml", kRules}},
                           {&tenants::tenantType(), &expr});
  REQUIRE(r.ok());
  CHECK(r.rules->expression()->reads.fields == std::set<std::string>{"tags", "verified_domains"});
  CHECK_FALSE(r.rules->tenantFieldsRead().reads("verified_domains"));
  LoadResult plain =
      loadRules({{"00-lists.yaml", kLists}, {"10-r.yaml", kRules}}, {&tenants::tenantType()});
  CHECK(r.rules->tenantFieldsRead().fields == plain.rules->tenantFieldsRead().fields);
  CHECK(plain.rules->expression() == nullptr);
  // A part that was not read is unknown.
  CHECK(celTypeName(evalExpr("tenant.partners")) == std::string("unknown"));
}

TEST_CASE("rule tools: an expression's mistakes are diagnostics of 'expression' at its column") {
  const std::string expr = "tenant.dap_enabeld && is_vip";
  LoadResult r = loadRules({{"00-lists.yaml", kLists}, {"10-r.yaml", kRules}},
                           {&tenants::tenantType(), &expr});
  CHECK_FALSE(r.ok());
  const std::string text = r.diagnostics.renderText();
  CHECK_THAT(text, Catch::Contains("expression:1:8: error: "));
  CHECK_THAT(text, Catch::Contains("dap_enabled"));  // did you mean
  CHECK_THAT(text, Catch::Contains("  tenant.dap_enabeld && is_vip\n         ^"));
}

TEST_CASE("rule tools: only_rules evaluates those rules, and each rule keeps what it reads") {
  LoadResult r =
      loadRules({{"00-lists.yaml", kLists}, {"10-r.yaml", kRules}}, {&tenants::tenantType()});
  REQUIRE(r.ok());
  const std::set<std::string> only = {"named"};
  EvalOptions options;
  options.only_rules = &only;
  auto results = r.rules->evaluate(tenants::tenantToValue(contoso()), kPartner, kNow, options);
  REQUIRE(results.size() == 1);
  CHECK(results[0].rule->id == "named");
  CHECK(r.rules->find("named")->reads.fields == std::set<std::string>{"name"});
  CHECK(r.rules->find("vip-dap")->reads.fields == std::set<std::string>{"dap_enabled", "tags"});
}

TEST_CASE("rule tools: the lists and macros a file defines, with their lines") {
  auto defs = definitionsIn({"/r/00-lists.yaml", kLists});
  REQUIRE(defs.size() == 2);
  CHECK(defs[0].is_list);
  CHECK(defs[0].name == "vip_tags");
  CHECK(defs[0].where.str() == "/r/00-lists.yaml:2:3");
  CHECK_FALSE(defs[1].is_list);
  CHECK(defs[1].name == "is_vip");
  CHECK(defs[1].where.line == 4);
}

TEST_CASE("rule tools: a ': ' inside a plain condition or message gets the quote-or-fold hint") {
  const std::string bad = std::string(kRules) + R"y(  - id: colon
    title: t
    severity: low
    description: d
    when: tenant.name == "a: b"
    message: m
    remediation: r
)y";
  LoadResult r = loadRules({{"10-r.yaml", bad}}, {&tenants::tenantType()});
  CHECK_FALSE(r.ok());
  const std::string text = r.diagnostics.renderText();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("10-r.yaml:20:"));
  CHECK_THAT(text, Catch::Contains("(the ': ' at column 28 starts a mapping inside the value)"));
  CHECK_THAT(text, Catch::Contains("hint: a ': ' inside plain text starts a YAML mapping: quote "
                                   "the whole value"));
  CHECK_THAT(text, Catch::Contains("or fold it (when: >- and the text on the lines below"));

  // Read as a mapping instead of failing: the same hint, at the value.
  const std::string as_map = std::string(kRules) + R"y(  - id: colon
    title: t
    severity: low
    description: d
    when:
      tenant.name == a: b
    message: m
    remediation: r
)y";
  LoadResult m = loadRules({{"10-r.yaml", as_map}}, {&tenants::tenantType()});
  CHECK_FALSE(m.ok());
  const std::string map_text = m.diagnostics.renderText();
  INFO(map_text);
  CHECK_THAT(map_text, Catch::Contains("10-r.yaml:21:7: error: rule 'colon': 'when' must be a "
                                       "string, found a mapping: YAML split the text at a "
                                       "': ' into a key and a value (at 10-r.yaml:21:25)"));
  CHECK_THAT(map_text, Catch::Contains("hint: a ': ' inside plain text starts a YAML mapping"));
}

TEST_CASE("rule tools: colonInPlainValue finds the ': ' of a plain value only") {
  const std::string text = "a: 1\n  - when: x == \"a: b\"\nb: 'q: r'\nc: >-\n";
  auto at = colonInPlainValue(text, {"f", 2, 5});
  REQUIRE(at);
  CHECK(at->column == 18);
  CHECK_FALSE(colonInPlainValue(text, {"f", 1, 1}));
  CHECK_FALSE(colonInPlainValue(text, {"f", 3, 1}));
  CHECK_FALSE(colonInPlainValue(text, {"f", 4, 1}));
  CHECK_FALSE(colonInPlainValue(text, {"f", 9, 1}));
}
