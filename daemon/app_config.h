// SPDX-License-Identifier: Apache-2.0
// cspwatch.yaml: the operator's configuration (docs/configuration.md lists every key).
//
// Loading is strict: unknown keys (with did-you-mean), duplicate keys, wrong types, bad values
// and secrets written inline are all reported with file:line:column, every one of them, not
// just the first. Secrets are only ever read from files (`*_file`) or the environment.
// Relative paths are resolved against the directory of the config file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "alerts/digest.h"
#include "common/diagnostic.h"
#include "common/partner.h"
#include "common/time.h"
#include "rules/expr_eval.h"

namespace cspwatch::daemon {

inline constexpr const char* kDefaultConfigPath = "/etc/cspwatch/cspwatch.yaml";
// The environment variable that may hold the app's client secret instead of a file.
inline constexpr const char* kClientSecretEnv = "CSPWATCH_CLIENT_SECRET";

struct PartnerCenterConfig {
  // Microsoft's cloud (msapi/cloud.h): public, usgov, usgov-dod or china. It sets the defaults
  // of the three URLs below; token scopes follow the URLs in use.
  std::string cloud = "public";
  std::string login_url = "https://login.microsoftonline.com";
  std::string partner_center_url = "https://api.partnercenter.microsoft.com";
  std::string graph_url = "https://graph.microsoft.com";
  std::string client_id;
  std::string client_secret_file;  // empty: CSPWATCH_CLIENT_SECRET from the environment
  std::string
      client_certificate_file;  // with client_key_file: RS256 assertions instead of a secret
  std::string client_key_file;
  std::string refresh_token_file;  // Secure Application Model refresh token (rotated in place)
  // The app registration is a public client ("Allow public client flows"): `auth login` uses the
  // device code, no secret or certificate is ever sent, and every call is made as the signed-in
  // partner user. False (the default, the Secure Application Model): a confidential app.
  bool public_client = false;
  int concurrency = 8;                          // tenants read at once
  std::chrono::milliseconds backoff_base{500};  // first retry wait; doubles each attempt
  double pc_requests_per_minute = 480;          // client-side pacing, under Partner Center's 500
  double graph_requests_per_10s = 3000;         // under Graph's 3,500 per app and tenant
};

struct InventoryConfig {
  std::string path;
};

// alerts.smtp (docs/alerts.md#smtp).
struct SmtpConfig {
  std::string host;
  int port = 587;                // default by tls: starttls 587, implicit 465, none 25
  std::string tls = "starttls";  // starttls, implicit, none (none only to a loopback address)
  std::string username;          // empty: no AUTH
  std::string password_file;
  std::string ca_file;        // extra CA certificates to trust (a private CA)
  std::string envelope_from;  // MAIL FROM; default: the address in alerts.from
  Seconds timeout = Seconds(30);
};

// The `network` section: how outbound HTTPS leaves the machine (docs/configuration.md#network).
struct NetworkConfig {
  std::string proxy;                  // http://[user:password@]host:port; empty: $HTTPS_PROXY
  std::vector<std::string> no_proxy;  // hosts or .domains reached directly; plus $NO_PROXY
  std::string ca_file;                // extra CA certificates to trust (a TLS-inspecting proxy)
};

// The `http` section: the local health, metrics and control endpoint (docs/operations.md).
struct HttpConfig {
  bool enabled = true;
  std::string listen = "127.0.0.1:9807";
  std::string token_file;  // required when `listen` is not a loopback address
};

// The `alerts` section (docs/alerts.md). Present only when configured.
struct AlertsConfig {
  std::string transport = "file";  // smtp, graph, file
  std::string from;                // "cspwatch <cspwatch@example.com>"
  std::string templates_dir = "/etc/cspwatch/templates";
  std::vector<Seconds> reminders = {std::chrono::hours(24), std::chrono::hours(48),
                                    std::chrono::hours(96), std::chrono::hours(168)};
  int could_not_check_after_scans = 2;
  Seconds suppression_notice = std::chrono::hours(24 * 7);
  std::vector<std::string> immediate_severities = {"critical"};
  int max_items_per_section = 200;  // per message; the rest is counted, not listed
  Seconds retry_first = Seconds(60);
  Seconds retry_max = Seconds(3600);
  Seconds give_up_after = std::chrono::hours(24);
  std::vector<alerts::Route> routes;
  SmtpConfig smtp;
  std::string graph_mailbox;  // alerts.graph.mailbox
  std::string file_dir = "/var/lib/cspwatch/mail";
};

struct AppConfig {
  std::string file;  // where it was read from
  PartnerIdentity partner;
  std::optional<PartnerCenterConfig> partner_center;  // sources.partner_center, if configured
  std::optional<InventoryConfig> inventory;           // sources.inventory, if configured
  std::string storage_path = "/var/lib/cspwatch/cspwatch.db";
  int tenant_gone_after_scans = 3;                        // storage.tenant_gone_after_scans
  Seconds max_suppression = std::chrono::hours(24 * 90);  // storage.max_suppression
  std::vector<std::string> rule_paths = {"/etc/cspwatch/rules.d"};
  int64_t rules_max_steps = rules::kDefaultMaxSteps;  // rules.max_steps_per_tenant
  Seconds schedule_interval = std::chrono::hours(6);
  std::optional<AlertsConfig> alerts;
  HttpConfig http;
  NetworkConfig network;
  std::string log_format = "text";  // logging.format: text (journal-friendly) or json lines
};

// Where a secret named `path` is read from: under systemd, the unit's credential for that file
// ($CREDENTIALS_DIRECTORY/<basename> or .../cspwatch_<basename>, LoadCredential=) when there is
// one; `path` otherwise.
std::string secretPath(const std::string& path);

// Reads a `partner` section (the same keys wherever it appears: config, rule test files).
std::optional<PartnerIdentity> readPartnerSection(const YAML::Node& node, const std::string& file,
                                                  Diagnostics& diags);

// Parses config text. `file` names it in diagnostics; `base_dir` resolves relative paths.
// Returns nullopt when `diags` got any error.
std::optional<AppConfig> parseConfig(const std::string& text, const std::string& file,
                                     const std::string& base_dir, Diagnostics& diags);

// A configuration larger than this is refused unread ("config.unreadable"); a real one is a
// few KiB.
inline constexpr size_t kMaxConfigBytes = size_t{1} << 20;

// Reads and parses the file at `path`; an unreadable file (a directory, one larger than
// kMaxConfigBytes) is a "config.unreadable" error.
std::optional<AppConfig> loadConfig(const std::string& path, Diagnostics& diags);

// Problems that make a valid config unusable on this machine: missing inventory file, secret
// files that cannot be read, rule paths that do not exist. Warnings, not errors: the
// daemon may start before they appear, but `config check` reports them (exit 1).
Diagnostics checkEnvironment(const AppConfig& config);

}  // namespace cspwatch::daemon
