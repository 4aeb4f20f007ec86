// SPDX-License-Identifier: Apache-2.0
#include "tenants/partner_directory.h"

namespace cspwatch::tenants {

PartnerDirectory::PartnerDirectory(std::map<std::string, TenantInfo> known, Timestamp now,
                                   Seconds max_age)
    : known_(std::move(known)), now_(now), max_age_(max_age) {}

std::optional<TenantInfo> PartnerDirectory::resolve(const std::string& id, const Lookup& lookup) {
  std::optional<TenantInfo> stored;
  std::promise<std::optional<TenantInfo>> promise;
  std::shared_future<std::optional<TenantInfo>> answer;
  bool ask = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto k = known_.find(id); k != known_.end()) {
      stored = k->second;
      if (now_ - stored->looked_up_at < max_age_) return stored;
    }
    auto it = asked_.find(id);
    if (it == asked_.end()) {
      // The first worker to ask looks it up; the others wait for its answer.
      answer = promise.get_future().share();
      asked_.emplace(id, answer);
      ask = true;
    } else {
      answer = it->second;
    }
  }
  if (ask) {
    std::optional<TenantInfo> found;
    if (lookup) {
      auto r = lookup(id);
      if (r) found = *r;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (found) {
        found->looked_up_at = now_;
        looked_up_.push_back(*found);
      } else {
        ++failures_;
      }
    }
    promise.set_value(found);
  }
  auto found = answer.get();
  return found ? found : stored;  // a failed refresh keeps the last name known
}

std::vector<TenantInfo> PartnerDirectory::lookedUp() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return looked_up_;
}

size_t PartnerDirectory::lookups() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return asked_.size();
}

size_t PartnerDirectory::failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_;
}

}  // namespace cspwatch::tenants
