// SPDX-License-Identifier: Apache-2.0
#include "rules/functions.h"

#include <algorithm>
#include <cmath>

#include "common/text.h"
#include "rules/cel_time.h"
#include "rules/string_format.h"
#include "rules/string_functions.h"
#include "rules/time_functions.h"

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

Value timestampFn(const Value* a, int n) {
  if (is(a[0], VK::kTimestamp)) return a[0];
  if (is(a[0], VK::kInt)) {
    Value t = makeTimestamp(a[0].asInt(), 0);
    if (t.isError()) return Value::error("timestamp(" + a[0].toText() + "): " + t.errorMessage());
    return t;
  }
  if (!is(a[0], VK::kString)) return errorNoOverload("timestamp", a, n);
  return parseCelTimestamp(a[0].asString());
}

Value durationFn(const Value* a, int n) {
  if (is(a[0], VK::kDuration)) return a[0];
  if (!is(a[0], VK::kString)) return errorNoOverload("duration", a, n);
  return parseCelDuration(a[0].asString());
}

Value boolFn(const Value* a, int n) {
  if (is(a[0], VK::kBool)) return a[0];
  if (!is(a[0], VK::kString)) return errorNoOverload("bool", a, n);
  // CEL's spellings (cel-spec conversions.textproto): these and no others.
  static const char* const kTrue[] = {"1", "t", "true", "TRUE", "True"};
  static const char* const kFalse[] = {"0", "f", "false", "FALSE", "False"};
  for (const char* t : kTrue)
    if (a[0].asString() == t) return Value::boolean(true);
  for (const char* f : kFalse)
    if (a[0].asString() == f) return Value::boolean(false);
  return Value::error("bool('" + a[0].asString() + "'): not a bool");
}

Value dynFn(const Value* a, int) { return a[0]; }

// The length of v.toText(), counted only until it passes `stop` (then some length over it), so
// that a list holding one long string a thousand times is refused before it is written out.
size_t textSizeUpTo(const Value& v, size_t stop) {
  switch (v.kind()) {
    case VK::kString:
      return v.asString().size();
    case VK::kList: {
      size_t total = 2;
      for (const auto& item : v.asList()) {
        total += 2 + textSizeUpTo(item, stop);
        if (total > stop) return total;
      }
      return total;
    }
    case VK::kObject: {
      size_t total = 2;
      const ObjectData& o = v.asObject();
      for (size_t i = 0; i < o.fields.size(); ++i) {
        total += 4 + o.type->fields[i].name.size() + textSizeUpTo(o.fields[i], stop);
        if (total > stop) return total;
      }
      return total;
    }
    default:
      return 40;  // a number, a bool, a time: short
  }
}

Value textTooLarge(const char* what, size_t limit) {
  return Value::error(std::string(what) + ": the text would be over " +
                      std::to_string(limit >> 20) + " MiB");
}

// CEL's text for its kinds (timestamps, durations and doubles differ from messages' text);
// our extension for lists and objects: the text messages show.
Value stringFn(const Value* a, int) {
  switch (a[0].kind()) {
    case VK::kTimestamp:
    case VK::kDuration:
    case VK::kDouble:
      return Value::string(celTimeText(a[0]));
    case VK::kError:
      return a[0];
    default:
      if (textSizeUpTo(a[0], builtStringLimit(0)) > builtStringLimit(0))
        return textTooLarge("string()", builtStringLimit(0));
      return Value::string(a[0].toText());
  }
}

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
    case VK::kDuration:  // our extension: whole seconds, towards zero
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
  const size_t limit = builtStringLimit(0);  // as format() and replace() bound theirs
  for (const auto& item : a[0].asList()) {
    if (item.isError()) return item;
    if (out.size() + sep.size() + textSizeUpTo(item, limit) > limit)
      return textTooLarge("join()", limit);
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
    {"size",
     Function::Style::kBoth,
     {sig({K::kString}, K::kInt), sig({K::kList}, K::kInt)},
     size,
     "size(string|list) -> int"},
    {"timestamp",
     Function::Style::kGlobal,
     {sig({K::kString}, K::kTimestamp), sig({K::kTimestamp}, K::kTimestamp),
      sig({K::kInt}, K::kTimestamp)},
     timestampFn,
     "timestamp(string|int) -> timestamp"},
    {"duration",
     Function::Style::kGlobal,
     {sig({K::kString}, K::kDuration), sig({K::kDuration}, K::kDuration)},
     durationFn,
     "duration(string) -> duration (\"30d\", \"6h\", \"P180D\", \"1.5s\")"},
    {"string",
     Function::Style::kGlobal,
     {sig({K::kDyn}, K::kString)},
     stringFn,
     "string(any) -> string"},
    {"int",
     Function::Style::kGlobal,
     {sig({K::kInt}, K::kInt), sig({K::kDouble}, K::kInt), sig({K::kString}, K::kInt),
      sig({K::kTimestamp}, K::kInt), sig({K::kDuration}, K::kInt)},
     intFn,
     "int(int|double|string|timestamp|duration) -> int"},
    {"double",
     Function::Style::kGlobal,
     {sig({K::kDouble}, K::kDouble), sig({K::kInt}, K::kDouble), sig({K::kString}, K::kDouble)},
     doubleFn,
     "double(double|int|string) -> double"},
    {"bool",
     Function::Style::kGlobal,
     {sig({K::kBool}, K::kBool), sig({K::kString}, K::kBool)},
     boolFn,
     "bool(bool|string) -> bool (\"true\", \"false\", \"t\", \"f\", \"1\", \"0\")"},
    {"dyn",
     Function::Style::kGlobal,
     {sig({K::kDyn}, K::kDyn)},
     dynFn,
     "dyn(any) -> the same value, its type checked only when evaluated"},
    {"emailDomain",
     Function::Style::kBoth,
     {sig({K::kString}, K::kString)},
     emailDomainFn,
     "emailDomain(address) -> lower-case domain, or \"\""},
    {"editDistance",
     Function::Style::kGlobal,
     {sig({K::kString, K::kString}, K::kInt)},
     editDistanceFn,
     "editDistance(a, b) -> int (insert, delete, substitute, transpose)"},
    {"daysUntil",
     Function::Style::kGlobal,
     {sig({K::kTimestamp}, K::kInt)},
     daysUntil,
     "daysUntil(timestamp) -> whole days from now (negative if past)"},
    {"daysSince",
     Function::Style::kGlobal,
     {sig({K::kTimestamp}, K::kInt)},
     daysSince,
     "daysSince(timestamp) -> whole days since (negative if future)"},
    {"join",
     Function::Style::kMember,
     {sig({K::kList}, K::kString), sig({K::kList, K::kString}, K::kString)},
     join,
     "list.join([separator]) -> string"},
    {"distinct",
     Function::Style::kMember,
     {sig({K::kList}, K::kList)},
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

int Function::minArgs() const {
  size_t n = overloads.front().params.size();
  for (const auto& o : overloads) n = std::min(n, o.params.size());
  return static_cast<int>(n);
}

int Function::maxArgs() const {
  size_t n = 0;
  for (const auto& o : overloads) n = std::max(n, o.params.size());
  return static_cast<int>(n);
}

const std::vector<Function>& allFunctions() {
  static const std::vector<Function> all = [] {
    std::vector<Function> out = stringFunctions();
    out.insert(out.end(), kFunctions.begin(), kFunctions.end());
    out.insert(out.end(), timeFunctions().begin(), timeFunctions().end());
    return out;
  }();
  return all;
}

const Function* findFunction(const std::string& name) {
  for (const auto& f : allFunctions())
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string> functionNames() {
  std::vector<std::string> out;
  for (const auto& f : allFunctions()) out.push_back(f.name);
  for (const char* m :
       {"has", "all", "exists", "exists_one", "existsOne", "filter", "map", "transformList"})
    out.push_back(m);
  return out;
}

}  // namespace cspwatch::rules
