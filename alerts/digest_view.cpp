// SPDX-License-Identifier: Apache-2.0
#include "alerts/digest_view.h"

#include <algorithm>
#include <map>

#include "alerts/digest_summary.h"
#include "alerts/links.h"
#include "alerts/text_util.h"
#include "common/redact.h"

namespace cspwatch::alerts {

namespace mu = kainjow::mustache;

namespace {

struct SectionText {
  const char* title;
  const char* explanation;
};

SectionText sectionText(Section s, const std::string& kind) {
  if (kind == "critical")
    return {"Critical: act now", "Critical findings are sent as soon as a scan finds them."};
  switch (s) {
    case Section::kNew:
      return {"New findings", "Found for the first time by this scan."};
    case Section::kReopened:
      return {"Reopened", "Resolved earlier and failing again."};
    case Section::kReminders:
      return {"Still open",
              "Reminders of findings that are still open. They come less often the longer a "
              "finding stays open, and stop while it is suppressed."};
    case Section::kResolved:
      return {"Resolved", "No longer failing. Nothing to do."};
    case Section::kCouldNotCheck:
      return {"Could not be checked",
              "cspwatch could not read what these checks need, several scans in a row. Their "
              "state is unknown, not fine: give cspwatch the access named for each."};
    case Section::kExpiring:
      return {"Suppressions expiring within 7 days",
              "When a suppression expires, the findings it hides are reported again. Renew it or "
              "fix the findings."};
  }
  return {"", ""};
}

const char* severityColour(const std::string& severity) {
  if (severity == "critical") return "#b00020";
  if (severity == "high") return "#d35400";
  if (severity == "medium") return "#b7950b";
  if (severity == "low") return "#2e86c1";
  return "#6c757d";
}

// Line breaks and other control characters as spaces: tenant data cannot start a line of
// its own in the text part (a fake section or "Fix:" line).
std::string oneLine(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

// Every value redacted, the last line of defence before a message leaves: a reason may quote a
// server's words, and a finding's text a tenant's data.
std::string clean(const std::string& value) { return oneLine(redactSecrets(value)); }

// `key` (redacted, one line) and has_<key>.
void setText(mu::data& d, const std::string& key, const std::string& value) {
  d.set(key, clean(value));
  d.set("has_" + key, !value.empty());
}

// <key>_html: the value HTML-escaped with its URLs linked.
void setHtml(mu::data& d, const std::string& key, const std::string& value) {
  d.set(key + "_html", linkedHtml(clean(value)));
}

// Could not be checked, the same way in several tenants: "3 tenants (A, B, C)".
std::string groupedTenants(const std::vector<std::string>& names) {
  constexpr size_t kNamed = 10;
  std::string out;
  for (size_t i = 0; i < names.size() && i < kNamed; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kNamed) out += " and " + std::to_string(names.size() - kNamed) + " more";
  return std::to_string(names.size()) + " tenants (" + out + ")";
}

// Who and what: the tenant, its deep links, the rule, the subject by name.
void setSubjectData(mu::data& d, const AlertItem& item) {
  setText(d, "rule_id", item.rule_id == "*" ? "" : item.rule_id);
  setText(d, "rule_title", item.rule_id == "*" ? "Every check of this tenant" : item.rule_title);
  setText(d, "severity", item.severity);
  d.set("severity_colour", severityColour(item.severity));
  const bool grouped = item.group_tenants.size() > 1;
  setText(d, "tenant_id", grouped ? "" : item.tenant_id);
  setText(d, "tenant_name",
          grouped                                              ? groupedTenants(item.group_tenants)
          : item.tenant_id.empty() && item.tenant_name.empty() ? "every tenant"
                                                               : item.tenant_name);
  // Tenant ids reach a URL only as GUIDs (adminCenterUrl() checks).
  const std::string admin = grouped ? "" : adminCenterUrl(item.tenant_id);
  const std::string partner = grouped ? "" : partnerCenterUrl(item.tenant_id);
  d.set("admin_center_url", admin);
  d.set("partner_center_url", partner);
  d.set("has_tenant_links", !admin.empty());
  setText(d, "subject", item.subject);
  // The subject by name, unless the message names it already (one line less on a phone).
  const std::string& name = item.subject_label.empty() ? item.subject : item.subject_label;
  setText(d, "subject_name", item.message.find(name) == std::string::npos ? name : "");
}

mu::data itemData(const AlertItem& item, Section section) {
  mu::data d;
  setSubjectData(d, item);
  setText(d, "why", item.why);
  setHtml(d, "why", item.why);
  setText(d, "message", item.message);
  setHtml(d, "message", item.message);
  setText(d, "remediation", item.remediation);
  setHtml(d, "remediation", item.remediation);
  setText(d, "reason", item.reason);
  setText(d, "unchecked_what", item.unchecked_what);
  setText(d, "unchecked_fix", item.unchecked_fix);
  setText(d, "owner", item.owner);
  d.set("finding_id", std::to_string(item.finding_id));
  d.set("is_finding", item.finding_id != 0);
  d.set("is_new", section == Section::kNew);
  d.set("is_resolved", section == Section::kResolved);
  d.set("is_could_not_check", section == Section::kCouldNotCheck);
  d.set("is_suppression", section == Section::kExpiring);
  d.set("first_seen", mailTime(item.first_seen));
  d.set("times_reminded", std::to_string(item.times_reminded));
  d.set("was_reminded", item.times_reminded > 0);
  d.set("times_reopened", std::to_string(item.times_reopened));
  d.set("was_reopened", item.times_reopened > 0);
  setText(d, "resolved_at", item.resolved_at ? mailTime(*item.resolved_at) : "");
  setText(d, "resolved_reason", item.resolved_reason);
  setText(d, "since", item.since ? mailTime(*item.since) : "");
  d.set("scans_in_a_row", std::to_string(item.scans_in_a_row));
  d.set("scans_in_a_row_text", plural(static_cast<size_t>(item.scans_in_a_row), "scan", "scans"));
  setText(d, "expires_at", item.expires_at ? mailTime(*item.expires_at) : "");
  return d;
}

// The first `shown` items grouped by rule, in the order the rules first appear; a rule's title,
// severity and why once per group.
mu::data groupsData(const std::vector<AlertItem>& items, size_t shown, Section section) {
  std::vector<std::vector<size_t>> groups;
  std::map<std::string, size_t> index;  // rule id -> group
  for (size_t i = 0; i < shown; ++i) {
    auto [it, fresh] = index.emplace(items[i].rule_id, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  mu::data out{mu::data::type::list};
  for (const auto& members : groups) {
    const AlertItem& first = items[members.front()];
    mu::data g;
    setSubjectData(g, first);
    setText(g, "why", first.why);
    setHtml(g, "why", first.why);
    g.set("count", std::to_string(members.size()));
    g.set("is_resolved", section == Section::kResolved);
    mu::data list{mu::data::type::list};
    for (size_t i : members) list.push_back(itemData(items[i], section));
    g.set("items", list);
    out.push_back(g);
  }
  return out;
}

mu::data sectionData(Section s, const std::vector<AlertItem>& items, const std::string& kind,
                     size_t max_items) {
  const SectionText st = sectionText(s, kind);
  mu::data sd;
  sd.set("name", sectionName(s));
  sd.set("title", st.title);
  sd.set("explanation", st.explanation);
  sd.set("count", std::to_string(items.size()));
  sd.set("is_could_not_check", s == Section::kCouldNotCheck);
  sd.set("is_suppressions", s == Section::kExpiring);
  sd.set("is_findings", s != Section::kCouldNotCheck && s != Section::kExpiring);
  sd.set("is_resolved", s == Section::kResolved);
  const size_t shown = std::min(items.size(), max_items);
  mu::data list{mu::data::type::list};
  for (size_t i = 0; i < shown; ++i) list.push_back(itemData(items[i], s));
  sd.set("items", list);
  sd.set("groups", groupsData(items, shown, s));
  sd.set("more", std::to_string(items.size() - shown));
  sd.set("has_more", items.size() > shown);
  return sd;
}

// The summary (alerts/digest_summary.h): counts, and texts ready to print.
void setSummaryData(mu::data& root, const RecipientMessage& m) {
  const DigestSummary s = summariseDigest(m);
  root.set("has_overview", m.kind == "digest" && !m.empty());
  root.set("open_count", std::to_string(s.open()));
  root.set("has_open", s.open() > 0);
  root.set("tenants_affected", std::to_string(s.tenants));
  root.set("open_text", s.open() == 0
                            ? std::string("No findings to act on")
                            : plural(s.open(), "finding", "findings") + " to act on, in " +
                                  plural(s.tenants, "tenant", "tenants"));
  mu::data severities{mu::data::type::list};
  std::string severity_text;  // "11 high, 7 medium"
  for (const auto& c : s.by_severity) {
    severity_text += (severity_text.empty() ? "" : ", ") + std::to_string(c.count) + " " + c.label;
    mu::data d;
    d.set("severity", clean(c.label));
    d.set("severity_colour", severityColour(c.key));
    d.set("count", std::to_string(c.count));
    severities.push_back(d);
  }
  root.set("severity_counts", severities);
  root.set("severity_text", clean(severity_text));
  mu::data rules{mu::data::type::list};
  for (const auto& c : s.by_rule) {
    mu::data d;
    d.set("rule_id", clean(c.key));
    d.set("rule_title", clean(c.label));
    d.set("severity_colour", severityColour(c.severity));
    d.set("count", std::to_string(c.count));
    rules.push_back(d);
  }
  root.set("rule_counts", rules);
  root.set("has_rule_counts", !s.by_rule.empty());
  root.set("changes", changesText(s));
  for (const auto& [key, n] : {std::pair<const char*, size_t>{"new", s.opened},
                               {"reopened", s.reopened},
                               {"resolved", s.resolved},
                               {"still_open", s.still_open},
                               {"unchecked", s.unchecked},
                               {"expiring", s.expiring}}) {
    root.set(std::string(key) + "_count", std::to_string(n));
    root.set(std::string("has_") + key, n > 0);
  }
  root.set("still_open_text", plural(s.still_open, "finding", "findings") + " still open");
  root.set("unchecked_text", plural(s.unchecked, "check", "checks") + " could not be made");
  root.set("expiring_text",
           plural(s.expiring, "suppression expires", "suppressions expire") + " within 7 days");
}

const char* summaryWord(Section s) {
  switch (s) {
    case Section::kNew:
      return "new";
    case Section::kReopened:
      return "reopened";
    case Section::kReminders:
      return "still open";
    case Section::kResolved:
      return "resolved";
    case Section::kCouldNotCheck:
      return "could not be checked";
    case Section::kExpiring:
      break;
  }
  return "suppression(s) expiring";
}

}  // namespace

mu::data messageData(const RecipientMessage& message, const MailContext& context) {
  mu::data root;
  root.set("kind", message.kind);
  root.set("is_digest", message.kind == "digest");
  root.set("is_critical", message.kind == "critical");
  root.set("is_test", message.kind == "test");
  root.set("is_signin", message.kind == "signin");
  root.set("subject", context.subject);
  root.set("partner_name", context.partner_name);
  root.set("scan_id", std::to_string(context.scan_id));
  root.set("has_scan", context.scan_id != 0);
  root.set("generated_at", mailTime(context.now));
  root.set("intro", redactSecrets(context.intro));  // a "signin" intro quotes Entra's words
  root.set("has_intro", !context.intro.empty());
  root.set("could_not_check_after", std::to_string(context.could_not_check_after));
  root.set("recipient", message.recipient);
  mu::data sections{mu::data::type::list};
  std::string summary;
  for (Section s : allSections()) {
    const auto& items = message.sections[static_cast<int>(s)];
    if (items.empty()) continue;
    sections.push_back(sectionData(s, items, message.kind, context.max_items_per_section));
    summary += (summary.empty() ? "" : ", ") + std::to_string(items.size()) + " " + summaryWord(s);
  }
  root.set("sections", sections);
  root.set("has_sections", !message.empty());
  root.set("summary", summary);
  setSummaryData(root, message);
  return root;
}

}  // namespace cspwatch::alerts
