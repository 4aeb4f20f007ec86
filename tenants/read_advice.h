// SPDX-License-Identifier: Apache-2.0
// What would fix a part that could not be read: every unknown's reason names the permission,
// role or consent it lacks (docs/sources.md#permissions lists them per call). Pure.
//
// The advice depends on the call and on how it failed: a refusal (401/403, a sign-in to the
// customer tenant refused) is a missing permission or role; throttling, 5xx and broken
// connections are passing faults that the next scan retries; a malformed answer is reported as
// such.
#pragma once

#include <string>

#include "common/status.h"

namespace cspwatch::tenants {

enum class Call {
  kCustomerList,        // Partner Center GET /v1/customers
  kCustomerDetails,     // Partner Center GET /v1/customers/{id}
  kRelationships,       // Partner Center GET /v1/customers/{id}/relationships
  kAdminRelationships,  // Graph GET tenantRelationships/delegatedAdminRelationships (partner)
  kOrganization,        // Graph GET /organization (customer tenant)
  kPartners,            // Graph GET policies/crossTenantAccessPolicy/partners (customer tenant)
};

// "<what failed>; <what would fix it>". `failure` is the call's error Status.
std::string readFailure(Call call, const Status& failure);
// The permission, role or consent `call` needs.
std::string whatWouldFix(Call call);

// Reasons for data a missing permission hides instead of refusing (the answer succeeded).
// The first words (up to the colon) name the gap; digests group tenants by the whole text.
inline constexpr const char* kCompanyEmailHidden =
    "company email hidden: Partner Center leaves out companyProfile.email unless we hold DAP or "
    "our GDAP relationship gives the partner user Global Reader or Directory Writer in the tenant";
inline constexpr const char* kTechnicalContactsHidden =
    "technical contacts hidden: Graph returned only the basics of the organization "
    "(technicalNotificationMails null, as for an app with only User.Read); the app needs the "
    "delegated permission Organization.Read.All (admin-consented) and our GDAP relationship a role "
    "that reads the directory, such as Directory Readers or Global Reader";

}  // namespace cspwatch::tenants
