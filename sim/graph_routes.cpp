// SPDX-License-Identifier: Apache-2.0
// The simulated Microsoft Graph (/graph/v1.0/...). Property names and types follow the v1.0
// metadata (tests/contract/data/graph-v1.0-types.json, checked by tests/contract/), values the
// documented examples; docs/simulator.md names the source of each route.
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
using Var = Poco::Dynamic::Var;

Var optTime(const std::optional<Timestamp>& t) { return t ? Var(formatTimestamp(*t)) : Var(); }
Var opt(const std::optional<std::string>& s) { return s ? Var(*s) : Var(); }

const char* kEtag = "W/\"JyIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiJw==\"";

Array::Ptr roleList(const std::vector<std::string>& ids) {
  Array::Ptr roles = new Array();
  for (const auto& role : ids) {
    auto ro = obj();
    ro->set("roleDefinitionId", role);
    roles->add(ro);
  }
  return roles;
}

}  // namespace

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
  // An app without the permission the route needs (--missing-permission, sim/permissions.h).
  if (auto d = graphPermissionDenied(login_.options().missing_permissions, path, token, now()))
    return *d;
  const bool partner_side = token.tenant_id == world_.partner.tenant_id;
  auto denied = [this] {
    return graphError(403, "Authorization_RequestDenied",
                      "Insufficient privileges to complete the operation.", now());
  };
  const std::string kUsersPrefix = "/v1.0/users/";
  if (startsWith(path, kUsersPrefix) && endsWith(toLowerAscii(path), "/sendmail") &&
      path.size() > kUsersPrefix.size() + 9) {
    count("requests POST /graph/v1.0/users/{id}/sendMail");
    return sendMail(r, token,
                    path.substr(kUsersPrefix.size(), path.size() - kUsersPrefix.size() - 9));
  }
  if (path == "/v1.0/tenantRelationships/delegatedAdminRelationships") {
    count("requests GET /graph/v1.0/tenantRelationships/delegatedAdminRelationships");
    if (!partner_side) return denied();
    return adminRelationships(r);
  }
  const std::string kRelPrefix = "/v1.0/tenantRelationships/delegatedAdminRelationships/";
  if (startsWith(path, kRelPrefix) && endsWith(path, "/accessAssignments")) {
    count(
        "requests GET "
        "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/{id}/accessAssignments");
    if (!partner_side) return denied();
    return accessAssignments(r,
                             path.substr(kRelPrefix.size(), path.size() - kRelPrefix.size() - 18));
  }
  const std::string kFind = "/v1.0/tenantRelationships/findTenantInformationByTenantId(";
  if (startsWith(path, kFind) && endsWith(path, ")")) {
    count("requests GET /graph/v1.0/tenantRelationships/findTenantInformationByTenantId");
    return tenantInformation(r, path.substr(kFind.size(), path.size() - kFind.size() - 1));
  }
  if (path == "/v1.0/contracts") {
    count("requests GET /graph/v1.0/contracts");
    if (!partner_side) return denied();
    return contracts(r);
  }
  if (path == "/v1.0/organization" || path == "/v1.0/policies/crossTenantAccessPolicy/partners") {
    const bool org = path == "/v1.0/organization";
    count(org ? "requests GET /graph/v1.0/organization"
              : "requests GET /graph/v1.0/policies/crossTenantAccessPolicy/partners");
    const tenants::Tenant* t = world_.find(token.tenant_id);
    if (t == nullptr) return denied();
    return org ? organization(r, *t) : partners(r, *t);
  }
  return graphError(404, "Request_ResourceNotFound", "Resource '" + path + "' does not exist.",
                    now());
}

Response SimApi::adminRelationships(const Request& r) {
  // "$top supports up to 300 objects" (tenantrelationship-list-delegatedadminrelationships).
  if (!r.param("$top").empty()) {
    long top = -1;
    try {
      top = std::stol(r.param("$top"));
    } catch (const std::exception&) {
    }
    if (top < 1 || top > 300)
      return graphError(400, "BadRequest", "The limit of '300' for Top query has been exceeded.",
                        now());
  }
  auto page = graphPage(r, profile_, "delegatedAdminRelationships", our_relationships_.size());
  if (!page) return graphError(400, "BadRequest", "Invalid $skiptoken.", now());
  Array::Ptr value = new Array();
  for (size_t i = page->begin; i < page->end; ++i) {
    const auto& [t, rel] = our_relationships_[i];
    auto o = obj();
    o->set("@odata.type", rel->is_reseller_relationship
                              ? "#microsoft.graph.resellerDelegatedAdminRelationship"
                              : "#microsoft.graph.delegatedAdminRelationship");
    o->set("@odata.etag", kEtag);
    o->set("id", rel->id);
    o->set("displayName", rel->display_name);
    o->set("duration", opt(rel->duration));
    auto customer = obj();
    customer->set("tenantId", t->id);
    customer->set("displayName", t->name);
    o->set("customer", customer);
    auto access = obj();
    access->set("unifiedRoles", roleList(rel->role_definition_ids));
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
  return ok(graphCollection(
      r,
      "https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships",
      value, *page));
}

Response SimApi::accessAssignments(const Request& r, const std::string& id) {
  for (const auto& [t, rel] : our_relationships_) {
    if (rel->id != id) continue;
    // One assignment while the relationship gives access: our admin agents' group holds its
    // roles.
    const size_t total = rel->status == "active" || rel->status == "expiring" ? 1 : 0;
    auto page = graphPage(r, profile_, "accessAssignments|" + id, total);
    if (!page) return graphError(400, "BadRequest", "Invalid $skiptoken.", now());
    Array::Ptr value = new Array();
    if (page->begin < page->end) {
      auto a = obj();
      a->set("@odata.etag", kEtag);
      a->set("id", rel->id.substr(0, 36));
      a->set("status", "active");
      auto container = obj();
      container->set("accessContainerId", "0b5e1a2c-7d3f-4e9a-8c61-2f4b6d8a1c35");
      container->set("accessContainerType", "securityGroup");
      a->set("accessContainer", container);
      auto details = obj();
      details->set("unifiedRoles", roleList(rel->role_definition_ids));
      a->set("accessDetails", details);
      a->set("createdDateTime", optTime(rel->activated_at));
      a->set("lastModifiedDateTime", optTime(rel->activated_at));
      value->add(a);
    }
    return ok(graphCollection(r,
                              "https://graph.microsoft.com/v1.0/$metadata#tenantRelationships/"
                              "delegatedAdminRelationships('" +
                                  id + "')/accessAssignments",
                              value, *page));
  }
  return graphError(404, "Request_ResourceNotFound", "Resource '" + id + "' does not exist.",
                    now());
}

Response SimApi::contracts(const Request& r) {
  // DAP-era contracts: one per customer that still has DAP (the partnership's snapshot).
  std::vector<const tenants::Tenant*> with_dap;
  for (const auto* t : customers_)
    if (t->dap_enabled.value_or(false)) with_dap.push_back(t);
  auto page = graphPage(r, profile_, "contracts", with_dap.size());
  if (!page) return graphError(400, "BadRequest", "Invalid $skiptoken.", now());
  Array::Ptr value = new Array();
  for (size_t i = page->begin; i < page->end; ++i) {
    const tenants::Tenant* t = with_dap[i];
    auto c = obj();
    c->set("id", t->id.substr(0, 24) + "c0c0c0c0c0c0");  // a GUID of its own
    c->set("deletedDateTime", Var());
    c->set("contractType", "ResellerPartner");
    c->set("customerId", t->id);
    c->set("defaultDomainName", t->default_domain);
    c->set("displayName", t->name);
    value->add(c);
  }
  return ok(
      graphCollection(r, "https://graph.microsoft.com/v1.0/$metadata#contracts", value, *page));
}

Response SimApi::tenantInformation(const Request&, const std::string& arguments) {
  // tenantId='<guid>' (tenantrelationship-findtenantinformationbytenantid).
  const std::string kArg = "tenantId=";
  std::string id = startsWith(arguments, kArg) ? arguments.substr(kArg.size()) : "";
  if (id.size() >= 2 && id.front() == '\'' && id.back() == '\'') id = id.substr(1, id.size() - 2);
  auto guid = normalizeGuid(id);
  if (!guid)
    return graphError(400, "Request_BadRequest",
                      "Invalid value specified for property 'tenantId' of resource "
                      "'TenantInformation'.",
                      now());
  // An unknown tenant: the documentation does not say; a 404 is assumed (docs/simulator.md).
  auto entry = world_.lookup(*guid);
  if (!entry)
    return graphError(404, "Request_ResourceNotFound",
                      "Resource '" + *guid +
                          "' does not exist or one of its queried reference-"
                          "property objects are not present.",
                      now());
  auto o = obj();
  o->set("@odata.context",
         "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.tenantInformation");
  o->set("tenantId", entry->tenant_id);
  o->set("federationBrandName", Var());
  o->set("displayName", entry->display_name);
  o->set("defaultDomainName", entry->default_domain);
  return ok(o);
}

Response SimApi::organization(const Request& r, const tenants::Tenant& t) {
  if (!t.verified_domains)
    return graphError(403, "Authorization_RequestDenied",
                      "Insufficient privileges to complete the operation.", now());
  // With only User.Read, "only the id, displayName, and verifiedDomains properties ... All
  // other properties return with null values" (organization-list).
  // Also on behalf of a user when the app lacks Organization.Read.All (sim/permissions.h).
  AccessToken caller;
  const bool basic = world_.accessOf(t.id).organization_basic_only ||
                     (login_.validate(r, now(), caller) == LoginService::Check::kOk &&
                      organizationBasicOnly(login_.options().missing_permissions, caller));
  auto full = [basic](Var v) { return basic ? Var() : v; };
  auto strings = [](const std::vector<std::string>& v) {
    Array::Ptr a = new Array();
    for (const auto& s : v) a->add(s);
    return a;
  };
  std::vector<std::string> mails;
  if (t.contacts)
    for (const auto& c : *t.contacts)
      if (c.source == tenants::kSourceGraph &&
          c.purpose == tenants::kPurposeTechnicalNotification && !c.unread)
        mails.push_back(c.address);
  const bool nz = std::find(t.tags.begin(), t.tags.end(), "region:nz") != t.tags.end();
  auto org = obj();
  org->set("id", t.id);
  org->set("deletedDateTime", Var());
  org->set("businessPhones", full(strings({"0200000000"})));
  org->set("city", full(nz ? "Auckland" : "Sydney"));
  org->set("country", Var());
  org->set("countryLetterCode", full(nz ? "NZ" : "AU"));
  org->set("createdDateTime", full(optTime(t.created_at)));
  org->set("defaultUsageLocation", Var());
  org->set("displayName", t.name);
  org->set("marketingNotificationEmails", full(strings({})));
  org->set("onPremisesLastSyncDateTime", Var());
  org->set("onPremisesSyncEnabled", Var());
  org->set("partnerTenantType", Var());
  org->set("postalCode", Var());
  org->set("preferredLanguage", full("en"));
  org->set("securityComplianceNotificationMails", full(strings({})));
  org->set("securityComplianceNotificationPhones", full(strings({})));
  org->set("state", Var());
  org->set("street", Var());
  org->set("technicalNotificationMails", full(strings(mails)));
  org->set("tenantType", full("AAD"));
  org->set("assignedPlans", full(Array::Ptr(new Array())));
  org->set("provisionedPlans", full(Array::Ptr(new Array())));
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
  // "There's only one organization object in the collection"; it may still come on a later
  // page than the first (an empty first page).
  auto page = graphPage(r, profile_, "organization|" + t.id, 1);
  if (!page) return graphError(400, "BadRequest", "Invalid $skiptoken.", now());
  Array::Ptr value = new Array();
  if (page->begin < page->end) value->add(org);
  return ok(
      graphCollection(r, "https://graph.microsoft.com/v1.0/$metadata#organization", value, *page));
}

Response SimApi::partners(const Request& r, const tenants::Tenant& t) {
  if (!t.partners)
    return graphError(403, "Authorization_RequestDenied",
                      "Insufficient privileges to complete the operation.", now());
  auto page = graphPage(r, profile_, "partners|" + t.id, t.partners->size());
  if (!page) return graphError(400, "BadRequest", "Invalid $skiptoken.", now());
  Array::Ptr value = new Array();
  for (size_t i = page->begin; i < page->end; ++i) {
    const auto& p = (*t.partners)[i];
    auto o = obj();
    o->set("tenantId", p.tenant_id);
    o->set("inboundTrust", Var());
    auto consent = obj();
    consent->set("inboundAllowed", Var());
    consent->set("outboundAllowed", Var());
    o->set("automaticUserConsentSettings", consent);
    o->set("b2bCollaborationInbound", Var());
    o->set("b2bCollaborationOutbound", Var());
    o->set("b2bDirectConnectOutbound", Var());
    o->set("b2bDirectConnectInbound", Var());
    // Microsoft sets isServiceProvider on CSP relationships; on other partners the
    // documentation's example leaves it out, so it comes as false, null or not at all.
    if (p.is_service_provider) {
      o->set("isServiceProvider", true);
    } else {
      const uint64_t form = profile_.pick("isServiceProvider|" + t.id + "|" + p.tenant_id, 3);
      if (form == 0) o->set("isServiceProvider", false);
      if (form == 1) o->set("isServiceProvider", Var());
    }
    o->set("isInMultiTenantOrganization", false);
    value->add(o);
  }
  return ok(graphCollection(
      r, "https://graph.microsoft.com/v1.0/$metadata#policies/crossTenantAccessPolicy/partners",
      value, *page));
}

}  // namespace cspwatch::sim
