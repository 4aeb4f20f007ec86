// SPDX-License-Identifier: Apache-2.0
// Message templates: text with `{{ expression }}` holes, compiled once with the rule's scope.
// A hole whose value is unknown renders as "(unknown)", so a message never hides that a part
// could not be read. The result is one paragraph: runs of whitespace become one space.
// Immutable after compile; thread-compatible like every Node.
#pragma once

#include <string>
#include <vector>

#include "rules/expr_compiler.h"

namespace cspwatch::rules {

class Template {
 public:
  // Compiles `text`; problems (an unclosed "{{", a bad expression) go to `diags` with positions
  // from `source`, whose text must be `text`. Returns false on error.
  bool compile(const std::string& text, const ExprSource& source, ExprCompiler& compiler,
               const std::vector<Binding>& scope, int& next_slot, Diagnostics& diags);
  std::string render(Frame& frame) const;
  bool empty() const { return parts_.empty(); }

 private:
  struct Part {
    std::string text;  // literal text, or
    NodePtr expr;      // a hole
  };
  std::vector<Part> parts_;
};

}  // namespace cspwatch::rules
