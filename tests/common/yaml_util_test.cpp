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
