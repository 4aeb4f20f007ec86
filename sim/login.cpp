// SPDX-License-Identifier: Apache-2.0
#include "sim/login.h"

#include <algorithm>
#include <sstream>

#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/JSON/Object.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/URI.h>

#include "common/guid.h"
#include "common/text.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

std::map<std::string, std::string> parseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  for (const auto& pair : split(body, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = pair.substr(0, eq),
                value = eq == std::string::npos ? "" : pair.substr(eq + 1);
    for (auto* s : {&key, &value}) {
      for (char& c : *s)
        if (c == '+') c = ' ';
      std::string decoded;
      Poco::URI::decode(*s, decoded);
      *s = decoded;
    }
    out[key] = value;
  }
  return out;
}

LoginService::LoginService(LoginOptions options, uint64_t seed)
    : options_(std::move(options)), rng_(seed ^ 0x5eed) {}

std::string LoginService::randomToken(const char* prefix) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s = prefix;
  for (int i = 0; i < 40; ++i) s += alphabet[rng_() % 62];
  return s;
}

Response LoginService::error(int status, const std::string& error, int code,
                             const std::string& description, Timestamp now) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("error", error);
  o->set("error_description",
         "AADSTS" + std::to_string(code) + ": " + description +
             " Trace ID: 00000000-0000-0000-0000-000000000000 Timestamp: " + formatTimestamp(now));
  Poco::JSON::Array::Ptr codes = new Poco::JSON::Array();
  codes->add(code);
  o->set("error_codes", codes);
  o->set("timestamp", formatTimestamp(now));
  o->set("trace_id", "00000000-0000-0000-0000-000000000000");
  o->set("correlation_id", "00000000-0000-0000-0000-000000000000");
  return Response::json(status, tenants::jsonText(o, false));
}

std::string LoginService::issueRefreshToken(Timestamp) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string t = randomToken("rt.");
  refresh_[t] = Refresh{};
  return t;
}

std::optional<Response> LoginService::authenticateClient(const std::string& tenant,
                                                         const Request& request,
                                                         std::map<std::string, std::string>& form,
                                                         Timestamp now) {
  if (form["client_id"] != options_.client_id)
    return error(
        400, "unauthorized_client", 700016,
        "Application with identifier '" + form["client_id"] + "' was not found in the directory.",
        now);
  if (form["client_assertion"].empty()) {
    if (form["client_secret"] != options_.client_secret)
      return error(401, "invalid_client", 7000215,
                   "Invalid client secret provided. Ensure the secret being sent in the request is "
                   "the client "
                   "secret value, not the client secret ID.",
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

Response LoginService::deviceCode(const std::string& tenant, const Request& request,
                                  Timestamp now) {
  auto form = parseForm(request.body);
  if (form["client_id"] != options_.client_id)
    return error(
        400, "unauthorized_client", 700016,
        "Application with identifier '" + form["client_id"] + "' was not found in the directory.",
        now);
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string device = randomToken("dc.");
  std::string user_code;
  for (int i = 0; i < 8; ++i) user_code += static_cast<char>('A' + rng_() % 26);
  user_code.insert(4, "-");
  devices_[device] =
      Device{user_code, toLowerAscii(tenant), form["scope"], now + Seconds(900), 0, false};
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("user_code", user_code);
  o->set("device_code", device);
  o->set("verification_uri", "https://microsoft.com/devicelogin");
  o->set("expires_in", 900);
  o->set("interval", 5);
  o->set(
      "message",
      "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter "
      "the code " +
          user_code + " to authenticate.");
  return Response::json(200, tenants::jsonText(o, false));
}

bool LoginService::approveDevice(const std::string& user_code) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [code, d] : devices_)
    if (d.user_code == user_code) {
      d.approved = true;
      return true;
    }
  return false;
}

Response LoginService::deviceToken(const std::string& tenant,
                                   std::map<std::string, std::string>& form, Timestamp now) {
  // The device-code flow runs as a public client: no secret.
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(form["device_code"]);
  if (it == devices_.end() || form["client_id"] != options_.client_id)
    return error(400, "invalid_grant", 70000,
                 "The provided value for the 'device_code' is not valid.", now);
  Device& d = it->second;
  if (now >= d.expires)
    return error(400, "expired_token", 70020, "The device code has expired.", now);
  if (++d.polls >= 2 && options_.auto_approve_device) d.approved = true;
  if (!d.approved)
    return error(400, "authorization_pending", 70016,
                 "OAuth 2.0 device flow error. Authorization is pending. Continue polling.", now);
  const std::string scope = d.scope;
  devices_.erase(it);
  const std::string access = randomToken("at.");
  const std::string audience =
      scope.find("api.partnercenter.microsoft.com") != std::string::npos ? "pc" : "graph";
  access_[access] =
      AccessToken{toLowerAscii(tenant), audience, false, now + options_.token_lifetime};
  const std::string refresh = randomToken("rt.");
  refresh_[refresh] = Refresh{};
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("token_type", "Bearer");
  o->set("scope", scope);
  o->set("expires_in", static_cast<int>(options_.token_lifetime.count()));
  o->set("access_token", access);
  o->set("refresh_token", refresh);
  return Response::json(200, tenants::jsonText(o, false));
}

Response LoginService::token(const std::string& tenant, const Request& request, Timestamp now) {
  auto form = parseForm(request.body);
  if (request.method != "POST")
    return error(405, "invalid_request", 900561, "The endpoint only accepts POST requests.", now);
  if (!normalizeGuid(tenant) && !endsWith(tenant, ".onmicrosoft.com"))
    return error(400, "invalid_request", 900023,
                 "Specified tenant identifier '" + tenant +
                     "' is neither a valid DNS name, nor a valid external domain.",
                 now);
  const std::string grant = form["grant_type"];
  if (grant == "urn:ietf:params:oauth:grant-type:device_code")
    return deviceToken(tenant, form, now);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failed = authenticateClient(tenant, request, form, now)) return *failed;
  }
  const std::string scope = form["scope"];
  std::string audience = scope.find("graph.microsoft.com") != std::string::npos ? "graph"
                         : scope.find("api.partnercenter.microsoft.com") != std::string::npos ? "pc"
                                                                                              : "";
  if (audience.empty())
    return error(400, "invalid_scope", 70011,
                 "The provided value for the input parameter 'scope' is not valid.", now);

  std::lock_guard<std::mutex> lock(mutex_);
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  AccessToken at{toLowerAscii(tenant), audience, true, now + options_.token_lifetime};
  if (grant == "client_credentials") {
    // app-only
  } else if (grant == "refresh_token") {
    auto it = refresh_.find(form["refresh_token"]);
    if (it == refresh_.end() ||
        (it->second.used_at && now - *it->second.used_at > options_.refresh_grace))
      return error(400, "invalid_grant", 70008,
                   "The provided authorization code or refresh token has expired due to inactivity "
                   "or was already used.",
                   now);
    if (!it->second.used_at) it->second.used_at = now;
    at.app_only = false;
    std::string next = randomToken("rt.");
    refresh_[next] = Refresh{};
    o->set("refresh_token", next);
  } else {
    return error(400, "unsupported_grant_type", 70003,
                 "The app requested an unsupported grant type '" + grant + "'.", now);
  }
  std::string token = randomToken("at.");
  access_[token] = at;
  o->set("token_type", "Bearer");
  o->set("scope", scope);
  o->set("expires_in", static_cast<int>(options_.token_lifetime.count()));
  o->set("ext_expires_in", static_cast<int>(options_.token_lifetime.count()));
  o->set("access_token", token);
  if (o->has("refresh_token")) {
    // Keep the documented field order: access_token before refresh_token.
    std::string rt = o->getValue<std::string>("refresh_token");
    o->remove("refresh_token");
    o->set("refresh_token", rt);
  }
  return Response::json(200, tenants::jsonText(o, false));
}

LoginService::Check LoginService::validate(const Request& request, Timestamp now,
                                           AccessToken& token) {
  std::string auth = request.header("authorization");
  if (!startsWith(auth, "Bearer ")) return Check::kMissing;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = access_.find(auth.substr(7));
  if (it == access_.end()) return Check::kInvalid;
  if (now >= it->second.expires) return Check::kExpired;
  token = it->second;
  return Check::kOk;
}

}  // namespace cspwatch::sim
