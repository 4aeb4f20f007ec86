// TEMPORARY until the partners branch lands.
#include "config/app_config.h"
namespace cspwatch::config {
std::vector<AppConfig> partnerConfigs(const AppConfig& cfg) {
  if (cfg.partners.empty()) return {cfg};
  std::vector<AppConfig> out;
  for (const auto& p : cfg.partners) {
    AppConfig c = cfg;
    c.partners.clear();
    c.partner_name = p.name;
    c.partner = p.partner;
    if (p.partner_center) c.partner_center = p.partner_center;
    if (p.inventory) c.inventory = p.inventory;
    if (p.rule_paths) c.rule_paths = *p.rule_paths;
    if (p.schedule_interval) c.schedule_interval = *p.schedule_interval;
    c.storage_schema += "_" + p.name;
    out.push_back(c);
  }
  return out;
}
Result<AppConfig> partnerConfig(const AppConfig& cfg, const std::string&) { return partnerConfigs(cfg).front(); }
}  // namespace cspwatch::config
