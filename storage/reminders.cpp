// SPDX-License-Identifier: Apache-2.0
// Reminders of open findings, "could not be checked" streaks, tenant names and tags, open
// counts: what the alerts and the daemon's metrics need beyond a scan's own changes.
#include <algorithm>

#include "common/text.h"
#include "storage/finding_sql.h"
#include "storage/finding_store.h"

namespace cspwatch::storage {

using namespace detail;

Result<std::vector<FindingRow>> FindingStore::remindersDue(Timestamp now,
                                                           const std::vector<Seconds>& intervals) {
  if (intervals.empty()) return Status::invalidArgument("no reminder intervals");
  // The wait before reminder n: intervals[min(n, size - 1)], as a CASE over the count. The
  // intervals are integers from the configuration, so writing them into the SQL is safe.
  const std::string last = std::to_string(intervals.size() - 1);
  std::string wait = "CASE CASE WHEN COALESCE(r.times, 0) < " + last +
                     " THEN COALESCE(r.times, 0) ELSE " + last + " END";
  for (size_t i = 0; i < intervals.size(); ++i)
    wait += " WHEN " + std::to_string(i) + " THEN " + std::to_string(intervals[i].count());
  // A tenth early still counts, so that a daily scan starting a little earlier than the day
  // before does not push a reminder back by a whole interval.
  wait = "(" + wait + " END) * 9 / 10";
  // Opened (or reopened) at: when the scan that opened it was applied.
  // The due ones are picked with a cheap pass over the open findings; only they get the full
  // columns (suppression, last seen), which cost a look-up each.
  auto st = db_.prepare(kFindingColumns + kFindingFrom +
                        "WHERE f.id IN (SELECT x.id FROM findings x "
                        "JOIN scans os ON os.id = x.opened_scan "
                        "LEFT JOIN reminders r ON r.finding_id = x.id AND r.opened_scan = "
                        "x.opened_scan "
                        "WHERE x.state = 'open' AND ?1 >= COALESCE(r.last_at, os.finished_at, "
                        "os.started_at) + " +
                        wait + ")");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now));
  std::vector<FindingRow> rows;
  while (st->step()) {
    auto r = readFinding(*st);
    if (!r) return r.status();
    if (!r->suppressed) rows.push_back(std::move(*r));  // a suppressed finding is not reminded
  }
  if (!st->status()) return st->status();
  sortFindings(rows);
  return rows;
}

Status FindingStore::recordReminders(const std::vector<int64_t>& finding_ids, Timestamp now) {
  auto st = db_.prepare(
      "INSERT INTO reminders (finding_id, opened_scan, times, last_at) "
      "SELECT id, opened_scan, 1, ?2 FROM findings WHERE id = ?1 "
      "ON CONFLICT (finding_id) DO UPDATE SET "
      "times = CASE WHEN reminders.opened_scan = excluded.opened_scan THEN reminders.times + 1 "
      "ELSE 1 END, opened_scan = excluded.opened_scan, last_at = excluded.last_at");
  if (!st) return st.status();
  for (int64_t id : finding_ids) {
    st->reset();
    st->bind(1, id).bind(2, toUnixSeconds(now));
    if (Status s = st->run(); !s) return s;
  }
  return Status::ok();
}

Result<std::vector<UnknownStreak>> FindingStore::unknownStreaks(std::optional<Timestamp> now) {
  // A suppression without a subject covers its rule's could-not-check items (not a whole
  // tenant's, rule '*') for the tenants it names (storage/finding_store.h).
  auto st = db_.prepare(
      "SELECT u.rule_id, u.tenant_id, COALESCE(t.name, ''), u.reason, u.since_scan, "
      "s.started_at, (SELECT count(*) FROM scans x WHERE x.id >= u.since_scan "
      "AND x.status IN ('completed','partial')), "
      "(SELECT min(p.id) FROM suppressions p WHERE ?1 IS NOT NULL AND p.subject IS NULL "
      "AND p.rule_id = u.rule_id AND (p.tenant_id IS NULL OR p.tenant_id = u.tenant_id) AND " +
      tagCovers("p", "u.tenant_id") +
      " AND p.removed_at IS NULL AND p.expires_at > ?1) "
      "FROM unknowns u LEFT JOIN tenants t ON t.id = u.tenant_id JOIN scans s ON s.id = "
      "u.since_scan "
      "WHERE u.until_scan IS NULL AND t.gone_scan IS NULL ORDER BY t.name, u.tenant_id, u.rule_id");
  if (!st) return st.status();
  st->bind(1, now ? std::optional<int64_t>(toUnixSeconds(*now)) : std::nullopt);
  std::vector<UnknownStreak> out;
  while (st->step()) {
    UnknownStreak u;
    u.rule_id = st->getText(0);
    u.tenant_id = st->getText(1);
    u.tenant_name = st->getText(2);
    u.reason = st->getText(3);
    u.since_scan = st->getInt(4);
    u.since = fromUnixSeconds(st->getInt(5));
    u.scans = static_cast<int>(st->getInt(6));
    u.suppressed_by = st->getOptInt(7).value_or(0);
    out.push_back(std::move(u));
  }
  if (!st->status()) return st->status();
  return out;
}

Result<std::map<std::string, std::vector<std::string>>> FindingStore::tenantTags() {
  auto st = db_.prepare("SELECT id, tags FROM tenants WHERE tags != ''");
  if (!st) return st.status();
  std::map<std::string, std::vector<std::string>> out;
  while (st->step()) out[st->getText(0)] = split(st->getText(1), '\n');
  if (!st->status()) return st->status();
  return out;
}

Result<std::map<std::pair<std::string, std::string>, int64_t>> FindingStore::openCounts() {
  auto st = db_.prepare(
      "SELECT rule_id, severity, count(*) FROM findings WHERE state = 'open' GROUP BY 1, 2");
  if (!st) return st.status();
  std::map<std::pair<std::string, std::string>, int64_t> out;
  while (st->step()) out[{st->getText(0), st->getText(1)}] = st->getInt(2);
  if (!st->status()) return st->status();
  return out;
}

Result<std::map<std::string, std::string>> FindingStore::tenantNames() {
  auto st = db_.prepare("SELECT id, name FROM tenants");
  if (!st) return st.status();
  std::map<std::string, std::string> out;
  while (st->step()) out[st->getText(0)] = st->getText(1);
  if (!st->status()) return st->status();
  return out;
}

Result<std::optional<Timestamp>> FindingStore::previousScanFinished(int64_t scan) {
  auto st = db_.prepare(
      "SELECT finished_at FROM scans WHERE id < ?1 AND status IN ('completed','partial') "
      "AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1");
  if (!st) return st.status();
  st->bind(1, scan);
  std::optional<Timestamp> out;
  if (st->step()) out = fromUnixSeconds(st->getInt(0));
  if (!st->status()) return st->status();
  return out;
}

}  // namespace cspwatch::storage
