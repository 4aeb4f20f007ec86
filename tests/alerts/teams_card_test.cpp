// SPDX-License-Identifier: Apache-2.0
#include "alerts/teams_card.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

using namespace cspwatch;
using namespace cspwatch::alerts;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const Timestamp kNow = fromUnixSeconds(1795996800);

AlertItem finding(int64_t id, const std::string& rule, const std::string& severity,
                  const std::string& tenant) {
  AlertItem i;
  i.finding_id = id;
  i.rule_id = rule;
  i.rule_title = "Rule " + rule;
  i.severity = severity;
  i.tenant_id = "tenant-" + std::to_string(id);
  i.tenant_name = tenant;
  i.message = "Only the distributor (Adatum Distribution) is listed as the tenant's partner.";
  i.remediation =
      "Send the customer the reseller relationship request: "
      "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=1.";
  i.first_seen = kNow;
  return i;
}

std::vector<AlertItem>& sec(RecipientMessage& m, Section s) {
  return m.sections[static_cast<int>(s)];
}

const TeamsCardContext kContext{"Northwind IT Services", 12, kNow};

Object::Ptr parse(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Object::Ptr>();
}

Object::Ptr cardOf(const Object::Ptr& message) {
  return message->getArray("attachments")->getObject(0)->getObject("content");
}

// Every TextBlock's text, in order.
std::vector<std::string> texts(const Object::Ptr& card) {
  std::vector<std::string> out;
  Array::Ptr body = card->getArray("body");
  for (size_t i = 0; i < body->size(); ++i) {
    Object::Ptr b = body->getObject(static_cast<unsigned>(i));
    if (b->getValue<std::string>("type") == "TextBlock")
      out.push_back(b->getValue<std::string>("text"));
  }
  return out;
}

bool anyContains(const std::vector<std::string>& all, const std::string& part) {
  for (const auto& t : all)
    if (t.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("teams: a Workflows message with one Adaptive Card, titled with the counts", "[teams]") {
  RecipientMessage m;
  m.kind = "digest";
  sec(m, Section::kNew) = {finding(1, "partner-not-listed", "high", "Contoso"),
                           finding(2, "gdap-expiring", "critical", "Fabrikam")};
  sec(m, Section::kResolved) = {finding(3, "dap-enabled", "medium", "Tailspin")};
  AlertItem unknown;
  unknown.rule_id = "gdap-mlt-only";
  unknown.tenant_id = "t9";
  unknown.reason = "403";
  unknown.group_tenants = {"A", "B"};
  sec(m, Section::kCouldNotCheck) = {unknown};
  const std::string json = teamsCardJson(m, kContext);
  auto message = parse(json);
  // The shape Microsoft documents for Workflows' "When a Teams webhook request is received".
  CHECK(message->getValue<std::string>("type") == "message");
  Array::Ptr attachments = message->getArray("attachments");
  REQUIRE(attachments->size() == 1);
  Object::Ptr a = attachments->getObject(0);
  CHECK(a->getValue<std::string>("contentType") == "application/vnd.microsoft.card.adaptive");
  CHECK(a->isNull("contentUrl"));
  Object::Ptr card = cardOf(message);
  CHECK(card->getValue<std::string>("type") == "AdaptiveCard");
  CHECK(card->getValue<std::string>("version") == "1.4");
  CHECK(card->getValue<std::string>("$schema") ==
        "http://adaptivecards.io/schemas/adaptive-card.json");
  const auto t = texts(card);
  REQUIRE_FALSE(t.empty());
  CHECK(t.front() == "cspwatch: 2 new, 1 resolved, 1 could not be checked");
  // The summary: a FactSet with a fact per section that has items, and the tenants affected.
  Object::Ptr facts = card->getArray("body")->getObject(2);
  CHECK(facts->getValue<std::string>("type") == "FactSet");
  CHECK(facts->getArray("facts")->size() == 4);
  // Most severe rule first; the fix's URL a link; could-not-check counted, not listed.
  CHECK(anyContains(t, "CRITICAL · Rule gdap-expiring (1)"));
  CHECK(anyContains(t,
                    "[https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&"
                    "partnerId=1](https://admin.microsoft.com/Adminportal/Home?invType="
                    "ResellerRelationship&partnerId=1)."));
  CHECK(anyContains(t, "1 check could not be made (2 tenants)"));
  CHECK(anyContains(t, "Tailspin: Rule dap-enabled"));
  // A tenant whose id is a GUID gets links to its pages; others do not.
  CHECK_FALSE(anyContains(t, "[admin center]("));
  RecipientMessage g;
  g.kind = "digest";
  AlertItem item = finding(1, "partner-not-listed", "high", "Contoso");
  item.tenant_id = "0f5e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f";
  item.subject = "4a1b2c3d-0000-4c5d-8e6f-7a8b9c0d1e2f";
  item.subject_label = "Adatum (adatum.onmicrosoft.com)";
  sec(g, Section::kNew) = {item};
  const auto gt = texts(cardOf(parse(teamsCardJson(g, kContext))));
  CHECK(anyContains(gt, "**Contoso** (new) · Adatum (adatum.onmicrosoft.com): Only the"));
  CHECK(anyContains(gt,
                    "· [admin center](https://admin.microsoft.com/Partner/"
                    "BeginClientSession.aspx?CTID=0f5e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f"));
  CHECK(anyContains(gt, "[Partner Center](https://partner.microsoft.com/"));
  CHECK_FALSE(anyContains(t, "more"));
}

TEST_CASE("teams: 500 findings stay under Teams' 28 KB, the rest counted", "[teams]") {
  RecipientMessage m;
  m.kind = "digest";
  for (int i = 1; i <= 500; ++i)
    sec(m, i % 5 == 0 ? Section::kReopened : Section::kNew)
        .push_back(finding(i, "rule-" + std::to_string(i % 7), i % 3 ? "high" : "low",
                           "Tenant number " + std::to_string(i) + " Pty Ltd"));
  const std::string json = teamsCardJson(m, kContext);
  CHECK(json.size() <= kTeamsCardBudget);
  CHECK(json.size() < kTeamsMessageLimit);
  const auto t = texts(cardOf(parse(json)));
  size_t shown = 0;
  for (const auto& text : t) shown += text.find("Tenant number ") != std::string::npos ? 1 : 0;
  CHECK(shown > 20);  // the budget is used, not wasted
  CHECK(anyContains(t, "… and " + std::to_string(500 - shown) + " more"));
  CHECK(t.front() == "cspwatch: 400 new, 100 reopened");
}

TEST_CASE("teams: text from tenants cannot add links or emphasis", "[teams]") {
  RecipientMessage m;
  m.kind = "digest";
  AlertItem evil =
      finding(1, "partner-not-listed", "high", "[Click here](https://evil.example) *x*");
  evil.subject = "`code` <b>";
  sec(m, Section::kNew) = {evil};
  const auto t = texts(cardOf(parse(teamsCardJson(m, kContext))));
  CHECK(anyContains(t, "\\[Click here\\](https://evil.example) \\*x\\*"));
  CHECK(anyContains(t, "\\`code\\` \\<b\\>"));
  CHECK_FALSE(anyContains(t, "[Click here]("));
}

TEST_CASE("teams: a card's id is stable per scan, time and output", "[teams]") {
  const std::string id = teamsCardId(kContext, "teams:desk:0");
  CHECK(id.rfind("card_", 0) == 0);
  CHECK(id.size() == 5 + 32);
  CHECK(id == teamsCardId(kContext, "teams:desk:0"));
  CHECK(id != teamsCardId(kContext, "teams:desk:1"));
  CHECK(id != teamsCardId({"Northwind IT Services", 13, kNow}, "teams:desk:0"));
}
