// SPDX-License-Identifier: Apache-2.0
// The live source: Partner Center and Microsoft Graph, merged with the inventory export into
// one Tenant per id (docs/tenant-model.md shows which call fills which part).
//
// First the lists: our Partner Center customers (paged) and our GDAP relationships (partner
// side, paged). Then each tenant is read on its own by a bounded pool of workers: customer
// details and indirect relationships from Partner Center (customers only), organization and
// partners from Graph inside the customer tenant. A part that cannot be read becomes a fetch
// problem on that tenant, so the rules that need it come out unknown; one tenant's failure
// never stops the scan. Tenants are handed to the sink one at a time as they are finished, so
// a scan never holds every tenant's data at once.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/diagnostic.h"
#include "common/status.h"
#include "msapi/api_client.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant.h"

namespace cspwatch::tenants {

struct PartnerCenterSourceOptions {
  std::string partner_tenant_id;
  std::string partner_center_url = "https://api.partnercenter.microsoft.com";
  std::string graph_url = "https://graph.microsoft.com";
  int concurrency = 8;
  int page_size = 200;
  // Called after each tenant, with the number done and the total (may be empty).
  std::function<void(size_t done, size_t total)> progress;
};

struct SourceReport {
  size_t tenants = 0;
  bool complete = true;  // every list (customers, relationships, inventory) was read
  Diagnostics problems;  // list-level failures and skipped inventory rows
};

class PartnerCenterSource {
 public:
  // `inventory` may be null. All references must outlive run().
  PartnerCenterSource(PartnerCenterSourceOptions options, msapi::ApiClient& api,
                      const Inventory* inventory, bool user_tokens, msapi::Cancellation& cancel);

  // Calls `sink` once per tenant, never concurrently. An error from the sink stops the scan.
  Result<SourceReport> run(const std::function<Status(const Tenant&)>& sink);

 private:
  // `customer`: whether the tenant is in our customer list; nullopt when the list could not be
  // read.
  void readTenant(Tenant& t, std::optional<bool> customer);

  PartnerCenterSourceOptions options_;
  msapi::ApiClient& api_;
  const Inventory* inventory_;
  bool user_tokens_;
  msapi::Cancellation& cancel_;
};

}  // namespace cspwatch::tenants
