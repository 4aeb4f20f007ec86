// SPDX-License-Identifier: Apache-2.0
// The simulator's world: our partner identity and every tenant, in the tenant model's form
// (docs/tenant-model.md), plus how each part shows through the APIs (docs/simulator.md):
//
//  - Partner Center lists the tenants with in_customer_list true (null counts as false);
//    /customers/{id} serves dap_enabled and the partner_center contacts, or answers 403 when
//    dap_enabled is null; /relationships answers 403 when indirect_relationships is null.
//  - Graph (partner side) lists only our own admin relationships: other partners' are not
//    visible from our tenant, as in Microsoft's service.
//  - Graph (customer side) serves /organization (verified domains, graph contacts, created)
//    or 403 when verified_domains is null, and /crossTenantAccessPolicy/partners or 403 when
//    partners is null.
//  - The inventory export holds the tenants whose sources include "inventory", with their
//    tags, onboarded date and inventory contacts.
//  - Graph's sendMail (partner side) sends as the partner tenant's mailboxes: every mailbox
//    when the world lists none, else only those listed, and not those an Exchange application
//    access policy keeps our app out of (app_access false).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/partner.h"
#include "common/status.h"
#include "tenants/tenant.h"

namespace cspwatch::sim {

// The role definition id of Entra's built-in Global Administrator role, as an admin
// relationship's role_definition_ids name it (the same in every tenant).
inline constexpr const char* kGlobalAdminRole = "62e90394-69f5-4237-9190-012177145e10";

// A mailbox in the partner tenant that alerts can be sent as (POST /users/{id}/sendMail).
struct Mailbox {
  std::string address;     // its user principal name / primary address, any case
  std::string id;          // its object id (lower-case GUID), or empty
  bool app_access = true;  // false: an application access policy refuses our app (403)
};

// What our access lets the services show of one tenant where Microsoft hides data instead of
// refusing the call (docs/simulator.md#worlds).
struct TenantAccess {
  // Graph /organization answers as to an app with only User.Read: id, displayName and
  // verifiedDomains, every other property null (Learn: organization-list).
  bool organization_basic_only = false;
};

// Another tenant as Graph's findTenantInformationByTenantId describes it.
struct DirectoryEntry {
  std::string tenant_id;
  std::string display_name;
  std::string default_domain;
};

struct World {
  PartnerIdentity partner;
  std::vector<tenants::Tenant> tenants;
  std::map<std::string, TenantAccess> access;  // by tenant id; absent: full access
  std::vector<DirectoryEntry> directory;       // tenants other than the world's own (partners)
  // The partner tenant's mailboxes; nullopt (the key absent): every mailbox exists and
  // accepts our app.
  std::optional<std::vector<Mailbox>> mailboxes;

  const tenants::Tenant* find(const std::string& tenant_id) const;
  TenantAccess accessOf(const std::string& tenant_id) const;
  // Whether Partner Center shows us a customer's company details (companyProfile.email,
  // .address, customDomains): "The Get Customer ID API call will not return the following
  // attributes ... if the partner doesn't have DAP access", and with GDAP one of the roles
  // get-a-customer-by-id lists (Global Administrator, Directory Writers, Global Reader; the
  // en-gb page: Domain Name Administrator) in an active relationship of ours.
  bool companyDetailsVisible(const tenants::Tenant& t) const;
  // The name and default domain of any tenant: a directory entry, a world tenant, or us.
  std::optional<DirectoryEntry> lookup(const std::string& tenant_id) const;
  // The listed mailbox whose address (case-insensitively) or id is `upn_or_id`, or null.
  const Mailbox* findMailbox(const std::string& upn_or_id) const;
};

// Reads {"partner": {...}, "tenants": [...]}; every problem is reported with its position.
Result<World> loadWorld(const std::string& path);
Result<World> parseWorld(const std::string& text, const std::string& file);
std::string worldToJson(const World& world);

// The inventory export of a world (JSON, docs/tenant-model.md#inventory-files).
std::string inventoryJson(const World& world);

}  // namespace cspwatch::sim
