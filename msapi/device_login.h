// SPDX-License-Identifier: Apache-2.0
// The OAuth 2.0 device-code flow, run once by `cspwatch auth login` to obtain the Secure
// Application Model refresh token: the partner user signs in with MFA in a browser, cspwatch
// polls until Entra ID issues the tokens, then stores the refresh token (0600, atomically).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/status.h"
#include "msapi/cancellation.h"
#include "msapi/http_client.h"

namespace cspwatch::msapi {

struct DeviceLoginOptions {
  std::string login_url;  // https://login.microsoftonline.com
  std::string tenant;     // the partner tenant (or "organizations")
  std::string client_id;
  std::string refresh_token_file;   // where the refresh token goes
  std::optional<int> poll_seconds;  // overrides the server's interval (tests)
  int max_wait_seconds = 900;
};

// Shows the user what to do through `tell` (the verification URL and code), polls, stores
// the refresh token. Never passes a token to `tell`.
Status deviceLogin(const DeviceLoginOptions& options, const HttpClient& http, Cancellation& cancel,
                   const std::function<void(const std::string&)>& tell);

}  // namespace cspwatch::msapi
