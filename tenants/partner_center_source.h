// SPDX-License-Identifier: Apache-2.0
// The live source: Partner Center and Microsoft Graph, merged with the inventory export into
// one Tenant per id (docs/tenant-model.md shows which call fills which part).
//
// First the sign-in check (App+User: one refresh of the partner user's token; a refresh token
// Entra no longer accepts is one error for the whole scan, and what app-only calls can read is
// still read), then the lists: our Partner Center customers and our GDAP relationships (partner
// side), every page, merged with the inventory (tenants/tenant_merge.h, pure). Then each tenant
// is read on its own by a bounded pool of workers (msapi/worker_pool.h): customer details and
// indirect relationships from Partner Center (customers only), organization and partners from
// Graph inside the customer tenant, every page of each, each only when the options' plan
// fetches it (tenants/fetch_plan.h); the partners' names come from the PartnerDirectory. A part
// that cannot be read becomes a fetch problem on that tenant whose reason names what would fix it,
// so the rules that need it come out unknown; a contact a permission hides is kept as an unread
// contact (tenant.h). One tenant's failure never stops the scan. Tenants are handed to the sink one
// at a time as they are finished, so a scan never holds every tenant's data at once.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/status.h"
#include "msapi/api_client.h"
#include "tenants/answer_parsers.h"
#include "tenants/fetch_plan.h"
#include "tenants/inventory_source.h"
#include "tenants/partner_directory.h"
#include "tenants/tenant.h"
#include "tenants/tenant_merge.h"

namespace cspwatch::tenants {

struct PartnerCenterSourceOptions {
  std::string partner_tenant_id;
  std::string partner_center_url = "https://api.partnercenter.microsoft.com";
  std::string graph_url = "https://graph.microsoft.com";
  int concurrency = 8;
  int page_size = 200;
  // Called after each tenant, with the number done and the total (may be empty).
  std::function<void(size_t done, size_t total)> progress;
  // App+User: refreshes the partner user's token once (may be empty: app-only). A
  // kUnauthenticated answer means only a new `cspwatch auth login` helps.
  std::function<Status()> check_user_sign_in;
  // Partners' names (may be null: partners stay ids).
  PartnerDirectory* directory = nullptr;
  // The per-tenant parts to read (tenants/fetch_plan.h): a scan reads those its rules need.
  // A part left out is not called for, not a fetch problem, and its fields stay unset.
  FetchPlan plan = FetchPlan::everything();
  // When set, only the tenants it accepts, judged on what the lists and the inventory say of
  // them (id, name, default domain), are read and handed to the sink: one tenant's parts
  // instead of every tenant's (`tenants show`, `rules eval --tenant`, a dry run's --tenant).
  // If it accepts none there, every tenant is read (a part read later may be what it matches),
  // so the caller must still judge each tenant it is handed.
  std::function<bool(const Tenant&)> only;
};

struct SourceReport {
  size_t tenants = 0;
  bool complete = true;  // every list (customers, relationships, inventory) was read
  Diagnostics problems;  // list-level failures, a failed sign-in, skipped inventory rows
  // Set when Entra refused the partner user's refresh token: every App+User part is unknown.
  std::optional<std::string> sign_in_failure;
};

class PartnerCenterSource {
 public:
  // `inventory` may be null. All references must outlive run().
  PartnerCenterSource(PartnerCenterSourceOptions options, msapi::ApiClient& api,
                      const Inventory* inventory, bool user_tokens, msapi::Cancellation& cancel);

  // Calls `sink` once per tenant, never concurrently. An error from the sink stops the scan.
  Result<SourceReport> run(const std::function<Status(const Tenant&)>& sink);

 private:
  // App+User: one refresh first. A refresh token Entra no longer accepts is one error for the
  // scan, noted in `report`, not one per tenant; the calls offered app-only still run. An error
  // only when the scan was stopped.
  Status checkSignIn(SourceReport& report);
  // The lists, every page; each error's message says why and what would fix it.
  Result<std::map<std::string, Tenant>> readCustomerList();
  Result<std::map<std::string, std::vector<AdminRelationship>>> readAdminRelationships();
  // Each tenant on its own, by a bounded pool; the sink sees one tenant at a time. The number
  // handed to the sink, or the sink's error.
  Result<size_t> readEach(MergedLists& merged, const std::function<Status(const Tenant&)>& sink);
  // `customer`: whether the tenant is in our customer list; nullopt when the list could not be
  // read.
  void readTenant(Tenant& t, std::optional<bool> customer);
  // One tenant's parts; an error's message is the reason the part is unknown.
  Result<CustomerDetails> readCustomerDetails(const std::string& id);
  Result<std::vector<IndirectRelationship>> readIndirectRelationships(const std::string& id);
  Result<OrganizationInfo> readOrganization(const std::string& id);
  Result<std::vector<CustomerPartner>> readPartners(const std::string& id);
  void namePartners(std::vector<CustomerPartner>& partners);

  PartnerCenterSourceOptions options_;
  msapi::ApiClient& api_;
  const Inventory* inventory_;
  bool user_tokens_;          // App+User configured
  std::string user_failure_;  // set when the partner user cannot sign in (then app-only)
  msapi::Cancellation& cancel_;
};

}  // namespace cspwatch::tenants
