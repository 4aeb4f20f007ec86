// SPDX-License-Identifier: Apache-2.0
// 'partners': the partner accounts of one configuration, each with its own identity, sources
// and, optionally, rule paths, schedule and alert routes (config/section_readers.h,
// docs/configuration.md#partners). Each entry's sections are read by the top level's readers,
// so that they mean the same and say the same; what only the top level may set is reported as
// such, with where it belongs.
#include <map>
#include <utility>

#include "config/section_readers.h"

namespace cspwatch::config::detail {

namespace {

constexpr size_t kMaxNameLength = 40;
// PostgreSQL cuts longer names (NAMEDATALEN - 1): two accounts' schemas could become one.
constexpr size_t kMaxSqlName = 63;

// The top level's sections that an entry may not hold: what every account shares.
const std::vector<std::string> kSharedSections = {"storage", "http", "network", "logging",
                                                  "monitoring"};

bool isPartnerName(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameLength || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// Reports each key of `m` in `shared` (keys of the top level's `section` that an entry may not
// set), saying where it belongs.
void refuseShared(YamlMap& m, const std::string& section, const std::vector<std::string>& shared) {
  for (const auto& key : shared) {
    if (!m.has(key)) continue;
    const std::string what = section.empty() ? "'" + key + "'" : "'" + section + "." + key + "'";
    m.error("unknown-key", m.keyLocation(key), what + " cannot be set per partner account",
            "it applies to every partner account: set it in the top-level '" +
                (section.empty() ? key : section) + "' section");
  }
}

// `own` and `shared` as one list of known keys, `shared` having been reported already.
std::vector<std::string> knownKeys(std::vector<std::string> own,
                                   const std::vector<std::string>& shared) {
  own.insert(own.end(), shared.begin(), shared.end());
  return own;
}

// One entry's rules: only `paths`, resolved as the top level's.
void readEntryRules(const ReadContext& ctx, YamlMap& entry, const YAML::Node& node,
                    const std::string& where, PartnerAccount& p) {
  YamlMap m = ctx.map(entry.get("rules"), "section '" + where + ".rules'", node);
  if (!m.valid()) return;
  const std::vector<std::string> shared = {"max_steps_per_tenant"};
  refuseShared(m, "rules", shared);
  m.checkKeys(knownKeys({"paths"}, shared));
  if (auto paths = m.getStringList("paths", true)) {
    std::vector<std::string> resolved;
    for (const auto& path : *paths) resolved.push_back(ctx.path(path));
    p.rule_paths = std::move(resolved);
  }
}

// One entry's schedule: only `interval`, at least 5m as the top level's.
void readEntrySchedule(const ReadContext& ctx, YamlMap& entry, const YAML::Node& node,
                       const std::string& where, PartnerAccount& p) {
  YamlMap m = ctx.map(entry.get("schedule"), "section '" + where + ".schedule'", node);
  if (!m.valid()) return;
  m.checkKeys({"interval"});
  p.schedule_interval = readInterval(m, true);
}

// One entry's alerts: only `routes`, read as the top level's; how mail leaves (transport,
// sender, templates, reminders...) is the top level's 'alerts', which must be there.
void readEntryAlerts(const ReadContext& ctx, YamlMap& entry, const YAML::Node& node,
                     const std::string& where, bool top_alerts, PartnerAccount& p) {
  if (!top_alerts)
    entry.error("missing-key", entry.keyLocation("alerts"),
                (p.name.empty() ? where : "partner '" + p.name + "'") +
                    " has alert routes, but the configuration has no top-level 'alerts' section",
                "add 'alerts' at the top level (transport, from, its routes...): it says how "
                "mail leaves for every partner account; an entry sets only its own routes");
  YamlMap m = ctx.map(entry.get("alerts"), "section '" + where + ".alerts'", node);
  if (!m.valid()) return;
  refuseShared(m, "alerts", kAlertsSharedKeys);
  m.checkKeys(knownKeys({"routes"}, kAlertsSharedKeys));
  if (!m.has("routes")) {
    m.error("missing-key", m.location(), "section '" + where + ".alerts' has no 'routes'",
            "an entry's alerts set only its routes: add routes with 'to' addresses, one of "
            "them 'default: true', or remove 'alerts' to use the top level's");
    return;
  }
  AlertsConfig routes;
  readRoutes(ctx, m.get("routes"), m, routes, where + ".alerts.routes");
  p.routes = std::move(routes.routes);
}

// The entry's name: required, and a name the account's store, lease and --partner can take.
void readPartnerName(YamlMap& m, PartnerAccount& p) {
  auto name = m.getString("name", true);
  if (!name) return;
  if (!isPartnerName(*name))
    m.error("bad-value", m.valueLocation("name"), "'" + *name + "' cannot name a partner account",
            "lower-case letters, digits and '_', starting with a letter, at most 40 (contoso, "
            "fabrikam_eu): it names the account's store, its lease and --partner NAME");
  p.name = *name;
}

// The i-th entry of `list`; nullopt when it is not a mapping (reported). `name_at` receives
// where its name is written.
std::optional<PartnerAccount> readEntry(const ReadContext& ctx, const YAML::Node& list, size_t i,
                                        bool top_alerts, SourceLocation& name_at) {
  const std::string where = "partners[" + std::to_string(i) + "]";
  YamlMap m = ctx.map(list[i], "entry " + where, list);
  if (!m.valid()) return std::nullopt;
  refuseShared(m, "", kSharedSections);
  m.checkKeys(
      knownKeys({"name", "partner", "sources", "rules", "schedule", "alerts"}, kSharedSections));
  PartnerAccount p;
  p.at = m.location();
  readPartnerName(m, p);
  name_at = m.has("name") ? m.valueLocation("name") : p.at;
  if (m.has("partner"))
    readPartner(ctx, m.get("partner"), list[i], p.partner);
  else
    m.error("missing-key", m.location(), where + " has no 'partner' section",
            "each partner account names its company: name, tenant_id, email_domains");
  if (m.has("sources")) {
    AppConfig scratch;  // readSources sets the two sources of an AppConfig
    readSources(ctx, m.get("sources"), list[i], scratch);
    p.partner_center = std::move(scratch.partner_center);
    p.inventory = std::move(scratch.inventory);
  } else {
    m.error("missing-key", m.location(), where + " has no 'sources' section",
            "each partner account reads its own tenants: 'partner_center' and/or 'inventory'");
  }
  if (m.has("rules")) readEntryRules(ctx, m, list[i], where, p);
  if (m.has("schedule")) readEntrySchedule(ctx, m, list[i], where, p);
  if (m.has("alerts")) readEntryAlerts(ctx, m, list[i], where, top_alerts, p);
  return p;
}

}  // namespace

void readPartners(const ReadContext& ctx, YamlMap& top, AppConfig& cfg) {
  const YAML::Node list = top.get("partners");
  if (!list.IsSequence() || list.size() == 0) {
    const bool empty = list.IsSequence();
    top.error(empty ? "missing-key" : "wrong-type", top.valueLocation("partners"),
              empty ? "'partners' lists no partner account"
                    : "'partners' must be a list of partner accounts, found " + describeNode(list),
              "each entry: name, partner and sources (docs/configuration.md#partners); or "
              "remove 'partners' and write 'partner' and 'sources' at the top level for one");
    return;
  }
  const bool top_alerts = top.has("alerts") && !top.get("alerts").IsNull();
  std::map<std::string, SourceLocation> names;
  for (size_t i = 0; i < list.size(); ++i) {
    SourceLocation name_at;
    auto p = readEntry(ctx, list, i, top_alerts, name_at);
    if (!p) continue;
    if (!p->name.empty()) {
      auto [first, added] = names.emplace(p->name, name_at);
      if (!added)
        top.error("duplicate-key", name_at,
                  "partner account '" + p->name + "' is configured twice (first at line " +
                      std::to_string(first->second.line) + ")",
                  "give each account its own name: it names its store, its lease and "
                  "--partner NAME");
    }
    cfg.partners.push_back(std::move(*p));
  }
}

void checkPartnerStores(const ReadContext& ctx, const AppConfig& cfg) {
  if (cfg.storage_url.empty()) return;  // SQLite: a file per account, of any length
  for (const PartnerAccount& p : cfg.partners) {
    const std::string schema = cfg.storage_schema + "_" + p.name;
    if (schema.size() > kMaxSqlName)
      ctx.diags.error(std::string(kPrefix) + ".bad-value", p.at,
                      "partner account '" + p.name + "' would be stored in the schema '" + schema +
                          "', longer than PostgreSQL's " + std::to_string(kMaxSqlName) +
                          " characters",
                      "shorten the account's name or storage.schema: PostgreSQL would cut the "
                      "name, and two accounts could share one schema");
  }
}

}  // namespace cspwatch::config::detail
