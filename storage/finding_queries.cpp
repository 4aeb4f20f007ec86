// SPDX-License-Identifier: Apache-2.0
// Reading findings, their history and the scan history.
#include <algorithm>
#include <map>

#include "common/text.h"
#include "storage/finding_sql.h"
#include "storage/finding_store.h"

namespace cspwatch::storage {

namespace detail {

std::string tagCovers(const std::string& s, const std::string& tenant_column) {
  return "(" + s +
         ".tenant_tag IS NULL OR EXISTS (SELECT 1 FROM tenants tt WHERE tt.id = " + tenant_column +
         " AND instr('\n' || tt.tags || '\n', '\n' || " + s + ".tenant_tag || '\n') > 0))";
}

std::string suppressionCovers(const std::string& s, const std::string& f) {
  return s + ".rule_id = " + f + ".rule_id AND (" + s + ".tenant_id IS NULL OR " + s +
         ".tenant_id = " + f + ".tenant_id) AND (" + s + ".subject IS NULL OR " + s +
         ".subject = " + f + ".subject) AND " + tagCovers(s, f + ".tenant_id");
}

const std::string kFindingColumns =
    "SELECT f.id, f.rule_id, f.tenant_id, COALESCE(t.name, ''), f.subject, f.state, f.severity, "
    "f.message, "
    "f.remediation, f.evidence, f.first_seen_at, ls.finished_at, f.resolved_at, "
    "COALESCE(f.resolved_reason, ''), "
    "f.times_reopened, f.state = 'open' AND EXISTS (SELECT 1 FROM suppressions s WHERE " +
    suppressionCovers("s", "f") +
    " AND s.removed_at IS NULL AND s.expires_at > ?1), "
    "COALESCE((SELECT r.times FROM reminders r WHERE r.finding_id = f.id "
    "AND r.opened_scan = f.opened_scan), 0), f.subject_label ";
// Last seen: the scan recorded when the finding stopped being seen, else the latest applied scan.
const std::string kFindingFrom =
    "FROM findings f LEFT JOIN tenants t ON t.id = f.tenant_id "
    "LEFT JOIN scans ls ON ls.id = COALESCE(f.last_seen_scan, CASE WHEN f.state = 'open' THEN "
    "(SELECT max(id) FROM scans WHERE status IN ('completed','partial')) END) ";
const std::string kFindingSelect = kFindingColumns + kFindingFrom;

Result<FindingRow> readFinding(const Statement& st) {
  FindingRow r;
  r.id = st.getInt(0);
  r.rule_id = st.getText(1);
  r.tenant_id = st.getText(2);
  r.tenant_name = st.getText(3);
  r.subject = st.getText(4);
  const std::string state = st.getText(5);
  if (auto parsed = parseFindingState(state))
    r.state = *parsed;
  else
    return storedValueError("findings.state", state);
  r.severity = st.getText(6);
  r.message = st.getText(7);
  r.remediation = st.getText(8);
  r.evidence_json = st.getText(9);
  r.first_seen = fromUnixSeconds(st.getInt(10));
  if (auto v = st.getOptInt(11)) r.last_seen = fromUnixSeconds(*v);
  if (auto v = st.getOptInt(12)) r.resolved_at = fromUnixSeconds(*v);
  r.resolved_reason = st.getText(13);
  r.times_reopened = static_cast<int>(st.getInt(14));
  r.suppressed = st.getInt(15) != 0;
  r.times_reminded = static_cast<int>(st.getInt(16));
  r.subject_label = st.getText(17);
  return r;
}

int severityRank(const std::string& s) {
  static const std::vector<std::string> kOrder = {"critical", "high", "medium", "low", "info"};
  auto it = std::find(kOrder.begin(), kOrder.end(), s);
  return static_cast<int>(it - kOrder.begin());
}

void sortFindings(std::vector<FindingRow>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const FindingRow& a, const FindingRow& b) {
    if (severityRank(a.severity) != severityRank(b.severity))
      return severityRank(a.severity) < severityRank(b.severity);
    if (a.rule_id != b.rule_id) return a.rule_id < b.rule_id;
    if (a.tenant_name != b.tenant_name) return a.tenant_name < b.tenant_name;
    return a.subject < b.subject;
  });
}

}  // namespace detail

using namespace detail;

namespace {

// The condition on the findings' state that `filter` asks for; suppressed findings are open
// ones, picked after reading (whether one is suppressed depends on now).
const char* stateCondition(StateFilter filter) {
  switch (filter) {
    case StateFilter::kOpen:
    case StateFilter::kSuppressed:
      return " AND f.state = 'open'";
    case StateFilter::kResolved:
      return " AND f.state = 'resolved'";
    case StateFilter::kRetired:
      return " AND f.state = 'retired'";
    case StateFilter::kAll:
      break;
  }
  return "";
}

// A scan's status as stored.
Result<ScanStatus> readScanStatus(const Statement& st, int column) {
  const std::string text = st.getText(column);
  if (auto status = parseScanStatus(text)) return *status;
  return storedValueError("scans.status", text);
}

}  // namespace

Result<std::vector<FindingRow>> FindingStore::listFindings(const FindingFilter& filter,
                                                           Timestamp now) {
  std::string sql = kFindingSelect + "WHERE 1 = 1" + stateCondition(filter.state);
  if (!filter.tenant.empty()) sql += " AND (f.tenant_id = lower(?2) OR lower(t.name) = lower(?2))";
  if (!filter.rule.empty()) sql += " AND f.rule_id = ?3";
  if (!filter.severity.empty()) sql += " AND f.severity = ?4";
  auto st = db_.prepare(sql);
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now))
      .bind(2, filter.tenant)
      .bind(3, filter.rule)
      .bind(4, filter.severity);
  std::vector<FindingRow> rows;
  while (st->step()) {
    auto r = readFinding(*st);
    if (!r) return r.status();
    if (filter.state == StateFilter::kSuppressed && !r->suppressed) continue;
    rows.push_back(std::move(*r));
  }
  if (!st->status()) return st->status();
  sortFindings(rows);
  return rows;
}

Result<std::vector<FindingRow>> FindingStore::findingsChangedIn(int64_t scan, Timestamp now) {
  auto st = db_.prepare(kFindingSelect +
                        "WHERE f.id IN (SELECT finding_id FROM finding_events WHERE scan_id = ?2 "
                        "AND kind IN ('opened','reopened','resolved'))");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now)).bind(2, scan);
  std::vector<FindingRow> rows;
  while (st->step()) {
    auto r = readFinding(*st);
    if (!r) return r.status();
    rows.push_back(std::move(*r));
  }
  if (!st->status()) return st->status();
  sortFindings(rows);
  return rows;
}

Result<FindingRow> FindingStore::getFinding(int64_t id, Timestamp now) {
  auto st = db_.prepare(kFindingSelect + "WHERE f.id = ?2");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now)).bind(2, id);
  if (!st->step())
    return st->status().isOk() ? Status::notFound("no finding " + std::to_string(id))
                               : st->status();
  return readFinding(*st);
}

Result<std::vector<FindingEvent>> FindingStore::findingEvents(int64_t id) {
  auto st = db_.prepare(
      "SELECT at, kind, scan_id, detail FROM finding_events WHERE finding_id = ?1 ORDER BY id");
  if (!st) return st.status();
  st->bind(1, id);
  std::vector<FindingEvent> out;
  while (st->step())
    out.push_back(
        {fromUnixSeconds(st->getInt(0)), st->getText(1), st->getOptInt(2), st->getText(3)});
  if (!st->status()) return st->status();
  return out;
}

Result<std::vector<ScanRow>> FindingStore::listScans(int limit) {
  auto st = db_.prepare(
      "SELECT id, started_at, finished_at, status, rule_set_hash, tenants_total, tenants_full, "
      "tenants_partial, "
      "tenants_unread, findings_new, findings_reopened, findings_resolved, findings_open, "
      "checks_unknown, "
      "COALESCE(error, '') FROM scans ORDER BY id DESC LIMIT ?1");
  if (!st) return st.status();
  st->bind(1, int64_t{limit});
  std::vector<ScanRow> out;
  while (st->step()) {
    ScanRow r;
    r.id = st->getInt(0);
    r.started_at = fromUnixSeconds(st->getInt(1));
    if (auto f = st->getOptInt(2)) r.finished_at = fromUnixSeconds(*f);
    auto status = readScanStatus(*st, 3);
    if (!status) return status.status();
    r.status = *status;
    r.rule_set_hash = st->getText(4);
    r.counts.scan_id = r.id;
    r.counts.status = r.status;
    r.counts.tenants_total = static_cast<int>(st->getInt(5));
    r.counts.tenants_full = static_cast<int>(st->getInt(6));
    r.counts.tenants_partial = static_cast<int>(st->getInt(7));
    r.counts.tenants_unread = static_cast<int>(st->getInt(8));
    r.counts.findings_new = static_cast<int>(st->getInt(9));
    r.counts.findings_reopened = static_cast<int>(st->getInt(10));
    r.counts.findings_resolved = static_cast<int>(st->getInt(11));
    r.counts.findings_open = static_cast<int>(st->getInt(12));
    r.counts.checks_unknown = static_cast<int>(st->getInt(13));
    r.error = st->getText(14);
    out.push_back(std::move(r));
  }
  if (!st->status()) return st->status();
  return out;
}

Result<ScanDiff> FindingStore::diffScans(int64_t from, int64_t to, Timestamp now) {
  if (from >= to) return Status::invalidArgument("scans diff A B needs A < B");
  for (int64_t id : {from, to}) {
    auto st = db_.prepare("SELECT status FROM scans WHERE id = ?1");
    if (!st) return st.status();
    st->bind(1, id);
    if (!st->step()) return Status::notFound("no scan " + std::to_string(id));
    auto status = readScanStatus(*st, 0);
    if (!status) return status.status();
    if (!scanApplied(*status))
      return Status::invalidArgument("scan " + std::to_string(id) + " was " +
                                     scanStatusName(*status) + "; it changed nothing");
  }
  ScanDiff diff;
  diff.from = from;
  diff.to = to;
  // The state of each finding at a scan: its last lifecycle event up to that scan.
  const std::string state_at =
      "(SELECT kind FROM finding_events e WHERE e.finding_id = f.id AND e.scan_id <= ?X "
      "AND e.kind IN ('opened','reopened','resolved','retired') ORDER BY e.id DESC LIMIT 1)";
  auto replace = [](std::string s, const std::string& x) {
    s.replace(s.find("?X"), 2, x);
    return s;
  };
  auto st = db_.prepare(kFindingColumns + ", " + replace(state_at, "?2") + ", " +
                        replace(state_at, "?3") + " " + kFindingFrom +
                        "WHERE EXISTS (SELECT 1 FROM finding_events e WHERE e.finding_id = f.id "
                        "AND e.scan_id <= ?3)");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now)).bind(2, from).bind(3, to);
  auto open = [](const std::string& k) { return k == "opened" || k == "reopened"; };
  while (st->step()) {
    auto read = readFinding(*st);
    if (!read) return read.status();
    const FindingRow& r = *read;
    std::string a = st->getText(kFindingColumnCount), b = st->getText(kFindingColumnCount + 1);
    if (open(a) && open(b))
      diff.still_open.push_back(r);
    else if (open(a) && !open(b))
      diff.resolved.push_back(r);
    else if (a.empty() && open(b))
      diff.added.push_back(r);
    else if (!a.empty() && open(b))
      diff.reopened.push_back(r);
  }
  if (!st->status()) return st->status();
  // Became unknown: streaks going on at B that had not started by A.
  auto un = db_.prepare(
      "SELECT u.rule_id, u.tenant_id, COALESCE(t.name, ''), u.reason FROM unknowns u LEFT JOIN "
      "tenants t ON t.id = u.tenant_id "
      "WHERE u.since_scan > ?1 AND u.since_scan <= ?2 AND (u.until_scan IS NULL OR u.until_scan >= "
      "?2) ORDER BY u.rule_id, t.name");
  if (!un) return un.status();
  un->bind(1, from).bind(2, to);
  while (un->step()) {
    FindingRow r;
    r.rule_id = un->getText(0);
    r.tenant_id = un->getText(1);
    r.tenant_name = un->getText(2);
    r.state = FindingState::kUnknown;
    r.message = un->getText(3);
    diff.became_unknown.push_back(std::move(r));
  }
  for (auto* bucket : {&diff.added, &diff.resolved, &diff.reopened, &diff.still_open})
    sortFindings(*bucket);
  return diff;
}

}  // namespace cspwatch::storage
