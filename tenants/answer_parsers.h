// SPDX-License-Identifier: Apache-2.0
// Partner Center and Graph answers into the tenant model's parts, one function per endpoint.
// Pure: JSON in, parts out; every problem goes to the Strict reader, whose failure makes the
// part unknown (never empty). Shapes: docs/sources.md#the-calls and the documented examples
// under tests/contract/data/.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Poco/JSON/Object.h>

#include "tenants/partner_directory.h"
#include "tenants/strict_reader.h"
#include "tenants/tenant.h"

namespace cspwatch::tenants {

// One item of Partner Center GET /v1/customers: id, name, domain, relationship_to_partner.
std::optional<Tenant> customerFrom(const Poco::JSON::Object::Ptr& item, Strict& in);

// Partner Center GET /v1/customers/{id}.
struct CustomerDetails {
  bool dap_enabled = false;  // allowDelegatedAccess; absent: not granted (by-id answers only)
  std::optional<std::string> billing_email;
  // companyProfile.email; `company_email_hidden` when Partner Center withheld it: without DAP or
  // a GDAP role such as Global Reader it leaves out companyProfile.email, .address and
  // customDomains (get-a-customer-by-id). An email absent while the address or the custom
  // domains are present is a customer without one.
  std::optional<std::string> company_email;
  bool company_email_hidden = false;
};
CustomerDetails customerDetailsFrom(const Poco::JSON::Object::Ptr& body, Strict& in);

// One item of Partner Center GET /v1/customers/{id}/relationships.
std::optional<IndirectRelationship> indirectRelationshipFrom(const Poco::JSON::Object::Ptr& item,
                                                             Strict& in);

// One item of Graph delegatedAdminRelationships (partner side): the customer's tenant id and the
// relationship, or nullopt when it is not yet tied to a customer.
std::optional<std::pair<std::string, AdminRelationship>> adminRelationshipFrom(
    const Poco::JSON::Object::Ptr& item, const std::string& partner_tenant_id, Strict& in);

// Graph GET /organization (the one object of the collection).
struct OrganizationInfo {
  std::optional<std::vector<std::string>> verified_domains;  // lower-case; nullopt: null
  // technicalNotificationMails; nullopt when null, as for an app with only User.Read ("All
  // other properties return with null values", organization-list): unknown, not empty.
  std::optional<std::vector<std::string>> technical_mails;
  std::optional<Timestamp> created_at;
};
OrganizationInfo organizationFrom(const Poco::JSON::Object::Ptr& org, Strict& in);

// One item of Graph policies/crossTenantAccessPolicy/partners. isServiceProvider absent or null
// means not a service provider: Microsoft sets it on CSP relationships, and the documentation's
// example leaves it out of an ordinary B2B partner.
std::optional<CustomerPartner> customerPartnerFrom(const Poco::JSON::Object::Ptr& item, Strict& in);

// Graph GET tenantRelationships/findTenantInformationByTenantId(tenantId='...').
std::optional<TenantInfo> tenantInfoFrom(const Poco::JSON::Object::Ptr& body, Strict& in);

}  // namespace cspwatch::tenants
