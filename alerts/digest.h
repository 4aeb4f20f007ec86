// SPDX-License-Identifier: Apache-2.0
// What to tell whom after a scan (docs/alerts.md): the scan's alert items in sections, routed
// to recipients by severity, rule id, rule tags and tenant tags, merged into one digest per
// recipient, plus a separate "act now" message for critical findings. Pure: no clock, no
// files, no database; the scan's alert pipeline (scan/alert_pipeline.h) gathers the items
// and the templates render the result.
//
// Routing: an item goes to every route that matches it and lists its section; a route marked
// `is_default` (which has no matchers) receives the items no other route took in that section. A
// recipient named by several routes gets one digest holding the union. A recipient gets a digest
// only when at least one of its items is newsworthy (new, reopened, due reminders, resolved; checks
// or suppressions that just crossed their threshold): nothing to say, no email.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "alerts/route_outputs.h"
#include "common/time.h"

namespace cspwatch::alerts {

enum class Section { kNew, kReopened, kReminders, kResolved, kCouldNotCheck, kExpiring };
inline constexpr int kSectionCount = 6;
// "new", "reopened", "reminders", "resolved", "could_not_check", "expiring_suppressions".
const char* sectionName(Section s);
std::optional<Section> sectionFromName(const std::string& name);
const std::vector<std::string>& sectionNames();
const std::vector<Section>& allSections();

// One line of a digest: a finding, a check that could not be made, or a suppression.
struct AlertItem {
  int64_t finding_id = 0;  // findings; 0 otherwise
  std::string rule_id;     // "*": the whole tenant could not be read
  std::string rule_title;
  std::string severity;  // critical, high, medium, low, info
  std::string why;       // why it matters, in an admin's words (the rule's why, docs/rules.md)
  std::vector<std::string> rule_tags;
  std::string tenant_id;  // "" for a suppression covering every tenant
  std::string tenant_name;
  std::vector<std::string> tenant_tags;
  std::string subject, message, remediation;
  std::string subject_label;  // the subject by name (the rule's subject_label); "": the subject
  Timestamp first_seen;
  int times_reminded = 0, times_reopened = 0;
  std::optional<Timestamp> resolved_at;
  std::string resolved_reason;
  // Could not be checked: why (the technical reason: not shown in the shipped templates), since
  // when, for how many scans in a row; and in an admin's words what could not be read and the
  // permission, role or access that would let cspwatch read it (tenants/unknown_advice.h).
  std::string reason;
  std::string unchecked_what, unchecked_fix;
  std::optional<Timestamp> since;
  int scans_in_a_row = 0;
  // Suppressions: who owns it, why, when it expires.
  std::string owner;
  std::optional<Timestamp> expires_at;
  // False: listed when a digest goes out anyway (so it never reads as all-clear), but not a
  // reason to send one.
  bool newsworthy = true;
  // Could not be checked, grouped: every tenant with the same rule and reason, in order (the
  // first is tenant_id/tenant_name). Empty for other items.
  std::vector<std::string> group_tenants;
};

struct RouteMatch {  // every non-empty list must match (an item matches a list if any entry does)
  std::vector<std::string> severities, rules, rule_tags, tenant_tags;
};

struct Route {
  std::string name;
  std::vector<std::string> to;  // may be empty when the route has outputs
  RouteMatch match;
  std::vector<Section> sections = allSections();
  bool is_default = false;
  // Outputs beside email (alerts/route_outputs.h): the same items, posted.
  std::vector<WebhookOutput> webhooks;
  std::vector<TeamsOutput> teams;
};

struct AlertPolicy {
  std::vector<Route> routes;
  std::vector<std::string> immediate_severities = {"critical"};  // sent at once, separately
};

// The items of one scan, by section (index = Section).
struct DigestInput {
  int64_t scan_id = 0;
  Timestamp now;
  std::vector<AlertItem> sections[kSectionCount];
  // Set when cspwatch cannot sign in as the partner user and the admins are due to hear of it:
  // every recipient then also gets a "signin" message saying so (first, like critical ones).
  std::optional<std::string> sign_in_failure;
};

// What one recipient gets: "digest" (sections), "critical" (only the new and reopened
// findings of immediate severities, in the kNew/kReopened sections), "signin" (cspwatch cannot
// sign in to Partner Center: `reason`, no sections) or "test".
struct RecipientMessage {
  std::string kind;
  std::string recipient;
  std::vector<AlertItem> sections[kSectionCount];
  std::string reason;  // "signin": why cspwatch cannot sign in
  bool empty() const;
};

// Whether `route`'s matchers accept `item`. Rule matchers do not restrict a whole-tenant item
// (rule "*": nothing about the tenant could be checked); tenant-tag matchers do not restrict an
// item without a tenant (a suppression for every tenant).
bool routeMatches(const Route& route, const AlertItem& item);

// Checks that could not be made, one item per rule and gap: the same gap in many tenants (a GDAP
// role missing everywhere) reads as one line naming the tenants. The gap is what could not be read
// and its fix where the items say (unchecked_what, unchecked_fix), else the reason. Order kept.
std::vector<AlertItem> groupCouldNotCheck(const std::vector<AlertItem>& items);

// "signin" messages first (to every recipient), then critical ones (queued first, so delivered
// first), then one digest per recipient with something newsworthy; recipients in the order the
// routes name them. Could-not-check sections are grouped (groupCouldNotCheck).
std::vector<RecipientMessage> routeScan(const DigestInput& input, const AlertPolicy& policy);

// "[cspwatch] 3 new, 1 resolved: our company is not listed as the tenant's partner on Contoso
// Ltd and 2 more". Plain UTF-8; encoding is renderMessage's job.
std::string subjectFor(const RecipientMessage& message);

}  // namespace cspwatch::alerts
