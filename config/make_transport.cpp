// SPDX-License-Identifier: Apache-2.0
// makeTransport (config/make_transport.h): the configured transport, with its secrets read.
#include "config/make_transport.h"

#include <map>

#include <sys/stat.h>

#include "alerts/graph_mail_transport.h"
#include "alerts/http_post_transport.h"
#include "alerts/smtp_transport.h"
#include "common/file_safety.h"
#include "common/file_util.h"
#include "common/text.h"
#include "msapi/configured_credentials.h"

namespace cspwatch::config {

Result<std::unique_ptr<alerts::Transport>> makeTransport(const AppConfig& cfg) {
  if (!cfg.alerts) return Status::invalidArgument("no 'alerts' section in " + cfg.file);
  const AlertsConfig& a = *cfg.alerts;
  if (a.transport == alerts::TransportKind::kFile) {
    // The directory is created on first use (0750: messages hold tenant details). Messages are
    // written in it by name, so it must be one nobody else can plant links or files in
    // (common/file_safety.h).
    if (Status s = makeDirectories(a.file_dir, 0750); !s) return s;
    if (Status s = checkPrivateDirectory(a.file_dir, "the mail directory (alerts.file.dir)"); !s)
      return s;
    return std::unique_ptr<alerts::Transport>(new alerts::FileTransport(a.file_dir));
  }
  if (a.transport == alerts::TransportKind::kGraph) {
    if (!cfg.partner_center)
      return Status::invalidArgument("'transport: graph' needs sources.partner_center");
    // GraphMailTransport::create checks the tenant id and uses it normalised.
    auto configured = msapi::configuredCredentials(*cfg.partner_center, cfg.partner.tenant_id);
    if (!configured) return configured.status();
    if (configured->missing_secret) return msapi::noClientSecret();
    auto t = alerts::GraphMailTransport::create(
        std::move(configured->credentials),
        alerts::GraphMailSettings{a.graph_mailbox, cfg.partner_center->graph_url,
                                  msapi::networkOptions(cfg.network)});
    if (!t) return t.status();
    return std::unique_ptr<alerts::Transport>(std::move(*t));
  }
  alerts::SmtpSettings s;
  s.host = a.smtp.host;
  s.port = a.smtp.port;
  s.tls = a.smtp.tls;
  s.username = a.smtp.username;
  if (!a.smtp.password_file.empty()) {
    auto pw =
        readSecretFile(a.smtp.password_file, "the SMTP password file (alerts.smtp.password_file)");
    if (!pw)
      return Status::invalidArgument("SMTP password file " + a.smtp.password_file +
                                     " cannot be used: " + pw.status().message());
    s.password = std::move(*pw);
  }
  s.envelope_from = a.smtp.envelope_from;
  s.ca_file = a.smtp.ca_file;
  s.timeout = std::chrono::duration_cast<std::chrono::seconds>(a.smtp.timeout);
  return std::unique_ptr<alerts::Transport>(new alerts::SmtpTransport(std::move(s)));
}

std::unique_ptr<alerts::Transport> makeOutputTransport(const AppConfig& cfg) {
  if (!cfg.alerts) return nullptr;
  std::map<std::string, alerts::HttpOutput> outputs;
  for (const auto& route : cfg.alerts->routes) {
    for (size_t i = 0; i < route.webhooks.size(); ++i) {
      const alerts::WebhookOutput& w = route.webhooks[i];
      alerts::HttpOutput out{alerts::kChannelWebhook, w.url, "", ""};
      auto secret = readSecretFile(w.secret_file, "the webhook secret file (secret_file)");
      if (!secret)
        out.unusable = "the webhook secret file " + w.secret_file +
                       " cannot be used: " + secret.status().message();
      else if (secret->empty())
        out.unusable = "the webhook secret file " + w.secret_file + " is empty";
      else
        out.secret = std::move(*secret);
      outputs[alerts::outputTarget(alerts::kChannelWebhook, route.name, i)] = std::move(out);
    }
    for (size_t i = 0; i < route.teams.size(); ++i)
      outputs[alerts::outputTarget(alerts::kChannelTeams, route.name, i)] = {
          alerts::kChannelTeams, route.teams[i].url, "", ""};
  }
  if (outputs.empty()) return nullptr;
  return std::make_unique<alerts::HttpPostTransport>(
      std::move(outputs), alerts::outputHttpOptions(msapi::networkOptions(cfg.network)));
}

}  // namespace cspwatch::config
