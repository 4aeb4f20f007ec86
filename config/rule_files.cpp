// SPDX-License-Identifier: Apache-2.0
#include "config/rule_files.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <sys/stat.h>

#include "common/file_util.h"
#include "common/text.h"
#include "tenants/tenant_value.h"

namespace cspwatch::config {

RuleFiles findRuleFiles(const std::vector<std::string>& paths) {
  RuleFiles out;
  auto add = [&](const std::string& path) {
    if (endsWith(path, ".test.yaml")) {
      out.test_files.push_back(path);
      return;
    }
    auto text = readWholeFile(path, kMaxRuleFileBytes);
    if (!text) {
      out.problems.error("rules.unreadable", {path, 0, 0}, text.status().message());
      return;
    }
    out.sources.push_back({path, std::move(text.value())});
  };
  for (const auto& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      out.problems.error("rules.unreadable", {path, 0, 0},
                         std::string("rule path does not exist: ") + std::strerror(errno),
                         "check rules.paths in the config, or the path given on the command line");
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      add(path);
      continue;
    }
    std::vector<std::string> names;
    if (DIR* dir = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (name.empty() || name[0] == '.' || !endsWith(name, ".yaml")) continue;
        names.push_back(name);
      }
      ::closedir(dir);
    } else {
      out.problems.error("rules.unreadable", {path, 0, 0},
                         std::string("cannot list the rule directory: ") + std::strerror(errno));
      continue;
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) add(path + (endsWith(path, "/") ? "" : "/") + name);
  }
  return out;
}

rules::LoadResult loadRuleFiles(const std::vector<std::string>& paths) {
  RuleFiles files = findRuleFiles(paths);
  if (files.sources.empty() && !files.problems.hasErrors())
    files.problems.error("rules.no-rules", {paths.empty() ? std::string() : paths.front(), 0, 0},
                         "no rule files found in " + join(paths, ", "),
                         std::any_of(paths.begin(), paths.end(),
                                     [](const std::string& p) { return endsWith(p, ".test.yaml"); })
                             ? "a .test.yaml file holds tests, not rules: give the directories "
                               "(or rule files) its rules are in too, e.g. 'cspwatch rules test "
                               "/etc/cspwatch/rules.d mydir'"
                             : "rule files end in .yaml (and not .test.yaml)");
  rules::LoadResult result = rules::loadRules(files.sources, {&tenants::tenantType()});
  if (files.problems.hasErrors()) {
    Diagnostics merged = files.problems;
    merged.append(result.diagnostics);
    result.diagnostics = merged;
    result.rules.reset();
  }
  return result;
}

}  // namespace cspwatch::config
