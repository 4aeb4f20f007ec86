// SPDX-License-Identifier: Apache-2.0
// A scan's webhook events and Teams cards: which routes take which items, and the outbox rows.
#include "scan/alert_outputs.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "storage/finding_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::scan;
using alerts::AlertItem;
using alerts::Route;
using alerts::Section;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T06:00:00Z");
const std::string kSig = "c2lnbmF0dXJlLWZvci1hbGVydC1vdXRwdXRzLXRlc3Q";

AlertItem finding(int64_t id, const std::string& severity, const std::string& rule = "r1") {
  AlertItem i;
  i.finding_id = id;
  i.rule_id = rule;
  i.rule_title = "Rule " + rule;
  i.severity = severity;
  i.tenant_id = "t" + std::to_string(id);
  i.tenant_name = "Tenant " + std::to_string(id);
  i.first_seen = kNow;
  return i;
}

Route route(const std::string& name, alerts::RouteMatch match, bool is_default,
            std::vector<std::string> webhooks, std::vector<std::string> teams = {}) {
  Route r;
  r.name = name;
  r.match = std::move(match);
  r.is_default = is_default;
  for (const auto& url : webhooks) r.webhooks.push_back({url, "", "/etc/secret"});
  for (const auto& url : teams) r.teams.push_back({url, ""});
  return r;
}

std::vector<AlertItem>& sec(alerts::DigestInput& in, Section s) {
  return in.sections[static_cast<int>(s)];
}

alerts::DigestInput input() {
  alerts::DigestInput in;
  in.scan_id = 5;
  in.now = kNow;
  sec(in, Section::kNew) = {finding(1, "critical"), finding(2, "low")};
  sec(in, Section::kReopened) = {finding(3, "high", "r2")};
  sec(in, Section::kResolved) = {finding(4, "low")};
  sec(in, Section::kReminders) = {finding(5, "critical")};  // no event: a reminder
  AlertItem old_gap = finding(0, "medium"), new_gap = finding(0, "medium");
  old_gap.tenant_id = "t6";
  old_gap.reason = "403 on contacts";
  old_gap.newsworthy = false;  // reported when its streak reached the threshold, scans ago
  new_gap.tenant_id = "t7";
  new_gap.reason = "403 on contacts";
  sec(in, Section::kCouldNotCheck) = {old_gap, new_gap};
  return in;
}

const OutputContext kContext{"Northwind IT Services", "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64"};

std::vector<std::string> events(const std::vector<storage::OutboxMessage>& rows,
                                const std::string& target) {
  std::vector<std::string> out;
  for (const auto& m : rows)
    if (m.target == target) out.push_back(m.kind + ":" + m.subject);
  return out;
}

}  // namespace

TEST_CASE("outputs: a route's matchers select its events, the default takes the rest",
          "[outputs]") {
  const std::vector<Route> routes = {
      route("security", {{"critical", "high"}, {}, {}, {}}, false, {"https://sec.example/hook"}),
      route("desk", {}, true, {"https://desk.example/hook"})};
  const auto rows = composeOutputs(input(), routes, kContext);
  CHECK(events(rows, "webhook:security:0") ==
        std::vector<std::string>{"opened:Rule r1 on Tenant 1", "reopened:Rule r2 on Tenant 3"});
  // The default route gets what no other route took: the low finding, its resolution, and the
  // check that just became newsworthy (the one reported scans ago is not an event again).
  CHECK(events(rows, "webhook:desk:0") ==
        std::vector<std::string>{"opened:Rule r1 on Tenant 2", "resolved:Rule r1 on Tenant 4",
                                 "could_not_check:Rule r1 on Tenant 0"});
  for (const auto& m : rows) {
    CHECK(m.channel == "webhook");
    CHECK(m.message_id.rfind("evt_", 0) == 0);
    CHECK(m.scan_id == 5);
    CHECK(m.created_at == kNow);
    auto e = Poco::JSON::Parser().parse(m.body).extract<Poco::JSON::Object::Ptr>();
    CHECK(e->getValue<std::string>("event_id") == m.message_id);
    CHECK(e->getValue<std::string>("event") == m.kind);
    CHECK(e->getObject("partner")->getValue<std::string>("tenant_id") ==
          kContext.partner_tenant_id);
  }
}

TEST_CASE("outputs: routes by rule and section as mail does", "[outputs]") {
  std::vector<Route> routes = {route("r2-only", {{}, {"r2"}, {}, {}}, false, {"https://a.example"}),
                               route("all", {}, true, {"https://b.example"})};
  routes[0].sections = {Section::kResolved};  // wants no new or reopened findings
  const auto rows = composeOutputs(input(), routes, kContext);
  CHECK(events(rows, "webhook:r2-only:0").empty());
  // Not wanted by r2-only in that section: the default route takes it, as with mail.
  CHECK(events(rows, "webhook:all:0").size() == 5);
  CHECK(routesTaking(routes, Section::kReopened, finding(3, "high", "r2")) ==
        std::vector<size_t>{1});
  routes[0].sections = {Section::kReopened};
  CHECK(routesTaking(routes, Section::kReopened, finding(3, "high", "r2")) ==
        std::vector<size_t>{0});
}

TEST_CASE("outputs: rows name the output, never its URL, and are queued once", "[outputs]") {
  const std::string teams_url =
      "https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?"
      "api-version=2016-06-01&sig=" +
      kSig;
  const std::vector<Route> routes = {
      route("desk", {}, true, {"https://desk.example/hook?token=abcdefgh123"}, {teams_url})};
  const auto rows = composeOutputs(input(), routes, kContext);
  REQUIRE(rows.size() == 6);  // 5 events and a card
  const storage::OutboxMessage& card = rows.back();
  CHECK(card.channel == "teams");
  CHECK(card.target == "teams:desk:0");
  CHECK(card.kind == "digest");
  CHECK(card.recipients ==
        "https://prod-01.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke");
  CHECK(card.subject ==
        "cspwatch: 2 new, 1 reopened, 1 reminder, 1 resolved, 1 could not be checked");
  CHECK(card.message_id.rfind("card_", 0) == 0);
  CHECK(card.finding_ids == std::vector<int64_t>{1, 2, 3, 4, 5});
  for (const auto& m : rows) {
    CHECK(m.recipients.find('?') == std::string::npos);
    CHECK(m.body.find(kSig) == std::string::npos);
  }
  CHECK(rows.front().recipients == "https://desk.example/hook");
  CHECK(rows.front().finding_ids == std::vector<int64_t>{1});

  // The same scan composed again gives the same ids: the outbox keeps one row each.
  testing::TempDir dir;
  auto store = storage::FindingStore::open(testing::testStore(dir, "c.db"));
  REQUIRE(store);
  storage::Outbox outbox(store->db());
  for (int round = 0; round < 2; ++round)
    for (auto m : composeOutputs(input(), routes, kContext)) {
      // The scan and the findings are made up: the rows refer to neither.
      m.finding_ids.clear();
      m.scan_id.reset();
      Status s = outbox.enqueue(m);
      INFO(s.message());
      REQUIRE(s);
    }
  auto queued = outbox.pending();
  REQUIRE(queued);
  CHECK(queued->size() == 6);
  CHECK(queued->front().channel == "webhook");
  CHECK(queued->front().target == "webhook:desk:0");
  auto only_cards = outbox.due(kNow, 50, {"teams"});
  REQUIRE(only_cards);
  CHECK(only_cards->size() == 1);
}

TEST_CASE("outputs: nothing newsworthy, no card and no event", "[outputs]") {
  alerts::DigestInput in;
  in.scan_id = 6;
  in.now = kNow;
  AlertItem gap = finding(0, "medium");
  gap.reason = "403";
  gap.newsworthy = false;
  sec(in, Section::kCouldNotCheck) = {gap};
  const std::vector<Route> routes = {
      route("desk", {}, true, {"https://desk.example/hook"}, {"https://teams.example/x"})};
  CHECK(composeOutputs(in, routes, kContext).empty());
}
