// SPDX-License-Identifier: Apache-2.0
// Retention (docs/storage.md#retention): what the database no longer needs to keep once it is
// older than alerts.retention. The scan job runs it after each scan (scan/scan_job.h), outside
// the scan's transaction, so a failure here costs nothing of the scan.
//
// What goes, for rows older than `retention` at `now` (older: strictly before now - retention):
//   - the body of each message sent that long ago: emptied, while the outbox row, its status,
//     Message-ID and times stay, so that the notification history still names and resolves it.
//     Queued and failed messages keep their bodies (a failed one may be sent again);
//   - reminder rows whose last reminder is that old, of findings no longer open;
//   - notification rows that old, of findings no longer open.
// Open findings' reminders and notifications are never touched, whatever their age; findings,
// events, scans and the audit trail are kept (docs/storage.md).
//
// Works on a FindingStore's database; not thread-safe (one per thread, like the store).
#pragma once

#include <cstdint>

#include "common/status.h"
#include "common/time.h"
#include "storage/database.h"

namespace cspwatch::storage {

// What one pass pruned.
struct PruneReport {
  int64_t bodies = 0;         // sent messages whose body was emptied
  int64_t body_bytes = 0;     // the bytes those bodies held
  int64_t reminders = 0;      // reminder rows deleted
  int64_t notifications = 0;  // notification rows deleted
  bool empty() const { return bodies == 0 && reminders == 0 && notifications == 0; }
};

// Prunes what is older than `retention` at `now` (above), in one transaction of its own: the
// caller must not be in one. `retention` must be positive. An error leaves everything as it was.
Result<PruneReport> pruneExpired(Database& db, Seconds retention, Timestamp now);

}  // namespace cspwatch::storage
