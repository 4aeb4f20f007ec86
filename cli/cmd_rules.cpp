// SPDX-License-Identifier: Apache-2.0
// `cspwatch rules check` and `cspwatch rules test`.
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/diagnostics_json.h"
#include "cli/rule_tests.h"
#include "common/text.h"
#include "config/app_config.h"
#include "config/rule_files.h"

namespace cspwatch::cli {

namespace {

// The paths given, or the configured ones. nullopt (after printing why) on a config error.
std::optional<std::vector<std::string>> rulePaths(
    const CommandContext& ctx, const std::vector<std::string>& paths,
    std::optional<config::AppConfig>* config_out = nullptr) {
  if (!paths.empty() && config_out == nullptr) return paths;
  Diagnostics diags;
  auto cfg = config::loadConfig(ctx.config_path, diags);
  if (!cfg) {
    if (!paths.empty()) return paths;  // the config is optional when paths are given
    ctx.err << diags.renderText();
    return std::nullopt;
  }
  if (config_out != nullptr) *config_out = cfg;
  return paths.empty() ? cfg->rule_paths : paths;
}

}  // namespace

int rulesCheck(const CommandContext& ctx, const std::vector<std::string>& paths,
               OutputFormat format) {
  auto resolved = rulePaths(ctx, paths);
  if (!resolved) return kExitUsage;
  config::RuleFiles files = config::findRuleFiles(*resolved);
  rules::LoadResult result = config::loadRuleFiles(*resolved);
  if (format == OutputFormat::kJson) {
    ctx.out << diagnosticsToJson(result.diagnostics) << "\n";
  } else {
    ctx.err << result.diagnostics.renderText();
    if (result.ok()) {
      size_t enabled = 0;
      for (const auto& r : result.rules->rules()) enabled += r.enabled ? 1 : 0;
      ctx.out << join(*resolved, ", ") << ": " << result.rules->rules().size() << " rules ("
              << enabled << " enabled) from " << files.sources.size() << " file(s), "
              << result.diagnostics.warningCount() << " warning(s)\n";
    } else {
      ctx.err << join(*resolved, ", ") << ": " << result.diagnostics.errorCount() << " error(s), "
              << result.diagnostics.warningCount() << " warning(s); the rule set is rejected\n";
    }
  }
  return result.ok() ? kExitOk : kExitProblems;
}

int rulesTest(const CommandContext& ctx, const std::vector<std::string>& paths) {
  std::optional<config::AppConfig> cfg;
  auto resolved = rulePaths(ctx, paths, &cfg);
  if (!resolved) return kExitUsage;
  RuleTestReport report = runRuleTests(*resolved, cfg ? &cfg->partner : nullptr);
  ctx.err << report.diagnostics.renderText();
  ctx.out << report.text;
  return report.ok() ? kExitOk : kExitProblems;
}

}  // namespace cspwatch::cli
