// SPDX-License-Identifier: Apache-2.0
#include "daemon/instance_registry.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <set>

#include <sys/stat.h>
#include <unistd.h>

#include "common/file_util.h"

namespace cspwatch::daemon {

namespace {

// This machine and process namespace: the kernel's boot id (new at each boot) and the inode of
// our pid namespace (containers on one kernel have their own). Two processes with the same
// value see the same pids. "" when either cannot be read: then no holder is judged gone early.
// $CSPWATCH_MACHINE_ID replaces it (tests/faults/ha_test.cpp, bench/).
std::string machineKey() {
  // Tests and benchmarks run "separate machines" as processes of one: each its own id.
  if (const char* forced = std::getenv("CSPWATCH_MACHINE_ID"); forced != nullptr && *forced)
    return forced;
  auto read = readWholeFile("/proc/sys/kernel/random/boot_id", 256);
  std::string boot = read ? *read : "";
  while (!boot.empty() && (boot.back() == '\n' || boot.back() == ' ')) boot.pop_back();
  struct stat ns {};
  if (boot.empty() || ::stat("/proc/self/ns/pid", &ns) != 0) return "";
  return boot + "/" + std::to_string(ns.st_ino);
}

}  // namespace

// Who takes the lease: "host:pid" (in logs, /healthz, the leases table) and where it runs.
storage::LeaseHolder thisInstance() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  const std::string name = std::string(host[0] != '\0' ? host : "localhost");
  return {name + ":" + std::to_string(::getpid()), machineKey(), ::getpid()};
}

// A holder on this machine whose process is gone (kill -9, a crash, then systemd's restart).
bool holderGone(const storage::LeaseRow& row) {
  static const std::string here = machineKey();
  if (here.empty() || row.machine != here || row.pid <= 0 || row.pid == ::getpid()) return false;
  return ::kill(static_cast<pid_t>(row.pid), 0) != 0 && errno == ESRCH;
}

InstanceRegistry::InstanceRegistry(storage::LeaseHolder self, Seconds period,
                                   LeaseKeeper::HolderGone gone)
    : self_(std::move(self)),
      period_(std::chrono::duration_cast<Steady::duration>(period)),
      gone_(std::move(gone)) {}

int InstanceRegistry::share(int accounts, int instances) {
  instances = std::max(instances, 1);
  return std::max(1, (accounts + instances - 1) / instances);
}

Status InstanceRegistry::renewOwn(storage::Leases& leases, Timestamp now) {
  const std::string name = kPrefix + self_.name;
  if (own_) {
    auto renewed = leases.renew(*own_, now);
    if (!renewed) return renewed.status();
    if (*renewed) return Status::ok();
    own_.reset();  // deleted (we were counted out while paused): write it again
  }
  auto row = leases.read(name);
  if (!row) return row.status();
  auto taken = leases.take(name, self_, *row, now);
  if (!taken) return taken.status();
  if (*taken) own_ = storage::Fence{name, self_.name, (**taken).token};
  return Status::ok();
}

int InstanceRegistry::step(storage::Leases& leases, Timestamp now, Steady::time_point steady,
                           Status* error) {
  auto fail = [&](const Status& s) {
    if (error != nullptr) *error = s;
    return live_;
  };
  if (Status s = renewOwn(leases, now); !s) return fail(s);
  auto rows = leases.list(kPrefix);
  if (!rows) return fail(rows.status());
  int live = 1;
  std::set<std::string> present;
  for (const storage::LeaseRow& row : *rows) {
    if (row.name == kPrefix + self_.name) continue;
    present.insert(row.name);
    auto [it, first] = seen_.try_emplace(row.name, Seen{row.version, steady});
    if (!first && it->second.version != row.version) it->second = Seen{row.version, steady};
    const auto unchanged = steady - it->second.since;
    const bool stopped = row.holder.empty() || (gone_ && gone_(row));
    if (!stopped && unchanged < period_) ++live;
    // Left behind: nobody renews it. Deleted only if still as read (a renewal keeps it).
    if (stopped || unchanged >= 3 * period_) (void)leases.remove(row.name, row.version);
  }
  for (auto it = seen_.begin(); it != seen_.end();)
    it = present.count(it->first) ? std::next(it) : seen_.erase(it);
  live_ = live;
  return live_;
}

void InstanceRegistry::leave(storage::Leases& leases, Timestamp now) {
  if (!own_) return;
  (void)leases.release(*own_, now);
  own_.reset();
}

}  // namespace cspwatch::daemon
