// SPDX-License-Identifier: Apache-2.0
// `cspwatch config check`.
#include "daemon/app_config.h"
#include "daemon/cli.h"
#include "daemon/commands.h"

namespace cspwatch::daemon {

int configCheck(const CommandContext& ctx) {
  Diagnostics diags;
  auto cfg = loadConfig(ctx.config_path, diags);
  if (!cfg) {
    ctx.err << diags.renderText();
    ctx.err << ctx.config_path << ": " << diags.errorCount() << " error(s)\n";
    return kExitUsage;
  }
  Diagnostics env = checkEnvironment(*cfg);
  if (!env.empty()) {
    ctx.err << env.renderText();
    ctx.err << ctx.config_path << ": valid, but " << env.items().size()
            << " file(s) it names cannot be used\n";
    return kExitProblems;
  }
  ctx.out << ctx.config_path << ": OK\n";
  return kExitOk;
}

}  // namespace cspwatch::daemon
