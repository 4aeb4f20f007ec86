// SPDX-License-Identifier: Apache-2.0
#include "rules/string_functions.h"

#include "common/text.h"
#include "rules/regex.h"

namespace cspwatch::rules {

namespace {

using K = Type::Kind;
using VK = Value::Kind;

bool is(const Value& v, VK k) { return v.kind() == k; }

template <bool (*Test)(std::string_view, std::string_view)>
Value stringTest(const Value* a, int n) {
  if (!is(a[0], VK::kString) || !is(a[1], VK::kString)) return errorNoOverload("string test", a, n);
  return Value::boolean(Test(a[0].asString(), a[1].asString()));
}

bool containsTest(std::string_view s, std::string_view t) {
  return s.find(t) != std::string_view::npos;
}

Value matches(const Value* a, int n) {
  if (!is(a[0], VK::kString) || !is(a[1], VK::kString)) return errorNoOverload("matches", a, n);
  // A pattern built at evaluation time; a literal one is compiled at load (expr_compiler.cpp).
  auto re = Regex::compile(a[1].asString());
  if (!re) return Value::error("invalid regular expression: " + re.status().message());
  return Value::boolean((*re)->search(a[0].asString()));
}

Value lowerAscii(const Value* a, int n) {
  if (!is(a[0], VK::kString)) return errorNoOverload("lowerAscii", a, n);
  return Value::string(toLowerAscii(a[0].asString()));
}

Value upperAscii(const Value* a, int n) {
  if (!is(a[0], VK::kString)) return errorNoOverload("upperAscii", a, n);
  std::string s = a[0].asString();
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return Value::string(s);
}

Value trimFn(const Value* a, int n) {
  if (!is(a[0], VK::kString)) return errorNoOverload("trim", a, n);
  return Value::string(std::string(trim(a[0].asString())));
}

Overload sig(std::vector<K> params, K result) { return {std::move(params), result}; }

const std::vector<Function> kStringFunctions = {
    {"startsWith",
     Function::Style::kMember,
     {sig({K::kString, K::kString}, K::kBool)},
     stringTest<startsWith>,
     "string.startsWith(prefix) -> bool"},
    {"endsWith",
     Function::Style::kMember,
     {sig({K::kString, K::kString}, K::kBool)},
     stringTest<endsWith>,
     "string.endsWith(suffix) -> bool"},
    {"contains",
     Function::Style::kMember,
     {sig({K::kString, K::kString}, K::kBool)},
     stringTest<containsTest>,
     "string.contains(part) -> bool"},
    {"matches",
     Function::Style::kBoth,
     {sig({K::kString, K::kString}, K::kBool)},
     matches,
     "string.matches(regex) -> bool (RE2 syntax, unanchored search)"},
    {"lowerAscii",
     Function::Style::kMember,
     {sig({K::kString}, K::kString)},
     lowerAscii,
     "string.lowerAscii() -> string"},
    {"upperAscii",
     Function::Style::kMember,
     {sig({K::kString}, K::kString)},
     upperAscii,
     "string.upperAscii() -> string"},
    {"trim",
     Function::Style::kMember,
     {sig({K::kString}, K::kString)},
     trimFn,
     "string.trim() -> string"},
};

}  // namespace

const std::vector<Function>& stringFunctions() { return kStringFunctions; }

}  // namespace cspwatch::rules
