// SPDX-License-Identifier: Apache-2.0
// The Microsoft client's settings as the configuration gives them (docs/configuration.md):
// sources.partner_center (the app, the endpoints, pacing and concurrency) and network (proxy,
// no_proxy, extra CA certificates). config/ reads them from cspwatch.yaml; the layers that sign
// in and call the APIs take them from here. Plain data.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "msapi/http_client.h"

namespace cspwatch::msapi {

// The environment variable that may hold the app's client secret instead of a file.
inline constexpr const char* kClientSecretEnv = "CSPWATCH_CLIENT_SECRET";

struct PartnerCenterConfig {
  // Microsoft's cloud (msapi/cloud.h): public, usgov, usgov-dod or china. It sets the defaults
  // of the three URLs below; token scopes follow the URLs in use.
  std::string cloud = "public";
  std::string login_url = "https://login.microsoftonline.com";
  std::string partner_center_url = "https://api.partnercenter.microsoft.com";
  std::string graph_url = "https://graph.microsoft.com";
  std::string client_id;
  std::string client_secret_file;  // empty: CSPWATCH_CLIENT_SECRET from the environment
  std::string
      client_certificate_file;  // with client_key_file: RS256 assertions instead of a secret
  std::string client_key_file;
  std::string refresh_token_file;  // Secure Application Model refresh token (rotated in place)
  // The app registration is a public client ("Allow public client flows"): `auth login` uses the
  // device code, no secret or certificate is ever sent, and every call is made as the signed-in
  // partner user. False (the default, the Secure Application Model): a confidential app.
  bool public_client = false;
  int concurrency = 8;                          // tenants read at once
  std::chrono::milliseconds backoff_base{500};  // first retry wait; doubles each attempt
  double pc_requests_per_minute = 480;          // client-side pacing, under Partner Center's 500
  double graph_requests_per_10s = 3000;         // under Graph's 3,500 per app and tenant
};

// The `network` section: how outbound HTTPS leaves the machine (docs/configuration.md#network).
struct NetworkConfig {
  std::string proxy;                  // http://[user:password@]host:port; empty: $HTTPS_PROXY
  std::vector<std::string> no_proxy;  // hosts or .domains reached directly; plus $NO_PROXY
  std::string ca_file;                // extra CA certificates to trust (a TLS-inspecting proxy)
};

// The section as the HTTP client takes it (every client the program makes goes through this).
inline NetworkOptions networkOptions(const NetworkConfig& n) {
  return {n.proxy, n.no_proxy, n.ca_file};
}

}  // namespace cspwatch::msapi
