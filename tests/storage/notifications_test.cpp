// SPDX-License-Identifier: Apache-2.0
// The notification history: which messages mentioned which findings, written with the message
// by Outbox::enqueue and read back with each message's delivery status.
#include "storage/notifications.h"

#include <catch2/catch.hpp>

#include "storage/finding_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;
using cspwatch::testing::testStore;

namespace {

const std::string kTenant = "11111111-1111-1111-1111-111111111111";
const Timestamp kNow = *parseTimestamp("2026-11-25T06:00:00Z");

// A store with one applied scan and open findings for subjects "a" and "b" of rule r1.
struct Store {
  TempDir dir;
  FindingStore store = open(testStore(dir, "c.db"));
  int64_t a = 0, b = 0;

  Store() {
    auto scan = store.beginScan(kNow, "hash");
    REQUIRE(scan);
    REQUIRE(store.stageTenant({kTenant, "Contoso", ReadStatus::kFull, "[]", {}}));
    Evaluation e{"r1", kTenant, EvalOutcome::kFail, false, "", {}};
    for (const char* s : {"a", "b"}) e.failures.push_back({s, "high", "msg", "fix it", "null"});
    REQUIRE(store.stageEvaluation(e));
    REQUIRE(store.applyScan(*scan, {"r1"}, true, kNow));
    auto rows = store.listFindings({StateFilter::kAll, "", "", ""}, kNow);
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    for (const auto& r : *rows) (r.subject == "a" ? a : b) = r.id;
  }
  static FindingStore open(const StoreLocation& path) {
    auto s = FindingStore::open(path);
    REQUIRE(s);
    return std::move(*s);
  }
  std::vector<Notification> of(int64_t finding) {
    auto list = Notifications(store.db()).ofFinding(finding);
    REQUIRE(list);
    return *list;
  }
  int64_t rows() {
    auto st = store.db().prepare("SELECT count(*) FROM notifications");
    REQUIRE(st);
    REQUIRE(st->step());
    return st->getInt(0);
  }
};

OutboxMessage message(const std::string& id, const std::string& kind, std::vector<int64_t> findings,
                      Timestamp at = kNow) {
  OutboxMessage m;
  m.message_id = "<" + id + "@northwind-it.com.au>";
  m.kind = kind;
  m.recipients = "servicedesk@northwind-it.com.au";
  m.subject = "[cspwatch] 2 new";
  m.body = "From: x\r\n\r\nbody\r\n";
  m.created_at = at;
  m.finding_ids = std::move(findings);
  return m;
}

}  // namespace

TEST_CASE("notifications: a message's findings are recorded with it, with its delivery status") {
  Store s;
  Outbox outbox(s.store.db());
  REQUIRE(outbox.enqueue(message("digest-1", "digest", {s.a, s.b})));
  REQUIRE(outbox.enqueue(message("critical-1", "critical", {s.a}, kNow + Seconds(1))));

  auto of_a = s.of(s.a);
  REQUIRE(of_a.size() == 2);
  CHECK(of_a[0].message_id == "<digest-1@northwind-it.com.au>");
  CHECK(of_a[0].recipient == "servicedesk@northwind-it.com.au");
  CHECK(of_a[0].kind == "digest");
  CHECK(of_a[0].at == kNow);
  CHECK(of_a[0].status == OutboxStatus::kQueued);
  CHECK_FALSE(of_a[0].sent_at);
  CHECK(of_a[1].message_id == "<critical-1@northwind-it.com.au>");
  CHECK(of_a[1].kind == "critical");
  auto of_b = s.of(s.b);
  REQUIRE(of_b.size() == 1);
  CHECK(of_b[0].message_id == "<digest-1@northwind-it.com.au>");

  // The outbox row's fate shows through: sent, or failed with the server's answer.
  auto due = outbox.due(kNow + Seconds(5));
  REQUIRE(due);
  REQUIRE(due->size() == 2);
  for (const auto& m : *due) {
    if (m.kind == "digest")
      REQUIRE(outbox.markSent(m.id, kNow + Seconds(5)));
    else
      REQUIRE(outbox.markAttemptFailed(m.id, "554 5.7.1 relay denied", kNow + Seconds(5),
                                       Seconds(60), Seconds(1)));
  }
  of_a = s.of(s.a);
  CHECK(of_a[0].status == OutboxStatus::kSent);
  REQUIRE(of_a[0].sent_at);
  CHECK(*of_a[0].sent_at == kNow + Seconds(5));
  CHECK(of_a[0].attempts == 1);
  CHECK(of_a[1].status == OutboxStatus::kFailed);
  CHECK(of_a[1].last_error == "554 5.7.1 relay denied");
}

TEST_CASE("notifications: queueing the same message again adds no row") {
  Store s;
  Outbox outbox(s.store.db());
  REQUIRE(outbox.enqueue(message("digest-1", "digest", {s.a, s.b})));
  REQUIRE(outbox.enqueue(message("digest-1", "digest", {s.a, s.b})));  // a scan applied twice
  CHECK(s.rows() == 2);
  CHECK(s.of(s.a).size() == 1);
  CHECK(outbox.recent(10)->size() == 1);
}

TEST_CASE("notifications: no row without the message, and none for a message of no finding") {
  Store s;
  Outbox outbox(s.store.db());
  {
    Transaction tx(s.store.db());
    REQUIRE(tx.status());
    REQUIRE(outbox.enqueue(message("lost", "digest", {s.a})));
    CHECK(s.rows() == 1);  // visible inside the transaction
    // no commit: rolled back, as a scan that failed after queueing its mail
  }
  CHECK(s.rows() == 0);
  CHECK(outbox.recent(10)->empty());

  // A message of no finding (a sign-in warning, a test) is queued with no row.
  REQUIRE(outbox.enqueue(message("signin-1", "signin", {})));
  CHECK(s.rows() == 0);
  CHECK(outbox.recent(10)->size() == 1);

  // Outside a transaction the message and its rows are still stored together: a row that
  // cannot be written (a finding that does not exist) leaves no message either.
  CHECK_FALSE(outbox.enqueue(message("orphan", "digest", {s.a, 999999})));
  CHECK(s.rows() == 0);
  CHECK(outbox.recent(10)->size() == 1);
}
