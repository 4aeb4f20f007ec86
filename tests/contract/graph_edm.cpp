// SPDX-License-Identifier: Apache-2.0
// The Edm literal forms the Graph checker applies (graph_schema.h, graph_check_util.h): GUIDs,
// dates and date-times with their offsets, OData durations, absolute links, short type names.
#include <cctype>
#include <string>

#include "tests/contract/graph_check_util.h"
#include "tests/contract/graph_schema.h"

namespace cspwatch::contract {

namespace {

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool digits(const std::string& s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

int number(const std::string& s, size_t pos, size_t n) { return std::stoi(s.substr(pos, n)); }

}  // namespace

// "YYYY-MM-DDTHH:MM:SS[.f+]" at the start of s; returns the position after it, or npos.
size_t dateTimePrefix(const std::string& s) {
  if (!(digits(s, 0, 4) && s.size() > 4 && s[4] == '-' && digits(s, 5, 2) && s[7] == '-' &&
        digits(s, 8, 2) && s.size() > 10 && (s[10] == 'T' || s[10] == 't') && digits(s, 11, 2) &&
        s.size() > 13 && s[13] == ':' && digits(s, 14, 2) && s.size() > 16 && s[16] == ':' &&
        digits(s, 17, 2)))
    return std::string::npos;
  const int month = number(s, 5, 2), day = number(s, 8, 2);
  const int hour = number(s, 11, 2), minute = number(s, 14, 2), second = number(s, 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::string::npos;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    size_t j = pos + 1;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == pos + 1) return std::string::npos;
    pos = j;
  }
  return pos;
}

bool offsetAt(const std::string& s, size_t pos) {
  if (pos + 1 == s.size() && (s[pos] == 'Z' || s[pos] == 'z')) return true;
  return pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && digits(s, pos + 1, 2) &&
         s[pos + 3] == ':' && digits(s, pos + 4, 2) && number(s, pos + 1, 2) <= 23 &&
         number(s, pos + 4, 2) <= 59;
}

bool isDate(const std::string& s) {
  return s.size() == 10 && digits(s, 0, 4) && s[4] == '-' && digits(s, 5, 2) && s[7] == '-' &&
         digits(s, 8, 2) && number(s, 5, 2) >= 1 && number(s, 5, 2) <= 12 && number(s, 8, 2) >= 1 &&
         number(s, 8, 2) <= 31;
}

bool isAbsoluteHttpUrl(const std::string& s) {
  for (const char* scheme : {"https://", "http://"})
    if (startsWith(s, scheme) && s.size() > std::string(scheme).size()) return true;
  return false;
}

std::string shortTypeName(const std::string& name) {
  std::string n = name;
  if (startsWith(n, "#")) n = n.substr(1);
  for (const char* prefix : {"microsoft.graph.", "graph."})
    if (startsWith(n, prefix)) return n.substr(std::string(prefix).size());
  return n;
}

bool isGuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

bool isDateTimeOffset(const std::string& s) {
  const size_t pos = dateTimePrefix(s);
  return pos != std::string::npos && offsetAt(s, pos);
}

bool isEdmDuration(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || s[i] != 'P') return false;
  ++i;
  auto component = [&](char unit, bool fraction) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i) return false;
    if (fraction && j < s.size() && s[j] == '.') {
      size_t k = j + 1;
      while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
      if (k == j + 1) return false;
      j = k;
    }
    if (j >= s.size() || s[j] != unit) return false;
    i = j + 1;
    return true;
  };
  bool any = component('D', false);
  if (i < s.size() && s[i] == 'T') {
    ++i;
    bool time = false;
    time |= component('H', false);
    time |= component('M', false);
    time |= component('S', true);
    if (!time) return false;
    any = true;
  }
  return any && i == s.size();
}

}  // namespace cspwatch::contract
