// SPDX-License-Identifier: Apache-2.0
#include "tenants/partner_center_source.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "common/guid.h"
#include "common/logging.h"
#include "common/redact.h"
#include "common/text.h"
#include "tenants/answer_parsers.h"
#include "tenants/read_advice.h"

namespace cspwatch::tenants {

namespace {

using msapi::Api;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Reasons may quote a server's words (msapi passes them through outsideText); redacted again
// here, where they become could-not-check reasons.
void problem(Tenant& t, Part part, const std::string& why) {
  t.fetch_problems.push_back({partName(part), redactSecrets(why)});
}

// A contact that could not be read: its address unknown, `why` saying what would fix it.
void unread(std::vector<ContactEmail>& contacts, const char* purpose, const char* source,
            const std::string& why) {
  contacts.push_back({"", purpose, source, redactSecrets(why)});
}

// The reason an unread contact gives when the call that carries it failed: the part and its
// problem, so that contacts sharing one failed call share one could-not-check item.
std::string notRead(Part part, const std::string& why) {
  return std::string(partName(part)) + " could not be read: " + why;
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

void PartnerCenterSource::readCustomerDetails(Tenant& t, std::vector<ContactEmail>& contacts) {
  const std::string url = options_.partner_center_url + "/v1/customers/" + t.id;
  const bool user = user_tokens_ && user_failure_.empty();
  auto body = api_.getJson({Api::kPartnerCenter, url, options_.partner_tenant_id, user, {}});
  Strict in(url);
  CustomerDetails d;
  if (body) d = customerDetailsFrom(*body, in);
  if (!body || !in.ok()) {
    const std::string why =
        body ? in.status().message() : readFailure(Call::kCustomerDetails, body.status());
    problem(t, Part::kCustomerDetails, why);
    unread(contacts, kPurposeBilling, kSourcePartnerCenter, notRead(Part::kCustomerDetails, why));
    unread(contacts, kPurposeCompany, kSourcePartnerCenter, notRead(Part::kCustomerDetails, why));
    return;
  }
  t.dap_enabled = d.dap_enabled;
  if (d.billing_email)
    contacts.push_back({*d.billing_email, kPurposeBilling, kSourcePartnerCenter});
  if (d.company_email)
    contacts.push_back({*d.company_email, kPurposeCompany, kSourcePartnerCenter});
  else if (d.company_email_hidden)
    unread(contacts, kPurposeCompany, kSourcePartnerCenter, kCompanyEmailHidden);
}

void PartnerCenterSource::readIndirectRelationships(Tenant& t) {
  if (!user_tokens_) {
    problem(t, Part::kIndirectRelationships,
            "needs App+User sign-in (Partner Center offers this call to App+User only); run "
            "'cspwatch auth login'");
    return;
  }
  if (!user_failure_.empty()) {
    problem(t, Part::kIndirectRelationships, "not read: " + user_failure_);
    return;
  }
  const std::string url = options_.partner_center_url + "/v1/customers/" + t.id + "/relationships";
  Strict in(url);
  std::vector<IndirectRelationship> list;
  // "items" is empty, null or absent for a customer without indirect resellers (the documented
  // answer): an empty list, not a malformed answer.
  Status read = api_.pagePartnerCenter(
      {Api::kPartnerCenter, url, options_.partner_tenant_id, true, {}},
      [&](const Array::Ptr& items) {
        for (size_t i = 0; items && i < items->size() && in.ok(); ++i)
          if (auto r = indirectRelationshipFrom(in.item(items, i, "items"), in)) list.push_back(*r);
      },
      /*items_optional=*/true);
  if (read && in.ok())
    t.indirect_relationships = list;
  else
    problem(t, Part::kIndirectRelationships,
            read ? in.status().message() : readFailure(Call::kRelationships, read));
}

void PartnerCenterSource::readOrganization(Tenant& t, std::vector<ContactEmail>& contacts) {
  const std::string url = options_.graph_url + "/v1.0/organization";
  auto fail = [&](const std::string& why) {
    problem(t, Part::kOrganization, why);
    unread(contacts, kPurposeTechnicalNotification, kSourceGraph,
           notRead(Part::kOrganization, why));
  };
  if (user_tokens_ && !user_failure_.empty()) return fail("not read: " + user_failure_);
  Strict in(url);
  std::vector<Object::Ptr> orgs;
  // "There's only one organization object in the collection", yet it is a collection: every page
  // is read (a first page may be empty).
  Status read =
      api_.pageGraph({Api::kGraph, url, t.id, user_tokens_, {}}, [&](const Array::Ptr& value) {
        for (size_t i = 0; i < value->size() && in.ok(); ++i)
          orgs.push_back(in.item(value, i, "value"));
      });
  if (read && in.ok() && orgs.size() != 1)
    in.fail(orgs.empty() ? "'value' is empty: no organization"
                         : std::to_string(orgs.size()) + " organizations");
  OrganizationInfo info;
  if (read && in.ok()) info = organizationFrom(orgs.front(), in);
  if (!read || !in.ok())
    return fail(read ? in.status().message() : readFailure(Call::kOrganization, read));
  if (info.verified_domains)
    t.verified_domains = *info.verified_domains;
  else
    problem(t, Part::kOrganization,
            "Graph returned verifiedDomains as null; " + whatWouldFix(Call::kOrganization));
  if (info.technical_mails) {
    for (const auto& m : *info.technical_mails)
      contacts.push_back({m, kPurposeTechnicalNotification, kSourceGraph});
  } else {
    unread(contacts, kPurposeTechnicalNotification, kSourceGraph, kTechnicalContactsHidden);
  }
  t.created_at = info.created_at;
}

void PartnerCenterSource::readPartners(Tenant& t) {
  if (user_tokens_ && !user_failure_.empty()) {
    problem(t, Part::kPartners, "not read: " + user_failure_);
    return;
  }
  const std::string url = options_.graph_url + "/v1.0/policies/crossTenantAccessPolicy/partners";
  Strict in(url);
  std::vector<CustomerPartner> list;
  Status read =
      api_.pageGraph({Api::kGraph, url, t.id, user_tokens_, {}}, [&](const Array::Ptr& value) {
        for (size_t i = 0; i < value->size() && in.ok(); ++i)
          if (auto p = customerPartnerFrom(in.item(value, i, "value"), in)) list.push_back(*p);
      });
  if (!read || !in.ok()) {
    problem(t, Part::kPartners, read ? in.status().message() : readFailure(Call::kPartners, read));
    return;
  }
  namePartners(list);
  t.partners = std::move(list);
}

void PartnerCenterSource::namePartners(std::vector<CustomerPartner>& partners) {
  if (options_.directory == nullptr) return;
  // App-only in our own tenant (CrossTenantInformation.ReadBasic.All).
  auto lookup = [this](const std::string& id) -> Result<TenantInfo> {
    const std::string url = options_.graph_url +
                            "/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='" +
                            id + "')";
    auto body = api_.getJson({Api::kGraph, url, options_.partner_tenant_id, false, {}});
    if (!body) {
      log().debug("no name for partner tenant {}: {}", id, body.status().message());
      return body.status();
    }
    Strict in(url);
    auto info = tenantInfoFrom(*body, in);
    if (!info) return in.ok() ? Status::notFound("no name given") : in.status();
    return *info;
  };
  for (auto& p : partners) {
    if (auto info = options_.directory->resolve(p.tenant_id, lookup)) {
      if (!info->display_name.empty()) p.name = info->display_name;
      if (!info->default_domain.empty()) p.default_domain = info->default_domain;
    }
  }
}

void PartnerCenterSource::readTenant(Tenant& t, std::optional<bool> customer) {
  // The inventory's contacts (read or not) were set by run(); the services' are added here.
  std::vector<ContactEmail> contacts = t.contacts.value_or(std::vector<ContactEmail>{});
  if (!customer) {
    // The customer list could not be read, so whether this is our customer is unknown: so are
    // DAP, our Partner Center relationships and the billing and company email. Reading them as
    // "none", as for a tenant that is not our customer, resolved a DAP finding (found by the
    // bad-input corpus).
    const std::string why = "not read: the customer list could not be read";
    problem(t, Part::kCustomerDetails, why);
    problem(t, Part::kIndirectRelationships, why);
    unread(contacts, kPurposeBilling, kSourcePartnerCenter, notRead(Part::kCustomerDetails, why));
    unread(contacts, kPurposeCompany, kSourcePartnerCenter, notRead(Part::kCustomerDetails, why));
  } else if (*customer) {
    readCustomerDetails(t, contacts);
    readIndirectRelationships(t);
  } else {
    // Not our customer: no DAP, no Partner Center relationship and no Partner Center contact of
    // ours can exist.
    t.dap_enabled = false;
    t.indirect_relationships = std::vector<IndirectRelationship>{};
  }
  // Inside the customer tenant (GDAP, or the app's consent there).
  readOrganization(t, contacts);
  readPartners(t);
  t.contacts = std::move(contacts);
}

Result<SourceReport> PartnerCenterSource::run(const std::function<Status(const Tenant&)>& sink) {
  SourceReport report;
  const std::string& us = options_.partner_tenant_id;
  // App+User: one refresh first. A refresh token Entra no longer accepts is one error for the
  // scan, not one per tenant; the calls Partner Center and Graph offer app-only still run.
  if (user_tokens_ && options_.check_user_sign_in) {
    Status signed_in = options_.check_user_sign_in();
    if (signed_in.code() == Status::Code::kAborted) return signed_in;
    if (signed_in.code() == Status::Code::kUnauthenticated) {
      user_failure_ = redactSecrets(signed_in.message());
      report.sign_in_failure = user_failure_;
      report.problems.error(
          "source.sign-in", {},
          "cspwatch cannot sign in to Partner Center as the partner user (run 'cspwatch auth "
          "login'); every check that needs App+User access is could-not-check: " +
              user_failure_,
          "run 'cspwatch auth login' as the service user and sign in with MFA as the partner "
          "user (docs/operations.md#first-run)");
    }
  }
  const bool user = user_tokens_ && user_failure_.empty();
  // The lists. A failed list makes its part unknown for every tenant, and the scan partial.
  std::map<std::string, Tenant> customers;
  Strict customers_in(options_.partner_center_url + "/v1/customers");
  Status customers_read = api_.pagePartnerCenter(
      {Api::kPartnerCenter,
       options_.partner_center_url + "/v1/customers?size=" + std::to_string(options_.page_size),
       us,
       user,
       {}},
      [&](const Array::Ptr& items) {
        for (size_t i = 0; i < items->size() && customers_in.ok(); ++i)
          if (auto t = customerFrom(customers_in.item(items, i, "items"), customers_in))
            customers[t->id] = std::move(*t);
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
    if (customers_read.code() != Status::Code::kCorruption)
      customers_read = customers_read.withMessage(readFailure(Call::kCustomerList, customers_read));
    report.problems.error("source.customer-list", {},
                          "the Partner Center customer list could not be read: " +
                              redactSecrets(customers_read.message()));
  }
  std::map<std::string, std::vector<AdminRelationship>> relationships;
  Strict relationships_in(options_.graph_url +
                          "/v1.0/tenantRelationships/delegatedAdminRelationships");
  Status relationships_read = api_.pageGraph(
      {Api::kGraph,
       options_.graph_url + "/v1.0/tenantRelationships/delegatedAdminRelationships?$top=300",
       us,
       false,
       {}},
      [&](const Array::Ptr& value) {
        for (size_t i = 0; i < value->size() && relationships_in.ok(); ++i)
          if (auto r = adminRelationshipFrom(relationships_in.item(value, i, "value"), us,
                                             relationships_in))
            relationships[r->first].push_back(r->second);
      });
  if (relationships_read && !relationships_in.ok()) {
    relationships_read = relationships_in.status();
    relationships.clear();
  }
  if (!relationships_read) {
    if (relationships_read.code() == Status::Code::kAborted) return relationships_read;
    report.complete = false;
    if (relationships_read.code() != Status::Code::kCorruption)
      relationships_read = relationships_read.withMessage(
          readFailure(Call::kAdminRelationships, relationships_read));
    report.problems.error("source.admin-relationships", {},
                          "the GDAP relationship list could not be read: " +
                              redactSecrets(relationships_read.message()));
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
      // them, so what the inventory says of it (the admin address given at creation) is
      // unknown, not empty.
      const std::string why = std::to_string(inventory_->unreadable) +
                              " inventory row(s) could not be read; this tenant's may be one";
      problem(t, Part::kInventory, why);
      std::vector<ContactEmail> contacts;
      unread(contacts, kPurposeAdminCredentials, kSourceInventory, notRead(Part::kInventory, why));
      t.contacts = contacts;
    } else {
      t.contacts = std::vector<ContactEmail>{};
    }
    if (customers_read)
      t.in_customer_list = customers.count(t.id) > 0;
    else
      problem(t, Part::kCustomerList, customers_read.message());
    if (relationships_read)
      t.admin_relationships = relationships[t.id];
    else
      problem(t, Part::kAdminRelationships, relationships_read.message());
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
        const std::string why = "not read: " + relationships_read.message();
        for (Part p : {Part::kCustomerDetails, Part::kIndirectRelationships, Part::kOrganization,
                       Part::kPartners})
          problem(t, p, why);
        std::vector<ContactEmail> contacts = t.contacts.value_or(std::vector<ContactEmail>{});
        unread(contacts, kPurposeBilling, kSourcePartnerCenter,
               notRead(Part::kCustomerDetails, why));
        unread(contacts, kPurposeCompany, kSourcePartnerCenter,
               notRead(Part::kCustomerDetails, why));
        unread(contacts, kPurposeTechnicalNotification, kSourceGraph,
               notRead(Part::kOrganization, why));
        t.contacts = contacts;
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
