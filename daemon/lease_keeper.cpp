// SPDX-License-Identifier: Apache-2.0
#include "daemon/lease_keeper.h"

namespace cspwatch::daemon {

LeaseKeeper::LeaseKeeper(std::string name, storage::LeaseHolder holder, Seconds period,
                         HolderGone gone)
    : name_(std::move(name)),
      holder_(std::move(holder)),
      gone_(std::move(gone)),
      period_(std::chrono::duration_cast<Steady::duration>(period)) {}

LeaseKeeper::State LeaseKeeper::step(storage::Leases& leases, Timestamp now,
                                     Steady::time_point steady, Status* error, bool may_take) {
  return fence_ ? renew(leases, now, steady, error) : watch(leases, now, steady, error, may_take);
}

LeaseKeeper::State LeaseKeeper::renew(storage::Leases& leases, Timestamp now,
                                      Steady::time_point steady, Status* error) {
  auto renewed = leases.renew(*fence_, now);
  if (renewed && *renewed) {
    renewed_ = steady;
    return heldState();
  }
  if (!renewed) {
    if (error != nullptr) *error = renewed.status();
    return unreachable(steady);  // not renewed yet: ours until a period has passed
  }
  return lose();  // taken over: the row changed
}

LeaseKeeper::State LeaseKeeper::heldState() const {
  State st;
  st.held = true;
  st.holder = holder_.name;
  st.token = fence_->token;
  return st;
}

LeaseKeeper::State LeaseKeeper::lose() {
  fence_.reset();
  seen_.reset();
  seen_since_.reset();
  State st;
  st.lost = true;
  return st;
}

LeaseKeeper::State LeaseKeeper::watch(storage::Leases& leases, Timestamp now,
                                      Steady::time_point steady, Status* error, bool may_take) {
  State st;
  auto row = leases.read(name_);
  if (!row) {
    if (error != nullptr) *error = row.status();
    st.holder = seen_ ? seen_->holder : "";
    return st;
  }
  const std::optional<storage::LeaseRow>& current = *row;
  const bool changed = !seen_since_ || current.has_value() != seen_.has_value() ||
                       (current && current->version != seen_->version);
  if (changed) {
    seen_ = current;
    seen_since_ = steady;
  }
  // Free (never taken, or released), unchanged for a whole period, or its holder certainly
  // gone: take it as seen.
  const bool free = !current || current->holder.empty();
  st.holder = current ? current->holder : "";
  const bool gone = !free && gone_ && gone_(*current);
  if (!may_take || (!free && !gone && steady - *seen_since_ < period_)) return st;
  auto taken = leases.take(name_, holder_, current, now);
  if (!taken) {
    if (error != nullptr) *error = taken.status();
    return st;
  }
  if (!*taken) return st;  // it changed meanwhile: watch again
  fence_ = storage::Fence{name_, holder_.name, (*taken)->token};
  renewed_ = steady;
  st.held = st.gained = true;
  st.took_over = !free;
  st.holder = holder_.name;
  st.token = (*taken)->token;
  return st;
}

LeaseKeeper::State LeaseKeeper::unreachable(Steady::time_point steady) {
  if (!fence_) return State{};
  return steady - renewed_ < period_ ? heldState() : lose();
}

void LeaseKeeper::release(storage::Leases& leases, Timestamp now) {
  if (!fence_) return;
  (void)leases.release(*fence_, now);
  fence_.reset();
}

}  // namespace cspwatch::daemon
