// SPDX-License-Identifier: Apache-2.0
// POST /login/{tenant}/oauth2/v2.0/token: the client's proof (secret or assertion), client
// credentials and the authorization code; device code and refresh token grants are passed on.
#include <algorithm>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/SHA2Engine.h>

#include "common/guid.h"
#include "common/text.h"
#include "sim/login.h"
#include "sim/login_scope.h"

namespace cspwatch::sim {

namespace {

const char* const kDeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

std::string base64Url(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc << bytes;
  enc.close();
  return out.str();
}

}  // namespace

Response LoginService::token(const std::string& tenant, const Request& request, Timestamp now) {
  auto form = parseForm(request.body);
  if (request.method != "POST")
    return error(405, "invalid_request", 900561, "The endpoint only accepts POST requests.", now);
  if (!normalizeGuid(tenant) && !endsWith(tenant, ".onmicrosoft.com"))
    return error(400, "invalid_request", 900023,
                 "Specified tenant identifier '" + tenant +
                     "' is neither a valid DNS name, nor a valid external domain.",
                 now);
  if (form["client_id"] != options_.client_id)
    return error(400, "unauthorized_client", 700016,
                 "Application with identifier '" + form["client_id"] +
                     "' was not found in the directory '" + tenant + "'.",
                 now);
  const std::string grant = form["grant_type"];
  const bool presented = !form["client_secret"].empty() || !form["client_assertion"].empty();
  if (grant == kDeviceGrant) return deviceToken(tenant, request, form, presented, now);
  if (grant == "refresh_token") return refreshToken(tenant, request, form, presented, now);
  if (grant != "client_credentials" && grant != "authorization_code")
    return error(400, "unsupported_grant_type", 70003,
                 "The app requested an unsupported grant type '" + grant + "'.", now);
  // Client credentials and a code sent to the registered Web redirect URI: a confidential
  // client, whose credential is required (a public client flow would be a device code).
  if (!presented)
    return error(401, "invalid_client", 7000218,
                 "The request body must contain the following parameter: 'client_assertion' or "
                 "'client_secret'.",
                 now);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failed = authenticateClient(tenant, request, form, now)) return *failed;
  }
  if (grant == "authorization_code") return codeToken(tenant, request, form, now);
  const std::string scope = form["scope"];
  if (audienceOf(scope).empty())
    return error(400, "invalid_scope", 70011,
                 "The provided value for the input parameter 'scope' is not valid. The scope " +
                     scope + " is not valid.",
                 now);
  std::lock_guard<std::mutex> lock(mutex_);
  return issue(tenant, request, scope, true, std::nullopt, now);
}

std::optional<Response> LoginService::authenticateClient(const std::string& tenant,
                                                         const Request& request,
                                                         std::map<std::string, std::string>& form,
                                                         Timestamp now) {
  if (form["client_assertion"].empty()) {
    if (form["client_secret"] != options_.client_secret)
      return error(401, "invalid_client", 7000215,
                   "Invalid client secret provided. Ensure the secret being sent in the request is "
                   "the client secret value, not the client secret ID, for a secret added to app "
                   "'" +
                       options_.client_id + "'.",
                   now);
    return std::nullopt;
  }
  if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    return error(400, "invalid_request", 90058,
                 "The request body must contain client_assertion_type.", now);
  if (options_.certificate_pem.empty())
    return error(401, "invalid_client", 700027,
                 "Client assertion contains an invalid signature: no certificate is registered for "
                 "the application.",
                 now);
  try {
    std::istringstream pem(options_.certificate_pem);
    Poco::Crypto::X509Certificate cert(pem);
    Poco::JWT::Signer signer(new Poco::Crypto::RSAKey(cert));
    signer.addAlgorithm(Poco::JWT::Signer::ALGO_RS256);
    Poco::JWT::Token jwt = signer.verify(form["client_assertion"]);
    // The audience is the token endpoint: this simulator's, or Microsoft's spelling of it.
    const auto aud = jwt.getAudience();
    auto has = [&aud](const std::string& a) {
      return std::find(aud.begin(), aud.end(), a) != aud.end();
    };
    const bool aud_ok = has(request.base_url + "/login/" + tenant + "/oauth2/v2.0/token") ||
                        has("https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token");
    if (jwt.getIssuer() != options_.client_id || jwt.getSubject() != options_.client_id || !aud_ok)
      return error(401, "invalid_client", 700024,
                   "Client assertion is not within its valid audience, issuer or subject.", now);
    if (jwt.getExpiration().epochTime() <= toUnixSeconds(now))
      return error(401, "invalid_client", 700024,
                   "Client assertion is not within its valid time range.", now);
    if (jwt.getId().empty() || assertion_ids_.count(jwt.getId()))
      return error(401, "invalid_client", 700021, "Client assertion has no jti or was replayed.",
                   now);
    assertion_ids_[jwt.getId()] = now;
  } catch (const Poco::Exception& e) {
    return error(401, "invalid_client", 700027,
                 "Client assertion failed signature validation. (" + e.displayText() + ")", now);
  }
  return std::nullopt;
}

Response LoginService::codeToken(const std::string& tenant, const Request& request,
                                 std::map<std::string, std::string>& form, Timestamp now) {
  // v2-oauth2-auth-code-flow.md; the error codes from reference-error-codes.md.
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = codes_.find(form["code"]);
  if (it == codes_.end())
    return error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.",
                 now);
  Code& c = it->second;
  if (c.redeemed)
    return error(400, "invalid_grant", 54005,
                 "OAuth2 Authorization code was already redeemed, please retry with a new valid "
                 "code or use an existing refresh token.",
                 now);
  c.redeemed = true;  // one redemption, whatever its outcome
  if (now >= c.issued + options_.code_lifetime)
    return error(400, "invalid_grant", 70008,
                 "The provided authorization code or refresh token has expired due to "
                 "inactivity. Send a new interactive authorization request for this user and "
                 "resource.",
                 now);
  if (toLowerAscii(tenant) != c.tenant)
    return error(400, "invalid_grant", 700005,
                 "Provided Authorization Code is intended to use against other tenant, thus "
                 "rejected.",
                 now);
  if (form["redirect_uri"] != c.redirect_uri)
    return error(400, "invalid_grant", 500112,
                 "The reply address '" + form["redirect_uri"] +
                     "' does not match the reply address '" + c.redirect_uri +
                     "' provided when requesting Authorization code.",
                 now);
  if (!c.challenge.empty()) {
    const std::string verifier = form["code_verifier"];
    if (verifier.empty())
      return error(400, "invalid_request", 900144,
                   "The request body must contain the following parameter: 'code_verifier'.", now);
    std::string computed = verifier;
    if (c.challenge_method == "S256") {
      Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
      sha256.update(verifier);
      const auto& digest = sha256.digest();
      computed = base64Url(std::string(digest.begin(), digest.end()));
    }
    if (computed != c.challenge)
      return error(400, "invalid_grant", 501481,
                   "The Code_Verifier does not match the code_challenge supplied in the "
                   "authorization request.",
                   now);
  }
  // A refresh token "only provided if offline_access scope was requested"; it belongs to a
  // confidential client (the code was redeemed with its credential).
  const std::string scope = form["scope"].empty() ? c.scope : form["scope"];
  return issue(tenant, request, scope, false,
               c.scope.find("offline_access") != std::string::npos ? std::optional<bool>(false)
                                                                   : std::nullopt,
               now);
}

}  // namespace cspwatch::sim
