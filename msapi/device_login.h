// SPDX-License-Identifier: Apache-2.0
// The OAuth 2.0 device-code flow, run once by `cspwatch auth login` for an app registration that
// is a public client (`public_client: true`, "Allow public client flows" on): the partner user
// signs in with MFA in a browser on any device, cspwatch polls until Entra ID issues the tokens,
// then stores the refresh token (0600, atomically). No secret or assertion is ever sent: the
// refresh token then belongs to a public client, and Entra refuses to refresh it with one
// (AADSTS700025). An app that does not allow public client flows is refused at the first poll
// (invalid_client, AADSTS7000218); a confidential app signs in with the authorization code
// instead (msapi/auth_code_login.h).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "msapi/cancellation.h"
#include "msapi/http_client.h"

namespace cspwatch::msapi {

struct DeviceLoginOptions {
  std::string login_url;  // https://login.microsoftonline.com
  std::string tenant;     // the partner tenant (or "organizations")
  std::string client_id;
  std::string refresh_token_file;  // where the refresh token goes
  // The scope is "<partner_center_url>/user_impersonation offline_access" (msapi/cloud.h).
  std::string partner_center_url = "https://api.partnercenter.microsoft.com";
  std::optional<int> poll_seconds;  // overrides the server's interval (tests)
  int max_wait_seconds = 900;       // by `clock`
};

// Shows the user what to do through `tell` (the verification URL and code), polls, stores
// the refresh token. Never passes a token to `tell`. Waits end at once on `cancel`.
Status deviceLogin(const DeviceLoginOptions& options, const HttpClient& http, const Clock& clock,
                   Cancellation& cancel, const std::function<void(const std::string&)>& tell);

}  // namespace cspwatch::msapi
