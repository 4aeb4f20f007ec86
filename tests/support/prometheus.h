// SPDX-License-Identifier: Apache-2.0
// A strict reader of the Prometheus text exposition format 0.0.4, for tests of /metrics: names,
// label escapes, HELP and TYPE before each family's samples, no duplicate series.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cspwatch::testing {

using LabelSet = std::map<std::string, std::string>;  // name -> unescaped value

// What the parser read: each family's TYPE and HELP, and every sample by name and labels.
struct Exposition {
  std::map<std::string, std::string> types, helps;
  std::map<std::pair<std::string, LabelSet>, double> samples;
  std::vector<std::string> errors;  // empty when the text follows the format

  std::optional<double> value(const std::string& name, const LabelSet& labels = {}) const {
    auto it = samples.find({name, labels});
    if (it == samples.end()) return std::nullopt;
    return it->second;
  }
  int count(const std::string& name) const {
    int n = 0;
    for (const auto& [key, v] : samples) n += key.first == name;
    return n;
  }
};

// Reads `text`; what breaks the format is listed in Exposition::errors.
Exposition parse(const std::string& text);

}  // namespace cspwatch::testing
