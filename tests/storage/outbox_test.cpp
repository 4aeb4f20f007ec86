// SPDX-License-Identifier: Apache-2.0
// The durable outbox on a real SQLite file.
#include "storage/outbox.h"

#include <catch2/catch.hpp>

#include "storage/finding_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;
using cspwatch::testing::testStore;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T06:00:00Z");

OutboxMessage message(const std::string& id) {
  OutboxMessage m;
  m.message_id = "<" + id + "@northwind-it.com.au>";
  m.kind = "digest";
  m.recipients = "admins@northwind-it.com.au";
  m.subject = "[cspwatch] 1 new";
  m.body = "From: x\r\n\r\nbody\r\n";
  m.created_at = kNow;
  return m;
}

}  // namespace

TEST_CASE("outbox: a message is queued once, delivered, and marked sent exactly once") {
  TempDir dir;
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  Outbox outbox(store->db());
  REQUIRE(outbox.enqueue(message("a")));
  REQUIRE(outbox.enqueue(message("a")));  // the same Message-ID again: ignored
  auto due = outbox.due(kNow);
  REQUIRE(due);
  REQUIRE(due->size() == 1);
  CHECK(due->at(0).status == OutboxStatus::kQueued);
  REQUIRE(outbox.markSent(due->at(0).id, kNow + Seconds(5)));
  REQUIRE(outbox.markSent(due->at(0).id, kNow + Seconds(99)));  // a second mark changes nothing
  CHECK(outbox.due(kNow + Seconds(3600))->empty());
  auto pending = outbox.pending();
  REQUIRE(pending);
  CHECK(pending->empty());
  auto st = store->db().prepare("SELECT sent_at, attempts FROM outbox");
  REQUIRE(st);
  REQUIRE(st->step());
  CHECK(st->getInt(0) == toUnixSeconds(kNow + Seconds(5)));
  CHECK(st->getInt(1) == 1);
}

TEST_CASE(
    "outbox: failed attempts wait and keep the server's answer, past the deadline they are "
    "failed") {
  TempDir dir;
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  Outbox outbox(store->db());
  REQUIRE(outbox.enqueue(message("b")));
  const int64_t id = outbox.due(kNow)->at(0).id;
  REQUIRE(
      outbox.markAttemptFailed(id, "421 4.7.0 try again later", kNow, Seconds(300), Seconds(3600)));
  CHECK(outbox.due(kNow + Seconds(299))->empty());
  auto again = outbox.due(kNow + Seconds(300));
  REQUIRE(again->size() == 1);
  CHECK(again->at(0).attempts == 1);
  CHECK(again->at(0).last_error == "421 4.7.0 try again later");
  REQUIRE(outbox.markAttemptFailed(id, "554 5.7.1 relay denied", kNow + Seconds(3500), Seconds(300),
                                   Seconds(3600)));
  auto pending = outbox.pending();
  REQUIRE(pending->size() == 1);
  CHECK(pending->at(0).status == OutboxStatus::kFailed);  // reported, never dropped
  CHECK(pending->at(0).last_error == "554 5.7.1 relay denied");
  CHECK(outbox.due(kNow + Seconds(99999))->empty());
}

TEST_CASE("outbox: queued messages survive a restart, a rolled-back transaction queues nothing") {
  TempDir dir;
  {
    auto store = FindingStore::open(testStore(dir, "c.db"));
    REQUIRE(store);
    Outbox outbox(store->db());
    REQUIRE(outbox.enqueue(message("kept")));
    Transaction tx(store->db());
    REQUIRE(tx.status());
    REQUIRE(outbox.enqueue(message("rolled-back")));
    // no commit: the transaction rolls back, as a crashed scan would
  }
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  auto pending = Outbox(store->db()).pending();
  REQUIRE(pending);
  REQUIRE(pending->size() == 1);
  CHECK(pending->at(0).message_id == "<kept@northwind-it.com.au>");
}

TEST_CASE("outbox: what is queued in a scan's apply transaction is kept or lost with the scan") {
  TempDir dir;
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  const std::string t1 = "11111111-1111-1111-1111-111111111111";
  auto stage = [&](bool fail) {
    auto id = store->beginScan(kNow, "h");
    REQUIRE(id);
    REQUIRE(store->stageTenant({t1, "Contoso", ReadStatus::kFull, "[]", {}}));
    Evaluation e{"r1", t1, fail ? EvalOutcome::kFail : EvalOutcome::kPass, false, "", {}};
    if (fail) e.failures.push_back({"a", "high", "m", "fix", "null"});
    REQUIRE(store->stageEvaluation(e));
    return *id;
  };
  // Applied and queued in one transaction, then not committed (a crash, a failed composer):
  // neither the finding nor the message is there.
  {
    const int64_t scan = stage(true);
    auto tx = store->beginApply();
    REQUIRE(tx);
    REQUIRE(store->applyStaged(**tx, scan, {"r1"}, true, kNow));
    auto changes = store->changesOf(scan, kNow);
    REQUIRE(changes);
    CHECK(changes->opened.size() == 1);  // visible inside the transaction
    REQUIRE(Outbox(store->db()).enqueue(message("lost")));
  }
  CHECK(store->listFindings({StateFilter::kAll, "", "", ""}, kNow)->empty());
  CHECK(Outbox(store->db()).pending()->empty());
  // Committed: both.
  const int64_t scan = stage(true);
  auto tx = store->beginApply();
  REQUIRE(tx);
  auto summary = store->applyStaged(**tx, scan, {"r1"}, true, kNow);
  REQUIRE(summary);
  CHECK(summary->findings_new == 1);
  REQUIRE(Outbox(store->db()).enqueue(message("kept")));
  REQUIRE((*tx)->commit());
  CHECK(store->listFindings({StateFilter::kOpen, "", "", ""}, kNow)->size() == 1);
  auto pending = Outbox(store->db()).pending();
  REQUIRE(pending->size() == 1);
  CHECK(pending->at(0).message_id == "<kept@northwind-it.com.au>");
}

TEST_CASE(
    "outbox: a claimed message is not handed to a second sender, and falls due again after "
    "the lease") {
  testing::TempDir dir;
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  Outbox outbox(store->db());
  OutboxMessage m;
  m.message_id = "<a@x>";
  m.kind = "digest";
  m.recipients = "ops@x.example";
  m.subject = "s";
  m.body = "b";
  m.created_at = kNow;
  REQUIRE(outbox.enqueue(m));
  auto due = outbox.due(kNow);
  REQUIRE(due->size() == 1);
  CHECK(*outbox.claim(due->at(0).id, kNow, Seconds(600)) == true);
  CHECK(*outbox.claim(due->at(0).id, kNow, Seconds(600)) == false);  // the second sender
  CHECK(outbox.due(kNow + Seconds(599))->empty());
  CHECK(outbox.due(kNow + Seconds(600))->size() == 1);  // its sender died: due again
}

TEST_CASE("outbox: critical messages are due first") {
  testing::TempDir dir;
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  Outbox outbox(store->db());
  for (int i = 0; i < 3; ++i) {
    OutboxMessage m;
    m.message_id = "<m" + std::to_string(i) + "@x>";
    m.kind = i == 2 ? "critical" : "digest";
    m.recipients = "ops@x.example";
    m.subject = "s";
    m.body = "b";
    m.created_at = kNow + Seconds(i);  // the critical one is the newest
    REQUIRE(outbox.enqueue(m));
  }
  auto due = outbox.due(kNow + Seconds(10));
  REQUIRE(due->size() == 3);
  CHECK(due->at(0).kind == "critical");
}
