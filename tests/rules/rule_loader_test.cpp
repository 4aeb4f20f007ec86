// SPDX-License-Identifier: Apache-2.0
// Loading rule files and evaluating them: outcomes, for_each, exceptions, overrides, macros.
#include "rules/rule_loader.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "tenants/tenant_value.h"

using namespace cspwatch;
using namespace cspwatch::rules;
using cspwatch::tenants::Tenant;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const PartnerIdentity kPartner{"Northwind",      "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64", {}, {}, {},
                               {"northwind.com"}};

LoadResult load(std::vector<RuleSource> sources) {
  LoadResult r = loadRules(sources, {&tenants::tenantType()});
  INFO(r.diagnostics.renderText());
  REQUIRE(r.ok());
  return r;
}

Tenant tenant() {
  Tenant t;
  t.id = "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c";
  t.name = "Contoso";
  t.tags = {"vip"};
  t.dap_enabled = true;
  t.contacts = std::vector<tenants::ContactEmail>{{"a@gmail.com", "billing", "partner_center"},
                                                  {"b@contoso.com", "billing", "partner_center"},
                                                  {"c@GMAIL.com", "admin_credentials", "inventory"},
                                                  {"a@gmail.com", "company", "partner_center"}};
  return t;
}

RuleResult evalOne(const LoadResult& r, const Tenant& t, const std::string& id) {
  for (auto& result : r.rules->evaluate(tenants::tenantToValue(t), kPartner, kNow))
    if (result.rule->id == id) return result;
  FAIL("rule " << id << " was not evaluated");
  return {};
}

std::vector<std::string> subjects(const RuleResult& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings) out.push_back(f.subject);
  return out;
}

const char* kRules = R"y(
lists:
  free_mail: [gmail.com, outlook.com]
macros:
  domain: emailDomain(c.address)
rules:
  - id: dap-on
    title: DAP on
    severity: high
    description: why
    tags: [dap]
    when: tenant.dap_enabled
    message: "{{ tenant.name }} has DAP ({{ tenant.partners }})"
    remediation: turn it off
  - id: free-mail
    title: Free mail
    severity: low
    description: why
    for_each: c in tenant.contacts
    subject: c.address.lowerAscii()
    when: domain in lists.free_mail
    message: "{{ c.address }} is {{ c.purpose }}"
    remediation: change {{ c.address }}
)y";

}  // namespace

TEST_CASE("loader: a rule file loads with every field, and evaluates") {
  LoadResult r = load({{"a.yaml", kRules}});
  REQUIRE(r.rules->rules().size() == 2);
  const CompiledRule* dap = r.rules->find("dap-on");
  REQUIRE(dap != nullptr);
  CHECK(dap->title == "DAP on");
  CHECK(dap->severity == RuleSeverity::kHigh);
  CHECK(dap->tags == std::vector<std::string>{"dap"});
  CHECK(dap->site.file == "a.yaml");
  CHECK(dap->site.line == 7);
  CHECK(r.diagnostics.empty());

  RuleResult res = evalOne(r, tenant(), "dap-on");
  CHECK(res.outcome == Outcome::kFail);
  REQUIRE(res.findings.size() == 1);
  CHECK(res.findings[0].subject.empty());
  // An unknown part in a message hole shows as "(unknown)".
  CHECK(res.findings[0].message == "Contoso has DAP ((unknown))");
  CHECK(res.findings[0].remediation == "turn it off");

  Tenant off = tenant();
  off.dap_enabled = false;
  CHECK(evalOne(r, off, "dap-on").outcome == Outcome::kPass);
  Tenant unknown = tenant();
  unknown.dap_enabled.reset();
  RuleResult u = evalOne(r, unknown, "dap-on");
  CHECK(u.outcome == Outcome::kUnknown);
  CHECK_THAT(u.unknown_reason, Catch::Contains("dap_enabled is unknown"));
}

TEST_CASE("loader: for_each gives one finding per subject, merging repeats") {
  LoadResult r = load({{"a.yaml", kRules}});
  RuleResult res = evalOne(r, tenant(), "free-mail");
  CHECK(res.outcome == Outcome::kFail);
  CHECK(subjects(res) == std::vector<std::string>{"a@gmail.com", "c@gmail.com"});
  CHECK(res.findings[0].message == "a@gmail.com is billing");
  CHECK(res.findings[0].remediation == "change a@gmail.com");
  REQUIRE(res.findings[0].evidence.kind() == Value::Kind::kObject);

  Tenant none = tenant();
  none.contacts = std::vector<tenants::ContactEmail>{};
  CHECK(evalOne(r, none, "free-mail").outcome == Outcome::kPass);
  none.contacts.reset();
  CHECK(evalOne(r, none, "free-mail").outcome == Outcome::kUnknown);
}

TEST_CASE("loader: elements that cannot be decided make a fail incomplete, or the rule unknown") {
  LoadResult r = load({{"a.yaml", R"y(
rules:
  - id: ends-soon
    title: t
    severity: medium
    description: d
    for_each: r in tenant.admin_relationships
    subject: r.id
    when: r.end_at < now + duration("30d")
    message: m
    remediation: x
)y"}});
  Tenant t = tenant();
  tenants::AdminRelationship soon, unknown_end, later;
  soon.id = "soon";
  soon.end_at = *parseTimestamp("2026-12-01T00:00:00Z");
  unknown_end.id = "no-end";  // end_at null: null < timestamp is an error
  later.id = "later";
  later.end_at = *parseTimestamp("2027-12-01T00:00:00Z");
  t.admin_relationships = std::vector<tenants::AdminRelationship>{soon, unknown_end, later};
  RuleResult res = evalOne(r, t, "ends-soon");
  CHECK(res.outcome == Outcome::kFail);
  CHECK(res.incomplete);
  CHECK(subjects(res) == std::vector<std::string>{"soon"});
  CHECK(res.unknown_subjects == std::vector<std::string>{"no-end"});
  CHECK_THAT(res.unknown_reason, Catch::Contains("no such overload"));

  t.admin_relationships = std::vector<tenants::AdminRelationship>{unknown_end, later};
  res = evalOne(r, t, "ends-soon");
  CHECK(res.outcome == Outcome::kUnknown);
  CHECK_FALSE(res.incomplete);
}

TEST_CASE("loader: each contact that could not be read gives its own reason, beside failures") {
  LoadResult r = load({{"a.yaml", R"y(
rules:
  - id: off-domain
    title: t
    severity: high
    description: d
    for_each: c in tenant.contacts
    subject: c.address.lowerAscii()
    when: '!c.address.endsWith("@contoso.com")'
    message: m
    remediation: x
)y"}});
  Tenant t = tenant();
  t.contacts = std::vector<tenants::ContactEmail>{
      {"Owner@Gmail.com", "admin_credentials", "inventory"},
      {"", "company", "partner_center", std::string("company email hidden: no Global Reader")},
      {"", "technical_notification", "graph", std::string("technical contacts hidden: no scope")},
      {"", "billing", "partner_center", std::string("company email hidden: no Global Reader")},
      {"it@contoso.com", "billing", "partner_center"}};
  RuleResult res = evalOne(r, t, "off-domain");
  CHECK(res.outcome == Outcome::kFail);  // the failure found is reported, not hidden
  CHECK(res.incomplete);                 // and nothing is resolved on the strength of it
  CHECK(subjects(res) == std::vector<std::string>{"owner@gmail.com"});
  // Each distinct reason once, in order; the unreadable contacts name no subject.
  CHECK(res.unknown_reasons == std::vector<std::string>{"company email hidden: no Global Reader",
                                                        "technical contacts hidden: no scope"});
  CHECK(res.unknown_reason == res.unknown_reasons.front());
  CHECK(res.unknown_subjects.empty());

  t.contacts = std::vector<tenants::ContactEmail>{
      {"", "company", "partner_center", std::string("company email hidden: no Global Reader")},
      {"it@contoso.com", "billing", "partner_center"}};
  res = evalOne(r, t, "off-domain");
  CHECK(res.outcome == Outcome::kUnknown);  // never a pass
  CHECK(res.unknown_reasons.size() == 1);
}

TEST_CASE("loader: exceptions carve out matching elements, as data") {
  LoadResult r = load({{"a.yaml", std::string(kRules) + R"y(
  - id: free-mail-except
    title: t
    severity: low
    description: d
    for_each: c in tenant.contacts
    subject: c.address.lowerAscii()
    when: domain in lists.free_mail
    message: m
    remediation: x
    exceptions:
      - name: known-addresses
        fields: [c.address.lowerAscii()]
        values: [c@gmail.com]
      - name: vip-billing
        fields: [tenant.tags, c.purpose, c.address]
        comps: [contains, in, startsWith]
        values:
          - [vip, [billing, company], "a@"]
)y"}});
  Tenant t = tenant();
  // c@ is excepted by the first exception; a@ (billing, company) by the second, on a vip tenant...
  CHECK(evalOne(r, t, "free-mail-except").outcome == Outcome::kPass);
  t.tags = {"other"};
  // ... which no longer applies once the tag changes.
  CHECK(subjects(evalOne(r, t, "free-mail-except")) == std::vector<std::string>{"a@gmail.com"});
}

TEST_CASE("loader: later files override earlier ones only when they say so") {
  const char* override_file = R"y(
lists:
  free_mail: {items: [contoso.com], override: append}
rules:
  - id: dap-on
    override: {enabled: replace}
    enabled: false
  - id: free-mail
    override: {when: append, tags: append, severity: replace}
    when: c.purpose != "company"
    tags: [extra]
    severity: critical
)y";
  LoadResult r = load({{"10-a.yaml", kRules}, {"20-b.yaml", override_file}});
  const CompiledRule* dap = r.rules->find("dap-on");
  REQUIRE(dap != nullptr);
  CHECK_FALSE(dap->enabled);
  auto results = r.rules->evaluate(tenants::tenantToValue(tenant()), kPartner, kNow);
  REQUIRE(results.size() == 1);  // disabled rules are not evaluated
  const CompiledRule* fm = r.rules->find("free-mail");
  CHECK(fm->severity == RuleSeverity::kCritical);
  CHECK(fm->tags == std::vector<std::string>{"extra"});  // the rule had no tags
  // contoso.com now counts as free mail; company contacts are left out by the appended condition.
  CHECK(subjects(results[0]) ==
        std::vector<std::string>{"a@gmail.com", "b@contoso.com", "c@gmail.com"});

  LoadResult replaced = load({{"10-a.yaml", kRules}, {"20-b.yaml", R"y(
lists:
  free_mail: {items: [outlook.com], override: replace}
macros:
  domain: {expr: "'never'", override: replace}
rules:
  - id: dap-on
    override: replace
    title: replaced
    severity: info
    description: d
    when: "false"
    message: m
    remediation: r
)y"}});
  CHECK(replaced.rules->find("dap-on")->title == "replaced");
  CHECK(evalOne(replaced, tenant(), "free-mail").outcome == Outcome::kPass);
}

TEST_CASE("loader: the rule-set hash tracks content") {
  LoadResult a = load({{"/x/a.yaml", kRules}});
  LoadResult b = load({{"/y/a.yaml", kRules}});
  LoadResult c = load({{"/x/a.yaml", std::string(kRules) + "\n# changed\n"}});
  CHECK(a.rules->hash() == b.rules->hash());  // the directory does not matter, the name does
  CHECK(a.rules->hash() != c.rules->hash());
  CHECK(a.rules->hash().size() == 16);
}

TEST_CASE("loader: unused lists and macros warn, a disabled rule is still checked") {
  LoadResult r = loadRules({{"a.yaml", R"y(
lists:
  spare: [a]
macros:
  spare_macro: "true"
rules: []
)y"}},
                           {&tenants::tenantType()});
  CHECK(r.ok());
  CHECK(r.diagnostics.warningCount() == 2);
  CHECK(r.diagnostics.items()[0].code == "rules.unused-list");
  CHECK(r.diagnostics.items()[1].code == "rules.unused-macro");

  LoadResult disabled = loadRules({{"a.yaml", R"y(
rules:
  - id: off
    title: t
    severity: low
    description: d
    enabled: false
    when: tenant.no_such_field
    message: m
    remediation: r
)y"}},
                                  {&tenants::tenantType()});
  CHECK_FALSE(disabled.ok());
  CHECK(disabled.diagnostics.items().at(0).code == "rules.unknown-field");
}

TEST_CASE("loader: a rule set is immutable and can be evaluated from several threads") {
  LoadResult r = load({{"a.yaml", kRules}});
  std::shared_ptr<const RuleSet> set = r.rules;
  Value tv = tenants::tenantToValue(tenant());
  std::vector<std::thread> threads;
  std::atomic<int> fails{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 500; ++j)
        for (const auto& res : set->evaluate(tv, kPartner, kNow))
          fails += res.outcome == Outcome::kFail;
    });
  for (auto& t : threads) t.join();
  CHECK(fails == 4 * 500 * 2);
}

TEST_CASE("loader: a // comment in a folded block that swallows later lines is warned about") {
  const std::string rule = R"y(rules:
  - id: folded
    title: t
    severity: low
    description: d
    when: >-
      tenant.dap_enabled // our DAP
      && tenant.name == "x"
    message: m
    remediation: r
)y";
  LoadResult r = loadRules({{"a.yaml", rule}}, {&tenants::tenantType()});
  REQUIRE(r.ok());  // a warning, not an error: the rule set still loads
  REQUIRE(r.diagnostics.items().size() == 1);
  const Diagnostic& d = r.diagnostics.items()[0];
  CHECK(d.code == "rules.folded-comment");
  CHECK(d.location.line == 7);
  CHECK(d.location.column == 26);
  // The same comment in a literal block keeps its line break and means what it says.
  std::string literal = rule;
  literal.replace(literal.find(">-"), 2, "|");
  LoadResult ok = loadRules({{"a.yaml", literal}}, {&tenants::tenantType()});
  REQUIRE(ok.ok());
  CHECK(ok.diagnostics.empty());
}

// Macros that each use the previous one twice, `levels` deep, and a rule on the last one.
std::string nestedMacros(int levels) {
  std::string text = "macros:\n  m0: tenant.name\n";
  for (int i = 1; i <= levels; ++i)
    text += "  m" + std::to_string(i) + ": m" + std::to_string(i - 1) + " + m" +
            std::to_string(i - 1) + "\n";
  text += "rules:\n  - id: nested\n    title: t\n    severity: low\n    description: d\n";
  text +=
      "    when: size(m" + std::to_string(levels) + ") > 0\n    message: m\n    remediation: r\n";
  return text;
}

// Seconds loadRules() takes over `text` (one file), whatever it finds.
double secondsToLoad(const std::string& text) {
  const auto start = std::chrono::steady_clock::now();
  const LoadResult r = loadRules({{"a.yaml", text}}, {&tenants::tenantType()});
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST_CASE("loader: nested macros compile in time linear in the result, and a blow-up is refused") {
  // Found by fuzzing: each level used to cost 4 times the last (20 levels: 38 s, 200 MB).
  // 10 levels inline 1,024 copies of tenant.name: fine, and the value is right.
  LoadResult ok = load({{"a.yaml", nestedMacros(10)}});
  Tenant t = tenant();
  t.name = "ab";
  RuleResult r = evalOne(ok, t, "nested");
  CHECK(r.outcome == Outcome::kFail);  // size(2 * 1024 characters) > 0

  // 20 levels would inline a million copies: refused at once with a clear error.
  LoadResult big = loadRules({{"a.yaml", nestedMacros(20)}}, {&tenants::tenantType()});
  CHECK_FALSE(big.ok());
  REQUIRE(big.diagnostics.items().size() >= 1);
  CHECK(big.diagnostics.items()[0].code == "rules.too-complex");

  // "At once": compiling stops at the limit of 100,000 parts, so the refusal costs a few times
  // what the largest nesting under the limit does (14 levels; measured 3 to 4 times, each macro
  // over the limit being tried on its own too). Building all the parts first would cost about
  // 50 times as much, and the old quadratic inlining (38 s) hundreds of times. Each is timed a
  // few times in turn and the least kept: what else the machine runs only ever adds time, to
  // both.
  REQUIRE(load({{"a.yaml", nestedMacros(14)}}).ok());
  double accepted = 1e9, refused = 1e9;
  for (int turn = 0; turn < 3; ++turn) {
    accepted = std::min(accepted, secondsToLoad(nestedMacros(14)));
    refused = std::min(refused, secondsToLoad(nestedMacros(20)));
  }
  WARN("20 levels refused in " << refused << " s; 14 levels loaded in " << accepted << " s");
  CHECK(refused < 15 * accepted);
}

TEST_CASE("loader: macros stacked at the bottom of long chains are refused, not a stack overflow") {
  // Found by review: each parsed expression is at most 1,000 levels high, but a macro used at
  // the bottom of a 990-level '&&' chain adds its own height; seven such macros crashed
  // `rules check` (SIGSEGV) in the compiler's recursion.
  std::string text = "macros:\n";
  std::string chain;
  for (int i = 0; i < 990; ++i) chain += "&&true";
  for (int i = 0; i < 7; ++i)
    text += "  m" + std::to_string(i) + ": \"" + (i < 6 ? "m" + std::to_string(i + 1) : "true") +
            chain + "\"\n";
  text += "rules:\n  - id: deep\n    title: t\n    severity: low\n    description: d\n";
  text += "    when: m0\n    message: m\n    remediation: r\n";
  LoadResult r = loadRules({{"a.yaml", text}}, {&tenants::tenantType()});
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.items().size() >= 1);
  CHECK(r.diagnostics.items()[0].code == "rules.too-complex");
  CHECK_THAT(r.diagnostics.items()[0].message, Catch::Contains("nested too deeply"));
}
