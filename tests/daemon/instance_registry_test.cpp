// SPDX-License-Identifier: Apache-2.0
// The registry of instances over a real store (SQLite here; the same SQL on PostgreSQL), on
// steady clocks the test moves: instances count each other while their rows change, count out
// one unchanged for a period or released, delete rows left behind, and count only instances
// serving the same accounts. The share is ceil(accounts / instances).
#include "daemon/instance_registry.h"

#include <catch2/catch.hpp>

#include "storage/finding_store.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using cspwatch::testing::TempDir;
using Steady = std::chrono::steady_clock;

namespace {

const Timestamp kNow = *parseTimestamp("2026-12-07T01:00:00Z");
const std::vector<std::string> kAccounts = {"alpha", "beta", "gamma"};

storage::LeaseHolder holder(const std::string& name, int64_t pid) {
  return {name, "machine-" + name, pid};
}

}  // namespace

TEST_CASE("instance registry: the share is ceil(accounts / instances), at least 1", "[partners]") {
  CHECK(InstanceRegistry::share(3, 1) == 3);
  CHECK(InstanceRegistry::share(3, 2) == 2);
  CHECK(InstanceRegistry::share(3, 3) == 1);
  CHECK(InstanceRegistry::share(3, 5) == 1);
  CHECK(InstanceRegistry::share(4, 3) == 2);
  CHECK(InstanceRegistry::share(3, 0) == 3);
}

TEST_CASE("instance registry: live instances counted, stopped ones counted out and deleted",
          "[partners]") {
  TempDir dir;
  auto store = storage::FindingStore::open(storage::StoreLocation(dir.file("shared.db")));
  REQUIRE(store);
  storage::Leases leases(store->db());
  const Seconds period(60);
  InstanceRegistry a(holder("a", 1), period, nullptr, kAccounts);
  InstanceRegistry b(holder("b", 2), period, nullptr, {"gamma", "alpha", "beta"});  // any order
  InstanceRegistry other(holder("c", 3), period, nullptr, {"alpha", "beta"});  // other accounts
  Steady::time_point t{};
  Status error;
  CHECK(a.step(leases, kNow, t, &error) == 1);
  CHECK(error.isOk());
  CHECK(other.step(leases, kNow, t) == 1);  // counts only its own group
  CHECK(b.step(leases, kNow, t) == 2);      // a's row, first read: counted
  CHECK(a.step(leases, kNow, t + Seconds(20)) == 2);
  // b renews every third of a period; a keeps counting it.
  for (int i = 1; i <= 6; ++i) {
    CHECK(b.step(leases, kNow, t + Seconds(20 * i)) == 2);
    CHECK(a.step(leases, kNow, t + Seconds(20 * i + 1)) == 2);
  }
  // b stops (kill -9): a counts it out once it has seen no change for a whole period.
  const auto last = t + Seconds(121);
  CHECK(a.step(leases, kNow, last + Seconds(40)) == 2);
  CHECK(a.step(leases, kNow, last + Seconds(61)) == 1);
  // Three periods unchanged: its row is deleted.
  CHECK(a.step(leases, kNow, last + Seconds(200)) == 1);
  auto rows = leases.list(InstanceRegistry::kPrefix);
  REQUIRE(rows);
  CHECK(rows->size() == 2);  // a's and the other group's
  // A clean stop releases the row: counted out at the next step, not a period later.
  InstanceRegistry d(holder("d", 4), period, nullptr, kAccounts);
  CHECK(d.step(leases, kNow, last + Seconds(201)) == 2);
  CHECK(a.step(leases, kNow, last + Seconds(202)) == 2);
  d.leave(leases, kNow);
  CHECK(a.step(leases, kNow, last + Seconds(203)) == 1);
}

TEST_CASE("instance registry: an instance whose lease was taken over is counted out at once",
          "[partners]") {
  TempDir dir;
  auto store = storage::FindingStore::open(storage::StoreLocation(dir.file("shared.db")));
  REQUIRE(store);
  storage::Leases leases(store->db());
  const Seconds period(60);
  InstanceRegistry a(holder("a", 1), period, nullptr, kAccounts);
  InstanceRegistry b(holder("b", 2), period, nullptr, kAccounts);
  Steady::time_point t{};
  CHECK(b.step(leases, kNow, t) == 1);
  CHECK(a.step(leases, kNow, t + Seconds(1)) == 2);
  // b stops renewing; a took one of its leases over: b is out now, not a period later.
  CHECK(a.countOut("b", t + Seconds(30)) == 1);
  CHECK(a.step(leases, kNow, t + Seconds(31)) == 1);
  CHECK(a.countOut("nobody-known", t + Seconds(32)) == 1);
  // b was only paused and renews: counted again.
  CHECK(b.step(leases, kNow, t + Seconds(40)) == 2);
  CHECK(a.step(leases, kNow, t + Seconds(41)) == 2);
}
