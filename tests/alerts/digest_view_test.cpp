// SPDX-License-Identifier: Apache-2.0
// What a digest says (issue 18), through the shipped templates: the summary first, findings
// grouped by rule with the rule's why once, each finding with the tenant and subject by name, what
// is wrong and the fix, URLs as links, and checks that could not be made in a section of their own
// that does not look like a finding.
#include <catch2/catch.hpp>

#include "alerts/digest_summary.h"
#include "alerts/templates.h"
#include "common/text.h"

using namespace cspwatch;
using namespace cspwatch::alerts;
using Catch::contains;

namespace {

const std::string kShipped = std::string(CSPWATCH_SOURCE_DIR) + "/etc/templates";
const std::string kContoso = "0b6f1a52-1111-4c1e-9d3a-2f6e1a0c9e11";
const std::string kFabrikam = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

AlertItem finding(int64_t id, const std::string& rule, const std::string& severity,
                  const std::string& tenant_id, const std::string& tenant) {
  AlertItem i;
  i.finding_id = id;
  i.rule_id = rule;
  i.rule_title = rule == "incumbent" ? "Another partner still holds admin access" : "DAP is on";
  i.severity = severity;
  i.why = rule == "incumbent" ? "Another company can still act as an administrator."
                              : "Every admin agent is a Global Administrator.";
  i.tenant_id = tenant_id;
  i.tenant_name = tenant;
  i.message = "What is wrong at " + tenant + ": see https://learn.example/why?a=1&b=2.";
  i.remediation = "Fix it at " + tenant + ".";
  i.first_seen = *parseTimestamp("2026-11-20T06:00:00Z");
  return i;
}

RecipientMessage digest() {
  RecipientMessage m;
  m.kind = "digest";
  m.recipient = "ops@p.example";
  AlertItem adatum = finding(11, "incumbent", "high", kContoso, "Contoso Ltd");
  adatum.subject = "5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41";
  adatum.subject_label = "Adatum Managed Services (adatum.onmicrosoft.com)";
  auto& opened = m.sections[static_cast<int>(Section::kNew)];
  opened = {adatum, finding(12, "incumbent", "high", kFabrikam, "Fabrikam"),
            finding(13, "dap", "medium", kFabrikam, "Fabrikam")};
  m.sections[static_cast<int>(Section::kReminders)] = {
      finding(14, "dap", "medium", kContoso, "Contoso Ltd")};
  AlertItem gone = finding(15, "dap", "medium", "t-not-a-guid", "Northwind Test");
  gone.resolved_at = *parseTimestamp("2026-11-25T06:00:00Z");
  gone.resolved_reason = "passed";
  m.sections[static_cast<int>(Section::kResolved)] = {gone};
  AlertItem unknown;
  unknown.rule_id = "incumbent";
  unknown.rule_title = "Another partner still holds admin access";
  unknown.severity = "high";
  unknown.tenant_id = kContoso;
  unknown.tenant_name = "Contoso Ltd";
  unknown.reason = "tenant.partners is unknown (partners could not be read: HTTP 403 Forbidden)";
  unknown.unchecked_what = "the partners the customer's tenant lists (access was refused)";
  unknown.unchecked_fix = "our GDAP relationship needs Security Reader";
  unknown.since = *parseTimestamp("2026-11-24T06:00:00Z");
  unknown.scans_in_a_row = 2;
  m.sections[static_cast<int>(Section::kCouldNotCheck)] = {unknown};
  return m;
}

MailContext context() {
  MailContext c;
  c.partner_name = "Northwind IT";
  c.subject = "[cspwatch] 3 new";
  c.scan_id = 7;
  c.now = *parseTimestamp("2026-11-25T06:00:00Z");
  return c;
}

// Every run of whitespace as one space.
std::string squeeze(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = c == ' ' || c == '\n';
    if (space && !out.empty() && out.back() == ' ') continue;
    out += space ? ' ' : c;
  }
  return out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("digest view: the summary counts by severity and rule, tenants and changes",
          "[templates][digest-view]") {
  const DigestSummary s = summariseDigest(digest());
  CHECK(s.opened == 3);
  CHECK(s.still_open == 1);
  CHECK(s.resolved == 1);
  CHECK(s.unchecked == 1);
  CHECK(s.open() == 4);
  CHECK(s.tenants == 2);
  REQUIRE(s.by_severity.size() == 2);
  CHECK(s.by_severity[0].key == "high");
  CHECK(s.by_severity[0].count == 2);
  CHECK(s.by_severity[1].key == "medium");
  CHECK(s.by_severity[1].count == 2);
  REQUIRE(s.by_rule.size() == 2);
  CHECK(changesText(s) == "3 new, 1 resolved");

  auto t = MailTemplates::load(kShipped);
  REQUIRE(t);
  RenderedBody b = t->render(digest(), context());
  for (const std::string* part : {&b.text, &b.html}) {
    CHECK(contains(*part, "4 findings to act on, in 2 tenants: 2 high, 2 medium."));
    CHECK(contains(*part, "Since the last digest: 3 new, 1 resolved; 1 finding still open."));
    CHECK(contains(*part, "1 check could not be made."));
    // The summary comes before any finding.
    CHECK(part->find("4 findings to act on") < part->find("Fabrikam"));
  }
}

TEST_CASE("digest view: findings grouped by rule, the why once per group, compact items",
          "[templates][digest-view]") {
  auto t = MailTemplates::load(kShipped);
  REQUIRE(t);
  RenderedBody b = t->render(digest(), context());
  for (const std::string* part : {&b.text, &b.html}) {
    INFO(*part);
    // Two new findings of one rule: its why once in the section, not once per finding.
    CHECK(count(*part, "Another company can still act as an administrator.") == 1);
    // DAP in New, Still open and Resolved: once per section it is listed in, but not for the
    // resolved one (nothing to do).
    CHECK(count(*part, "Every admin agent is a Global Administrator.") == 2);
    // The subject by name; its id is not shown.
    CHECK(contains(*part, "Adatum Managed Services (adatum.onmicrosoft.com)"));
    CHECK_FALSE(contains(*part, "5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41"));
    CHECK(contains(*part, "#11"));
    CHECK_FALSE(contains(*part, "cspwatch findings show 11"));
  }
  // Groups in the order their rules come, items in order.
  CHECK(b.text.find("## Another partner still holds admin access [high] (2)") <
        b.text.find("## DAP is on [medium] (1)"));
  CHECK(b.text.find("* Contoso Ltd: Adatum") < b.text.find("* Fabrikam\n"));
}

TEST_CASE("digest view: URLs are links, each tenant links to its admin centers by GUID",
          "[templates][digest-view][links]") {
  auto t = MailTemplates::load(kShipped);
  REQUIRE(t);
  RenderedBody b = t->render(digest(), context());
  CHECK(contains(b.html, "<a href=\"https://learn.example/why?a=1&amp;b=2\">"));
  CHECK(contains(b.html,
                 "<a href=\"https://admin.microsoft.com/Partner/BeginClientSession.aspx?"
                 "CTID=" +
                     kContoso + "&amp;CSDEST=o365admincenter\">Admin center</a>"));
  CHECK(contains(b.html, "<a href=\"https://partner.microsoft.com/dashboard/commerce2/customers/" +
                             kFabrikam + "\">Partner Center</a>"));
  // A tenant id that is not a GUID gets no deep link.
  CHECK_FALSE(contains(b.html, "CTID=t-not-a-guid"));
  CHECK_FALSE(contains(b.html, "customers/t-not-a-guid"));
  // The text part has the URL as text, without markup.
  CHECK(contains(b.text, "https://learn.example/why?a=1&b=2."));
  CHECK_FALSE(contains(b.text, "<a href"));
}

TEST_CASE("digest view: could not be checked is its own section, in words, not like a finding",
          "[templates][digest-view]") {
  auto t = MailTemplates::load(kShipped);
  REQUIRE(t);
  RenderedBody b = t->render(digest(), context());
  for (const std::string* part : {&b.text, &b.html}) {
    INFO(*part);
    // (The text part wraps lines: compared with single spaces.)
    const std::string flat = squeeze(*part);
    CHECK(contains(flat, part == &b.html
                             ? "the partners the customer&apos;s tenant lists (access was refused)"
                             : "the partners the customer's tenant lists (access was refused)"));
    CHECK(contains(flat, "our GDAP relationship needs Security Reader"));
    // Not the model's internal names, nor the server's words.
    CHECK_FALSE(contains(*part, "tenant.partners is unknown"));
    CHECK_FALSE(contains(*part, "HTTP 403 Forbidden"));
  }
  // In HTML: a plain box, no severity badge, no finding's coloured border.
  const size_t from = b.html.find("Could not be checked (1)");
  REQUIRE(from != std::string::npos);
  const std::string section = b.html.substr(from, b.html.find("</td>", from) - from);
  INFO(section);
  CHECK(contains(section, "background:#f6f8fa"));
  CHECK_FALSE(contains(section, "border-left:3px"));
  CHECK_FALSE(contains(section, "#d35400"));  // high's colour
  CHECK_FALSE(contains(section, ">high<"));
}
