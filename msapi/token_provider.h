// SPDX-License-Identifier: Apache-2.0
// Access tokens for Partner Center and Graph (docs/operations.md#credentials).
//
// App-only tokens come from the client-credentials grant with the app's secret or, the
// recommended way for a daemon, a certificate: an RS256 client assertion signed with its key.
// App+User tokens (Partner Center operations that require them, and Graph inside customer
// tenants through GDAP) come from the Secure Application Model refresh token, which rotates on
// every use: each new one is written to its file atomically (temporary file, fsync, rename,
// mode 0600) before it is used, so a crash never loses it. Tokens are cached per tenant,
// audience and kind until shortly before they expire.
//
// Secrets, assertions and tokens never reach a log or an error message. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "msapi/cancellation.h"
#include "msapi/http_client.h"

namespace cspwatch::msapi {

enum class Audience { kGraph, kPartnerCenter };

struct Credentials {
  std::string login_url = "https://login.microsoftonline.com";
  std::string client_id;
  std::string client_secret;     // empty when a certificate is used
  std::string certificate_file;  // PEM certificate (public), for the assertion's x5t
  std::string key_file;          // PEM private key that signs assertions
  std::string refresh_token_file;
  std::chrono::milliseconds retry_base{200};  // the token endpoint's first retry wait; doubles
};

class TokenProvider {
 public:
  TokenProvider(Credentials credentials, const HttpClient& http, const Clock& clock,
                Cancellation* cancel = nullptr);

  // Client credentials in `tenant`.
  Result<std::string> appToken(const std::string& tenant, Audience audience);
  // On behalf of the consented partner user, in `tenant` (the refresh-token grant).
  Result<std::string> userToken(const std::string& tenant, Audience audience);
  bool hasRefreshToken() const { return !credentials_.refresh_token_file.empty(); }
  // Forgets a cached token the service refused (a 401), so the next call gets a fresh one.
  void invalidate(const std::string& token);

  // The token endpoint's URL for `tenant`.
  std::string tokenUrl(const std::string& tenant) const;

 private:
  struct Cached {
    std::string token;
    Timestamp refresh_after;
  };
  Result<std::string> request(const std::string& tenant, Audience audience, bool user);
  Result<std::string> clientProof(
      const std::string& tenant);  // "client_secret=..." or an assertion
  Result<std::string> currentRefreshToken();

  Credentials credentials_;
  const HttpClient& http_;
  const Clock& clock_;
  Cancellation* cancel_;
  std::mutex mutex_;          // the cache
  std::mutex refresh_mutex_;  // serialises refresh-token grants: each one rotates the token
  std::map<std::string, Cached> cache_;
  std::optional<std::string> refresh_token_;
};

}  // namespace cspwatch::msapi
