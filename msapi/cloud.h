// SPDX-License-Identifier: Apache-2.0
// Microsoft's clouds: the endpoints of Entra ID sign-in, Partner Center and Microsoft Graph in
// each, and the token scopes that follow from the endpoints in use.
//
// Sources (docs/sources.md#clouds): Entra "National clouds" (authentication-national-cloud.md),
// Graph "National cloud deployments" (concepts/deployments.md, sdks/national-clouds.md) and
// Partner Center "REST URLs" (partner-center-rest-urls). A token's scope must name the
// resource of the cloud it is used in ("tokens acquired for a national cloud deployment are not
// interchangeable"), so scopes are derived from the endpoint URLs, never written out.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cspwatch::msapi {

struct CloudEndpoints {
  std::string login;           // https://login.microsoftonline.com
  std::string partner_center;  // https://api.partnercenter.microsoft.com
  std::string graph;           // https://graph.microsoft.com
};

// "public", "usgov" (GCC High, L4), "usgov-dod" (L5) or "china" (21Vianet); nullopt otherwise.
std::optional<CloudEndpoints> cloudEndpoints(const std::string& cloud);
const std::vector<std::string>& cloudNames();

// The scope of an app-only token for the API at `api_url` ("<url>/.default"), and the delegated
// scope the Secure Application Model consents to for Partner Center ("<url>/user_impersonation").
// A trailing slash of `api_url` is dropped; a path is kept (the simulator serves Graph under
// /graph, and its scopes name it so).
std::string defaultScope(const std::string& api_url);
std::string userImpersonationScope(const std::string& api_url);

}  // namespace cspwatch::msapi
