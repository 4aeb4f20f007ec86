// SPDX-License-Identifier: Apache-2.0
// `cspwatch rules check`, `rules test` and `rules list` (`rules eval`: cmd_rules_eval.cpp).
#include <memory>
#include <set>

#include <CLI/CLI.hpp>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/diagnostics_json.h"
#include "cli/partner_account.h"
#include "cli/rule_tests.h"
#include "cli/table.h"
#include "common/file_util.h"
#include "common/text.h"
#include "config/app_config.h"
#include "config/rule_files.h"
#include "tenants/tenant_json.h"

namespace cspwatch::cli {

namespace {

// The paths given, or the configured ones (the partner account's). nullopt (after printing
// why) on a config error, or a missing or unknown --partner, when the configuration is needed:
// for the configured paths, or for the account --partner names.
std::optional<std::vector<std::string>> rulePaths(
    const CommandContext& ctx, const std::vector<std::string>& paths,
    std::optional<config::AppConfig>* config_out = nullptr) {
  if (!paths.empty() && config_out == nullptr) return paths;
  // The config is optional when paths are given and no account is named.
  auto cfg = paths.empty() || !ctx.partner.empty() ? loadAccount(ctx) : loadAccountQuietly(ctx);
  if (!cfg) {
    if (!paths.empty() && ctx.partner.empty()) return paths;
    return std::nullopt;
  }
  if (config_out != nullptr) *config_out = cfg;
  return paths.empty() ? cfg->rule_paths : paths;
}

// The name an unknown-macro or unknown-list diagnostic is about ("unknown name 'x'"), or "".
std::string unknownName(const Diagnostic& d) {
  if (d.code != "rules.unknown-variable" && d.code != "rules.unknown-list") return "";
  const size_t open = d.message.find('\'');
  const size_t close = d.message.find('\'', open + 1);
  return close == std::string::npos ? "" : d.message.substr(open + 1, close - open - 1);
}

// Rule files that were not checked but might define what the checked ones use: those of the
// configured rules.paths and those beside each file given, in that order.
std::vector<rules::RuleSource> otherRuleFiles(const CommandContext& ctx,
                                              const std::vector<std::string>& paths,
                                              const config::RuleFiles& checked) {
  std::vector<std::string> dirs;
  if (auto cfg = loadAccountQuietly(ctx)) dirs = cfg->rule_paths;
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) dirs.push_back(parentDirectory(p));
  }
  std::set<std::string> seen;
  for (const auto& s : checked.sources) seen.insert(s.name);
  std::vector<rules::RuleSource> out;
  for (const auto& dir : dirs)
    for (auto& s : config::findRuleFiles({dir}).sources)
      if (seen.insert(s.name).second) out.push_back(std::move(s));
  return out;
}

// The diagnostics of a rule set checked on its own (`rules check one.yaml`), where an unknown
// macro or list that another rule file defines says which file in its hint.
Diagnostics withDefiningFiles(const CommandContext& ctx, const std::vector<std::string>& paths,
                              const config::RuleFiles& checked, const Diagnostics& diags) {
  std::vector<rules::RuleSource> others;
  bool searched = false;
  Diagnostics out;
  for (const auto& s : checked.sources) out.addSource(s.name, s.text);
  for (Diagnostic d : diags.items()) {
    const std::string name = unknownName(d);
    if (!name.empty() && !paths.empty()) {
      if (!searched) others = otherRuleFiles(ctx, paths, checked);
      searched = true;
      for (const auto& file : others)
        for (const auto& def : rules::definitionsIn(file))
          if (def.name == name && def.is_list == (d.code == "rules.unknown-list") &&
              d.hint.find(" is defined in ") == std::string::npos)
            d.hint = std::string(def.is_list ? "list '" : "macro '") + name + "' is defined in " +
                     def.where.str() + ", which was not checked with this file: check them " +
                     "together (cspwatch rules check " + join(paths, " ") + " " + file.name + ")";
    }
    out.add(std::move(d));
  }
  return out;
}

}  // namespace

int rulesCheck(const CommandContext& ctx, const std::vector<std::string>& paths,
               OutputFormat format) {
  auto resolved = rulePaths(ctx, paths);
  if (!resolved) return kExitUsage;
  config::RuleFiles files = config::findRuleFiles(*resolved);
  rules::LoadResult result = config::loadRuleFiles(*resolved);
  result.diagnostics = withDefiningFiles(ctx, paths, files, result.diagnostics);
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

int rulesList(const CommandContext& ctx, const std::vector<std::string>& paths,
              OutputFormat format) {
  auto resolved = rulePaths(ctx, paths);
  if (!resolved) return kExitUsage;
  rules::LoadResult result = config::loadRuleFiles(*resolved);
  if (!result.ok()) {
    ctx.err << result.diagnostics.renderText() << join(*resolved, ", ")
            << ": the rule set has errors (cspwatch rules check)\n";
    return kExitProblems;
  }
  const auto& all = result.rules->rules();
  if (format == OutputFormat::kJson) {
    Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    doc->set("schema_version", 1);
    doc->set("rule_set", result.rules->hash());
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& r : all) {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("id", r.id);
      o->set("severity", rules::severityName(r.severity));
      o->set("enabled", r.enabled);
      Poco::JSON::Array::Ptr tags = new Poco::JSON::Array();
      for (const auto& t : r.tags) tags->add(t);
      o->set("tags", tags);
      o->set("file", r.site.file);
      o->set("line", r.site.line);
      o->set("title", r.title);
      list->add(o);
    }
    doc->set("rules", list);
    ctx.out << tenants::jsonText(doc, true) << "\n";
    return kExitOk;
  }
  Table table({{"ID", false, 4},
               {"SEVERITY", false, 8},
               {"ENABLED", false, 3},
               {"TAGS", true, 8, 1},
               {"FILE:LINE", false, 16},  // a location is of use only whole
               {"TITLE", true, 12, 1}});
  size_t enabled = 0;
  for (const auto& r : all) {
    enabled += r.enabled ? 1 : 0;
    table.addRow({r.id, rules::severityName(r.severity), r.enabled ? "yes" : "no",
                  join(r.tags, ","), r.site.file + ":" + std::to_string(r.site.line), r.title});
  }
  table.print(ctx.out);
  ctx.out << all.size() << " rule(s), " << enabled << " enabled\n";
  return kExitOk;
}

void registerRules(CLI::App& app, CommandRegistry& registry) {
  CLI::App* rules = app.add_subcommand("rules", "Check, test, list and try out rules");
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

  CLI::App* list = rules->add_subcommand(
      "list", "List the rules loaded: id, severity, enabled, tags, file:line, title");
  auto list_paths = std::make_shared<std::vector<std::string>>();
  list->add_option("paths", *list_paths, "Rule files or directories (default: rules.paths)");
  auto list_format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  addFormatOption(*list, *list_format, FormatChoices::kTableJson, "Output format: table or json");
  registry.add(list, [list_paths, list_format](const CommandContext& ctx) {
    return rulesList(ctx, *list_paths, *list_format);
  });
  registerRulesEval(*rules, registry);  // cmd_rules_eval.cpp
}

}  // namespace cspwatch::cli
