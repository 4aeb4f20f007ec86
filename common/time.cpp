// SPDX-License-Identifier: Apache-2.0
#include "common/time.h"

#include <cctype>
#include <cstdio>

namespace cspwatch {

namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}

bool isLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned daysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`; false if they are not all digits.
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<Timestamp> parseTimestamp(std::string_view s) {
  int year, month, day;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || static_cast<unsigned>(day) > daysInMonth(year, month))
    return std::nullopt;
  int64_t secs = daysFromCivil(year, month, day) * 86400;
  if (s.size() == 10) return fromUnixSeconds(secs);

  int hour, minute, second;
  if (s.size() < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, hour) ||
      s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second))
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: a leap second
  secs += hour * 3600 + minute * 60 + second;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {  // fraction: any number of digits, dropped
    size_t start = ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos == start) return std::nullopt;
  }
  if (pos == s.size()) return std::nullopt;  // no zone: ambiguous, refuse
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return fromUnixSeconds(secs);
  int oh, om;
  if ((s[pos] == '+' || s[pos] == '-') && s.size() == pos + 6 && digits(s, pos + 1, 2, oh) &&
      s[pos + 3] == ':' && digits(s, pos + 4, 2, om) && oh <= 23 && om <= 59) {
    int64_t offset = oh * 3600 + om * 60;
    return fromUnixSeconds(s[pos] == '+' ? secs - offset : secs + offset);
  }
  return std::nullopt;
}

std::string formatTimestamp(Timestamp t) {
  int64_t secs = toUnixSeconds(t);
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m,
                d, static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  return buf;
}

std::string formatDate(Timestamp t) { return formatTimestamp(t).substr(0, 10); }

std::optional<Seconds> parseDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  if (s[0] == 'P') {  // ISO 8601
    size_t pos = 1;
    bool in_time = false, any = false;
    while (pos < s.size()) {
      if (s[pos] == 'T') {
        if (in_time) return std::nullopt;
        in_time = true;
        ++pos;
        continue;
      }
      size_t start = pos;
      int64_t n = 0;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        n = n * 10 + (s[pos++] - '0');
        if (n > 1000000000) return std::nullopt;
      }
      if (pos == start || pos == s.size()) return std::nullopt;
      char unit = s[pos++];
      int64_t mult;
      if (!in_time && unit == 'Y')
        mult = 365 * 86400;
      else if (!in_time && unit == 'M')
        mult = 30 * 86400;
      else if (!in_time && unit == 'W')
        mult = 7 * 86400;
      else if (!in_time && unit == 'D')
        mult = 86400;
      else if (in_time && unit == 'H')
        mult = 3600;
      else if (in_time && unit == 'M')
        mult = 60;
      else if (in_time && unit == 'S')
        mult = 1;
      else
        return std::nullopt;
      int64_t part = 0;  // a huge or repeated component must not wrap around
      if (__builtin_mul_overflow(n, mult, &part) || __builtin_add_overflow(total, part, &total))
        return std::nullopt;
      any = true;
    }
    if (!any) return std::nullopt;
    return Seconds(total);
  }
  size_t pos = 0;
  while (pos < s.size()) {  // short form: (digits unit)+
    size_t start = pos;
    int64_t n = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      n = n * 10 + (s[pos++] - '0');
      if (n > 1000000000) return std::nullopt;
    }
    if (pos == start || pos == s.size()) return std::nullopt;
    char unit = s[pos++];
    int64_t mult;
    switch (unit) {
      case 'w':
        mult = 7 * 86400;
        break;
      case 'd':
        mult = 86400;
        break;
      case 'h':
        mult = 3600;
        break;
      case 'm':
        mult = 60;
        break;
      case 's':
        mult = 1;
        break;
      default:
        return std::nullopt;
    }
    total += n * mult;
  }
  return Seconds(total);
}

std::string formatDuration(Seconds d) {
  int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  const std::pair<int64_t, char> units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (auto [size, name] : units) {
    if (s >= size) {
      out += std::to_string(s / size) + name;
      s %= size;
    }
  }
  return out;
}

Timestamp fromUnixSeconds(int64_t s) { return Timestamp(Seconds(s)); }
int64_t toUnixSeconds(Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace cspwatch
