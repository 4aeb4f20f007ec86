// SPDX-License-Identifier: Apache-2.0
#include "alerts/templates.h"

#include <algorithm>
#include <ctime>
#include <regex>

#include <kainjow/mustache.hpp>

#include "common/file_util.h"
#include "common/redact.h"
#include "common/text_position.h"

namespace cspwatch::alerts {

namespace mu = kainjow::mustache;

struct MailTemplates::Compiled {
  // kainjow's render() is not const; the parsed templates are reused for every message.
  mu::mustache text, html;
  Compiled(const std::string& t, const std::string& h) : text(t), html(h) {
    text.set_custom_escape([](const std::string& s) { return s; });  // plain text: as is
  }
};

namespace {

// kainjow reports "... at <offset>"; turn the offset into file:line:column.
std::string positioned(const std::string& name, const std::string& source,
                       const std::string& error) {
  static const std::regex kAt(" at ([0-9]+)$");
  std::smatch m;
  TextPosition at;
  std::string what = error;
  if (std::regex_search(error, m, kAt)) {
    at = textPosition(source, std::min<size_t>(std::stoul(m[1].str()), source.size()));
    what = error.substr(0, static_cast<size_t>(m.position(0)));
  }
  return name + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
         ": error: " + what + " [alerts.template-syntax]";
}

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
              "state is unknown, not fine: fix the access problem named for each."};
    case Section::kExpiring:
      return {"Suppressions expiring within 7 days",
              "When a suppression expires, the findings it hides are reported again. Renew it "
              "(cspwatch suppress add) or fix the findings."};
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

mu::data itemData(const AlertItem& item, Section section) {
  mu::data d;
  // Every value redacted, the last line of defence before a message leaves: a reason may
  // quote a server's words, and a finding's text a tenant's data.
  auto set = [&d](const char* key, const std::string& value) {
    d.set(key, oneLine(redactSecrets(value)));
    d.set(std::string("has_") + key, !value.empty());
  };
  set("rule_id", item.rule_id == "*" ? "" : item.rule_id);
  set("rule_title", item.rule_id == "*" ? "Every check of this tenant" : item.rule_title);
  set("severity", item.severity);
  d.set("severity_colour", severityColour(item.severity));
  set("why", item.why);
  if (item.group_tenants.size() > 1) {
    // Could not be checked, the same way in several tenants: one line naming them.
    constexpr size_t kNamed = 10;
    std::string names;
    for (size_t i = 0; i < item.group_tenants.size() && i < kNamed; ++i)
      names += (i ? ", " : "") + item.group_tenants[i];
    if (item.group_tenants.size() > kNamed)
      names += " and " + std::to_string(item.group_tenants.size() - kNamed) + " more";
    set("tenant_id", "");
    set("tenant_name", std::to_string(item.group_tenants.size()) + " tenants (" + names + ")");
  } else {
    set("tenant_id", item.tenant_id);
    set("tenant_name",
        item.tenant_id.empty() && item.tenant_name.empty() ? "every tenant" : item.tenant_name);
  }
  set("subject", item.subject);
  set("message", item.message);
  set("remediation", item.remediation);
  set("reason", item.reason);
  set("owner", item.owner);
  d.set("finding_id", std::to_string(item.finding_id));
  d.set("is_finding", item.finding_id != 0);
  d.set("is_resolved", section == Section::kResolved);
  d.set("is_could_not_check", section == Section::kCouldNotCheck);
  d.set("is_suppression", section == Section::kExpiring);
  d.set("first_seen", mailTime(item.first_seen));
  d.set("times_reminded", std::to_string(item.times_reminded));
  d.set("was_reminded", item.times_reminded > 0);
  d.set("times_reopened", std::to_string(item.times_reopened));
  d.set("was_reopened", item.times_reopened > 0);
  set("resolved_at", item.resolved_at ? mailTime(*item.resolved_at) : "");
  set("resolved_reason", item.resolved_reason);
  set("since", item.since ? mailTime(*item.since) : "");
  d.set("scans_in_a_row", std::to_string(item.scans_in_a_row));
  set("expires_at", item.expires_at ? mailTime(*item.expires_at) : "");
  return d;
}

}  // namespace

std::string mailTime(Timestamp t) {
  std::time_t secs = static_cast<std::time_t>(toUnixSeconds(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

Result<MailTemplates> MailTemplates::parse(const std::string& text, const std::string& html,
                                           const std::string& text_name,
                                           const std::string& html_name) {
  auto compiled = std::make_shared<Compiled>(text, html);
  if (!compiled->text.is_valid())
    return Status::invalidArgument(positioned(text_name, text, compiled->text.error_message()));
  if (!compiled->html.is_valid())
    return Status::invalidArgument(positioned(html_name, html, compiled->html.error_message()));
  MailTemplates t;
  t.compiled_ = std::move(compiled);
  return t;
}

Result<MailTemplates> MailTemplates::load(const std::string& dir) {
  const std::string text_path = dir + "/" + kTextFile, html_path = dir + "/" + kHtmlFile;
  auto text = readWholeFile(text_path);
  if (!text) return text.status();
  auto html = readWholeFile(html_path);
  if (!html) return html.status();
  return parse(*text, *html, text_path, html_path);
}

RenderedBody MailTemplates::render(const RecipientMessage& message,
                                   const MailContext& context) const {
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
    SectionText st = sectionText(s, message.kind);
    mu::data sd;
    sd.set("name", sectionName(s));
    sd.set("title", st.title);
    sd.set("explanation", st.explanation);
    sd.set("count", std::to_string(items.size()));
    mu::data list{mu::data::type::list};
    const size_t shown = std::min(items.size(), context.max_items_per_section);
    for (size_t i = 0; i < shown; ++i) list.push_back(itemData(items[i], s));
    sd.set("items", list);
    sd.set("more", std::to_string(items.size() - shown));
    sd.set("has_more", items.size() > shown);
    sections.push_back(sd);
    summary += (summary.empty() ? "" : ", ") + std::to_string(items.size()) + " " +
               (s == Section::kNew             ? "new"
                : s == Section::kReopened      ? "reopened"
                : s == Section::kReminders     ? "still open"
                : s == Section::kResolved      ? "resolved"
                : s == Section::kCouldNotCheck ? "could not be checked"
                                               : "suppression(s) expiring");
  }
  root.set("sections", sections);
  root.set("has_sections", !message.empty());
  root.set("summary", summary);
  RenderedBody out;
  out.text = compiled_->text.render(root);
  out.html = compiled_->html.render(root);
  return out;
}

}  // namespace cspwatch::alerts
