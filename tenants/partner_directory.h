// SPDX-License-Identifier: Apache-2.0
// Names of other tenants. A customer's partner list (Graph crossTenantAccessPolicy/partners)
// carries only tenant ids; an operator needs "Adatum Managed Services (adatum.onmicrosoft.com)".
// Graph's findTenantInformationByTenantId (CrossTenantInformation.ReadBasic.All) gives the
// display name and default domain. Names are kept in the database and looked up again after
// `max_age` (7 days); a scan asks at most once per id, however many tenants list it. A failed
// lookup leaves the name unknown (or the last one known): the check goes on with the id.
// Thread-safe: the source's workers resolve concurrently.
#pragma once

#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace cspwatch::tenants {

struct TenantInfo {
  std::string tenant_id;
  std::string display_name;
  std::string default_domain;
  Timestamp looked_up_at;
};

class PartnerDirectory {
 public:
  using Lookup = std::function<Result<TenantInfo>(const std::string& tenant_id)>;

  // `known`: what the database holds, by tenant id.
  PartnerDirectory(std::map<std::string, TenantInfo> known, Timestamp now,
                   Seconds max_age = std::chrono::hours(24 * 7));

  // The name and domain of `tenant_id`, looked up with `lookup` when not known or older than
  // max_age (once per id for the life of this object); nullopt when neither the database nor
  // the lookup knows it.
  std::optional<TenantInfo> resolve(const std::string& tenant_id, const Lookup& lookup);

  // What this scan looked up successfully, to be stored.
  std::vector<TenantInfo> lookedUp() const;
  // How many lookups were made, and how many failed (tests, the log).
  size_t lookups() const;
  size_t failures() const;

 private:
  std::map<std::string, TenantInfo> known_;
  Timestamp now_;
  Seconds max_age_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_future<std::optional<TenantInfo>>> asked_;
  std::vector<TenantInfo> looked_up_;
  size_t failures_ = 0;
};

}  // namespace cspwatch::tenants
