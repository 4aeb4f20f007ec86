// SPDX-License-Identifier: Apache-2.0
// Every function of the condition language (rules/functions.h) is documented where operators
// look: a row of docs/rules.md's Functions table and the JSON Schema's description of an
// expression (docs/rules.schema.json, which editors show while a rule file is typed); and the
// condition fuzzer's dictionary names it, so the fuzzer reaches it (fuzz/README.md).
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "rules/functions.h"

namespace {

std::string readSource(const std::string& relative) {
  std::ifstream in(std::string(CSPWATCH_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("every function is in docs/rules.md's table, the rule schema and the fuzz dictionary") {
  const std::string docs = readSource("docs/rules.md");
  const std::string schema = readSource("docs/rules.schema.json");
  const std::string dict = readSource("fuzz/condition_parser_fuzz.dict");
  const size_t table = docs.find("| function | style | signature | meaning |");
  REQUIRE(table != std::string::npos);
  const std::string functions = docs.substr(table, docs.find("\n\n", table) - table);
  const size_t described = schema.find("Functions (docs/rules.md#functions)");
  REQUIRE(described != std::string::npos);
  const std::string listed = schema.substr(described, schema.find('"', described) - described);
  for (const auto& fn : cspwatch::rules::allFunctions()) {
    INFO(fn.name);
    CHECK(functions.find("`" + fn.name + "`") != std::string::npos);
    CHECK(dict.find(fn.name) != std::string::npos);
    CHECK((listed.find(" " + fn.name + ",") != std::string::npos ||
           listed.find(" " + fn.name + ";") != std::string::npos ||
           listed.find(" " + fn.name + ".") != std::string::npos));
  }
}
