// SPDX-License-Identifier: Apache-2.0
// The functions the condition language offers (besides operators and the list macros, which
// the compiler handles): CEL's standard string, conversion and time functions plus ours.
// docs/rules.md documents each. The table is static and immutable.
#pragma once

#include <string>
#include <vector>

#include "common/value.h"

namespace cspwatch::rules {

struct Function {
  enum class Style { kGlobal, kMember, kBoth };
  std::string name;
  Style style;
  int min_args;  // counting the receiver for member calls
  int max_args;
  // Expected kinds of the arguments, for load-time checks; kDyn where anything goes.
  std::vector<Type::Kind> params;
  Type::Kind result;
  Value (*impl)(const Value* args, int n);
  const char* summary;  // "string.startsWith(prefix) -> bool"
};

// nullptr if there is no function of that name.
const Function* findFunction(const std::string& name);
std::vector<std::string> functionNames();
const std::vector<Function>& allFunctions();

// Shared by the evaluator for the `in` operator and by `distinct()`.
Value errorNoOverload(const std::string& what, const Value* args, int n);

}  // namespace cspwatch::rules
