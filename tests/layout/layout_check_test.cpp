// SPDX-License-Identifier: Apache-2.0
// The layout checker over small trees planted in a TempDir, with the repository's own layer
// table: a back-arrow is reported exactly, a folder the table lacks fails, the size limits and
// the allow-list's ratchet hold.
#include "tests/layout/layout_check.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::layout;
using testing::sourcePath;
using testing::TempDir;

namespace {

LayerTable repositoryTable() {
  auto table = loadLayerTable(sourcePath("tests/layout/layers.txt"));
  if (!table) FAIL(table.status().message());
  return std::move(table).value();
}

// A function `name` whose body, from '{' to '}', is `lines` lines long.
std::string function(const std::string& name, int lines) {
  std::string text = "void " + name + "() {\n";
  for (int i = 2; i < lines; ++i) text += "  step(" + std::to_string(i) + ");\n";
  return text + "}\n";
}

// `lines` lines of declarations.
std::string filler(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) text += "int v" + std::to_string(i) + ";\n";
  return text;
}

// A function of `lines` lines, all but three of them one braced table.
std::string table(const std::string& name, int lines) {
  std::string text = "std::vector<Row> " + name + "() {\n  return {\n";
  for (int i = 4; i < lines; ++i) text += "      {\"r\", " + std::to_string(i) + "},\n";
  return text + "  };\n}\n";
}

std::vector<std::string> keys(const std::vector<Oversized>& found) {
  std::vector<std::string> out;
  for (const Oversized& o : found) out.push_back(o.key + "=" + std::to_string(o.lines));
  return out;
}

}  // namespace

TEST_CASE("a planted back-arrow is reported, and nothing else") {
  TempDir dir;
  dir.write("common/x.h", "#pragma once\n#include \"daemon/y.h\"\n#include \"common/z.h\"\n");
  dir.write("common/z.h", "#pragma once\n");
  dir.write("daemon/y.h", "#include \"scan/s.h\"\n#include \"common/x.h\"\n");
  dir.write("storage/a.cpp",
            "#include \"rules/b.h\"\n"
            "#include \"msapi/http.h\"\n"
            "#include \"a.h\"\n"
            "// #include \"cli/commented_out.h\"\n"
            "const char* kText = R\"(\n#include \"cli/in_a_raw_string.h\"\n)\";\n");
  dir.write("storage/a.h", "#pragma once\n");
  dir.write("rules/b.h", "#include \"common/z.h\"\n");
  dir.write("sim/s.cpp", "#include \"tenants/t.h\"\n#include \"msapi/m.h\"\n");
  dir.write("tests/storage/t_test.cpp", "#include \"daemon/y.h\"\n#include \"cli/c.h\"\n");
  const LayerTable layers = repositoryTable();
  const SourceTree tree = scanTree(dir.path(), layers);
  CHECK(tree.problems.empty());
  CHECK(includeViolations(tree, layers) ==
        std::vector<std::string>{
            "common/x.h:2: common includes \"daemon/y.h\", which is above it (common may "
            "include: nothing)",
            "storage/a.cpp:1: storage includes \"rules/b.h\", which is above it (storage may "
            "include: msapi, common)"});
}

TEST_CASE("includes are resolved next to the file first, so ../ cannot hide a back-arrow") {
  TempDir dir;
  dir.write("rules/b.h", "#pragma once\n");
  dir.write("storage/a.cpp", "#include \"../rules/b.h\"\n#include \"sub/c.h\"\n");
  dir.write("storage/sub/c.h", "#include \"../a.h\"\n");
  dir.write("storage/a.h", "#pragma once\n");
  const LayerTable layers = repositoryTable();
  CHECK(includeViolations(scanTree(dir.path(), layers), layers) ==
        std::vector<std::string>{"storage/a.cpp:1: storage includes \"../rules/b.h\", which is "
                                 "above it (storage may include: msapi, common)"});
}

TEST_CASE("a folder missing from the layer table fails, build trees and hidden folders do not") {
  TempDir dir;
  dir.write("common/c.h", "#pragma once\n");
  dir.write("widgets/w.cpp", "int w;\n");
  dir.write("docs/notes.md", "no sources here\n");
  dir.write("build-x/gen.cpp", "int g;\n");
  dir.write("mybuild/CMakeCache.txt", "");
  dir.write("mybuild/CMakeFiles/id.cpp", "int id;\n");
  dir.write(".hidden/h.cpp", "int h;\n");
  dir.write("common/.cache/c.cpp", "int c;\n");
  const SourceTree tree = scanTree(dir.path(), repositoryTable());
  REQUIRE(tree.problems.size() == 1);
  CHECK(tree.problems[0] ==
        "widgets/ holds .cpp or .h files but is not in the layer table: add "
        "it to the layer table (tests/layout/layers.txt)");
  REQUIRE(tree.files.size() == 1);
  CHECK(tree.files[0].path == "common/c.h");
}

TEST_CASE("planted files and functions over the limits are found, at the limit they are not") {
  TempDir dir;
  dir.write("sim/big.cpp", filler(601));
  dir.write("sim/ok.cpp", filler(600));
  dir.write("sim/f.cpp", function("longOne", 81) + function("fine", 80) + table("rows", 150));
  dir.write("tests/sim/long_test.cpp", function("longTest", 300));
  dir.write("tests/sim/huge_test.cpp", filler(700));
  dir.write("bench/b.cpp", function("longBench", 120));
  const LayerTable layers = repositoryTable();
  const SourceTree tree = scanTree(dir.path(), layers);
  const std::vector<Oversized> found = oversized(tree, layers, Limits{});
  CHECK(keys(found) == std::vector<std::string>{"sim/big.cpp=601", "sim/f.cpp:longOne=81",
                                                "tests/sim/huge_test.cpp=700"});
  REQUIRE(found.size() == 3);
  CHECK(found[1].where == "sim/f.cpp:1");

  const std::string report = sizeReport(tree, layers, Limits{}, 5);
  CAPTURE(report);
  CHECK(report.find("tests/sim/huge_test.cpp") < report.find("sim/big.cpp"));
  CHECK(report.find("    150  sim/f.cpp:162  rows  (data table: exempt)\n") != std::string::npos);
  CHECK(report.find("sim/f.cpp:162 rows (148 of 150 lines in braced initialisers)") !=
        std::string::npos);
  CHECK(report.find("longTest") == std::string::npos);  // tests may have long functions
}

TEST_CASE("the allow-list fails on a new offender and on an entry no longer over its limit") {
  const std::vector<Oversized> now = {{"rules/rule_loader.cpp", "rules/rule_loader.cpp:1", 928},
                                      {"storage/s.cpp:Store::apply", "storage/s.cpp:40", 250}};
  const Limits limits;
  CHECK(ratchetProblems(now, parseKnownOversized(knownOversizedText(now, limits)), limits).empty());

  const std::vector<std::string> known = parseKnownOversized(
      "# a comment\n"
      "rules/rule_loader.cpp  # 928 lines\n"
      "\n"
      "daemon/cli.cpp:runCli  # 230 lines, split since\n");
  CHECK(known == std::vector<std::string>{"rules/rule_loader.cpp", "daemon/cli.cpp:runCli"});
  CHECK(ratchetProblems(now, known, limits) ==
        std::vector<std::string>{
            "storage/s.cpp:40: Store::apply is 250 lines, over the limit of 80 (new since "
            "tests/layout/known_oversized.txt): split it",
            "daemon/cli.cpp:runCli is listed in tests/layout/known_oversized.txt but is no "
            "longer over the limit, or no longer exists: remove it from known_oversized.txt"});
}

TEST_CASE("the layer table refuses loops, unknown folders and lists not closed downward") {
  CHECK(parseLayerTable("common ->\nmsapi -> common\n", "t").isOk());
  const auto message = [](const char* text) {
    const auto table = parseLayerTable(text, "t");
    return table.isOk() ? std::string("accepted") : table.status().message();
  };
  CHECK(message("a -> b\nb -> a\n") == "t:1: a and b may include each other");
  CHECK(message("a -> c\n") == "t:1: a -> c, but c has no line of its own");
  CHECK(message("a -> b\nb -> c\nc ->\n") == "t:1: a -> b and b -> c, so a must list c");
  CHECK(message("a ->\na -> \n") == "t:2: a again");
  CHECK(message("a b -> c\n") == "t:1: one folder before '->'");
  CHECK(message("a ->\nnonsense\n").find("t:2: expected") == 0);
}
