// SPDX-License-Identifier: Apache-2.0
// Retention with a manual clock: what is just inside alerts.retention stays, what is just
// outside goes; sent bodies are emptied, queued and failed ones kept; open findings' reminders
// and notifications are never touched.
#include "storage/retention.h"

#include <iostream>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "storage/finding_store.h"
#include "storage/notifications.h"
#include "storage/outbox.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;
using cspwatch::testing::testStore;

namespace {

const std::string kTenant = "11111111-1111-1111-1111-111111111111";
const Timestamp kT0 = *parseTimestamp("2026-08-01T00:00:00Z");
const Seconds kRetention = std::chrono::hours(24 * 90);

FindingStore openStore(const StoreLocation& path) {
  auto s = FindingStore::open(path);
  REQUIRE(s);
  return std::move(*s);
}

// A store whose rule r1 fails for the subjects given at each scan: a subject missing from a
// scan is resolved by it.
struct Store {
  TempDir dir;
  FindingStore store = openStore(testStore(dir, "c.db"));

  void scan(Timestamp at, const std::vector<std::string>& failing) {
    auto scan = store.beginScan(at, "hash");
    REQUIRE(scan);
    REQUIRE(store.stageTenant({kTenant, "Contoso", ReadStatus::kFull, "[]", {}}));
    Evaluation e{"r1",  kTenant, failing.empty() ? EvalOutcome::kPass : EvalOutcome::kFail,
                 false, "",      {}};
    for (const auto& s : failing) e.failures.push_back({s, "high", "msg", "fix it", "null"});
    REQUIRE(store.stageEvaluation(e));
    REQUIRE(store.applyScan(*scan, {"r1"}, true, at));
  }
  int64_t finding(const std::string& subject) {
    auto rows = store.listFindings({StateFilter::kAll, "", "", ""}, kT0);
    REQUIRE(rows);
    for (const auto& r : *rows)
      if (r.subject == subject) return r.id;
    FAIL("no finding for " << subject);
    return 0;
  }
  int64_t count(const std::string& sql) {
    auto st = store.db().prepare(sql);
    REQUIRE(st);
    REQUIRE(st->step());
    return st->getInt(0);
  }
  std::string body(const std::string& id) {
    auto st = store.db().prepare("SELECT body FROM outbox WHERE message_id = ?1");
    REQUIRE(st);
    st->bind(1, "<" + id + "@x.example>");
    REQUIRE(st->step());
    return st->getText(0);
  }
  // Queues a message made at `at` about `findings`, and marks it sent at `at` when `send`.
  void message(const std::string& id, Timestamp at, std::vector<int64_t> findings, bool send,
               size_t body_size = 100) {
    OutboxMessage m;
    m.message_id = "<" + id + "@x.example>";
    m.kind = "digest";
    m.recipients = "ops@x.example";
    m.subject = "s";
    m.body = std::string(body_size, 'x');
    m.created_at = at;
    m.finding_ids = std::move(findings);
    Outbox outbox(store.db());
    REQUIRE(outbox.enqueue(m));
    if (!send) return;
    auto st = store.db().prepare("SELECT id FROM outbox WHERE message_id = ?1");
    REQUIRE(st);
    st->bind(1, m.message_id);
    REQUIRE(st->step());
    REQUIRE(outbox.markSent(st->getInt(0), at));
  }
};

}  // namespace

TEST_CASE("retention: rows just inside the retention stay, just outside go") {
  Store s;
  ManualClock clock(kT0);
  // a stays open; b and c are resolved by the second scan.
  s.scan(kT0, {"a", "b", "c"});
  const int64_t a = s.finding("a"), b = s.finding("b"), c = s.finding("c");
  const Timestamp t1 = kT0 + Seconds(3600);
  // Sent at t1 (will be just outside) and t1 + 1 s (will be just inside); one failed and one
  // still queued, both as old as the oldest.
  s.message("sent-old", t1, {a, b, c}, true);
  s.message("sent-new", t1 + Seconds(1), {a, c}, true);
  s.message("failed-old", t1, {b}, false);
  s.message("queued-old", t1, {b}, false);
  Outbox outbox(s.store.db());
  auto failed = outbox.due(t1);
  REQUIRE(failed);
  for (const auto& m : *failed)
    if (m.message_id == "<failed-old@x.example>")
      REQUIRE(outbox.markAttemptFailed(m.id, "550 no such user", t1, Seconds(60), Seconds(1)));
  // Reminders: a's and b's at t1 (a is open: kept whatever its age), c's at t1 + 1 s.
  REQUIRE(s.store.recordReminders({a, b}, t1));
  REQUIRE(s.store.recordReminders({c}, t1 + Seconds(1)));
  s.scan(t1 + Seconds(7200), {"a"});

  // Exactly `retention` after t1: nothing is older than that yet.
  clock.set(t1 + kRetention);
  auto none = pruneExpired(s.store.db(), kRetention, clock.now());
  REQUIRE(none);
  CHECK(none->empty());

  // One second later, t1 is just outside and t1 + 1 s just inside.
  clock.advance(Seconds(1));
  auto pruned = pruneExpired(s.store.db(), kRetention, clock.now());
  REQUIRE(pruned);
  CHECK(pruned->bodies == 1);
  CHECK(pruned->body_bytes == 100);
  CHECK(pruned->reminders == 1);  // b's
  // b's and c's rows of sent-old, b's of failed-old and queued-old; a's are all kept.
  CHECK(pruned->notifications == 4);

  CHECK(s.body("sent-old").empty());
  CHECK(s.body("sent-new").size() == 100);
  CHECK(s.body("failed-old").size() == 100);  // an operator may send it again
  CHECK(s.body("queued-old").size() == 100);
  // The emptied message keeps its row: the history still names and resolves it.
  auto of_a = Notifications(s.store.db()).ofFinding(a);
  REQUIRE(of_a);
  REQUIRE(of_a->size() == 2);
  CHECK(of_a->at(0).message_id == "<sent-old@x.example>");
  CHECK(of_a->at(0).status == OutboxStatus::kSent);
  CHECK(Notifications(s.store.db()).ofFinding(b)->empty());
  auto of_c = Notifications(s.store.db()).ofFinding(c);
  REQUIRE(of_c->size() == 1);
  CHECK(of_c->at(0).message_id == "<sent-new@x.example>");
  CHECK(s.count("SELECT count(*) FROM reminders WHERE finding_id = " + std::to_string(a)) == 1);
  CHECK(s.count("SELECT count(*) FROM reminders WHERE finding_id = " + std::to_string(b)) == 0);
  CHECK(s.count("SELECT count(*) FROM reminders WHERE finding_id = " + std::to_string(c)) == 1);
  CHECK(s.count("SELECT count(*) FROM outbox") == 4);

  // A second pass at the same time finds nothing more.
  auto again = pruneExpired(s.store.db(), kRetention, clock.now());
  REQUIRE(again);
  CHECK(again->empty());
}

TEST_CASE(
    "retention: an open finding's history is kept however old, and a bad retention is refused") {
  Store s;
  s.scan(kT0, {"a"});
  const int64_t a = s.finding("a");
  s.message("m", kT0, {a}, true);
  REQUIRE(s.store.recordReminders({a}, kT0));
  auto pruned = pruneExpired(s.store.db(), kRetention, kT0 + 10 * kRetention);
  REQUIRE(pruned);
  CHECK(pruned->bodies == 1);  // a body is not the finding's data
  CHECK(pruned->reminders == 0);
  CHECK(pruned->notifications == 0);
  CHECK(Notifications(s.store.db()).ofFinding(a)->size() == 1);
  CHECK_FALSE(pruneExpired(s.store.db(), Seconds(0), kT0));
}

TEST_CASE("retention: a year of sent digests, pruned, and what the database holds after",
          "[sqlite]") {
  Store s;
  s.scan(kT0, {"a"});
  s.scan(kT0 + Seconds(60), {});  // a resolved
  const int64_t a = s.finding("a");
  // Four digests a day for a year, 40 KB each (the size of a digest of some 30 findings).
  const int kMessages = 4 * 365;
  {
    Transaction tx(s.store.db());
    REQUIRE(tx.status());
    for (int i = 0; i < kMessages; ++i)
      s.message("d" + std::to_string(i), kT0 + Seconds(i * 6 * 3600), {a}, true, 40 * 1024);
    REQUIRE(tx.commit());
  }
  auto used = [&] {
    return s.count(
        "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, "
        "pragma_freelist_count, pragma_page_size");
  };
  const int64_t before = used();
  const Timestamp now = kT0 + std::chrono::hours(24 * 365);
  auto pruned = pruneExpired(s.store.db(), kRetention, now);
  REQUIRE(pruned);
  const int64_t after = used();
  // Everything made more than 90 days before the end goes: 275 of the 365 days.
  CHECK(pruned->bodies == 4 * 275);
  CHECK(pruned->notifications == 4 * 275);
  CHECK(s.count("SELECT count(*) FROM outbox") == kMessages);
  CHECK(after < before / 3);
  std::cout << "retention: " << kMessages
            << " sent digests of 40 KB over a year, 90d retention: " << pruned->bodies
            << " bodies (" << pruned->body_bytes / 1024 << " KB) and " << pruned->notifications
            << " notification rows pruned; database pages in use " << before / 1024 << " KB -> "
            << after / 1024 << " KB; outbox rows " << s.count("SELECT count(*) FROM outbox")
            << ", notification rows " << s.count("SELECT count(*) FROM notifications") << "\n";
}
