// SPDX-License-Identifier: Apache-2.0
// Finds and reads rule files for the pure rules engine. A path may be a file or a directory;
// a directory contributes its `*.yaml` files (not `*.test.yaml`, which are rule tests), sorted
// by name, not recursing. Paths apply in the order given, so later files may override earlier
// ones. Rule test files are found the same way.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/value.h"
#include "rules/rule_loader.h"

namespace cspwatch::config {

// A rule file larger than this is refused unread: the shipped ones are a few KiB, and parsing
// megabytes of YAML would take seconds and hundreds of MB.
inline constexpr size_t kMaxRuleFileBytes = size_t{1} << 20;

struct RuleFiles {
  std::vector<rules::RuleSource> sources;  // rule files, in load order
  std::vector<std::string> test_files;     // *.test.yaml files
  Diagnostics problems;                    // paths that do not exist or cannot be read
};

RuleFiles findRuleFiles(const std::vector<std::string>& paths);

// findRuleFiles() then loadRules() with the tenant model; file problems come first in the
// result's diagnostics and make it fail.
rules::LoadResult loadRuleFiles(const std::vector<std::string>& paths);

}  // namespace cspwatch::config
