// SPDX-License-Identifier: Apache-2.0
#include "scan/fault_points.h"

namespace cspwatch::scan::faults {

namespace {
TenantStaged tenant_staged = nullptr;
}  // namespace

void onTenantStaged(TenantStaged action) { tenant_staged = action; }

void tenantStaged(long staged) {
  if (tenant_staged != nullptr) tenant_staged(staged);
}

}  // namespace cspwatch::scan::faults
