// SPDX-License-Identifier: Apache-2.0
#include "daemon/cli.h"

#include <cstdlib>
#include <map>

#include <CLI/CLI.hpp>

#include "daemon/app_config.h"
#include "daemon/commands.h"
#include "daemon/version.h"

namespace cspwatch::daemon {

namespace {

const std::map<std::string, OutputFormat> kTableJson = {{"table", OutputFormat::kTable},
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
  err << "cspwatch: no command given; run 'cspwatch --help'\n";
  return kExitUsage;
}

}  // namespace cspwatch::daemon
