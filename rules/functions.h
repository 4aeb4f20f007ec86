// SPDX-License-Identifier: Apache-2.0
// The functions the condition language offers (besides operators and the list macros, which
// the compiler handles): CEL's standard string, conversion and time functions plus ours.
// docs/rules.md documents each. The table is static and immutable.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/value.h"

namespace cspwatch::rules {

// One signature of a function: the kinds of its arguments (counting the receiver of a method)
// and of its result. kDyn takes, or gives, any kind.
struct Overload {
  std::vector<Type::Kind> params;
  Type::Kind result;
};

// Shorthand for the tables: sig({K::kString}, K::kInt).
inline Overload sig(std::vector<Type::Kind> params, Type::Kind result) {
  return {std::move(params), result};
}

struct Function {
  enum class Style { kGlobal, kMember, kBoth };
  std::string name;
  Style style;
  // Every signature CEL (or our extension) defines; at least one. The compiler picks those the
  // argument types known at load time fit, and a call that fits none is a load-time
  // rules.type-mismatch (docs/rules.md#load-time-checking); the implementation still checks
  // the kinds it is given, since a dyn argument may hold anything.
  std::vector<Overload> overloads;
  Value (*impl)(const Value* args, int n);
  const char* summary;  // "string.startsWith(prefix) -> bool"

  int minArgs() const;  // counting the receiver of a method
  int maxArgs() const;
};

// nullptr if there is no function of that name.
const Function* findFunction(const std::string& name);
std::vector<std::string> functionNames();
// Every function: those below (rules/functions.cpp), the string functions
// (rules/string_functions.h) and the time accessors (rules/time_functions.h). Built once; pointers
// into it stay valid.
const std::vector<Function>& allFunctions();

// Shared by the evaluator for the `in` operator and by `distinct()`.
Value errorNoOverload(const std::string& what, const Value* args, int n);

}  // namespace cspwatch::rules
