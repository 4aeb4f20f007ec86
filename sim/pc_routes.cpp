// SPDX-License-Identifier: Apache-2.0
// The simulated Partner Center (/pc/v1/...): shapes from the documented example responses in
// tests/contract/data/partner-center/ (get-a-list-of-customers, get-a-customer-by-id,
// get-indirect-resellers-of-a-customer, request-reseller-relationship); docs/simulator.md names
// the source of each.
#include <algorithm>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/guid.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/json_util.h"
#include "sim/paging.h"
#include "sim/permissions.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Var = Poco::Dynamic::Var;

Object::Ptr attributes(const char* object_type) {
  auto a = obj();
  a->set("objectType", object_type);
  return a;
}

// {"self": {"uri", "method", "headers"}}, the URI without /v1 as in the by-id example.
Object::Ptr selfLink(const std::string& uri) {
  auto self = obj();
  self->set("uri", uri);
  self->set("method", "GET");
  self->set("headers", Array::Ptr(new Array()));
  auto links = obj();
  links->set("self", self);
  return links;
}

std::string firstContact(const tenants::Tenant& t, const char* purpose) {
  if (t.contacts)
    for (const auto& c : *t.contacts)
      if (c.purpose == purpose && c.source == tenants::kSourcePartnerCenter && !c.unread)
        return c.address;
  return "";
}

// The world holds no postal addresses; the documented shape is filled with the tenant's
// country (from its region tag) and placeholders.
Object::Ptr address(const tenants::Tenant& t, bool billing) {
  const bool nz = std::find(t.tags.begin(), t.tags.end(), "region:nz") != t.tags.end();
  auto a = obj();
  a->set("country", nz ? "NZ" : "AU");
  if (!billing) a->set("region", nz ? "AUK" : "NSW");
  a->set("city", nz ? "Auckland" : "Sydney");
  if (billing) a->set("state", nz ? "AUK" : "NSW");
  a->set("addressLine1", "1 Example Street");
  a->set("postalCode", nz ? "1010" : "2000");
  if (billing) {
    a->set("firstName", "Accounts");
    a->set("lastName", "Payable");
  }
  a->set("phoneNumber", "0200000000");
  return a;
}

}  // namespace

Response SimApi::partnerCenter(const Request& r, const std::string& path) {
  AccessToken token;
  switch (login_.validate(r, now(), token)) {
    case LoginService::Check::kMissing:
      count("requests GET /pc (unauthenticated)");
      return partnerCenterError(401, 900401, "Authorization header is missing");
    case LoginService::Check::kInvalid:
    case LoginService::Check::kExpired:
      count("requests GET /pc (unauthenticated)");
      return partnerCenterError(401, 900401, "The access token is invalid or has expired");
    case LoginService::Check::kOk:
      break;
  }
  if (token.audience != "pc" || token.tenant_id != world_.partner.tenant_id)
    return partnerCenterError(401, 900401,
                              "The token is not for Partner Center in the partner tenant");
  if (auto t = throttled("pc:" + token.tenant_id, true)) return *t;
  if (auto o = overridden(r, token.tenant_id)) return *o;
  // An app or user without what the route needs (--missing-permission, sim/permissions.h).
  if (auto d = partnerCenterPermissionDenied(login_.options().missing_permissions, path, token))
    return *d;
  // Only /v1 is served: a client that follows a link without putting /v1 back gets a 404.
  auto parts = split(path, '/');  // "", "v1", "customers", ...
  if (parts.size() < 3 || parts[1] != "v1" || parts[2] != "customers")
    return partnerCenterError(404, 600001, "Resource not found");
  if (parts.size() == 3) {
    count("requests GET /pc/v1/customers");
    return customers(r);
  }
  if (parts.size() == 4 && parts[3] == "relationshiprequests") {
    count("requests GET /pc/v1/customers/relationshiprequests");
    if (token.app_only)
      return partnerCenterError(403, 900403, "This operation requires App+User authentication");
    auto o = obj();
    o->set("url",
           "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=" +
               world_.partner.tenant_id +
               "&msppId=0&DAP=false#/BillingAccounts/partner-invitation");
    o->set("attributes", attributes("RelationshipRequest"));
    return ok(o);
  }
  auto id = normalizeGuid(parts[3]);
  const tenants::Tenant* t = id ? world_.find(*id) : nullptr;
  if (t == nullptr || !t->in_customer_list.value_or(false))
    return partnerCenterError(404, 600026, "Customer not found: " + parts[3]);
  if (parts.size() == 4) {
    count("requests GET /pc/v1/customers/{id}");
    return customer(*t);
  }
  if (parts.size() == 5 && parts[4] == "relationships") {
    count("requests GET /pc/v1/customers/{id}/relationships");
    if (token.app_only)
      return partnerCenterError(403, 900403, "This operation requires App+User authentication");
    return relationships(r, *t);
  }
  return partnerCenterError(404, 600001, "Resource not found");
}

Response SimApi::customers(const Request& r) {
  auto page = partnerCenterPage(r, profile_, "customers", customers_.size());
  if (!page) return partnerCenterError(400, 2000, "The continuation token is missing or invalid");
  Array::Ptr items = new Array();
  for (size_t i = page->begin; i < page->end; ++i) {
    const tenants::Tenant& t = *customers_[i];
    // The list's items carry less than the customer by id (get-a-list-of-customers example).
    auto c = obj();
    c->set("id", t.id);
    auto company = obj();
    company->set("tenantId", t.id);
    company->set("domain", t.default_domain);
    company->set("companyName", t.name);
    company->set("attributes", attributes("CustomerCompanyProfile"));
    c->set("companyProfile", company);
    c->set("relationshipToPartner", t.relationship_to_partner.value_or("reseller"));
    c->set("attributes", attributes("Customer"));
    items->add(c);
  }
  return ok(partnerCenterCollection(profile_, "customers", "customers", items, *page));
}

Response SimApi::customer(const tenants::Tenant& t) {
  if (!t.dap_enabled)
    return partnerCenterError(403, 900403, "Insufficient permissions to read this customer");
  // Without DAP and without a GDAP role such as Global Reader, "The Get Customer ID API call
  // will not return ... CompanyProfileAddress, CompanyProfileEmail, CustomDomain"
  // (get-a-customer-by-id).
  const bool hidden = !world_.companyDetailsVisible(t);
  auto o = obj();
  o->set("id", t.id);
  o->set("commerceId", t.id);
  auto company = obj();
  company->set("tenantId", t.id);
  company->set("domain", t.default_domain);
  company->set("companyName", t.name);
  if (!hidden) {
    company->set("address", address(t, false));
    const std::string email = firstContact(t, tenants::kPurposeCompany);
    if (!email.empty()) company->set("email", email);
  }
  company->set("links", selfLink("/customers/" + t.id + "/profiles/company"));
  company->set("attributes", attributes("CustomerCompanyProfile"));
  o->set("companyProfile", company);
  auto billing = obj();
  billing->set("id", t.id.substr(0, 8) + "-0000-4000-8000-000000000000");
  billing->set("firstName", "Accounts");
  billing->set("lastName", "Payable");
  const std::string billing_email = firstContact(t, tenants::kPurposeBilling);
  if (!billing_email.empty()) billing->set("email", billing_email);
  billing->set("culture", "en-AU");
  billing->set("language", "en");
  billing->set("companyName", t.name);
  billing->set("defaultAddress", address(t, true));
  billing->set("links", selfLink("/customers/" + t.id + "/profiles/billing"));
  auto battrs = obj();
  battrs->set("etag", "-4242348048554929329");
  battrs->set("objectType", "CustomerBillingProfile");
  billing->set("attributes", battrs);
  o->set("billingProfile", billing);
  o->set("relationshipToPartner", t.relationship_to_partner.value_or("reseller"));
  o->set("allowDelegatedAccess", *t.dap_enabled);
  if (!hidden) {
    Array::Ptr domains = new Array();
    for (const auto& d : t.verified_domains.value_or(std::vector<std::string>{t.default_domain}))
      domains->add(d);
    o->set("customDomains", domains);
  }
  o->set("links", selfLink("/customers/" + t.id));
  o->set("attributes", attributes("Customer"));
  return ok(o);
}

Response SimApi::relationships(const Request& r, const tenants::Tenant& t) {
  if (!t.indirect_relationships)
    return partnerCenterError(403, 900403, "Insufficient permissions to read relationships");
  const std::string key = "relationships|" + t.id;
  auto page = partnerCenterPage(r, profile_, key, t.indirect_relationships->size());
  if (!page) return partnerCenterError(400, 2000, "The continuation token is missing or invalid");
  Array::Ptr items = new Array();
  for (size_t i = page->begin; i < page->end; ++i) {
    const auto& rel = (*t.indirect_relationships)[i];
    auto item = obj();
    item->set("id", rel.tenant_id);
    item->set("name", rel.name);
    item->set("relationshipType", rel.type);
    if (rel.mpn_id) item->set("mpnId", *rel.mpn_id);
    item->set("attributes", attributes("PartnerRelationship"));
    items->add(item);
  }
  if (!page->has_next && page->begin == 0) {
    // One page: as documented, no links at all.
    auto o = obj();
    o->set("totalCount", static_cast<int64_t>(items->size()));
    o->set("items", items);
    o->set("attributes", attributes("Collection"));
    return ok(o);
  }
  return ok(
      partnerCenterCollection(profile_, key, "customers/" + t.id + "/relationships", items, *page));
}

}  // namespace cspwatch::sim
