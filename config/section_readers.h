// SPDX-License-Identifier: Apache-2.0
// Internal to config/: the readers of cspwatch.yaml's sections, which parseConfig()
// (app_config.cpp) calls in turn, and the helpers they share. Each reader checks its section's
// keys and values with a YamlMap (common/yaml_util.h), reports every problem to the context's
// Diagnostics at its file:line:column and sets the AppConfig from what it read (parseConfig()
// returns none once any error was reported); a section that is not a mapping is reported once
// and read no further. Readers never throw.
// A reader that needs another section's result says so (readAlerts: sources.partner_center),
// so the order of the calls in parseConfig() is the order of the diagnostics and matters.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "common/diagnostic.h"
#include "common/partner.h"
#include "common/yaml_util.h"
#include "config/app_config.h"

namespace cspwatch::config::detail {

// The code prefix of every configuration diagnostic ("config.bad-value").
inline constexpr const char* kPrefix = "config";

// What every reader needs besides its node: the file the positions name, the directory that
// relative paths are resolved against, and where problems go. All three outlive the readers.
struct ReadContext {
  const std::string& file;
  const std::string& base_dir;
  Diagnostics& diags;

  // The reader of one mapping; `context` names it in messages ("section 'http'"), `parent`
  // gives a position when the node itself has none (an empty value).
  YamlMap map(const YAML::Node& node, const std::string& context, const YAML::Node& parent) const {
    return YamlMap(node, file, kPrefix, context, diags, parent);
  }
  // `path` as written, resolved against base_dir unless absolute or empty.
  std::string path(const std::string& path) const;
};

// "did you mean 'x'? (one of: a, b, c)" or just the list.
std::string hintFor(const std::string& word, const std::vector<std::string>& choices);

// partner (read_partner.cpp): who we are; also read alone by readPartnerSection().
void readPartner(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 PartnerIdentity& partner);

// partners (read_partners.cpp): the partner accounts into cfg.partners, `top` being the
// document's mapping that holds them. Each entry: name (unique, [a-z][a-z0-9_]{0,39}), partner
// and sources as at the top level, and optionally rules.paths, schedule.interval and
// alerts.routes (which need the top level's 'alerts'); keys only the top level may set are
// reported as such.
void readPartners(const ReadContext& ctx, YamlMap& top, AppConfig& cfg);
// After storage: each account's PostgreSQL schema (storage.schema + "_" + name) fits
// PostgreSQL's 63 characters, which would otherwise cut two accounts' names to one schema.
void checkPartnerStores(const ReadContext& ctx, const AppConfig& cfg);

// sources (read_sources.cpp): partner_center and inventory, at least one of them.
void readSources(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg);

// storage, rules, schedule, logging (read_service.cpp): how the service keeps and runs.
void readStorage(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg);
void readRules(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
               AppConfig& cfg);
void readSchedule(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                  AppConfig& cfg);
// schedule.interval of the section `m` (at least 5m); nullopt when absent or refused (reported;
// absent only when `required`).
std::optional<Seconds> readInterval(YamlMap& m, bool required);
void readLogging(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg);

// http and network (read_network.cpp): the endpoint we listen on, the proxy and CA we go
// out through.
void readHttp(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
              AppConfig& cfg);
void readNetwork(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg);

// monitoring (read_monitoring.cpp): the heartbeat URL requested after each successful scan.
void readMonitoring(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                    AppConfig& cfg);

// `url` or `url_file` (exactly one) of `m` into `url` (and the file into `url_file`), checked
// with alerts::checkOutputUrl (https, or http to a loopback host) and its urlSecrets
// registered; false when neither is usable (reported). A url_file must be one only its owner
// can change and not empty (read_route_outputs.cpp).
bool readOutputUrl(const ReadContext& ctx, YamlMap& m, std::string& url, std::string& url_file);

// alerts (read_alerts.cpp). Reads after sources and partners: 'transport: graph' sends with the
// app of sources.partner_center (each account's), so cfg.partner_center, or cfg.partners, must
// be read already; and after schedule, which sets could_not_check_after_time's default.
void readAlerts(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                AppConfig& cfg);
// The keys of the 'alerts' section besides 'routes': the top level's only (an entry of
// partners sets routes alone).
extern const std::vector<std::string> kAlertsSharedKeys;
// alerts.could_not_check_after_time when not written: the time the scheduled scans of
// could_not_check_after_scans span at `interval`.
Seconds derivedCouldNotCheckTime(const AlertsConfig& a, Seconds interval);

// alerts.routes (read_alert_routes.cpp); `alerts` is the section holding them, where a list
// that is missing, empty or without a default route is reported. `where` is their path in
// messages and the default name of each route ("alerts.routes" makes "alerts.routes[0]").
void readRoutes(const ReadContext& ctx, const YAML::Node& node, YamlMap& alerts, AlertsConfig& a,
                const std::string& where = "alerts.routes");

// alerts.routes[].webhooks and .teams (read_route_outputs.cpp) of the route `m` (at `where`,
// "alerts.routes[N]") into `r`; each file they name is checked, each URL's secrets registered.
void readOutputs(const ReadContext& ctx, YamlMap& m, const std::string& where, alerts::Route& r);

// alerts.smtp, alerts.graph, alerts.file (read_alert_transports.cpp), each if present, then
// whether the chosen transport has what it needs (graph: every account's partner_center).
void readTransports(const ReadContext& ctx, YamlMap& alerts, const YAML::Node& alerts_node,
                    const AppConfig& cfg, AlertsConfig& a);

}  // namespace cspwatch::config::detail
