// SPDX-License-Identifier: Apache-2.0
// Leases and fencing (storage/leases.h), and the outbox claimed once across connections: on
// SQLite and, in the `postgres` runs, on the test server.
#include "storage/leases.h"

#include <thread>

#include <catch2/catch.hpp>

#include "storage/finding_store.h"
#include "storage/outbox.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;
using cspwatch::testing::testStore;

namespace {

const Timestamp kNow = *parseTimestamp("2026-12-06T06:00:00Z");
const std::string kLease = "partner:northwind";

FindingStore openStore(const TempDir& dir) {
  auto s = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(s);
  return std::move(s.value());
}

Fence fenceOf(const LeaseRow& row) { return {row.name, row.holder, row.token}; }

}  // namespace

TEST_CASE("leases: taken when absent, renewed by its holder, taken over only as last seen") {
  TempDir dir;
  FindingStore a = openStore(dir), b = openStore(dir);
  Leases la(a.db()), lb(b.db());
  auto none = la.read(kLease);
  REQUIRE(none);
  CHECK_FALSE(*none);
  auto mine = la.take(kLease, LeaseHolder{"host-a", "m", 1}, std::nullopt, kNow);
  REQUIRE(mine);
  REQUIRE(*mine);
  CHECK((*mine)->token == 1);
  CHECK((*mine)->holder == "host-a");
  // Another instance that also saw none does not get it.
  auto late = lb.take(kLease, LeaseHolder{"host-b", "m", 2}, std::nullopt, kNow);
  REQUIRE(late);
  CHECK_FALSE(*late);
  // B watches the version; A renews, so B's sight is stale and its takeover refused.
  auto seen = lb.read(kLease);
  REQUIRE(seen);
  REQUIRE(*la.renew(fenceOf(**mine), kNow + Seconds(10)));
  auto stale = lb.take(kLease, LeaseHolder{"host-b", "m", 2}, *seen, kNow + Seconds(20));
  REQUIRE(stale);
  CHECK_FALSE(*stale);
  // A stops renewing: B takes over what it saw last, with a higher token.
  auto last = lb.read(kLease);
  auto taken = lb.take(kLease, LeaseHolder{"host-b", "m", 2}, *last, kNow + Seconds(200));
  REQUIRE(taken);
  REQUIRE(*taken);
  CHECK((*taken)->holder == "host-b");
  CHECK((*taken)->token == 2);
  // A's renewals and writes are refused from now on.
  CHECK_FALSE(*la.renew(fenceOf(**mine), kNow + Seconds(201)));
  Status fenced = la.check(fenceOf(**mine));
  CHECK(fenced.code() == Status::Code::kAborted);
  CHECK_THAT(fenced.message(), Catch::Contains("host-b holds it now (token 2)"));
  CHECK(lb.check(fenceOf(**taken)));
}

TEST_CASE("leases: a released lease is taken at once, with a new token") {
  TempDir dir;
  FindingStore a = openStore(dir), b = openStore(dir);
  Leases la(a.db()), lb(b.db());
  auto mine = la.take(kLease, LeaseHolder{"host-a", "m", 1}, std::nullopt, kNow);
  REQUIRE(mine);
  REQUIRE(*mine);
  REQUIRE(la.release(fenceOf(**mine), kNow + Seconds(5)));
  auto seen = lb.read(kLease);
  REQUIRE(seen);
  REQUIRE(*seen);
  CHECK((*seen)->holder.empty());
  auto taken = lb.take(kLease, LeaseHolder{"host-b", "m", 2}, *seen, kNow + Seconds(6));
  REQUIRE(taken);
  REQUIRE(*taken);
  CHECK((*taken)->token == 2);
}

TEST_CASE("leases: a fenced store writes nothing of a scan once the lease is taken over") {
  TempDir dir;
  FindingStore a = openStore(dir), b = openStore(dir);
  Leases la(a.db()), lb(b.db());
  auto mine = la.take(kLease, LeaseHolder{"host-a", "m", 1}, std::nullopt, kNow);
  REQUIRE(mine);
  REQUIRE(*mine);
  a.setFence(fenceOf(**mine));
  const std::string tenant = "11111111-1111-1111-1111-111111111111";
  auto scan = a.beginScan(kNow, "hash");
  REQUIRE(scan);
  REQUIRE(a.stageTenant({tenant, "Contoso", ReadStatus::kFull, "[]", {}}));
  Evaluation e{"r1", tenant, EvalOutcome::kFail, false, "", {}};
  e.failures.push_back({"a", "high", "msg", "fix", "null"});
  REQUIRE(a.stageEvaluation(e));
  // B takes over while A's scan runs (A stopped renewing, as a paused process does).
  auto seen = lb.read(kLease);
  auto taken = lb.take(kLease, LeaseHolder{"host-b", "m", 2}, *seen, kNow + Seconds(300));
  REQUIRE(taken);
  REQUIRE(*taken);
  auto applied = a.applyScan(*scan, {"r1"}, true, kNow + Seconds(301));
  REQUIRE_FALSE(applied);
  CHECK(applied.status().code() == Status::Code::kAborted);
  CHECK_THAT(applied.status().message(), Catch::Contains("no longer holds the lease"));
  CHECK(a.failScan(*scan, kNow, "x").code() == Status::Code::kAborted);
  CHECK(a.beginScan(kNow + Seconds(302), "hash").status().code() == Status::Code::kAborted);
  // Nothing of A's scan landed: no finding, and its scan row is left for B to mark interrupted.
  auto open = b.listFindings({StateFilter::kAll, "", "", ""}, kNow + Seconds(303));
  REQUIRE(open);
  CHECK(open->empty());
  b.setFence(fenceOf(**taken));
  auto interrupted = b.markInterrupted(kNow + Seconds(304));
  REQUIRE(interrupted);
  CHECK(*interrupted == 1);
}

TEST_CASE("leases: of many connections taking a free lease at once, exactly one gets it") {
  TempDir dir;
  { openStore(dir); }  // migrated once
  constexpr int kContenders = 6;
  std::vector<int> won(kContenders, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kContenders; ++i)
    threads.emplace_back([&, i] {
      auto s = FindingStore::open(testStore(dir, "c.db"));
      if (!s) return;
      auto r = Leases(s->db()).take(kLease, LeaseHolder{"host-" + std::to_string(i), "m", i},
                                    std::nullopt, kNow);
      won[static_cast<size_t>(i)] = r ? (*r ? 1 : 0) : 2;  // 2: busy (SQLite's 5 s passed)
    });
  for (auto& t : threads) t.join();
  CHECK(std::count(won.begin(), won.end(), 1) == 1);
  CHECK(std::count(won.begin(), won.end(), 0) == kContenders - 1);
}

TEST_CASE("outbox: a message is claimed by one of the instances sharing the outbox") {
  TempDir dir;
  FindingStore a = openStore(dir), b = openStore(dir);
  OutboxMessage m;
  m.message_id = "<m1@northwind-it.com.au>";
  m.kind = "digest";
  m.recipients = "admins@northwind-it.com.au";
  m.subject = "s";
  m.body = "b";
  m.created_at = kNow;
  REQUIRE(Outbox(a.db()).enqueue(m));
  auto due_a = Outbox(a.db()).due(kNow);
  auto due_b = Outbox(b.db()).due(kNow);
  REQUIRE(due_a);
  REQUIRE(due_b);
  REQUIRE(due_a->size() == 1);
  REQUIRE(due_b->size() == 1);  // both see it due
  auto claim_a = Outbox(a.db()).claim(due_a->at(0).id, kNow, Seconds(300));
  auto claim_b = Outbox(b.db()).claim(due_b->at(0).id, kNow, Seconds(300));
  REQUIRE(claim_a);
  REQUIRE(claim_b);
  CHECK(*claim_a);
  CHECK_FALSE(*claim_b);  // one sender only
  // Past the claim (the claimer died mid-send), the other may send it: same Message-ID.
  auto again = Outbox(b.db()).claim(due_b->at(0).id, kNow + Seconds(301), Seconds(300));
  REQUIRE(again);
  CHECK(*again);
}
