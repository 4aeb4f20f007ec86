// SPDX-License-Identifier: Apache-2.0
#include "cli/store_options.h"

namespace cspwatch::cli {

Opened openStore(const CommandContext& ctx) {
  Opened o;
  Diagnostics diags;
  o.config = config::loadConfig(ctx.config_path, diags);
  if (!o.config) {
    ctx.err << diags.renderText();
    o.exit_code = kExitUsage;
    return o;
  }
  auto store = storage::FindingStore::open(o.config->storage_path, config::storeOptions(*o.config));
  if (!store) {
    ctx.err << "cspwatch: " << store.status().message() << "\n";
    o.exit_code = kExitProblems;
    return o;
  }
  o.store.emplace(std::move(store.value()));
  return o;
}

int fail(const CommandContext& ctx, const Status& s) {
  ctx.err << "cspwatch: " << s.message() << "\n";
  return s.code() == Status::Code::kInvalidArgument || s.code() == Status::Code::kNotFound
             ? kExitUsage
             : kExitProblems;
}

}  // namespace cspwatch::cli
