// SPDX-License-Identifier: Apache-2.0
// The text-format reader of the CEL conformance runner (textproto.h): the forms cel-spec's
// test files use, the conversions, and the positions of its errors.
#include "tests/rules/cel_conformance/textproto.h"

#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

using namespace cspwatch::celconf;

namespace {

Message parse(const std::string& text) { return parseTextproto(text, "t.textproto"); }

std::string errorOf(const std::string& text) {
  try {
    parse(text);
  } catch (const TextprotoError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("textproto: fields, messages in three spellings, repeats, comments and separators") {
  const Message m = parse(
      "# a comment\n"
      "name: \"basic\"  # trailing comment\n"
      "section { name: 'a' }\n"
      "section: { name: \"b\", test { expr: \"1\" }; }\n"
      "section < name: 'c' >\n"
      "values: [1, 2, 3]\n");
  REQUIRE(m.find("name") != nullptr);
  CHECK(m.find("name")->asString() == "basic");
  const auto sections = m.all("section");
  REQUIRE(sections.size() == 3);
  CHECK(sections[0]->asMessage().find("name")->asString() == "a");
  CHECK(sections[1]->asMessage().find("test")->asMessage().find("expr")->asString() == "1");
  CHECK(sections[2]->asMessage().find("name")->asString() == "c");
  CHECK(m.all("values").size() == 3);
  CHECK(m.all("values")[2]->asInt64() == 3);
  CHECK(sections[1]->line == 4);
  CHECK(sections[1]->column == 1);
  CHECK_FALSE(m.has("missing"));
}

TEST_CASE("textproto: string escapes and adjacent literals") {
  const Message m = parse(
      R"(a: "x\n\t\\\'\"\?"  b: 'it''s'  c: "\x41\101\0"  d: "\u00e9\U0001f431"  e: "\303\277")"
      "\n"
      R"(f: "one " 'two'
         " three")");
  CHECK(m.find("a")->asString() == "x\n\t\\'\"?");
  CHECK(m.find("b")->asString() == "its");
  CHECK(m.find("c")->asString() == std::string("AA\0", 3));
  CHECK(m.find("d")->asString() == "\xC3\xA9\xF0\x9F\x90\xB1");
  CHECK(m.find("e")->asString() == "\xC3\xBF");
  CHECK(m.find("f")->asString() == "one two three");
}

TEST_CASE("textproto: integers at the ends of their ranges, doubles and identifiers") {
  const Message m = parse(
      "a: -9223372036854775808 b: 9223372036854775807 c: 18446744073709551615 d: 0x1F e: -7\n"
      "f: inf g: -inf h: nan i: 1e+100 j: -2.5e-3 k: Infinity l: .5 m: 0\n"
      "n: NULL_VALUE o: true p: false q: 1");
  CHECK(m.find("a")->asInt64() == std::numeric_limits<int64_t>::min());
  CHECK(m.find("b")->asInt64() == std::numeric_limits<int64_t>::max());
  CHECK(m.find("c")->asUint64() == std::numeric_limits<uint64_t>::max());
  CHECK(m.find("d")->asInt64() == 31);
  CHECK(m.find("e")->asInt64() == -7);
  CHECK(std::isinf(m.find("f")->asDouble()));
  CHECK(m.find("f")->asDouble() > 0);
  CHECK(m.find("g")->asDouble() < 0);
  CHECK(std::isnan(m.find("h")->asDouble()));
  CHECK(m.find("i")->asDouble() == 1e100);
  CHECK(m.find("j")->asDouble() == -2.5e-3);
  CHECK(std::isinf(m.find("k")->asDouble()));
  CHECK(m.find("l")->asDouble() == 0.5);
  CHECK(m.find("m")->asDouble() == 0.0);
  CHECK(m.find("n")->asEnum() == "NULL_VALUE");
  CHECK(m.find("o")->asBool());
  CHECK_FALSE(m.find("p")->asBool());
  CHECK(m.find("q")->asBool());
  CHECK_THROWS_AS(m.find("c")->asInt64(), TextprotoError);
  CHECK_THROWS_AS(m.find("e")->asUint64(), TextprotoError);
  CHECK_THROWS_AS(m.find("n")->asString(), TextprotoError);
}

TEST_CASE("textproto: an Any in its expanded form is a field named by its type URL") {
  const Message m = parse(
      "object_value {\n"
      "  [type.googleapis.com/google.protobuf.Duration] { seconds: 123 nanos: 321456789 }\n"
      "}\n"
      "x: { [type.googleapis.com/cel.expr.conformance.proto3.TestAllTypes]: < as: true > }");
  const Message& any = m.find("object_value")->asMessage();
  REQUIRE(any.fields.size() == 1);
  CHECK(any.fields[0].name == "[type.googleapis.com/google.protobuf.Duration]");
  CHECK(any.fields[0].asMessage().find("nanos")->asInt64() == 321456789);
  const Message& x = m.find("x")->asMessage();
  CHECK(x.fields[0].asMessage().find("as")->asBool());
}

TEST_CASE("textproto: malformed input is refused with file:line:column") {
  CHECK(errorOf("a: \"open") == "t.textproto:1:9: unterminated string (missing \")");
  CHECK(errorOf("a {\n  b: 1\n") == "t.textproto:3:1: expected '}' before the end of the file");
  CHECK(errorOf("a 1") == "t.textproto:1:3: expected ':' or '{' after field 'a', found '1'");
  CHECK(errorOf("a: 12abc") == "t.textproto:1:4: malformed number '12abc'");
  CHECK(errorOf("a: \"\\q\"") == "t.textproto:1:6: unknown escape '\\q'");
  CHECK(errorOf("\n  }") == "t.textproto:2:3: expected a field name, found '}'");
  CHECK(errorOf("a: -x") == "t.textproto:1:6: expected a number after '-', found '-x'");
  CHECK(errorOf("a: [1 2]") == "t.textproto:1:7: expected ',' or ']' in a list, found '2'");
  CHECK(errorOf("[x y] {}") == "t.textproto:1:4: expected ']' after the type name, found 'y'");
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "a {";
  CHECK(errorOf(deep).find("nested more than 100 deep") != std::string::npos);
  CHECK_THROWS_WITH(parse("a { b: 1 }").get("a").asMessage().get("c"),
                    "t.textproto:1:3: missing field 'c'");
  CHECK_THROWS_WITH(parse("a: 1").get("c"), "t.textproto:1:1: missing field 'c'");
  const Message m = parse("a: 1\nb: \"s\"");
  CHECK_THROWS_WITH(m.find("b")->asInt64(),
                    "t.textproto:2:1: field 'b' must be an integer, found 's'");
}
