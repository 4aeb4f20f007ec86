// SPDX-License-Identifier: Apache-2.0
#include "tenants/partner_center_source.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "common/guid.h"
#include "common/logging.h"
#include "common/text.h"

namespace cspwatch::tenants {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::optional<std::string> optString(const Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key) || o->isNull(key)) return std::nullopt;
  try {
    return o->getValue<std::string>(key);
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::optional<Timestamp> optTime(const Object::Ptr& o, const std::string& key) {
  auto s = optString(o, key);
  return s ? parseTimestamp(*s) : std::nullopt;
}

Object::Ptr child(const Object::Ptr& o, const std::string& key) {
  return o && o->isObject(key) ? o->getObject(key) : Object::Ptr();
}

// One GDAP relationship from Graph's partner-side list, or nullopt when it has no customer.
std::optional<std::pair<std::string, AdminRelationship>> relationshipFrom(const Object::Ptr& o,
                                                                          const std::string& us) {
  auto customer = optString(child(o, "customer"), "tenantId");
  auto id = optString(o, "id");
  if (!customer || !id || !normalizeGuid(*customer)) return std::nullopt;
  AdminRelationship r;
  r.id = *id;
  r.display_name = optString(o, "displayName").value_or("");
  r.kind = "gdap";
  r.partner_tenant_id = us;
  r.status = optString(o, "status").value_or("unknownFutureValue");
  if (auto access = child(o, "accessDetails"); access && access->isArray("unifiedRoles")) {
    auto roles = access->getArray("unifiedRoles");
    for (size_t i = 0; i < roles->size(); ++i)
      if (auto role = optString(roles->getObject(i), "roleDefinitionId"))
        if (auto g = normalizeGuid(*role)) r.role_definition_ids.push_back(*g);
  }
  r.created_at = optTime(o, "createdDateTime");
  r.activated_at = optTime(o, "activatedDateTime");
  r.end_at = optTime(o, "endDateTime");
  r.duration = optString(o, "duration");
  r.auto_extend_duration = optString(o, "autoExtendDuration");
  const std::string type = optString(o, "@odata.type").value_or("");
  r.is_reseller_relationship = type.find("resellerDelegatedAdminRelationship") != std::string::npos;
  if (auto p = optString(o, "indirectProviderTenantId"))
    r.indirect_provider_tenant_id = normalizeGuid(*p);
  r.partner_consent_pending = o->optValue<bool>("isPartnerConsentPending", false);
  return std::make_pair(*normalizeGuid(*customer), r);
}

void problem(Tenant& t, Part part, const Status& why) {
  t.fetch_problems.push_back({partName(part), why.message()});
}

}  // namespace

PartnerCenterSource::PartnerCenterSource(PartnerCenterSourceOptions options, ApiClient& api,
                                         const Inventory* inventory, bool user_tokens,
                                         Cancellation& cancel)
    : options_(std::move(options)),
      api_(api),
      inventory_(inventory),
      user_tokens_(user_tokens),
      cancel_(cancel) {}

void PartnerCenterSource::readTenant(Tenant& t, bool customer) {
  const std::string& us = options_.partner_tenant_id;
  std::vector<ContactEmail> contacts = t.contacts.value_or(std::vector<ContactEmail>{});
  bool contacts_known = true;
  if (customer) {
    auto details = api_.getJson({Api::kPartnerCenter,
                                 options_.partner_center_url + "/v1/customers/" + t.id,
                                 us,
                                 user_tokens_,
                                 {}});
    if (details) {
      const Object::Ptr& d = *details;
      if (d->has("allowDelegatedAccess") && !d->isNull("allowDelegatedAccess"))
        t.dap_enabled = d->optValue<bool>("allowDelegatedAccess", false);
      else
        t.dap_enabled = false;  // only by-id answers carry it; absent means not granted
      if (auto e = optString(child(d, "billingProfile"), "email"); e && !e->empty())
        contacts.push_back({*e, kPurposeBilling, kSourcePartnerCenter});
      if (auto e = optString(child(d, "companyProfile"), "email"); e && !e->empty())
        contacts.push_back({*e, kPurposeCompany, kSourcePartnerCenter});
    } else {
      problem(t, Part::kCustomerDetails, details.status());
      contacts_known = false;
    }
    if (!user_tokens_) {
      problem(t, Part::kIndirectRelationships,
              Status::unavailable("needs App+User sign-in; run 'cspwatch auth login'"));
    } else if (auto rel = api_.getJson(
                   {Api::kPartnerCenter,
                    options_.partner_center_url + "/v1/customers/" + t.id + "/relationships",
                    us,
                    true,
                    {}})) {
      std::vector<IndirectRelationship> list;
      if ((*rel)->isArray("items")) {
        auto items = (*rel)->getArray("items");
        for (size_t i = 0; i < items->size(); ++i) {
          auto item = items->getObject(i);
          auto id = optString(item, "id");
          if (!id || !normalizeGuid(*id)) continue;
          list.push_back({*normalizeGuid(*id), optString(item, "name").value_or(""),
                          optString(item, "mpnId"),
                          optString(item, "relationshipType").value_or("")});
        }
      }
      t.indirect_relationships = list;
    } else {
      problem(t, Part::kIndirectRelationships, rel.status());
    }
  } else {
    // Not our customer: no DAP and no Partner Center relationship of ours can exist.
    t.dap_enabled = false;
    t.indirect_relationships = std::vector<IndirectRelationship>{};
  }
  // Inside the customer tenant (GDAP, or the app's consent there).
  if (auto org = api_.getJson(
          {Api::kGraph, options_.graph_url + "/v1.0/organization", t.id, user_tokens_, {}})) {
    Object::Ptr o = (*org)->isArray("value") && (*org)->getArray("value")->size() > 0
                        ? (*org)->getArray("value")->getObject(0)
                        : Object::Ptr();
    std::vector<std::string> domains;
    if (o && o->isArray("verifiedDomains")) {
      auto ds = o->getArray("verifiedDomains");
      for (size_t i = 0; i < ds->size(); ++i)
        if (auto name = optString(ds->getObject(i), "name")) domains.push_back(toLowerAscii(*name));
    }
    t.verified_domains = domains;
    if (o && o->isArray("technicalNotificationMails")) {
      auto mails = o->getArray("technicalNotificationMails");
      for (size_t i = 0; i < mails->size(); ++i)
        contacts.push_back(
            {mails->getElement<std::string>(i), kPurposeTechnicalNotification, kSourceGraph});
    }
    if (o) t.created_at = optTime(o, "createdDateTime");
  } else {
    problem(t, Part::kOrganization, org.status());
    contacts_known = false;
  }
  if (auto partners =
          api_.getJson({Api::kGraph,
                        options_.graph_url + "/v1.0/policies/crossTenantAccessPolicy/partners",
                        t.id,
                        user_tokens_,
                        {}})) {
    std::vector<CustomerPartner> list;
    if ((*partners)->isArray("value")) {
      auto value = (*partners)->getArray("value");
      for (size_t i = 0; i < value->size(); ++i) {
        auto p = value->getObject(i);
        auto id = optString(p, "tenantId");
        if (!id || !normalizeGuid(*id)) continue;
        list.push_back({*normalizeGuid(*id), std::nullopt, std::nullopt,
                        p->optValue<bool>("isServiceProvider", false)});
      }
    }
    t.partners = list;
  } else {
    problem(t, Part::kPartners, partners.status());
  }
  if (contacts_known)
    t.contacts = contacts;
  else
    t.contacts.reset();
}

Result<SourceReport> PartnerCenterSource::run(const std::function<Status(const Tenant&)>& sink) {
  SourceReport report;
  const std::string& us = options_.partner_tenant_id;
  // The lists. A failed list makes its part unknown for every tenant, and the scan partial.
  std::map<std::string, Tenant> customers;
  Status customers_read = api_.pagePartnerCenter(
      {Api::kPartnerCenter,
       options_.partner_center_url + "/v1/customers?size=" + std::to_string(options_.page_size),
       us,
       user_tokens_,
       {}},
      [&](const Array::Ptr& items) {
        for (size_t i = 0; i < items->size(); ++i) {
          auto c = items->getObject(i);
          auto id = optString(c, "id");
          if (!id || !normalizeGuid(*id)) continue;
          Tenant t;
          t.id = *normalizeGuid(*id);
          auto profile = child(c, "companyProfile");
          t.name = optString(profile, "companyName").value_or("");
          t.default_domain = toLowerAscii(optString(profile, "domain").value_or(""));
          t.relationship_to_partner = optString(c, "relationshipToPartner");
          t.addSource(kSourcePartnerCenter);
          customers[t.id] = std::move(t);
        }
      });
  if (!customers_read) {
    if (customers_read.code() == Status::Code::kAborted) return customers_read;
    report.complete = false;
    report.problems.error(
        "source.customer-list", {},
        "the Partner Center customer list could not be read: " + customers_read.message());
  }
  std::map<std::string, std::vector<AdminRelationship>> relationships;
  Status relationships_read = api_.pageGraph(
      {Api::kGraph,
       options_.graph_url + "/v1.0/tenantRelationships/delegatedAdminRelationships?$top=300",
       us,
       false,
       {}},
      [&](const Array::Ptr& value) {
        for (size_t i = 0; i < value->size(); ++i)
          if (auto r = relationshipFrom(value->getObject(i), us))
            relationships[r->first].push_back(r->second);
      });
  if (!relationships_read) {
    if (relationships_read.code() == Status::Code::kAborted) return relationships_read;
    report.complete = false;
    report.problems.error(
        "source.admin-relationships", {},
        "the GDAP relationship list could not be read: " + relationships_read.message());
  }
  if (inventory_ != nullptr) report.problems.append(inventory_->diagnostics);

  // Every tenant either list knows, in a stable order: customers, then inventory-only ones.
  std::vector<Tenant> work;
  std::map<std::string, const Tenant*> in_inventory;
  if (inventory_ != nullptr)
    for (const auto& t : inventory_->tenants) in_inventory[t.id] = &t;
  for (auto& [id, t] : customers) work.push_back(t);
  if (inventory_ != nullptr)
    for (const auto& t : inventory_->tenants)
      if (!customers.count(t.id)) work.push_back(t);
  for (auto& t : work) {
    if (auto inv = in_inventory.find(t.id); inv != in_inventory.end()) {
      const Tenant& i = *inv->second;
      t.addSource(kSourceInventory);
      if (t.name.empty()) t.name = i.name;
      if (t.default_domain.empty()) t.default_domain = i.default_domain;
      t.tags = i.tags;
      t.onboarded_at = i.onboarded_at;
      std::vector<ContactEmail> contacts;
      for (const auto& c : i.contacts.value_or(std::vector<ContactEmail>{})) contacts.push_back(c);
      t.contacts = contacts;
    } else {
      t.contacts = std::vector<ContactEmail>{};
    }
    if (customers_read)
      t.in_customer_list = customers.count(t.id) > 0;
    else
      problem(t, Part::kCustomerList, customers_read);
    if (relationships_read)
      t.admin_relationships = relationships[t.id];
    else
      problem(t, Part::kAdminRelationships, relationships_read);
  }

  const bool unreachable = !customers_read && !relationships_read &&
                           customers_read.code() == Status::Code::kUnavailable &&
                           relationships_read.code() == Status::Code::kUnavailable;
  // Each tenant on its own, by a bounded pool; the sink sees one tenant at a time.
  log().info("reading {} tenants ({} in the Partner Center customer list) with {} workers",
             work.size(), customers.size(), options_.concurrency);
  const auto started = std::chrono::steady_clock::now();
  const size_t report_every = std::max<size_t>(1, work.size() / 10);
  std::mutex sink_mutex;
  Status sink_failed;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    while (!cancel_.cancelled()) {
      const size_t i = next++;
      if (i >= work.size()) return;
      Tenant t = std::move(work[i]);
      const bool customer = customers_read && customers.count(t.id) > 0;
      if (unreachable) {
        // Both services failed their lists: asking again tenant by tenant would only wait out
        // every retry. Each part is unknown for the same reason.
        for (Part p : {Part::kCustomerDetails, Part::kIndirectRelationships, Part::kOrganization,
                       Part::kPartners})
          problem(t, p, Status::unavailable("not read: " + relationships_read.message()));
        t.contacts.reset();
      } else {
        readTenant(t, customer);
      }
      std::lock_guard<std::mutex> lock(sink_mutex);
      if (!sink_failed.isOk()) return;
      if (Status s = sink(t); !s) {
        sink_failed = s;
        return;
      }
      ++report.tenants;
      if (options_.progress) options_.progress(report.tenants, work.size());
      if (report.tenants % report_every == 0 || report.tenants == work.size()) {
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const double rate = secs > 0 ? static_cast<double>(report.tenants) / secs : 0;
        log().info("tenants read: {}/{} ({:.1f} a second, about {:.0f} s left)", report.tenants,
                   work.size(), rate,
                   rate > 0 ? static_cast<double>(work.size() - report.tenants) / rate : 0.0);
      }
    }
  };
  std::vector<std::thread> pool;
  const int n = std::max(1, std::min<int>(options_.concurrency, static_cast<int>(work.size())));
  for (int i = 0; i < n; ++i) pool.emplace_back(worker);
  for (auto& th : pool) th.join();
  if (!sink_failed.isOk()) return sink_failed;
  if (cancel_.cancelled()) return Status::aborted("the scan was stopped");
  return report;
}

}  // namespace cspwatch::tenants
