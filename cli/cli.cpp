// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <cstdlib>

#include <CLI/CLI.hpp>

#include "cli/command_registry.h"
#include "cli/table.h"
#include "cli/usage_hints.h"
#include "common/file_safety.h"
#include "common/logging.h"
#include "common/version.h"
#include "config/app_config.h"

namespace cspwatch::cli {

namespace {

using Registration = void (*)(CLI::App& app, CommandRegistry& registry);

// Every command, in the order --help lists them.
constexpr Registration kCommands[] = {
    registerConfig, registerTenants,  registerRules,    registerScan,
    registerRun,    registerFindings, registerSuppress, registerScans,
    registerAlerts, registerAuth,     registerReport,
};

// The options any command takes, before or after its name.
struct GlobalOptions {
  std::string config_path;
  std::string partner;
  std::string log_level = "warn";
  CLI::Option* log_level_option = nullptr;
  bool wide = false;  // tables with every cell whole, even on a terminal
};

void addGlobalOptions(CLI::App& app, GlobalOptions& global) {
  const char* env_config = std::getenv("CSPWATCH_CONFIG");
  global.config_path = env_config != nullptr ? env_config : config::kDefaultConfigPath;
  app.add_option("-c,--config", global.config_path, "Configuration file (env CSPWATCH_CONFIG)")
      ->capture_default_str();
  app.add_option("--partner", global.partner,
                 "The partner account to act on, by its name in the configuration's 'partners' "
                 "(needed when it has several)");
  global.log_level_option =
      app.add_option("--log-level", global.log_level,
                     "Log detail on stderr: trace, debug, info, warn or error")
          ->capture_default_str();
  withChoices(global.log_level_option, {"trace", "debug", "info", "warn", "error"});
  app.add_flag("--wide", global.wide,
               "Tables with every cell whole, even on a terminal (a pipe or a file always gets "
               "them whole)");
}

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "cspwatch: checks every customer tenant of a Microsoft CSP partner for the "
      "problems that cost credit or access, and tells the admins.",
      "cspwatch"};
  app.set_version_flag("--version", std::string("cspwatch ") + kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // --config may follow the subcommand too
  GlobalOptions global;
  addGlobalOptions(app, global);
  CommandRegistry registry;
  for (Registration add : kCommands) add(app, registry);
  registerCompletion(app, registry);  // hidden from --help: the .deb installs its scripts

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      app.exit(e, out, err);
      return kExitOk;
    }
    // CLI11 names the first rule the line broke ("A subcommand is required"); say which word
    // it could not place and the nearest one it knows, when there is one.
    std::string message = explainUsageError(app, std::vector<std::string>(argv + 1, argv + argc));
    if (message.empty()) message = tidyValidationMessage(e.what());
    err << "cspwatch: " << message << "\n"
        << "Run 'cspwatch --help' (or add --help after a subcommand) for usage.\n";
    return kExitUsage;
  }

  // A refusal that says "run it as the directory's owner" repeats this line to copy.
  setCommandLineForHints(std::vector<std::string>(argv + 1, argv + argc));
  const CommandRegistry::Entry* command = registry.chosen();
  if (command != nullptr && command->log == DefaultLog::kInfo &&
      global.log_level_option->count() == 0)
    global.log_level = "info";
  setupLogging({spdlog::level::from_str(global.log_level), false});
  setTableWidth(global.wide ? kNoWidthLimit : outputWidth());
  if (command == nullptr) {
    err << "cspwatch: no command given; run 'cspwatch --help'\n";
    return kExitUsage;
  }
  return command->handler(CommandContext{out, err, global.config_path, global.partner});
}

}  // namespace cspwatch::cli
