// SPDX-License-Identifier: Apache-2.0
#include "sim/profile.h"

#include <algorithm>

namespace cspwatch::sim {

uint64_t SimProfile::pick(const std::string& key, uint64_t n) const {
  // FNV-1a over the seed and the key: the same world, seed and request give the same answer.
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 29;
  return n == 0 ? 0 : h % n;
}

size_t SimProfile::pageSize(const std::string& key, size_t asked) const {
  const size_t ours = page_size > 0 ? static_cast<size_t>(page_size) : 2 + pick("page|" + key, 2);
  return asked > 0 ? std::min(asked, ours) : ours;
}

bool SimProfile::shortLink(const std::string& key) const {
  if (link_form == "v1") return false;
  if (link_form == "short") return true;
  return pick("link|" + key, 2) == 1;
}

}  // namespace cspwatch::sim
