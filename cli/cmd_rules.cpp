// SPDX-License-Identifier: Apache-2.0
// `cspwatch rules check` and `cspwatch rules test`.
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "cli/command_registry.h"
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

void registerRules(CLI::App& app, CommandRegistry& registry) {
  CLI::App* rules = app.add_subcommand("rules", "Check and test rule files");
  rules->require_subcommand(1);

  CLI::App* check = rules->add_subcommand(
      "check", "Load rule files and report every problem; exit 0 if clean, 1 if any error");
  auto check_paths = std::make_shared<std::vector<std::string>>();
  check->add_option("paths", *check_paths, "Rule files or directories (default: rules.paths)");
  auto format = std::make_shared<OutputFormat>(OutputFormat::kText);
  addFormatOption(*check, *format, FormatChoices::kTextJson, "Output format: text or json");
  registry.add(check, [check_paths, format](const CommandContext& ctx) {
    return rulesCheck(ctx, *check_paths, *format);
  });

  CLI::App* test = rules->add_subcommand(
      "test", "Run the rule tests (*.test.yaml) found in the paths; exit 0 if all pass");
  auto test_paths = std::make_shared<std::vector<std::string>>();
  test->add_option("paths", *test_paths, "Rule files or directories (default: rules.paths)");
  registry.add(test,
               [test_paths](const CommandContext& ctx) { return rulesTest(ctx, *test_paths); });
}

}  // namespace cspwatch::cli
