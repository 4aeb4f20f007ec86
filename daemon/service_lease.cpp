// SPDX-License-Identifier: Apache-2.0
// The Service's lease (daemon/service.h, daemon/lease_keeper.h): the run loop's step, which
// gains, renews or loses the partner account's lease, and giving it up on a clean stop.
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>

#include <sys/stat.h>
#include <unistd.h>

#include "common/file_util.h"
#include "common/logging.h"
#include "daemon/service.h"

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

}  // namespace

void Service::stepLease(std::unique_lock<std::mutex>& lock, Deadlines& due,
                        const config::AppConfig& cfg) {
  if (!lease_)
    lease_ =
        std::make_unique<LeaseKeeper>(leaseName(), thisInstance(), cfg.lease_period, holderGone);
  due.lease = Steady::now() + lease_->renewEvery();
  lock.unlock();
  Status error;
  LeaseKeeper::State st;
  // A connection of its own for each step, closed after it: a SQLite connection left open
  // would keep the write-ahead log from being reset when a job's connection closes.
  auto store = openStore(cfg);
  if (store) {
    storage::Leases leases(store->db());
    st = lease_->step(leases, clock_.now(), Steady::now(), &error);
  } else {
    error = store.status();
    st = lease_->unreachable(Steady::now());
  }
  if (st.gained) {
    // What a holder that died left 'running' is over: under our fence, so not while another
    // instance could still be scanning.
    store->setFence(lease_->fence());
    if (auto n = store->markInterrupted(clock_.now()); n && *n > 0)
      log().warn("{} scan(s) left running by an earlier holder marked interrupted", *n);
  }
  // The last scan any holder applied, for /healthz once this instance answers for the scans.
  std::optional<Timestamp> previous;
  if (st.gained)
    if (auto p = store->previousScanFinished(INT64_MAX); p && *p) previous = **p;
  lock.lock();
  if (!error.isOk()) log().warn("lease {}: {}", leaseName(), error.message());
  if (!st.held && !st.holder.empty() && st.holder != lease_holder_)
    log().info("standing by: {} holds the lease of {}", st.holder, leaseName());
  lease_holder_ = st.holder;
  if (error.isOk()) lease_read_at_ = Steady::now();
  fence_ = lease_->fence();
  metrics_.setLeaseHeld(partner_key_, st.held);
  if (st.gained) {
    holding_ = true;
    if (previous && (!last_success_ || *previous > *last_success_)) last_success_ = *previous;
    if (st.took_over) metrics_.recordTakeover(partner_key_);
    log().info("{} the lease of {} (token {}): this instance scans",
               st.took_over ? "took over" : "took", leaseName(), st.token);
    due.scan = clock_.now();  // scan on gaining it
  } else if (st.lost) {
    holding_ = false;
    log().warn("lost the lease of {} ({}): this instance stands by", leaseName(),
               st.holder.empty() ? "not renewed within a lease period" : st.holder + " holds it");
    if (scan_running_) cancel_.cancel();  // its writes are fenced off anyway
    due.scan = clock_.now() + kNotDue;
  } else if (!st.held && !holding_ && last_outcome_ == "no scan yet") {
    last_outcome_ = "standing by: " + (st.holder.empty() ? std::string("nobody") : st.holder) +
                    " holds the lease of " + leaseName();
  }
}

void Service::releaseLease(const config::AppConfig& cfg) {
  if (!lease_ || !lease_->held()) return;
  auto store = openStore(cfg);
  if (!store) return;  // a standby takes over a lease period later instead
  storage::Leases leases(store->db());
  lease_->release(leases, clock_.now());
  log().info("gave up the lease of {}", leaseName());
}

}  // namespace cspwatch::daemon
