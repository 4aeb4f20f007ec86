// SPDX-License-Identifier: Apache-2.0
// The lease keeper's steps against a real store, time given by the test: when a standby takes
// over, and when it must not.
#include "daemon/lease_keeper.h"

#include <catch2/catch.hpp>

#include "storage/finding_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using cspwatch::testing::TempDir;

namespace {

using Steady = LeaseKeeper::Steady;
const Timestamp kNow = *parseTimestamp("2026-12-06T06:00:00Z");
const Seconds kPeriod(60);

struct Two {
  TempDir dir;
  storage::FindingStore a = open(), b = open();
  storage::Leases la{a.db()}, lb{b.db()};
  Steady::time_point t0 = Steady::now();
  storage::FindingStore open() {
    auto s = storage::FindingStore::open(testing::testStore(dir, "c.db"));
    REQUIRE(s);
    return std::move(s.value());
  }
  Steady::time_point at(int seconds) const { return t0 + std::chrono::seconds(seconds); }
  Timestamp wall(int seconds) const { return kNow + Seconds(seconds); }
};

storage::LeaseHolder holder(const std::string& name, int64_t pid) { return {name, "m", pid}; }

}  // namespace

TEST_CASE("lease keeper: the first instance takes the lease, a standby waits a whole period") {
  Two w;
  LeaseKeeper active("partner:x", holder("a:1", 1), kPeriod);
  LeaseKeeper standby("partner:x", holder("b:2", 2), kPeriod);
  auto first = active.step(w.la, w.wall(0), w.at(0));
  CHECK(first.held);
  CHECK(first.gained);
  CHECK_FALSE(first.took_over);
  CHECK(first.token == 1);
  auto watching = standby.step(w.lb, w.wall(1), w.at(1));
  CHECK_FALSE(watching.held);
  CHECK(watching.holder == "a:1");
  // The active instance renews every 20 s: the standby never takes over, however long.
  for (int s = 20; s <= 300; s += 20) {
    CHECK(active.step(w.la, w.wall(s), w.at(s)).held);
    CHECK_FALSE(standby.step(w.lb, w.wall(s + 1), w.at(s + 1)).held);
  }
  // It stops renewing (killed) after its renewal at 300 s: the standby saw that version at 301 s
  // and takes over a period later, not before.
  CHECK_FALSE(standby.step(w.lb, w.wall(321), w.at(321)).held);
  CHECK_FALSE(standby.step(w.lb, w.wall(360), w.at(360)).held);
  auto taken = standby.step(w.lb, w.wall(361), w.at(361));
  CHECK(taken.held);
  CHECK(taken.gained);
  CHECK(taken.took_over);
  CHECK(taken.token == 2);
  // Within two periods of the holder's last renewal.
  CHECK(361 - 300 < 2 * kPeriod.count());
  // The old holder, back (a paused process), finds it lost.
  auto back = active.step(w.la, w.wall(370), w.at(370));
  CHECK(back.lost);
  CHECK_FALSE(back.held);
  CHECK_FALSE(active.held());
}

TEST_CASE("lease keeper: a released lease is taken at the standby's next step") {
  Two w;
  LeaseKeeper active("partner:x", holder("a:1", 1), kPeriod);
  LeaseKeeper standby("partner:x", holder("b:2", 2), kPeriod);
  REQUIRE(active.step(w.la, w.wall(0), w.at(0)).held);
  REQUIRE_FALSE(standby.step(w.lb, w.wall(1), w.at(1)).held);
  active.release(w.la, w.wall(5));
  auto taken = standby.step(w.lb, w.wall(21), w.at(21));
  CHECK(taken.gained);
  CHECK_FALSE(taken.took_over);  // given, not taken over
}

TEST_CASE("lease keeper: a holder known gone (same machine, no such process) is replaced at once") {
  Two w;
  LeaseKeeper crashed("partner:x", holder("a:1", 4242), kPeriod);
  REQUIRE(crashed.step(w.la, w.wall(0), w.at(0)).held);
  bool asked = false;
  LeaseKeeper restarted("partner:x", holder("a:2", 4343), kPeriod,
                        [&](const storage::LeaseRow& row) {
                          asked = true;
                          return row.pid == 4242;  // as the service's check finds it
                        });
  auto taken = restarted.step(w.lb, w.wall(1), w.at(1));
  CHECK(asked);
  CHECK(taken.gained);
  CHECK(taken.took_over);
  // A holder not known gone is waited for.
  LeaseKeeper other("partner:x", holder("c:3", 3), kPeriod,
                    [](const storage::LeaseRow&) { return false; });
  CHECK_FALSE(other.step(w.la, w.wall(2), w.at(2)).held);
}

TEST_CASE("lease keeper: a holder that cannot renew keeps the lease until a period has passed") {
  Two w;
  LeaseKeeper active("partner:x", holder("a:1", 1), kPeriod);
  REQUIRE(active.step(w.la, w.wall(0), w.at(0)).held);
  // The database goes away: the keeper's steps fail on a store that refuses every statement.
  REQUIRE(w.a.db().exec("ALTER TABLE leases RENAME TO leases_gone"));
  Status error;
  auto during = active.step(w.la, w.wall(30), w.at(30), &error);
  CHECK_FALSE(error.isOk());
  CHECK(during.held);  // not yet a period since the last renewal
  auto after = active.step(w.la, w.wall(61), w.at(61), &error);
  CHECK(after.lost);
  CHECK_FALSE(active.held());
}

TEST_CASE("lease keeper: with the database unreachable, the lease is held a period, then lost") {
  Two w;
  LeaseKeeper active("partner:x", holder("a:1", 1), kPeriod);
  REQUIRE(active.step(w.la, w.wall(0), w.at(0)).held);
  CHECK(active.unreachable(w.at(59)).held);
  auto after = active.unreachable(w.at(60));
  CHECK(after.lost);
  CHECK_FALSE(after.held);
  CHECK_FALSE(active.held());
  LeaseKeeper standby("partner:x", holder("b:2", 2), kPeriod);
  CHECK_FALSE(standby.unreachable(w.at(61)).held);  // never held: nothing to lose
}
