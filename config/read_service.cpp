// SPDX-License-Identifier: Apache-2.0
// The sections that set how the service keeps and runs: 'storage', 'rules', 'schedule' and
// 'logging' (config/section_readers.h).
#include "config/section_readers.h"

namespace cspwatch::config::detail {

void readStorage(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'storage'", parent);
  m.checkKeys({"path", "tenant_gone_after_scans", "max_suppression"});
  if (auto p = m.getString("path")) cfg.storage_path = ctx.path(*p);
  if (auto n = m.getInt("tenant_gone_after_scans", 1, 1000))
    cfg.tenant_gone_after_scans = static_cast<int>(*n);
  if (auto d = m.getDuration("max_suppression")) {
    if (*d < std::chrono::hours(24) || *d > std::chrono::hours(24 * 366))
      m.error("bad-value", m.valueLocation("max_suppression"),
              "'max_suppression' must be between 1d and 366d, found '" + formatDuration(*d) + "'",
              "suppressions must expire so that someone reviews them; 90d is the default");
    else
      cfg.max_suppression = *d;
  }
}

void readRules(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
               AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'rules'", parent);
  m.checkKeys({"paths", "max_steps_per_tenant"});
  if (auto paths = m.getStringList("paths")) {
    cfg.rule_paths.clear();
    for (const auto& p : *paths) cfg.rule_paths.push_back(ctx.path(p));
  }
  // From a thousand (the default pack needs a few hundred) to a billion (about a minute).
  if (auto n = m.getInt("max_steps_per_tenant", 1000, 1000000000)) cfg.rules_max_steps = *n;
}

void readSchedule(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                  AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'schedule'", parent);
  m.checkKeys({"interval"});
  if (auto d = m.getDuration("interval")) {
    if (*d < std::chrono::minutes(5))
      m.error("bad-value", m.valueLocation("interval"),
              "'interval' must be at least 5m, found '" + formatDuration(*d) + "'",
              "Partner Center throttles frequent full scans; 1h to 24h is typical");
    else
      cfg.schedule_interval = *d;
  }
}

void readLogging(const ReadContext& ctx, const YAML::Node& node, const YAML::Node& parent,
                 AppConfig& cfg) {
  YamlMap m = ctx.map(node, "section 'logging'", parent);
  m.checkKeys({"format"});
  if (auto f = m.getString("format")) {
    if (*f != "text" && *f != "json")
      m.error("bad-value", m.valueLocation("format"), "'format' must be text or json",
              "text suits the journal; json gives one JSON object per line");
    else
      cfg.log_format = *f;
  }
}

}  // namespace cspwatch::config::detail
