// SPDX-License-Identifier: Apache-2.0
// LoginService's routing, access tokens and Entra's error shape; the grants are in
// login_token.cpp, login_device.cpp and login_refresh.cpp, the authorize endpoint in
// login_authorize.cpp.
#include "sim/login.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <Poco/JSON/Object.h>

#include "common/text.h"
#include "sim/login_scope.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

namespace {

// Entra's way of writing a time in error bodies: "2016-01-09 02:02:12Z".
std::string entraTime(Timestamp t) { return replaceAll(formatTimestamp(t), "T", " "); }

}  // namespace

LoginService::LoginService(LoginOptions options, uint64_t seed)
    : options_(std::move(options)), rng_(seed ^ 0x5eed), id_rng_(seed ^ 0x1d5) {}

std::string LoginService::randomToken(const char* prefix) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s = prefix;
  for (int i = 0; i < 40; ++i) s += alphabet[rng_() % 62];
  return s;
}

std::string LoginService::routeKey(const Request& r) {
  if (r.path == "/_sim/refresh-tokens") return "POST /_sim/refresh-tokens";
  if (r.path == "/_sim/refresh-tokens/stats") return "GET /_sim/refresh-tokens/stats";
  if (endsWith(r.path, "/oauth2/v2.0/authorize"))
    return "GET /login/{tenant}/oauth2/v2.0/authorize";
  if (endsWith(r.path, "/oauth2/v2.0/devicecode"))
    return "POST /login/{tenant}/oauth2/v2.0/devicecode";
  return "POST /login/{tenant}/oauth2/v2.0/token";
}

Response LoginService::handle(const Request& r, Timestamp now) {
  if (r.path == "/_sim/refresh-tokens") {
    if (r.method != "POST") return Response::json(405, "{\"error\":\"POST only\"}");
    auto failure = refreshFailureNamed(r.param("fail"));
    if (!failure)
      return Response::json(
          400, "{\"error\":\"fail must be none, 700082, 70043, 50173 or interaction_required\"}");
    setRefreshFailure(*failure);
    return Response::json(200, "{\"fail\":\"" + r.param("fail") + "\"}");
  }
  if (r.path == "/_sim/refresh-tokens/stats") return refreshTokenStatsAnswer(r, now);
  // /login/{tenant}/oauth2/v2.0/{token,devicecode,authorize}
  const auto parts = split(std::string_view(r.path).substr(7), '/');
  if (parts.size() == 4 && parts[1] == "oauth2" && parts[2] == "v2.0") {
    if (parts[3] == "token") return tokenInFlight(parts[0], r, now);
    if (parts[3] == "devicecode") return deviceCode(parts[0], r, now);
    if (parts[3] == "authorize") return authorize(parts[0], r, now);
  }
  return Response::json(404, "{\"error\":\"not_found\"}");
}

Response LoginService::tokenInFlight(const std::string& tenant, const Request& r, Timestamp now) {
  PresentedObserver observer;
  {
    std::lock_guard<std::mutex> lock(flight_mutex_);
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    observer = observer_;
  }
  if (observer)
    if (auto seq = presentedSeq(r)) observer(*seq);
  struct Landed {
    LoginService& login;
    ~Landed() {
      std::lock_guard<std::mutex> lock(login.flight_mutex_);
      --login.in_flight_;
    }
  } landed{*this};
  // The latency holds no lock: the requests it delays overlap, as Entra's do.
  if (options_.token_latency_ms > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.token_latency_ms));
  return token(tenant, r, now);
}

std::string LoginService::describe(int code, const std::string& text, Timestamp now,
                                   std::string* trace_out, std::string* correlation_out) {
  // reference-error-codes.md: the first line is "AADSTSnnnn: text", then the trace id,
  // correlation id and time, separated by CR LF.
  std::string ids[2];
  {
    std::lock_guard<std::mutex> lock(id_mutex_);
    char buf[40];
    for (std::string& id : ids) {
      const uint64_t a = id_rng_(), b = id_rng_();
      std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
                    static_cast<unsigned long long>(a >> 32),
                    static_cast<unsigned long long>((a >> 16) & 0xffff),
                    static_cast<unsigned long long>(a & 0xfff),
                    static_cast<unsigned long long>(b >> 52),
                    static_cast<unsigned long long>(b & 0xffffffffffffULL));
      id = buf;
    }
  }
  if (trace_out != nullptr) *trace_out = ids[0];
  if (correlation_out != nullptr) *correlation_out = ids[1];
  return "AADSTS" + std::to_string(code) + ": " + text + "\r\nTrace ID: " + ids[0] +
         "\r\nCorrelation ID: " + ids[1] + "\r\nTimestamp: " + entraTime(now);
}

Response LoginService::error(int status, const std::string& error, int code,
                             const std::string& description, Timestamp now) {
  std::string trace, correlation;
  const std::string text = describe(code, description, now, &trace, &correlation);
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("error", error);
  o->set("error_description", text);
  Poco::JSON::Array::Ptr codes = new Poco::JSON::Array();
  codes->add(code);
  o->set("error_codes", codes);
  o->set("timestamp", entraTime(now));
  o->set("trace_id", trace);
  o->set("correlation_id", correlation);
  o->set("error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(code));
  return Response::json(status, tenants::jsonText(o, false));
}

Response LoginService::issue(const std::string& tenant, const Request&, const std::string& scope,
                             bool app_only, std::optional<bool> refresh_public, Timestamp now) {
  const std::string access = randomToken("at.");
  access_[access] =
      AccessToken{toLowerAscii(tenant), audienceOf(scope), app_only, now + options_.token_lifetime};
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("token_type", "Bearer");
  o->set("scope", scope);
  o->set("expires_in", static_cast<int>(options_.token_lifetime.count()));
  o->set("ext_expires_in", static_cast<int>(options_.token_lifetime.count()));
  o->set("access_token", access);
  if (refresh_public) {
    o->set("refresh_token", newRefreshToken(*refresh_public, now));
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
