// SPDX-License-Identifier: Apache-2.0
#include "daemon/cli.h"

#include <cstdlib>
#include <map>

#include <CLI/CLI.hpp>

#include "common/time.h"
#include "daemon/app_config.h"
#include "daemon/commands.h"
#include "daemon/version.h"

namespace cspwatch::daemon {

namespace {

const std::map<std::string, OutputFormat> kTableJson = {{"table", OutputFormat::kTable},
                                                        {"json", OutputFormat::kJson}};
const std::map<std::string, OutputFormat> kTextJson = {{"text", OutputFormat::kText},
                                                       {"json", OutputFormat::kJson}};

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "cspwatch: checks every customer tenant of a Microsoft CSP partner for the "
      "problems that cost credit or access, and tells the admins.",
      "cspwatch"};
  app.set_version_flag("--version", std::string("cspwatch ") + kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // --config may follow the subcommand too

  const char* env_config = std::getenv("CSPWATCH_CONFIG");
  std::string config_path = env_config != nullptr ? env_config : kDefaultConfigPath;
  app.add_option("-c,--config", config_path, "Configuration file (env CSPWATCH_CONFIG)")
      ->capture_default_str();

  CLI::App* config = app.add_subcommand("config", "Work with the configuration file");
  config->require_subcommand(1);
  CLI::App* config_check = config->add_subcommand(
      "check",
      "Validate the configuration; exit 0 if clean, 1 if files it names are missing, "
      "2 if it is invalid");

  CLI::App* tenants =
      app.add_subcommand("tenants", "Look at the customer tenants the sources report");
  tenants->require_subcommand(1);
  CLI::App* tenants_list = tenants->add_subcommand("list", "List every tenant the sources know");
  OutputFormat list_format = OutputFormat::kTable;
  tenants_list->add_option("--format", list_format, "Output format: table or json")
      ->transform(CLI::CheckedTransformer(kTableJson, CLI::ignore_case));

  CLI::App* rules = app.add_subcommand("rules", "Check and test rule files");
  rules->require_subcommand(1);
  CLI::App* rules_check = rules->add_subcommand(
      "check", "Load rule files and report every problem; exit 0 if clean, 1 if any error");
  std::vector<std::string> check_paths;
  rules_check->add_option("paths", check_paths, "Rule files or directories (default: rules.paths)");
  OutputFormat check_format = OutputFormat::kText;
  rules_check->add_option("--format", check_format, "Output format: text or json")
      ->transform(CLI::CheckedTransformer(kTextJson, CLI::ignore_case));
  CLI::App* rules_test = rules->add_subcommand(
      "test", "Run the rule tests (*.test.yaml) found in the paths; exit 0 if all pass");
  std::vector<std::string> test_paths;
  rules_test->add_option("paths", test_paths, "Rule files or directories (default: rules.paths)");

  CLI::App* scan_cmd = app.add_subcommand("scan", "Read every tenant and evaluate the rules");
  ScanOptions scan_options;
  std::string scan_now;
  scan_cmd->add_flag("--once", scan_options.once, "Scan once and exit");
  scan_cmd->add_flag("--dry-run", scan_options.dry_run,
                     "Print the outcome; store and send nothing");
  scan_cmd->add_option("--format", scan_options.format, "Output format: table or json")
      ->transform(CLI::CheckedTransformer(kTableJson, CLI::ignore_case));
  scan_cmd->add_option("--now", scan_now, "Evaluate as if it were this RFC 3339 time")
      ->check([](const std::string& v) {
        return parseTimestamp(v) ? std::string()
                                 : "not an RFC 3339 time such as 2026-11-25T00:00:00Z: " + v;
      });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      app.exit(e, out, err);
      return kExitOk;
    }
    err << "cspwatch: " << e.what() << "\n"
        << "Run 'cspwatch --help' (or add --help after a subcommand) for usage.\n";
    return kExitUsage;
  }

  CommandContext ctx{out, err, config_path};
  if (config_check->parsed()) return configCheck(ctx);
  if (tenants_list->parsed()) return tenantsList(ctx, list_format);
  if (rules_check->parsed()) return rulesCheck(ctx, check_paths, check_format);
  if (rules_test->parsed()) return rulesTest(ctx, test_paths);
  if (scan_cmd->parsed()) {
    if (!scan_now.empty()) scan_options.now = parseTimestamp(scan_now);
    return scan(ctx, scan_options);
  }
  err << "cspwatch: no command given; run 'cspwatch --help'\n";
  return kExitUsage;
}

}  // namespace cspwatch::daemon
