// SPDX-License-Identifier: Apache-2.0
// The syntax tree of a condition, as parsed (rules/expr_parser.h) and before names are
// resolved (rules/expr_compiler.h). Positions are byte offsets into the expression text; the
// loader maps them to file:line:column.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/value.h"

namespace cspwatch::rules {

struct Expr {
  enum class Kind {
    kLiteral,  // value
    kIdent,    // name
    kSelect,   // args[0].name
    kIndex,    // args[0][args[1]]
    kCall,     // name(args...), or args[0].name(args[1..]) when receiver_style
    kList,     // [args...]
    kUnary,    // name ("!" or "-") args[0]
    kBinary,   // args[0] name args[1]; name is the operator, including "&&", "||", "in"
    kTernary,  // args[0] ? args[1] : args[2]
  };
  Kind kind = Kind::kLiteral;
  int pos = 0;  // offset of the node's first character (for calls and selects: of the name)
  Value literal;
  std::string name;
  bool receiver_style = false;
  std::vector<std::unique_ptr<Expr>> args;
  int height = 1;  // of the tree below and including this node, set by the parser

  std::unique_ptr<Expr> clone() const;
};

using ExprPtr = std::unique_ptr<Expr>;

}  // namespace cspwatch::rules
