// SPDX-License-Identifier: Apache-2.0
#include "alerts/digest.h"

#include <algorithm>
#include <map>
#include <set>

#include "alerts/text_util.h"
#include "common/redact.h"

namespace cspwatch::alerts {

namespace {

const std::vector<std::string> kSectionNames = {
    "new", "reopened", "reminders", "resolved", "could_not_check", "expiring_suppressions"};

bool anyOf(const std::vector<std::string>& wanted, const std::vector<std::string>& have) {
  for (const auto& w : wanted)
    if (std::find(have.begin(), have.end(), w) != have.end()) return true;
  return false;
}

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool hasSection(const Route& r, Section s) {
  return std::find(r.sections.begin(), r.sections.end(), s) != r.sections.end();
}

// "Our company is ..." -> "our company is ...", but "GDAP ..." stays.
std::string lowerFirst(std::string s) {
  if (s.size() >= 2 && s[0] >= 'A' && s[0] <= 'Z' && ((s[1] >= 'a' && s[1] <= 'z') || s[1] == ' '))
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

}  // namespace

const char* sectionName(Section s) { return kSectionNames[static_cast<size_t>(s)].c_str(); }

std::optional<Section> sectionFromName(const std::string& name) {
  for (size_t i = 0; i < kSectionNames.size(); ++i)
    if (kSectionNames[i] == name) return static_cast<Section>(i);
  return std::nullopt;
}

const std::vector<std::string>& sectionNames() { return kSectionNames; }

const std::vector<Section>& allSections() {
  static const std::vector<Section> kAll = {Section::kNew,           Section::kReopened,
                                            Section::kReminders,     Section::kResolved,
                                            Section::kCouldNotCheck, Section::kExpiring};
  return kAll;
}

bool RecipientMessage::empty() const {
  for (const auto& s : sections)
    if (!s.empty()) return false;
  return true;
}

bool routeMatches(const Route& route, const AlertItem& item) {
  const RouteMatch& m = route.match;
  const bool whole_tenant = item.rule_id == "*";
  if (!whole_tenant) {
    if (!m.severities.empty() && !contains(m.severities, item.severity)) return false;
    if (!m.rules.empty() && !contains(m.rules, item.rule_id)) return false;
    if (!m.rule_tags.empty() && !anyOf(m.rule_tags, item.rule_tags)) return false;
  }
  if (!m.tenant_tags.empty() && !item.tenant_id.empty() && !anyOf(m.tenant_tags, item.tenant_tags))
    return false;
  return true;
}

std::vector<RecipientMessage> routeScan(const DigestInput& input, const AlertPolicy& policy) {
  // Recipients in the order the routes first name them; each gets the union of its routes.
  std::vector<std::string> order;
  std::map<std::string, RecipientMessage> digests, critical;
  std::map<std::string, std::set<std::pair<int, size_t>>> seen;  // (section, item) per recipient
  for (const auto& route : policy.routes)
    for (const auto& to : route.to)
      if (!digests.count(to)) {
        order.push_back(to);
        digests[to] = RecipientMessage{"digest", to, {}, ""};
      }
  auto deliverTo = [&](const Route& route, int section, size_t index, const AlertItem& item) {
    if (!hasSection(route, static_cast<Section>(section))) return;
    for (const auto& to : route.to) {
      if (!seen[to].insert({section, index}).second) continue;
      digests[to].sections[section].push_back(item);
      const bool opened = section == static_cast<int>(Section::kNew) ||
                          section == static_cast<int>(Section::kReopened);
      if (opened && contains(policy.immediate_severities, item.severity)) {
        auto& c = critical[to];
        c.kind = "critical";
        c.recipient = to;
        c.sections[section].push_back(item);
      }
    }
  };
  for (int section = 0; section < kSectionCount; ++section) {
    const auto& items = input.sections[section];
    for (size_t i = 0; i < items.size(); ++i) {
      // Taken: some other route wants this item in this section. Otherwise the default
      // routes get it, so an item a route matches but does not want in this section is not lost.
      bool matched = false;
      for (const auto& route : policy.routes) {
        if (route.is_default || !routeMatches(route, items[i]) ||
            !hasSection(route, static_cast<Section>(section)))
          continue;
        matched = true;
        deliverTo(route, section, i, items[i]);
      }
      if (matched) continue;
      for (const auto& route : policy.routes)
        if (route.is_default && routeMatches(route, items[i]))
          deliverTo(route, section, i, items[i]);
    }
  }
  std::vector<RecipientMessage> out;
  if (input.sign_in_failure)
    for (const auto& to : order) {
      RecipientMessage m;
      m.kind = "signin";
      m.recipient = to;
      m.reason = redactSecrets(*input.sign_in_failure);  // may quote Entra's words
      out.push_back(std::move(m));
    }
  for (const auto& to : order)
    if (auto c = critical.find(to); c != critical.end()) out.push_back(c->second);
  for (const auto& to : order) {
    RecipientMessage& d = digests[to];
    bool newsworthy = false;
    for (const auto& section : d.sections)
      for (const auto& item : section) newsworthy = newsworthy || item.newsworthy;
    auto& unknown = d.sections[static_cast<int>(Section::kCouldNotCheck)];
    unknown = groupCouldNotCheck(unknown);
    if (newsworthy) out.push_back(std::move(d));
  }
  return out;
}

std::vector<AlertItem> groupCouldNotCheck(const std::vector<AlertItem>& items) {
  std::vector<AlertItem> out;
  std::map<std::pair<std::string, std::string>, size_t> where;  // (rule, reason) -> out index
  for (const auto& item : items) {
    // A reason may quote a server's words: redacted here too (and so the same gap with two
    // tokens echoed is one line).
    const std::string reason = redactSecrets(item.reason);
    const auto key = std::make_pair(
        item.rule_id,
        item.unchecked_what.empty() ? reason : item.unchecked_what + "\n" + item.unchecked_fix);
    auto it = where.find(key);
    if (it == where.end()) {
      where.emplace(key, out.size());
      out.push_back(item);
      out.back().reason = reason;
      out.back().group_tenants = {item.tenant_name.empty() ? item.tenant_id : item.tenant_name};
      continue;
    }
    AlertItem& g = out[it->second];
    g.group_tenants.push_back(item.tenant_name.empty() ? item.tenant_id : item.tenant_name);
    g.newsworthy = g.newsworthy || item.newsworthy;
    g.scans_in_a_row = std::max(g.scans_in_a_row, item.scans_in_a_row);
    if (item.since && (!g.since || *item.since < *g.since)) g.since = item.since;
  }
  return out;
}

std::string subjectFor(const RecipientMessage& m) {
  if (m.kind == "signin") return "[cspwatch] CRITICAL: cspwatch cannot sign in to Partner Center";
  auto count = [&m](Section s) { return m.sections[static_cast<int>(s)].size(); };
  std::vector<std::string> parts;
  if (size_t n = count(Section::kNew)) parts.push_back(std::to_string(n) + " new");
  if (size_t n = count(Section::kReopened)) parts.push_back(std::to_string(n) + " reopened");
  if (size_t n = count(Section::kReminders)) parts.push_back(plural(n, "reminder", "reminders"));
  if (size_t n = count(Section::kResolved)) parts.push_back(std::to_string(n) + " resolved");
  if (size_t n = count(Section::kCouldNotCheck))
    parts.push_back(std::to_string(n) + " could not be checked");
  if (size_t n = count(Section::kExpiring))
    parts.push_back(plural(n, "suppression expiring", "suppressions expiring"));

  // The headline: the first (most severe) item of the most pressing non-empty section.
  std::string headline;
  size_t total = 0;
  for (Section s : allSections()) total += count(s);
  for (Section s : allSections()) {
    const auto& items = m.sections[static_cast<int>(s)];
    if (items.empty()) continue;
    const AlertItem& first = items.front();
    std::string where = first.tenant_name.empty() ? first.tenant_id : first.tenant_name;
    if (first.group_tenants.size() > 1)
      where += " and " + plural(first.group_tenants.size() - 1, "other tenant", "other tenants");
    if (s == Section::kCouldNotCheck)
      headline = "could not check " +
                 (first.rule_id == "*" ? std::string("anything") : lowerFirst(first.rule_title)) +
                 " on " + where;
    else if (s == Section::kExpiring)
      headline = "suppression of " + first.rule_id + " expires";
    else
      headline = (s == Section::kResolved ? "resolved: " : "") + lowerFirst(first.rule_title) +
                 (where.empty() ? "" : " on " + where);
    break;
  }
  if (total > 1) headline += " and " + std::to_string(total - 1) + " more";

  std::string subject = "[cspwatch] ";
  if (m.kind == "critical") subject += "CRITICAL: ";
  if (m.kind == "test") return subject + "test message";
  for (size_t i = 0; i < parts.size() && m.kind != "critical"; ++i)
    subject += (i ? ", " : "") + parts[i];
  if (m.kind != "critical" && !headline.empty()) subject += ": ";
  return subject + headline;
}

}  // namespace cspwatch::alerts
