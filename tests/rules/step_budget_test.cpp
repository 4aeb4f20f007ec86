// SPDX-License-Identifier: Apache-2.0
// The evaluator's step budget: a rule too costly for a tenant's data stops quickly and is
// unknown for that tenant, with the reason; the other rules are untouched; the default pack stays
// far below the default budget on large tenants.
#include <algorithm>
#include <chrono>
#include <filesystem>

#include <catch2/catch.hpp>

#include "rules/expr_compiler.h"
#include "rules/expr_parser.h"
#include "rules/rule_loader.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_value.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::rules;
using cspwatch::tenants::Tenant;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const PartnerIdentity kPartner{"Northwind IT Services",
                               "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64",
                               {"5123456"},
                               {"8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73"},
                               {"b7e4d1a9-2c6f-4b83-9e05-7a1d3c8f2e56"},
                               {"northwind-it.com.au"}};

LoadResult load(const std::string& text) {
  LoadResult r = loadRules({{"costly.yaml", text}}, {&tenants::tenantType()});
  INFO(r.diagnostics.renderText());
  REQUIRE(r.ok());
  return r;
}

const RuleResult& resultOf(const std::vector<RuleResult>& results, const std::string& id) {
  for (const auto& r : results)
    if (r.rule->id == id) return r;
  FAIL("rule " << id << " was not evaluated");
  return results.front();
}

Tenant withDomains(size_t n) {
  Tenant t;
  t.id = "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c";
  t.name = "Contoso";
  std::vector<std::string> domains;
  for (size_t i = 0; i < n; ++i) domains.push_back("d" + std::to_string(i) + ".contoso.com");
  t.verified_domains = domains;
  t.dap_enabled = true;
  t.admin_relationships = std::vector<tenants::AdminRelationship>{};
  return t;
}

// The issue's reproducer: three nested exists() over a 1,000-element list (10^9 steps), then a
// cheap rule, and a cheap for_each rule.
const char* kCostly = R"y(
rules:
  - id: nested-domains
    title: Three nested exists
    severity: low
    description: d
    when: >-
      tenant.verified_domains.exists(a, tenant.verified_domains.exists(b,
        tenant.verified_domains.exists(c, a + b + c == "none")))
    message: m
    remediation: r
  - id: dap-on
    title: DAP on
    severity: high
    description: d
    when: tenant.dap_enabled && "d999.contoso.com" in tenant.verified_domains
    message: "{{ tenant.name }} has DAP"
    remediation: r
  - id: each-domain
    title: Every domain
    severity: low
    description: d
    for_each: d in tenant.verified_domains
    subject: d
    when: d.startsWith("d99")
    message: "{{ d }}"
    remediation: r
)y";

// The steps `text` (over `tenant`) is charged on a frame with the default budget, every one of
// them: the rule set reports at most the budget (RuleResult::steps), but a frame out of steps
// still counts each evaluation it refuses, so this shows how much work was done after the budget.
int64_t stepsCharged(const std::string& text, const Value& tenant) {
  ParseResult p = parseExpr(text);
  REQUIRE(p.ok());
  Diagnostics d;
  ExprCompiler compiler(nullptr, d);
  std::vector<Binding> scope = {{"tenant", Type::objectOf(&tenants::tenantType()), 0}};
  int next = 1;
  ExprSource src{"test", text, [](int off) { return SourceLocation{"expr", 1, off + 1}; }};
  NodePtr n = compiler.compile(*p.expr, src, scope, next);
  INFO(d.renderText());
  REQUIRE(n);
  Frame f;
  f.slots.resize(next);
  f.slots[0] = tenant;
  n->eval(f);
  return kDefaultMaxSteps - f.steps_left;
}

// Seconds `loaded` takes to evaluate `tenant`, the least of three runs: what else the machine
// runs only ever adds time.
double leastSeconds(const LoadResult& loaded, const Value& tenant, const EvalOptions& options) {
  double least = 1e9;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    loaded.rules->evaluate(tenant, kPartner, kNow, options);
    least = std::min(
        least, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return least;
}

}  // namespace

TEST_CASE("step budget: three nested exists over 1,000 domains stop at the budget, unknown",
          "[rules][budget]") {
  LoadResult loaded = load(kCostly);
  const Value tenant = tenants::tenantToValue(withDomains(1000));
  std::vector<RuleResult> results = loaded.rules->evaluate(tenant, kPartner, kNow);

  const RuleResult& costly = resultOf(results, "nested-domains");
  CHECK(costly.outcome == Outcome::kUnknown);
  CHECK(costly.out_of_steps);
  CHECK(costly.findings.empty());
  CHECK(costly.unknown_reason ==
        "rule evaluation stopped after 1,000,000 steps: the rule is too costly for this "
        "tenant's data (list macros nested inside each other over long lists multiply their "
        "sizes)");
  CHECK(costly.unknown_reasons == std::vector<std::string>{costly.unknown_reason});
  // It stopped at the budget, not somewhere after it.
  CHECK(costly.steps == kDefaultMaxSteps);
  // And no work went on after it: the same condition on a frame is charged the budget and the
  // one step it refused, not the 10^9 steps it would take to the end.
  const int64_t charged = stepsCharged(
      "tenant.verified_domains.exists(a, tenant.verified_domains.exists(b, "
      "tenant.verified_domains.exists(c, a + b + c == \"none\")))",
      tenant);
  INFO("charged " << charged << " steps");
  CHECK(charged > kDefaultMaxSteps);
  CHECK(charged <= kDefaultMaxSteps + 10);
}

TEST_CASE("step budget: the rules after a costly one are evaluated as usual", "[rules][budget]") {
  LoadResult loaded = load(kCostly);
  const Value large = tenants::tenantToValue(withDomains(1000));
  std::vector<RuleResult> results = loaded.rules->evaluate(large, kPartner, kNow);
  const RuleResult& dap = resultOf(results, "dap-on");
  CHECK(dap.outcome == Outcome::kFail);
  CHECK_FALSE(dap.out_of_steps);
  REQUIRE(dap.findings.size() == 1);
  CHECK(dap.findings[0].message == "Contoso has DAP");
  const RuleResult& each = resultOf(results, "each-domain");
  CHECK(each.outcome == Outcome::kFail);
  CHECK_FALSE(each.out_of_steps);
  CHECK(each.findings.size() == 11);  // d99 and d990 to d999
  CHECK(each.steps < 100000);

  // Not after the costly rule's 10^9 steps: the three rules cost about what the budget's worth
  // of steps costs, timed against a tenant of 64 domains where the costly rule runs to its end in
  // more steps than the budget (2.1 million, every one counted). Timed in the same run, so
  // that the machine's speed and load drop out; going on to 10^9 steps would cost 500 times as
  // much.
  const Value medium = tenants::tenantToValue(withDomains(64));
  EvalOptions roomy;
  roomy.max_steps = 100000000;
  int64_t medium_steps = 0;
  for (const RuleResult& r : loaded.rules->evaluate(medium, kPartner, kNow, roomy)) {
    CHECK_FALSE(r.out_of_steps);
    medium_steps += r.steps;
  }
  REQUIRE(medium_steps > kDefaultMaxSteps);
  const double large_s = leastSeconds(loaded, large, {});
  const double medium_s = leastSeconds(loaded, medium, roomy);
  WARN("1,000 domains, cut at the budget: " << large_s << " s; 64 domains, " << medium_steps
                                            << " steps: " << medium_s << " s");
  CHECK(large_s < 3 * medium_s);
}

TEST_CASE("step budget: a small tenant is decided by the same costly rule", "[rules][budget]") {
  LoadResult loaded = load(kCostly);
  std::vector<RuleResult> results =
      loaded.rules->evaluate(tenants::tenantToValue(withDomains(10)), kPartner, kNow);
  const RuleResult& costly = resultOf(results, "nested-domains");
  CHECK(costly.outcome == Outcome::kPass);
  CHECK_FALSE(costly.out_of_steps);
  CHECK(costly.steps > 1000);  // 10^3 innermost conditions
  CHECK(costly.unknown_reason.empty());
}

TEST_CASE("step budget: the budget in the options is honoured and named in the reason",
          "[rules][budget]") {
  LoadResult loaded = load(kCostly);
  const Value tenant = tenants::tenantToValue(withDomains(10));
  // The 10-domain tenant needs a few thousand steps for nested-domains.
  EvalOptions tight;
  tight.max_steps = 500;
  tight.max_steps_setting = "rules.max_steps_per_tenant";
  std::vector<RuleResult> results = loaded.rules->evaluate(tenant, kPartner, kNow, tight);
  const RuleResult& costly = resultOf(results, "nested-domains");
  CHECK(costly.outcome == Outcome::kUnknown);
  CHECK(costly.out_of_steps);
  CHECK(costly.steps == 500);
  CHECK(costly.unknown_reason ==
        "rule evaluation stopped after 500 steps (rules.max_steps_per_tenant): the rule is too "
        "costly for this tenant's data (list macros nested inside each other over long lists "
        "multiply their sizes)");
  // Each rule has the whole budget: the cheap ones still pass or fail.
  CHECK(resultOf(results, "dap-on").outcome == Outcome::kPass);
  CHECK(resultOf(results, "each-domain").outcome == Outcome::kPass);

  EvalOptions roomy;
  roomy.max_steps = 100000;
  CHECK(resultOf(loaded.rules->evaluate(tenant, kPartner, kNow, roomy), "nested-domains").outcome ==
        Outcome::kPass);
}

TEST_CASE("step budget: a for_each rule that runs out keeps none of its findings",
          "[rules][budget]") {
  LoadResult loaded = load(R"y(
rules:
  - id: each-nested
    title: t
    severity: low
    description: d
    for_each: a in tenant.verified_domains
    subject: a
    when: a == "d0.contoso.com" || tenant.verified_domains.exists(b, b + a == "none")
    message: m
    remediation: r
)y");
  const Value tenant = tenants::tenantToValue(withDomains(1000));
  // d0 fails first; the 10^6 steps of the rest run out before the last domain.
  std::vector<RuleResult> results = loaded.rules->evaluate(tenant, kPartner, kNow);
  const RuleResult& r = resultOf(results, "each-nested");
  CHECK(r.outcome == Outcome::kUnknown);
  CHECK(r.out_of_steps);
  CHECK(r.findings.empty());
  CHECK_FALSE(r.incomplete);
  CHECK(r.unknown_subjects.empty());
  EvalOptions roomy;
  roomy.max_steps = 100000000;
  std::vector<RuleResult> all = loaded.rules->evaluate(tenant, kPartner, kNow, roomy);
  const RuleResult& done = resultOf(all, "each-nested");
  CHECK(done.outcome == Outcome::kFail);
  CHECK(done.findings.size() == 1);
}

TEST_CASE("step budget: a costly macro shared by rules is charged to each, never cached cut short",
          "[rules][budget]") {
  LoadResult loaded = load(R"y(
macros:
  # Uses only the tenant: computed once per tenant and shared by the rules that use it.
  pairs: >-
    tenant.verified_domains.filter(a, tenant.verified_domains.exists(b, a + b == "none"))
  cheap: tenant.verified_domains.filter(a, a.startsWith("d1"))
rules:
  - id: first
    title: t
    severity: low
    description: d
    when: size(pairs) > 0 || size(cheap) > 1000
    message: m
    remediation: r
  - id: cheap-one
    title: t
    severity: low
    description: d
    when: size(cheap) == 111
    message: m
    remediation: r
  - id: second
    title: t
    severity: low
    description: d
    when: size(pairs) == 0
    message: m
    remediation: r
)y");
  const Value tenant = tenants::tenantToValue(withDomains(1000));
  std::vector<RuleResult> results = loaded.rules->evaluate(tenant, kPartner, kNow);
  CHECK(resultOf(results, "first").outcome == Outcome::kUnknown);
  CHECK(resultOf(results, "cheap-one").outcome == Outcome::kFail);
  // Not the cut-short value of `pairs` from the first rule: its own evaluation, out of steps.
  const RuleResult& second = resultOf(results, "second");
  CHECK(second.outcome == Outcome::kUnknown);
  CHECK(second.out_of_steps);
  // With room, both are decided from the one computation.
  EvalOptions roomy;
  roomy.max_steps = 10000000;
  std::vector<RuleResult> done = loaded.rules->evaluate(tenant, kPartner, kNow, roomy);
  CHECK(resultOf(done, "first").outcome == Outcome::kPass);
  CHECK(resultOf(done, "second").outcome == Outcome::kFail);
  CHECK(resultOf(done, "second").steps < 100);
}

TEST_CASE("step budget: operators and functions that walk a list cost its length",
          "[rules][budget]") {
  auto stepsOf = [](const std::string& text) {
    ParseResult p = parseExpr(text);
    REQUIRE(p.ok());
    Diagnostics d;
    ExprCompiler compiler(nullptr, d);
    std::vector<Binding> scope = {{"tenant", Type::objectOf(&tenants::tenantType()), 0}};
    int next = 1;
    ExprSource src{"test", text, [](int off) { return SourceLocation{"expr", 1, off + 1}; }};
    NodePtr n = compiler.compile(*p.expr, src, scope, next);
    INFO(d.renderText());
    REQUIRE(n);
    Frame f;
    f.slots.resize(next);
    f.slots[0] = tenants::tenantToValue(withDomains(1000));
    Value v = n->eval(f);
    CHECK_FALSE(v.isError());
    return kDefaultMaxSteps - f.steps_left;
  };
  // Nodes: the call or operator, its operands (a select of a slot is one node).
  CHECK(stepsOf("size(tenant.verified_domains)") == 2);  // a list knows its length
  CHECK(stepsOf("\"x\" in tenant.verified_domains") == 3 + 1000);
  CHECK(stepsOf("tenant.verified_domains + tenant.verified_domains") == 3 + 2000);
  // join() also builds its text: a step per 64 bytes of it.
  std::string joined;
  const auto domains = *withDomains(1000).verified_domains;
  for (const auto& d : domains) joined += (joined.empty() ? "" : ",") + d;
  CHECK(stepsOf("tenant.verified_domains.join(\",\")") ==
        3 + 1000 + static_cast<int64_t>(joined.size()) / 64);
  // distinct() of 1,000 different values: n + n * n / 2.
  CHECK(stepsOf("tenant.verified_domains.distinct()") == 2 + 1000 + 500000);
  // A list macro: one step per element visited and one per node of the condition.
  CHECK(stepsOf("tenant.verified_domains.exists(d, d == \"none\")") == 2 + 1000 * (1 + 3));
  // Functions read strings at a step per 64 bytes (short ones are free) and build them so too.
  const std::string big(6400, 'a');
  CHECK(stepsOf("'" + big + "'.indexOf('b') == -1") == 5 + 100);
  CHECK(stepsOf("'ab'.indexOf('b') == 1") == 5);
  CHECK(stepsOf("'" + big + "'.replace('a', 'bb').size() > 0") == 7 + 100 + 200 + 200);
}

TEST_CASE("step budget: a frame out of steps gives the error at once", "[rules][budget]") {
  ParseResult p = parseExpr("[1, 2, 3].map(x, x * 2)");
  REQUIRE(p.ok());
  Diagnostics d;
  ExprCompiler compiler(nullptr, d);
  int next = 0;
  ExprSource src{"test", "", [](int off) { return SourceLocation{"expr", 1, off + 1}; }};
  NodePtr n = compiler.compile(*p.expr, src, {}, next);
  REQUIRE(n);
  Frame f;
  f.slots.resize(next);
  f.steps_left = 3;
  Value v = n->eval(f);
  REQUIRE(v.isError());
  CHECK(v.errorMessage() == "evaluation stopped: its step budget is spent");
  CHECK(f.outOfSteps());
  const int64_t after = f.steps_left;
  CHECK(n->eval(f).isError());
  CHECK(f.steps_left == after - 1);  // one step: the node refused, nothing below it evaluated
}

namespace {

std::vector<RuleSource> defaultPack() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(testing::sourcePath("etc/rules.d"))) {
    const std::string name = e.path().filename().string();
    if (name.size() > 5 && name.substr(name.size() - 5) == ".yaml" &&
        name.find(".test.yaml") == std::string::npos)
      names.push_back(e.path().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<RuleSource> out;
  for (const auto& n : names) out.push_back({n, testing::readFile(n)});
  return out;
}

// A tenant larger than any the demo has, at the sizes a large customer reaches: 500 verified
// domains, 60 partners listed, 100 admin relationships (half ours, some without auto-extend),
// 20 contacts on unverified look-alike domains.
Tenant largeTenant() {
  Tenant t;
  t.id = "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c";
  t.name = "Contoso Holdings";
  t.default_domain = "contoso.onmicrosoft.com";
  t.sources = {"inventory", "partner_center"};
  t.in_customer_list = false;
  t.dap_enabled = true;
  std::vector<std::string> domains;
  for (int i = 0; i < 500; ++i) domains.push_back("brand" + std::to_string(i) + ".contoso.com");
  t.verified_domains = domains;
  std::vector<tenants::CustomerPartner> partners;
  for (int i = 0; i < 60; ++i)
    partners.emplace_back(
        "0000000" + std::to_string(i % 10) + "-0000-4000-8000-00000000" + std::to_string(1000 + i),
        "Partner " + std::to_string(i), std::nullopt, true);
  t.partners = partners;
  t.indirect_relationships = std::vector<tenants::IndirectRelationship>{};
  std::vector<tenants::AdminRelationship> rels;
  for (int i = 0; i < 100; ++i) {
    tenants::AdminRelationship r;
    r.id = "rel-" + std::to_string(i);
    r.display_name = (i % 4 == 0 ? "MLT_" : "Support ") + std::to_string(i);
    r.kind = "gdap";
    r.partner_tenant_id = i % 2 == 0 ? kPartner.tenant_id : partners[i % 60].tenant_id;
    r.status = i % 3 == 0 ? "approvalPending" : "active";
    r.role_definition_ids = {"62e90394-69f5-4237-9190-012177145e10",
                             "729827e3-9c14-49f7-bb1b-9608f156bbb8"};
    r.created_at = *parseTimestamp("2026-01-01T00:00:00Z");
    r.end_at = *parseTimestamp("2026-12-01T00:00:00Z");
    r.auto_extend_duration = i % 5 == 0 ? "PT0S" : "P180D";
    rels.push_back(r);
  }
  t.admin_relationships = rels;
  std::vector<tenants::ContactEmail> contacts;
  for (int i = 0; i < 20; ++i)
    contacts.emplace_back(
        "admin" + std::to_string(i) + "@brand" + std::to_string(i) + ".contoso.co",
        i % 2 == 0 ? "billing" : "technical_notification", "partner_center");
  t.contacts = contacts;
  return t;
}

}  // namespace

TEST_CASE("step budget: the default pack stays far below the default budget on large tenants",
          "[rules][budget]") {
  LoadResult loaded = loadRules(defaultPack(), {&tenants::tenantType()});
  INFO(loaded.diagnostics.renderText());
  REQUIRE(loaded.ok());
  // Every demo tenant, and a large one.
  auto inventory = tenants::loadInventoryFile(testing::sourcePath("etc/demo/inventory.json"));
  REQUIRE(inventory);
  std::vector<Tenant> tenants = inventory->tenants;
  tenants.push_back(largeTenant());
  int64_t demo_most = 0, large_most = 0;
  for (size_t i = 0; i < tenants.size(); ++i) {
    for (const auto& r :
         loaded.rules->evaluate(tenants::tenantToValue(tenants[i]), kPartner, kNow)) {
      INFO(tenants[i].name << ": " << r.rule->id << " took " << r.steps << " steps");
      CHECK_FALSE(r.out_of_steps);
      (i + 1 < tenants.size() ? demo_most : large_most) =
          std::max(i + 1 < tenants.size() ? demo_most : large_most, r.steps);
    }
  }
  // 275 and 292,882 when written (249 and 273,200 before function calls paid for their text and
  // editDistance() for its pairs): admin-email-unverified's message compares each of the large
  // tenant's 20 contacts with its 500 domains twice (docs/rules.md#evaluation-cost).
  CHECK(demo_most * 1000 < kDefaultMaxSteps);
  CHECK(large_most * 3 < kDefaultMaxSteps);
}

// What review found could be made to cost far more than its steps: each is now paid for or
// refused (the string is 1 MB, built in the expression; `L` is a list of ten).
TEST_CASE("step budget: long text costs steps in every function, and huge text is refused",
          "[rules][budget]") {
  auto run = [](const std::string& text) {
    ParseResult p = parseExpr(text);
    REQUIRE(p.ok());
    Diagnostics d;
    ExprCompiler compiler(nullptr, d);
    int next = 0;
    ExprSource src{"test", text, [](int off) { return SourceLocation{"expr", 1, off + 1}; }};
    NodePtr n = compiler.compile(*p.expr, src, {}, next);
    INFO(d.renderText());
    REQUIRE(n);
    Frame f;
    f.slots.resize(next);
    Value v = n->eval(f);
    return std::make_pair(v, kDefaultMaxSteps - f.steps_left);
  };
  const std::string mb =
      "'" + std::string(1000, 'x') + "'.replace('x', '" + std::string(1000, 'y') + "')";
  const std::string ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
  // join() and string() of a thousand references to the same megabyte: refused, not built.
  auto [joined, join_steps] = run("[" + mb + "].all(r, size(" + ten + ".map(i, " + ten +
                                  ".map(j, r)).map(l, l.join()).join()) > 0)");
  CHECK(joined.isError());
  CHECK(joined.errorMessage().find("over 1 MiB") != std::string::npos);
  auto [text, text_steps] =
      run("[" + mb + "].all(r, size(string(" + ten + ".map(i, [r, r]))) > 0)");
  CHECK(text.errorMessage().find("over 1 MiB") != std::string::npos);
  // A literal pattern's search pays for the text it reads: 3,000 searches of a megabyte would
  // take seconds, and run out of steps instead.
  auto [searched, search_steps] = run("[" + mb + "].all(r, " + ten + ".map(i, " + ten + ".map(j, " +
                                      ten + ".map(k, r.matches('(y|b)z')))).size() > 0)");
  CHECK(searched.isError());
  CHECK(search_steps > kDefaultMaxSteps);
  // editDistance() pays for the pairs it compares; split() for the list it builds.
  auto [distance, distance_steps] =
      run("[" + mb + "].all(r, editDistance(r.substring(0, 50000), r.substring(1, 50001)) > 0)");
  CHECK(distance.isError());
  CHECK(distance_steps > kDefaultMaxSteps);
  // split() of 100 KB into its characters: a step per part; of the megabyte: out of steps.
  const std::string kb100 =
      "'" + std::string(100, 'x') + "'.replace('x', '" + std::string(1000, 'y') + "')";
  auto [parts, split_steps] = run("size(" + kb100 + ".split('')) == 100000");
  CHECK(parts.isBool());
  CHECK(split_steps > 100000);
  CHECK(run("size(" + mb + ".split('')) > 0").first.isError());
  // The limits keep ordinary values ordinary: ten domains' worth of text costs next to nothing.
  auto [small, small_steps] = run("editDistance('northwind.com', 'nortwind.com') == 1");
  CHECK(small.isBool());
  CHECK(small_steps < 10);
}
