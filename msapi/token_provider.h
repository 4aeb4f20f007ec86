// SPDX-License-Identifier: Apache-2.0
// Access tokens for Partner Center and Graph (docs/sources.md#credentials).
//
// A confidential app (the Secure Application Model, `public_client: false`) presents its
// secret or, the recommended way for a daemon, a certificate (an RS256 client assertion signed
// with its key) on every grant: client credentials for app-only tokens, the refresh token for
// App+User tokens, and the authorization code `cspwatch auth login` redeems. A public client
// (`public_client: true`) presents neither, ever: Entra refuses a public client that does
// (AADSTS700025); and since a public client cannot use client credentials, appToken() then
// gives the signed-in partner user's token for that tenant and API instead.
//
// App+User tokens come from the Secure Application Model refresh token, which rotates on every
// use. Grants run at the same time, one per tenant, audience and kind at most: callers who ask
// for a token whose grant is under way wait for that grant's outcome (a single flight), and no
// lock is held across a network call. Each refresh-token grant presents the token the file holds
// and the rotated token it brings back is durable (RefreshTokenStore: written atomically,
// fsync'd, mode 0600, group commit, at least as new as any token presented) before its access
// token is cached or handed out, so a crash, kill -9 included, never loses it; a write that
// fails is a kIoError "cannot store the refresh token". Tokens are cached per tenant, audience
// and kind until shortly before they expire.
//
// A refresh token Entra no longer accepts in the partner tenant (expired, revoked, a sign-in
// frequency policy, an interaction required, or issued to the other kind of client) is a
// kUnauthenticated Status saying that only `cspwatch auth login` repairs it. It is sticky: from
// then on every userToken() call, for any tenant, returns it at once without another request,
// so a scan reports it once rather than once per tenant (grants already under way end as they
// do). The same refusal in a customer tenant stays that tenant's error (the partner user may
// have no GDAP there).
//
// Secrets, assertions and tokens never reach a log or an error message. Thread-safe.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <Poco/JSON/Object.h>

#include "common/clock.h"
#include "common/status.h"
#include "msapi/cancellation.h"
#include "msapi/http_client.h"
#include "msapi/refresh_token_store.h"

namespace cspwatch::msapi {

enum class Audience { kGraph, kPartnerCenter };

struct Credentials {
  std::string login_url = "https://login.microsoftonline.com";
  std::string client_id;
  std::string client_secret;     // empty when a certificate is used (or a public client)
  std::string certificate_file;  // PEM certificate (public), for the assertion's x5t
  std::string key_file;          // PEM private key that signs assertions
  std::string refresh_token_file;
  std::chrono::milliseconds retry_base{200};  // the token endpoint's first retry wait; doubles
  // The APIs' base URLs, whose resources the token scopes name (msapi/cloud.h).
  std::string partner_center_url = "https://api.partnercenter.microsoft.com";
  std::string graph_url = "https://graph.microsoft.com";
  // The partner tenant: a refresh token refused there is sticky (above). Empty: none is.
  std::string partner_tenant_id = {};
  // The app registration is a public client: no secret or assertion is ever sent.
  bool public_client = false;
};

// The scope a grant asks for: app-only "<api>/.default"; App+User Partner Center
// "<partner_center_url>/user_impersonation offline_access"; delegated Graph "<graph_url>/.default".
std::string tokenScope(const Credentials& credentials, Audience audience, bool user);

// The first line of Entra's error_description ("AADSTSnnnn: text"), without the trace,
// correlation and time lines that follow it, through outsideText (redacted, at most about 300
// bytes): what a message may quote.
std::string entraErrorLine(std::string description);

class TokenProvider {
 public:
  TokenProvider(Credentials credentials, const HttpClient& http, const Clock& clock,
                Cancellation* cancel = nullptr);

  // Client credentials in `tenant`; for a public client, the partner user's token (userToken).
  Result<std::string> appToken(const std::string& tenant, Audience audience);
  // On behalf of the consented partner user, in `tenant` (the refresh-token grant).
  Result<std::string> userToken(const std::string& tenant, Audience audience);
  bool hasRefreshToken() const { return !credentials_.refresh_token_file.empty(); }
  // Forgets a cached token the service refused (a 401), so the next call gets a fresh one.
  void invalidate(const std::string& token);

  // The partner user's sign-in that failed for good in the partner tenant (kUnauthenticated),
  // if it did; every userToken() call returns it from then on.
  std::optional<Status> userSignInFailure() const;

  // Redeems an authorization code from the partner tenant's authorize endpoint (`cspwatch auth
  // login`): with the client's secret or assertion (none for a public client), the PKCE
  // verifier and the redirect URI the code was issued for. Stores the refresh token it brings
  // (atomically, 0600) and caches the Partner Center App+User token. The code is single-use.
  Status redeemAuthorizationCode(const std::string& code, const std::string& redirect_uri,
                                 const std::string& code_verifier);

  // The token endpoint's URL for `tenant`.
  std::string tokenUrl(const std::string& tenant) const;
  const Credentials& credentials() const { return credentials_; }

 private:
  enum class Grant { kClientCredentials, kRefreshToken, kAuthorizationCode };
  struct Cached {
    std::string token;
    Timestamp refresh_after;
  };
  Result<std::string> request(const std::string& tenant, Audience audience, bool user);
  // The token cached under `key` if it is still good.
  std::optional<std::string> cached(const std::string& key);
  // The grant itself, made by the first caller of a flight: client credentials or the refresh
  // token (the one the file holds).
  Result<std::string> grant(const std::string& tenant, Audience audience, bool user,
                            const std::string& key);
  // Ends the flight of `key`: its callers get `result`.
  void land(const std::string& key, std::promise<Result<std::string>>& outcome,
            const Result<std::string>& result);
  // Posts `form` (the client's proof added) to `tenant`'s token endpoint, retrying transient
  // failures; the 200 answer's JSON, or the refusal as a Status.
  Result<Poco::JSON::Object::Ptr> post(const std::string& tenant, std::string form, Grant grant);
  // Reads a 200 answer: stores a rotated refresh token, the successor of the generation
  // `presented` (none: a new sign-in's), then caches the access token under `key`.
  Result<std::string> accept(const Poco::JSON::Object::Ptr& body, const std::string& tenant,
                             Audience audience, bool user, const std::string& key,
                             std::optional<uint64_t> presented);
  Status refusal(const std::string& tenant, Grant grant, int http_status,
                 const Poco::JSON::Object::Ptr& body);
  Result<std::string> clientProof(
      const std::string& tenant);  // "client_secret=..." or an assertion

  Credentials credentials_;
  const HttpClient& http_;
  const Clock& clock_;
  Cancellation* cancel_;
  RefreshTokenStore refresh_tokens_;  // credentials_.refresh_token_file
  mutable std::mutex mutex_;          // the cache, the flights and the sign-in failure
  std::map<std::string, Cached> cache_;
  std::map<std::string, std::shared_future<Result<std::string>>> flights_;  // grants under way
  std::optional<Status> sign_in_failure_;
};

}  // namespace cspwatch::msapi
