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

// Reads a service's answer strictly. The first value of the wrong type (or missing where the
// service always sends one) is remembered, and the part it belongs to is then reported unknown
// with that reason: never read as empty, false or shorter than it is, which could resolve a
// finding or raise a false one (found by the bad-input corpus: an answer with 'value' missing
// emptied a tenant's partners and resolved its findings).
class Strict {
 public:
  explicit Strict(std::string what) : what_(std::move(what)) {}
  bool ok() const { return problem_.empty(); }
  Status status() const {
    return Status::corruption("malformed answer from " + what_ + ": " + problem_);
  }
  void fail(const std::string& problem) {
    if (problem_.empty()) problem_ = problem;
  }

  // The list under `key`; null (and remembered) when it is absent or not a list.
  Array::Ptr list(const Object::Ptr& o, const std::string& key, bool required = true) {
    if (!o) return nullptr;
    if (o->isArray(key)) return o->getArray(key);
    if (required || (o->has(key) && !o->isNull(key))) fail("'" + key + "' is not a list");
    return nullptr;
  }
  // Item `i` of `a`, which must be an object.
  Object::Ptr item(const Array::Ptr& a, size_t i, const std::string& where) {
    auto o = a->getObject(static_cast<unsigned>(i));
    if (!o) fail(where + "[" + std::to_string(i) + "] is not an object");
    return o;
  }
  // An object under `key`; null when absent or null, remembered when of another type.
  Object::Ptr object(const Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) return nullptr;
    if (o->isObject(key)) return o->getObject(key);
    fail("'" + key + "' is not an object");
    return nullptr;
  }
  // A string; nullopt when absent or null (remembered if `required`), remembered when of
  // another type or longer than any real value.
  std::optional<std::string> string(const Object::Ptr& o, const std::string& key,
                                    bool required = false) {
    if (!o || !o->has(key) || o->isNull(key)) {
      if (required) fail("'" + key + "' is missing");
      return std::nullopt;
    }
    const Poco::Dynamic::Var v = o->get(key);
    if (!v.isString()) {
      fail("'" + key + "' is not a string");
      return std::nullopt;
    }
    std::string s = v.extract<std::string>();
    if (s.size() > kMaxString) {
      fail("'" + key + "' is " + std::to_string(s.size()) + " bytes long");
      return std::nullopt;
    }
    return s;
  }
  // A GUID string (required).
  std::optional<std::string> guid(const Object::Ptr& o, const std::string& key) {
    auto s = string(o, key, true);
    if (!s) return std::nullopt;
    auto g = normalizeGuid(*s);
    if (!g) fail("'" + key + "' is not a GUID: '" + abbreviate(*s, 60) + "'");
    return g;
  }
  std::optional<Timestamp> time(const Object::Ptr& o, const std::string& key) {
    auto s = string(o, key);
    if (!s) return std::nullopt;
    auto t = parseTimestamp(*s);
    if (!t) fail("'" + key + "' is not a date and time: '" + abbreviate(*s, 60) + "'");
    return t;
  }
  // true or false; nullopt when absent or null, remembered when of another type.
  std::optional<bool> boolean(const Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) return std::nullopt;
    const Poco::Dynamic::Var v = o->get(key);
    if (!v.isBoolean()) {
      fail("'" + key + "' is not true or false");
      return std::nullopt;
    }
    return v.extract<bool>();
  }

 private:
  static constexpr size_t kMaxString = 64 * 1024;
  std::string what_;
  std::string problem_;
};

// One GDAP relationship from Graph's partner-side list, or nullopt when it has no customer.
std::optional<std::pair<std::string, AdminRelationship>> relationshipFrom(const Object::Ptr& o,
                                                                          const std::string& us,
                                                                          Strict& in) {
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

void problem(Tenant& t, Part part, const Status& why) {
  t.fetch_problems.push_back({partName(part), why.message()});
}

}  // namespace

PartnerCenterSource::PartnerCenterSource(PartnerCenterSourceOptions options, msapi::ApiClient& api,
                                         const Inventory* inventory, bool user_tokens,
                                         msapi::Cancellation& cancel)
    : options_(std::move(options)),
      api_(api),
      inventory_(inventory),
      user_tokens_(user_tokens),
      cancel_(cancel) {}

void PartnerCenterSource::readTenant(Tenant& t, std::optional<bool> customer) {
  const std::string& us = options_.partner_tenant_id;
  std::vector<ContactEmail> contacts = t.contacts.value_or(std::vector<ContactEmail>{});
  bool contacts_known = t.contacts.has_value();  // unknown already when the inventory's are
  if (!customer) {
    // The customer list could not be read, so whether this is our customer is unknown: so are
    // DAP and our Partner Center relationships. Reading them as "none", as for a tenant that is
    // not our customer, resolved a DAP finding (found by the bad-input corpus).
    const Status why = Status::unavailable("not read: the customer list could not be read");
    problem(t, Part::kCustomerDetails, why);
    problem(t, Part::kIndirectRelationships, why);
    contacts_known = false;  // billing and company email come with the details
  } else if (*customer) {
    const std::string url = options_.partner_center_url + "/v1/customers/" + t.id;
    auto details = api_.getJson({msapi::Api::kPartnerCenter, url, us, user_tokens_, {}});
    Strict in(url);
    std::vector<ContactEmail> found;
    std::optional<bool> dap;
    if (details) {
      const Object::Ptr& d = *details;
      dap = in.boolean(d, "allowDelegatedAccess");
      if (auto e = in.string(in.object(d, "billingProfile"), "email"); e && !e->empty())
        found.push_back({*e, kPurposeBilling, kSourcePartnerCenter});
      if (auto e = in.string(in.object(d, "companyProfile"), "email"); e && !e->empty())
        found.push_back({*e, kPurposeCompany, kSourcePartnerCenter});
    }
    if (details && in.ok()) {
      t.dap_enabled = dap.value_or(false);  // only by-id answers carry it; absent: not granted
      contacts.insert(contacts.end(), found.begin(), found.end());
    } else {
      problem(t, Part::kCustomerDetails, details ? in.status() : details.status());
      contacts_known = false;
    }
    if (!user_tokens_) {
      problem(t, Part::kIndirectRelationships,
              Status::unavailable("needs App+User sign-in; run 'cspwatch auth login'"));
    } else {
      const std::string rel_url = url + "/relationships";
      auto rel = api_.getJson({msapi::Api::kPartnerCenter, rel_url, us, true, {}});
      Strict rin(rel_url);
      std::vector<IndirectRelationship> list;
      if (rel) {
        // "items" is empty, null or absent for a customer without indirect resellers (the
        // documented answer): an empty list, not a malformed answer.
        if (auto items = rin.list(*rel, "items", false)) {
          for (size_t i = 0; i < items->size() && rin.ok(); ++i) {
            auto item = rin.item(items, i, "items");
            auto id = rin.guid(item, "id");
            auto name = rin.string(item, "name");
            auto mpn = rin.string(item, "mpnId");
            auto type = rin.string(item, "relationshipType");
            if (id) list.push_back({*id, name.value_or(""), mpn, type.value_or("")});
          }
        }
      }
      if (rel && rin.ok())
        t.indirect_relationships = list;
      else
        problem(t, Part::kIndirectRelationships, rel ? rin.status() : rel.status());
    }
  } else {
    // Not our customer: no DAP and no Partner Center relationship of ours can exist.
    t.dap_enabled = false;
    t.indirect_relationships = std::vector<IndirectRelationship>{};
  }
  // Inside the customer tenant (GDAP, or the app's consent there).
  const std::string org_url = options_.graph_url + "/v1.0/organization";
  auto org = api_.getJson({msapi::Api::kGraph, org_url, t.id, user_tokens_, {}});
  Strict oin(org_url);
  if (org) {
    Object::Ptr o;
    if (auto value = oin.list(*org, "value")) {
      if (value->size() == 0)
        oin.fail("'value' is empty: no organization");
      else
        o = oin.item(value, 0, "value");
    }
    std::vector<std::string> domains;
    std::vector<ContactEmail> mails;
    std::optional<Timestamp> created;
    if (o) {
      if (auto ds = oin.list(o, "verifiedDomains")) {
        for (size_t i = 0; i < ds->size() && oin.ok(); ++i)
          if (auto name = oin.string(oin.item(ds, i, "verifiedDomains"), "name", true))
            domains.push_back(toLowerAscii(*name));
      }
      if (auto ms = oin.list(o, "technicalNotificationMails", false)) {
        for (size_t i = 0; i < ms->size() && oin.ok(); ++i) {
          const Poco::Dynamic::Var m = ms->get(static_cast<unsigned>(i));
          if (m.isString())
            mails.push_back(
                {m.extract<std::string>(), kPurposeTechnicalNotification, kSourceGraph});
          else
            oin.fail("technicalNotificationMails[" + std::to_string(i) + "] is not a string");
        }
      }
      created = oin.time(o, "createdDateTime");
    }
    if (oin.ok()) {
      t.verified_domains = domains;
      contacts.insert(contacts.end(), mails.begin(), mails.end());
      t.created_at = created;
    }
  }
  if (!org || !oin.ok()) {
    problem(t, Part::kOrganization, org ? oin.status() : org.status());
    contacts_known = false;
  }
  const std::string partners_url =
      options_.graph_url + "/v1.0/policies/crossTenantAccessPolicy/partners";
  auto partners = api_.getJson({msapi::Api::kGraph, partners_url, t.id, user_tokens_, {}});
  Strict pin(partners_url);
  std::vector<CustomerPartner> list;
  if (partners) {
    if (auto value = pin.list(*partners, "value")) {
      for (size_t i = 0; i < value->size() && pin.ok(); ++i) {
        auto p = pin.item(value, i, "value");
        auto id = pin.guid(p, "tenantId");
        auto provider = pin.boolean(p, "isServiceProvider");
        if (id) list.push_back({*id, std::nullopt, std::nullopt, provider.value_or(false)});
      }
    }
  }
  if (partners && pin.ok())
    t.partners = list;
  else
    problem(t, Part::kPartners, partners ? pin.status() : partners.status());
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
  Strict customers_in(options_.partner_center_url + "/v1/customers");
  Status customers_read = api_.pagePartnerCenter(
      {msapi::Api::kPartnerCenter,
       options_.partner_center_url + "/v1/customers?size=" + std::to_string(options_.page_size),
       us,
       user_tokens_,
       {}},
      [&](const Array::Ptr& items) {
        for (size_t i = 0; i < items->size() && customers_in.ok(); ++i) {
          auto c = customers_in.item(items, i, "items");
          auto id = customers_in.guid(c, "id");
          auto profile = customers_in.object(c, "companyProfile");
          auto name = customers_in.string(profile, "companyName");
          auto domain = customers_in.string(profile, "domain");
          auto relationship = customers_in.string(c, "relationshipToPartner");
          if (!id) continue;
          Tenant t;
          t.id = *id;
          t.name = name.value_or("");
          t.default_domain = toLowerAscii(domain.value_or(""));
          t.relationship_to_partner = relationship;
          t.addSource(kSourcePartnerCenter);
          customers[t.id] = std::move(t);
        }
      });
  // A list with a malformed entry is not read: a customer left out would look like one that
  // lost our reseller relationship.
  if (customers_read && !customers_in.ok()) {
    customers_read = customers_in.status();
    customers.clear();
  }
  if (!customers_read) {
    if (customers_read.code() == Status::Code::kAborted) return customers_read;
    report.complete = false;
    report.problems.error(
        "source.customer-list", {},
        "the Partner Center customer list could not be read: " + customers_read.message());
  }
  std::map<std::string, std::vector<AdminRelationship>> relationships;
  Strict relationships_in(options_.graph_url +
                          "/v1.0/tenantRelationships/delegatedAdminRelationships");
  Status relationships_read = api_.pageGraph(
      {msapi::Api::kGraph,
       options_.graph_url + "/v1.0/tenantRelationships/delegatedAdminRelationships?$top=300",
       us,
       false,
       {}},
      [&](const Array::Ptr& value) {
        for (size_t i = 0; i < value->size() && relationships_in.ok(); ++i)
          if (auto r =
                  relationshipFrom(relationships_in.item(value, i, "value"), us, relationships_in))
            relationships[r->first].push_back(r->second);
      });
  if (relationships_read && !relationships_in.ok()) {
    relationships_read = relationships_in.status();
    relationships.clear();
  }
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
    } else if (inventory_ != nullptr && inventory_->unreadable > 0) {
      // Not in an inventory that has rows it could not read: this tenant's row may be one of
      // them, so what the inventory says of it (its contacts) is unknown, not empty.
      t.contacts.reset();
      problem(t, Part::kInventory,
              Status::unavailable(std::to_string(inventory_->unreadable) +
                                  " inventory row(s) could not be read; this tenant's may be one"));
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
      const std::optional<bool> customer =
          customers_read ? std::optional<bool>(customers.count(t.id) > 0) : std::nullopt;
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
