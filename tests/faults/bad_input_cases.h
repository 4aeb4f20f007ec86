// SPDX-License-Identifier: Apache-2.0
// The bad-input corpus (tests/faults/bad_input/, README.md there): a case file, its header of
// "# key: value" lines (what it expects on stderr, the exit status, line ends, BOM, the API route
// it replaces...) and its text with @@"..."@@ directives expanded; placing a case where the run
// reads it, and what every run of a case must show (bad_input_run.h).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/faults/bad_input_run.h"

namespace cspwatch::testing::bad_input {

constexpr const char* kCorpus = "tests/faults/bad_input";

struct Case {
  std::string kind;  // config, rules, inventory, api
  std::string name;  // file name in the corpus
  std::vector<std::string> expects;
  std::optional<int> exit;
  bool position = true;                                      // stderr must name FILE:LINE:COLUMN
  bool directory = false;                                    // make a directory where the file goes
  bool empty = false;                                        // write an empty file
  std::string route;                                         // api: which answer is replaced
  int status = 200;                                          // api
  std::vector<std::pair<std::string, std::string>> headers;  // api
  bool gzip = false;                                         // api: served gzip-encoded
  std::string text;       // the case, directives expanded, header removed unless YAML
  std::string line_ends;  // "crlf", "cr" or "" (as written: LF)
  std::string bom;        // "utf8", "utf16le" or ""
  std::string extension() const { return name.substr(name.rfind('.') + 1); }

  // What is written or served: `vars` (@@name@@) filled in, then line ends and BOM applied.
  std::string content(const std::map<std::string, std::string>& vars = {}) const;
};

// The case `name` of `kind` (config, rules, inventory, api) in the corpus.
Case loadCase(const std::string& kind, const std::string& name);
// Every case of `kind`; each must state what it expects.
std::vector<Case> loadCases(const std::string& kind);

// Writes the case's content (or a directory) at `path`.
void place(const Case& c, const std::string& path,
           const std::map<std::string, std::string>& vars = {});

// What every case asks of a run: ended by itself, in time, with the expected messages.
// CSPWATCH_BAD_INPUT_SHOW=1 prints what each case printed, to review the messages.
void checkRun(const Case& c, const Run& r, const std::string& path, std::set<int> allowed);

}  // namespace cspwatch::testing::bad_input
