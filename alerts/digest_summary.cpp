// SPDX-License-Identifier: Apache-2.0
#include "alerts/digest_summary.h"

#include <algorithm>
#include <map>
#include <set>

#include "alerts/text_util.h"

namespace cspwatch::alerts {

DigestSummary summariseDigest(const RecipientMessage& m) {
  DigestSummary out;
  auto items = [&m](Section s) -> const std::vector<AlertItem>& {
    return m.sections[static_cast<int>(s)];
  };
  out.opened = items(Section::kNew).size();
  out.reopened = items(Section::kReopened).size();
  out.still_open = items(Section::kReminders).size();
  out.resolved = items(Section::kResolved).size();
  out.unchecked = items(Section::kCouldNotCheck).size();
  out.expiring = items(Section::kExpiring).size();

  std::map<std::string, size_t> severities;
  std::map<std::string, DigestSummary::Count> rules;
  std::set<std::string> tenants;
  for (Section s : {Section::kNew, Section::kReopened, Section::kReminders})
    for (const AlertItem& item : items(s)) {
      ++severities[item.severity];
      DigestSummary::Count& rule = rules[item.rule_id];
      rule.key = item.rule_id;
      rule.label = item.rule_title.empty() ? item.rule_id : item.rule_title;
      rule.severity = item.severity;
      ++rule.count;
      tenants.insert(item.tenant_id.empty() ? item.tenant_name : item.tenant_id);
    }
  for (const auto& [severity, n] : severities)
    out.by_severity.push_back({severity, severity, severity, n});
  std::sort(out.by_severity.begin(), out.by_severity.end(),
            [](const auto& a, const auto& b) { return severityRank(a.key) < severityRank(b.key); });
  for (const auto& [id, count] : rules) out.by_rule.push_back(count);
  std::sort(out.by_rule.begin(), out.by_rule.end(), [](const auto& a, const auto& b) {
    if (a.count != b.count) return a.count > b.count;
    return a.label < b.label;
  });
  out.tenants = tenants.size();
  return out;
}

std::string changesText(const DigestSummary& s) {
  std::string out;
  auto add = [&out](size_t n, const char* what) {
    if (n == 0) return;
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(s.opened, "new");
  add(s.reopened, "reopened");
  add(s.resolved, "resolved");
  return out.empty() ? "nothing new" : out;
}

}  // namespace cspwatch::alerts
