// SPDX-License-Identifier: Apache-2.0
// `cspwatch auth login` and `cspwatch auth status`.
#include "common/clock.h"
#include "common/file_util.h"
#include "common/text.h"
#include "daemon/app_config.h"
#include "daemon/cli.h"
#include "daemon/commands.h"
#include "msapi/device_login.h"
#include "msapi/token_provider.h"

namespace cspwatch::daemon {

namespace {

std::optional<AppConfig> configWithPartnerCenter(const CommandContext& ctx) {
  Diagnostics diags;
  auto cfg = loadConfig(ctx.config_path, diags);
  if (!cfg) {
    ctx.err << diags.renderText();
    return std::nullopt;
  }
  if (!cfg->partner_center) {
    ctx.err << "cspwatch: " << cfg->file << ": sources.partner_center is not configured\n";
    return std::nullopt;
  }
  return cfg;
}

}  // namespace

int authLogin(const CommandContext& ctx, std::optional<int> poll_seconds) {
  auto cfg = configWithPartnerCenter(ctx);
  if (!cfg) return kExitUsage;
  const auto& pc = *cfg->partner_center;
  if (pc.refresh_token_file.empty()) {
    ctx.err << "cspwatch: set sources.partner_center.refresh_token_file: the refresh token is "
               "stored there\n";
    return kExitUsage;
  }
  msapi::HttpClient http(
      msapi::withNetwork({cfg->network.proxy, cfg->network.no_proxy, cfg->network.ca_file}));
  msapi::Cancellation cancel;
  Status s = msapi::deviceLogin(
      {pc.login_url, cfg->partner.tenant_id, pc.client_id, pc.refresh_token_file, poll_seconds},
      http, cancel, [&](const std::string& message) { ctx.out << message << "\n"
                                                              << std::flush; });
  if (!s) {
    ctx.err << "cspwatch: " << s.message() << "\n";
    return kExitProblems;
  }
  ctx.out << "Signed in. The refresh token is stored in " << pc.refresh_token_file
          << " (mode 0600).\n";
  return kExitOk;
}

int authStatus(const CommandContext& ctx) {
  auto cfg = configWithPartnerCenter(ctx);
  if (!cfg) return kExitUsage;
  const auto& pc = *cfg->partner_center;
  msapi::Credentials c{pc.login_url,       pc.client_id,         "", pc.client_certificate_file,
                         pc.client_key_file, pc.refresh_token_file};
  std::string how = "certificate " + pc.client_certificate_file;
  if (pc.client_key_file.empty()) {
    if (!pc.client_secret_file.empty()) {
      auto secret = readWholeFile(pc.client_secret_file);
      if (!secret) {
        ctx.err << "cspwatch: " << secret.status().message() << "\n";
        return kExitProblems;
      }
      c.client_secret = std::string(trim(*secret));
      how = "client secret from " + pc.client_secret_file;
    } else if (const char* env = std::getenv(kClientSecretEnv)) {
      c.client_secret = env;
      how = std::string("client secret from $") + kClientSecretEnv;
    }
  }
  SystemClock clock;
  msapi::HttpClient http(
      msapi::withNetwork({cfg->network.proxy, cfg->network.no_proxy, cfg->network.ca_file}));
  msapi::TokenProvider tokens(c, http, clock);
  bool all_ok = true;
  auto report = [&](const std::string& what, const Result<std::string>& r) {
    ctx.out << (r ? "ok      " : "FAILED  ") << what;
    if (!r) ctx.out << ": " << r.status().message();
    ctx.out << "\n";
    all_ok = all_ok && r.isOk();
  };
  ctx.out << "app " << pc.client_id << " signing in with the " << how << "\n";
  report("Microsoft Graph, app-only, partner tenant",
         tokens.appToken(cfg->partner.tenant_id, msapi::Audience::kGraph));
  report("Partner Center, app-only",
         tokens.appToken(cfg->partner.tenant_id, msapi::Audience::kPartnerCenter));
  if (tokens.hasRefreshToken())
    report("Partner Center, App+User (refresh token " + pc.refresh_token_file + ")",
           tokens.userToken(cfg->partner.tenant_id, msapi::Audience::kPartnerCenter));
  else
    ctx.out << "-       Partner Center, App+User: no refresh_token_file configured\n";
  return all_ok ? kExitOk : kExitProblems;
}

}  // namespace cspwatch::daemon
