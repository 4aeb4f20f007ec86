// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "daemon/app_config.h"
#include "storage/finding_store.h"

namespace cspwatch::daemon {

inline storage::StoreOptions storeOptions(const AppConfig& cfg) {
  return {cfg.tenant_gone_after_scans, cfg.max_suppression};
}

}  // namespace cspwatch::daemon
