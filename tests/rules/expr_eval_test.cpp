// SPDX-License-Identifier: Apache-2.0
// The evaluator: every operator, macro and function, and CEL's error rules.
#include <catch2/catch.hpp>

#include "rules/expr_compiler.h"
#include "rules/expr_parser.h"
#include "rules/rule_set.h"
#include "tenants/tenant_value.h"

using namespace cspwatch;
using namespace cspwatch::rules;
using cspwatch::tenants::Tenant;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");

Tenant sampleTenant() {
  Tenant t;
  t.id = "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c";
  t.name = "Contoso";
  t.verified_domains = std::vector<std::string>{"contoso.com", "contoso.onmicrosoft.com"};
  t.in_customer_list = true;
  tenants::AdminRelationship r;
  r.id = "rel-1";
  r.display_name = "MLT_x";
  r.kind = "gdap";
  r.partner_tenant_id = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
  r.status = "active";
  r.end_at = *parseTimestamp("2026-12-05T00:00:00Z");
  t.admin_relationships = std::vector<tenants::AdminRelationship>{r};
  // partners, contacts, dap_enabled: unknown
  t.fetch_problems = {{"partners", "HTTP 403 Forbidden"}};
  return t;
}

struct Evaluated {
  Value value;
  std::string diagnostics;
};

Evaluated run(const std::string& text) {
  ParseResult p = parseExpr(text);
  INFO(text << ": " << p.error.message);
  REQUIRE(p.ok());
  Diagnostics d;
  ExprCompiler compiler(nullptr, d);
  std::vector<Binding> scope = {{"tenant", Type::objectOf(&tenants::tenantType()), 0},
                                {"partner", Type::objectOf(&RuleSet::partnerType()), 1},
                                {"now", Type::of(Type::Kind::kTimestamp), 2},
                                {"x", Type::dyn(), 3}};
  int next = 4;
  ExprSource src{"test", text, [](int off) { return SourceLocation{"expr", 1, off + 1}; }};
  NodePtr n = compiler.compile(*p.expr, src, scope, next);
  if (!n) return {Value::null(), d.renderText()};
  Frame f;
  f.slots.resize(next);
  f.slots[0] = tenants::tenantToValue(sampleTenant());
  PartnerIdentity partner{
      "Northwind", "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64", {"5123456"}, {}, {}, {"northwind.com"}};
  f.slots[1] = RuleSet::partnerValue(partner);
  f.slots[2] = Value::timestamp(kNow);
  f.slots[3] = Value::error("x is unknown");
  return {n->eval(f), ""};
}

Value eval(const std::string& text) {
  Evaluated e = run(text);
  INFO(text << ": " << e.diagnostics);
  REQUIRE(e.diagnostics.empty());
  return e.value;
}

bool isTrue(const std::string& text) {
  Value v = eval(text);
  INFO(text << " = " << v.toText());
  REQUIRE(v.isBool());
  return v.asBool();
}

bool isError(const std::string& text) { return eval(text).isError(); }
std::string text(const std::string& expr) { return eval(expr).toText(); }

}  // namespace

TEST_CASE("eval: arithmetic on ints, doubles, strings, lists, timestamps and durations") {
  CHECK(text("1 + 2 * 3") == "7");
  CHECK(text("7 / 2") == "3");
  CHECK(text("-7 % 3") == "-1");
  CHECK(text("7.0 / 2") == "3.5");
  CHECK(text("1.5 + 1") == "2.5");
  CHECK(text("'a' + 'b'") == "ab");
  CHECK(text("[1] + [2, 3]") == "[1, 2, 3]");
  CHECK(text("timestamp('2026-01-01T00:00:00Z') + duration('30d')") == "2026-01-31T00:00:00Z");
  CHECK(text("duration('1d') + timestamp('2026-01-01T00:00:00Z')") == "2026-01-02T00:00:00Z");
  CHECK(text("timestamp('2026-01-31T00:00:00Z') - duration('30d')") == "2026-01-01T00:00:00Z");
  CHECK(text("timestamp('2026-01-02T00:00:00Z') - timestamp('2026-01-01T00:00:00Z')") == "1d");
  CHECK(text("duration('1h') + duration('30m')") == "1h30m");
  CHECK(text("duration('1h') - duration('30m')") == "30m");
  CHECK(text("-duration('1h')") == "-1h");
  CHECK(text("-(2)") == "-2");
}

TEST_CASE("eval: arithmetic faults are errors, not crashes") {
  CHECK(eval("1 / 0").errorMessage() == "division by zero");
  CHECK(eval("1 % 0").errorMessage() == "modulus by zero");
  CHECK(eval("9223372036854775807 + 1").errorMessage() == "integer overflow");
  CHECK(eval("-9223372036854775807 - 2").errorMessage() == "integer overflow");
  CHECK(eval("-9223372036854775807 * 2").errorMessage() == "integer overflow");
  CHECK(isError("[1, 2][2]"));
  CHECK(isError("[1, 2][-1]"));
  CHECK_THAT(eval("x + 1").errorMessage(), Catch::Contains("x is unknown"));
}

TEST_CASE("eval: comparisons and CEL's heterogeneous equality") {
  CHECK(isTrue("1 < 2"));
  CHECK(isTrue("2 <= 2"));
  CHECK(isTrue("3 > 2.5"));
  CHECK(isTrue("2.5 >= 2"));
  CHECK(isTrue("'abc' < 'abd'"));
  CHECK(isTrue("timestamp('2026-01-01T00:00:00Z') < now"));
  CHECK(isTrue("duration('1d') > duration('23h')"));
  CHECK(isTrue("false < true"));
  CHECK(isTrue("1 == 1.0"));
  CHECK_FALSE(isTrue("1 == '1'"));
  CHECK(isTrue("1 != '1'"));
  CHECK(isTrue("null == null"));
  CHECK_FALSE(isTrue("tenant.relationship_to_partner != null"));
  CHECK(isTrue("[1, 'a'] == [1, 'a']"));
  CHECK_FALSE(isTrue("[1] == [1, 2]"));
  CHECK(isTrue("'b' in ['a', 'b']"));
  CHECK_FALSE(isTrue("'c' in ['a', 'b']"));
  CHECK(isTrue("2 in [1.0, 2.0]"));
  CHECK(isTrue("[1] in [[1], [2]]"));
}

TEST_CASE("eval: && and || follow CEL's error rules, in either order") {
  CHECK_FALSE(isTrue("false && x"));
  CHECK_FALSE(isTrue("x && false"));
  CHECK(isError("true && x"));
  CHECK(isError("x && true"));
  CHECK(isTrue("true || x"));
  CHECK(isTrue("x || true"));
  CHECK(isError("false || x"));
  CHECK(isError("x || false"));
  CHECK(isError("!x"));
  CHECK(isError("x ? 1 : 2"));
  CHECK(text("true ? 1 : x") == "1");
  CHECK(text("false ? x : 2") == "2");
  CHECK(isTrue("!false"));
  // A non-bool operand of && is an error at run time when its type is not known statically.
  CHECK(isError("[1, 'a'][0] && true"));
}

TEST_CASE("eval: fields, unknown parts and has()") {
  CHECK(text("tenant.name") == "Contoso");
  CHECK(text("tenant.admin_relationships[0].status") == "active");
  CHECK(isTrue("has(tenant.admin_relationships[0].end_at)"));
  CHECK_FALSE(isTrue("has(tenant.admin_relationships[0].created_at)"));
  CHECK_FALSE(isTrue("has(tenant.created_at)"));
  Value partners = eval("tenant.partners");
  REQUIRE(partners.isError());
  CHECK_THAT(partners.errorMessage(),
             Catch::Contains("partners could not be read: HTTP 403 Forbidden"));
  CHECK(isError("size(tenant.partners) > 0"));
  CHECK(isError("has(tenant.partners[0].name)"));
  CHECK(isError("tenant.dap_enabled"));
  CHECK(isError("tenant.contacts.exists(c, true)"));
  CHECK(text("partner.mpn_ids[0]") == "5123456");
}

TEST_CASE("eval: the list macros") {
  CHECK(isTrue("[1, 2, 3].all(v, v > 0)"));
  CHECK_FALSE(isTrue("[1, 2, 3].all(v, v > 1)"));
  CHECK(isTrue("[1, 2, 3].exists(v, v == 2)"));
  CHECK_FALSE(isTrue("[].exists(v, v == 2)"));
  CHECK(isTrue("[].all(v, false)"));
  CHECK(isTrue("[1, 2, 3].exists_one(v, v > 2)"));
  CHECK_FALSE(isTrue("[1, 2, 3].exists_one(v, v > 1)"));
  CHECK(text("[1, 2, 3, 4].filter(v, v % 2 == 0)") == "[2, 4]");
  CHECK(text("[1, 2, 3].map(v, v * 10)") == "[10, 20, 30]");
  CHECK(text("[1, 2, 3].map(v, v > 1, v * 10)") == "[20, 30]");
  CHECK(text("[[1, 2], [3]].map(v, v.map(v, v + 1))") == "[[2, 3], [4]]");  // shadowing
  CHECK(text("tenant.admin_relationships.map(r, r.id)") == "[rel-1]");
  // Elements that decide the result win over elements that are errors.
  CHECK(isTrue("[1, 0, 2].exists(v, 10 / v == 5)"));
  CHECK_FALSE(isTrue("[1, 0, 2].all(v, 10 / v == 5)"));
  CHECK(isError("[1, 0].exists(v, 10 / v == 5)"));
  CHECK(isError("[2, 0].all(v, 10 / v == 5)"));
  CHECK(isError("[2, 0].exists_one(v, 10 / v == 5)"));
  CHECK(isError("[2, 0].filter(v, 10 / v == 5)"));
  CHECK(isError("[2, 0].map(v, 10 / v)"));
}

TEST_CASE("eval: string functions") {
  CHECK(text("size('héllo')") == "5");
  CHECK(text("'abc'.size()") == "3");
  CHECK(text("size([1, 2])") == "2");
  CHECK(isTrue("'MLT_x'.startsWith('MLT_')"));
  CHECK(isTrue("'a.com'.endsWith('.com')"));
  CHECK(isTrue("'abc'.contains('b')"));
  CHECK(isTrue("'abc123'.matches('[0-9]+$')"));
  CHECK_FALSE(isTrue("'abc'.matches('^b')"));
  CHECK(isTrue("matches('abc', 'b')"));
  CHECK(isTrue("tenant.name.matches(tenant.name)"));  // a pattern known only at run time
  CHECK(isError("'a'.matches(tenant.name + '(')"));
  CHECK(text("'MiXed'.lowerAscii()") == "mixed");
  CHECK(text("'MiXed'.upperAscii()") == "MIXED");
  CHECK(text("'  pad '.trim()") == "pad");
}

TEST_CASE("eval: conversions and time functions") {
  CHECK(text("string(42)") == "42");
  CHECK(text("string(duration('P180D'))") == "15552000s");  // CEL: seconds
  CHECK(text("int('42') + 1") == "43");
  CHECK(text("int(2.9)") == "2");
  CHECK(text("int(timestamp('1970-01-02T00:00:00Z'))") == "86400");
  CHECK(isError("int('4x')"));
  CHECK(text("double(1) / 4") == "0.25");
  CHECK(isError("timestamp('yesterday')"));
  CHECK(isError("duration('soon')"));
  CHECK(isTrue("duration('PT0S') == duration('0s')"));
  CHECK(text("daysUntil(tenant.admin_relationships[0].end_at)") == "10");
  CHECK(text("daysSince(timestamp('2026-11-20T12:00:00Z'))") == "4");
  CHECK(text("daysUntil(timestamp('2026-11-24T12:00:00Z'))") == "-1");
}

TEST_CASE("eval: our functions") {
  CHECK(text("emailDomain('Admin@Contoso.COM')") == "contoso.com");
  CHECK(text("'it@x.org'.emailDomain()") == "x.org");
  CHECK(text("emailDomain('nobody')") == "");
  CHECK(text("editDistance('northwind.com', 'nortwind.com')") == "1");
  CHECK(text("['b', 'a', 'b'].distinct()") == "[b, a]");
  CHECK(text("['a', 'b'].join(', ')") == "a, b");
  CHECK(text("[1, 2].join()") == "12");
}

TEST_CASE("eval: types known at load time are checked then") {
  Evaluated e = run("tenant.name < 3");
  CHECK_THAT(e.diagnostics, Catch::Contains("rules.type-mismatch"));
  e = run("tenant.dap_enable");
  CHECK_THAT(e.diagnostics, Catch::Contains("did you mean 'dap_enabled'?"));
  e = run("tenant.admin_relationships.exists(r, r.end_date < now)");
  CHECK_THAT(e.diagnostics, Catch::Contains("did you mean 'end_at'?"));
  e = run("startsWith('a', 'b')");
  CHECK_THAT(e.diagnostics, Catch::Contains("rules.bad-call"));
  e = run("'a'.size(1)");
  CHECK_THAT(e.diagnostics, Catch::Contains("rules.wrong-arity"));
  e = run("'a'.matches('(')");
  CHECK_THAT(e.diagnostics, Catch::Contains("rules.bad-regex"));
  e = run("tenant.created_at + 30");
  CHECK_THAT(e.diagnostics,
             Catch::Contains("duration(\\\"30d\\\")") || Catch::Contains("duration(\"30d\")"));
}

TEST_CASE("eval: matches() is RE2, linear in the string and safe on any input (found by fuzzing)") {
  // With libstdc++'s std::regex each of these crashed (stack overflow) or hung (backtracking):
  // fuzz/crashes/condition_parser_fuzz/. RE2 matches them all in linear time.
  const std::string long_a(100000, 'a');
  CHECK(isTrue("'" + long_a + "'.matches('^a+$')"));
  CHECK(isTrue("'" + long_a + "'.matches('^((((((((((a|b))))))))))*$')"));
  CHECK(isTrue("'" + long_a + "'.matches('^(a|b)*$' + '')"));  // a pattern built at evaluation
  CHECK(isTrue("!('" + std::string(30, 'a') + "!'.matches('^(a+)+$'))"));
  const std::string nested = std::string(1000, '(') + "a|b" + std::string(1000, ')');
  CHECK(isTrue("'" + long_a + "'.matches('^" + nested + "*$')"));
  // RE2 syntax, as CEL: flags work; back-references and look-around are load errors.
  CHECK(isTrue("'CONTOSO.com'.matches('(?i)^contoso')"));
  CHECK_THAT(run("'aa'.matches('(a)\\\\1')").diagnostics, Catch::Contains("rules.bad-regex"));
  CHECK_THAT(run("'ab'.matches('a(?=b)')").diagnostics, Catch::Contains("rules.bad-regex"));
  // Built at evaluation time, an invalid pattern is an error value (the check is unknown).
  Value bad = eval("'a'.matches('(' + '')");
  REQUIRE(bad.isError());
  CHECK_THAT(bad.errorMessage(), Catch::Contains("invalid regular expression"));
}

TEST_CASE("eval: the smallest int can be written, and negating it overflows") {
  CHECK(text("-9223372036854775808") == "-9223372036854775808");
  CHECK(isTrue("-9223372036854775808 < -9223372036854775807"));
  CHECK(isError("-(-9223372036854775808)"));
  CHECK(isError("-9223372036854775808 - 1"));
  CHECK(isError("-9223372036854775808 / -1"));
  const ParseResult p = parseExpr("9223372036854775808");
  CHECK_FALSE(p.ok());
  CHECK(p.error.message == "integer '9223372036854775808' is out of range");
}

TEST_CASE("eval: a list index may be a double without a fraction, as in CEL") {
  CHECK(text("[7, 8][dyn(1.0)]") == "8");
  CHECK(isError("[7, 8][dyn(0.5)]"));
}

TEST_CASE("eval: the two-variable list macros bind the index and the element") {
  CHECK(isTrue("[1, 2, 3].all(i, v, v == i + 1)"));
  CHECK(isTrue("[1, 2, 3].exists(i, v, i == 1 && v == 2)"));
  CHECK(isTrue("['a', 'b', 'a'].existsOne(i, v, v == 'a' && i > 0)"));
  CHECK(text("['a', 'b', 'c'].transformList(i, v, v + string(i))") == "[a0, b1, c2]");
  CHECK(text("['a', 'b', 'c'].transformList(i, v, i != 1, v)") == "[a, c]");
  CHECK(isError("[1, 2, 3].exists(i, v, v / i == 17)"));  // 1 / 0 for the first element
  // The index is an int and the element keeps the list's type: both are checked at load.
  CHECK_THAT(run("tenant.contacts.all(i, c, c.adress != '')").diagnostics,
             Catch::Contains("rules.unknown-field"));
  CHECK_THAT(run("[1].all(i, v, i == 'x' || i.size() > 0)").diagnostics,
             Catch::Contains("rules.type-mismatch"));
  CHECK_THAT(run("[1].transformList(v, v * 2)").diagnostics, Catch::Contains("rules.bad-macro"));
  // Nested macros reuse names without disturbing each other's index.
  CHECK(text("[[1], [2, 3]].transformList(i, l, l.transformList(i, v, i))") == "[[0], [0, 1]]");
}

TEST_CASE("eval: two-variable macros refuse one name for both, and filter() has one variable") {
  CHECK_THAT(run("[1, 2].all(i, i, i > 1)").diagnostics,
             Catch::Contains("the index and the element need different names"));
  CHECK_THAT(run("[1, 2].filter(i, x, i == 0)").diagnostics, Catch::Contains("rules.bad-macro"));
}
