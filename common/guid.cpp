// SPDX-License-Identifier: Apache-2.0
#include "common/guid.h"

#include "common/text.h"

namespace cspwatch {

bool isGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> normalizeGuid(std::string_view s) {
  s = trim(s);
  if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  if (!isGuid(s)) return std::nullopt;
  return toLowerAscii(s);
}

}  // namespace cspwatch
