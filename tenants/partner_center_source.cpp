// SPDX-License-Identifier: Apache-2.0
#include "tenants/partner_center_source.h"

#include <algorithm>
#include <chrono>

#include "common/logging.h"
#include "common/redact.h"
#include "msapi/worker_pool.h"
#include "tenants/read_advice.h"

namespace cspwatch::tenants {

namespace {

using msapi::Api;
using Poco::JSON::Array;
using Poco::JSON::Object;

// What a list's read comes to: ok, a stop, a malformed entry (then the list is not read at all:
// a customer left out would look like one that lost our reseller relationship), or the call's
// failure with what would fix it.
Status listRead(Status read, const Strict& in, Call call) {
  if (read && !in.ok()) return in.status();
  if (read || read.code() == Status::Code::kAborted || read.code() == Status::Code::kCorruption)
    return read;
  return read.withMessage(readFailure(call, read));
}

// A part's read: the call's failure with what would fix it, a malformed answer, or ok.
Status partRead(const Status& read, const Strict& in, Call call) {
  if (!read) return read.withMessage(readFailure(call, read));
  return in.ok() ? Status::ok() : in.status();
}

// Logs how far the pool has come about ten times a scan, with the rate and the time left.
class ProgressLog {
 public:
  explicit ProgressLog(size_t total)
      : every_(std::max<size_t>(1, total / 10)), started_(std::chrono::steady_clock::now()) {}
  void operator()(size_t done, size_t total) const {
    if (done % every_ != 0 && done != total) return;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    log().info("tenants read: {}/{} ({:.1f} a second, about {:.0f} s left)", done, total, rate,
               rate > 0 ? static_cast<double>(total - done) / rate : 0.0);
  }

 private:
  size_t every_;
  std::chrono::steady_clock::time_point started_;
};

// PartnerCenterSourceOptions::only: the tenants it accepts on their list data, or all of them
// when it accepts none.
void keepOnly(std::vector<TenantToRead>& tenants, const std::function<bool(const Tenant&)>& only) {
  std::vector<TenantToRead> kept;
  for (auto& t : tenants)
    if (only(t.tenant)) kept.push_back(std::move(t));
  if (!kept.empty()) tenants = std::move(kept);
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

Result<SourceReport> PartnerCenterSource::run(const std::function<Status(const Tenant&)>& sink) {
  SourceReport report;
  if (Status signed_in = checkSignIn(report); !signed_in) return signed_in;
  // The lists. A failed list makes its part unknown for every tenant, and the scan partial.
  auto customers = readCustomerList();
  if (customers.status().code() == Status::Code::kAborted) return customers.status();
  auto relationships = readAdminRelationships();
  if (relationships.status().code() == Status::Code::kAborted) return relationships.status();
  MergedLists merged = mergeLists({std::move(customers), std::move(relationships)}, inventory_);
  report.complete = merged.complete;
  report.problems.append(merged.problems);
  if (options_.only) keepOnly(merged.tenants, options_.only);
  auto read = readEach(merged, sink);
  if (!read) return read.status();
  report.tenants = *read;
  if (cancel_.cancelled()) return Status::aborted("the scan was stopped");
  return report;
}

Status PartnerCenterSource::checkSignIn(SourceReport& report) {
  if (!user_tokens_ || !options_.check_user_sign_in) return Status::ok();
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
  return Status::ok();
}

Result<std::map<std::string, Tenant>> PartnerCenterSource::readCustomerList() {
  const bool user = user_tokens_ && user_failure_.empty();
  std::map<std::string, Tenant> customers;
  Strict in(options_.partner_center_url + "/v1/customers");
  Status read = api_.pagePartnerCenter(
      {Api::kPartnerCenter,
       options_.partner_center_url + "/v1/customers?size=" + std::to_string(options_.page_size),
       options_.partner_tenant_id,
       user,
       {}},
      [&](const Array::Ptr& items) {
        for (size_t i = 0; i < items->size() && in.ok(); ++i)
          if (auto t = customerFrom(in.item(items, i, "items"), in))
            customers[t->id] = std::move(*t);
      });
  if (Status s = listRead(read, in, Call::kCustomerList); !s) return s;
  return customers;
}

Result<std::map<std::string, std::vector<AdminRelationship>>>
PartnerCenterSource::readAdminRelationships() {
  const std::string& us = options_.partner_tenant_id;
  std::map<std::string, std::vector<AdminRelationship>> relationships;
  Strict in(options_.graph_url + "/v1.0/tenantRelationships/delegatedAdminRelationships");
  Status read = api_.pageGraph(
      {Api::kGraph,
       options_.graph_url + "/v1.0/tenantRelationships/delegatedAdminRelationships?$top=300",
       us,
       false,
       {}},
      [&](const Array::Ptr& value) {
        for (size_t i = 0; i < value->size() && in.ok(); ++i)
          if (auto r = adminRelationshipFrom(in.item(value, i, "value"), us, in))
            relationships[r->first].push_back(r->second);
      });
  if (Status s = listRead(read, in, Call::kAdminRelationships); !s) return s;
  return relationships;
}

Result<size_t> PartnerCenterSource::readEach(MergedLists& merged,
                                             const std::function<Status(const Tenant&)>& sink) {
  log().info("reading {} tenants ({} in the Partner Center customer list) with {} workers",
             merged.tenants.size(), merged.customers, options_.concurrency);
  const ProgressLog progress_log(merged.tenants.size());
  msapi::PoolSteps<TenantToRead> steps;
  steps.work = [&](TenantToRead& w) {
    if (merged.unreachable)
      everyPartUnknown(w.tenant, *merged.unreachable, options_.plan);
    else
      readTenant(w.tenant, w.customer);
  };
  steps.deliver = [&](TenantToRead& w) { return sink(w.tenant); };
  steps.delivered = [&](size_t done, size_t total) {
    if (options_.progress) options_.progress(done, total);
    progress_log(done, total);
  };
  return msapi::runWorkerPool(merged.tenants, options_.concurrency, cancel_, steps);
}

void PartnerCenterSource::readTenant(Tenant& t, std::optional<bool> customer) {
  // A part the plan leaves out is neither called for nor a problem: no rule reads it.
  const FetchPlan& plan = options_.plan;
  if (!customer) {
    customerPartsUnknown(t, plan);
  } else if (*customer) {
    if (plan.fetches(Part::kCustomerDetails)) mergeCustomerDetails(t, readCustomerDetails(t.id));
    if (plan.fetches(Part::kIndirectRelationships))
      mergeIndirectRelationships(t, readIndirectRelationships(t.id));
  } else {
    notOurCustomer(t);
  }
  // Inside the customer tenant (GDAP, or the app's consent there).
  if (plan.fetches(Part::kOrganization)) mergeOrganization(t, readOrganization(t.id));
  if (!plan.fetches(Part::kPartners)) return;
  auto partners = readPartners(t.id);
  if (partners) namePartners(*partners);
  mergePartners(t, std::move(partners));
}

Result<CustomerDetails> PartnerCenterSource::readCustomerDetails(const std::string& id) {
  const std::string url = options_.partner_center_url + "/v1/customers/" + id;
  const bool user = user_tokens_ && user_failure_.empty();
  auto body = api_.getJson({Api::kPartnerCenter, url, options_.partner_tenant_id, user, {}});
  Strict in(url);
  CustomerDetails d;
  if (body) d = customerDetailsFrom(*body, in);
  if (Status s = partRead(body.status(), in, Call::kCustomerDetails); !s) return s;
  return d;
}

Result<std::vector<IndirectRelationship>> PartnerCenterSource::readIndirectRelationships(
    const std::string& id) {
  if (!user_tokens_)
    return Status::unauthenticated(
        "needs App+User sign-in (Partner Center offers this call to App+User only); run "
        "'cspwatch auth login'");
  if (!user_failure_.empty()) return Status::unauthenticated("not read: " + user_failure_);
  const std::string url = options_.partner_center_url + "/v1/customers/" + id + "/relationships";
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
  if (Status s = partRead(read, in, Call::kRelationships); !s) return s;
  return list;
}

Result<OrganizationInfo> PartnerCenterSource::readOrganization(const std::string& id) {
  if (user_tokens_ && !user_failure_.empty())
    return Status::unauthenticated("not read: " + user_failure_);
  const std::string url = options_.graph_url + "/v1.0/organization";
  Strict in(url);
  std::vector<Object::Ptr> orgs;
  // "There's only one organization object in the collection", yet it is a collection: every page
  // is read (a first page may be empty).
  Status read =
      api_.pageGraph({Api::kGraph, url, id, user_tokens_, {}}, [&](const Array::Ptr& value) {
        for (size_t i = 0; i < value->size() && in.ok(); ++i)
          orgs.push_back(in.item(value, i, "value"));
      });
  if (read && in.ok() && orgs.size() != 1)
    in.fail(orgs.empty() ? "'value' is empty: no organization"
                         : std::to_string(orgs.size()) + " organizations");
  OrganizationInfo info;
  if (read && in.ok()) info = organizationFrom(orgs.front(), in);
  if (Status s = partRead(read, in, Call::kOrganization); !s) return s;
  return info;
}

Result<std::vector<CustomerPartner>> PartnerCenterSource::readPartners(const std::string& id) {
  if (user_tokens_ && !user_failure_.empty())
    return Status::unauthenticated("not read: " + user_failure_);
  const std::string url = options_.graph_url + "/v1.0/policies/crossTenantAccessPolicy/partners";
  Strict in(url);
  std::vector<CustomerPartner> list;
  Status read =
      api_.pageGraph({Api::kGraph, url, id, user_tokens_, {}}, [&](const Array::Ptr& value) {
        for (size_t i = 0; i < value->size() && in.ok(); ++i)
          if (auto p = customerPartnerFrom(in.item(value, i, "value"), in)) list.push_back(*p);
      });
  if (Status s = partRead(read, in, Call::kPartners); !s) return s;
  return list;
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

}  // namespace cspwatch::tenants
