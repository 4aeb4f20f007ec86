// SPDX-License-Identifier: Apache-2.0
#include "rules/functions.h"

#include <algorithm>
#include <cmath>

#include "common/text.h"
#include "rules/regex.h"

namespace cspwatch::rules {

namespace {

using K = Type::Kind;
using VK = Value::Kind;

bool is(const Value& v, VK k) { return v.kind() == k; }

Value size(const Value* a, int n) {
  if (is(a[0], VK::kString)) {
    int64_t count = 0;
    for (unsigned char c : a[0].asString())
      if ((c & 0xC0) != 0x80) ++count;
    return Value::integer(count);
  }
  if (is(a[0], VK::kList)) return Value::integer(static_cast<int64_t>(a[0].asList().size()));
  return errorNoOverload("size", a, n);
}

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

Value timestampFn(const Value* a, int n) {
  if (is(a[0], VK::kTimestamp)) return a[0];
  if (!is(a[0], VK::kString)) return errorNoOverload("timestamp", a, n);
  auto t = parseTimestamp(a[0].asString());
  if (!t) return Value::error("timestamp('" + a[0].asString() + "'): not an RFC 3339 time");
  return Value::timestamp(*t);
}

Value durationFn(const Value* a, int n) {
  if (is(a[0], VK::kDuration)) return a[0];
  if (!is(a[0], VK::kString)) return errorNoOverload("duration", a, n);
  auto d = parseDuration(a[0].asString());
  if (!d)
    return Value::error("duration('" + a[0].asString() + "'): not a duration such as 30d or P30D");
  return Value::duration(*d);
}

Value stringFn(const Value* a, int) { return Value::string(a[0].toText()); }

Value intFn(const Value* a, int n) {
  switch (a[0].kind()) {
    case VK::kInt:
      return a[0];
    case VK::kDouble:
      if (!std::isfinite(a[0].asDouble()) || std::fabs(a[0].asDouble()) > 9.2e18)
        return Value::error("int(): out of range");
      return Value::integer(static_cast<int64_t>(a[0].asDouble()));
    case VK::kTimestamp:
      return Value::integer(toUnixSeconds(a[0].asTimestamp()));
    case VK::kDuration:
      return Value::integer(a[0].asDuration().count());
    case VK::kString: {
      try {
        size_t used = 0;
        long long v = std::stoll(a[0].asString(), &used);
        if (used == a[0].asString().size()) return Value::integer(v);
      } catch (const std::exception&) {
      }
      return Value::error("int('" + a[0].asString() + "'): not an integer");
    }
    default:
      return errorNoOverload("int", a, n);
  }
}

Value doubleFn(const Value* a, int n) {
  switch (a[0].kind()) {
    case VK::kDouble:
      return a[0];
    case VK::kInt:
      return Value::real(static_cast<double>(a[0].asInt()));
    case VK::kString: {
      try {
        size_t used = 0;
        double v = std::stod(a[0].asString(), &used);
        if (used == a[0].asString().size()) return Value::real(v);
      } catch (const std::exception&) {
      }
      return Value::error("double('" + a[0].asString() + "'): not a number");
    }
    default:
      return errorNoOverload("double", a, n);
  }
}

Value emailDomainFn(const Value* a, int n) {
  if (!is(a[0], VK::kString)) return errorNoOverload("emailDomain", a, n);
  return Value::string(emailDomain(a[0].asString()));
}

Value editDistanceFn(const Value* a, int n) {
  if (!is(a[0], VK::kString) || !is(a[1], VK::kString))
    return errorNoOverload("editDistance", a, n);
  return Value::integer(static_cast<int64_t>(editDistance(a[0].asString(), a[1].asString())));
}

// Whole days, rounded towards negative infinity, so "ends in 0.5 days" is day 0.
int64_t floorDays(int64_t seconds) {
  return seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
}

// daysUntil(t) and daysSince(t) get `now` as a hidden last argument from the compiler.
Value daysUntil(const Value* a, int n) {
  if (!is(a[0], VK::kTimestamp) || !is(a[1], VK::kTimestamp))
    return errorNoOverload("daysUntil", a, n - 1);
  return Value::integer(
      floorDays(toUnixSeconds(a[0].asTimestamp()) - toUnixSeconds(a[1].asTimestamp())));
}

Value daysSince(const Value* a, int n) {
  if (!is(a[0], VK::kTimestamp) || !is(a[1], VK::kTimestamp))
    return errorNoOverload("daysSince", a, n - 1);
  return Value::integer(
      floorDays(toUnixSeconds(a[1].asTimestamp()) - toUnixSeconds(a[0].asTimestamp())));
}

Value join(const Value* a, int n) {
  if (!is(a[0], VK::kList) || (n == 2 && !is(a[1], VK::kString)))
    return errorNoOverload("join", a, n);
  std::string sep = n == 2 ? a[1].asString() : "";
  std::string out;
  bool first = true;
  for (const auto& item : a[0].asList()) {
    if (item.isError()) return item;
    if (!first) out += sep;
    first = false;
    out += item.toText();
  }
  return Value::string(out);
}

Value distinct(const Value* a, int n) {
  if (!is(a[0], VK::kList)) return errorNoOverload("distinct", a, n);
  ValueList out;
  for (const auto& item : a[0].asList()) {
    if (item.isError()) return item;
    bool seen = false;
    for (const auto& o : out) seen = seen || valuesEqual(o, item);
    if (!seen) out.push_back(item);
  }
  return Value::list(std::move(out));
}

const std::vector<Function> kFunctions = {
    {"size", Function::Style::kBoth, 1, 1, {K::kDyn}, K::kInt, size, "size(string|list) -> int"},
    {"startsWith",
     Function::Style::kMember,
     2,
     2,
     {K::kString, K::kString},
     K::kBool,
     stringTest<startsWith>,
     "string.startsWith(prefix) -> bool"},
    {"endsWith",
     Function::Style::kMember,
     2,
     2,
     {K::kString, K::kString},
     K::kBool,
     stringTest<endsWith>,
     "string.endsWith(suffix) -> bool"},
    {"contains",
     Function::Style::kMember,
     2,
     2,
     {K::kString, K::kString},
     K::kBool,
     stringTest<containsTest>,
     "string.contains(part) -> bool"},
    {"matches",
     Function::Style::kBoth,
     2,
     2,
     {K::kString, K::kString},
     K::kBool,
     matches,
     "string.matches(regex) -> bool (RE2 syntax, unanchored search)"},
    {"lowerAscii",
     Function::Style::kMember,
     1,
     1,
     {K::kString},
     K::kString,
     lowerAscii,
     "string.lowerAscii() -> string"},
    {"upperAscii",
     Function::Style::kMember,
     1,
     1,
     {K::kString},
     K::kString,
     upperAscii,
     "string.upperAscii() -> string"},
    {"trim",
     Function::Style::kMember,
     1,
     1,
     {K::kString},
     K::kString,
     trimFn,
     "string.trim() -> string"},
    {"timestamp",
     Function::Style::kGlobal,
     1,
     1,
     {K::kDyn},
     K::kTimestamp,
     timestampFn,
     "timestamp(string) -> timestamp"},
    {"duration",
     Function::Style::kGlobal,
     1,
     1,
     {K::kDyn},
     K::kDuration,
     durationFn,
     "duration(string) -> duration (\"30d\", \"6h\", \"P180D\", \"PT0S\")"},
    {"string",
     Function::Style::kGlobal,
     1,
     1,
     {K::kDyn},
     K::kString,
     stringFn,
     "string(any) -> string"},
    {"int", Function::Style::kGlobal, 1, 1, {K::kDyn}, K::kInt, intFn, "int(any) -> int"},
    {"double",
     Function::Style::kGlobal,
     1,
     1,
     {K::kDyn},
     K::kDouble,
     doubleFn,
     "double(any) -> double"},
    {"emailDomain",
     Function::Style::kBoth,
     1,
     1,
     {K::kString},
     K::kString,
     emailDomainFn,
     "emailDomain(address) -> lower-case domain, or \"\""},
    {"editDistance",
     Function::Style::kGlobal,
     2,
     2,
     {K::kString, K::kString},
     K::kInt,
     editDistanceFn,
     "editDistance(a, b) -> int (insert, delete, substitute, transpose)"},
    {"daysUntil",
     Function::Style::kGlobal,
     1,
     1,
     {K::kTimestamp},
     K::kInt,
     daysUntil,
     "daysUntil(timestamp) -> whole days from now (negative if past)"},
    {"daysSince",
     Function::Style::kGlobal,
     1,
     1,
     {K::kTimestamp},
     K::kInt,
     daysSince,
     "daysSince(timestamp) -> whole days since (negative if future)"},
    {"join",
     Function::Style::kMember,
     1,
     2,
     {K::kList, K::kString},
     K::kString,
     join,
     "list.join([separator]) -> string"},
    {"distinct",
     Function::Style::kMember,
     1,
     1,
     {K::kList},
     K::kList,
     distinct,
     "list.distinct() -> list without repeats, first occurrence kept"},
};

}  // namespace

Value errorNoOverload(const std::string& what, const Value* args, int n) {
  std::string kinds;
  for (int i = 0; i < n; ++i) {
    if (args[i].isError()) return args[i];
    if (i > 0) kinds += ", ";
    kinds += Value::kindName(args[i].kind());
  }
  return Value::error("no such overload: " + what + "(" + kinds + ")");
}

const Function* findFunction(const std::string& name) {
  for (const auto& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string> functionNames() {
  std::vector<std::string> out;
  for (const auto& f : kFunctions) out.push_back(f.name);
  for (const char* m : {"has", "all", "exists", "exists_one", "filter", "map"}) out.push_back(m);
  return out;
}

const std::vector<Function>& allFunctions() { return kFunctions; }

}  // namespace cspwatch::rules
