// SPDX-License-Identifier: Apache-2.0
#include "sim/http_types.h"

#include <Poco/URI.h>

#include "common/text.h"

namespace cspwatch::sim {

std::map<std::string, std::string> parseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  for (const auto& pair : split(body, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = pair.substr(0, eq),
                value = eq == std::string::npos ? "" : pair.substr(eq + 1);
    for (auto* s : {&key, &value}) {
      for (char& c : *s)
        if (c == '+') c = ' ';
      std::string decoded;
      Poco::URI::decode(*s, decoded);
      *s = decoded;
    }
    out[key] = value;
  }
  return out;
}

}  // namespace cspwatch::sim
