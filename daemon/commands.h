// SPDX-License-Identifier: Apache-2.0
// The subcommands behind the CLI, one function each, callable from tests without a process.
// Each returns an exit code (daemon/cli.h) and writes results to `out`, problems to `err`.
#pragma once

#include <ostream>
#include <string>

namespace cspwatch::daemon {

struct CommandContext {
  std::ostream& out;
  std::ostream& err;
  std::string config_path;
};

enum class OutputFormat { kTable, kJson };

int configCheck(const CommandContext& ctx);
int tenantsList(const CommandContext& ctx, OutputFormat format);

}  // namespace cspwatch::daemon
