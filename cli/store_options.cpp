// SPDX-License-Identifier: Apache-2.0
#include "cli/store_options.h"

#include "cli/partner_account.h"

namespace cspwatch::cli {

Opened openStore(const CommandContext& ctx, StoreAccess access) {
  Opened o;
  o.config = loadAccount(ctx);
  if (!o.config) {
    o.exit_code = kExitUsage;
    return o;
  }
  const bool read_only = access == StoreAccess::kReadOnly;
  auto store = read_only ? config::openStoreReadOnly(*o.config) : config::openStore(*o.config);
  if (!store && read_only && store.status().code() == Status::Code::kNotFound) {
    ctx.err << "cspwatch: " << kNoScanYet << "\n";
    o.exit_code = kExitOk;
    return o;
  }
  if (!store) {
    ctx.err << "cspwatch: " << store.status().message() << "\n";
    o.exit_code = kExitProblems;
    return o;
  }
  if (read_only) {
    auto scans = store->listScans(1);
    if (scans && scans->empty()) ctx.err << "cspwatch: " << kNoScanYet << "\n";
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
