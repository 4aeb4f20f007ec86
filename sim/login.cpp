// SPDX-License-Identifier: Apache-2.0
#include "sim/login.h"

#include <Poco/JSON/Object.h>
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
  if (form["client_id"] != options_.client_id)
    return error(
        400, "unauthorized_client", 700016,
        "Application with identifier '" + form["client_id"] + "' was not found in the directory.",
        now);
  if (form["client_secret"] != options_.client_secret)
    return error(401, "invalid_client", 7000215,
                 "Invalid client secret provided. Ensure the secret being sent in the request is "
                 "the client secret value, not the client secret ID.",
                 now);
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
