// SPDX-License-Identifier: Apache-2.0
// `cspwatch config check`: the configuration's own validity (config/), then what the next scan
// needs on this machine (cli/config_checks.h).
#include <algorithm>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/config_checks.h"
#include "cli/partner_account.h"
#include "common/file_util.h"
#include "config/app_config.h"

namespace cspwatch::cli {

namespace {

// With partners: each account and where its store is, after the OK line.
void printAccounts(const CommandContext& ctx, const config::AppConfig& cfg) {
  if (cfg.partners.empty()) return;
  ctx.out << cfg.partners.size() << " partner account(s), each with its own store:\n";
  for (const config::AppConfig& account : config::partnerConfigs(cfg))
    ctx.out << "  " << account.partner_name << ": " << config::storeDescription(account) << "\n";
}

}  // namespace

int configCheck(const CommandContext& ctx) {
  if (!withoutPartnerOption(ctx, "config check",
                            "it checks every partner account of the configuration"))
    return kExitUsage;
  Diagnostics diags;
  auto cfg = config::loadConfig(ctx.config_path, diags);
  if (!cfg) {
    ctx.err << diags.renderText();
    ctx.err << ctx.config_path << ": " << diags.errorCount() << " error(s)\n";
    return kExitUsage;
  }
  // The configuration was just read whole; reading it again for positions cannot fail
  // differently in any way that matters (a file changed meanwhile gives no positions).
  auto text = readWholeFile(ctx.config_path, config::kMaxConfigBytes);
  const Diagnostics found = checkNextScan(*cfg, text ? *text : std::string());
  // What would stop the next scan makes the configuration unusable here (exit 1); a secret
  // others can read, a port in use or a rule's lint warning is a warning only.
  const auto blocking = static_cast<size_t>(
      std::count_if(found.items().begin(), found.items().end(), blocksNextScan));
  if (!found.empty()) ctx.err << found.renderText();
  if (blocking > 0) {
    ctx.err << ctx.config_path << ": valid, but " << blocking
            << " problem(s) would stop the next scan\n";
    return kExitProblems;
  }
  if (!found.empty()) {
    ctx.out << ctx.config_path << ": OK, with " << found.items().size() << " warning(s)\n";
    printAccounts(ctx, *cfg);
    return kExitOk;
  }
  ctx.out << ctx.config_path << ": OK\n";
  printAccounts(ctx, *cfg);
  return kExitOk;
}

void registerConfig(CLI::App& app, CommandRegistry& registry) {
  CLI::App* config = app.add_subcommand("config", "Work with the configuration file");
  config->require_subcommand(1);
  CLI::App* check = config->add_subcommand(
      "check",
      "Validate the configuration and what the next scan needs here (storage, rules, "
      "templates, credential files, host names, the HTTP port); exit 0 if clean or only "
      "warnings, 1 if the next scan would fail, 2 if it is invalid");
  registry.add(check, [](const CommandContext& ctx) { return configCheck(ctx); });
}

}  // namespace cspwatch::cli
