// SPDX-License-Identifier: Apache-2.0
// partnerConfigs() and partnerConfig(): each partner account's configuration, the top level
// with its entry of `partners:` over it (config/app_config.h, docs/configuration.md#partners).
#include <utility>

#include "common/text.h"
#include "config/app_config.h"
#include "config/section_readers.h"

namespace cspwatch::config {

namespace {

// `path` with "-<name>" before the extension of its last component ("/a/cspwatch.db" ->
// "/a/cspwatch-contoso.db"), or at its end when that has none (a leading dot, as in ".db",
// starts no extension).
std::string accountStorePath(const std::string& path, const std::string& name) {
  const size_t slash = path.rfind('/');
  const size_t base = slash == std::string::npos ? 0 : slash + 1;
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || dot <= base) return path + "-" + name;
  return path.substr(0, dot) + "-" + name + path.substr(dot);
}

AppConfig accountConfig(const AppConfig& top, const PartnerAccount& p) {
  AppConfig c = top;
  c.partners.clear();
  c.partner_name = p.name;
  c.partner = p.partner;
  c.partner_center = p.partner_center;
  c.inventory = p.inventory;
  if (p.rule_paths) c.rule_paths = *p.rule_paths;
  if (p.schedule_interval) c.schedule_interval = *p.schedule_interval;
  if (c.alerts) {
    if (p.routes) c.alerts->routes = *p.routes;
    // The top level derived it from its own interval; this account scans at its own.
    if (!c.could_not_check_after_time_written)
      c.alerts->could_not_check_after_time =
          detail::derivedCouldNotCheckTime(*c.alerts, c.schedule_interval);
  }
  if (c.storage_url.empty())
    c.storage_path = accountStorePath(top.storage_path, p.name);
  else
    c.storage_schema = top.storage_schema + "_" + p.name;
  return c;
}

}  // namespace

std::vector<AppConfig> partnerConfigs(const AppConfig& cfg) {
  if (cfg.partners.empty()) return {cfg};
  std::vector<AppConfig> out;
  out.reserve(cfg.partners.size());
  for (const PartnerAccount& p : cfg.partners) out.push_back(accountConfig(cfg, p));
  return out;
}

Result<AppConfig> partnerConfig(const AppConfig& cfg, const std::string& name) {
  std::vector<AppConfig> all = partnerConfigs(cfg);
  std::vector<std::string> names;
  for (const AppConfig& c : all) names.push_back(c.partner_name);
  if (name.empty()) {
    if (all.size() == 1) return std::move(all.front());
    return Status::invalidArgument("--partner NAME is needed: " + join(names, ", ") +
                                   " (the partner accounts of " + cfg.file + ")");
  }
  for (AppConfig& c : all)
    if (c.partner_name == name) return std::move(c);
  const std::string dym = didYouMean(name, names);
  return Status::invalidArgument("no partner account '" + name + "' in " + cfg.file + ": " +
                                 (dym.empty() ? "" : dym + " ") +
                                 "(configured: " + join(names, ", ") + ")");
}

}  // namespace cspwatch::config
