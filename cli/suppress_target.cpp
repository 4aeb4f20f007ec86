// SPDX-License-Identifier: Apache-2.0
#include "cli/suppress_target.h"

#include <algorithm>

#include "common/guid.h"
#include "common/text.h"

namespace cspwatch::cli {

namespace {

std::string plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

size_t distance(const std::string& a, const std::string& b) {
  return editDistance(toLowerAscii(a), toLowerAscii(b));
}

// How far `text` is from a tenant: the closest of its id, name and domain.
size_t tenantDistance(const std::string& text, const storage::KnownTenant& t) {
  size_t d = std::min(distance(text, t.tenant_id), distance(text, t.name));
  return t.domain.empty() ? d : std::min(d, distance(text, t.domain));
}

}  // namespace

std::string tenantLabel(const storage::KnownTenant& t) {
  return t.name + " (" + t.tenant_id + (t.domain.empty() ? "" : ", " + t.domain) + ")";
}

TenantMatch resolveTenant(const std::string& text, const std::vector<storage::KnownTenant>& known) {
  if (auto id = normalizeGuid(text)) return {*id, ""};
  const std::string wanted = toLowerAscii(trim(text));
  std::vector<const storage::KnownTenant*> matches;
  for (const auto& t : known)
    if (toLowerAscii(t.name) == wanted || (!t.domain.empty() && toLowerAscii(t.domain) == wanted))
      matches.push_back(&t);
  if (matches.size() == 1) return {matches[0]->tenant_id, ""};
  if (matches.size() > 1) {
    std::vector<std::string> labels;
    for (const auto* t : matches) labels.push_back(tenantLabel(*t));
    return {"", "'" + text + "' names " + std::to_string(matches.size()) +
                    " tenants: " + join(labels, "; ") + "; give the tenant id"};
  }
  std::string error =
      "no tenant with the id, name or default domain '" + text + "' in the last scan";
  auto close = nearestTenants(text, known);
  if (!close.empty()) error += "; closest: " + join(close, "; ");
  return {"", error};
}

std::vector<std::string> nearest(const std::string& word,
                                 const std::vector<std::string>& candidates, size_t n) {
  std::vector<std::pair<size_t, std::string>> ranked;
  for (const auto& c : candidates) {
    const size_t d = distance(word, c);
    // Closer than replacing the whole word, and each candidate once.
    if (d < std::max<size_t>(word.size(), 1) &&
        std::none_of(ranked.begin(), ranked.end(), [&](const auto& r) { return r.second == c; }))
      ranked.emplace_back(d, c);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < ranked.size() && i < n; ++i) out.push_back(ranked[i].second);
  return out;
}

std::vector<std::string> nearestTenants(const std::string& text,
                                        const std::vector<storage::KnownTenant>& known) {
  std::vector<std::pair<size_t, const storage::KnownTenant*>> ranked;
  for (const auto& t : known) ranked.emplace_back(tenantDistance(text, t), &t);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < ranked.size() && i < 3; ++i) out.push_back(tenantLabel(*ranked[i].second));
  return out;
}

std::string coverageText(const storage::SuppressionCoverage& c) {
  std::vector<std::string> named;
  for (const auto& f : c.findings)
    named.push_back((f.tenant_name.empty() ? f.tenant_id : f.tenant_name) +
                    (f.subject.empty() ? "" : ": " + f.subject) +
                    (f.suppressed ? " (already suppressed)" : ""));
  for (const auto& u : c.could_not_check)
    named.push_back((u.tenant_name.empty() ? u.tenant_id : u.tenant_name) +
                    ": could not be checked");
  const size_t shown = std::min<size_t>(named.size(), 5);
  std::string list = join(std::vector<std::string>(named.begin(), named.begin() + shown), "; ");
  if (named.size() > shown) list += "; and " + std::to_string(named.size() - shown) + " more";
  return plural(c.findings.size(), "open finding", "open findings") + " and " +
         plural(c.could_not_check.size(), "could-not-check item", "could-not-check items") +
         (list.empty() ? "" : " (" + list + ")");
}

}  // namespace cspwatch::cli
