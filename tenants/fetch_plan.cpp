// SPDX-License-Identifier: Apache-2.0
#include "tenants/fetch_plan.h"

#include <algorithm>

#include "common/text.h"

namespace cspwatch::tenants {

namespace {

// The per-tenant calls a plan may leave out, in declaration order; the lists and the inventory
// are always read (fetch_plan.h says why).
const std::vector<Part> kPerTenant = {Part::kCustomerDetails, Part::kIndirectRelationships,
                                      Part::kOrganization, Part::kPartners};

// The fields, among `fields`, that are filled from `part`.
std::vector<std::string> fieldsOf(Part part, const std::vector<std::string>& fields) {
  std::vector<std::string> out;
  for (const auto& f : fields)
    for (const auto& [name, parts] : fieldParts())
      if (name == f && std::find(parts.begin(), parts.end(), part) != parts.end()) out.push_back(f);
  return out;
}

// "a, b or c".
std::string orList(const std::vector<std::string>& names) {
  if (names.size() < 2) return join(names, "");
  return join(std::vector<std::string>(names.begin(), names.end() - 1), ", ") + " or " +
         names.back();
}

std::vector<std::string> everyField() {
  std::vector<std::string> out;
  for (const auto& [name, parts] : fieldParts()) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

const std::vector<std::pair<std::string, std::vector<Part>>>& fieldParts() {
  // Identity comes with the lists and the inventory, whatever else is read.
  static const std::vector<std::pair<std::string, std::vector<Part>>> kTable = {
      {"id", {Part::kCustomerList, Part::kInventory}},
      {"name", {Part::kCustomerList, Part::kInventory}},
      {"default_domain", {Part::kCustomerList, Part::kInventory}},
      {"tags", {Part::kInventory}},
      {"sources", {Part::kCustomerList, Part::kInventory}},
      {"verified_domains", {Part::kOrganization}},
      {"in_customer_list", {Part::kCustomerList}},
      {"relationship_to_partner", {Part::kCustomerList}},
      {"partners", {Part::kPartners}},
      {"indirect_relationships", {Part::kIndirectRelationships}},
      {"admin_relationships", {Part::kAdminRelationships}},
      {"dap_enabled", {Part::kCustomerDetails}},
      // Billing and company (customer details), technical notification (organization),
      // admin_credentials and invitation (the inventory).
      {"contacts", {Part::kCustomerDetails, Part::kOrganization, Part::kInventory}},
      {"created_at", {Part::kOrganization}},
      {"onboarded_at", {Part::kInventory}},
  };
  return kTable;
}

FetchPlan FetchPlan::everything() {
  FetchPlan plan;
  for (const auto& name : partNames()) plan.parts_.insert(*partFromName(name));
  plan.everything_because_ = "every part asked for";
  return plan;
}

FetchPlan FetchPlan::forFields(const std::set<std::string>& fields, bool all) {
  std::string because;
  if (all) because = "a rule uses the tenant as a whole";
  for (const auto& f : fields) {
    if (!because.empty()) break;
    const bool known = std::any_of(fieldParts().begin(), fieldParts().end(),
                                   [&f](const auto& entry) { return entry.first == f; });
    if (f == "fetch_problems")
      because = "a rule reads fetch_problems";
    else if (!known)
      because = "a rule reads " + f + ", which the fetch plan does not know";
  }
  FetchPlan plan = everything();
  if (!because.empty()) {
    plan.everything_because_ = because;
    return plan;
  }
  plan.everything_because_.clear();
  plan.fields_.assign(fields.begin(), fields.end());
  for (Part part : kPerTenant)
    if (fieldsOf(part, plan.fields_).empty()) plan.parts_.erase(part);
  return plan;
}

bool FetchPlan::fetches(Part part) const { return parts_.count(part) > 0; }

std::vector<Part> FetchPlan::skipped() const {
  std::vector<Part> out;
  for (Part part : kPerTenant)
    if (!fetches(part)) out.push_back(part);
  return out;
}

std::string FetchPlan::describe() const {
  if (!everything_because_.empty())
    return "fetching every part of each tenant (" + everything_because_ + ")";
  std::vector<std::string> fetched, skips;
  for (Part part : kPerTenant) {
    if (fetches(part)) {
      fetched.push_back(std::string(partName(part)) + " (for " +
                        join(fieldsOf(part, fields_), ", ") + ")");
    } else {
      skips.push_back(std::string(partName(part)) + " (no enabled rule reads " +
                      orList(fieldsOf(part, everyField())) + ")");
    }
  }
  std::string line = "fetching the customer list, the GDAP relationship list and the inventory";
  if (!fetched.empty()) line += ", and for each tenant " + join(fetched, ", ");
  return line + "; skipping " + (skips.empty() ? "nothing" : join(skips, ", "));
}

}  // namespace cspwatch::tenants
