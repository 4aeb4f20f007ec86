// SPDX-License-Identifier: Apache-2.0
// The tenant model: the one structure every source fills and every rule reads.
//
// Each part that a source may fail to fetch is a Known<T>. An unset Known means "we could not
// read it" (and fetch_problems says why), which is different from a read that found nothing
// (a known, empty list). Rules that touch an unknown part come out unknown, never pass or fail.
// Fields inside a known part that the API may omit are std::optional ("not given").
// The JSON form of every field is documented in docs/tenant-model.md; keep the two in step.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/time.h"

namespace cspwatch::tenants {

// A part of a tenant that a source may fail to read: empty optional = unknown.
template <typename T>
using Known = std::optional<T>;

// The parts a source reads separately; each can fail on its own (docs/tenant-model.md).
enum class Part {
  kCustomerList,     // Partner Center GET /v1/customers: in_customer_list, relationship_to_partner
  kCustomerDetails,  // Partner Center GET /v1/customers/{id}: dap_enabled, billing/company email
  kIndirectRelationships,  // Partner Center GET /v1/customers/{id}/relationships
  kAdminRelationships,     // Graph delegatedAdminRelationships (partner side)
  kOrganization,  // Graph /organization in the customer tenant: domains, notification mails
  kPartners,      // Graph crossTenantAccessPolicy/partners in the customer tenant
  kInventory,     // the distributor/CRM inventory export
};
const char* partName(Part p);  // "customer_list", ...
std::optional<Part> partFromName(const std::string& name);
const std::vector<std::string>& partNames();  // every name, in declaration order

// Where a tenant or a contact came from.
inline constexpr const char* kSourcePartnerCenter = "partner_center";
inline constexpr const char* kSourceGraph = "graph";
inline constexpr const char* kSourceInventory = "inventory";

// A partner as the customer tenant lists it (crossTenantAccessPolicy/partners).
// The customer-side list carries only the partner's tenant id; its name and default domain
// are looked up (Graph findTenantInformationByTenantId) and stay null when the lookup fails.
struct CustomerPartner {
  CustomerPartner() = default;
  CustomerPartner(std::string tenant_id_, std::optional<std::string> name_,
                  std::optional<std::string> mpn_id_, bool is_service_provider_,
                  std::optional<std::string> default_domain_ = std::nullopt)
      : tenant_id(std::move(tenant_id_)),
        name(std::move(name_)),
        mpn_id(std::move(mpn_id_)),
        is_service_provider(is_service_provider_),
        default_domain(std::move(default_domain_)) {}
  std::string tenant_id;                      // the partner's tenant
  std::optional<std::string> name;            // resolved display name, if known
  std::optional<std::string> mpn_id;          // Partner ID, if known
  bool is_service_provider = false;           // "is a Cloud Service Provider for your organization"
  std::optional<std::string> default_domain;  // resolved default domain, if known
};

// An indirect reseller/provider relationship from Partner Center /relationships.
struct IndirectRelationship {
  std::string tenant_id;  // the other partner's tenant
  std::string name;
  std::optional<std::string> mpn_id;
  std::string type;  // e.g. "is_indirect_cloud_solution_provider_of", "is_indirect_reseller_of"
};

// A DAP or GDAP admin relationship between a partner and this customer.
struct AdminRelationship {
  std::string id;
  std::string display_name;
  std::string kind;               // "gdap" or "dap"
  std::string partner_tenant_id;  // who holds the access
  std::string status;             // Graph status: active, approvalPending, expired, ...
  std::vector<std::string> role_definition_ids;  // Entra role template ids
  std::optional<Timestamp> created_at;
  std::optional<Timestamp> activated_at;
  std::optional<Timestamp> end_at;
  std::optional<std::string> duration;              // ISO 8601, e.g. "P730D"
  std::optional<std::string> auto_extend_duration;  // ISO 8601; "PT0S" = no auto-extend
  bool is_reseller_relationship = false;  // created by the distributor for us (reseller type)
  std::optional<std::string> indirect_provider_tenant_id;
  bool partner_consent_pending = false;  // reseller relationship still awaiting our consent
};

// Why an address is on file; the rules treat each purpose differently.
inline constexpr const char* kPurposeAdminCredentials = "admin_credentials";  // new-tenant admin
inline constexpr const char* kPurposeBilling = "billing";
inline constexpr const char* kPurposeCompany = "company";
inline constexpr const char* kPurposeTechnicalNotification = "technical_notification";
inline constexpr const char* kPurposeInvitation = "invitation";
const std::vector<std::string>& contactPurposes();

// An address on file. Knowledge is per contact: a contact a source could not read (a field a
// missing permission hides, a call that failed) is kept with `unread` saying why and what would
// fix it, and an empty address; rules see its address as unknown, so that contact is
// could-not-check while the contacts that were read are checked as usual.
struct ContactEmail {
  ContactEmail() = default;
  ContactEmail(std::string address_, std::string purpose_, std::string source_,
               std::optional<std::string> unread_ = std::nullopt)
      : address(std::move(address_)),
        purpose(std::move(purpose_)),
        source(std::move(source_)),
        unread(std::move(unread_)) {}
  std::string address;                // empty when unread
  std::string purpose;                // one of contactPurposes()
  std::string source;                 // kSourcePartnerCenter, kSourceGraph or kSourceInventory
  std::optional<std::string> unread;  // why it could not be read; nullopt when it was
};

struct FetchProblem {
  std::string part;    // partName()
  std::string reason;  // for people: "HTTP 403 Forbidden: no GDAP access", ...
};

struct Tenant {
  // Identity: always known, since a tenant exists only because some source reported it.
  std::string id;  // lower-case GUID
  std::string name;
  std::string default_domain;
  std::vector<std::string> tags;     // operator's tags, from the inventory
  std::vector<std::string> sources;  // which sources know it: partner_center, inventory

  Known<std::vector<std::string>> verified_domains;    // from the customer's organization
  Known<bool> in_customer_list;                        // in our Partner Center customer list?
  std::optional<std::string> relationship_to_partner;  // PC: reseller, advisor, none, ...

  Known<std::vector<CustomerPartner>> partners;  // seen from the customer side
  Known<std::vector<IndirectRelationship>> indirect_relationships;
  Known<std::vector<AdminRelationship>> admin_relationships;
  Known<bool> dap_enabled;  // allowDelegatedAccess for us
  Known<std::vector<ContactEmail>> contacts;

  std::optional<Timestamp> created_at;    // tenant creation (organization.createdDateTime)
  std::optional<Timestamp> onboarded_at;  // first time we knew it
  std::vector<FetchProblem> fetch_problems;

  bool hasSource(const std::string& source) const;
  void addSource(const std::string& source);  // keeps `sources` unique and sorted
};

}  // namespace cspwatch::tenants
