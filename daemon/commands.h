// SPDX-License-Identifier: Apache-2.0
// The subcommands behind the CLI, one function each, callable from tests without a process.
// Each returns an exit code (daemon/cli.h) and writes results to `out`, problems to `err`.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/time.h"

namespace cspwatch::daemon {

struct CommandContext {
  std::ostream& out;
  std::ostream& err;
  std::string config_path;
};

enum class OutputFormat { kTable, kJson, kText };

int configCheck(const CommandContext& ctx);
int tenantsList(const CommandContext& ctx, OutputFormat format);

// `rules check [PATH...]`: PATHs default to the configured rules.paths. kText or kJson.
int rulesCheck(const CommandContext& ctx, const std::vector<std::string>& paths,
               OutputFormat format);
// `rules test [PATH...]`: runs the *.test.yaml files found in PATHs against the rules there.
int rulesTest(const CommandContext& ctx, const std::vector<std::string>& paths);

struct ScanOptions {
  bool once = false;
  bool dry_run = false;
  OutputFormat format = OutputFormat::kTable;
  std::optional<Timestamp> now;  // --now; the system clock otherwise
};
int scan(const CommandContext& ctx, const ScanOptions& options);

}  // namespace cspwatch::daemon
