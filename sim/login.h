// SPDX-License-Identifier: Apache-2.0
// The simulated Entra ID token endpoint (/login/{tenant}/oauth2/v2.0/token): client
// credentials with a secret, the refresh-token grant with rotation, and access tokens that
// carry their tenant and audience and expire. Tokens are opaque random strings known only to
// this process. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <random>
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
};

struct AccessToken {
  std::string tenant_id;
  std::string audience;  // "graph" or "pc"
  bool app_only = true;  // client credentials (false: on behalf of the consented user)
  Timestamp expires;
};

class LoginService {
 public:
  LoginService(LoginOptions options, uint64_t seed);

  // Handles POST /login/{tenant}/oauth2/v2.0/token.
  Response token(const std::string& tenant, const Request& request, Timestamp now);
  // Handles POST /login/{tenant}/oauth2/v2.0/devicecode (the device-code flow's first step).
  Response deviceCode(const std::string& tenant, const Request& request, Timestamp now);
  // Approves a pending device code by its user code (POST /_sim/approve-device?user_code=).
  bool approveDevice(const std::string& user_code);
  // A refresh token the simulator accepts, as `cspwatch auth login` would store it.
  std::string issueRefreshToken(Timestamp now);

  enum class Check { kOk, kMissing, kInvalid, kExpired };
  // Validates "Authorization: Bearer ..."; fills `token` when valid.
  Check validate(const Request& request, Timestamp now, AccessToken& token);
  const LoginOptions& options() const { return options_; }

 private:
  std::string randomToken(const char* prefix);
  Response deviceToken(const std::string& tenant, std::map<std::string, std::string>& form,
                       Timestamp now);
  // Checks the client's proof: the secret, or a client assertion signed for the certificate.
  std::optional<Response> authenticateClient(const std::string& tenant, const Request& request,
                                             std::map<std::string, std::string>& form,
                                             Timestamp now);
  Response error(int status, const std::string& error, int code, const std::string& description,
                 Timestamp now);

  LoginOptions options_;
  std::mutex mutex_;
  std::mt19937_64 rng_;
  std::map<std::string, AccessToken> access_;
  struct Refresh {
    std::optional<Timestamp> used_at;
  };
  std::map<std::string, Refresh> refresh_;
  struct Device {
    std::string user_code;
    std::string tenant;
    std::string scope;
    Timestamp expires;
    int polls = 0;
    bool approved = false;
  };
  std::map<std::string, Device> devices_;           // by device code
  std::map<std::string, Timestamp> assertion_ids_;  // jti seen, against replays
};

}  // namespace cspwatch::sim
