// SPDX-License-Identifier: Apache-2.0
// The layout test's checks, as functions over any root directory (the repository, or a tree a
// test plants in a TempDir):
//   - scanTree reads every first-party source file (.cpp .cc .h .hpp) under the top-level
//     folders of the layer table, and names any top-level folder with sources the table lacks;
//   - includeViolations lists each #include "<folder>/..." that points up or sideways;
//   - oversized lists the files over the line limit and the functions over theirs (outside data
//     tables and the table's long-functions folders);
//   - ratchetProblems compares those with the allow-list (tests/layout/known_oversized.txt):
//     an offender not listed, or a listed entry that no longer offends, is a problem.
// Reading is best effort: a file that cannot be read is a problem in the result, not an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tests/layout/function_finder.h"
#include "tests/layout/layer_table.h"

namespace cspwatch::layout {

struct Include {
  std::string header;  // as written: "storage/store.h"
  std::string folder;  // the top-level folder it resolves to ("" for none, e.g. "sqlite3.h")
  int line = 0;
};

struct SourceFile {
  std::string path;    // from the root: "storage/finding_store.cpp"
  std::string folder;  // "storage"
  int lines = 0;
  std::vector<Include> includes;
  std::vector<FunctionSpan> functions;
};

struct SourceTree {
  std::vector<SourceFile> files;      // sorted by path
  std::vector<std::string> problems;  // folders missing from the table, unreadable files
};

SourceTree scanTree(const std::string& root, const LayerTable& table);

// "path:line: storage includes "rules/b.h", which is above it (storage may include: msapi, common)"
std::vector<std::string> includeViolations(const SourceTree& tree, const LayerTable& table);

struct Limits {
  int fileLines = 600;
  int functionLines = 80;
};

struct Oversized {
  std::string key;    // the allow-list's entry: "path" or "path:function"
  std::string where;  // "path:line"
  int lines = 0;
};

// Sorted by key; of functions with one key (overloads), the longest.
std::vector<Oversized> oversized(const SourceTree& tree, const LayerTable& table,
                                 const Limits& limits);

// The entries of an allow-list's text: one a line, '#' to the end of a line is a comment.
std::vector<std::string> parseKnownOversized(std::string_view text);

// One message per offender missing from `known` and per entry of `known` no longer offending.
std::vector<std::string> ratchetProblems(const std::vector<Oversized>& now,
                                         const std::vector<std::string>& known,
                                         const Limits& limits);

// The allow-list's whole text for `now`, each entry with its size as a comment.
std::string knownOversizedText(const std::vector<Oversized>& now, const Limits& limits);

// The `count` largest files and longest product functions, with path:line and length, data
// tables marked as exempt; printed by the test on every run.
std::string sizeReport(const SourceTree& tree, const LayerTable& table, const Limits& limits,
                       size_t count);

}  // namespace cspwatch::layout
