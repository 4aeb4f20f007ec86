// SPDX-License-Identifier: Apache-2.0
#include "storage/notifications.h"

namespace cspwatch::storage {

Status Notifications::record(const OutboxMessage& message) {
  if (message.finding_ids.empty()) return Status::ok();
  auto st = db_.prepare(
      "INSERT INTO notifications (finding_id, message_id, recipient, kind, at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING");
  if (!st) return st.status();
  for (int64_t id : message.finding_ids) {
    st->reset();
    st->bind(1, id)
        .bind(2, message.message_id)
        .bind(3, message.recipients)
        .bind(4, message.kind)
        .bind(5, toUnixSeconds(message.created_at));
    if (Status s = st->run(); !s) return s;
  }
  return Status::ok();
}

Result<std::vector<Notification>> Notifications::ofFinding(int64_t finding_id) {
  auto st = db_.prepare(
      "SELECT n.message_id, n.recipient, n.kind, n.at, o.status, o.sent_at, "
      "COALESCE(o.attempts, 0), COALESCE(o.last_error, '') "
      "FROM notifications n LEFT JOIN outbox o ON o.message_id = n.message_id "
      "WHERE n.finding_id = ?1 ORDER BY n.at, n.message_id");
  if (!st) return st.status();
  st->bind(1, finding_id);
  std::vector<Notification> out;
  while (st->step()) {
    Notification n;
    n.message_id = st->getText(0);
    n.recipient = st->getText(1);
    n.kind = st->getText(2);
    n.at = fromUnixSeconds(st->getInt(3));
    if (auto status = st->getOptText(4)) {
      n.status = parseOutboxStatus(*status);
      if (!n.status) return storedValueError("outbox.status", *status);
    }
    if (auto sent = st->getOptInt(5)) n.sent_at = fromUnixSeconds(*sent);
    n.attempts = static_cast<int>(st->getInt(6));
    n.last_error = st->getText(7);
    out.push_back(std::move(n));
  }
  if (!st->status()) return st->status();
  return out;
}

}  // namespace cspwatch::storage
