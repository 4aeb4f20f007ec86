// SPDX-License-Identifier: Apache-2.0
// The notification history (docs/storage.md#notification-history): which messages mentioned
// which findings, so that `cspwatch findings show` can say who was told about a finding, when,
// by which message (its Message-ID, as the recipient's mail client shows it) and whether that
// message went out. Outbox::enqueue records a message's findings here in the caller's
// transaction: the rows exist exactly when the message does. Retention (storage/retention.h)
// drops rows of findings no longer open once they are older than alerts.retention.
//
// Works on a FindingStore's database; not thread-safe (one per thread, like the store).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/database.h"
#include "storage/outbox.h"
#include "storage/states.h"

namespace cspwatch::storage {

// One message that mentioned a finding, with the delivery status of its outbox row.
struct Notification {
  std::string message_id;  // "<...@...>"
  std::string recipient;   // the message's recipients, as the outbox holds them
  std::string kind;        // the message's kind: digest, critical, ...
  Timestamp at;            // when the message was made (the outbox row's created_at)
  // The outbox row's status; absent when the row is gone (nothing deletes one today).
  std::optional<OutboxStatus> status;
  std::optional<Timestamp> sent_at;
  int attempts = 0;
  std::string last_error;  // the server's last answer when an attempt failed
};

class Notifications {
 public:
  explicit Notifications(Database& db) : db_(db) {}

  // One row per id in `message.finding_ids` (recipient, kind and created_at from the message).
  // A row already there is left as it is, so recording the same message again adds nothing.
  // Call inside the transaction that queues the message (Outbox::enqueue does).
  Status record(const OutboxMessage& message);
  // The messages that mentioned `finding_id`, oldest first.
  Result<std::vector<Notification>> ofFinding(int64_t finding_id);

 private:
  Database& db_;
};

}  // namespace cspwatch::storage
