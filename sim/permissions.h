// SPDX-License-Identifier: Apache-2.0
// Permissions and roles the simulated app registration and partner user can be without
// (LoginOptions::missing_permissions, `cspwatch-sim --missing-permission NAME`), and how the
// services answer a call that needs one (docs/simulator.md#routes):
//  - a Graph permission (application and delegated alike): 403 Authorization_RequestDenied
//    "Insufficient privileges to complete the operation." in Graph's error body (errors.md; the
//    body an app without the permission gets, as quoted in
//    microsoftgraph/nodejs-connect-rest-sample#69 and Azure-Samples/ms-identity-python-daemon#8);
//    except /organization on behalf of the user, which without Organization.Read.All answers as
//    to an app with only User.Read: id, displayName and verifiedDomains, every other property
//    null (organization-list);
//  - Partner Center: the app not added in Partner Center's App management refuses app-only
//    tokens, 401 with error code 400 "Access denied"; a partner user without the role a call
//    needs, 403 with error code 2032 "Access denied" (both from Partner Center's REST error
//    codes page, error-codes), in its error body {"code", "description", "data", "source"}.
// Pure functions of the options and the token.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/time.h"
#include "sim/http_types.h"
#include "sim/login.h"

namespace cspwatch::sim {

// Graph permissions, as Microsoft names them.
inline constexpr const char* kDelegatedAdminRelationshipRead =
    "DelegatedAdminRelationship.Read.All";
inline constexpr const char* kCrossTenantInformationRead = "CrossTenantInformation.ReadBasic.All";
inline constexpr const char* kOrganizationRead = "Organization.Read.All";
inline constexpr const char* kPolicyRead = "Policy.Read.All";
// Partner Center: the app added in Account settings > App management (app-only access; the
// simulator's name), and the partner user's roles (the partner tenant's groups of these names).
inline constexpr const char* kPartnerCenterAppOnly = "PartnerCenter.AppOnly";
inline constexpr const char* kAdminAgents = "AdminAgents";
inline constexpr const char* kSalesAgents = "SalesAgents";

// Every name --missing-permission takes.
const std::vector<std::string>& withholdablePermissions();

// The answer to a Graph request for `path` (below /graph, e.g. "/v1.0/organization") made
// with `token` when the app lacks what the route needs; nullopt when it has it.
std::optional<Response> graphPermissionDenied(const std::set<std::string>& missing,
                                              const std::string& path, const AccessToken& token,
                                              Timestamp now);
// Whether /organization answers only the basics to `token`: on behalf of the user without
// Organization.Read.All (User.Read's view).
bool organizationBasicOnly(const std::set<std::string>& missing, const AccessToken& token);
// The same for a Partner Center request for `path` (below /pc, e.g. "/v1/customers").
std::optional<Response> partnerCenterPermissionDenied(const std::set<std::string>& missing,
                                                      const std::string& path,
                                                      const AccessToken& token);

}  // namespace cspwatch::sim
