// SPDX-License-Identifier: Apache-2.0
// The repository itself (CSPWATCH_SOURCE_DIR) against the layer table and the size limits
// (issue 16). The checker's own tests are in the other files of this folder.
//
// known_oversized.txt, the allow-list of files and functions over the limits, is empty since
// issue 16 and must stay so.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

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

// Issue 16: `scan --once` and the service share one scan path, scan/scan_job.cpp. A scan's
// store calls (begin, apply, fail) in any other product file would be a second copy of it.
TEST_CASE("only scan/scan_job.cpp begins, applies and fails scans, and both callers run it") {
  const SourceTree tree = scanTree(CSPWATCH_SOURCE_DIR, repositoryTable());
  const char* calls[] = {"beginScan(", "beginApply(", "applyStaged(", "applyScan(", "failScan("};
  std::vector<std::string> copies;
  for (const auto& f : tree.files) {
    const std::string& p = f.path;
    if (p == "scan/scan_job.cpp" || startsWith(p, "storage/") || startsWith(p, "tests/") ||
        startsWith(p, "bench/") || startsWith(p, "fuzz/"))
      continue;
    const std::string text = readFile(sourcePath(p));
    for (const char* call : calls)
      if (text.find(call) != std::string::npos) copies.push_back(p + ": " + call);
  }
  INFO(join(copies, "\n"));
  CHECK(copies.empty());
  for (const char* caller : {"cli/cmd_scan.cpp", "daemon/partner_runner.cpp"})
    CHECK(readFile(sourcePath(caller)).find("scan::ScanJob(") != std::string::npos);
}

// Libraries compile in batches of files (CSPWATCH_UNITY_BUILD, cmake/CspwatchTargets.cmake):
// the files of a batch share one scope, so two helpers of one name in their anonymous
// namespaces collide, or worse, overload each other without a word (join()'s size error once
// took format()'s). In a batched library a name is defined in one .cpp file only; the
// libraries marked NO_UNITY in their CMakeLists.txt are exempt until their helpers are merged.
TEST_CASE("no two files of a batched library define functions of one name") {
  const SourceTree tree = scanTree(CSPWATCH_SOURCE_DIR, repositoryTable());
  std::map<std::string, std::map<std::string, std::string>> seen;  // folder -> name -> file
  std::vector<std::string> clashes;
  for (const auto& f : tree.files) {
    if (!endsWith(f.path, ".cpp") || f.folder == "tests" || f.folder == "bench" ||
        f.folder == "fuzz" || f.path.find('/') == std::string::npos)
      continue;
    const std::string cmake = readFile(sourcePath(f.folder + "/CMakeLists.txt"));
    if (cmake.find("cspwatch_library(") == std::string::npos ||
        cmake.find("NO_UNITY") != std::string::npos || endsWith(f.path, "/main.cpp"))
      continue;
    for (const auto& fn : f.functions) {
      if (fn.name.find("::") != std::string::npos || fn.name == "lambda") continue;
      auto [it, added] = seen[f.folder].emplace(fn.name, f.path);
      if (!added && it->second != f.path)
        clashes.push_back(fn.name + " in " + it->second + " and " + f.path);
    }
  }
  INFO(join(clashes, "\n"));
  CHECK(clashes.empty());
}
