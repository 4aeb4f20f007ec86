// SPDX-License-Identifier: Apache-2.0
#include "scan/fault_points.h"

#include <atomic>

namespace cspwatch::scan::faults {

namespace {
TenantStaged tenant_staged = nullptr;
MessageDelivered message_delivered = nullptr;
std::atomic<long> delivered_count{0};
}  // namespace

void onTenantStaged(TenantStaged action) { tenant_staged = action; }

void tenantStaged(long staged) {
  if (tenant_staged != nullptr) tenant_staged(staged);
}

void onMessageDelivered(MessageDelivered action) { message_delivered = action; }

void messageDelivered() {
  const long n = ++delivered_count;
  if (message_delivered != nullptr) message_delivered(n);
}

}  // namespace cspwatch::scan::faults
