// SPDX-License-Identifier: Apache-2.0
#include "daemon/scan_setup.h"

#include <utility>

namespace cspwatch::daemon {

scan::ScanSources scanSources(const config::AppConfig& cfg) {
  scan::ScanSources s;
  s.partner = cfg.partner;
  s.partner_center = cfg.partner_center;
  if (cfg.inventory) s.inventory_path = cfg.inventory->path;
  s.network = cfg.network;
  s.rules_max_steps = cfg.rules_max_steps;
  return s;
}

Result<scan::AlertPipeline> alertPipeline(const config::AppConfig& cfg,
                                          const rules::RuleSet& rules) {
  if (!cfg.alerts) return Status::invalidArgument("no 'alerts' section in " + cfg.file);
  return scan::AlertPipeline::create(*cfg.alerts, cfg.partner.name, rules);
}

Result<scan::AlertPipeline> alertPipeline(const config::AppConfig& cfg,
                                          std::map<std::string, scan::RuleInfo> rule_info) {
  if (!cfg.alerts) return Status::invalidArgument("no 'alerts' section in " + cfg.file);
  return scan::AlertPipeline::create(*cfg.alerts, cfg.partner.name, std::move(rule_info));
}

}  // namespace cspwatch::daemon
