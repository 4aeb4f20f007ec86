// SPDX-License-Identifier: Apache-2.0
#include "sim/api.h"

#include <cstdio>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "common/guid.h"
#include "common/text.h"
#include "sim/json_util.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// Partner Center's bodies begin with a UTF-8 byte-order mark (Azure/msrest-for-python#144;
// PowerShell clients strip it with .Content.Substring(1)); the profile can turn it off.
Response withBom(Response r, bool bom) {
  if (bom && !r.body.empty()) r.body.insert(0, "\xEF\xBB\xBF");
  return r;
}

}  // namespace

Response graphError(int status, const std::string& code, const std::string& message,
                    Timestamp now) {
  auto inner = obj();
  inner->set("date", formatTimestamp(now));
  inner->set("request-id", "00000000-0000-0000-0000-000000000000");
  inner->set("client-request-id", "00000000-0000-0000-0000-000000000000");
  auto e = obj();
  e->set("code", code);
  e->set("message", message);
  e->set("innerError", inner);
  auto o = obj();
  o->set("error", e);
  return Response::json(status, tenants::jsonText(o, false));
}

Response partnerCenterError(int status, int code, const std::string& description) {
  // As documented (get-partner-by-mpn-id, verify-indirect-reseller-mpa-status; the SDK's
  // ApiFault): {"code", "description", "data", "source"}.
  auto o = obj();
  o->set("code", code);
  o->set("description", description);
  o->set("data", Array::Ptr(new Array()));
  o->set("source", "PartnerFD");
  return Response::json(status, tenants::jsonText(o, false));
}

SimApi::SimApi(World world, LoginService& login, const Clock& clock, FaultInjector* faults,
               SimProfile profile)
    : world_(std::move(world)),
      profile_(std::move(profile)),
      login_(login),
      clock_(clock),
      faults_(faults) {
  for (const auto& t : world_.tenants) {
    if (t.in_customer_list.value_or(false)) customers_.push_back(&t);
    if (t.admin_relationships)
      for (const auto& r : *t.admin_relationships)
        if (r.partner_tenant_id == world_.partner.tenant_id) our_relationships_.push_back({&t, &r});
  }
}

Fault SimApi::decideFault(const Request& r) {
  if (faults_ == nullptr) return Fault::kNone;
  Fault f = faults_->decide(r);
  if (f != Fault::kNone) count(std::string("faults_") + faultName(f));
  return f;
}

Response SimApi::faultResponse(Fault f, const Request& r) {
  const bool pc = startsWith(r.path, "/pc/");
  // Drops and truncation cut the real answer short; the others are answers of their own.
  if (f != Fault::kServerError && f != Fault::kExpiredToken && f != Fault::kThrottle)
    return handle(r);
  Response answer = faultAnswer(f, r);
  if (pc) return withBom(std::move(answer), profile_.bom);
  return startsWith(r.path, "/graph/") ? withRequestIds(std::move(answer), r) : answer;
}

Response SimApi::withRequestIds(Response answer, const Request& r) {
  // Every Graph answer names itself (request-id: "Request Id as tracked internally by the
  // service") and echoes the client's client-request-id ("as sent by the client application"),
  // in its headers and, for errors, in error.innerError (InnerError in the v1.0 metadata;
  // best-practices-concept.md asks clients to send and log both).
  char id[40];
  std::snprintf(id, sizeof id, "d8f0c2a1-0000-4000-9000-%012llx",
                static_cast<unsigned long long>(++answers_));
  std::string client = r.header("client-request-id");
  if (client.empty()) client = id;
  bool has_request_id = false;
  for (const auto& [k, v] : answer.headers) has_request_id |= toLowerAscii(k) == "request-id";
  if (!has_request_id) answer.headers.push_back({"request-id", id});
  if (!has_request_id) answer.headers.push_back({"client-request-id", client});
  if (answer.status >= 400 && !answer.body.empty()) {
    try {
      auto doc = Poco::JSON::Parser().parse(answer.body).extract<Object::Ptr>();
      if (auto e = doc->getObject("error"))
        if (auto inner = e->getObject("innerError")) {
          inner->set("request-id", std::string(id));
          inner->set("client-request-id", client);
          answer.body = tenants::jsonText(doc, false);
        }
    } catch (const Poco::Exception&) {
      // Not Graph's error shape (an override's malformed body): left as it is.
    }
  }
  return answer;
}

Response SimApi::faultAnswer(Fault f, const Request& r) {
  const bool pc = startsWith(r.path, "/pc/");
  const bool login = startsWith(r.path, "/login/");
  switch (f) {
    case Fault::kServerError:
      if (login)
        return Response::json(
            500,
            "{\"error\":\"temporarily_unavailable\",\"error_description\":\"AADSTS90033: A "
            "transient error has occurred. Please try again.\"}");
      return pc ? partnerCenterError(503, 500000, "The service is temporarily unavailable")
                : graphError(503, "serviceNotAvailable",
                             "The service is temporarily unavailable. Please retry.", now());
    case Fault::kExpiredToken:
      return pc ? partnerCenterError(401, 900401, "The access token has expired")
                : graphError(401, "InvalidAuthenticationToken",
                             "Lifetime validation failed, the token is expired.", now());
    case Fault::kThrottle: {
      countThrottled(pc);
      const int wait = 1 + static_cast<int>(faults_ != nullptr ? faults_->latencyMs(r) % 3 : 0);
      Response resp =
          pc ? Response::json(
                   429, "{\"statusCode\":429,\"message\":\"Rate limit is exceeded. Try again in " +
                            std::to_string(wait) + " seconds.\"}")
             : graphError(429, "TooManyRequests", "Too many requests.", now());
      resp.headers.push_back({"Retry-After", std::to_string(wait)});
      return resp;
    }
    default:
      return handle(r);
  }
}

std::optional<Response> SimApi::throttled(const std::string& scope, bool partner_center) {
  if (faults_ == nullptr) return std::nullopt;
  auto wait = faults_->take(scope, partner_center);
  if (!wait) return std::nullopt;
  countThrottled(partner_center);
  Response r =
      partner_center
          ? Response::json(
                429, "{\"statusCode\":429,\"message\":\"Rate limit is exceeded. Try again in " +
                         std::to_string(*wait) + " seconds.\"}")
          : graphError(429, "TooManyRequests", "Too many requests.", now());
  r.headers.push_back({"Retry-After", std::to_string(*wait)});
  if (!partner_center)
    r.headers.push_back({"x-ms-throttle-scope", "Tenant_Application/ReadWrite/" + scope});
  return r;
}

Timestamp SimApi::now() const { return clock_.now() + Seconds(offset_seconds_.load()); }

void SimApi::count(const std::string& key, int64_t n) {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_[key] += n;
}

void SimApi::countThrottled(bool partner_center) {
  count("throttled_429");
  count(partner_center ? "throttled_429_partner_center" : "throttled_429_graph");
}

std::string SimApi::statsJson() {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  auto o = obj();
  if (faults_ != nullptr && faults_->options().rate_limits) {
    // The buckets' shapes, chosen or given (sim/faults.h), so that a test or benchmark knows
    // what ran.
    auto buckets = obj();
    for (bool pc : {true, false}) {
      const BucketShape shape = faults_->bucket(pc);
      auto b = obj();
      b->set("per_second", shape.per_second);
      b->set("burst_s", shape.burst_s);
      b->set("capacity", shape.capacity);
      buckets->set(pc ? "partner_center" : "graph", b);
    }
    o->set("buckets", buckets);
  }
  auto requests = obj();
  int64_t total = 0;
  for (const auto& [key, n] : stats_) {
    if (startsWith(key, "requests ")) {
      requests->set(key.substr(9), n);
      total += n;
    } else {
      o->set(key, n);
    }
  }
  o->set("requests_total", total);
  o->set("requests", requests);
  return tenants::jsonText(o, true);
}

Response SimApi::handle(const Request& r) {
  const std::string& p = r.path;
  if (startsWith(p, "/login/") || p == "/_sim/refresh-tokens" ||
      p == "/_sim/refresh-tokens/stats") {
    // /login/{tenant}/oauth2/v2.0/{authorize,token,devicecode} and the refresh-token hooks
    // (sim/login.h).
    count("requests " + LoginService::routeKey(r));
    return login_.handle(r, now());
  }
  if (startsWith(p, "/pc/")) return withBom(partnerCenter(r, p.substr(3)), profile_.bom);
  if (startsWith(p, "/graph/")) return withRequestIds(graph(r, p.substr(6)), r);
  if (p == "/_sim/stats") return Response::json(200, statsJson());
  if (p == "/_sim/mail") return Response::json(200, mailJson());
  if (p == "/_sim/advance" && r.method == "POST") {
    offset_seconds_ += std::stoll(r.param("seconds").empty() ? "0" : r.param("seconds"));
    return Response::json(200, "{\"now\":\"" + formatTimestamp(now()) + "\"}");
  }
  if (p == "/_sim/health") return Response::json(200, "{\"status\":\"ok\"}");
  if (p == "/_sim/approve-device" && r.method == "POST")
    return login_.approveDevice(r.param("user_code"))
               ? Response::json(200, "{\"approved\":true}")
               : Response::json(404, "{\"error\":\"no such user code\"}");
  return Response::json(404, "{\"error\":\"no such route\"}");
}

void SimApi::setOverride(Override override_fn) {
  std::lock_guard<std::mutex> lock(override_mutex_);
  override_ = std::move(override_fn);
}

std::optional<Response> SimApi::overridden(const Request& r, const std::string& tenant) {
  Override fn;
  {
    std::lock_guard<std::mutex> lock(override_mutex_);
    fn = override_;
  }
  return fn ? fn(r, tenant) : std::nullopt;
}

}  // namespace cspwatch::sim
