// SPDX-License-Identifier: Apache-2.0
// `cspwatch scan`'s command line: --once and --dry-run run the scan here (cli/cmd_scan.cpp);
// --now alone asks the running service to scan (cli/cmd_run.cpp).
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "common/time.h"

namespace cspwatch::cli {

namespace {

struct ScanCommandLine {
  ScanOptions options;
  std::string now;  // --now's time; "" when given without one
  CLI::Option* now_option = nullptr;
};

int runScanCommand(const CommandContext& ctx, ScanCommandLine& line) {
  if (line.now_option->count() > 0 && line.now.empty()) {
    if (line.options.once || line.options.dry_run) {
      ctx.err << "cspwatch: --now without a time asks the running daemon to scan; with --once "
                 "give it a time (--now 2026-11-25T00:00:00Z)\n";
      return kExitUsage;
    }
    if (!line.options.rules.empty() || !line.options.tenants.empty()) {
      ctx.err << "cspwatch: --rule and --tenant restrict a dry run here ('scan --once --dry-run "
                 "--rule R --tenant T'); the running service always scans every rule and "
                 "tenant, so 'scan --now' takes neither\n";
      return kExitUsage;
    }
    return scanNow(ctx);
  }
  if (!line.now.empty()) line.options.now = parseTimestamp(line.now);
  if ((!line.options.rules.empty() || !line.options.tenants.empty()) && !line.options.dry_run) {
    // A recording scan of some rules or tenants would resolve the open findings of the others.
    ctx.err << "cspwatch: --rule and --tenant need --dry-run: a recorded scan of some rules or "
               "tenants would mark the others' open findings resolved; use 'scan --once "
               "--dry-run --rule R --tenant T' to look, 'scan --once' to record\n";
    return kExitUsage;
  }
  return scan(ctx, line.options);
}

}  // namespace

void registerScan(CLI::App& app, CommandRegistry& registry) {
  CLI::App* scan_cmd = app.add_subcommand("scan", "Read every tenant and evaluate the rules");
  auto line = std::make_shared<ScanCommandLine>();
  scan_cmd->add_flag("--once", line->options.once, "Scan once and exit");
  scan_cmd->add_flag("--dry-run", line->options.dry_run,
                     "Print the outcome; store and send nothing");
  addFormatOption(*scan_cmd, line->options.format, FormatChoices::kTableJson,
                  "Output format: table or json");
  line->now_option =
      scan_cmd
          ->add_option("--now", line->now,
                       "Alone: ask the running daemon to scan now. With --once: evaluate as if "
                       "it were this RFC 3339 time")
          ->expected(0, 1)
          ->check([](const std::string& v) {
            return v.empty() || parseTimestamp(v)
                       ? std::string()
                       : "not an RFC 3339 time such as 2026-11-25T00:00:00Z: " + v;
          });
  scan_cmd->add_option("--rule", line->options.rules,
                       "With --once --dry-run: evaluate only this rule (repeatable)");
  scan_cmd->add_option("--tenant", line->options.tenants,
                       "With --once --dry-run: evaluate only this tenant: its id, name or default "
                       "domain (repeatable)");
  registry.add(scan_cmd, [line](const CommandContext& ctx) { return runScanCommand(ctx, *line); });
}

}  // namespace cspwatch::cli
