// SPDX-License-Identifier: Apache-2.0
#include "rules/expr_parser.h"

#include <catch2/catch.hpp>

using namespace cspwatch;
using namespace cspwatch::rules;

namespace {

// A compact rendering of the tree, to assert on precedence and associativity.
std::string show(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal.kind() == Value::Kind::kString ? "'" + e.literal.asString() + "'"
                                                      : e.literal.toText();
    case Expr::Kind::kIdent:
      return e.name;
    case Expr::Kind::kSelect:
      return show(*e.args[0]) + "." + e.name;
    case Expr::Kind::kIndex:
      return show(*e.args[0]) + "[" + show(*e.args[1]) + "]";
    case Expr::Kind::kCall: {
      std::string out = e.receiver_style ? show(*e.args[0]) + "." + e.name + "(" : e.name + "(";
      for (size_t i = e.receiver_style ? 1 : 0; i < e.args.size(); ++i)
        out += (i > (e.receiver_style ? 1u : 0u) ? ", " : "") + show(*e.args[i]);
      return out + ")";
    }
    case Expr::Kind::kList: {
      std::string out = "[";
      for (size_t i = 0; i < e.args.size(); ++i) out += (i ? ", " : "") + show(*e.args[i]);
      return out + "]";
    }
    case Expr::Kind::kUnary:
      return "(" + e.name + show(*e.args[0]) + ")";
    case Expr::Kind::kBinary:
      return "(" + show(*e.args[0]) + " " + e.name + " " + show(*e.args[1]) + ")";
    case Expr::Kind::kTernary:
      return "(" + show(*e.args[0]) + " ? " + show(*e.args[1]) + " : " + show(*e.args[2]) + ")";
  }
  return "?";
}

std::string parsed(const std::string& text) {
  ParseResult r = parseExpr(text);
  INFO(text << " -> " << r.error.message);
  REQUIRE(r.ok());
  return show(*r.expr);
}

}  // namespace

TEST_CASE("parser: literals") {
  CHECK(parsed("42") == "42");
  CHECK(parsed("0x1F") == "31");
  CHECK(parsed("-7") == "-7");
  CHECK(parsed("2.5") == "2.5");
  CHECK(parsed("1e3") == "1000");
  CHECK(parsed("true") == "true");
  CHECK(parsed("null") == "null");
  CHECK(parsed(R"("a\"b\n")") == "'a\"b\n'");
  CHECK(parsed(R"('it\'s')") == "'it's'");
  CHECK(parsed(R"(r"\d+\.")") == "'\\d+\\.'");
  CHECK(parsed(R"("\u00e9")") == "'\xC3\xA9'");
  CHECK(parsed(R"("""multi
line""")") == "'multi\nline'");
  CHECK(parsed("[1, 'a', [true],]") == "[1, 'a', [true]]");
  CHECK(parsed("[]") == "[]");
}

TEST_CASE("parser: precedence and associativity follow CEL") {
  CHECK(parsed("a || b && c") == "(a || (b && c))");
  CHECK(parsed("a && b || c") == "((a && b) || c)");
  CHECK(parsed("a == b && c < d") == "((a == b) && (c < d))");
  CHECK(parsed("1 + 2 * 3 - 4") == "((1 + (2 * 3)) - 4)");
  CHECK(parsed("10 / 2 % 3") == "((10 / 2) % 3)");
  CHECK(parsed("!a && -b < c") == "((!a) && ((-b) < c))");
  CHECK(parsed("!!a") == "(!(!a))");
  CHECK(parsed("x in y && z") == "((x in y) && z)");
  CHECK(parsed("a ? b : c ? d : e") == "(a ? b : (c ? d : e))");
  CHECK(parsed("a || b ? c : d") == "((a || b) ? c : d)");
  CHECK(parsed("(a || b) && c") == "((a || b) && c)");
}

TEST_CASE("parser: members, calls, indexes and macros") {
  CHECK(parsed("tenant.admin_relationships[0].id") == "tenant.admin_relationships[0].id");
  CHECK(parsed("s.startsWith('x')") == "s.startsWith('x')");
  CHECK(parsed("size(x) + x.size()") == "(size(x) + x.size())");
  CHECK(parsed("l.map(r, r.id).join(', ')") == "l.map(r, r.id).join(', ')");
  CHECK(parsed("has(a.b)") == "has(a.b)");
  CHECK(parsed("a // a comment\n && b") == "(a && b)");
}

TEST_CASE("parser: errors carry the offending offset, a message and a hint") {
  struct Case {
    const char* text;
    int pos;
    const char* message_part;
    const char* hint_part;
  };
  const Case cases[] = {
      {"(a && b", 0, "'(' is never closed", "add ')'"},
      {"a = b", 2, "unexpected '='", "'=='"},
      {"a & b", 2, "unexpected '&'", "'&&'"},
      {"a and b", 2, "unexpected 'and'", "'&&'"},
      {"a &&", 4, "ends where a value was expected", ""},
      {"'abc", 0, "string is never closed", "closing '"},
      {"f(a, b", 1, "'(' is never closed", ""},
      {"a.", 2, "expected a field or function name", ""},
      {"a ? b", 5, "expected ':'", ""},
      {"30d", 2, "unexpected letter after the number", "duration(\"30d\")"},
      {"{'a': 1}", 0, "map literals are not supported", ""},
      {"a #", 2, "unexpected character '#'", ""},
      {"'\\q'", 1, "unknown escape", "raw string"},
      {"99999999999999999999", 0, "out of range", ""},
  };
  for (const auto& c : cases) {
    ParseResult r = parseExpr(c.text);
    INFO(c.text << " -> " << r.error.pos << ": " << r.error.message << " / " << r.error.hint);
    CHECK_FALSE(r.ok());
    CHECK(r.error.pos == c.pos);
    CHECK_THAT(r.error.message, Catch::Contains(c.message_part));
    CHECK_THAT(r.error.hint, Catch::Contains(c.hint_part));
  }
}

TEST_CASE("parser: deep nesting is refused, not a stack overflow") {
  std::string deep(5000, '(');
  ParseResult r = parseExpr(deep + "1" + std::string(5000, ')'));
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.error.message, Catch::Contains("nested too deeply"));
  ParseResult nots = parseExpr(std::string(5000, '!') + "a");
  CHECK_FALSE(nots.ok());
}

TEST_CASE("parser: a chain of operators too tall to walk is refused, not a stack overflow") {
  // No brackets, yet a tree 100,000 deep: the compiler, the evaluator and the destructor recurse
  // through it (found by the bad-input corpus).
  std::string chain = "true";
  for (int i = 0; i < 100000; ++i) chain += " && true";
  ParseResult r = parseExpr(chain);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error.message, Catch::Contains("nested too deeply"));
  CHECK(r.error.pos == 8 * kMaxExprHeight - 3);  // the operator that made it too tall
  std::string members = "tenant";
  for (int i = 0; i < 5000; ++i) members += ".name";
  CHECK_FALSE(parseExpr(members).ok());
  // Up to the limit is fine, and long flat lists are not deep at all.
  std::string ok = "true";
  for (int i = 1; i < kMaxExprHeight; ++i) ok += " || true";
  CHECK(parseExpr(ok).ok());
  std::string list = "x in [1";
  for (int i = 0; i < 100000; ++i) list += ", 1";
  CHECK(parseExpr(list + "]").ok());
}
