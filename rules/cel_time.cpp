// SPDX-License-Identifier: Apache-2.0
// Hand-written: C++17 has no calendar arithmetic, and the ranges and the nanosecond arithmetic
// are CEL's own (the checks are the point; no date library in our Debian set does them).
#include "rules/cel_time.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "common/time.h"

namespace cspwatch::rules {

namespace {

// gcc and clang: wide enough for any sum of two in-range values (__extension__: -Wpedantic).
__extension__ using Int128 = __int128;

Value outOfRange(const std::string& what) {
  return Value::error(what +
                      " out of range: timestamps run from 0001-01-01T00:00:00Z to "
                      "9999-12-31T23:59:59.999999999Z, durations to about 292 years");
}

Value fromNanos(Int128 total) {
  if (total > INT64_MAX || total < INT64_MIN) return outOfRange("duration");
  return Value::durationNanos(static_cast<int64_t>(total));
}

Int128 timestampNanos(const Value& t) {
  return static_cast<Int128>(toUnixSeconds(t.asTimestamp())) * kNanosPerSecond + t.timestampNanos();
}

Value timestampFromNanos(Int128 total) {
  Int128 secs = total / kNanosPerSecond, nanos = total % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    secs -= 1;
  }
  if (secs < kMinTimestampSeconds || secs > kMaxTimestampSeconds) return outOfRange("timestamp");
  return Value::timestamp(fromUnixSeconds(static_cast<int64_t>(secs)), static_cast<int32_t>(nanos));
}

// The fraction of a second in RFC 3339 text: the digits after the '.' that follows the time of
// day (common/time.h reads the rest and drops these). Digits past the ninth are dropped.
int64_t fractionOf(const std::string& text) {
  const size_t time = text.find_first_of("Tt ");
  if (time == std::string::npos) return 0;
  const size_t dot = text.find('.', time);
  if (dot == std::string::npos) return 0;
  int64_t nanos = 0;
  int digits = 0;
  for (size_t i = dot + 1; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
    if (digits < 9) {
      nanos = nanos * 10 + (text[i] - '0');
      ++digits;
    }
  for (; digits < 9; ++digits) nanos *= 10;
  return nanos;
}

// The unit at the start of `s` in nanoseconds, and its length; 0 if none. Longest match first
// ("ms" before "m"); "µs" in either code point (U+00B5, U+03BC), as Go's time package takes.
int64_t unitAt(std::string_view s, size_t& length) {
  static const struct {
    const char* name;
    int64_t nanos;
  } kUnits[] = {{"ns", 1},
                {"us", 1000},
                {"\xC2\xB5s", 1000},
                {"\xCE\xBCs", 1000},
                {"ms", 1000000},
                {"s", kNanosPerSecond},
                {"m", 60 * kNanosPerSecond},
                {"h", 3600 * kNanosPerSecond},
                {"d", 86400 * kNanosPerSecond},
                {"w", 604800 * kNanosPerSecond}};
  for (const auto& u : kUnits) {
    std::string_view name = u.name;
    if (s.substr(0, name.size()) == name) {
      length = name.size();
      return u.nanos;
    }
  }
  return 0;
}

// CEL's (Go's) duration text after the sign: numbers with units. nullopt-like: false when it
// is not that form; `range` set when it is, but too large.
bool parseUnits(std::string_view s, Int128& total, bool& range) {
  if (s == "0") return true;
  if (s.empty()) return false;
  while (!s.empty()) {
    Int128 whole = 0, frac = 0, scale = 1;
    size_t i = 0, digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      whole = whole * 10 + (s[i] - '0');
      // INT64_MAX + 1 still fits once negated (-9223372036854775808ns); fromNanos() decides.
      if (whole > static_cast<Int128>(INT64_MAX) + 1) range = true;
      if (range) whole = static_cast<Int128>(INT64_MAX) + 1;  // keep scanning: may be malformed
    }
    if (i < s.size() && s[i] == '.') {
      for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits)
        if (scale < static_cast<Int128>(1000000000000000000LL)) {
          frac = frac * 10 + (s[i] - '0');
          scale *= 10;
        }
    }
    size_t unit_length = 0;
    const int64_t unit = unitAt(s.substr(i), unit_length);
    if (digits == 0 || unit == 0) return false;
    total += whole * unit + frac * unit / scale;
    if (total > static_cast<Int128>(INT64_MAX) + 1) range = true;
    if (range) total = static_cast<Int128>(INT64_MAX) + 1;
    s.remove_prefix(i + unit_length);
  }
  return true;
}

}  // namespace

Value makeTimestamp(int64_t seconds, int64_t nanos) {
  return timestampFromNanos(static_cast<Int128>(seconds) * kNanosPerSecond + nanos);
}

Value parseCelTimestamp(const std::string& text) {
  // A year of five digits or more is RFC 3339 in form but past the range ("10000-01-01...").
  size_t year_digits = 0;
  while (year_digits < text.size() && text[year_digits] >= '0' && text[year_digits] <= '9')
    ++year_digits;
  if (year_digits > 4 && year_digits < text.size() && text[year_digits] == '-')
    return Value::error("timestamp('" + text + "'): " + outOfRange("timestamp").errorMessage());
  auto t = parseTimestamp(text);
  if (!t) return Value::error("timestamp('" + text + "'): not an RFC 3339 time");
  Value v = makeTimestamp(toUnixSeconds(*t), fractionOf(text));
  if (v.isError()) return Value::error("timestamp('" + text + "'): " + v.errorMessage());
  return v;
}

Value parseCelDuration(const std::string& text) {
  std::string_view s = text;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  Int128 total = 0;
  bool range = false;
  bool ok;
  if (!s.empty() && s[0] == 'P') {  // ISO 8601, as Graph writes GDAP durations
    auto d = parseDuration(s);
    ok = d.has_value();
    if (ok) total = static_cast<Int128>(d->count()) * kNanosPerSecond;
  } else {
    ok = parseUnits(s, total, range);
  }
  if (!ok)
    return Value::error("duration('" + text +
                        "'): not a duration such as \"1h30m\", \"1.5s\", \"30d\" or \"P30D\"");
  Value v = fromNanos(negative ? -total : total);
  if (range || v.isError())
    return Value::error("duration('" + text + "'): " + outOfRange("duration").errorMessage());
  return v;
}

std::string celDoubleText(double d) {
  // Go's strconv.FormatFloat(d, 'g', -1, 64), which cel-go's string() uses: the fewest
  // significant digits that read back exactly; exponent form below 1e-4 or from 1e6 on
  // (strconv's "shortest" precision decides as precision 6 would).
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[40];
  int precision = 1;
  for (; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision - 1, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::snprintf(buf, sizeof buf, "%.*e", precision - 1, d);
  const int exponent = std::atoi(std::strchr(buf, 'e') + 1);
  if (exponent < -4 || exponent >= 6) return buf;
  std::snprintf(buf, sizeof buf, "%.*f", std::max(precision - 1 - exponent, 0), d);
  return buf;
}

std::string celTimeText(const Value& v) {
  if (v.kind() == Value::Kind::kDuration) return durationSeconds(v.asDurationNanos());
  if (v.kind() == Value::Kind::kDouble) return celDoubleText(v.asDouble());
  const CivilTime c = civilTime(v, 0);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf + fractionDigits(c.nanos) + "Z";
}

Value timestampPlus(const Value& timestamp, int64_t duration_nanos, bool minus) {
  return timestampFromNanos(timestampNanos(timestamp) +
                            (minus ? -static_cast<Int128>(duration_nanos) : duration_nanos));
}

Value timestampDifference(const Value& a, const Value& b) {
  return fromNanos(timestampNanos(a) - timestampNanos(b));
}

Value durationSum(int64_t a, int64_t b, bool minus) {
  return fromNanos(static_cast<Int128>(a) + (minus ? -static_cast<Int128>(b) : b));
}

Value durationNegate(int64_t nanos) { return fromNanos(-static_cast<Int128>(nanos)); }

int compareTimestamps(const Value& a, const Value& b) {
  const Int128 x = timestampNanos(a), y = timestampNanos(b);
  return x < y ? -1 : x > y;
}

CivilTime civilTime(const Value& timestamp, int64_t offset_seconds) {
  const int64_t secs = toUnixSeconds(timestamp.asTimestamp()) + offset_seconds;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const int64_t rest = secs - days * 86400;
  CivilTime c{};
  c.hour = static_cast<int>(rest / 3600);
  c.minute = static_cast<int>(rest / 60 % 60);
  c.second = static_cast<int>(rest % 60);
  c.nanos = timestamp.timestampNanos();
  c.day_of_week = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  // Howard Hinnant's civil_from_days.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  static const int kBefore[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  const bool leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
  c.day_of_year = kBefore[c.month - 1] + c.day - 1 + (leap && c.month > 2 ? 1 : 0);
  return c;
}

}  // namespace cspwatch::rules
