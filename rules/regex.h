// SPDX-License-Identifier: Apache-2.0
// Regular expressions for `matches()`: RE2 syntax and semantics, as CEL specifies, through
// Debian's libre2. An unanchored search (CEL's `matches`): anchor with ^ and $.
//
// Why RE2 and not std::regex: libstdc++'s matcher backtracks and recurses per character of the
// subject, so a rule's pattern and a tenant's value (both untrusted input) could crash a scan
// with a stack overflow or stall it with exponential backtracking (found by fuzzing, see
// fuzz/crashes/README.md). RE2 runs in time linear in the subject, uses no recursion when
// matching, and bounds the memory of a compiled pattern (kMaxProgramBytes). It has no
// back-references and no look-around; a pattern using them does not compile.
//
// Thread-safe: a compiled Regex is immutable and may be searched from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace re2 {
class RE2;
}

namespace cspwatch::rules {

class Regex {
 public:
  // Memory RE2 may use for one compiled pattern (its program and DFA caches); a pattern whose
  // program does not fit fails to compile ("pattern too large").
  static constexpr int64_t kMaxProgramBytes = 8 << 20;

  // Compiles `pattern` (UTF-8, RE2 syntax). An invalid pattern is an kInvalidArgument Status
  // whose message is RE2's reason, e.g. "missing ): ([a-z".
  static Result<std::shared_ptr<const Regex>> compile(std::string_view pattern);

  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // True when the pattern matches somewhere in `subject`. Linear in subject.size(); invalid
  // UTF-8 in the subject never matches a character class but does not fail.
  bool search(std::string_view subject) const;

 private:
  explicit Regex(std::unique_ptr<re2::RE2> re);
  std::unique_ptr<re2::RE2> re_;
};

}  // namespace cspwatch::rules
