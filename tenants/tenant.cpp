// SPDX-License-Identifier: Apache-2.0
#include "tenants/tenant.h"

#include <algorithm>

namespace cspwatch::tenants {

const std::vector<std::string>& partNames() {
  static const std::vector<std::string> kNames = {"customer_list",
                                                  "customer_details",
                                                  "indirect_relationships",
                                                  "admin_relationships",
                                                  "organization",
                                                  "partners",
                                                  "inventory"};
  return kNames;
}

const char* partName(Part p) { return partNames()[static_cast<size_t>(p)].c_str(); }

std::optional<Part> partFromName(const std::string& name) {
  const auto& names = partNames();
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<Part>(it - names.begin());
}

const std::vector<std::string>& contactPurposes() {
  static const std::vector<std::string> kPurposes = {kPurposeAdminCredentials, kPurposeBilling,
                                                     kPurposeCompany, kPurposeTechnicalNotification,
                                                     kPurposeInvitation};
  return kPurposes;
}

bool Tenant::hasSource(const std::string& source) const {
  return std::find(sources.begin(), sources.end(), source) != sources.end();
}

void Tenant::addSource(const std::string& source) {
  if (hasSource(source)) return;
  sources.push_back(source);
  std::sort(sources.begin(), sources.end());
}

}  // namespace cspwatch::tenants
