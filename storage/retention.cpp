// SPDX-License-Identifier: Apache-2.0
#include "storage/retention.h"

#include <string>

namespace cspwatch::storage {

namespace {

// Findings that are open (suppressed ones included): their data is never pruned.
constexpr const char* kNotOpen = "finding_id NOT IN (SELECT id FROM findings WHERE state = 'open')";

// Runs `sql` with ?1 bound to the cut-off time; returns how many rows it changed.
Result<int64_t> change(Database& db, const std::string& sql, int64_t cutoff) {
  auto st = db.prepare(sql);
  if (!st) return st.status();
  st->bind(1, cutoff);
  if (Status s = st->run(); !s) return s;
  return int64_t{db.changes()};
}

// Empties the bodies of messages sent before the cut-off; counts them and their bytes first.
Status pruneBodies(Database& db, int64_t cutoff, PruneReport& report) {
  const std::string where = "WHERE status = 'sent' AND sent_at < ?1 AND body != ''";
  // Bytes, not characters: SQLite counts a blob's, PostgreSQL has octet_length().
  const std::string bytes =
      db.dialect() == Dialect::kPostgres ? "octet_length(body)" : "length(CAST(body AS BLOB))";
  auto st = db.prepare("SELECT count(*), COALESCE(sum(" + bytes + "), 0) FROM outbox " + where);
  if (!st) return st.status();
  st->bind(1, cutoff);
  if (!st->step()) return st->status().isOk() ? Status::corruption("no count") : st->status();
  report.body_bytes = st->getInt(1);
  auto n = change(db, "UPDATE outbox SET body = '' " + where, cutoff);
  if (!n) return n.status();
  report.bodies = *n;
  return Status::ok();
}

}  // namespace

Result<PruneReport> pruneExpired(Database& db, Seconds retention, Timestamp now) {
  if (retention.count() <= 0) return Status::invalidArgument("retention must be positive");
  const int64_t cutoff = toUnixSeconds(now - retention);
  PruneReport report;
  Transaction tx(db);
  if (!tx.status()) return tx.status();
  if (Status s = pruneBodies(db, cutoff, report); !s) return s;
  auto reminders =
      change(db, std::string("DELETE FROM reminders WHERE last_at < ?1 AND ") + kNotOpen, cutoff);
  if (!reminders) return reminders.status();
  report.reminders = *reminders;
  auto notifications =
      change(db, std::string("DELETE FROM notifications WHERE at < ?1 AND ") + kNotOpen, cutoff);
  if (!notifications) return notifications.status();
  report.notifications = *notifications;
  if (Status s = tx.commit(); !s) return s;
  return report;
}

}  // namespace cspwatch::storage
