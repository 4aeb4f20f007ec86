// SPDX-License-Identifier: Apache-2.0
#include "rules/time_zones.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

namespace cspwatch::rules {

namespace {

struct Zone {
  std::vector<int64_t> transitions;  // UTC seconds, ascending
  std::vector<int> types;            // the offset index in force from each transition
  std::vector<int64_t> offsets;      // seconds east of UTC, by index
  std::string footer;                // POSIX TZ rule for times after the last transition
};

bool safeName(const std::string& zone) {
  if (zone.empty() || zone.size() > 64 || zone.front() == '/' || zone.back() == '/') return false;
  for (char c : zone)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+' && c != '-' &&
        c != '/')
      return false;
  return zone.find("//") == std::string::npos && zone.find('.') == std::string::npos;
}

int64_t bigEndian(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// RFC 8536: the version 2+ data block (64-bit times) after the version 1 block, then the footer.
std::optional<Zone> parseTzif(const std::string& b) {
  auto header = [&](size_t at, int64_t c[6]) {
    if (b.size() < at + 44 || b.compare(at, 4, "TZif") != 0) return false;
    for (int i = 0; i < 6; ++i) c[i] = bigEndian(b, at + 20 + 4 * i, 4);
    for (int i = 0; i < 6; ++i)
      if (c[i] < 0 || c[i] > 100000) return false;
    return true;
  };
  int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  if (!header(0, c) || b[4] < '2') return std::nullopt;
  const size_t v1 = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
  if (!header(v1, c) || c[4] == 0) return std::nullopt;
  size_t at = v1 + 44;
  const size_t need = c[3] * 9 + c[4] * 6 + c[5] + c[2] * 12 + c[1] + c[0];
  if (b.size() < at + need) return std::nullopt;
  Zone z;
  for (int64_t i = 0; i < c[3]; ++i) z.transitions.push_back(bigEndian(b, at + 8 * i, 8));
  at += c[3] * 8;
  for (int64_t i = 0; i < c[3]; ++i) {
    const int type = static_cast<unsigned char>(b[at + i]);
    if (type >= c[4]) return std::nullopt;
    z.types.push_back(type);
  }
  at += c[3];
  for (int64_t i = 0; i < c[4]; ++i) z.offsets.push_back(bigEndian(b, at + 6 * i, 4));
  at += need - c[3] * 9;
  const size_t end = b.find('\n', at + 1);
  if (at < b.size() && b[at] == '\n' && end != std::string::npos)
    z.footer = b.substr(at + 1, end - at - 1);
  return z;
}

std::shared_ptr<const Zone> loadZone(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Zone>> cache;  // unknown names: null
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  const char* dir = std::getenv("TZDIR");
  std::ifstream in(
      std::string(dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo") + "/" + name,
      std::ios::binary);
  std::shared_ptr<const Zone> zone;
  if (in) {
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (auto z = parseTzif(bytes.str())) zone = std::make_shared<const Zone>(std::move(*z));
  }
  if (cache.size() < 1000) cache[name] = zone;  // a bound: names come from rule files
  return zone;
}

// POSIX TZ pieces: a name ("AEST", "<+0545>"), an offset ("-10", "3:30", "+5:45:00").
bool skipName(const std::string& s, size_t& i) {
  if (i < s.size() && s[i] == '<') {
    const size_t close = s.find('>', i);
    if (close == std::string::npos) return false;
    i = close + 1;
    return true;
  }
  const size_t start = i;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  return i - start >= 3;
}

bool readClock(const std::string& s, size_t& i, int64_t& seconds) {  // [+-]hh[:mm[:ss]]
  int sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
  int64_t parts[3] = {0, 0, 0};
  for (int p = 0; p < 3; ++p) {
    const size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 3)
      parts[p] = parts[p] * 10 + (s[i++] - '0');
    if (i == start) return false;
    if (p == 2 || i >= s.size() || s[i] != ':') break;
    ++i;
  }
  seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

int64_t daysFromCivil(int64_t y, int64_t m, int64_t d) {  // Howard Hinnant's algorithm
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

// "Mm.w.d[/time]": the local time it names in `year`, as seconds since the epoch (local).
bool readRule(const std::string& s, size_t& i, int64_t year, int64_t& local) {
  if (i >= s.size() || s[i] != 'M') return false;
  ++i;
  int64_t f[3];
  for (int k = 0; k < 3; ++k) {
    if (k > 0 && (i >= s.size() || s[i++] != '.')) return false;
    const size_t start = i;
    f[k] = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 2)
      f[k] = f[k] * 10 + (s[i++] - '0');
    if (i == start) return false;
  }
  if (f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 5 || f[2] > 6) return false;
  int64_t at = 7200;
  if (i < s.size() && s[i] == '/' && !readClock(s, ++i, at)) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int64_t month_days = kDays[f[0] - 1] + (leap && f[0] == 2 ? 1 : 0);
  const int64_t first = daysFromCivil(year, f[0], 1);
  const int64_t weekday = ((first % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)
  int64_t day = 1 + (f[2] - weekday + 7) % 7 + (f[1] - 1) * 7;
  if (day > month_days) day -= 7;
  local = (first + day - 1) * 86400 + at;
  return true;
}

}  // namespace

std::optional<int64_t> posixZoneOffset(const std::string& rule, int64_t utc_seconds) {
  size_t i = 0;
  int64_t std_west = 0, dst_west = 0;
  if (!skipName(rule, i) || !readClock(rule, i, std_west)) return std::nullopt;
  if (i == rule.size()) return -std_west;  // no daylight saving time
  if (!skipName(rule, i)) return std::nullopt;
  dst_west = std_west - 3600;
  if (i < rule.size() && rule[i] != ',' && !readClock(rule, i, dst_west)) return std::nullopt;
  if (i >= rule.size() || rule[i++] != ',') return std::nullopt;
  const int64_t days = (utc_seconds - std_west) >= 0 ? (utc_seconds - std_west) / 86400
                                                     : ((utc_seconds - std_west) - 86399) / 86400;
  int64_t year = (days * 400) / 146097 + 1970;  // then corrected to the civil year
  while (daysFromCivil(year, 1, 1) > days) --year;
  while (daysFromCivil(year + 1, 1, 1) <= days) ++year;
  int64_t start_local = 0, end_local = 0;
  if (!readRule(rule, i, year, start_local) || i >= rule.size() || rule[i++] != ',' ||
      !readRule(rule, i, year, end_local) || i != rule.size())
    return std::nullopt;
  const int64_t start = start_local + std_west, end = end_local + dst_west;  // as UTC
  const bool dst = start < end ? utc_seconds >= start && utc_seconds < end
                               : !(utc_seconds >= end && utc_seconds < start);
  return -(dst ? dst_west : std_west);
}

std::optional<int64_t> namedZoneOffset(const std::string& zone, int64_t utc_seconds) {
  if (!safeName(zone)) return std::nullopt;
  const std::shared_ptr<const Zone> z = loadZone(zone);
  if (!z) return std::nullopt;
  const auto after = std::upper_bound(z->transitions.begin(), z->transitions.end(), utc_seconds);
  if (after == z->transitions.end() && !z->transitions.empty() && !z->footer.empty())
    return posixZoneOffset(z->footer, utc_seconds);
  if (after == z->transitions.begin()) return z->offsets.front();  // before the first: type 0
  return z->offsets[static_cast<size_t>(z->types[after - z->transitions.begin() - 1])];
}

}  // namespace cspwatch::rules
