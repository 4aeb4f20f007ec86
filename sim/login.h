// SPDX-License-Identifier: Apache-2.0
// The simulated Entra ID (docs/simulator.md#sign-in lists each rule with its Microsoft source):
//  - GET  /login/{tenant}/oauth2/v2.0/authorize: signs the (simulated) partner user in at once and
//    sends the browser (302) to the redirect URI with a code and the state, or with
//    error=access_denied when the user declines consent. The app's registered redirect URI is
//    http://localhost (Web platform), matched on any port, and 127.0.0.1 likewise;
//  - POST /login/{tenant}/oauth2/v2.0/devicecode: the device-code flow's first step;
//  - POST /login/{tenant}/oauth2/v2.0/token: client credentials with a secret or an RS256
//    client assertion, the authorization code (single-use, 10 minutes, bound to its redirect
//    URI and PKCE challenge), the device code (public client flows only), and the refresh
//    token (rotates; remembers whether it was issued to a public or a confidential client and
//    refuses the other kind, as Entra does);
//  - GET  /_sim/refresh-tokens/stats[?sha256=HEX]: a test hook that says how far the refresh
//    tokens got (the sequence number of each issued token, the highest one presented in a grant,
//    the token requests in flight) and looks a token up by the SHA-256 of its text, so that a
//    test can check a client's stored token without the simulator printing one.
// Errors have Entra's shape: error, error_description ("AADSTSnnnn: ...\r\nTrace ID: ...\r\n
// Correlation ID: ...\r\nTimestamp: ..."), error_codes, timestamp, trace_id, correlation_id,
// error_uri. Access tokens carry their tenant and audience and expire. Tokens are opaque random
// strings known only to this process. Thread-safe. One file per endpoint or grant: sim/login.cpp
// (routes, access tokens, errors), login_authorize.cpp, login_token.cpp, login_device.cpp and
// login_refresh.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "common/time.h"
#include "sim/http_types.h"

namespace cspwatch::sim {

struct LoginOptions {
  std::string client_id;
  std::string client_secret;
  Seconds token_lifetime = Seconds(3600);
  Seconds refresh_grace = Seconds(60);  // a used refresh token still works this long
  std::string certificate_pem;      // when set, RS256 client assertions signed for it are accepted
  bool auto_approve_device = true;  // device codes are approved at the second poll
  // The app registration's "Allow public client flows" (isFallbackPublicClient): off, as on a
  // new registration. Without it, device code polls and public refresh tokens are refused
  // (invalid_client, AADSTS7000218).
  bool allow_public_client_flows = false;
  // The user declines consent at the authorize endpoint (error=access_denied, AADSTS65004).
  bool deny_consent = false;
  Seconds code_lifetime = Seconds(600);  // authorization codes: "about 10 minutes"
  // Permissions the app registration lacks and Partner Center roles the partner user lacks, by
  // name (sim/permissions.h): the routes that need one answer as the services do without it.
  std::set<std::string> missing_permissions = {};
  // Added to every token endpoint answer, before it is decided: Entra's 100-300 ms, so that a
  // client's grants overlap as they do against the real service (0: none).
  int token_latency_ms = 0;
};

// How far the refresh tokens got, for GET /_sim/refresh-tokens/stats. Sequence numbers count
// the refresh tokens issued, from 1 in issue order: a higher one is newer.
struct RefreshTokenStats {
  uint64_t issued = 0;               // the newest refresh token's sequence number
  uint64_t highest_presented = 0;    // the newest one any refresh-token grant presented (0: none)
  int token_requests_in_flight = 0;  // token endpoint requests being answered now
  int token_requests_in_flight_max = 0;  // the most at once so far
};

// How every refresh-token grant fails, from POST /_sim/refresh-tokens?fail=... (a test hook):
// the ways Entra stops accepting a refresh token.
enum class RefreshFailure {
  kNone,
  kInactive,             // 700082: expired from inactivity (invalid_grant)
  kSignInFrequency,      // 70043: a Conditional Access sign-in frequency (invalid_grant)
  kRevoked,              // 50173: revoked, password reset (invalid_grant)
  kInteractionRequired,  // 50076: MFA now required (interaction_required)
};
// "none", "700082", "70043", "50173", "interaction_required"; nullopt for anything else.
std::optional<RefreshFailure> refreshFailureNamed(const std::string& name);

struct AccessToken {
  std::string tenant_id;
  std::string audience;  // "graph" or "pc"
  bool app_only = true;  // client credentials (false: on behalf of the consented user)
  Timestamp expires;
};

class LoginService {
 public:
  LoginService(LoginOptions options, uint64_t seed);

  // Routes /login/{tenant}/oauth2/v2.0/{authorize,token,devicecode} and POST
  // /_sim/refresh-tokens?fail=...; and the key a request is counted under in /_sim/stats.
  Response handle(const Request& request, Timestamp now);
  static std::string routeKey(const Request& request);

  // Handles POST /login/{tenant}/oauth2/v2.0/token.
  Response token(const std::string& tenant, const Request& request, Timestamp now);
  // Handles POST /login/{tenant}/oauth2/v2.0/devicecode (the device-code flow's first step).
  Response deviceCode(const std::string& tenant, const Request& request, Timestamp now);
  // Handles GET /login/{tenant}/oauth2/v2.0/authorize.
  Response authorize(const std::string& tenant, const Request& request, Timestamp now);
  // Approves a pending device code by its user code (POST /_sim/approve-device?user_code=).
  bool approveDevice(const std::string& user_code);
  // A refresh token the simulator accepts, as `cspwatch auth login` would store it: issued to a
  // confidential client (the authorization code with a secret) or a public one (device code).
  std::string issueRefreshToken(Timestamp now, bool public_client = false);
  void setRefreshFailure(RefreshFailure failure);
  RefreshTokenStats refreshTokenStats();
  // Test-only (not reachable over HTTP): called as a refresh-token grant arrives, before the
  // token endpoint's latency and before it is decided, with the sequence number of the token it
  // presents (0: one never issued), on the server's thread and with no lock held. A test that
  // checks, at that moment, what its client has stored; empty: none.
  using PresentedObserver = std::function<void(uint64_t seq)>;
  void setPresentedObserver(PresentedObserver observer);
  // A refresh token by the SHA-256 of its text (lowercase hex): its sequence number (0 when no
  // such token was issued), and whether a grant presenting it now would be accepted (`now`).
  struct RefreshTokenLookup {
    uint64_t seq = 0;
    bool accepted = false;
  };
  RefreshTokenLookup lookUpRefreshToken(const std::string& sha256_hex, Timestamp now);

  enum class Check { kOk, kMissing, kInvalid, kExpired };
  // Validates "Authorization: Bearer ..."; fills `token` when valid.
  Check validate(const Request& request, Timestamp now, AccessToken& token);
  const LoginOptions& options() const { return options_; }

 private:
  std::string randomToken(const char* prefix);
  Response deviceToken(const std::string& tenant, const Request& request,
                       std::map<std::string, std::string>& form, bool presented, Timestamp now);
  Response codeToken(const std::string& tenant, const Request& request,
                     std::map<std::string, std::string>& form, Timestamp now);
  Response refreshToken(const std::string& tenant, const Request& request,
                        std::map<std::string, std::string>& form, bool presented, Timestamp now);
  Response refreshFailure(RefreshFailure failure, const std::string& scope, Timestamp issued,
                          Timestamp now);
  Response refreshTokenStatsAnswer(const Request& request, Timestamp now);
  // The token endpoint's answer, counted in flight while it (and its latency) lasts.
  Response tokenInFlight(const std::string& tenant, const Request& request, Timestamp now);
  // A new refresh token of that kind of client, numbered. Called with mutex_ held.
  std::string newRefreshToken(bool public_client, Timestamp now);
  // Checks the client's proof: the secret, or a client assertion signed for the certificate.
  // Called with mutex_ held.
  std::optional<Response> authenticateClient(const std::string& tenant, const Request& request,
                                             std::map<std::string, std::string>& form,
                                             Timestamp now);
  // An access token (and, with `refresh`, a refresh token of that kind) for `scope`. Called
  // with mutex_ held.
  Response issue(const std::string& tenant, const Request& request, const std::string& scope,
                 bool app_only, std::optional<bool> refresh_public, Timestamp now);
  // "AADSTSnnnn: text" and Entra's trace lines; the ids drawn are returned when asked for.
  std::string describe(int code, const std::string& text, Timestamp now,
                       std::string* trace = nullptr, std::string* correlation = nullptr);
  Response error(int status, const std::string& error, int code, const std::string& description,
                 Timestamp now);

  LoginOptions options_;
  std::mutex mutex_;
  std::mt19937_64 rng_;
  std::mutex id_mutex_;  // trace and correlation ids, drawn also where mutex_ is held
  std::mt19937_64 id_rng_;
  std::map<std::string, AccessToken> access_;
  struct Refresh {
    bool public_client = false;  // issued without a client credential (device code)
    Timestamp issued;
    std::optional<Timestamp> used_at;
    uint64_t seq = 0;  // RefreshTokenStats' sequence number
  };
  std::map<std::string, Refresh> refresh_;
  uint64_t refresh_issued_ = 0;
  uint64_t highest_presented_ = 0;
  // The sequence number of the refresh token `request` presents, when it is a refresh grant.
  std::optional<uint64_t> presentedSeq(const Request& request);
  std::mutex flight_mutex_;  // the token requests in flight and the observer, outside mutex_
  PresentedObserver observer_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  struct Device {
    std::string user_code;
    std::string tenant;
    std::string scope;
    Timestamp expires;
    int polls = 0;
    bool approved = false;
  };
  std::map<std::string, Device> devices_;  // by device code
  struct Code {
    std::string tenant;
    std::string redirect_uri;
    std::string scope;
    std::string challenge;
    std::string challenge_method;  // "S256" or "plain"
    Timestamp issued;
    bool redeemed = false;
  };
  std::map<std::string, Code> codes_;               // by authorization code
  std::map<std::string, Timestamp> assertion_ids_;  // jti seen, against replays
  RefreshFailure refresh_failure_ = RefreshFailure::kNone;
};

}  // namespace cspwatch::sim
