// SPDX-License-Identifier: Apache-2.0
// Diagnostics for operators: every problem found in a config, rule or inventory file, with a
// stable code, a 1-based position, what was expected and a hint. Loaders collect them all
// rather than stopping at the first (Falco's load_result); callers decide what an error means.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/source_location.h"

namespace cspwatch {

enum class Severity { kError, kWarning, kNote };
const char* severityName(Severity s);  // "error", "warning", "note"

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string code;         // stable, documented: "config.unknown-key", "rules.bad-regex", ...
  SourceLocation location;  // where the problem is; may be unknown
  std::string context;      // what was being read: "rule 'dap-enabled'", "row 7"; may be empty
  std::string message;      // what is wrong, and what was expected
  std::string hint;         // how to fix it ("did you mean 'severity'?"); may be empty
};

// An ordered collection of diagnostics plus the text of the files they point into, so that
// the renderer can quote the offending line. Not thread-safe.
class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void error(std::string code, SourceLocation loc, std::string message, std::string hint = {});
  void warning(std::string code, SourceLocation loc, std::string message, std::string hint = {});
  void append(const Diagnostics& other);

  // Remembers the text of `file` so renderText() can show the line with a caret.
  void addSource(const std::string& file, std::string text) { sources_[file] = std::move(text); }

  const std::vector<Diagnostic>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  bool hasErrors() const;
  size_t errorCount() const;
  size_t warningCount() const;

  // At most this many are rendered; a count of the rest follows.
  static constexpr size_t kMaxRendered = 200;

  // GNU style, one diagnostic after another (the first kMaxRendered):
  //   file:line:col: error: context: message [code]
  //     <source line>
  //     ^
  //   hint: ...
  std::string renderText() const;
  static std::string renderOne(const Diagnostic& d, const std::string* source_text);

 private:
  std::vector<Diagnostic> items_;
  std::map<std::string, std::string> sources_;
};

}  // namespace cspwatch
