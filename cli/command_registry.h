// SPDX-License-Identifier: Apache-2.0
// The command table of `cspwatch`. Each command has one registration function, in its
// cmd_<name> file, that adds its subcommand to the CLI11 app with the subcommands, options and
// help text under it, and tells the registry which handler runs each leaf (`tenants list`,
// `scan`); the layout of CLI11's "subcommands in files" example. runCli() (cli/cli.cpp) calls
// every registration in --help's order, parses, and runs the handler of the leaf that was given.
//
// Handlers run after parsing, not as CLI11 callbacks inside it: a handler's result is the exit
// code, logging is set up from the parsed options before it runs, and a usage error anywhere
// on the line is reported before any command starts. A registration keeps its options' values
// in a shared_ptr its handler holds, so they live as long as the registry.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace cspwatch::cli {

// Runs the parsed command; returns its exit code (cli/cli.h).
using Handler = std::function<int(const CommandContext&)>;

// The log level when --log-level is not given: commands log only problems, the service what
// it does.
enum class DefaultLog { kWarn, kInfo };

class CommandRegistry {
 public:
  struct Entry {
    const CLI::App* command;  // a leaf subcommand
    Handler handler;
    DefaultLog log;
  };

  // `handler` runs when `command`, a leaf subcommand of the app, is the one parsed.
  void add(const CLI::App* command, Handler handler, DefaultLog log = DefaultLog::kWarn);
  // The entry of the leaf that was parsed; null when none was (or before parsing).
  const Entry* chosen() const;

 private:
  std::vector<Entry> entries_;
};

// Adds `--format` to `command`, its value one of `choices` (matched ignoring case; shown as
// "--format table|json", anything else refused: cli/usage_hints.h). `format` must outlive parsing.
enum class FormatChoices { kTableJson, kTableJsonCsv, kTextJson };
CLI::Option* addFormatOption(CLI::App& command, OutputFormat& format, FormatChoices choices,
                             const std::string& help);

// One registration per command, each in the command's file.
void registerConfig(CLI::App& app, CommandRegistry& registry);   // cmd_config.cpp
void registerTenants(CLI::App& app, CommandRegistry& registry);  // cmd_tenants.cpp
void registerRules(CLI::App& app, CommandRegistry& registry);    // cmd_rules.cpp
// `rules eval`, under the `rules` subcommand registerRules() adds.
void registerRulesEval(CLI::App& rules, CommandRegistry& registry);  // cmd_rules_eval.cpp
void registerScan(CLI::App& app, CommandRegistry& registry);         // cmd_scan_options.cpp
void registerRun(CLI::App& app, CommandRegistry& registry);          // cmd_run.cpp
void registerFindings(CLI::App& app, CommandRegistry& registry);     // cmd_findings.cpp
void registerSuppress(CLI::App& app, CommandRegistry& registry);     // cmd_suppress.cpp
void registerScans(CLI::App& app, CommandRegistry& registry);        // cmd_scans.cpp
void registerAlerts(CLI::App& app, CommandRegistry& registry);       // cmd_alerts.cpp
void registerAuth(CLI::App& app, CommandRegistry& registry);         // cmd_auth.cpp
void registerCompletion(CLI::App& app, CommandRegistry& registry);   // completion.cpp (hidden)
void registerReport(CLI::App& app, CommandRegistry& registry);       // cmd_report.cpp
// `tenants show`, under the `tenants` subcommand registerTenants() adds.
void registerTenantsShow(CLI::App& tenants, CommandRegistry& registry);  // cmd_tenants_show.cpp

}  // namespace cspwatch::cli
