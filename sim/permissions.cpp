// SPDX-License-Identifier: Apache-2.0
#include "sim/permissions.h"

#include "common/text.h"
#include "sim/api.h"

namespace cspwatch::sim {

namespace {

bool lacks(const std::set<std::string>& missing, const char* name) {
  return missing.count(name) > 0;
}

// The Graph permission a route below /graph needs; nullptr for one that needs none of ours.
const char* graphPermissionFor(const std::string& path) {
  const std::string kRelationships = "/v1.0/tenantRelationships/delegatedAdminRelationships";
  if (path == kRelationships || startsWith(path, kRelationships + "/"))
    return kDelegatedAdminRelationshipRead;
  if (startsWith(path, "/v1.0/tenantRelationships/findTenantInformationByTenantId("))
    return kCrossTenantInformationRead;
  if (path == "/v1.0/organization") return kOrganizationRead;
  if (path == "/v1.0/policies/crossTenantAccessPolicy/partners") return kPolicyRead;
  return nullptr;
}

}  // namespace

const std::vector<std::string>& withholdablePermissions() {
  static const std::vector<std::string> names = {kDelegatedAdminRelationshipRead,
                                                 kCrossTenantInformationRead,
                                                 kOrganizationRead,
                                                 kPolicyRead,
                                                 kPartnerCenterAppOnly,
                                                 kAdminAgents,
                                                 kSalesAgents};
  return names;
}

std::optional<Response> graphPermissionDenied(const std::set<std::string>& missing,
                                              const std::string& path, const AccessToken& token,
                                              Timestamp now) {
  const char* needed = graphPermissionFor(path);
  if (needed == nullptr || !lacks(missing, needed)) return std::nullopt;
  // On behalf of the user, /organization still answers with User.Read's view (below).
  if (needed == kOrganizationRead && !token.app_only) return std::nullopt;
  return graphError(403, "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.", now);
}

bool organizationBasicOnly(const std::set<std::string>& missing, const AccessToken& token) {
  return !token.app_only && lacks(missing, kOrganizationRead);
}

std::optional<Response> partnerCenterPermissionDenied(const std::set<std::string>& missing,
                                                      const std::string& path,
                                                      const AccessToken& token) {
  if (token.app_only) {
    if (!lacks(missing, kPartnerCenterAppOnly)) return std::nullopt;
    return partnerCenterError(401, 400, "Access denied");
  }
  // The partner user's role: the indirect resellers of a customer and the reseller invitation
  // need Admin agent; the customers and their details Admin agent or Sales agent.
  const auto parts = split(path, '/');  // "", "v1", "customers", ...
  const bool admin_only = (parts.size() == 4 && parts[3] == "relationshiprequests") ||
                          (parts.size() == 5 && parts[4] == "relationships");
  const bool admin = !lacks(missing, kAdminAgents);
  const bool sales = !lacks(missing, kSalesAgents);
  if (admin || (sales && !admin_only)) return std::nullopt;
  return partnerCenterError(403, 2032, "Access denied");
}

}  // namespace cspwatch::sim
