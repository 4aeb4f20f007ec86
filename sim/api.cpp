// SPDX-License-Identifier: Apache-2.0
#include "sim/api.h"

#include <cstdio>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/guid.h"
#include "common/text.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Var = Poco::Dynamic::Var;

Object::Ptr obj() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }
Var opt(const std::optional<std::string>& s) { return s ? Var(*s) : Var(); }
Var optTime(const std::optional<Timestamp>& t) { return t ? Var(formatTimestamp(*t)) : Var(); }
Response ok(const Object::Ptr& o) { return Response::json(200, tenants::jsonText(o, false)); }

// Paging tokens are opaque to clients: base64 of "offset:N".
std::string pageToken(size_t offset) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc << "offset:" << offset;
  enc.close();
  return out.str();
}

std::optional<size_t> pageOffset(const std::string& token) {
  try {
    std::istringstream in(token);
    Poco::Base64Decoder dec(in);
    std::string text((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    if (!startsWith(text, "offset:")) return std::nullopt;
    return static_cast<size_t>(std::stoul(text.substr(7)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Base64 as Graph reads a MIME sendMail body (.NET's Convert.FromBase64String): the standard
// alphabet, padding to a multiple of 4, whitespace skipped; anything else is invalid.
std::optional<std::string> decodeBase64(const std::string& text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t chars = 0, padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    ++chars;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after the padding
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (chars % 4 != 0 || padding > 2) return std::nullopt;
  return out;
}

// The top-level header block of a MIME message: lower-case names and their (unfolded) values.
std::map<std::string, std::string> mimeHeaders(const std::string& mime) {
  std::map<std::string, std::string> headers;
  std::string last;
  size_t pos = 0;
  while (pos < mime.size()) {
    const size_t eol = mime.find('\n', pos);
    std::string line = mime.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;  // the blank line before the body
    if (line[0] == ' ' || line[0] == '\t') {
      if (!last.empty()) headers[last] += " " + std::string(trim(line));  // a folded line
    } else if (const size_t colon = line.find(':'); colon != std::string::npos && colon > 0) {
      last = toLowerAscii(trim(std::string_view(line).substr(0, colon)));
      headers[last] = std::string(trim(std::string_view(line).substr(colon + 1)));
    } else {
      last.clear();
    }
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  return headers;
}

std::string firstContact(const tenants::Tenant& t, const char* purpose, const char* source) {
  if (t.contacts)
    for (const auto& c : *t.contacts)
      if (c.purpose == purpose && c.source == source) return c.address;
  return "";
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

Response partnerCenterError(int status, int code, const std::string& name,
                            const std::string& description) {
  auto o = obj();
  o->set("code", code);
  o->set("description", description);
  o->set("errorName", name);
  o->set("isRetryable", false);
  o->set("data", Array::Ptr(new Array()));
  o->set("source", "PartnerFD");
  return Response::json(status, tenants::jsonText(o, false));
}

SimApi::SimApi(World world, LoginService& login, const Clock& clock, FaultInjector* faults)
    : world_(std::move(world)), login_(login), clock_(clock), faults_(faults) {
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
  const bool login = startsWith(r.path, "/login/");
  switch (f) {
    case Fault::kServerError:
      if (login)
        return Response::json(
            500,
            "{\"error\":\"temporarily_unavailable\",\"error_description\":\"AADSTS90033: A "
            "transient error has occurred. Please try again.\"}");
      return pc ? partnerCenterError(503, 500000, "ServiceUnavailable",
                                     "The service is temporarily unavailable")
                : graphError(503, "serviceNotAvailable",
                             "The service is temporarily unavailable. Please retry.", now());
    case Fault::kExpiredToken:
      return pc ? partnerCenterError(401, 900401, "Unauthorized", "The access token has expired")
                : graphError(401, "InvalidAuthenticationToken",
                             "Lifetime validation failed, the token is expired.", now());
    case Fault::kThrottle: {
      count("throttled_429");
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
  count("throttled_429");
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

std::string SimApi::statsJson() {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  auto o = obj();
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
  if (startsWith(p, "/login/") || p == "/_sim/refresh-tokens") {
    // /login/{tenant}/oauth2/v2.0/{authorize,token,devicecode} and the refresh-token hook
    // (sim/login.h).
    count("requests " + LoginService::routeKey(r));
    return login_.handle(r, now());
  }
  if (startsWith(p, "/pc/")) return partnerCenter(r, p.substr(3));
  if (startsWith(p, "/graph/")) return graph(r, p.substr(6));
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

Response SimApi::partnerCenter(const Request& r, const std::string& path) {
  AccessToken token;
  switch (login_.validate(r, now(), token)) {
    case LoginService::Check::kMissing:
      count("requests GET /pc (unauthenticated)");
      return partnerCenterError(401, 900401, "Unauthorized", "Authorization header is missing");
    case LoginService::Check::kInvalid:
    case LoginService::Check::kExpired:
      count("requests GET /pc (unauthenticated)");
      return partnerCenterError(401, 900401, "Unauthorized",
                                "The access token is invalid or has expired");
    case LoginService::Check::kOk:
      break;
  }
  if (token.audience != "pc" || token.tenant_id != world_.partner.tenant_id)
    return partnerCenterError(401, 900401, "Unauthorized",
                              "The token is not for Partner Center in the partner tenant");
  if (auto t = throttled("pc:" + token.tenant_id, true)) return *t;
  if (auto o = overridden(r, token.tenant_id)) return *o;
  auto parts = split(path, '/');  // "", "v1", "customers", ...
  if (parts.size() < 3 || parts[1] != "v1" || parts[2] != "customers")
    return partnerCenterError(404, 600001, "NotFound", "Resource not found");
  if (parts.size() == 3) {
    count("requests GET /pc/v1/customers");
    return customers(r);
  }
  if (parts.size() == 4 && parts[3] == "relationshiprequests") {
    count("requests GET /pc/v1/customers/relationshiprequests");
    if (token.app_only)
      return partnerCenterError(403, 900403, "Forbidden",
                                "This operation requires App+User authentication");
    auto o = obj();
    o->set("url",
           "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=" +
               world_.partner.tenant_id +
               "&msppId=0&DAP=false#/BillingAccounts/partner-invitation");
    auto attrs = obj();
    attrs->set("objectType", "RelationshipRequest");
    o->set("attributes", attrs);
    return ok(o);
  }
  auto id = normalizeGuid(parts[3]);
  const tenants::Tenant* t = id ? world_.find(*id) : nullptr;
  if (t == nullptr || !t->in_customer_list.value_or(false))
    return partnerCenterError(404, 600026, "CustomerNotFound", "Customer not found: " + parts[3]);
  if (parts.size() == 4) {
    count("requests GET /pc/v1/customers/{id}");
    return customer(*t);
  }
  if (parts.size() == 5 && parts[4] == "relationships") {
    count("requests GET /pc/v1/customers/{id}/relationships");
    if (token.app_only)
      return partnerCenterError(403, 900403, "Forbidden",
                                "This operation requires App+User authentication");
    return relationships(*t);
  }
  return partnerCenterError(404, 600001, "NotFound", "Resource not found");
}

Response SimApi::customers(const Request& r) {
  size_t size = 100, offset = 0;
  if (!r.param("size").empty())
    size = std::max<size_t>(1, std::min<size_t>(500, std::stoul(r.param("size"))));
  if (r.param("seekOperation") == "Next") {
    auto o = pageOffset(r.header("ms-continuationtoken"));
    if (!o)
      return partnerCenterError(400, 2000, "InvalidInput",
                                "The continuation token is missing or invalid");
    offset = *o;
    if (!r.param("size").empty()) size = std::stoul(r.param("size"));
  }
  Array::Ptr items = new Array();
  for (size_t i = offset; i < customers_.size() && i < offset + size; ++i) {
    const tenants::Tenant& t = *customers_[i];
    auto c = obj();
    c->set("id", t.id);
    c->set("commerceId", t.id);
    auto profile = obj();
    profile->set("tenantId", t.id);
    profile->set("domain", t.default_domain);
    profile->set("companyName", t.name);
    c->set("companyProfile", profile);
    c->set("relationshipToPartner", t.relationship_to_partner.value_or("reseller"));
    auto attrs = obj();
    attrs->set("objectType", "Customer");
    c->set("attributes", attrs);
    items->add(c);
  }
  auto o = obj();
  o->set("totalCount", static_cast<int64_t>(items->size()));
  o->set("items", items);
  auto links = obj();
  auto self = obj();
  self->set("uri", "/v1/customers?size=" + std::to_string(size));
  self->set("method", "GET");
  self->set("headers", Array::Ptr(new Array()));
  links->set("self", self);
  if (offset + size < customers_.size()) {
    const std::string token = pageToken(offset + size);
    auto next = obj();
    next->set("uri", "/v1/customers?size=" + std::to_string(size) + "&seekOperation=Next");
    next->set("method", "GET");
    Array::Ptr headers = new Array();
    auto h = obj();
    h->set("key", "MS-ContinuationToken");
    h->set("value", token);
    headers->add(h);
    next->set("headers", headers);
    links->set("next", next);
    o->set("continuationToken", token);
  }
  o->set("links", links);
  auto attrs = obj();
  attrs->set("objectType", "Collection");
  o->set("attributes", attrs);
  return ok(o);
}

Response SimApi::customer(const tenants::Tenant& t) {
  if (!t.dap_enabled)
    return partnerCenterError(403, 900403, "Forbidden",
                              "Insufficient permissions to read this customer");
  auto o = obj();
  o->set("id", t.id);
  o->set("commerceId", t.id);
  auto company = obj();
  company->set("tenantId", t.id);
  company->set("domain", t.default_domain);
  company->set("companyName", t.name);
  const std::string company_email = firstContact(t, "company", "partner_center");
  company->set("email", company_email.empty() ? Var() : Var(company_email));
  o->set("companyProfile", company);
  auto billing = obj();
  billing->set("id", t.id.substr(0, 8));
  billing->set("firstName", "Accounts");
  billing->set("lastName", "Payable");
  const std::string billing_email = firstContact(t, "billing", "partner_center");
  billing->set("email", billing_email.empty() ? Var() : Var(billing_email));
  billing->set("culture", "en-AU");
  billing->set("language", "en");
  billing->set("companyName", t.name);
  billing->set("defaultAddress", Var());
  o->set("billingProfile", billing);
  o->set("relationshipToPartner", t.relationship_to_partner.value_or("reseller"));
  o->set("allowDelegatedAccess", *t.dap_enabled);
  o->set("customDomains", Array::Ptr(new Array()));
  auto attrs = obj();
  attrs->set("objectType", "Customer");
  o->set("attributes", attrs);
  return ok(o);
}

Response SimApi::relationships(const tenants::Tenant& t) {
  if (!t.indirect_relationships)
    return partnerCenterError(403, 900403, "Forbidden",
                              "Insufficient permissions to read relationships");
  Array::Ptr items = new Array();
  for (const auto& r : *t.indirect_relationships) {
    auto i = obj();
    i->set("id", r.tenant_id);
    i->set("name", r.name);
    i->set("relationshipType", r.type);
    i->set("mpnId", opt(r.mpn_id));
    auto attrs = obj();
    attrs->set("objectType", "PartnerRelationship");
    i->set("attributes", attrs);
    items->add(i);
  }
  auto o = obj();
  o->set("totalCount", static_cast<int64_t>(items->size()));
  o->set("items", items);
  auto attrs = obj();
  attrs->set("objectType", "Collection");
  o->set("attributes", attrs);
  return ok(o);
}

Response SimApi::graph(const Request& r, const std::string& path) {
  AccessToken token;
  switch (login_.validate(r, now(), token)) {
    case LoginService::Check::kMissing:
      count("requests GET /graph (unauthenticated)");
      return graphError(401, "InvalidAuthenticationToken", "Access token is empty.", now());
    case LoginService::Check::kInvalid:
      count("requests GET /graph (unauthenticated)");
      return graphError(401, "InvalidAuthenticationToken",
                        "Access token validation failure. Invalid audience.", now());
    case LoginService::Check::kExpired:
      count("requests GET /graph (unauthenticated)");
      return graphError(401, "InvalidAuthenticationToken",
                        "Lifetime validation failed, the token is expired.", now());
    case LoginService::Check::kOk:
      break;
  }
  if (token.audience != "graph")
    return graphError(401, "InvalidAuthenticationToken",
                      "Access token validation failure. Invalid audience.", now());
  if (auto t = throttled("graph:" + token.tenant_id, false)) return *t;
  if (auto o = overridden(r, token.tenant_id)) return *o;
  const bool partner_side = token.tenant_id == world_.partner.tenant_id;
  const std::string kUsersPrefix = "/v1.0/users/";
  if (startsWith(path, kUsersPrefix) && endsWith(toLowerAscii(path), "/sendmail") &&
      path.size() > kUsersPrefix.size() + 9) {
    count("requests POST /graph/v1.0/users/{id}/sendMail");
    return sendMail(r, token,
                    path.substr(kUsersPrefix.size(), path.size() - kUsersPrefix.size() - 9));
  }
  if (path == "/v1.0/tenantRelationships/delegatedAdminRelationships") {
    count("requests GET /graph/v1.0/tenantRelationships/delegatedAdminRelationships");
    if (!partner_side)
      return graphError(403, "Authorization_RequestDenied",
                        "Insufficient privileges to complete the operation.", now());
    return adminRelationships(r);
  }
  const std::string kRelPrefix = "/v1.0/tenantRelationships/delegatedAdminRelationships/";
  if (startsWith(path, kRelPrefix) && endsWith(path, "/accessAssignments")) {
    count(
        "requests GET "
        "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/{id}/accessAssignments");
    if (!partner_side)
      return graphError(403, "Authorization_RequestDenied",
                        "Insufficient privileges to complete the operation.", now());
    const std::string id = path.substr(kRelPrefix.size(), path.size() - kRelPrefix.size() - 18);
    for (const auto& [t, rel] : our_relationships_) {
      if (rel->id != id) continue;
      Array::Ptr value = new Array();
      if (rel->status == "active" || rel->status == "expiring") {
        // One assignment: our admin agents' group holds the relationship's roles.
        auto a = obj();
        a->set("@odata.etag", "W/\"JyIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiJw==\"");
        a->set("id", rel->id.substr(0, 36));
        a->set("status", "active");
        auto container = obj();
        container->set("accessContainerId", "0b5e1a2c-7d3f-4e9a-8c61-2f4b6d8a1c35");
        container->set("accessContainerType", "securityGroup");
        a->set("accessContainer", container);
        auto details = obj();
        Array::Ptr roles = new Array();
        for (const auto& role : rel->role_definition_ids) {
          auto ro = obj();
          ro->set("roleDefinitionId", role);
          roles->add(ro);
        }
        details->set("unifiedRoles", roles);
        a->set("accessDetails", details);
        a->set("createdDateTime", optTime(rel->activated_at));
        a->set("lastModifiedDateTime", optTime(rel->activated_at));
        value->add(a);
      }
      auto o = obj();
      o->set("@odata.context",
             r.base_url +
                 "/graph/v1.0/$metadata#tenantRelationships/delegatedAdminRelationships('" + id +
                 "')/accessAssignments");
      o->set("value", value);
      return ok(o);
    }
    return graphError(404, "Request_ResourceNotFound", "Resource '" + id + "' does not exist.",
                      now());
  }
  if (path == "/v1.0/contracts") {
    count("requests GET /graph/v1.0/contracts");
    if (!partner_side)
      return graphError(403, "Authorization_RequestDenied",
                        "Insufficient privileges to complete the operation.", now());
    // DAP-era contracts: one per customer that still has DAP (the partnership's snapshot).
    Array::Ptr value = new Array();
    for (const auto* t : customers_) {
      if (!t->dap_enabled.value_or(false)) continue;
      auto c = obj();
      c->set("id", t->id.substr(0, 8) + "-contract");
      c->set("contractType", "ResellerPartner");
      c->set("customerId", t->id);
      c->set("defaultDomainName", t->default_domain);
      c->set("displayName", t->name);
      value->add(c);
    }
    auto o = obj();
    o->set("@odata.context", r.base_url + "/graph/v1.0/$metadata#contracts");
    o->set("value", value);
    return ok(o);
  }
  if (path == "/v1.0/organization" || path == "/v1.0/policies/crossTenantAccessPolicy/partners") {
    const bool org = path == "/v1.0/organization";
    count(org ? "requests GET /graph/v1.0/organization"
              : "requests GET /graph/v1.0/policies/crossTenantAccessPolicy/partners");
    const tenants::Tenant* t = world_.find(token.tenant_id);
    if (t == nullptr)
      return graphError(403, "Authorization_RequestDenied",
                        "Insufficient privileges to complete the operation.", now());
    return org ? organization(*t) : partners(*t);
  }
  return graphError(404, "Request_ResourceNotFound", "Resource '" + path + "' does not exist.",
                    now());
}

Response SimApi::sendMail(const Request& r, const AccessToken& token, const std::string& mailbox) {
  if (r.method != "POST")
    return graphError(405, "Request_BadRequest",
                      "Specified HTTP method is not allowed for the request target.", now());
  // Application permission Mail.Send in the partner tenant: an app-only token for our own
  // tenant. A customer tenant's token, or one on behalf of a user, may not send as a mailbox.
  if (token.tenant_id != world_.partner.tenant_id || !token.app_only)
    return graphError(403, "ErrorAccessDenied",
                      "Access is denied. Check credentials and try again.", now());
  const Mailbox* box = world_.findMailbox(mailbox);
  if (world_.mailboxes && box == nullptr)
    return graphError(404, "ErrorInvalidUser", "The requested user '" + mailbox + "' is invalid.",
                      now());
  if (box != nullptr && !box->app_access)
    return graphError(403, "ErrorAccessDenied",
                      "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly "
                      "AccessPolicy settings.",
                      now());
  const std::string content_type = r.header("content-type");
  const std::string media =
      toLowerAscii(trim(std::string_view(content_type).substr(0, content_type.find(';'))));
  if (media == "application/json")
    return graphError(400, "ErrorNotSupported",
                      "cspwatch-sim accepts sendMail in MIME format only (Content-Type: "
                      "text/plain, the body the base64 of the message).",
                      now());
  if (media != "text/plain")
    return graphError(
        415, "UnsupportedMediaType",
        "Content-Type '" + content_type + "' is not supported; use text/plain for MIME content.",
        now());
  auto mime = decodeBase64(r.body);
  if (!mime)
    return graphError(400, "ErrorMimeContentInvalidBase64String",
                      "Invalid base64 string for MIME content.", now());
  const auto headers = mimeHeaders(*mime);
  std::vector<std::string> missing;
  for (const char* name : {"From", "To", "Subject", "Message-ID"}) {
    auto it = headers.find(toLowerAscii(name));
    if (it == headers.end() || it->second.empty()) missing.push_back(name);
  }
  if (!missing.empty())
    return graphError(400, "ErrorMimeContentInvalid",
                      "The MIME content is invalid: no " + join(missing, ", ") + " header.", now());
  Response accepted;
  accepted.status = 202;
  accepted.content_type.clear();  // 202 Accepted with an empty body, as Graph answers
  {
    std::lock_guard<std::mutex> lock(mail_mutex_);
    char id[40];
    std::snprintf(id, sizeof id, "5e7d1a00-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(mail_.size() + 1));
    mail_.push_back({mailbox, std::move(*mime), now(), id});
    accepted.headers.push_back({"request-id", id});
  }
  if (!r.header("client-request-id").empty())
    accepted.headers.push_back({"client-request-id", r.header("client-request-id")});
  return accepted;
}

std::vector<SentMail> SimApi::sentMail() {
  std::lock_guard<std::mutex> lock(mail_mutex_);
  return mail_;
}

std::string SimApi::mailJson() {
  Array::Ptr messages = new Array();
  for (const auto& m : sentMail()) {
    auto o = obj();
    o->set("mailbox", m.mailbox);
    o->set("mime", m.mime);
    o->set("at", formatTimestamp(m.at));
    o->set("request_id", m.request_id);
    messages->add(o);
  }
  auto o = obj();
  o->set("messages", messages);
  return tenants::jsonText(o, true);
}

Response SimApi::adminRelationships(const Request& r) {
  size_t top = 100, offset = 0;
  if (!r.param("$top").empty()) top = std::stoul(r.param("$top"));
  if (top < 1 || top > 300)
    return graphError(400, "BadRequest", "The limit of '300' for Top query has been exceeded.",
                      now());
  if (!r.param("$skiptoken").empty()) {
    auto o = pageOffset(r.param("$skiptoken"));
    if (!o) return graphError(400, "BadRequest", "Invalid $skiptoken.", now());
    offset = *o;
  }
  Array::Ptr value = new Array();
  for (size_t i = offset; i < our_relationships_.size() && i < offset + top; ++i) {
    const auto& [t, rel] = our_relationships_[i];
    auto o = obj();
    o->set("@odata.type", rel->is_reseller_relationship
                              ? "#microsoft.graph.resellerDelegatedAdminRelationship"
                              : "#microsoft.graph.delegatedAdminRelationship");
    o->set("@odata.etag", "W/\"JyIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiJw==\"");
    o->set("id", rel->id);
    o->set("displayName", rel->display_name);
    o->set("duration", opt(rel->duration));
    auto customer = obj();
    customer->set("tenantId", t->id);
    customer->set("displayName", t->name);
    o->set("customer", customer);
    auto access = obj();
    Array::Ptr roles = new Array();
    for (const auto& role : rel->role_definition_ids) {
      auto ro = obj();
      ro->set("roleDefinitionId", role);
      roles->add(ro);
    }
    access->set("unifiedRoles", roles);
    o->set("accessDetails", access);
    o->set("status", rel->status);
    o->set("autoExtendDuration", rel->auto_extend_duration.value_or("PT0S"));
    o->set("createdDateTime", optTime(rel->created_at));
    o->set("lastModifiedDateTime", optTime(rel->created_at));
    o->set("activatedDateTime", optTime(rel->activated_at));
    o->set("endDateTime", optTime(rel->end_at));
    if (rel->is_reseller_relationship) {
      o->set("indirectProviderTenantId", opt(rel->indirect_provider_tenant_id));
      o->set("isPartnerConsentPending", rel->partner_consent_pending);
    }
    value->add(o);
  }
  auto o = obj();
  o->set("@odata.context",
         r.base_url + "/graph/v1.0/$metadata#tenantRelationships/delegatedAdminRelationships");
  o->set("value", value);
  if (offset + top < our_relationships_.size())
    o->set("@odata.nextLink",
           r.base_url + "/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=" +
               std::to_string(top) + "&$skiptoken=" + pageToken(offset + top));
  return ok(o);
}

Response SimApi::organization(const tenants::Tenant& t) {
  if (!t.verified_domains)
    return graphError(403, "Authorization_RequestDenied",
                      "Insufficient privileges to complete the operation.", now());
  auto org = obj();
  org->set("id", t.id);
  org->set("deletedDateTime", Var());
  org->set("businessPhones", Array::Ptr(new Array()));
  org->set("city", Var());
  org->set("displayName", t.name);
  Array::Ptr mails = new Array();
  if (t.contacts)
    for (const auto& c : *t.contacts)
      if (c.source == "graph" && c.purpose == "technical_notification") mails->add(c.address);
  org->set("technicalNotificationMails", mails);
  org->set("securityComplianceNotificationMails", Array::Ptr(new Array()));
  org->set("createdDateTime", optTime(t.created_at));
  Array::Ptr domains = new Array();
  for (const auto& d : *t.verified_domains) {
    auto dom = obj();
    dom->set("capabilities", "Email, OfficeCommunicationsOnline");
    dom->set("isDefault", d == t.default_domain);
    dom->set("isInitial", endsWith(d, ".onmicrosoft.com"));
    dom->set("name", d);
    dom->set("type", "Managed");
    domains->add(dom);
  }
  org->set("verifiedDomains", domains);
  org->set("partnerTenantType", Var());
  Array::Ptr value = new Array();
  value->add(org);
  auto o = obj();
  o->set("@odata.context", "https://graph.microsoft.com/v1.0/$metadata#organization");
  o->set("value", value);
  return ok(o);
}

Response SimApi::partners(const tenants::Tenant& t) {
  if (!t.partners)
    return graphError(403, "Authorization_RequestDenied",
                      "Insufficient privileges to complete the operation.", now());
  Array::Ptr value = new Array();
  for (const auto& p : *t.partners) {
    auto o = obj();
    o->set("tenantId", p.tenant_id);
    o->set("isServiceProvider", p.is_service_provider);
    o->set("isInMultiTenantOrganization", false);
    o->set("inboundTrust", Var());
    o->set("b2bCollaborationOutbound", Var());
    o->set("b2bCollaborationInbound", Var());
    value->add(o);
  }
  auto o = obj();
  o->set("@odata.context",
         "https://graph.microsoft.com/v1.0/$metadata#policies/crossTenantAccessPolicy/partners");
  o->set("value", value);
  return ok(o);
}

}  // namespace cspwatch::sim
