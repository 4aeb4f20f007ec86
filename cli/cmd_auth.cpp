// SPDX-License-Identifier: Apache-2.0
// `cspwatch auth login` and `cspwatch auth status` (its checks: cli/auth_checks.h).
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>
#include <Poco/UUIDGenerator.h>
#include <pthread.h>

#include "cli/auth_checks.h"
#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/partner_account.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/guid.h"
#include "common/redact.h"
#include "common/text.h"
#include "config/app_config.h"
#include "msapi/api_client.h"
#include "msapi/auth_code_login.h"
#include "msapi/configured_credentials.h"
#include "msapi/device_login.h"
#include "msapi/token_provider.h"

namespace cspwatch::cli {

namespace {

std::optional<config::AppConfig> configWithPartnerCenter(const CommandContext& ctx) {
  auto cfg = loadAccount(ctx);
  if (!cfg) return std::nullopt;
  if (!cfg->partner_center) {
    ctx.err << "cspwatch: " << cfg->file << ": sources.partner_center is not configured"
            << (cfg->partner_name != config::kDefaultPartner
                    ? " for partner '" + cfg->partner_name + "'"
                    : std::string())
            << "\n";
    return std::nullopt;
  }
  return cfg;
}

// SIGINT and SIGTERM end a waiting sign-in cleanly (nothing is stored) instead of killing the
// process: they are blocked here and taken by a thread with sigwait(), as in `cspwatch run`.
// The previous signal mask comes back at the end.
class SignalsCancel {
 public:
  explicit SignalsCancel(msapi::Cancellation& cancel) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    thread_ = std::thread([this, &cancel] {
      int sig = 0;
      while (sigwait(&signals_, &sig) == 0 && !done_.load()) cancel.cancel();
    });
  }
  ~SignalsCancel() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);  // wakes sigwait
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SignalsCancel(const SignalsCancel&) = delete;
  SignalsCancel& operator=(const SignalsCancel&) = delete;

 private:
  sigset_t signals_{}, previous_{};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// `auth login`'s options as given; the handler turns them into AuthLoginOptions.
struct LoginCommandLine {
  AuthLoginOptions options;
  int poll_seconds = -1;  // -1: not given
  std::string timeout = "10m";
};

void registerLogin(CLI::App& auth, CommandRegistry& registry) {
  CLI::App* login = auth.add_subcommand(
      "login",
      "Sign in once as the partner user (with MFA, in a browser) and store the refresh token: "
      "the authorization code with a loopback redirect, or the device code for a public client");
  auto line = std::make_shared<LoginCommandLine>();
  login
      ->add_option("--port", line->options.port,
                   "Port of the redirect listener on 127.0.0.1 (redirect URI "
                   "http://localhost:PORT/); 0: any free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  login->add_option("--timeout", line->timeout, "How long to wait for the sign-in (30s, 10m, 1h)")
      ->check([](const std::string& v) {
        auto d = parseDuration(v);
        return d && d->count() > 0 ? std::string() : "not a duration such as 10m or 600s: " + v;
      })
      ->capture_default_str();
  login->add_option("--poll-interval", line->poll_seconds,
                    "Device code only: seconds between polls (default: as the service says)");
  registry.add(login, [line](const CommandContext& ctx) {
    if (line->poll_seconds >= 0) line->options.poll_seconds = line->poll_seconds;
    line->options.timeout = *parseDuration(line->timeout);
    return authLogin(ctx, line->options);
  });
}

}  // namespace

int authLogin(const CommandContext& ctx, const AuthLoginOptions& options) {
  auto cfg = configWithPartnerCenter(ctx);
  if (!cfg) return kExitUsage;
  const auto& pc = *cfg->partner_center;
  if (pc.refresh_token_file.empty()) {
    ctx.err << "cspwatch: set sources.partner_center.refresh_token_file: the refresh token is "
               "stored there\n";
    return kExitUsage;
  }
  SystemClock clock;
  msapi::HttpClient http(msapi::withNetwork(msapi::networkOptions(cfg->network)));
  msapi::Cancellation cancel;
  auto tell = [&ctx](const std::string& message) { ctx.out << message << "\n" << std::flush; };
  Status s;
  if (pc.public_client) {
    // A public client: the device code, and no secret or assertion, now or on any refresh.
    msapi::DeviceLoginOptions d;
    d.login_url = pc.login_url;
    d.tenant = cfg->partner.tenant_id;
    d.client_id = pc.client_id;
    d.refresh_token_file = pc.refresh_token_file;
    d.partner_center_url = pc.partner_center_url;
    d.poll_seconds = options.poll_seconds;
    d.max_wait_seconds = static_cast<int>(options.timeout.count());
    SignalsCancel signals(cancel);
    s = msapi::deviceLogin(d, http, clock, cancel, tell);
  } else {
    // A confidential app (the Secure Application Model): the authorization code with PKCE and
    // a loopback redirect, redeemed with the app's secret or certificate.
    auto configured = msapi::configuredCredentials(pc, cfg->partner.tenant_id);
    if (configured && configured->missing_secret) configured = msapi::noClientSecret();
    if (!configured) {
      ctx.err << "cspwatch: " << configured.status().message() << "\n";
      return kExitProblems;
    }
    msapi::TokenProvider tokens(std::move(configured->credentials), http, clock, &cancel);
    msapi::AuthCodeLoginOptions a;
    a.port = options.port;
    a.timeout = options.timeout;
    a.paste_fd = options.paste_fd;
    SignalsCancel signals(cancel);
    s = msapi::authCodeLogin(a, tokens, clock, cancel, tell);
  }
  if (!s) {
    ctx.err << "cspwatch: " << redactSecrets(s.message()) << "\n";  // may quote Entra's words
    return kExitProblems;
  }
  ctx.out << "Signed in. The refresh token is stored in " << pc.refresh_token_file
          << " (mode 0600).\n";
  return kExitOk;
}

int authStatus(const CommandContext& ctx, const AuthStatusOptions& options) {
  auto cfg = configWithPartnerCenter(ctx);
  if (!cfg) return kExitUsage;
  std::string tenant;
  if (!options.tenant.empty()) {
    auto id = normalizeGuid(options.tenant);
    if (!id) {
      ctx.err << "cspwatch: --tenant must be a customer's tenant id (a GUID), found '"
              << printable(options.tenant) << "'\n";
      return kExitUsage;
    }
    tenant = *id;
  }
  const auto& pc = *cfg->partner_center;
  auto configured = msapi::configuredCredentials(pc, cfg->partner.tenant_id);
  if (!configured) {
    ctx.err << "cspwatch: " << configured.status().message() << "\n";
    return kExitProblems;
  }
  msapi::Credentials c = std::move(configured->credentials);
  const std::string how = configured->how;
  // The scan's client: the same tokens, pacing, retries and paging (scan/scan_runner.cpp).
  SystemClock clock;
  msapi::Cancellation cancel;
  msapi::HttpClient http(msapi::withNetwork(msapi::networkOptions(cfg->network)));
  msapi::TokenProvider tokens(c, http, clock, &cancel);
  msapi::ApiOptions api_options;
  api_options.correlation_id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  api_options.backoff_base = pc.backoff_base;
  api_options.pc_per_minute = pc.pc_requests_per_minute;
  api_options.graph_per_10s = pc.graph_requests_per_10s;
  msapi::ApiClient api(http, tokens, cancel, api_options);
  AuthCheckSettings settings;
  settings.partner_tenant_id = cfg->partner.tenant_id;
  settings.partner_center_url = pc.partner_center_url;
  settings.graph_url = pc.graph_url;
  settings.public_client = pc.public_client;
  settings.refresh_token_file = pc.refresh_token_file;
  settings.customer_tenant = tenant;
  settings.graph_mail = cfg->alerts && cfg->alerts->transport == alerts::TransportKind::kGraph;
  const auto rows = runAuthChecks(settings, tokens, api);
  if (options.format == OutputFormat::kJson)
    ctx.out << authChecksJson(pc.client_id, rows) << "\n";
  else
    printAuthChecks(ctx.out, "app " + pc.client_id + " signing in " + how, rows);
  return allRanOk(rows) ? kExitOk : kExitProblems;
}

void registerAuth(CLI::App& app, CommandRegistry& registry) {
  CLI::App* auth = app.add_subcommand("auth", "Partner Center and Graph credentials");
  auth->require_subcommand(1);
  registerLogin(*auth, registry);
  CLI::App* status = auth->add_subcommand(
      "status",
      "Call one endpoint per permission cspwatch needs and say what works, what is missing and "
      "how to fix it");
  auto options = std::make_shared<AuthStatusOptions>();
  addFormatOption(*status, options->format, FormatChoices::kTableJson, "table or json");
  status->add_option("--tenant", options->tenant,
                     "The customer tenant id of the per-tenant checks (default: the first "
                     "customer of the list)");
  registry.add(status, [options](const CommandContext& ctx) { return authStatus(ctx, *options); });
}

}  // namespace cspwatch::cli
