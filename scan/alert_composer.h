// SPDX-License-Identifier: Apache-2.0
// What a scan's alerts are made of, as ScanJob asks for them inside the scan's transaction:
// given what the scan changed, the messages to queue and the findings whose reminder they
// carry. AlertPipeline (scan/alert_pipeline.h) is the one the program uses; tests plant their
// own. A composer reads the store (reminders due, streaks, suppressions) but writes nothing:
// ScanJob queues the messages and counts the reminders, so all of a scan's writes are in
// scan/scan_job.cpp and storage/.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/finding_store.h"
#include "storage/outbox.h"

namespace cspwatch::scan {

struct ScanAlerts {
  std::vector<storage::OutboxMessage> messages;
  std::vector<int64_t> reminded;  // findings a message reminds someone of
};

class AlertComposer {
 public:
  virtual ~AlertComposer() = default;
  // An error abandons the whole scan: its changes and its alerts are stored together or not
  // at all.
  virtual Result<ScanAlerts> compose(storage::FindingStore& store,
                                     const storage::ScanChanges& changes, Timestamp now) = 0;
};

}  // namespace cspwatch::scan
