// SPDX-License-Identifier: Apache-2.0
// checkEnvironment(): what makes a valid configuration unusable on this machine
// (config/app_config.h).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>

#include "alerts/templates.h"
#include "config/app_config.h"

namespace cspwatch::config {

Diagnostics checkEnvironment(const AppConfig& cfg, const KeyLocator& at) {
  Diagnostics d;
  auto readable = [](const std::string& p) { return ::access(p.c_str(), R_OK) == 0; };
  auto where = [&](std::initializer_list<const char*> keys) {
    return at ? at(keys) : SourceLocation{cfg.file, 0, 0};
  };
  if (cfg.inventory && !readable(cfg.inventory->path))
    d.error("config.missing-file", where({"sources", "inventory", "path"}),
            "inventory file " + cfg.inventory->path + " cannot be read: " + std::strerror(errno),
            "check the path, or export the distributor's inventory there; the service reads it "
            "as its own user (cspwatch)");
  if (cfg.partner_center) {
    const auto& pc = *cfg.partner_center;
    if (pc.public_client) {
      // No secret: every call is made as the signed-in partner user.
    } else if (!pc.client_key_file.empty()) {
      const std::pair<const char*, const std::string*> files[] = {
          {"client_key_file", &pc.client_key_file},
          {"client_certificate_file", &pc.client_certificate_file}};
      for (const auto& [key, file] : files) {
        const std::string& f = *file;
        if (!readable(f))
          d.error("config.missing-file", where({"sources", "partner_center", key}),
                  "certificate file " + f + " cannot be read: " + std::strerror(errno),
                  "check the path and that the service's user can read it "
                  "(docs/operations.md#first-run)");
      }
    } else if (pc.client_secret_file.empty()) {
      if (std::getenv(kClientSecretEnv) == nullptr)
        d.error("config.missing-secret", where({"sources", "partner_center"}),
                std::string("no client secret: set client_secret_file or ") + kClientSecretEnv);
    } else if (!readable(pc.client_secret_file)) {
      d.error("config.missing-file", where({"sources", "partner_center", "client_secret_file"}),
              "client secret file " + pc.client_secret_file +
                  " cannot be read: " + std::strerror(errno),
              "write the app registration's secret there, mode 0600, owned by the service's "
              "user (docs/operations.md#first-run)");
    }
    if (!pc.refresh_token_file.empty() && !readable(pc.refresh_token_file))
      d.error("config.missing-file", where({"sources", "partner_center", "refresh_token_file"}),
              "refresh token file " + pc.refresh_token_file +
                  " cannot be read; run 'cspwatch auth login' to create it");
  }
  if (cfg.alerts) {
    const AlertsConfig& a = *cfg.alerts;
    if (auto t = alerts::MailTemplates::load(a.templates_dir); !t)
      d.error("config.bad-templates", where({"alerts", "templates_dir"}),
              "mail templates in " + a.templates_dir + ": " + t.status().message());
    const std::pair<const char*, const std::string*> files[] = {
        {"password_file", &a.smtp.password_file}, {"ca_file", &a.smtp.ca_file}};
    for (const auto& [key, file] : files) {
      const std::string& f = *file;
      if (a.transport == alerts::TransportKind::kSmtp && !f.empty() && !readable(f))
        d.error("config.missing-file", where({"alerts", "smtp", key}),
                "SMTP file " + f + " cannot be read: " + std::strerror(errno),
                "check the path and that the service's user can read it");
    }
  }
  if (!cfg.network.ca_file.empty() && !readable(cfg.network.ca_file))
    d.error("config.missing-file", where({"network", "ca_file"}),
            "network.ca_file " + cfg.network.ca_file + " cannot be read: " + std::strerror(errno),
            "check the path, or remove the key to use the system's CA certificates");
  for (const auto& p : cfg.rule_paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      d.error("config.missing-file", where({"rules", "paths"}),
              "rules path " + p + " does not exist",
              "fix the path in rules.paths, or create the directory (/etc/cspwatch/rules.d is "
              "the packaged one)");
  }
  return d;
}

}  // namespace cspwatch::config
