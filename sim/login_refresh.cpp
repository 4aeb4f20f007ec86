// SPDX-License-Identifier: Apache-2.0
// Refresh tokens: the ones issued as `cspwatch auth login` stores them, the refresh grant
// (rotation, the kind of client, the grace of a used one), the failures a test can set and the
// stats hook.
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "common/text.h"
#include "sim/login.h"
#include "sim/login_scope.h"

namespace cspwatch::sim {

namespace {

// And in refresh-token error texts: "2020-06-06T22:06:24.7318096Z".
std::string issueTime(Timestamp t) { return replaceAll(formatTimestamp(t), "Z", ".0000000Z"); }

std::string sha256Hex(const std::string& text) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(text);
  return Poco::DigestEngine::digestToHex(sha.digest());
}

}  // namespace

std::optional<RefreshFailure> refreshFailureNamed(const std::string& name) {
  if (name == "none") return RefreshFailure::kNone;
  if (name == "700082") return RefreshFailure::kInactive;
  if (name == "70043") return RefreshFailure::kSignInFrequency;
  if (name == "50173") return RefreshFailure::kRevoked;
  if (name == "interaction_required" || name == "50076")
    return RefreshFailure::kInteractionRequired;
  return std::nullopt;
}

void LoginService::setRefreshFailure(RefreshFailure failure) {
  std::lock_guard<std::mutex> lock(mutex_);
  refresh_failure_ = failure;
}

std::string LoginService::issueRefreshToken(Timestamp now, bool public_client) {
  std::lock_guard<std::mutex> lock(mutex_);
  return newRefreshToken(public_client, now);
}

std::string LoginService::newRefreshToken(bool public_client, Timestamp now) {
  std::string t = randomToken("rt.");
  refresh_[t] = Refresh{public_client, now, std::nullopt, ++refresh_issued_};
  return t;
}

RefreshTokenStats LoginService::refreshTokenStats() {
  RefreshTokenStats stats;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats.issued = refresh_issued_;
    stats.highest_presented = highest_presented_;
  }
  std::lock_guard<std::mutex> lock(flight_mutex_);
  stats.token_requests_in_flight = in_flight_;
  stats.token_requests_in_flight_max = max_in_flight_;
  return stats;
}

void LoginService::setPresentedObserver(PresentedObserver observer) {
  std::lock_guard<std::mutex> lock(flight_mutex_);
  observer_ = std::move(observer);
}

std::optional<uint64_t> LoginService::presentedSeq(const Request& request) {
  auto form = parseForm(request.body);
  if (form["grant_type"] != "refresh_token") return std::nullopt;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = refresh_.find(form["refresh_token"]);
  return it != refresh_.end() ? it->second.seq : 0;
}

LoginService::RefreshTokenLookup LoginService::lookUpRefreshToken(const std::string& sha256_hex,
                                                                  Timestamp now) {
  // A hash, so that neither the question nor the answer carries a token. Linear: a test hook.
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [token, r] : refresh_)
    if (sha256Hex(token) == toLowerAscii(sha256_hex))
      return {r.seq, !r.used_at || now - *r.used_at <= options_.refresh_grace};
  return {};
}

Response LoginService::refreshTokenStatsAnswer(const Request& request, Timestamp now) {
  if (request.method != "GET") return Response::json(405, "{\"error\":\"GET only\"}");
  const RefreshTokenStats s = refreshTokenStats();
  std::string body =
      "{\"issued\":" + std::to_string(s.issued) +
      ",\"highest_presented\":" + std::to_string(s.highest_presented) +
      ",\"token_requests_in_flight\":" + std::to_string(s.token_requests_in_flight) +
      ",\"token_requests_in_flight_max\":" + std::to_string(s.token_requests_in_flight_max);
  if (const std::string hash = request.param("sha256"); !hash.empty()) {
    const RefreshTokenLookup found = lookUpRefreshToken(hash, now);
    body += ",\"seq\":" + std::to_string(found.seq) +
            ",\"accepted\":" + (found.accepted ? "true" : "false");
  }
  return Response::json(200, body + "}");
}

Response LoginService::refreshFailure(RefreshFailure failure, const std::string& scope,
                                      Timestamp issued, Timestamp now) {
  // The texts of reference-error-codes.md with their placeholders filled as the wire texts
  // quoted in docs/simulator.md fill them.
  switch (failure) {
    case RefreshFailure::kInactive:
      return error(400, "invalid_grant", 700082,
                   "The refresh token has expired due to inactivity. The token was issued on " +
                       issueTime(issued) + " and was inactive for 90.00:00:00.",
                   now);
    case RefreshFailure::kSignInFrequency:
      return error(400, "invalid_grant", 70043,
                   "The refresh token has expired or is invalid due to sign-in frequency checks "
                   "by conditional access. The token was issued on " +
                       issueTime(issued) +
                       " and the maximum allowed lifetime for this request is 1.00:00:00.",
                   now);
    case RefreshFailure::kRevoked:
      return error(400, "invalid_grant", 50173,
                   "The provided grant has expired due to it being revoked, a fresh auth token is "
                   "needed. The user might have changed or reset their password. The grant was "
                   "issued on '" +
                       issueTime(issued) +
                       "' and the TokensValidFrom date (before which tokens are not valid) for "
                       "this user is '" +
                       issueTime(now) + "'.",
                   now);
    case RefreshFailure::kInteractionRequired: {
      std::string resource = split(scope, ' ').empty() ? scope : split(scope, ' ')[0];
      resource = resource.substr(0, resource.rfind('/'));
      return error(400, "interaction_required", 50076,
                   "Due to a configuration change made by your administrator, or because you "
                   "moved to a new location, you must use multi-factor authentication to access "
                   "'" +
                       resource + "'.",
                   now);
    }
    case RefreshFailure::kNone:
      break;
  }
  return error(500, "server_error", 50000, "There's an issue with the sign-in service.", now);
}

Response LoginService::refreshToken(const std::string& tenant, const Request& request,
                                    std::map<std::string, std::string>& form, bool presented,
                                    Timestamp now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = refresh_.find(form["refresh_token"]);
  if (it != refresh_.end()) highest_presented_ = std::max(highest_presented_, it->second.seq);
  if (refresh_failure_ != RefreshFailure::kNone)
    return refreshFailure(refresh_failure_, form["scope"],
                          it != refresh_.end() ? it->second.issued : now - Seconds(90 * 86400),
                          now);
  if (it == refresh_.end() ||
      (it->second.used_at && now - *it->second.used_at > options_.refresh_grace))
    return error(400, "invalid_grant", 70008,
                 "The provided authorization code or refresh token has expired due to inactivity. "
                 "Send a new interactive authorization request for this user and resource.",
                 now);
  // A refresh token is bound to the kind of client it was issued to.
  const bool public_token = it->second.public_client;
  if (public_token && presented)
    return error(401, "invalid_client", 700025,
                 "Client is public so neither 'client_assertion' nor 'client_secret' should be "
                 "presented.",
                 now);
  if (public_token ? !options_.allow_public_client_flows : !presented)
    return error(401, "invalid_client", 7000218,
                 "The request body must contain the following parameter: 'client_assertion' or "
                 "'client_secret'.",
                 now);
  if (!public_token)
    if (auto failed = authenticateClient(tenant, request, form, now)) return *failed;
  if (audienceOf(form["scope"]).empty())
    return error(400, "invalid_scope", 70011,
                 "The provided value for the input parameter 'scope' is not valid. The scope " +
                     form["scope"] + " is not valid.",
                 now);
  if (!it->second.used_at) it->second.used_at = now;
  return issue(tenant, request, form["scope"], false, public_token, now);
}

}  // namespace cspwatch::sim
