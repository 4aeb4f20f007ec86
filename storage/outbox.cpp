// SPDX-License-Identifier: Apache-2.0
#include "storage/outbox.h"

#include "storage/notifications.h"

namespace cspwatch::storage {

namespace {

constexpr const char* kColumns =
    "SELECT id, message_id, kind, recipients, subject, body, scan_id, created_at, status, "
    "attempts, "
    "next_attempt_at, COALESCE(last_error, ''), sent_at, channel, target FROM outbox ";

// One row of kColumns; a status the schema forbids is a corruption.
Result<OutboxMessage> read(const Statement& st) {
  OutboxMessage m;
  m.id = st.getInt(0);
  m.message_id = st.getText(1);
  m.kind = st.getText(2);
  m.recipients = st.getText(3);
  m.subject = st.getText(4);
  m.body = st.getText(5);
  m.scan_id = st.getOptInt(6);
  m.created_at = fromUnixSeconds(st.getInt(7));
  const std::string status = st.getText(8);
  if (auto parsed = parseOutboxStatus(status))
    m.status = *parsed;
  else
    return storedValueError("outbox.status", status);
  m.attempts = static_cast<int>(st.getInt(9));
  m.next_attempt_at = fromUnixSeconds(st.getInt(10));
  m.last_error = st.getText(11);
  if (auto s = st.getOptInt(12)) m.sent_at = fromUnixSeconds(*s);
  m.channel = st.getText(13);
  m.target = st.getText(14);
  return m;
}

// Every row `st` has left, each read by read(); stops at the first error.
Result<std::vector<OutboxMessage>> readAll(Statement& st) {
  std::vector<OutboxMessage> out;
  while (st.step()) {
    auto m = read(st);
    if (!m) return m.status();
    out.push_back(std::move(*m));
  }
  if (!st.status()) return st.status();
  return out;
}

}  // namespace

Status Outbox::enqueue(const OutboxMessage& m) {
  // The message and its notification rows are stored together: in the caller's transaction,
  // or, outside one, in a transaction of our own.
  std::optional<Transaction> own;
  if (!m.finding_ids.empty() && !db_.inTransaction()) {
    own.emplace(db_);
    if (!own->status()) return own->status();
  }
  auto st = db_.prepare(
      "INSERT INTO outbox (message_id, kind, recipients, subject, body, scan_id, created_at, "
      "status, next_attempt_at, channel, target) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', "
      "?7, ?8, ?9) ON CONFLICT DO NOTHING");
  if (!st) return st.status();
  st->bind(1, m.message_id)
      .bind(2, m.kind)
      .bind(3, m.recipients)
      .bind(4, m.subject)
      .bind(5, m.body)
      .bind(6, m.scan_id)
      .bind(7, toUnixSeconds(m.created_at))
      .bind(8, m.channel)
      .bind(9, m.target);
  if (Status s = st->run(); !s) return s;
  if (Status s = Notifications(db_).record(m); !s) return s;
  return own ? own->commit() : Status::ok();
}

Result<std::vector<OutboxMessage>> Outbox::due(Timestamp now, int limit,
                                               const std::vector<std::string>& channels) {
  // ",email,webhook,": the channels wanted, matched whole; "" for all.
  std::string wanted;
  for (const auto& c : channels) wanted += "," + c;
  if (!wanted.empty()) wanted += ",";
  auto st = db_.prepare(std::string(kColumns) +
                        "WHERE status = 'queued' AND next_attempt_at <= ?1 "
                        "AND (?3 = '' OR instr(?3, ',' || channel || ',') > 0) "
                        "ORDER BY kind = 'critical' DESC, next_attempt_at, id LIMIT ?2");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now)).bind(2, int64_t{limit}).bind(3, wanted);
  return readAll(*st);
}

Result<bool> Outbox::claim(int64_t id, Timestamp now, Seconds lease) {
  // On PostgreSQL, instances sharing the outbox claim row by row without waiting for each other:
  // a row another instance is claiming at this moment is skipped (FOR UPDATE SKIP LOCKED), and
  // the UPDATE's condition, checked again on the row it locked, refuses a row claimed since.
  // SQLite has one writer at a time, so its UPDATE alone is the claim.
  auto st = db_.prepare(
      db_.dialect() == Dialect::kPostgres
          ? "UPDATE outbox SET next_attempt_at = ?3 WHERE id = (SELECT id FROM outbox WHERE id = "
            "?1 AND status = 'queued' AND next_attempt_at <= ?2 FOR UPDATE SKIP LOCKED) "
            "AND status = 'queued' AND next_attempt_at <= ?2"
          : "UPDATE outbox SET next_attempt_at = ?3 WHERE id = ?1 AND status = 'queued' "
            "AND next_attempt_at <= ?2");
  if (!st) return st.status();
  st->bind(1, id).bind(2, toUnixSeconds(now)).bind(3, toUnixSeconds(now + lease));
  if (Status s = st->run(); !s) return s;
  return db_.changes() == 1;
}

Status Outbox::markSent(int64_t id, Timestamp now) {
  // "status = 'queued'" makes marking idempotent: a message is sent once in the books.
  auto st = db_.prepare(
      "UPDATE outbox SET status = 'sent', sent_at = ?2, attempts = attempts + 1 WHERE id = ?1 AND "
      "status = 'queued'");
  if (!st) return st.status();
  st->bind(1, id).bind(2, toUnixSeconds(now));
  return st->run();
}

Status Outbox::markAttemptFailed(int64_t id, const std::string& error, Timestamp now,
                                 Seconds retry_after, Seconds give_up_after) {
  auto st = db_.prepare(
      "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3, "
      "status = CASE WHEN ?3 - created_at > ?4 THEN 'failed' ELSE 'queued' END "
      "WHERE id = ?1 AND status = 'queued'");
  if (!st) return st.status();
  st->bind(1, id)
      .bind(2, error)
      .bind(3, toUnixSeconds(now + retry_after))
      .bind(4, give_up_after.count());
  return st->run();
}

Result<std::vector<OutboxMessage>> Outbox::pending() {
  auto st = db_.prepare(std::string(kColumns) + "WHERE status != 'sent' ORDER BY id");
  if (!st) return st.status();
  return readAll(*st);
}

Result<std::vector<OutboxMessage>> Outbox::recent(int limit) {
  auto st = db_.prepare(std::string(kColumns) + "ORDER BY id DESC LIMIT ?1");
  if (!st) return st.status();
  st->bind(1, int64_t{limit});
  return readAll(*st);
}

}  // namespace cspwatch::storage
