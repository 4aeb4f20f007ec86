// SPDX-License-Identifier: Apache-2.0
#include "rules/time_functions.h"

#include <optional>

#include "rules/cel_time.h"
#include "rules/time_zones.h"

namespace cspwatch::rules {

namespace {

using K = Type::Kind;
using VK = Value::Kind;

// Seconds east of UTC for "UTC", "+hh:mm", "-hh:mm" or "hh:mm"; nullopt for anything else.
std::optional<int64_t> zoneOffset(const std::string& zone) {
  if (zone == "UTC" || zone == "Z") return 0;
  size_t i = 0;
  int sign = 1;
  if (!zone.empty() && (zone[0] == '+' || zone[0] == '-')) {
    sign = zone[0] == '-' ? -1 : 1;
    i = 1;
  }
  auto digit = [&](size_t k) { return k < zone.size() && zone[k] >= '0' && zone[k] <= '9'; };
  if (zone.size() != i + 5 || !digit(i) || !digit(i + 1) || zone[i + 2] != ':' || !digit(i + 3) ||
      !digit(i + 4))
    return std::nullopt;
  const int hours = (zone[i] - '0') * 10 + (zone[i + 1] - '0');
  const int minutes = (zone[i + 3] - '0') * 10 + (zone[i + 4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return sign * (hours * 3600 + minutes * 60);
}

enum class Part {
  kFullYear,
  kMonth,
  kDate,
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kHours,
  kMinutes,
  kSeconds,
  kMilliseconds
};

Value durationPart(Part part, int64_t nanos) {
  switch (part) {
    case Part::kHours:
      return Value::integer(nanos / (3600 * kNanosPerSecond));
    case Part::kMinutes:
      return Value::integer(nanos / (60 * kNanosPerSecond));
    case Part::kSeconds:
      return Value::integer(nanos / kNanosPerSecond);
    default:  // CEL: the milliseconds within the second, not the whole duration's
      return Value::integer(nanos % kNanosPerSecond / 1000000);
  }
}

template <Part P>
Value accessor(const Value* a, int n) {
  if (a[0].kind() == VK::kDuration && n == 1 &&
      (P == Part::kHours || P == Part::kMinutes || P == Part::kSeconds || P == Part::kMilliseconds))
    return durationPart(P, a[0].asDurationNanos());
  if (a[0].kind() != VK::kTimestamp || (n == 2 && a[1].kind() != VK::kString))
    return errorNoOverload("time accessor", a, n);
  int64_t offset = 0;
  if (n == 2) {
    auto z = zoneOffset(a[1].asString());
    if (!z) z = namedZoneOffset(a[1].asString(), toUnixSeconds(a[0].asTimestamp()));
    if (!z)
      return Value::error("time zone '" + a[1].asString() +
                          "': not a zone of the tz database (such as \"Australia/Sydney\") nor "
                          "an offset (such as \"+10:00\")");
    offset = *z;
  }
  const CivilTime c = civilTime(a[0], offset);
  switch (P) {
    case Part::kFullYear:
      return Value::integer(c.year);
    case Part::kMonth:
      return Value::integer(c.month - 1);
    case Part::kDate:
      return Value::integer(c.day);
    case Part::kDayOfMonth:
      return Value::integer(c.day - 1);
    case Part::kDayOfWeek:
      return Value::integer(c.day_of_week);
    case Part::kDayOfYear:
      return Value::integer(c.day_of_year);
    case Part::kHours:
      return Value::integer(c.hour);
    case Part::kMinutes:
      return Value::integer(c.minute);
    case Part::kSeconds:
      return Value::integer(c.second);
    case Part::kMilliseconds:
      return Value::integer(c.nanos / 1000000);
  }
  return Value::null();
}

std::vector<Overload> timestampOverloads(bool duration_too) {
  std::vector<Overload> out = {{{K::kTimestamp}, K::kInt}, {{K::kTimestamp, K::kString}, K::kInt}};
  if (duration_too) out.push_back({{K::kDuration}, K::kInt});
  return out;
}

Function member(const char* name, bool duration_too, Value (*impl)(const Value*, int),
                const char* summary) {
  return {name, Function::Style::kMember, timestampOverloads(duration_too), impl, summary};
}

const std::vector<Function> kTimeFunctions = {
    member("getFullYear", false, accessor<Part::kFullYear>, "timestamp.getFullYear([zone]) -> int"),
    member("getMonth", false, accessor<Part::kMonth>,
           "timestamp.getMonth([zone]) -> int (0 for January)"),
    member("getDate", false, accessor<Part::kDate>,
           "timestamp.getDate([zone]) -> int (day of the month, from 1)"),
    member("getDayOfMonth", false, accessor<Part::kDayOfMonth>,
           "timestamp.getDayOfMonth([zone]) -> int (from 0)"),
    member("getDayOfWeek", false, accessor<Part::kDayOfWeek>,
           "timestamp.getDayOfWeek([zone]) -> int (0 for Sunday)"),
    member("getDayOfYear", false, accessor<Part::kDayOfYear>,
           "timestamp.getDayOfYear([zone]) -> int (from 0)"),
    member("getHours", true, accessor<Part::kHours>,
           "timestamp.getHours([zone]) -> int; duration.getHours() -> whole hours"),
    member("getMinutes", true, accessor<Part::kMinutes>,
           "timestamp.getMinutes([zone]) -> int; duration.getMinutes() -> whole minutes"),
    member("getSeconds", true, accessor<Part::kSeconds>,
           "timestamp.getSeconds([zone]) -> int; duration.getSeconds() -> whole seconds"),
    member("getMilliseconds", true, accessor<Part::kMilliseconds>,
           "timestamp.getMilliseconds([zone]) -> int; duration.getMilliseconds() -> the "
           "milliseconds within the second"),
};

}  // namespace

const std::vector<Function>& timeFunctions() { return kTimeFunctions; }

}  // namespace cspwatch::rules
