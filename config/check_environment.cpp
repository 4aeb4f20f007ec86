// SPDX-License-Identifier: Apache-2.0
// checkEnvironment(): what makes a valid configuration unusable on this machine
// (config/app_config.h).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>

#include "alerts/templates.h"
#include "config/app_config.h"

namespace cspwatch::config {

namespace {

bool readableFile(const std::string& p) { return ::access(p.c_str(), R_OK) == 0; }

// One partner account's sources: the inventory file, and the app's secret, certificate or
// refresh token. `where` locates the account's keys; `label` starts its messages ("partner
// 'fabrikam': ", or "" for the one account configured at the top level).
void checkSourceFiles(const AppConfig& cfg, const KeyLocator& where, const std::string& label,
                      Diagnostics& d) {
  if (cfg.inventory && !readableFile(cfg.inventory->path))
    d.error("config.missing-file", where({"sources", "inventory", "path"}),
            label + "inventory file " + cfg.inventory->path +
                " cannot be read: " + std::strerror(errno),
            "check the path, or export the distributor's inventory there; the service reads it "
            "as its own user (cspwatch)");
  if (!cfg.partner_center) return;
  const auto& pc = *cfg.partner_center;
  if (pc.public_client) {
    // No secret: every call is made as the signed-in partner user.
  } else if (!pc.client_key_file.empty()) {
    const std::pair<const char*, const std::string*> files[] = {
        {"client_key_file", &pc.client_key_file},
        {"client_certificate_file", &pc.client_certificate_file}};
    for (const auto& [key, file] : files) {
      const std::string& f = *file;
      if (!readableFile(f))
        d.error("config.missing-file", where({"sources", "partner_center", key}),
                label + "certificate file " + f + " cannot be read: " + std::strerror(errno),
                "check the path and that the service's user can read it "
                "(docs/operations.md#first-run)");
    }
  } else if (pc.client_secret_file.empty()) {
    if (std::getenv(kClientSecretEnv) == nullptr)
      d.error("config.missing-secret", where({"sources", "partner_center"}),
              label + "no client secret: set client_secret_file or " + kClientSecretEnv);
  } else if (!readableFile(pc.client_secret_file)) {
    d.error("config.missing-file", where({"sources", "partner_center", "client_secret_file"}),
            label + "client secret file " + pc.client_secret_file +
                " cannot be read: " + std::strerror(errno),
            "write the app registration's secret there, mode 0600, owned by the service's "
            "user (docs/operations.md#first-run)");
  }
  if (!pc.refresh_token_file.empty() && !readableFile(pc.refresh_token_file))
    d.error("config.missing-file", where({"sources", "partner_center", "refresh_token_file"}),
            label + "refresh token file " + pc.refresh_token_file +
                " cannot be read; run 'cspwatch auth login" +
                (label.empty() ? "" : " --partner " + cfg.partner_name) + "' to create it");
}

// What every account shares: the mail templates and SMTP files, network.ca_file.
void checkSharedFiles(const AppConfig& cfg, const KeyLocator& where, Diagnostics& d) {
  if (cfg.alerts) {
    const AlertsConfig& a = *cfg.alerts;
    if (auto t = alerts::MailTemplates::load(a.templates_dir); !t)
      d.error("config.bad-templates", where({"alerts", "templates_dir"}),
              "mail templates in " + a.templates_dir + ": " + t.status().message());
    const std::pair<const char*, const std::string*> files[] = {
        {"password_file", &a.smtp.password_file}, {"ca_file", &a.smtp.ca_file}};
    for (const auto& [key, file] : files) {
      const std::string& f = *file;
      if (a.transport == alerts::TransportKind::kSmtp && !f.empty() && !readableFile(f))
        d.error("config.missing-file", where({"alerts", "smtp", key}),
                "SMTP file " + f + " cannot be read: " + std::strerror(errno),
                "check the path and that the service's user can read it");
    }
  }
  if (!cfg.network.ca_file.empty() && !readableFile(cfg.network.ca_file))
    d.error("config.missing-file", where({"network", "ca_file"}),
            "network.ca_file " + cfg.network.ca_file + " cannot be read: " + std::strerror(errno),
            "check the path, or remove the key to use the system's CA certificates");
}

void checkRulePaths(const std::vector<std::string>& paths, const SourceLocation& at,
                    const std::string& label, Diagnostics& d) {
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
      d.error("config.missing-file", at, label + "rules path " + p + " does not exist",
              "fix the path in rules.paths, or create the directory (/etc/cspwatch/rules.d is "
              "the packaged one)");
  }
}

// `keys` below the i-th entry of partners.
std::vector<std::string> entryKeys(size_t i, const std::vector<std::string>& keys) {
  std::vector<std::string> path = {"partners", std::to_string(i)};
  path.insert(path.end(), keys.begin(), keys.end());
  return path;
}

// With partners: each account's sources, at its entry.
void checkAccountSources(const AppConfig& cfg, const KeyLocator& at, Diagnostics& d) {
  const std::vector<AppConfig> accounts = partnerConfigs(cfg);
  for (size_t i = 0; i < cfg.partners.size(); ++i) {
    const PartnerAccount& p = cfg.partners[i];
    const KeyLocator where = [&](const std::vector<std::string>& keys) {
      return at ? at(entryKeys(i, keys)) : p.at;
    };
    checkSourceFiles(accounts[i], where, "partner '" + p.name + "': ", d);
  }
}

// With partners: each account's own rule paths, at its entry; the top level's once, when an
// account uses them.
void checkAccountRules(const AppConfig& cfg, const KeyLocator& at, Diagnostics& d) {
  bool inherited = false;
  for (const PartnerAccount& p : cfg.partners) inherited = inherited || !p.rule_paths;
  if (inherited)
    checkRulePaths(cfg.rule_paths, at ? at({"rules", "paths"}) : SourceLocation{cfg.file, 0, 0}, "",
                   d);
  for (size_t i = 0; i < cfg.partners.size(); ++i) {
    const PartnerAccount& p = cfg.partners[i];
    if (p.rule_paths)
      checkRulePaths(*p.rule_paths, at ? at(entryKeys(i, {"rules", "paths"})) : p.at,
                     "partner '" + p.name + "': ", d);
  }
}

}  // namespace

Diagnostics checkEnvironment(const AppConfig& cfg, const KeyLocator& at) {
  Diagnostics d;
  const KeyLocator where = [&](const std::vector<std::string>& keys) {
    return at ? at(keys) : SourceLocation{cfg.file, 0, 0};
  };
  if (cfg.partners.empty()) {
    checkSourceFiles(cfg, where, "", d);
    checkSharedFiles(cfg, where, d);
    checkRulePaths(cfg.rule_paths, where({"rules", "paths"}), "", d);
  } else {
    checkAccountSources(cfg, at, d);
    checkSharedFiles(cfg, where, d);
    checkAccountRules(cfg, at, d);
  }
  return d;
}

}  // namespace cspwatch::config
