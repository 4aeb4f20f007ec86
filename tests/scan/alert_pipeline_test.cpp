// SPDX-License-Identifier: Apache-2.0
// From scans to queued mail on a real store (a SQLite file, or a schema on the PostgreSQL test
// server: tests/support/test_store.h): what each scan queues (new, still open with backed-off
// reminders, resolved, could not be checked, suppressions expiring), that an unchanged scan
// queues nothing, and that queueing is part of the scan's transaction.
#include "scan/alert_pipeline.h"

#include <catch2/catch.hpp>

#include "common/text.h"
#include "config/app_config.h"
#include "scan/scan_job.h"
#include "storage/notifications.h"
#include "storage/outbox.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::scan;
using namespace cspwatch::config;
using namespace cspwatch::storage;
using Catch::contains;
using cspwatch::testing::TempDir;

namespace {

const std::string kT1 = "11111111-1111-1111-1111-111111111111";
const std::string kT2 = "22222222-2222-2222-2222-222222222222";
const Timestamp kStart = *parseTimestamp("2026-11-01T00:00:00Z");

AppConfig pipelineConfig() {
  AppConfig cfg;
  cfg.partner.name = "Northwind IT";
  AlertsConfig a;
  a.from = "cspwatch <cspwatch@northwind.example>";
  a.templates_dir = std::string(CSPWATCH_SOURCE_DIR) + "/etc/templates";
  alerts::Route ops;
  ops.name = "ops";
  ops.to = {"ops@northwind.example"};
  ops.is_default = true;
  a.routes = {ops};
  cfg.alerts = a;
  return cfg;
}

Evaluation fail(const std::string& rule, const std::string& tenant, const std::string& subject,
                const std::string& severity = "high") {
  Evaluation e{rule, tenant, EvalOutcome::kFail, false, "", {}};
  e.failures.push_back(
      {subject, severity, "what is wrong with " + subject, "how to fix it", "null"});
  return e;
}
Evaluation pass(const std::string& rule, const std::string& tenant) {
  return {rule, tenant, EvalOutcome::kPass, false, "", {}};
}

struct Harness {
  TempDir dir;
  FindingStore store;
  AlertPipeline pipeline;
  Timestamp now = kStart;
  std::vector<std::string> rules = {"r1", "r2"};

  explicit Harness(AppConfig cfg = pipelineConfig())
      : store(open(testing::testStore(dir, "c.db"))), pipeline(make(cfg)) {}
  static FindingStore open(const StoreLocation& where) {
    auto s = FindingStore::open(where);
    REQUIRE(s);
    return std::move(s.value());
  }
  static AlertPipeline make(const AppConfig& cfg) {
    std::map<std::string, RuleInfo> info = {
        {"r1",
         {"Our company is not listed as the tenant's partner", "Nobody gets credit.", "high", {}}},
        {"r2", {"Our DAP is still enabled", "DAP is over-privileged.", "critical", {}}}};
    auto p = AlertPipeline::create(*cfg.alerts, cfg.partner.name, info);
    INFO(p.status().message());
    REQUIRE(p);
    return std::move(*p);
  }
  // A scan `after` the previous one; returns the messages it queued.
  std::vector<OutboxMessage> scan(const std::vector<Evaluation>& evals, Seconds after,
                                  std::vector<TenantRead> tenants = {}) {
    now += after;
    if (tenants.empty())
      tenants = {{kT1, "Contoso Ltd", ReadStatus::kFull, "[]", {}},
                 {kT2, "Fabrikam", ReadStatus::kFull, "[]", {}}};
    auto id = store.beginScan(now, "hash");
    REQUIRE(id);
    for (const auto& t : tenants) REQUIRE(store.stageTenant(t));
    for (const auto& e : evals) REQUIRE(store.stageEvaluation(e));
    ScanSourceReport complete;
    auto sum = applyAndQueue(store, *id, rules, complete, &pipeline, now);
    INFO(sum.status().message());
    REQUIRE(sum);
    Outbox outbox(store.db());
    auto all = outbox.recent(1000);
    REQUIRE(all);
    std::vector<OutboxMessage> out;
    for (auto it = all->rbegin(); it != all->rend(); ++it)  // oldest (first queued) first
      if (it->scan_id == *id) out.push_back(*it);
    return out;
  }
};

// A queued message's text with quoted-printable soft line breaks and "=3D" undone (enough for
// the ASCII these tests look for), and every run of whitespace as one space: the text part wraps
// its lines.
std::string readable(const std::string& body) {
  std::string out;
  for (char c : replaceAll(replaceAll(body, "=\r\n", ""), "=3D", "=")) {
    const bool space = c == ' ' || c == '\r' || c == '\n';
    if (space && !out.empty() && out.back() == ' ') continue;
    out += space ? ' ' : c;
  }
  return out;
}

const auto kHour = std::chrono::hours(1);
const auto kDay = std::chrono::hours(24);

}  // namespace

TEST_CASE("pipeline: a new finding is mailed once, an unchanged scan sends nothing", "[pipeline]") {
  Harness h;
  auto first = h.scan({fail("r1", kT1, ""), pass("r2", kT1)}, kHour);
  REQUIRE(first.size() == 1);
  CHECK(first[0].kind == "digest");
  CHECK(first[0].recipients == "ops@northwind.example");
  CHECK(first[0].subject ==
        "[cspwatch] 1 new: our company is not listed as the tenant's partner on Contoso Ltd");
  CHECK(contains(first[0].body, "Message-ID: <"));
  CHECK(h.scan({fail("r1", kT1, ""), pass("r2", kT1)}, kHour).empty());
}

TEST_CASE("pipeline: reminders back off (1, 2, 4, 7 days) and stop while suppressed",
          "[pipeline]") {
  Harness h;
  const std::vector<Evaluation> open = {fail("r1", kT1, "")};
  REQUIRE(h.scan(open, kHour).size() == 1);
  // Each wait may come up to a tenth early (a scan that starts a little earlier still counts).
  CHECK(h.scan(open, std::chrono::hours(21)).empty());  // 21 h: not yet
  auto r1 = h.scan(open, std::chrono::hours(3));        // 24 h after opening
  REQUIRE(r1.size() == 1);
  CHECK(r1[0].subject ==
        "[cspwatch] 1 reminder: our company is not listed as the tenant's "
        "partner on Contoso Ltd");
  CHECK(contains(r1[0].body, "reminded 1 time(s)"));
  CHECK(h.scan(open, std::chrono::hours(40)).empty());  // the next one waits 2 days
  auto r2 = h.scan(open, std::chrono::hours(8));
  REQUIRE(r2.size() == 1);
  CHECK(contains(r2[0].body, "reminded 2 time(s)"));
  CHECK(h.scan(open, std::chrono::hours(80)).empty());  // then 4 days
  REQUIRE(h.scan(open, std::chrono::hours(16)).size() == 1);
  CHECK(h.scan(open, std::chrono::hours(150)).empty());  // then 7 days, and 7 days again
  REQUIRE(h.scan(open, std::chrono::hours(18)).size() == 1);
  CHECK(h.scan(open, std::chrono::hours(150)).empty());
  REQUIRE(h.scan(open, std::chrono::hours(18)).size() == 1);

  // Suppressed: no reminders, however long.
  Suppression s;
  s.rule_id = "r1";
  s.reason = "moving to us";
  s.owner = "jo";
  s.expires_at = h.now + std::chrono::hours(24 * 60);
  REQUIRE(h.store.addSuppression(s, "test", h.now));
  CHECK(h.scan(open, std::chrono::hours(24 * 30)).empty());
}

TEST_CASE("pipeline: a resolved finding is mailed in the resolved section once", "[pipeline]") {
  Harness h;
  REQUIRE(h.scan({fail("r1", kT1, "")}, kHour).size() == 1);
  auto resolved = h.scan({pass("r1", kT1)}, kHour);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].subject ==
        "[cspwatch] 1 resolved: resolved: our company is not listed as "
        "the tenant's partner on Contoso Ltd");
  CHECK(contains(resolved[0].body, "Resolved"));
  CHECK(h.scan({pass("r1", kT1)}, kHour).empty());
  // Failing again: reopened, and the reminder count starts over.
  auto again = h.scan({fail("r1", kT1, "")}, kHour);
  REQUIRE(again.size() == 1);
  CHECK(contains(again[0].subject, "1 reopened"));
}

TEST_CASE("pipeline: critical findings get their own message, queued first", "[pipeline]") {
  Harness h;
  auto out = h.scan({fail("r2", kT1, "", "critical"), fail("r1", kT2, "")}, kHour);
  REQUIRE(out.size() == 2);
  CHECK(out[0].kind == "critical");
  CHECK(out[0].subject == "[cspwatch] CRITICAL: our DAP is still enabled on Contoso Ltd");
  CHECK(out[1].kind == "digest");
  CHECK(out[0].id < out[1].id);
}

TEST_CASE("pipeline: a tenant unreadable for N scans in a row is reported once, then rides along",
          "[pipeline]") {
  Harness h;
  const std::vector<TenantRead> unread = {{kT1, "Contoso Ltd", ReadStatus::kFull, "[]", {}},
                                          {kT2,
                                           "Fabrikam",
                                           ReadStatus::kNone,
                                           "[{\"part\":\"customer_list\",\"reason\":\"HTTP 403 "
                                           "Forbidden\"}]",
                                           {}}};
  REQUIRE(h.scan({pass("r1", kT1)}, kHour).empty());
  CHECK(h.scan({pass("r1", kT1)}, kHour, unread).empty());  // 1 scan: could be a blip
  auto second = h.scan({pass("r1", kT1)}, kHour, unread);   // 2 in a row: tell
  REQUIRE(second.size() == 1);
  CHECK(contains(second[0].subject, "1 could not be checked"));
  CHECK(contains(second[0].body, "Fabrikam"));
  // In an admin's words, with what would fix it, not the stored reason (issue 18).
  const std::string text = readable(second[0].body);
  CHECK(contains(text,
                 "Could not read: whether the tenant is in our Partner Center customer list "
                 "(access was refused)"));
  CHECK(contains(text, "Admin agent or Sales agent"));  // whatWouldFix(Call::kCustomerList)
  CHECK_FALSE(contains(text, "customer_list: HTTP 403 Forbidden"));
  CHECK(h.scan({pass("r1", kT1)}, kHour, unread).empty());  // already told
  // A digest that goes out anyway lists it again, so it never reads as all-clear.
  auto later = h.scan({fail("r1", kT1, "")}, kHour, unread);
  REQUIRE(later.size() == 1);
  CHECK(contains(later[0].subject, "1 new, 1 could not be checked"));
}

TEST_CASE("pipeline: a check unknown for N scans is reported only once the minimum time has passed",
          "[pipeline]") {
  AppConfig cfg = pipelineConfig();
  cfg.alerts->could_not_check_after_scans = 2;
  cfg.alerts->could_not_check_after_time = std::chrono::hours(6);  // schedule.interval
  Harness h(cfg);
  const std::vector<TenantRead> unread = {
      {kT1, "Contoso Ltd", ReadStatus::kFull, "[]", {}},
      {kT2, "Fabrikam", ReadStatus::kNone, "[{\"part\":\"customer\",\"reason\":\"403\"}]", {}}};
  REQUIRE(h.scan({pass("r1", kT1)}, kHour).empty());
  CHECK(h.scan({pass("r1", kT1)}, kHour, unread).empty());  // the streak begins
  const auto kMinutes = std::chrono::minutes(5);
  CHECK(h.scan({pass("r1", kT1)}, kMinutes, unread).empty());  // `scan --now`: 2 scans, 5 min
  CHECK(h.scan({pass("r1", kT1)}, kMinutes, unread).empty());  // 3 scans, 10 min
  // A scheduled scan a few minutes early (5h 45m after the streak began) counts.
  auto due = h.scan({pass("r1", kT1)}, std::chrono::minutes(5 * 60 + 35), unread);
  REQUIRE(due.size() == 1);
  CHECK(contains(due[0].subject, "1 could not be checked"));
  CHECK(contains(due[0].body, "Fabrikam"));
  CHECK(h.scan({pass("r1", kT1)}, kMinutes, unread).empty());  // told once
  CHECK(h.scan({pass("r1", kT1)}, std::chrono::hours(6), unread).empty());
  // A new streak after the tenant was read again waits for its own N scans and time.
  REQUIRE(h.scan({pass("r1", kT1)}, kHour).empty());
  CHECK(h.scan({pass("r1", kT1)}, kHour, unread).empty());
  CHECK(h.scan({pass("r1", kT1)}, kMinutes, unread).empty());
  CHECK(h.scan({pass("r1", kT1)}, std::chrono::hours(6), unread).size() == 1);
}

TEST_CASE(
    "pipeline: a rule+tenant suppression keeps that pair's could-not-check item out of digests",
    "[pipeline]") {
  Harness h;
  const auto unknown = [](const std::string& rule, const std::string& tenant) {
    return Evaluation{rule, tenant, EvalOutcome::kUnknown, false, "partners could not be read", {}};
  };
  const std::vector<Evaluation> evals = {unknown("r1", kT1), unknown("r1", kT2)};
  REQUIRE(h.scan(evals, kHour).empty());
  Suppression s;
  s.rule_id = "r1";
  s.tenant_id = kT1;
  s.reason = "GDAP request sent, waiting for the customer";
  s.owner = "jo";
  s.expires_at = h.now + std::chrono::hours(24 * 30);
  REQUIRE(h.store.addSuppression(s, "test", h.now));
  auto second = h.scan(evals, kHour);  // the threshold: only Fabrikam's item is news
  REQUIRE(second.size() == 1);
  CHECK(contains(second[0].subject, "1 could not be checked"));
  CHECK(contains(second[0].body, "Fabrikam"));
  CHECK_FALSE(contains(second[0].body, "Contoso"));
  // A digest that goes out anyway still leaves it out.
  auto later = h.scan({unknown("r1", kT1), unknown("r1", kT2), fail("r2", kT2, "")}, kHour);
  REQUIRE(later.size() == 1);
  CHECK(contains(later[0].subject, "1 new, 1 could not be checked"));
  CHECK_FALSE(contains(later[0].body, "Contoso"));
}

TEST_CASE("pipeline: a suppression about to expire is announced once", "[pipeline]") {
  Harness h;
  REQUIRE(h.scan({fail("r1", kT1, "")}, kHour).size() == 1);
  Suppression s;
  s.rule_id = "r1";
  s.tenant_id = kT1;
  s.reason = "customer moving to us in December";
  s.owner = "jo";
  s.expires_at = h.now + std::chrono::hours(24 * 10);
  REQUIRE(h.store.addSuppression(s, "test", h.now));
  CHECK(h.scan({fail("r1", kT1, "")}, kDay).empty());                       // 9 days left
  auto notice = h.scan({fail("r1", kT1, "")}, std::chrono::hours(24 * 3));  // 6 days left
  REQUIRE(notice.size() == 1);
  CHECK(contains(notice[0].subject, "1 suppression expiring"));
  CHECK(contains(notice[0].body, "customer moving to us in December"));
  CHECK(h.scan({fail("r1", kT1, "")}, kDay).empty());
}

TEST_CASE("pipeline: a failure while composing abandons the whole scan", "[pipeline]") {
  Harness h;
  REQUIRE(h.scan({fail("r1", kT1, "")}, kHour).size() == 1);
  h.now += kHour;
  auto id = h.store.beginScan(h.now, "hash");
  REQUIRE(id);
  REQUIRE(h.store.stageTenant({kT1, "Contoso Ltd", ReadStatus::kFull, "[]", {}}));
  REQUIRE(h.store.stageEvaluation(pass("r1", kT1)));
  struct Failing : AlertComposer {
    Result<ScanAlerts> compose(FindingStore&, const ScanChanges&, Timestamp) override {
      return Status::ioError("disk full");
    }
  } failing;
  auto sum = applyAndQueue(h.store, *id, h.rules, ScanSourceReport{}, &failing, h.now);
  REQUIRE_FALSE(sum);
  auto open = h.store.listFindings({storage::StateFilter::kOpen, "", "", ""}, h.now);
  REQUIRE(open);
  CHECK(open->size() == 1);  // not resolved: the scan and its alerts go together
}

TEST_CASE("pipeline: a tenant that leaves the sources is no longer reported as unchecked",
          "[pipeline]") {
  Harness h;
  const std::vector<TenantRead> unread = {
      {kT1, "Contoso Ltd", ReadStatus::kFull, "[]", {}},
      {kT2, "Fabrikam", ReadStatus::kNone, "[{\"part\":\"customer\",\"reason\":\"403\"}]", {}}};
  REQUIRE(h.scan({pass("r1", kT1)}, kHour, unread).empty());
  REQUIRE(h.scan({pass("r1", kT1)}, kHour, unread).size() == 1);  // reported
  const std::vector<TenantRead> only_contoso = {{kT1, "Contoso Ltd", ReadStatus::kFull, "[]", {}}};
  CHECK(h.scan({pass("r1", kT1)}, kHour, only_contoso).empty());
  auto later = h.scan({fail("r1", kT1, "")}, kHour, only_contoso);
  REQUIRE(later.size() == 1);
  CHECK_FALSE(contains(later[0].subject, "could not be checked"));
  CHECK_FALSE(contains(later[0].body, "Fabrikam"));
}

TEST_CASE("pipeline: a suppression created inside the notice window is announced once",
          "[pipeline]") {
  Harness h;
  REQUIRE(h.scan({fail("r1", kT1, "")}, kHour).size() == 1);
  Suppression s;
  s.rule_id = "r1";
  s.tenant_id = kT1;
  s.reason = "short one";
  s.owner = "jo";
  s.expires_at = h.now + std::chrono::hours(24 * 3);
  REQUIRE(h.store.addSuppression(s, "test", h.now + std::chrono::minutes(30)));
  auto notice = h.scan({fail("r1", kT1, "")}, kHour);
  REQUIRE(notice.size() == 1);
  CHECK(contains(notice[0].subject, "1 suppression expiring"));
  CHECK(contains(notice[0].body, "Contoso Ltd"));  // the tenant's name, not its id
  CHECK(h.scan({fail("r1", kT1, "")}, kHour).empty());
}

TEST_CASE("pipeline: a daily scan a few minutes early still sends the day's reminder",
          "[pipeline]") {
  Harness h;
  const std::vector<Evaluation> open = {fail("r1", kT1, "")};
  REQUIRE(h.scan(open, kHour).size() == 1);
  CHECK(h.scan(open, std::chrono::hours(24) - std::chrono::minutes(5)).size() == 1);
}

TEST_CASE("pipeline: a reminder no route takes is not counted as sent", "[pipeline]") {
  AppConfig cfg = pipelineConfig();
  cfg.alerts->routes[0].sections = {alerts::Section::kNew};  // the only route: no reminders
  Harness h(cfg);
  const std::vector<Evaluation> open = {fail("r1", kT1, "")};
  REQUIRE(h.scan(open, kHour).size() == 1);
  CHECK(h.scan(open, kDay).empty());
  auto rows = h.store.listFindings({storage::StateFilter::kOpen, "", "", ""}, h.now);
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK(rows->at(0).times_reminded == 0);
}

TEST_CASE("pipeline: each message names the findings it mentions in the notification history",
          "[pipeline]") {
  Harness h;
  const Evaluation cannot_check{"r2", kT1, EvalOutcome::kUnknown, false, "roles missing", {}};
  auto first = h.scan({fail("r1", kT1, "a"), fail("r1", kT2, "b"), cannot_check}, kHour);
  REQUIRE(first.size() == 1);
  // The second scan resolves b; r2 could not be checked for two scans in a row: news, but no
  // finding.
  auto second = h.scan({fail("r1", kT1, "a"), pass("r1", kT2), cannot_check}, kHour);
  REQUIRE(second.size() == 1);
  CHECK(contains(second[0].subject, "1 could not be checked"));
  int64_t a = 0, b = 0;
  auto findings = h.store.listFindings({storage::StateFilter::kAll, "", "", ""}, h.now);
  REQUIRE(findings);
  for (const auto& f : *findings) (f.subject == "a" ? a : b) = f.id;
  storage::Notifications history(h.store.db());
  auto of_a = history.ofFinding(a);
  REQUIRE(of_a);
  REQUIRE(of_a->size() == 1);  // new in the first digest; no reminder due yet
  CHECK(of_a->at(0).message_id == first[0].message_id);
  CHECK(of_a->at(0).recipient == "ops@northwind.example");
  CHECK(of_a->at(0).kind == "digest");
  CHECK(of_a->at(0).at == first[0].created_at);
  auto of_b = history.ofFinding(b);
  REQUIRE(of_b);
  REQUIRE(of_b->size() == 2);  // new, then resolved
  CHECK(of_b->at(1).message_id == second[0].message_id);
  auto st = h.store.db().prepare("SELECT count(*) FROM notifications WHERE message_id = ?1");
  REQUIRE(st);
  st->bind(1, second[0].message_id);
  REQUIRE(st->step());
  CHECK(st->getInt(0) == 1);  // b alone: the could-not-check item is no finding
}
