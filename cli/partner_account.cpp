// SPDX-License-Identifier: Apache-2.0
#include "cli/partner_account.h"

namespace cspwatch::cli {

std::optional<config::AppConfig> loadAccount(const CommandContext& ctx) {
  Diagnostics diags;
  auto cfg = config::loadConfig(ctx.config_path, diags);
  if (!cfg) {
    ctx.err << diags.renderText();
    return std::nullopt;
  }
  auto account = config::partnerConfig(*cfg, ctx.partner);
  if (!account) {
    ctx.err << "cspwatch: " << account.status().message() << "\n";
    return std::nullopt;
  }
  return std::move(account.value());
}

std::optional<config::AppConfig> loadAccountQuietly(const CommandContext& ctx) {
  Diagnostics ignored;
  auto cfg = config::loadConfig(ctx.config_path, ignored);
  if (!cfg) return std::nullopt;
  auto account = config::partnerConfig(*cfg, ctx.partner);
  if (!account) return std::nullopt;
  return std::move(account.value());
}

bool withoutPartnerOption(const CommandContext& ctx, const std::string& command,
                          const std::string& why) {
  if (ctx.partner.empty()) return true;
  ctx.err << "cspwatch: '" << command << "' takes no --partner: " << why << "\n";
  return false;
}

}  // namespace cspwatch::cli
