// SPDX-License-Identifier: Apache-2.0
// The binary operators of the condition language and the evaluator's node for them (the other
// nodes are in rules/expr_nodes.h). What each does to two values is CEL's: equality and `in`
// on any values, ordering of numbers, strings, bools, timestamps and durations, arithmetic on
// ints (checked for overflow and division by zero), doubles, strings and lists (+), timestamps
// and durations. Operands an operator has no overload for give an error value ("no such
// overload: string < int"), never an exception.
#pragma once

#include "rules/expr_eval.h"

namespace cspwatch::rules::nodes {

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kMod, kLt, kLe, kGt, kGe, kEq, kNe, kIn };

// `lhs op rhs`. An error operand is the result; `in`, `+` and `==` cost a step per element of
// each list operand. Owns both operands.
NodePtr binary(BinaryOp op, NodePtr lhs, NodePtr rhs);

}  // namespace cspwatch::rules::nodes
