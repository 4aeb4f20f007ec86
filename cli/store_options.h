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

// How a command uses the database. kReadOnly commands (findings list/show, scans list/diff,
// suppress list, alerts outbox/preview) never create the database or migrate it.
enum class StoreAccess { kReadWrite, kReadOnly };

// The line read-only commands print (stderr) when there is nothing recorded yet.
inline constexpr const char* kNoScanYet =
    "no scan yet: run 'cspwatch scan --once' or start the service";

// Loads the configuration, selects the partner account (--partner: loadAccount()) and opens
// its database; problems are written to ctx.err. kReadOnly:
// when the database does not exist (or is empty), prints kNoScanYet and returns no store with
// exit code 0 (the command prints nothing); when it exists but holds no scan, prints
// kNoScanYet and returns the store (the command prints its empty result); an older schema is
// exit 1 with what upgrades it.
Opened openStore(const CommandContext& ctx, StoreAccess access = StoreAccess::kReadWrite);

// Reports `s` on ctx.err; returns kExitUsage for bad input or unknown ids, else kExitProblems.
int fail(const CommandContext& ctx, const Status& s);

}  // namespace cspwatch::cli
