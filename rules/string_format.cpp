// SPDX-License-Identifier: Apache-2.0
#include "rules/string_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "rules/cel_time.h"
#include "rules/functions.h"

namespace cspwatch::rules {

namespace {

using VK = Value::Kind;

// As cel-go's default since its strings library version 5: "%.1000000f" would be a megabyte.
constexpr int kMaxPrecision = 100;
constexpr size_t kBuiltStringFloor = size_t{1} << 20;

// The CEL name of a value's type, as cel-spec's format errors spell it.
std::string typeName(const Value& v) {
  switch (v.kind()) {
    case VK::kNull:
      return "null_type";
    case VK::kTimestamp:
      return "google.protobuf.Timestamp";
    case VK::kDuration:
      return "google.protobuf.Duration";
    case VK::kObject:
      return v.asObject().type != nullptr ? v.asObject().type->name : "object";
    default:
      return Value::kindName(v.kind());
  }
}

Value failed(const std::string& why) { return Value::error("error during formatting: " + why); }

// NaN, Infinity and -Infinity as CEL spells them; "" for a finite number.
const char* nonFinite(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return "";
}

// A double in plain decimal, with the fewest digits that read back as the same double (as Go's
// strconv.FormatFloat(d, 'f', -1, 64), which CEL's %s is defined by): 3.14, 1e21 in full.
void appendDouble(double d, std::string& out) {
  if (*nonFinite(d) != '\0') {
    out += nonFinite(d);
    return;
  }
  char buf[400];  // the longest is 5e-324: "0." then 323 digits
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  out.append(buf, r.ptr);
}

// printf's %.Nf or %.Ne of a number (an int is converted to a double first); false if `v` is
// not a number. printf rounds half to even on the double's exact value, as CEL specifies.
bool appendFloat(const Value& v, char verb, int precision, std::string& out) {
  if (v.kind() != VK::kInt && v.kind() != VK::kDouble) return false;
  const double d = v.kind() == VK::kInt ? static_cast<double>(v.asInt()) : v.asDouble();
  if (*nonFinite(d) != '\0') {
    out += nonFinite(d);
    return true;
  }
  char buf[512];  // the longest: "-" and 309 digits, ".", 100 digits
  std::snprintf(buf, sizeof buf, verb == 'f' ? "%.*f" : "%.*e", precision, d);
  out += buf;
  return true;
}

// An int in base 2, 8 or 16, with a '-' before a negative one's magnitude.
void appendInBase(int64_t i, unsigned base, bool upper, std::string& out) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  uint64_t m = i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
  char buf[65];
  char* p = buf + sizeof buf;
  do {
    *--p = digits[m % base];
    m /= base;
  } while (m != 0);
  if (i < 0) out += '-';
  out.append(p, buf + sizeof buf);
}

// `v` as %s writes it. An error value (an element that could not be computed, or a kind %s
// does not take), or null when it went well; stops once `out` passes `limit`.
Value appendText(const Value& v, std::string& out, size_t limit) {
  switch (v.kind()) {
    case VK::kNull:
    case VK::kBool:
    case VK::kInt:
    case VK::kString:
      out += v.toText();  // null, true, 42, the text itself
      return Value();
    case VK::kDouble:
      appendDouble(v.asDouble(), out);
      return Value();
    case VK::kTimestamp:
    case VK::kDuration:
      out += celTimeText(v);  // RFC 3339 in UTC; seconds, as "6347s" or "1.5s"
      return Value();
    case VK::kList: {
      out += '[';
      bool first = true;
      for (const Value& item : v.asList()) {
        if (!first) out += ", ";
        first = false;
        if (out.size() > limit) return Value();
        Value problem = appendText(item, out, limit);
        if (problem.isError()) return problem;
      }
      out += ']';
      return Value();
    }
    case VK::kError:
      return v;
    case VK::kObject:
      break;
  }
  return failed(
      "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, "
      "types, durations, and timestamps, was given " +
      typeName(v));
}

// Each byte of `s` as two hex digits.
void appendHexBytes(const std::string& s, bool upper, std::string& out) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (unsigned char c : s) out.append({digits[c >> 4], digits[c & 0xF]});
}

// One clause's verb applied to `v`: an error value, or null when it went well.
Value applyClause(char verb, int precision, const Value& v, std::string& out, size_t limit) {
  const VK k = v.kind();
  switch (verb) {
    case 's':
      return appendText(v, out, limit);
    case 'd':
      if (k == VK::kInt) out += std::to_string(v.asInt());
      if (k == VK::kDouble) appendDouble(v.asDouble(), out);
      if (k == VK::kInt || k == VK::kDouble) return Value();
      return failed("decimal clause can only be used on integers, was given " + typeName(v));
    case 'f':
    case 'e':
      if (appendFloat(v, verb, precision, out)) return Value();
      return failed(std::string(verb == 'f' ? "fixed-point" : "scientific") +
                    " clause can only be used on doubles, was given " + typeName(v));
    case 'b':
      if (k == VK::kBool) out += v.asBool() ? "1" : "0";
      if (k == VK::kInt) appendInBase(v.asInt(), 2, false, out);
      if (k == VK::kBool || k == VK::kInt) return Value();
      return failed("only integers and bools can be formatted as binary, was given " + typeName(v));
    case 'o':
      if (k != VK::kInt)
        return failed("octal clause can only be used on integers, was given " + typeName(v));
      appendInBase(v.asInt(), 8, false, out);
      return Value();
    default:  // 'x' or 'X'
      if (k == VK::kInt) appendInBase(v.asInt(), 16, verb == 'X', out);
      if (k == VK::kString) appendHexBytes(v.asString(), verb == 'X', out);
      if (k == VK::kInt || k == VK::kString) return Value();
      return failed("only integers, byte buffers, and strings can be formatted as hex, was given " +
                    typeName(v));
  }
}

struct Clause {
  char verb = 0;
  int precision = 6;
  size_t end = 0;     // the offset just past the clause
  std::string error;  // "could not parse formatting clause: ..." when it is not one
};

// The clause after the '%' at `at` (which is not the format's last byte): [.precision]verb.
Clause parseClause(std::string_view f, size_t at) {
  Clause c;
  const auto bad = [&c](const std::string& why) {
    c.error = "could not parse formatting clause: " + why;
    return c;
  };
  size_t i = at + 1;
  if (f[i] == '.') {
    const size_t first = ++i;
    int64_t p = 0;  // saturates: anything over kMaxPrecision is refused alike
    for (; i < f.size() && f[i] >= '0' && f[i] <= '9'; ++i)
      p = std::min<int64_t>(p * 10 + (f[i] - '0'), 1000);
    const std::string digits(f.substr(first, i - first));
    if (i == f.size())
      return bad("error while parsing precision: could not find end of precision specifier");
    if (digits.empty()) return bad("error while parsing precision: no digits after '.'");
    if (p > kMaxPrecision)
      return bad("error while parsing precision: precision " + digits +
                 " exceeds maximum allowed precision " + std::to_string(kMaxPrecision));
    c.precision = static_cast<int>(p);
  }
  c.verb = f[i];
  size_t len = 1;  // the whole character, for the message, if it is not ASCII
  while (i + len < f.size() && (static_cast<unsigned char>(f[i + len]) & 0xC0) == 0x80) ++len;
  c.end = i + 1;
  if (std::string_view("sdfebxXo").find(c.verb) == std::string_view::npos)
    return bad("unrecognized formatting clause \"" + std::string(f.substr(i, len)) + "\"");
  return c;
}

}  // namespace

size_t builtStringLimit(size_t input_bytes) { return std::max(kBuiltStringFloor, 2 * input_bytes); }

Value tooLarge(const std::string& function, size_t limit) {
  return Value::error(function + "() would build a string over " + std::to_string(limit) +
                      " bytes (the bound is twice its inputs' size, and at least 1 MiB)");
}

Value formatFn(const Value* a, int n) {
  if (n != 2 || a[0].kind() != VK::kString || a[1].kind() != VK::kList)
    return errorNoOverload("format", a, n);
  const std::string_view f = a[0].asString();
  const ValueList& args = a[1].asList();
  size_t input = f.size();
  for (const Value& v : args)
    if (v.kind() == VK::kString) input += v.asString().size();
  const size_t limit = builtStringLimit(input);
  std::string out;
  size_t next = 0;  // the next argument
  for (size_t i = 0; i < f.size();) {
    const size_t percent = std::min(f.find('%', i), f.size());
    out.append(f.substr(i, percent - i));
    i = percent;
    if (i == f.size()) break;
    if (i + 1 < f.size() && f[i + 1] == '%') {
      out += '%';
      i += 2;
      continue;
    }
    if (next >= args.size()) return Value::error("index " + std::to_string(next) + " out of range");
    if (i + 1 == f.size()) return Value::error("unexpected end of string");
    const Clause c = parseClause(f, i);
    if (!c.error.empty()) return Value::error(c.error);
    Value problem = applyClause(c.verb, c.precision, args[next++], out, limit);
    if (problem.isError()) return problem;
    if (out.size() > limit) return tooLarge("format", limit);
    i = c.end;
  }
  if (out.size() > limit) return tooLarge("format", limit);
  return Value::string(std::move(out));
}

}  // namespace cspwatch::rules
