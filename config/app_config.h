// SPDX-License-Identifier: Apache-2.0
// cspwatch.yaml: the operator's configuration (docs/configuration.md lists every key).
//
// Loading is strict: unknown keys (with did-you-mean), duplicate keys, wrong types, bad values
// and secrets written inline are all reported with file:line:column, every one of them, not
// just the first. Secrets are only ever read from files (`*_file`) or the environment.
// Relative paths are resolved against the directory of the config file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "alerts/alerts_config.h"
#include "alerts/digest.h"
#include "common/diagnostic.h"
#include "common/partner.h"
#include "common/time.h"
#include "msapi/settings.h"
#include "rules/expr_eval.h"
#include "storage/finding_store.h"

namespace cspwatch::config {

struct InventoryConfig {
  std::string path;
};

// The `http` section: the local health, metrics and control endpoint (docs/operations.md).
struct HttpConfig {
  bool enabled = true;
  std::string listen = "127.0.0.1:9807";
  std::string token_file;  // required when `listen` is not a loopback address
};

// The `monitoring` section: how outside monitors learn that scans succeed
// (docs/operations.md#monitoring).
struct MonitoringConfig {
  // monitoring.heartbeat: requested (GET) after each successful scan; "" for none. https, or
  // http to a loopback host. It may hold a push monitor's token (in its path or query): its
  // secret parts are registered with common/redact.h when read, and only its scheme, host and
  // port are ever shown.
  std::string heartbeat_url;
  std::string heartbeat_url_file;  // the file heartbeat_url was read from; "" when inline
};

// Sections whose settings belong to the layer that uses them (defined there, so that scan/ and
// alerts/ never see this file): sources.partner_center and network (msapi/), alerts (alerts/).
using PartnerCenterConfig = msapi::PartnerCenterConfig;
using NetworkConfig = msapi::NetworkConfig;
using AlertsConfig = alerts::AlertsConfig;
using SmtpConfig = alerts::SmtpConfig;
using msapi::kClientSecretEnv;

inline constexpr const char* kDefaultConfigPath = "/etc/cspwatch/cspwatch.yaml";

// The name of the one partner account of a configuration without `partners:`.
inline constexpr const char* kDefaultPartner = "default";

// One entry of `partners:` (docs/configuration.md#partners): a partner account of its own, with
// its identity, credentials and inventory, and optionally its own rule directories, schedule and
// alert routes; what it leaves out is the top level's. Its name ([a-z][a-z0-9_]{0,39}, unique)
// names its lease ("partner:<name>"), its metrics' `partner` label, its store (partnerConfigs())
// and `--partner NAME` on the command line.
struct PartnerAccount {
  std::string name;
  SourceLocation at;  // where the entry is written
  PartnerIdentity partner;
  std::optional<PartnerCenterConfig> partner_center;   // sources.partner_center
  std::optional<InventoryConfig> inventory;            // sources.inventory
  std::optional<std::vector<std::string>> rule_paths;  // rules.paths
  std::optional<Seconds> schedule_interval;            // schedule.interval
  std::optional<std::vector<alerts::Route>> routes;    // alerts.routes
};

struct AppConfig {
  std::string file;  // where it was read from
  // The partner account this configuration is for: kDefaultPartner without `partners:`, the
  // entry's name in what partnerConfigs() makes.
  std::string partner_name = kDefaultPartner;
  // `partners:` as written (empty without it). The configuration read from a file that has it
  // is the top level only: partnerConfigs() makes each account's.
  std::vector<PartnerAccount> partners;
  PartnerIdentity partner;
  std::optional<PartnerCenterConfig> partner_center;  // sources.partner_center, if configured
  std::optional<InventoryConfig> inventory;           // sources.inventory, if configured
  std::string storage_path = "/var/lib/cspwatch/cspwatch.db";
  // storage.url, .schema, .password_file: a PostgreSQL server instead (url empty: SQLite).
  std::string storage_url, storage_schema = "cspwatch", storage_password_file;
  Seconds lease_period = Seconds(60);  // storage.lease_period (daemon/lease_keeper.h)
  int tenant_gone_after_scans = 3;     // storage.tenant_gone_after_scans
  Seconds max_suppression = std::chrono::hours(24 * 90);  // storage.max_suppression
  std::vector<std::string> rule_paths = {"/etc/cspwatch/rules.d"};
  int64_t rules_max_steps = rules::kDefaultMaxSteps;  // rules.max_steps_per_tenant
  Seconds schedule_interval = std::chrono::hours(6);
  std::optional<AlertsConfig> alerts;
  // Whether alerts.could_not_check_after_time is written. When it is not, the value in `alerts`
  // is derived from schedule.interval, and partnerConfigs() derives each account's from the
  // account's own interval.
  bool could_not_check_after_time_written = false;
  HttpConfig http;
  NetworkConfig network;
  MonitoringConfig monitoring;
  std::string log_format = "text";  // logging.format: text (journal-friendly) or json lines
};

// The configuration of each partner account, in the order written: without `partners:`, `cfg`
// itself (named kDefaultPartner); with it, the top level with each entry's keys over it, its
// own store (the SQLite file storage.path with "-<name>" before its extension, or the
// PostgreSQL schema storage.schema + "_" + name) and `partners` empty. What the top level
// derives from schedule.interval is derived again from the account's own (the alerts'
// could_not_check_after_time, unless written). The top level's own store (storage.path,
// storage.schema themselves) is no account's: it holds what the instances share.
std::vector<AppConfig> partnerConfigs(const AppConfig& cfg);

// The configuration of the partner account `name` (--partner NAME); `name` may be empty when
// only one is configured. invalidArgument naming the accounts there are otherwise.
Result<AppConfig> partnerConfig(const AppConfig& cfg, const std::string& name);

// Where a secret named `path` is read from: under systemd, the unit's credential for that file
// ($CREDENTIALS_DIRECTORY/<basename> or .../cspwatch_<basename>, LoadCredential=) when there is
// one; `path` otherwise.
std::string secretPath(const std::string& path);

// The parts of a heartbeat URL that are secrets, for registerSecret (common/redact.h): those of
// alerts::urlSecrets() (user information, query) and its path, where healthchecks.io and Uptime
// Kuma put the check's token. Empty when it has none.
std::vector<std::string> heartbeatUrlSecrets(const std::string& url);

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

// Where a key is written in the configuration: `keys` is its path from the top
// ({"alerts", "smtp", "host"}); an element of a list is named by its index
// ({"partners", "1", "sources", "inventory", "path"}). The file alone (line 0) when it is not
// written there.
using KeyLocator = std::function<SourceLocation(const std::vector<std::string>& keys)>;

// Problems that make a valid config unusable on this machine: missing inventory file, secret
// files that cannot be read, templates that do not load, rule paths that do not exist.
// Errors, each with a hint: any of them stops the next scan, so `config check` reports them
// (exit 1); the daemon meets them at the scan instead. Each is at its key when `at` is given,
// else at the file alone. With `partners:`, every account's own files are checked, each
// problem named after its account ("partner 'fabrikam': ...") and at its entry's key (at the
// entry itself without `at`); what the accounts share (templates, SMTP files, network.ca_file,
// the top level's rules.paths when an account uses them) is checked once.
Diagnostics checkEnvironment(const AppConfig& config, const KeyLocator& at = {});

// Where the store is, as the configuration says: the SQLite file, or the PostgreSQL server with
// the password read from storage.password_file (an error names the file, never its content).
Result<storage::StoreLocation> storeLocation(const AppConfig& cfg);
// For messages: the SQLite file, or the server's URL and schema (storage::StoreLocation).
std::string storeDescription(const AppConfig& cfg);

// The store's options as the configuration sets them.
inline storage::StoreOptions storeOptions(const AppConfig& cfg) {
  return {cfg.tenant_gone_after_scans, cfg.max_suppression};
}

// The store the configuration names, with its options: opened (and migrated) to write, or to
// read only (FindingStore::openReadOnly).
Result<storage::FindingStore> openStore(const AppConfig& cfg);
Result<storage::FindingStore> openStoreReadOnly(const AppConfig& cfg);

}  // namespace cspwatch::config
