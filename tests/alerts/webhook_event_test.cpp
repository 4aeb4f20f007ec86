// SPDX-License-Identifier: Apache-2.0
#include "alerts/webhook_event.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "tests/support/webhook_checks.h"

using namespace cspwatch;
using namespace cspwatch::alerts;
using cspwatch::testing::schemaProblems;

namespace {

const Timestamp kNow = fromUnixSeconds(1795996800);  // 2026-11-30T00:00:00Z

AlertItem opened() {
  AlertItem i;
  i.finding_id = 42;
  i.rule_id = "partner-not-listed";
  i.rule_title = "Our company is not listed as the tenant's partner";
  i.severity = "high";
  i.tenant_id = "0f5e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f";
  i.tenant_name = "Contoso \"Pty\" Ltd ✓";
  i.subject = "4a1b2c3d-0000-4c5d-8e6f-7a8b9c0d1e2f";
  i.subject_label = "Northwind IT Services (northwind.onmicrosoft.com)";
  i.message = "Only the distributor is listed.\nNobody is credited.";
  i.remediation = "Send the reseller request: https://admin.microsoft.com/x";
  i.first_seen = kNow - std::chrono::hours(24);
  return i;
}

AlertItem couldNotCheck() {
  AlertItem i;
  i.rule_id = "gdap-expiring";
  i.rule_title = "GDAP relationship about to expire";
  i.severity = "medium";
  i.tenant_id = "1f5e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f";
  i.tenant_name = "Fabrikam";
  i.reason = "delegatedAdminRelationships: 403 (the app lacks DelegatedAdminRelationship.Read.All)";
  i.since = kNow - std::chrono::hours(48);
  i.scans_in_a_row = 2;
  i.unchecked_what = "the tenant's admin relationships";
  i.unchecked_fix = "give the app DelegatedAdminRelationship.Read.All";
  return i;
}

EventContext context(int64_t scan = 7) {
  return {"Northwind IT Services", "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64", scan, kNow};
}

Poco::JSON::Object::Ptr parse(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("webhook: an event names its kind, scan, partner, tenant and finding", "[webhook]") {
  const std::string id = webhookEventId("opened", opened(), context(), "webhook:desk:0");
  const std::string json = webhookEventJson("opened", id, opened(), context());
  auto e = parse(json);
  CHECK(e->getValue<int>("schema_version") == 1);
  CHECK(e->getValue<std::string>("event_id") == id);
  CHECK(e->getValue<std::string>("event") == "opened");
  CHECK(e->getValue<std::string>("occurred_at") == "2026-11-30T00:00:00Z");
  CHECK(e->getValue<int>("scan_id") == 7);
  CHECK(e->getObject("partner")->getValue<std::string>("tenant_id") ==
        "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64");
  CHECK(e->getObject("tenant")->getValue<std::string>("name") == "Contoso \"Pty\" Ltd ✓");
  auto f = e->getObject("finding");
  REQUIRE(f);
  CHECK(f->getValue<int>("id") == 42);
  CHECK(f->getValue<std::string>("rule_id") == "partner-not-listed");
  CHECK(f->getValue<std::string>("severity") == "high");
  CHECK(f->getValue<std::string>("message") ==
        "Only the distributor is listed.\nNobody is credited.");
  CHECK(f->getValue<std::string>("first_seen") == "2026-11-29T00:00:00Z");
  CHECK(f->isNull("resolved_at"));
  CHECK(f->getValue<std::string>("subject_label") ==
        "Northwind IT Services (northwind.onmicrosoft.com)");
  // The tenant's pages, for an id that is a GUID (alerts/links.h).
  auto links = e->getObject("links");
  REQUIRE(links);
  CHECK_THAT(links->getValue<std::string>("admin_center"),
             Catch::Contains("CTID=0f5e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f"));
  CHECK_THAT(links->getValue<std::string>("partner_center"),
             Catch::EndsWith("/customers/0f5e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f"));
  CHECK_FALSE(e->has("could_not_check"));
  // Keys in the documented order: schema_version first, the subject of the event last.
  CHECK(json.rfind("{\"schema_version\":1,\"event_id\":", 0) == 0);
  const std::string problems = schemaProblems({json});
  INFO(problems);
  CHECK(problems.empty());
}

TEST_CASE("webhook: a check that could not be made is its own kind of event", "[webhook]") {
  const AlertItem item = couldNotCheck();
  const std::string json = webhookEventJson(
      "could_not_check", webhookEventId("could_not_check", item, context(), "t"), item, context());
  auto e = parse(json);
  CHECK_FALSE(e->has("finding"));
  auto c = e->getObject("could_not_check");
  REQUIRE(c);
  CHECK(c->getValue<std::string>("rule_id") == "gdap-expiring");
  CHECK(c->getValue<std::string>("since") == "2026-11-28T00:00:00Z");
  CHECK(c->getValue<int>("scans_in_a_row") == 2);
  CHECK_THAT(c->getValue<std::string>("reason"), Catch::Contains("DelegatedAdminRelationship"));
  CHECK(c->getValue<std::string>("what") == "the tenant's admin relationships");
  CHECK(c->getValue<std::string>("fix") == "give the app DelegatedAdminRelationship.Read.All");
  AlertItem resolved = opened();
  resolved.resolved_at = kNow;
  resolved.resolved_reason = "passed";
  const std::string r = webhookEventJson(
      "resolved", webhookEventId("resolved", resolved, context(), "t"), resolved, context());
  CHECK(parse(r)->getObject("finding")->getValue<std::string>("resolved_reason") == "passed");
  const std::string problems = schemaProblems({json, r});
  INFO(problems);
  CHECK(problems.empty());
}

TEST_CASE("webhook: the schema refuses an event that breaks it", "[webhook]") {
  // The check itself works: a wrong type and a missing key are found.
  CHECK_FALSE(schemaProblems({"{\"schema_version\": \"1\"}"}).empty());
}

TEST_CASE("webhook: an event's id is stable, and differs by kind, finding, scan and output",
          "[webhook]") {
  const std::string id = webhookEventId("opened", opened(), context(), "webhook:desk:0");
  CHECK(id.size() == 4 + 32);
  CHECK(id.rfind("evt_", 0) == 0);
  CHECK(id == webhookEventId("opened", opened(), context(), "webhook:desk:0"));
  CHECK(id != webhookEventId("reopened", opened(), context(), "webhook:desk:0"));
  CHECK(id != webhookEventId("opened", opened(), context(8), "webhook:desk:0"));
  CHECK(id != webhookEventId("opened", opened(), context(), "webhook:desk:1"));
  AlertItem other = opened();
  other.finding_id = 43;
  CHECK(id != webhookEventId("opened", other, context(), "webhook:desk:0"));
  AlertItem second_reason = couldNotCheck();
  second_reason.reason = "another reason";
  CHECK(webhookEventId("could_not_check", couldNotCheck(), context(), "t") !=
        webhookEventId("could_not_check", second_reason, context(), "t"));
}

TEST_CASE("webhook: the signature is HMAC-SHA256 of the exact body, as OpenSSL computes it",
          "[webhook]") {
  const std::string secret = "whsec-test-0123456789abcdef";
  const std::string body = webhookEventJson("opened", "evt_1", opened(), context());
  const std::string sig = webhookSignature(secret, body);
  CHECK(sig.size() == 7 + 64);
  CHECK(sig == testing::opensslSignature(secret, body));
  // RFC 4231 test case 2, so a mistake shared by both libraries' use would still show.
  CHECK(webhookSignature("Jefe", "what do ya want for nothing?") ==
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(webhookSignature(secret, body + " ") != sig);
}
