// SPDX-License-Identifier: Apache-2.0
// --partner NAME: the partner account of the configuration a command acts on
// (config::partnerConfig(), docs/cli.md#partner-accounts). Every command that reads one
// account's sources, rules or store loads the configuration through loadAccount(), so that all
// of them select the account, and refuse a missing or unknown --partner, alike; the commands
// that act on every account (`run`, `config check`, `scan --now`) refuse --partner instead.
#pragma once

#include <optional>
#include <string>

#include "cli/commands.h"
#include "config/app_config.h"

namespace cspwatch::cli {

// Loads the configuration at ctx.config_path and selects the account ctx.partner names: with
// one account configured --partner may be left out (or name it: "default" for a configuration
// without `partners:`); with several it is required. nullopt after writing why to ctx.err (the
// configuration's diagnostics; or --partner missing or unknown, with the accounts' names): the
// command then exits kExitUsage.
std::optional<config::AppConfig> loadAccount(const CommandContext& ctx);

// As loadAccount() for a command that the configuration only helps (`rules check PATH`):
// nothing is written, and nullopt when the configuration does not load or no account is
// selected.
std::optional<config::AppConfig> loadAccountQuietly(const CommandContext& ctx);

// For a command that acts on every account: true when --partner was not given; else false
// after writing to ctx.err that `command` takes no --partner and `why` (the command then exits
// kExitUsage).
bool withoutPartnerOption(const CommandContext& ctx, const std::string& command,
                          const std::string& why);

}  // namespace cspwatch::cli
