// SPDX-License-Identifier: Apache-2.0
#include "alerts/templates.h"

#include <catch2/catch.hpp>

#include "alerts/mail_message.h"
#include "common/text.h"

using namespace cspwatch;
using namespace cspwatch::alerts;
using Catch::contains;

namespace {

const std::string kShipped = std::string(CSPWATCH_SOURCE_DIR) + "/etc/templates";

AlertItem contoso() {
  AlertItem i;
  i.finding_id = 42;
  i.rule_id = "partner-not-listed";
  i.rule_title = "Our company is not listed as the tenant's partner";
  i.severity = "high";
  i.why = "Microsoft credits nobody for the licences and we have no admin access.";
  i.tenant_id = "0b6f1a52-1111-4c1e-9d3a-2f6e1a0c9e11";
  i.tenant_name = "Contoso Ltd";
  i.message = "Contoso Ltd lists only Distributor Pty Ltd as its partner";
  i.remediation =
      "Send the reseller relationship request: https://admin.microsoft.com/Adminportal/"
      "Home?invType=ResellerRelationship&partnerId=abc";
  i.first_seen = *parseTimestamp("2026-11-20T06:00:00Z");
  i.times_reminded = 2;
  return i;
}

RecipientMessage digestWith(AlertItem item, Section s = Section::kNew) {
  RecipientMessage m;
  m.kind = "digest";
  m.recipient = "ops@p.example";
  m.sections[static_cast<int>(s)] = {std::move(item)};
  return m;
}

MailContext context() {
  MailContext c;
  c.partner_name = "Northwind IT";
  c.subject = "[cspwatch] 1 new";
  c.scan_id = 7;
  c.now = *parseTimestamp("2026-11-25T06:00:00Z");
  return c;
}

}  // namespace

TEST_CASE("templates: the shipped ones load and say which tenant, what, why and how to fix",
          "[templates]") {
  auto t = MailTemplates::load(kShipped);
  REQUIRE(t);
  RenderedBody b = t->render(digestWith(contoso()), context());
  // Template comments leave nothing behind.
  CHECK(startsWith(b.text, "[cspwatch] 1 new\n"));
  CHECK(startsWith(b.html, "<!DOCTYPE html>"));
  // The tenant's id is in its deep links (HTML); the text part names it (issue 18: by name).
  CHECK(contains(b.html, "0b6f1a52-1111-4c1e-9d3a-2f6e1a0c9e11"));
  for (const std::string* part : {&b.text, &b.html}) {
    CHECK(contains(*part, "Contoso Ltd"));
    CHECK(contains(*part, "lists only Distributor Pty Ltd"));
    CHECK(contains(*part, "credits nobody"));
    CHECK(contains(*part, "Send the reseller relationship request"));
    CHECK(contains(*part, "reminded 2 time(s)"));
    // The finding by its number, not a command for a shell the reader may not have (issue 18).
    CHECK(contains(*part, "#42"));
    CHECK_FALSE(contains(*part, "cspwatch findings show 42"));
    CHECK(contains(*part, "New findings"));
  }
  // When it was first seen: for a finding still open (a new one was first seen now).
  RenderedBody open = t->render(digestWith(contoso(), Section::kReminders), context());
  for (const std::string* part : {&open.text, &open.html}) {
    CHECK(contains(*part, "2026-11-20 06:00 UTC"));
    CHECK(contains(*part, "Still open"));
  }
  // The text part is plain: '&' stays '&'; the HTML part escapes it.
  CHECK(contains(b.text, "invType=ResellerRelationship&partnerId=abc"));
  CHECK(contains(b.html, "invType=ResellerRelationship&amp;partnerId=abc"));
  // Mail-client safe HTML: no scripts, no remote images, no style blocks.
  CHECK_FALSE(contains(b.html, "<script"));
  CHECK_FALSE(contains(b.html, "<img"));
  CHECK_FALSE(contains(b.html, "<style"));
}

TEST_CASE("templates: tenant data is escaped in HTML and cannot add headers", "[templates]") {
  auto t = MailTemplates::load(kShipped);
  REQUIRE(t);
  AlertItem evil = contoso();
  evil.tenant_name = "<script>alert(1)</script>\r\nBcc: x@evil";
  RecipientMessage m = digestWith(evil);
  RenderedBody b = t->render(m, context());
  CHECK_FALSE(contains(b.html, "<script>alert(1)</script>"));
  // Nor can it forge lines in the text part.
  CHECK_FALSE(contains(b.text, "\nBcc: x@evil"));
  CHECK(contains(b.text, "</script>  Bcc: x@evil"));
  CHECK(contains(b.html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  MailMessage mail;
  mail.from = "cspwatch <cspwatch@p.example>";
  mail.to = {"ops@p.example"};
  mail.subject = "[cspwatch] 1 new: on " + evil.tenant_name;
  mail.text = b.text;
  mail.html = b.html;
  mail.message_id = stableMessageId("x", "p.example");
  mail.date = context().now;
  auto text = renderMessage(mail);
  REQUIRE(text);
  const std::string head = text->substr(0, text->find("\r\n\r\n"));
  CHECK_FALSE(contains(head, "\r\nBcc:"));
  CHECK_FALSE(contains(head, "\nBcc:"));
}

TEST_CASE("templates: every section and message kind renders", "[templates]") {
  auto t = MailTemplates::load(kShipped);
  REQUIRE(t);
  AlertItem unknown;
  unknown.rule_id = "*";
  unknown.tenant_id = "t-1";
  unknown.tenant_name = "Fabrikam";
  unknown.reason = "the tenant could not be read: partners: 403 Forbidden";
  unknown.since = *parseTimestamp("2026-11-24T06:00:00Z");
  unknown.scans_in_a_row = 3;
  auto b = t->render(digestWith(unknown, Section::kCouldNotCheck), context());
  CHECK(contains(b.text, "Could not be checked"));
  CHECK(contains(b.text, "403 Forbidden"));
  CHECK(contains(b.text, "3 scans in a row"));
  CHECK(contains(b.text, "Every check of this tenant"));

  AlertItem sup;
  sup.rule_id = "partner-not-listed";
  sup.rule_title = "Our company is not listed";
  sup.reason = "customer moving to us in December";
  sup.owner = "jo";
  sup.expires_at = *parseTimestamp("2026-11-30T00:00:00Z");
  b = t->render(digestWith(sup, Section::kExpiring), context());
  CHECK(contains(b.text, "expires 2026-11-30 00:00 UTC"));
  CHECK(contains(b.text, "every tenant"));

  AlertItem resolved = contoso();
  resolved.resolved_at = *parseTimestamp("2026-11-25T06:00:00Z");
  resolved.resolved_reason = "passed";
  b = t->render(digestWith(resolved, Section::kResolved), context());
  CHECK(contains(b.text, "Resolved:    2026-11-25 06:00 UTC (passed)"));
  CHECK_FALSE(contains(b.text, "Fix:"));  // nothing to fix any more

  RecipientMessage test;
  test.kind = "test";
  MailContext c = context();
  c.intro = "This is a test message from cspwatch.";
  b = t->render(test, c);
  CHECK(contains(b.text, "This is a test message"));
  CHECK(contains(b.html, "Test message"));
}

TEST_CASE("templates: a long section lists the first items and counts the rest", "[templates]") {
  auto t = MailTemplates::load(kShipped);
  REQUIRE(t);
  RecipientMessage m = digestWith(contoso());
  auto& items = m.sections[static_cast<int>(Section::kNew)];
  for (int i = 0; i < 9; ++i) {
    items.push_back(contoso());
    items.back().tenant_name = "Tenant " + std::to_string(i);
  }
  MailContext c = context();
  c.max_items_per_section = 4;
  RenderedBody b = t->render(m, c);
  CHECK(contains(b.text, "Tenant 2"));
  CHECK_FALSE(contains(b.text, "Tenant 3"));
  // Commands only in the footer (issue 18).
  CHECK(contains(b.text, "... and 6 more, not listed here.\n"));
  CHECK(contains(b.text.substr(b.text.find("\n--\n")), "cspwatch findings list"));
  CHECK(contains(b.html, "and 6 more, not listed here"));
  CHECK(contains(b.text, "== New findings (10) =="));
}

TEST_CASE("templates: a syntax error names file:line:column", "[templates]") {
  auto t = MailTemplates::parse("ok {{name}}\nline two {{#items}} never closed\n", "<p></p>",
                                "/etc/cspwatch/templates/digest.txt.mustache", "digest.html");
  REQUIRE_FALSE(t);
  CHECK(contains(t.status().message(), "/etc/cspwatch/templates/digest.txt.mustache:2:"));
  CHECK(contains(t.status().message(), "items"));
  auto missing = MailTemplates::load("/nonexistent/templates");
  REQUIRE_FALSE(missing);
  CHECK(contains(missing.status().message(), "/nonexistent/templates/digest.txt.mustache"));
}

TEST_CASE("templates: a syntax error after lone-CR line ends names the line editors show",
          "[templates]") {
  auto t = MailTemplates::parse("ok {{name}}\rline two {{#items}} never closed\r", "<p></p>",
                                "digest.txt.mustache", "digest.html");
  REQUIRE_FALSE(t);
  CHECK(contains(t.status().message(), "digest.txt.mustache:2:"));
}
