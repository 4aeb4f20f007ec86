// SPDX-License-Identifier: Apache-2.0
#include "common/yaml_util.h"

#include <catch2/catch.hpp>

using namespace cspwatch;

TEST_CASE("YamlMap reports unknown, duplicate and mistyped keys at 1-based positions") {
  Diagnostics d;
  auto doc = parseYamlDocument("t.yaml", "name: x\nnmae: y\nname: z\nlist: scalar\n", "t", d);
  REQUIRE(doc);
  YamlMap m(*doc, "t.yaml", "t", "", d);
  m.checkKeys({"name", "list"});
  auto list = m.getStringList("list");
  CHECK_FALSE(list);
  REQUIRE(d.items().size() == 3);
  CHECK(d.items()[0].code == "t.unknown-key");
  CHECK(d.items()[0].location.line == 2);
  CHECK(d.items()[0].location.column == 1);
  CHECK(d.items()[0].hint == "did you mean 'name'?");
  CHECK(d.items()[1].code == "t.duplicate-key");
  CHECK(d.items()[1].location.line == 3);
  CHECK(d.items()[2].code == "t.wrong-type");
  CHECK(d.items()[2].location.line == 4);
  CHECK(d.items()[2].location.column == 7);
}

TEST_CASE("YAML syntax errors carry the parser's position") {
  Diagnostics d;
  auto doc = parseYamlDocument("t.yaml", "a: [1, 2\nb: 3\n", "t", d);
  CHECK_FALSE(doc);
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].code == "t.yaml-syntax");
  CHECK(d.items()[0].location.line >= 1);
}

TEST_CASE("YAML text yaml-cpp would misread is refused at its position") {
  using namespace std::string_literals;
  struct Case {
    std::string text;
    int line, column;
    const char* message;
  };
  for (const Case& c : {Case{"a: 1\nb: x\0y\n"s, 2, 5, "NUL byte"},
                        Case{"a: 1\nb: caf\xE9\n", 2, 7, "not valid UTF-8 (byte 0xE9)"},
                        Case{"a: 1\r\nb: 2\rc: 3\r", 2, 5, "lone CR"}}) {
    Diagnostics d;
    INFO(c.message);
    CHECK_FALSE(parseYamlDocument("t.yaml", c.text, "t", d));
    REQUIRE(d.items().size() == 1);
    CHECK(d.items()[0].code == "t.yaml-syntax");
    CHECK(d.items()[0].location.line == c.line);
    CHECK(d.items()[0].location.column == c.column);
    CHECK_THAT(d.items()[0].message, Catch::Contains(c.message));
  }
  Diagnostics fine;
  CHECK(parseYamlDocument("t.yaml", "\xEF\xBB\xBFname: caf\xC3\xA9\r\nb: 2\r\n", "t", fine));
  CHECK(fine.empty());
}

TEST_CASE("aliases that expand past the budget, or into a cycle, are refused at the alias") {
  // Nine levels of nine aliases: 10^9 nodes for any code that walks the tree.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const char prev = static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  Diagnostics d;
  CHECK_FALSE(parseYamlDocument("t.yaml", bomb, "t", d));
  REQUIRE(d.items().size() == 1);
  CHECK_THAT(d.items()[0].message, Catch::Contains("aliases expand the document by more than"));
  CHECK(d.items()[0].location.line == 6);  // where the expansion passes 100,000 nodes

  Diagnostics cycle;
  CHECK_FALSE(parseYamlDocument("t.yaml", "a: &a [1, *a]\n", "t", cycle));
  REQUIRE(cycle.items().size() == 1);
  CHECK_THAT(cycle.items()[0].message, Catch::Contains("a cycle"));
  CHECK(cycle.items()[0].location.column == 11);

  // Ordinary use of aliases is fine.
  Diagnostics ok;
  auto doc = parseYamlDocument("t.yaml", "a: &x [1, 2]\nb: *x\nc: *x\n", "t", ok);
  REQUIRE(doc);
  CHECK((*doc)["c"].size() == 2);
}

TEST_CASE("nesting past yaml-cpp's depth guard is a positioned error, not a crash") {
  Diagnostics d;
  CHECK_FALSE(parseYamlDocument("t.yaml", "a: " + std::string(10000, '[') + std::string(10000, ']'),
                                "t", d));
  REQUIRE(d.items().size() == 1);
  CHECK_THAT(d.items()[0].message, Catch::Contains("nested too deeply"));
  CHECK(d.items()[0].location.line == 1);
}
