// SPDX-License-Identifier: Apache-2.0
// The repository itself (CSPWATCH_SOURCE_DIR) against the layer table and the size limits
// (issue 16). The checker's own tests are in the other files of this folder.
//
// While issue 16 is open, files and functions over the limits that were there before it are
// listed in known_oversized.txt. To regenerate that list after splitting something:
//   CSPWATCH_LAYOUT_WRITE_KNOWN=1 ctest --test-dir <build> -L layout
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <catch2/catch.hpp>

#include "common/text.h"
#include "tests/layout/layout_check.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::layout;
using testing::readFile;
using testing::sourcePath;

namespace {

LayerTable repositoryTable() {
  auto table = loadLayerTable(sourcePath("tests/layout/layers.txt"));
  if (!table) FAIL(table.status().message());
  return std::move(table).value();
}

}  // namespace

TEST_CASE("every folder with sources is in the layer table") {
  const SourceTree tree = scanTree(CSPWATCH_SOURCE_DIR, repositoryTable());
  INFO(join(tree.problems, "\n"));
  CHECK(tree.problems.empty());
  CHECK(tree.files.size() > 100);  // the walk found the tree at all
}

TEST_CASE("the source tree's includes point only down the layers") {
  const LayerTable table = repositoryTable();
  const std::vector<std::string> violations =
      includeViolations(scanTree(CSPWATCH_SOURCE_DIR, table), table);
  INFO(join(violations, "\n"));
  CHECK(violations.empty());
}

TEST_CASE("no file or function newly over the size limits, and the allow-list only shrinks") {
  const LayerTable table = repositoryTable();
  const SourceTree tree = scanTree(CSPWATCH_SOURCE_DIR, table);
  const Limits limits;
  WARN(sizeReport(tree, table, limits, 5));  // on every run, in the ctest log

  const std::vector<Oversized> now = oversized(tree, table, limits);
  const std::string knownPath = sourcePath("tests/layout/known_oversized.txt");
  if (const char* write = std::getenv("CSPWATCH_LAYOUT_WRITE_KNOWN"); write && *write) {
    std::ofstream(knownPath, std::ios::binary | std::ios::trunc) << knownOversizedText(now, limits);
    WARN("wrote " << knownPath << " (" << now.size() << " entries)");
  }
  const std::vector<std::string> problems =
      ratchetProblems(now, parseKnownOversized(readFile(knownPath)), limits);
  if (!problems.empty()) {  // unwrapped, unlike Catch's messages, so that it can be pasted
    std::cout << "--- tests/layout/known_oversized.txt as the tree is now (paste it, or run the "
                 "test with CSPWATCH_LAYOUT_WRITE_KNOWN=1) ---\n"
              << knownOversizedText(now, limits) << "--- end ---\n";
  }
  INFO(join(problems, "\n"));
  CHECK(problems.empty());
}

TEST_CASE("the layer table is well formed and knows the planned folders") {
  const LayerTable table = repositoryTable();
  for (const char* folder : {"common", "msapi", "rules", "storage", "tenants", "alerts", "config",
                             "scan", "daemon", "cli", "sim", "bench", "fuzz", "tests"}) {
    CHECK(table.knows(folder));
  }
  CHECK_FALSE(table.mayInclude("scan", "config"));
  CHECK_FALSE(table.mayInclude("config", "scan"));
  CHECK(table.mayInclude("cli", "common"));
  CHECK(table.isNotSource("build-l16"));
}
