// SPDX-License-Identifier: Apache-2.0
// alerts.routes: who is sent what. Each route has addresses and a match, except the one
// default route, which takes whatever no other route took (config/section_readers.h). A route
// may post instead of, or besides, mailing: webhooks and teams (read_route_outputs.cpp).
#include <map>

#include "alerts/mail_message.h"
#include "config/section_readers.h"
#include "rules/rule_set.h"

namespace cspwatch::config::detail {

namespace {

// to: the addresses, at least one, each an address; optional on a route with outputs.
void readAddresses(YamlMap& m, alerts::Route& r, bool has_outputs) {
  auto to = m.getStringList("to", !has_outputs);
  if (!to) return;
  for (const auto& addr : *to)
    if (!alerts::isMailAddress(addr))
      m.error("bad-value", m.valueLocation("to"), "not an email address: '" + addr + "'");
  r.to = *to;
  if (to->empty() && !has_outputs)
    m.error("bad-value", m.valueLocation("to"), "'to' names nobody", "list at least one address");
}

// name: optional, except on a route with outputs, whose outbox rows name it (the target
// "webhook:<name>:<N>" must still mean the same output after routes are added or reordered).
void readName(YamlMap& m, const std::string& where, bool has_outputs, alerts::Route& r) {
  auto name = m.getString("name", false);
  r.name = name.value_or(where);
  if (has_outputs && !name)
    m.error("missing-key", m.location(), "a route with webhooks or teams needs a 'name'",
            "name it ('name: service-desk'): queued posts refer to their route by name");
}

// sections: which parts of a digest the route gets (all of them when not given).
void readSections(YamlMap& m, alerts::Route& r) {
  auto secs = m.getStringList("sections");
  if (!secs) return;
  r.sections.clear();
  for (const auto& s : *secs) {
    if (auto sec = alerts::sectionFromName(s))
      r.sections.push_back(*sec);
    else
      m.error("bad-value", m.valueLocation("sections"), "unknown section '" + s + "'",
              hintFor(s, alerts::sectionNames()));
  }
}

// match: the findings the route takes; `route` is the route's node, `where` its path.
void readMatch(const ReadContext& ctx, YamlMap& m, const YAML::Node& route,
               const std::string& where, alerts::Route& r) {
  YamlMap mm = ctx.map(m.get("match"), "match of route " + where, route);
  if (!mm.valid()) return;
  mm.checkKeys({"severities", "rules", "rule_tags", "tenant_tags"});
  r.match.severities = mm.getStringList("severities").value_or(std::vector<std::string>{});
  for (const auto& s : r.match.severities)
    if (!rules::severityFromName(s))
      mm.error("bad-value", mm.valueLocation("severities"), "unknown severity '" + s + "'",
               hintFor(s, rules::severityNames()));
  r.match.rules = mm.getStringList("rules").value_or(std::vector<std::string>{});
  r.match.rule_tags = mm.getStringList("rule_tags").value_or(std::vector<std::string>{});
  r.match.tenant_tags = mm.getStringList("tenant_tags").value_or(std::vector<std::string>{});
}

// One route, the i-th of `list` (at `path`, "alerts.routes"); nullopt when it is not a mapping
// (reported).
std::optional<alerts::Route> readRoute(const ReadContext& ctx, const YAML::Node& list, size_t i,
                                       const std::string& path) {
  const std::string where = path + "[" + std::to_string(i) + "]";
  YamlMap m = ctx.map(list[i], "route " + where, list);
  if (!m.valid()) return std::nullopt;
  m.checkKeys({"name", "to", "match", "sections", "default", "webhooks", "teams"});
  alerts::Route r;
  const bool has_outputs = m.has("webhooks") || m.has("teams");
  readName(m, where, has_outputs, r);
  readAddresses(m, r, has_outputs);
  readOutputs(ctx, m, where, r);
  r.is_default = m.getBool("default").value_or(false);
  readSections(m, r);
  if (m.has("match") && r.is_default) {
    m.error("bad-value", m.keyLocation("match"),
            "route '" + r.name + "' is the default route and has a 'match'",
            "the default route takes whatever no other route took; drop 'match' here, or "
            "'default: true' and add another route as the default");
  } else if (m.has("match")) {
    readMatch(ctx, m, list[i], where, r);
  } else if (!r.is_default) {
    m.error("missing-key", m.location(), "route '" + r.name + "' has no 'match'",
            "add a 'match' (severities, rules, rule_tags, tenant_tags) or mark it 'default: "
            "true'");
  }
  return r;
}

bool hasOutputs(const alerts::Route& r) { return !r.webhooks.empty() || !r.teams.empty(); }

// Where a route's name is written (the route itself when it has none).
SourceLocation nameLocation(const ReadContext& ctx, const YAML::Node& route) {
  for (const auto& kv : route)
    if (kv.first.IsScalar() && kv.first.Scalar() == "name")
      return locationFromMark(ctx.file, kv.second.Mark());
  return locationFromMark(ctx.file, route.Mark());
}

}  // namespace

void readRoutes(const ReadContext& ctx, const YAML::Node& node, YamlMap& alerts, AlertsConfig& a,
                const std::string& where) {
  if (!node.IsSequence() || node.size() == 0) {
    alerts.error("bad-type", alerts.valueLocation("routes"),
                 "'routes' must be a non-empty list of routes",
                 "at least one route with 'to' and 'default: true'");
    return;
  }
  bool have_default = false;
  std::map<std::string, size_t> names;  // route name -> its index in a.routes
  for (size_t i = 0; i < node.size(); ++i) {
    if (auto r = readRoute(ctx, node, i, where)) {
      have_default = have_default || r->is_default;
      auto [first, added] = names.emplace(r->name, a.routes.size());
      const alerts::Route* other = added ? nullptr : &a.routes[first->second];
      if (other && (hasOutputs(*r) || hasOutputs(*other)))
        alerts.error("duplicate-key", nameLocation(ctx, node[i]),
                     "two routes are named '" + r->name + "', and one of them has outputs",
                     "give each route its own name: queued posts refer to their route by name");
      a.routes.push_back(std::move(*r));
    }
  }
  if (!have_default)
    alerts.error("missing-key", alerts.valueLocation("routes"),
                 "no default route: findings no route matches would never be sent",
                 "mark one route 'default: true'");
}

}  // namespace cspwatch::config::detail
