// SPDX-License-Identifier: Apache-2.0
// The partner user's sign-in across scans (finding_store.h): scans.sign_in_error and the
// "signin" messages in the outbox.
#include "common/redact.h"
#include "storage/finding_store.h"

namespace cspwatch::storage {

Status FindingStore::noteSignInFailure(int64_t scan, const std::string& error) {
  auto st = db_.prepare("UPDATE scans SET sign_in_error = ?1 WHERE id = ?2");
  if (!st) return st.status();
  st->bind(1, redactSecrets(error)).bind(2, scan);  // Entra's words, quoted
  return st->run();
}

Result<bool> FindingStore::signInAlertDue(int64_t scan, Timestamp now, Seconds every) {
  auto prev = db_.prepare(
      "SELECT sign_in_error IS NOT NULL FROM scans WHERE id < ?1 "
      "AND status IN ('completed','partial') ORDER BY id DESC LIMIT 1");
  if (!prev) return prev.status();
  prev->bind(1, scan);
  const bool failed_before = prev->step() && prev->getInt(0) != 0;
  if (!prev->status()) return prev->status();
  if (!failed_before) return true;
  auto last = db_.prepare("SELECT max(created_at) FROM outbox WHERE kind = 'signin'");
  if (!last) return last.status();
  std::optional<int64_t> at;
  if (last->step()) at = last->getOptInt(0);
  if (!last->status()) return last->status();
  return !at || toUnixSeconds(now) - *at >= every.count();
}

}  // namespace cspwatch::storage
