// SPDX-License-Identifier: Apache-2.0
// Who "we" are: the CSP partner that runs cspwatch. Filled from the config's `partner` section
// and read by rules (as the `partner` variable) and by the sources.
#pragma once

#include <string>
#include <vector>

namespace cspwatch {

struct PartnerIdentity {
  std::string name;
  std::string tenant_id;                                // our partner tenant, lower-case GUID
  std::vector<std::string> mpn_ids;                     // our Partner IDs (MPN ids)
  std::vector<std::string> distributor_tenant_ids;      // indirect providers we buy through
  std::vector<std::string> trusted_partner_tenant_ids;  // specialists allowed in our tenants
  std::vector<std::string> email_domains;               // mail domains we control, lower-case
};

}  // namespace cspwatch
