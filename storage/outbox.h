// SPDX-License-Identifier: Apache-2.0
// The durable outbox (docs/storage.md#outbox): messages are written here, in the same
// transaction as the scan that caused them, and a sender delivers them later. A message is
// marked sent exactly once; a failed attempt is kept with the server's answer and retried
// with backoff; past a deadline it is marked failed and reported, never dropped. Each message
// has a stable Message-ID, so a resend after a crash between "sent" and "marked" is
// recognisable by the receiver.
//
// Works on a FindingStore's database; not thread-safe (one per thread, like the store).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/database.h"
#include "storage/states.h"

namespace cspwatch::storage {

struct OutboxMessage {
  int64_t id = 0;
  std::string message_id;  // "<...@...>", unique
  std::string kind;        // digest, critical, test, ...
  std::string recipients;  // comma-separated addresses
  std::string subject;
  std::string body;  // the whole RFC 5322 message; webhook and teams: the JSON to post
  // Where it goes (docs/alerts.md#outputs): "email" to `recipients`; "webhook" or "teams" to the
  // output `target` names ("webhook:<route>:<N>"), never a URL, which may hold a secret; the
  // sender looks it up in the configuration. `recipients` then shows the URL without its query.
  std::string channel = "email";
  std::string target;
  std::optional<int64_t> scan_id;
  Timestamp created_at;
  OutboxStatus status = OutboxStatus::kQueued;
  int attempts = 0;
  Timestamp next_attempt_at;
  std::string last_error;
  std::optional<Timestamp> sent_at;
  // The findings the message mentions (storage/notifications.h); written by enqueue, not read
  // back by due(), pending() or recent().
  std::vector<int64_t> finding_ids;
};

class Outbox {
 public:
  explicit Outbox(Database& db) : db_(db) {}

  // Queues a message; a Message-ID already queued or sent is ignored (idempotent), so the
  // same scan applied twice cannot send twice. Records the findings it mentions in the
  // notification history (storage/notifications.h) in the same transaction, each pair once.
  // Call inside the caller's transaction.
  Status enqueue(const OutboxMessage& message);
  // Queued messages due at `now`: critical ones first, then oldest first. Only those of
  // `channels` when given ("email", "webhook", "teams").
  Result<std::vector<OutboxMessage>> due(Timestamp now, int limit = 50,
                                         const std::vector<std::string>& channels = {});
  // Takes a due message for delivery: it is not due again for `lease`, so another sender
  // (a second process) skips it; a sender that dies holding it lets it fall due again after
  // the lease. False when someone else took it, or it is no longer queued or due.
  Result<bool> claim(int64_t id, Timestamp now, Seconds lease);
  Status markSent(int64_t id, Timestamp now);
  // Records a failed attempt; the next one waits `retry_after`. Past `give_up_at` (measured
  // from the message's creation) the message is marked failed instead.
  Status markAttemptFailed(int64_t id, const std::string& error, Timestamp now, Seconds retry_after,
                           Seconds give_up_after);
  // Everything not sent (queued and failed), for `cspwatch alerts outbox`.
  Result<std::vector<OutboxMessage>> pending();
  // The latest `limit` messages whatever their status, newest first.
  Result<std::vector<OutboxMessage>> recent(int limit);

 private:
  Database& db_;
};

}  // namespace cspwatch::storage
