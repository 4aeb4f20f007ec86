// SPDX-License-Identifier: Apache-2.0
// The instances that share a store serving several partner accounts, and how many of the
// accounts each takes (docs/operations.md#many-partner-accounts). Every instance keeps a row
// of its own in the leases table of the shared store ("instance:<host:pid>"), renewed at each
// step, and watches the others' as a standby watches a lease (daemon/lease_keeper.h): by their
// version, on its own steady clock, never comparing machines' clocks. A row that changed
// within the last period, or that was first read within it, is a live instance; one unchanged
// for a period, released (a clean stop) or whose process is certainly gone is not, and is
// deleted once unchanged for three periods. Each instance holds at most share() of the
// accounts: ceil(accounts / live instances), so that N instances spread them evenly, and
// takes over the accounts of one that stopped once it no longer counts it (about a period).
//
// Not thread-safe: the service's run loop steps it.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/time.h"
#include "daemon/lease_keeper.h"
#include "storage/leases.h"

namespace cspwatch::daemon {

// This instance, as leases name it: "host:pid", and where it runs: the kernel's boot id and the
// pid namespace ($CSPWATCH_MACHINE_ID instead when set: tests and benchmarks run "separate
// machines" as processes of one).
storage::LeaseHolder thisInstance();
// Whether the holder `row` names ran on this machine and its process is gone (kill -9, a crash,
// then systemd's restart): then a standby need not wait a lease period.
bool holderGone(const storage::LeaseRow& row);

class InstanceRegistry {
 public:
  using Steady = std::chrono::steady_clock;

  // `self`: this instance; `period`: storage.lease_period; `gone` as LeaseKeeper's.
  InstanceRegistry(storage::LeaseHolder self, Seconds period,
                   LeaseKeeper::HolderGone gone = nullptr);

  // Renews our row (writing it again if another instance deleted it) and reads the others'.
  // Returns the live instances, ourselves included (at least 1); on an error, the last count,
  // and the error in `*error`.
  int step(storage::Leases& leases, Timestamp now, Steady::time_point steady,
           Status* error = nullptr);
  // Gives our row up (a clean stop): the others count us out at their next step.
  void leave(storage::Leases& leases, Timestamp now);

  // The accounts an instance may hold: ceil(accounts / instances), at least 1.
  static int share(int accounts, int instances);

  static constexpr const char* kPrefix = "instance:";

 private:
  Status renewOwn(storage::Leases& leases, Timestamp now);

  storage::LeaseHolder self_;
  Steady::duration period_;
  LeaseKeeper::HolderGone gone_;
  std::optional<storage::Fence> own_;
  struct Seen {
    int64_t version = 0;
    Steady::time_point since;  // when this version was first read
  };
  std::map<std::string, Seen> seen_;  // the others' rows, by name
  int live_ = 1;
};

}  // namespace cspwatch::daemon
