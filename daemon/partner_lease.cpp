// SPDX-License-Identifier: Apache-2.0
// A partner account's lease (daemon/partner_runner.h, daemon/lease_keeper.h): the run loop's
// step, which gains, renews or loses it, giving it up to another instance, and on a clean stop.
#include "common/logging.h"
#include "daemon/partner_runner.h"

namespace cspwatch::daemon {

void PartnerRunner::stepLease(std::unique_lock<std::mutex>& lock, const storage::LeaseHolder& self,
                              const LeaseKeeper::HolderGone& gone, bool may_take) {
  const config::AppConfig cfg = load_->config;  // the lock is released meanwhile
  if (!lease_) lease_ = std::make_unique<LeaseKeeper>(leaseName(), self, cfg.lease_period, gone);
  due_lease_ = Steady::now() + lease_->renewEvery();
  lock.unlock();
  Status error;
  LeaseKeeper::State st;
  // A connection of its own for each step, closed after it: a SQLite connection left open
  // would keep the write-ahead log from being reset when a job's connection closes.
  auto store = openStore(cfg);
  if (store) {
    storage::Leases leases(store->db());
    st = lease_->step(leases, ctx_.clock->now(), Steady::now(), &error, may_take);
  } else {
    error = store.status();
    st = lease_->unreachable(Steady::now());
  }
  if (st.gained) {
    // What a holder that died left 'running' is over: under our fence, so not while another
    // instance could still be scanning.
    store->setFence(lease_->fence());
    if (auto n = store->markInterrupted(ctx_.clock->now()); n && *n > 0)
      log().warn("{}{} scan(s) left running by an earlier holder marked interrupted", who(), *n);
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
  ctx_.metrics->setLeaseHeld(name(), st.held);
  if (st.gained) {
    holding_ = true;
    if (previous && (!last_success_ || *previous > *last_success_)) last_success_ = *previous;
    if (st.took_over) ctx_.metrics->recordTakeover(name());
    log().info("{} the lease of {} (token {}): this instance scans",
               st.took_over ? "took over" : "took", leaseName(), st.token);
    due_scan_ = ctx_.clock->now();  // scan on gaining it
  } else if (st.lost) {
    holding_ = false;
    log().warn("lost the lease of {} ({}): this instance stands by", leaseName(),
               st.holder.empty() ? "not renewed within a lease period" : st.holder + " holds it");
    if (scan_running_) cancel_.cancel();  // its writes are fenced off anyway
    due_scan_ = ctx_.clock->now() + kNotDue;
  } else if (!st.held && !holding_ && last_outcome_ == "no scan yet") {
    last_outcome_ = "standing by: " + (st.holder.empty() ? std::string("nobody") : st.holder) +
                    " holds the lease of " + leaseName();
  }
}

bool PartnerRunner::giveUp() {
  if (busy_ || !holding_) return false;
  releaseLease();
  holding_ = false;
  fence_.reset();
  lease_holder_.clear();
  due_scan_ = ctx_.clock->now() + kNotDue;
  ctx_.metrics->setLeaseHeld(name(), false);
  return true;
}

void PartnerRunner::releaseLease() {
  if (!lease_ || !lease_->held()) return;
  auto store = openStore(load_->config);
  if (!store) return;  // another instance takes over a lease period later instead
  storage::Leases leases(store->db());
  lease_->release(leases, ctx_.clock->now());
  log().info("gave up the lease of {}", leaseName());
}

}  // namespace cspwatch::daemon
