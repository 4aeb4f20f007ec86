// SPDX-License-Identifier: Apache-2.0
// The live source's merge, pure: what the lists (our Partner Center customers, our GDAP
// relationships) and the inventory export say of each tenant before it is read on its own, and
// what each per-tenant read makes of it. No HTTP: PartnerCenterSource reads, this decides what
// the answers mean for the model (tests/tenants/tenant_merge_test.cpp pins it).
//
// A part that could not be read becomes a fetch problem on the tenant, its reason the failed
// read's Status message (redacted again here, where it becomes a could-not-check reason), and
// each contact that part carries becomes an unread contact: the rules that need it come out
// unknown, never "none". A tenant that is not our customer has no DAP, no Partner Center
// relationship and no Partner Center contact of ours: those are known to be none.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/status.h"
#include "tenants/answer_parsers.h"
#include "tenants/fetch_plan.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant.h"

namespace cspwatch::tenants {

// The lists as read: each its entries, or why it could not be read (the message tenants quote).
// A list with a malformed entry is not read at all: a customer left out would look like one that
// lost our reseller relationship.
struct ListsRead {
  Result<std::map<std::string, Tenant>> customers;  // by tenant id, as customerFrom() gives them
  // By customer tenant id, in the list's order (adminRelationshipFrom()).
  Result<std::map<std::string, std::vector<AdminRelationship>>> relationships;
};

// A tenant to read on its own, with what the lists and the inventory say of it.
struct TenantToRead {
  Tenant tenant;
  // In our customer list; nullopt when the list could not be read.
  std::optional<bool> customer;
};

struct MergedLists {
  // Every tenant a list or the inventory knows, in a stable order: the customers by id, then
  // the inventory's others in its order. Relationships of a tenant in neither are not read.
  std::vector<TenantToRead> tenants;
  size_t customers = 0;  // in the customer list
  bool complete = true;  // both lists were read
  // A list that could not be read (an error each), then the inventory's diagnostics.
  Diagnostics problems;
  // Set when both lists failed as unavailable (Partner Center and Graph unreachable): the
  // reason every per-tenant part gives, as asking again tenant by tenant would only wait out
  // every retry (see everyPartUnknown()).
  std::optional<std::string> unreachable;
};

// Merges the lists with `inventory` (may be null; each id in it once, as its readers give it).
// A customer keeps its list's name and domain unless they are empty, and takes the inventory's
// tags, onboarding date and contacts; a tenant only in the inventory is its inventory record.
// Contacts are known for every tenant: the inventory's (none without an inventory), or, for a
// tenant not in an inventory with unreadable rows, one unread admin contact.
MergedLists mergeLists(ListsRead lists, const Inventory* inventory);

// Each per-tenant read's answer, or why it could not be read, into `t`. The contacts it carries
// are added to t.contacts.
void mergeCustomerDetails(Tenant& t, const Result<CustomerDetails>& details);
void mergeIndirectRelationships(Tenant& t, Result<std::vector<IndirectRelationship>> list);
void mergeOrganization(Tenant& t, const Result<OrganizationInfo>& organization);
void mergePartners(Tenant& t, Result<std::vector<CustomerPartner>> partners);

// Not our customer: no DAP and no indirect relationship, known.
void notOurCustomer(Tenant& t);
// The customer list could not be read, so whether `t` is our customer is unknown, and so are
// DAP, our Partner Center relationships and the billing and company email. (Reading them as
// "none", as for a tenant that is not our customer, resolved a DAP finding: found by the
// bad-input corpus.) Only the parts `plan` fetches: a part left out is not a fetch problem.
void customerPartsUnknown(Tenant& t, const FetchPlan& plan = FetchPlan::everything());
// Every per-tenant part `plan` fetches unknown for `why` (MergedLists::unreachable).
void everyPartUnknown(Tenant& t, const std::string& why,
                      const FetchPlan& plan = FetchPlan::everything());

}  // namespace cspwatch::tenants
