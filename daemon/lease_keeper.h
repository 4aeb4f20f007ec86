// SPDX-License-Identifier: Apache-2.0
// The lease of one partner account, kept by the service (docs/operations.md#high-availability):
// any number of `cspwatch run` instances share the database; the one holding the lease scans,
// the others stand by and take it over when its holder stops renewing.
//
// step() is called every renewEvery() (a third of the period). The holder renews; a standby
// reads the lease and notes when its version last changed, on its own steady clock, and takes
// it over once it has seen no change for a whole period (or finds it released). No two machines'
// clocks are compared, only durations on one. A holder that dies is replaced within about
// 5/3 of the period (its last renewal, a period unchanged, the next step), under the two periods
// the design allows; a holder that cannot renew for a whole period (the database unreachable,
// the process paused) stops counting itself the holder, as a standby may have taken over by
// then; the fencing token refuses what it still writes (storage/leases.h).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/time.h"
#include "storage/leases.h"

namespace cspwatch::daemon {

class LeaseKeeper {
 public:
  using Steady = std::chrono::steady_clock;

  // Whether the holder a lease names has certainly stopped (it ran on this machine, and its
  // process is gone): then a standby need not wait a lease period (a crash and restart).
  using HolderGone = std::function<bool(const storage::LeaseRow&)>;

  // `name`: the lease (one per partner account); `holder`: this instance.
  LeaseKeeper(std::string name, storage::LeaseHolder holder, Seconds period,
              HolderGone gone = nullptr);

  struct State {
    bool held = false;
    bool gained = false;     // this step took the lease (a new token)
    bool lost = false;       // this step found it no longer held
    bool took_over = false;  // gained from another holder that had stopped renewing
    std::string holder;      // who holds it, as last read ("" for nobody)
    int64_t token = 0;       // ours, while held
  };

  // One step against the database; an error (the database unreachable) leaves the lease held
  // until a whole period has passed since the last renewal. `may_take` false: a standby that
  // already holds its share of the accounts (daemon/instance_registry.h) watches the lease
  // without taking it, whatever its state.
  State step(storage::Leases& leases, Timestamp now, Steady::time_point steady,
             Status* error = nullptr, bool may_take = true);
  // A step when the database cannot even be opened: the lease stays held until a whole period
  // has passed since the last renewal, as in step().
  State unreachable(Steady::time_point steady);
  // Gives the lease up, if held (a clean stop): a standby takes it at its next step.
  void release(storage::Leases& leases, Timestamp now);

  bool held() const { return fence_.has_value(); }
  const std::optional<storage::Fence>& fence() const { return fence_; }
  Steady::duration renewEvery() const { return period_ / 3; }
  const std::string& name() const { return name_; }
  const std::string& holder() const { return holder_.name; }

 private:
  State renew(storage::Leases& leases, Timestamp now, Steady::time_point steady, Status* error);
  State watch(storage::Leases& leases, Timestamp now, Steady::time_point steady, Status* error,
              bool may_take);
  State heldState() const;  // while held: ours, with our token
  State lose();             // no longer held: forget it and what was seen

  std::string name_;
  storage::LeaseHolder holder_;
  HolderGone gone_;
  Steady::duration period_;
  std::optional<storage::Fence> fence_;
  Steady::time_point renewed_{};                  // our last successful renewal
  std::optional<storage::LeaseRow> seen_;         // the lease as a standby last read it
  std::optional<Steady::time_point> seen_since_;  // when seen_'s version was first read
};

}  // namespace cspwatch::daemon
