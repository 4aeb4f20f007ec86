// SPDX-License-Identifier: Apache-2.0
#include "daemon/scan_setup.h"

#include <utility>

#include "config/make_transport.h"

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

std::optional<scan::MailDelivery> delivery(const config::AppConfig& cfg, const Clock& clock,
                                           std::function<bool()> stop) {
  if (!cfg.alerts) return std::nullopt;
  scan::MailDelivery d;
  // Made when there is mail to send: secrets are read then, so a password file fixed after
  // start is used at the next attempt.
  d.transport = [cfg] { return config::makeTransport(cfg); };
  d.outputs = [cfg] { return config::makeOutputTransport(cfg); };
  const auto& a = *cfg.alerts;
  d.options = scan::senderOptions(a.retry_first, a.retry_max, a.give_up_after, std::move(stop));
  d.clock = &clock;
  return d;
}

Result<scan::AlertPipeline> alertPipeline(const config::AppConfig& cfg,
                                          const rules::RuleSet& rules) {
  if (!cfg.alerts) return Status::invalidArgument("no 'alerts' section in " + cfg.file);
  auto p = scan::AlertPipeline::create(*cfg.alerts, cfg.partner.name, rules);
  if (p) p->setPartnerTenantId(cfg.partner.tenant_id);
  return p;
}

Result<scan::AlertPipeline> alertPipeline(const config::AppConfig& cfg,
                                          std::map<std::string, scan::RuleInfo> rule_info) {
  if (!cfg.alerts) return Status::invalidArgument("no 'alerts' section in " + cfg.file);
  auto p = scan::AlertPipeline::create(*cfg.alerts, cfg.partner.name, std::move(rule_info));
  if (p) p->setPartnerTenantId(cfg.partner.tenant_id);
  return p;
}

Seconds retention(const config::AppConfig& cfg) {
  return cfg.alerts ? cfg.alerts->retention : alerts::AlertsConfig().retention;
}

}  // namespace cspwatch::daemon
