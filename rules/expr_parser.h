// SPDX-License-Identifier: Apache-2.0
// Parser for the condition language, a subset of CEL (docs/rules.md has the grammar).
// Hand-written recursive descent: no CEL implementation for C++ is packaged in Debian, and a
// small parser gives exact error positions, which operators need more than anything.
// Pure and thread-compatible: no state outside one call.
#pragma once

#include <string>

#include "rules/expr_ast.h"

namespace cspwatch::rules {

struct ParseError {
  int pos = 0;  // byte offset in the text
  std::string message;
  std::string hint;
};

struct ParseResult {
  ExprPtr expr;  // null on error
  ParseError error;
  bool ok() const { return expr != nullptr; }
};

// Nesting deeper than this is refused (a guard against stack exhaustion on hostile input).
inline constexpr int kMaxExprDepth = 100;

ParseResult parseExpr(const std::string& text);

}  // namespace cspwatch::rules
