// SPDX-License-Identifier: Apache-2.0
#include "tenants/answer_parsers.h"

namespace cspwatch::tenants {

using Poco::JSON::Object;

std::optional<Tenant> customerFrom(const Object::Ptr& item, Strict& in) {
  auto id = in.guid(item, "id");
  auto profile = in.object(item, "companyProfile");
  auto name = in.string(profile, "companyName");
  auto domain = in.string(profile, "domain");
  auto relationship = in.string(item, "relationshipToPartner");
  if (!id) return std::nullopt;
  Tenant t;
  t.id = *id;
  t.name = name.value_or("");
  t.default_domain = toLowerAscii(domain.value_or(""));
  t.relationship_to_partner = relationship;
  t.addSource(kSourcePartnerCenter);
  return t;
}

CustomerDetails customerDetailsFrom(const Object::Ptr& d, Strict& in) {
  CustomerDetails out;
  out.dap_enabled = in.boolean(d, "allowDelegatedAccess").value_or(false);
  if (auto e = in.string(in.object(d, "billingProfile"), "email"); e && !e->empty())
    out.billing_email = *e;
  auto company = in.object(d, "companyProfile");
  if (auto e = in.string(company, "email"); e && !e->empty()) {
    out.company_email = *e;
  } else {
    // Withheld, not absent: the three fields Partner Center leaves out together.
    const bool address = company && company->has("address") && !company->isNull("address");
    const bool domains = d && d->has("customDomains") && !d->isNull("customDomains");
    out.company_email_hidden = !address && !domains;
  }
  return out;
}

std::optional<IndirectRelationship> indirectRelationshipFrom(const Object::Ptr& item, Strict& in) {
  auto id = in.guid(item, "id");
  auto name = in.string(item, "name");
  auto mpn = in.string(item, "mpnId");
  auto type = in.string(item, "relationshipType");
  if (!id) return std::nullopt;
  return IndirectRelationship{*id, name.value_or(""), mpn, type.value_or("")};
}

std::optional<std::pair<std::string, AdminRelationship>> adminRelationshipFrom(
    const Object::Ptr& o, const std::string& us, Strict& in) {
  auto customer = in.object(o, "customer");
  if (!customer) return std::nullopt;  // not yet tied to a customer
  // An open invitation (status "created") may carry a customer whose tenantId is still null or
  // empty: also not yet tied to a customer, not a malformed answer.
  if (auto tid = in.string(customer, "tenantId"); !tid || tid->empty()) return std::nullopt;
  auto customer_id = in.guid(customer, "tenantId");
  auto id = in.string(o, "id", true);
  if (!customer_id || !id) return std::nullopt;
  AdminRelationship r;
  r.id = *id;
  r.display_name = in.string(o, "displayName").value_or("");
  r.kind = "gdap";
  r.partner_tenant_id = us;
  r.status = in.string(o, "status").value_or("unknownFutureValue");
  if (auto access = in.object(o, "accessDetails")) {
    if (auto roles = in.list(access, "unifiedRoles", false)) {
      for (size_t i = 0; i < roles->size(); ++i) {
        auto role = in.string(in.item(roles, i, "unifiedRoles"), "roleDefinitionId");
        if (!role) continue;
        if (auto g = normalizeGuid(*role))
          r.role_definition_ids.push_back(*g);
        else
          in.fail("a roleDefinitionId is not a GUID");
      }
    }
  }
  r.created_at = in.time(o, "createdDateTime");
  r.activated_at = in.time(o, "activatedDateTime");
  r.end_at = in.time(o, "endDateTime");
  r.duration = in.string(o, "duration");
  r.auto_extend_duration = in.string(o, "autoExtendDuration");
  const std::string type = in.string(o, "@odata.type").value_or("");
  r.is_reseller_relationship = type.find("resellerDelegatedAdminRelationship") != std::string::npos;
  if (auto p = in.string(o, "indirectProviderTenantId"))
    r.indirect_provider_tenant_id = normalizeGuid(*p);
  r.partner_consent_pending = in.boolean(o, "isPartnerConsentPending").value_or(false);
  return std::make_pair(*customer_id, r);
}

OrganizationInfo organizationFrom(const Object::Ptr& o, Strict& in) {
  OrganizationInfo out;
  if (o && o->isArray("verifiedDomains")) {
    std::vector<std::string> domains;
    auto ds = o->getArray("verifiedDomains");
    for (size_t i = 0; i < ds->size() && in.ok(); ++i)
      if (auto name = in.string(in.item(ds, i, "verifiedDomains"), "name", true))
        domains.push_back(toLowerAscii(*name));
    out.verified_domains = domains;
  } else if (o && o->has("verifiedDomains") && !o->isNull("verifiedDomains")) {
    in.fail("'verifiedDomains' is not a list");
  }
  out.technical_mails = in.strings(o, "technicalNotificationMails");
  out.created_at = in.time(o, "createdDateTime");
  return out;
}

std::optional<CustomerPartner> customerPartnerFrom(const Object::Ptr& item, Strict& in) {
  auto id = in.guid(item, "tenantId");
  auto provider = in.boolean(item, "isServiceProvider");
  if (!id) return std::nullopt;
  CustomerPartner p;
  p.tenant_id = *id;
  p.is_service_provider = provider.value_or(false);
  return p;
}

std::optional<TenantInfo> tenantInfoFrom(const Object::Ptr& body, Strict& in) {
  auto id = in.guid(body, "tenantId");
  auto name = in.string(body, "displayName");
  auto domain = in.string(body, "defaultDomainName");
  if (!id || !in.ok() || (!name && !domain)) return std::nullopt;
  TenantInfo info;
  info.tenant_id = *id;
  info.display_name = name.value_or("");
  info.default_domain = toLowerAscii(domain.value_or(""));
  return info;
}

}  // namespace cspwatch::tenants
