// SPDX-License-Identifier: Apache-2.0
// Leases (docs/operations.md#high-availability): which instance may scan a partner account. A
// lease row names its holder and a fencing token, which goes up each time another holder takes
// it; `version` goes up at every change (a renewal included), so that a standby can tell a
// holder that renews from one that stopped, by watching the version on its own clock
// (daemon/lease_keeper.h): no two machines' clocks are compared.
//
// Taking a lease runs under the store's writer lock (Transaction), as every write of a scan
// does; a scan checks its fence (holder and token) in each of its write transactions
// (FindingStore::setFence), so that once another instance took the lease over, nothing the old
// holder still tries to write lands.
//
// Works on a store's database; one per thread, like the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/database.h"

namespace cspwatch::storage {

struct LeaseRow {
  std::string name;
  std::string holder;   // "" when released; "host:pid" for display
  std::string machine;  // the holder's machine and process namespace (LeaseHolder)
  int64_t pid = 0;
  int64_t token = 0;
  int64_t version = 0;
  Timestamp renewed_at;  // the holder's clock, for display only
};

// Who takes a lease: its name for display, and where it runs.
struct LeaseHolder {
  std::string name;     // "host:pid"
  std::string machine;  // the kernel's boot id and the pid namespace: same value, same pids
  int64_t pid = 0;
};

// What a scan's writes must match: the lease `name` held by `holder` with `token`.
struct Fence {
  std::string name, holder;
  int64_t token = 0;
};

class Leases {
 public:
  explicit Leases(Database& db) : db_(db) {}

  Result<std::optional<LeaseRow>> read(const std::string& name);
  // Takes the lease for `holder` if it is as `seen` (absent when nullopt): free, or held by an
  // instance that stopped renewing. Returns the new row, or nullopt when it changed meanwhile.
  Result<std::optional<LeaseRow>> take(const std::string& name, const LeaseHolder& holder,
                                       const std::optional<LeaseRow>& seen, Timestamp now);
  // Renews the lease `fence` describes; false when it is no longer held so.
  Result<bool> renew(const Fence& fence, Timestamp now);
  // Gives the lease up (a clean stop), so that a standby takes it at once.
  Status release(const Fence& fence, Timestamp now);
  // Every lease whose name starts with `prefix` (the service's registry of instances,
  // "instance:..."), by name.
  Result<std::vector<LeaseRow>> list(const std::string& prefix);
  // Deletes the lease `name` if it is still at `version` (a row its holder left behind); false
  // when it changed meanwhile or is gone.
  Result<bool> remove(const std::string& name, int64_t version);
  // In a write transaction: whether `fence` still holds (kAborted, saying who holds it, if not).
  Status check(const Fence& fence);

 private:
  Database& db_;
};

}  // namespace cspwatch::storage
