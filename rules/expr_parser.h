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
// A tree taller than this is refused too. A chain of operators nests no brackets, yet 100,000
// '&&' make a tree that deep, and the compiler, the evaluator and the tree's destructor all walk
// it recursively (found by the bad-input corpus: a stack overflow).
inline constexpr int kMaxExprHeight = 1000;

ParseResult parseExpr(const std::string& text);

}  // namespace cspwatch::rules
