// SPDX-License-Identifier: Apache-2.0
// The fetch plan: which per-tenant parts a scan reads for the tenant fields its rules read
// (docs/tenant-model.md, "Which rule fields make which calls").
#include "tenants/fetch_plan.h"

#include <catch2/catch.hpp>

#include "tenants/tenant_merge.h"
#include "tenants/tenant_value.h"

using namespace cspwatch;
using namespace cspwatch::tenants;

namespace {

// The per-tenant parts a plan fetches, by name.
std::set<std::string> fetched(const FetchPlan& plan) {
  std::set<std::string> out;
  for (Part p :
       {Part::kCustomerDetails, Part::kIndirectRelationships, Part::kOrganization, Part::kPartners})
    if (plan.fetches(p)) out.insert(partName(p));
  return out;
}

}  // namespace

TEST_CASE("fetch plan: field names read to the per-tenant parts fetched") {
  using Names = std::set<std::string>;
  struct Case {
    Names fields;
    bool all;
    Names parts;
  };
  const Names every = {"customer_details", "indirect_relationships", "organization", "partners"};
  const std::vector<Case> cases = {
      {{}, false, {}},
      {{"id", "name", "default_domain", "tags", "sources"}, false, {}},
      {{"in_customer_list", "relationship_to_partner", "admin_relationships"}, false, {}},
      {{"onboarded_at"}, false, {}},
      {{"verified_domains"}, false, {"organization"}},
      {{"created_at"}, false, {"organization"}},
      {{"dap_enabled"}, false, {"customer_details"}},
      {{"contacts"}, false, {"customer_details", "organization"}},
      {{"partners"}, false, {"partners"}},
      {{"indirect_relationships"}, false, {"indirect_relationships"}},
      // The default pack's fields.
      {{"admin_relationships", "contacts", "dap_enabled", "default_domain", "id",
        "in_customer_list", "name", "partners", "sources", "verified_domains"},
       false,
       {"customer_details", "organization", "partners"}},
      {{"fetch_problems"}, false, every},
      {{"dap_enabled"}, true, every},
      {{}, true, every},
      {{"a_field_added_later"}, false, every},
  };
  for (const auto& c : cases) {
    INFO("fields: " << Catch::Detail::stringify(c.fields) << (c.all ? " and all" : ""));
    const FetchPlan plan = FetchPlan::forFields(c.fields, c.all);
    CHECK(fetched(plan) == c.parts);
    // The lists and the inventory are always read.
    CHECK(plan.fetches(Part::kCustomerList));
    CHECK(plan.fetches(Part::kAdminRelationships));
    CHECK(plan.fetches(Part::kInventory));
  }
  CHECK(fetched(FetchPlan::everything()) == every);
  CHECK(FetchPlan::everything().skipped().empty());
}

TEST_CASE("fetch plan: every field of the tenant model has its parts, fetch_problems aside") {
  std::vector<std::string> model, table;
  for (const auto& f : tenantType().fields)
    if (f.name != "fetch_problems") model.push_back(f.name);
  for (const auto& [name, parts] : fieldParts()) table.push_back(name);
  CHECK(table == model);
}

TEST_CASE("fetch plan: the log line says what is fetched for which fields, and why not") {
  const FetchPlan plan = FetchPlan::forFields({"dap_enabled", "partners", "name"}, false);
  CHECK(plan.skipped() == std::vector<Part>{Part::kIndirectRelationships, Part::kOrganization});
  CHECK(plan.describe() ==
        "fetching the customer list, the GDAP relationship list and the inventory, and for each "
        "tenant customer_details (for dap_enabled), partners (for partners); skipping "
        "indirect_relationships (no enabled rule reads indirect_relationships), organization (no "
        "enabled rule reads contacts, created_at or verified_domains)");
  CHECK(FetchPlan::forFields({"fetch_problems"}, false).describe() ==
        "fetching every part of each tenant (a rule reads fetch_problems)");
  CHECK(FetchPlan::forFields({}, true).describe() ==
        "fetching every part of each tenant (a rule uses the tenant as a whole)");
}

TEST_CASE("fetch plan: parts left out are not fetch problems when the lists cannot be read") {
  const FetchPlan plan = FetchPlan::forFields({"verified_domains"}, false);
  Tenant customer_list_unread;
  customerPartsUnknown(customer_list_unread, plan);
  CHECK(customer_list_unread.fetch_problems.empty());
  CHECK_FALSE(customer_list_unread.contacts);  // no unread billing or company contact either

  Tenant unreachable;
  everyPartUnknown(unreachable, "not read: graph down", plan);
  REQUIRE(unreachable.fetch_problems.size() == 1);
  CHECK(unreachable.fetch_problems[0].part == "organization");
}
