// SPDX-License-Identifier: Apache-2.0
// What the CLI commands share to reach the findings database: the store options from the
// configuration, and "load the config, open the store" with the standard error reporting.
#pragma once

#include <optional>

#include "cli/cli.h"
#include "cli/commands.h"
#include "config/app_config.h"
#include "storage/finding_store.h"

namespace cspwatch::cli {

struct Opened {
  std::optional<config::AppConfig> config;
  std::optional<storage::FindingStore> store;
  int exit_code = kExitOk;  // when store is empty: what the command should exit with
};

// Loads the configuration and opens its database; problems are written to ctx.err.
Opened openStore(const CommandContext& ctx);

// Reports `s` on ctx.err; returns kExitUsage for bad input or unknown ids, else kExitProblems.
int fail(const CommandContext& ctx, const Status& s);

}  // namespace cspwatch::cli
