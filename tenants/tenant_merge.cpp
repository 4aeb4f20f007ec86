// SPDX-License-Identifier: Apache-2.0
#include "tenants/tenant_merge.h"

#include "common/redact.h"
#include "tenants/read_advice.h"

namespace cspwatch::tenants {

namespace {

// Reasons may quote a server's words (msapi passes them through outsideText); redacted again
// here, where they become could-not-check reasons.
void problem(Tenant& t, Part part, const std::string& why) {
  t.fetch_problems.push_back({partName(part), redactSecrets(why)});
}

void contact(Tenant& t, ContactEmail c) {
  if (!t.contacts) t.contacts.emplace();
  t.contacts->push_back(std::move(c));
}

// A contact that could not be read: its address unknown, `why` saying what would fix it.
void unread(Tenant& t, const char* purpose, const char* source, const std::string& why) {
  contact(t, {"", purpose, source, redactSecrets(why)});
}

// The reason an unread contact gives when the call that carries it failed: the part and its
// problem, so that contacts sharing one failed call share one could-not-check item.
std::string notRead(Part part, const std::string& why) {
  return std::string(partName(part)) + " could not be read: " + why;
}

// A list's failure: the scan is partial, and says why.
void listFailed(MergedLists& out, const char* code, const std::string& list, const Status& why) {
  out.complete = false;
  out.problems.error(code, {}, list + " could not be read: " + redactSecrets(why.message()));
}

// What the inventory says of `t`: `record` is its inventory record, or null when it has none.
void mergeInventory(Tenant& t, const Tenant* record, const Inventory* inventory) {
  if (record != nullptr) {
    t.addSource(kSourceInventory);
    if (t.name.empty()) t.name = record->name;
    if (t.default_domain.empty()) t.default_domain = record->default_domain;
    t.tags = record->tags;
    t.onboarded_at = record->onboarded_at;
    t.contacts = record->contacts.value_or(std::vector<ContactEmail>{});
  } else if (inventory != nullptr && inventory->unreadable > 0) {
    // Not in an inventory that has rows it could not read: this tenant's row may be one of
    // them, so what the inventory says of it (the admin address given at creation) is unknown,
    // not empty.
    const std::string why = std::to_string(inventory->unreadable) +
                            " inventory row(s) could not be read; this tenant's may be one";
    problem(t, Part::kInventory, why);
    t.contacts = std::vector<ContactEmail>{};
    unread(t, kPurposeAdminCredentials, kSourceInventory, notRead(Part::kInventory, why));
  } else {
    t.contacts = std::vector<ContactEmail>{};
  }
}

// What the lists say of `t`.
void mergeListEntries(Tenant& t, const ListsRead& lists) {
  if (lists.customers)
    t.in_customer_list = lists.customers->count(t.id) > 0;
  else
    problem(t, Part::kCustomerList, lists.customers.status().message());
  if (lists.relationships) {
    auto it = lists.relationships->find(t.id);
    t.admin_relationships =
        it != lists.relationships->end() ? it->second : std::vector<AdminRelationship>{};
  } else {
    problem(t, Part::kAdminRelationships, lists.relationships.status().message());
  }
}

// Every tenant either list knows, customers first: their entries are moved out of the list.
std::vector<TenantToRead> tenantsToRead(ListsRead& lists, const Inventory* inventory) {
  std::vector<TenantToRead> out;
  if (lists.customers)
    for (auto& [id, t] : *lists.customers) out.push_back({std::move(t), true});
  const std::optional<bool> listed =
      lists.customers ? std::optional<bool>(false) : std::nullopt;  // unknown without the list
  if (inventory != nullptr)
    for (const auto& t : inventory->tenants)
      if (!lists.customers || !lists.customers->count(t.id)) out.push_back({t, listed});
  return out;
}

}  // namespace

MergedLists mergeLists(ListsRead lists, const Inventory* inventory) {
  MergedLists out;
  if (!lists.customers)
    listFailed(out, "source.customer-list", "the Partner Center customer list",
               lists.customers.status());
  if (!lists.relationships)
    listFailed(out, "source.admin-relationships", "the GDAP relationship list",
               lists.relationships.status());
  if (inventory != nullptr) out.problems.append(inventory->diagnostics);
  if (!lists.customers && !lists.relationships &&
      lists.customers.status().code() == Status::Code::kUnavailable &&
      lists.relationships.status().code() == Status::Code::kUnavailable)
    out.unreachable = "not read: " + lists.relationships.status().message();

  out.customers = lists.customers ? lists.customers->size() : 0;
  out.tenants = tenantsToRead(lists, inventory);
  std::map<std::string, const Tenant*> records;
  if (inventory != nullptr)
    for (const auto& t : inventory->tenants) records[t.id] = &t;
  for (auto& w : out.tenants) {
    auto record = records.find(w.tenant.id);
    mergeInventory(w.tenant, record != records.end() ? record->second : nullptr, inventory);
    mergeListEntries(w.tenant, lists);
  }
  return out;
}

void mergeCustomerDetails(Tenant& t, const Result<CustomerDetails>& details) {
  if (!details) {
    const std::string why = details.status().message();
    problem(t, Part::kCustomerDetails, why);
    unread(t, kPurposeBilling, kSourcePartnerCenter, notRead(Part::kCustomerDetails, why));
    unread(t, kPurposeCompany, kSourcePartnerCenter, notRead(Part::kCustomerDetails, why));
    return;
  }
  t.dap_enabled = details->dap_enabled;
  if (details->billing_email)
    contact(t, {*details->billing_email, kPurposeBilling, kSourcePartnerCenter});
  if (details->company_email)
    contact(t, {*details->company_email, kPurposeCompany, kSourcePartnerCenter});
  else if (details->company_email_hidden)
    unread(t, kPurposeCompany, kSourcePartnerCenter, kCompanyEmailHidden);
}

void mergeIndirectRelationships(Tenant& t, Result<std::vector<IndirectRelationship>> list) {
  if (list)
    t.indirect_relationships = std::move(*list);
  else
    problem(t, Part::kIndirectRelationships, list.status().message());
}

void mergeOrganization(Tenant& t, const Result<OrganizationInfo>& organization) {
  if (!organization) {
    const std::string why = organization.status().message();
    problem(t, Part::kOrganization, why);
    unread(t, kPurposeTechnicalNotification, kSourceGraph, notRead(Part::kOrganization, why));
    return;
  }
  const OrganizationInfo& info = *organization;
  if (info.verified_domains)
    t.verified_domains = *info.verified_domains;
  else
    problem(t, Part::kOrganization,
            "Graph returned verifiedDomains as null; " + whatWouldFix(Call::kOrganization));
  if (info.technical_mails) {
    for (const auto& m : *info.technical_mails)
      contact(t, {m, kPurposeTechnicalNotification, kSourceGraph});
  } else {
    unread(t, kPurposeTechnicalNotification, kSourceGraph, kTechnicalContactsHidden);
  }
  t.created_at = info.created_at;
}

void mergePartners(Tenant& t, Result<std::vector<CustomerPartner>> partners) {
  if (partners)
    t.partners = std::move(*partners);
  else
    problem(t, Part::kPartners, partners.status().message());
}

void notOurCustomer(Tenant& t) {
  t.dap_enabled = false;
  t.indirect_relationships = std::vector<IndirectRelationship>{};
}

void customerPartsUnknown(Tenant& t, const FetchPlan& plan) {
  const Status why = Status::unavailable("not read: the customer list could not be read");
  if (plan.fetches(Part::kCustomerDetails)) mergeCustomerDetails(t, why);
  if (plan.fetches(Part::kIndirectRelationships)) mergeIndirectRelationships(t, why);
}

void everyPartUnknown(Tenant& t, const std::string& why, const FetchPlan& plan) {
  const Status failed = Status::unavailable(why);
  if (plan.fetches(Part::kCustomerDetails)) mergeCustomerDetails(t, failed);
  if (plan.fetches(Part::kIndirectRelationships)) mergeIndirectRelationships(t, failed);
  if (plan.fetches(Part::kOrganization)) mergeOrganization(t, failed);
  if (plan.fetches(Part::kPartners)) mergePartners(t, failed);
}

}  // namespace cspwatch::tenants
