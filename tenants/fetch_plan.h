// SPDX-License-Identifier: Apache-2.0
// Which parts of each tenant a scan fetches: the parts whose fields its rules read
// (docs/tenant-model.md, "Which rule fields make which calls"). Built from the names of the
// `tenant` fields a rule set reads (rules::RuleSet::tenantFieldsRead(); rules/ records names,
// this maps them to parts), or everything: `cspwatch tenants list`, and the default.
//
// The lists (the Partner Center customer list, our GDAP relationships) and the inventory are
// always read: the customer list says who is a customer at all, and the two lists together tell
// an unreachable Microsoft from a refusal. Only the per-tenant calls are left out: customer
// details, indirect relationships, organization, partners (with the partners' name look-ups).
// A part left out is not a fetch problem: its fields stay unset and no fetch problem is added,
// as no rule reads them (tenants/partner_center_source.h). A value type, copied freely.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tenants/tenant.h"

namespace cspwatch::tenants {

class FetchPlan {
 public:
  // Every part (the default).
  static FetchPlan everything();
  // The parts the rules reading `fields` need. `all`: a rule uses the tenant whole. Reading
  // fetch_problems, or a name this plan does not know (a field added to the model without its
  // line in fieldParts()), fetches everything, so a field is never read unfetched.
  static FetchPlan forFields(const std::set<std::string>& fields, bool all);

  bool fetches(Part part) const;
  // The per-tenant parts left out, in declaration order.
  std::vector<Part> skipped() const;
  // One line for the scan's log: what is fetched for which fields, what is skipped and why.
  std::string describe() const;

 private:
  std::set<Part> parts_;
  std::vector<std::string> fields_;  // the fields read, sorted (empty for everything)
  std::string everything_because_;   // set when every part is fetched
};

// The parts each tenant field is filled from (docs/tenant-model.md), in the order of
// tenants::tenantType()'s fields; fetch_problems is not listed (reading it fetches everything).
const std::vector<std::pair<std::string, std::vector<Part>>>& fieldParts();

}  // namespace cspwatch::tenants
