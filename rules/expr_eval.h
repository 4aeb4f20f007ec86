// SPDX-License-Identifier: Apache-2.0
// Compiled expressions: a tree of nodes whose names, fields and functions were resolved when
// the rules loaded (rules/expr_compiler.h). Evaluation only indexes and calls: no parsing and
// no lookups by name (except on values whose type was not known statically).
//
// CEL's error rules hold throughout: an error operand makes the result an error, except that
// `false && error` is false, `true || error` is true, and the list macros `exists`/`all` are
// decided by any element that decides them. A Node is immutable and may be evaluated from
// several threads at once, each with its own Frame.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/value.h"

namespace cspwatch::rules {

// The variables of one evaluation: slot i holds variable i (tenant, partner, lists, now, the
// for_each element, then one slot per comprehension variable).
// `memo` caches the values of macros that depend only on the per-tenant variables (tenant,
// partner, lists, now), so that rules sharing a macro compute it once per tenant.
struct Frame {
  std::vector<Value> slots;
  std::vector<Value> memo;
  std::vector<char> memo_valid;

  void resetMemo(size_t n) {
    memo.assign(n, Value());
    memo_valid.assign(n, 0);
  }
};

class Node {
 public:
  virtual ~Node() = default;
  virtual Value eval(Frame& frame) const = 0;
};

using NodePtr = std::unique_ptr<const Node>;

// Truthiness for conditions: true only for the bool true. Errors stay errors; anything else
// that is not a bool becomes an error naming its kind.
Value asCondition(const Value& v);

}  // namespace cspwatch::rules
