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

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/value.h"

namespace cspwatch::rules {

// Steps one rule may take for one tenant unless the caller says otherwise (EvalOptions in
// rules/rule_set.h): about 20 ms of CPU time, 3,600 times what the default pack takes
// on the demo's tenants (275) and 3.4 times what it takes on a tenant with 500 domains and 20
// contacts on look-alike domains (docs/rules.md#evaluation-cost).
inline constexpr int64_t kDefaultMaxSteps = 1000000;

// The variables of one evaluation: slot i holds variable i (tenant, partner, lists, now, the
// for_each element, then one slot per comprehension variable).
// `memo` caches the values of macros that depend only on the per-tenant variables (tenant,
// partner, lists, now), so that rules sharing a macro compute it once per tenant.
//
// `steps_left` is the evaluation's budget: every node evaluated and every element a list macro
// visits costs one step, operators and functions that walk a whole list (`in`, `+` and `==`
// on lists, join(), string(), distinct()) cost its length, and functions a step per 64 bytes of
// the strings they read and build (textLength()). Once it is spent every further
// evaluation returns outOfStepsError() at once, so an evaluation ends quickly however costly
// the expression (three nested exists() over 1,000 elements would take 10^9 steps).
struct Frame {
  std::vector<Value> slots;
  std::vector<Value> memo;
  std::vector<char> memo_valid;
  int64_t steps_left = kDefaultMaxSteps;

  void resetMemo(size_t n) {
    memo.assign(n, Value());
    memo_valid.assign(n, 0);
  }
  // Takes `n` steps; false when the budget is spent.
  bool charge(int64_t n) {
    steps_left -= n;
    return steps_left >= 0;
  }
  bool outOfSteps() const { return steps_left < 0; }
  // The value every evaluation gives once the budget is spent. The rule set replaces it with a
  // reason that names the budget (rules/rule_set.h), so its text is only for direct callers.
  static const Value& outOfStepsError();
};

class Node {
 public:
  virtual ~Node() = default;
  // Costs one step; gives Frame::outOfStepsError() without evaluating when none is left.
  Value eval(Frame& frame) const {
    if (!frame.charge(1)) return Frame::outOfStepsError();
    return evalNode(frame);
  }

 protected:
  virtual Value evalNode(Frame& frame) const = 0;
};

using NodePtr = std::unique_ptr<const Node>;

// The steps walking `v` costs: its length when it is a list, else nothing.
inline int64_t listLength(const Value& v) {
  return v.kind() == Value::Kind::kList ? static_cast<int64_t>(v.asList().size()) : 0;
}

// Functions read and build strings in time linear in their bytes (the searches are
// Knuth-Morris-Pratt: rules/string_functions.cpp), at a few nanoseconds a byte: a step per
// kTextBytesPerStep bytes keeps a step near its 20 ns whatever the text, and costs the short
// strings of a tenant (names, domains, addresses) nothing.
inline constexpr int64_t kTextBytesPerStep = 64;
inline int64_t textLength(const Value& v) {
  return v.kind() == Value::Kind::kString
             ? static_cast<int64_t>(v.asString().size()) / kTextBytesPerStep
             : 0;
}

// Truthiness for conditions: true only for the bool true. Errors stay errors; anything else
// that is not a bool becomes an error naming its kind.
Value asCondition(const Value& v);

}  // namespace cspwatch::rules
