// SPDX-License-Identifier: Apache-2.0
// The helpers every section reader shares (config/section_readers.h).
#include "config/section_readers.h"

#include "common/text.h"

namespace cspwatch::config::detail {

std::string ReadContext::path(const std::string& path) const {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

std::string hintFor(const std::string& word, const std::vector<std::string>& choices) {
  std::string dym = didYouMean(word, choices);
  return (dym.empty() ? "" : dym + " ") + "(one of: " + join(choices, ", ") + ")";
}

}  // namespace cspwatch::config::detail
