// SPDX-License-Identifier: Apache-2.0
// Opening the store, the scan lifecycle, staging and applying a scan.
#include "storage/finding_store.h"

#include <algorithm>
#include <map>

#include "common/redact.h"
#include "storage/schema.h"

namespace cspwatch::storage {

namespace {
// Tags are stored one per line (a tag never holds a line break: they are stripped).
std::string joinTags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) {
    if (!out.empty()) out += '\n';
    for (char c : t) out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}
}  // namespace

const char* readStatusName(ReadStatus s) {
  switch (s) {
    case ReadStatus::kFull:
      return "full";
    case ReadStatus::kPartial:
      return "partial";
    case ReadStatus::kNone:
      return "none";
  }
  return "none";
}

Result<FindingStore> FindingStore::open(const std::string& path, StoreOptions options) {
  auto db = Database::open(path);
  if (!db) return db.status();
  if (Status s = migrate(*db); !s) return s;
  return FindingStore(std::move(db.value()), options);
}

Result<int> FindingStore::markInterrupted(Timestamp now) {
  auto st = db_.prepare(
      "UPDATE scans SET status = 'interrupted', finished_at = ?1, "
      "error = 'the scan did not finish (cspwatch stopped or crashed); nothing of it was applied' "
      "WHERE status = 'running'");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now));
  if (Status s = st->run(); !s) return s;
  return db_.changes();
}

Status FindingStore::ensureStaging() {
  if (!staging_ready_) {
    Status s = db_.exec(R"sql(
CREATE TEMP TABLE IF NOT EXISTS stage_tenants (
  tenant_id TEXT PRIMARY KEY, name TEXT NOT NULL, read_status TEXT NOT NULL, problems TEXT NOT NULL,
  tags TEXT NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS stage_evals (
  rule_id TEXT NOT NULL, tenant_id TEXT NOT NULL, outcome TEXT NOT NULL, incomplete INTEGER NOT NULL,
  reason TEXT NOT NULL, digest INTEGER, PRIMARY KEY (rule_id, tenant_id));
CREATE TEMP TABLE IF NOT EXISTS work (rule_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
  PRIMARY KEY (rule_id, tenant_id));
CREATE TEMP TABLE IF NOT EXISTS stage_fails (
  rule_id TEXT NOT NULL, tenant_id TEXT NOT NULL, subject TEXT NOT NULL, severity TEXT NOT NULL,
  message TEXT NOT NULL, remediation TEXT NOT NULL, evidence TEXT NOT NULL,
  PRIMARY KEY (rule_id, tenant_id, subject));
CREATE TEMP TABLE IF NOT EXISTS stage_rules (rule_id TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS unseen (id INTEGER PRIMARY KEY, rule_id TEXT NOT NULL, tenant_id TEXT NOT NULL);
)sql");
    if (!s) return s;
    auto t = db_.prepare("INSERT OR REPLACE INTO stage_tenants VALUES (?1, ?2, ?3, ?4, ?5)");
    auto e = db_.prepare("INSERT OR REPLACE INTO stage_evals VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    auto f = db_.prepare("INSERT OR REPLACE INTO stage_fails VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!t) return t.status();
    if (!e) return e.status();
    if (!f) return f.status();
    stage_tenant_ = std::move(t.value());
    stage_eval_ = std::move(e.value());
    stage_fail_ = std::move(f.value());
    staging_ready_ = true;
  }
  if (!staging_open_) {
    // Staging writes only the connection's temporary database, so this transaction takes no
    // lock on the database file; batching the inserts in it keeps staging cheap.
    if (Status s = db_.exec("BEGIN DEFERRED"); !s) return s;
    staging_open_ = true;
  }
  return Status::ok();
}

Result<int64_t> FindingStore::beginScan(Timestamp now, const std::string& rule_set_hash) {
  if (staging_open_) {
    (void)db_.exec("ROLLBACK");
    staging_open_ = false;
  }
  if (Status s = ensureStaging(); !s) return s;
  if (Status s =
          db_.exec("DELETE FROM stage_tenants; DELETE FROM stage_evals; DELETE FROM stage_fails; "
                   "DELETE FROM stage_rules; COMMIT");
      !s)
    return s;
  staging_open_ = false;
  auto st = db_.prepare(
      "INSERT INTO scans (started_at, status, rule_set_hash) VALUES (?1, 'running', ?2)");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now)).bind(2, rule_set_hash);
  if (Status s = st->run(); !s) return s;
  return db_.lastInsertId();
}

Status FindingStore::stageTenant(const TenantRead& t) {
  if (Status s = ensureStaging(); !s) return s;
  stage_tenant_.reset();
  stage_tenant_.bind(1, t.tenant_id)
      .bind(2, t.name)
      .bind(3, readStatusName(t.status))
      .bind(4, redactSecrets(t.problems_json))  // reasons may quote a server; JSON stays JSON
      .bind(5, joinTags(t.tags));
  return stage_tenant_.run();
}

Status FindingStore::stageEvaluation(const Evaluation& e) {
  if (Status s = ensureStaging(); !s) return s;
  const char* outcome = e.outcome == EvalOutcome::kPass   ? "pass"
                        : e.outcome == EvalOutcome::kFail ? "fail"
                                                          : "unknown";
  stage_eval_.reset();
  // A digest of a decided outcome and everything it would store; undecided ones have none and
  // are always reconciled.
  std::optional<int64_t> digest;
  if (e.outcome != EvalOutcome::kUnknown && !e.incomplete) {
    uint64_t h = 1469598103934665603ULL;
    auto feed = [&h](const std::string& v) {
      for (unsigned char c : v) h = (h ^ c) * 1099511628211ULL;
      h = (h ^ 0xffu) * 1099511628211ULL;
    };
    feed(outcome);
    std::vector<const FailedSubject*> sorted;
    for (const auto& f : e.failures) sorted.push_back(&f);
    std::sort(sorted.begin(), sorted.end(),
              [](auto* a, auto* b) { return a->subject < b->subject; });
    for (const auto* f : sorted) {
      feed(f->subject);
      feed(f->severity);
      feed(f->message);
      feed(f->remediation);
      feed(f->evidence_json);
    }
    digest = static_cast<int64_t>(h);
  }
  stage_eval_.bind(1, e.rule_id)
      .bind(2, e.tenant_id)
      .bind(3, outcome)
      .bind(4, int64_t{e.incomplete ? 1 : 0})
      .bind(5, redactSecrets(e.unknown_reason))  // may quote a server's words
      .bind(6, digest);
  if (Status s = stage_eval_.run(); !s) return s;
  for (const auto& f : e.failures) {
    stage_fail_.reset();
    stage_fail_.bind(1, e.rule_id)
        .bind(2, e.tenant_id)
        .bind(3, f.subject)
        .bind(4, f.severity)
        .bind(5, f.message)
        .bind(6, f.remediation)
        .bind(7, f.evidence_json);
    if (Status s = stage_fail_.run(); !s) return s;
  }
  return Status::ok();
}

Result<ScanChanges> FindingStore::changesOf(int64_t scan, Timestamp now) {
  ScanChanges changes;
  changes.scan_id = scan;
  auto rows = findingsChangedIn(scan, now);  // proportional to the changes, not to all findings
  if (!rows) return rows.status();
  auto kinds = db_.prepare(
      "SELECT finding_id, kind FROM finding_events WHERE scan_id = ?1 "
      "AND kind IN ('opened','reopened','resolved')");
  if (!kinds) return kinds.status();
  kinds->bind(1, scan);
  std::map<int64_t, std::string> kind_of;
  while (kinds->step()) kind_of[kinds->getInt(0)] = kinds->getText(1);
  if (!kinds->status()) return kinds->status();
  for (auto& r : *rows) {
    auto k = kind_of.find(r.id);
    if (k == kind_of.end()) continue;
    (k->second == "opened"     ? changes.opened
     : k->second == "reopened" ? changes.reopened
                               : changes.resolved)
        .push_back(r);
  }
  return changes;
}

Status FindingStore::failScan(int64_t scan_id, Timestamp now, const std::string& error,
                              const std::string& status) {
  if (staging_open_) {
    (void)db_.exec("ROLLBACK");
    staging_open_ = false;
  }
  auto st = db_.prepare("UPDATE scans SET status = '" +
                        std::string(status == "interrupted" ? "interrupted" : "failed") +
                        "', finished_at = ?1, error = ?2 WHERE id = ?3");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now)).bind(2, redactSecrets(error)).bind(3, scan_id);
  return st->run();
}

namespace {

// Runs `sql` with ?1 = scan, ?2 = now, ?3 = previous applied scan (or NULL), ?4 = the
// tenant-gone threshold; unused parameters are ignored by SQLite.
Status run(Database& db, const std::string& sql, int64_t scan, int64_t now,
           std::optional<int64_t> prev, int64_t gone_after = 0) {
  auto st = db.prepare(sql);
  if (!st) return st.status();
  st->bind(1, scan).bind(2, now).bind(3, prev).bind(4, gone_after);
  return st->run();
}

Result<int64_t> count(Database& db, const std::string& sql, int64_t scan) {
  auto st = db.prepare(sql);
  if (!st) return st.status();
  st->bind(1, scan);
  if (!st->step())
    return st->status().isOk() ? Status::corruption("count returned no row") : st->status();
  return st->getInt(0);
}

}  // namespace

Result<ScanSummary> FindingStore::applyScan(int64_t scan,
                                            const std::vector<std::string>& enabled_rules,
                                            bool sources_complete, Timestamp now_ts,
                                            const OutboxHook& notify) {
  if (staging_open_) {
    if (Status s = db_.exec("COMMIT"); !s) return s;
    staging_open_ = false;
  }
  const int64_t now = toUnixSeconds(now_ts);
  Transaction tx(db_);
  if (!tx.status()) return tx.status();
  if (Status s = db_.exec("DELETE FROM stage_rules"); !s) return s;
  {
    auto st = db_.prepare("INSERT OR IGNORE INTO stage_rules VALUES (?1)");
    if (!st) return st.status();
    for (const auto& r : enabled_rules) {
      st->reset();
      st->bind(1, r);
      if (Status s = st->run(); !s) return s;
    }
  }
  std::optional<int64_t> prev;
  {
    auto st = db_.prepare(
        "SELECT max(id) FROM scans WHERE id < ?1 AND status IN ('completed','partial')");
    if (!st) return st.status();
    st->bind(1, scan);
    if (st->step()) prev = st->getOptInt(0);
  }
  const std::string S = std::to_string(scan);
  const std::vector<std::string> steps = {
      // Tenants: new ones, renamed ones, ones back after an absence, ones just gone missing.
      "INSERT INTO tenants (id, name, first_seen_scan, tags) SELECT tenant_id, name, ?1, tags FROM "
      "stage_tenants s "
      "WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = s.tenant_id)",
      "UPDATE tenants SET tags = s.tags FROM stage_tenants s WHERE s.tenant_id = tenants.id AND "
      "s.tags != tenants.tags",
      "UPDATE tenants SET name = s.name FROM stage_tenants s WHERE s.tenant_id = tenants.id AND "
      "s.name != tenants.name",
      "UPDATE tenants SET last_present_scan = NULL, gone_scan = NULL FROM stage_tenants s "
      "WHERE s.tenant_id = tenants.id AND tenants.last_present_scan IS NOT NULL",
      sources_complete
          ? "UPDATE tenants SET last_present_scan = ?3 WHERE last_present_scan IS NULL "
            "AND id NOT IN (SELECT tenant_id FROM stage_tenants)"
          : "",
      "INSERT INTO scan_tenants SELECT ?1, tenant_id, read_status, problems FROM stage_tenants "
      "WHERE read_status != 'full'",
      // The (rule, tenant) pairs whose outcome differs from the last applied one, by digest:
      // only these need reconciling. Undecided outcomes always do.
      "DELETE FROM work",
      "INSERT INTO work SELECT e.rule_id, e.tenant_id FROM stage_evals e WHERE e.digest IS NULL "
      "OR NOT EXISTS (SELECT 1 FROM check_digests d WHERE d.rule_id = e.rule_id "
      "AND d.tenant_id = e.tenant_id AND d.digest = e.digest)",
      // Every staged failure of those pairs in one pass (an upsert): new findings are inserted; a
      // resolved or
      // retired one is reopened; an open one is written only if its details changed or it had
      // stopped being seen. Unchanged findings are not written at all.
      "INSERT INTO findings (rule_id, tenant_id, subject, state, severity, message, remediation, "
      "evidence, "
      "first_seen_scan, first_seen_at, opened_scan) "
      "SELECT f.rule_id, f.tenant_id, f.subject, 'open', f.severity, f.message, f.remediation, "
      "f.evidence, "
      "?1, ?2, ?1 FROM stage_fails f JOIN work w ON w.rule_id = f.rule_id AND w.tenant_id = "
      "f.tenant_id "
      "WHERE true "
      "ON CONFLICT (rule_id, tenant_id, subject) DO UPDATE SET "
      "opened_scan = CASE WHEN state != 'open' THEN ?1 ELSE opened_scan END, "
      "times_reopened = times_reopened + (state != 'open'), "
      "resolved_scan = CASE WHEN state != 'open' THEN NULL ELSE resolved_scan END, "
      "resolved_at = CASE WHEN state != 'open' THEN NULL ELSE resolved_at END, "
      "resolved_reason = CASE WHEN state != 'open' THEN NULL ELSE resolved_reason END, "
      "state = 'open', last_seen_scan = NULL, severity = excluded.severity, message = "
      "excluded.message, "
      "remediation = excluded.remediation, evidence = excluded.evidence "
      "WHERE state != 'open' OR last_seen_scan IS NOT NULL OR severity != excluded.severity "
      "OR message != excluded.message OR remediation != excluded.remediation OR evidence != "
      "excluded.evidence",
      // The open findings this scan did not see fail; only these can be resolved, retired or
      // marked as no longer seen:
      "DELETE FROM unseen",
      // ... in the reconciled pairs, open findings that did not fail now;
      "INSERT INTO unseen SELECT x.id, x.rule_id, x.tenant_id FROM work w CROSS JOIN findings x "
      "ON x.state = 'open' AND x.rule_id = w.rule_id AND x.tenant_id = w.tenant_id "
      "WHERE x.opened_scan != ?1 AND NOT EXISTS (SELECT 1 FROM stage_fails f WHERE f.rule_id = "
      "x.rule_id AND f.tenant_id = x.tenant_id AND f.subject = x.subject)",
      // ... and open findings of pairs not evaluated at all: of tenants not read (unread or
      // unlisted), found tenant by tenant, and of rules no longer in the rule set.
      "INSERT OR IGNORE INTO unseen SELECT x.id, x.rule_id, x.tenant_id FROM tenants t CROSS JOIN "
      "findings x ON x.tenant_id = t.id AND x.state = 'open' WHERE t.id NOT IN "
      "(SELECT tenant_id FROM stage_tenants WHERE read_status != 'none')",
      "INSERT OR IGNORE INTO unseen SELECT id, rule_id, tenant_id FROM findings WHERE state = "
      "'open' "
      "AND rule_id NOT IN (SELECT rule_id FROM stage_rules)",
      // Pass resolves; a complete fail resolves the subjects no longer failing.
      "UPDATE findings SET state = 'resolved', resolved_scan = ?1, resolved_at = ?2, "
      "resolved_reason = 'passed', "
      "last_seen_scan = COALESCE(last_seen_scan, ?3) WHERE id IN (SELECT u.id FROM unseen u JOIN "
      "stage_evals e "
      "ON e.rule_id = u.rule_id AND e.tenant_id = u.tenant_id "
      "WHERE e.outcome = 'pass' OR (e.outcome = 'fail' AND e.incomplete = 0))",
      // A rule no longer in the rule set retires its findings (it does not resolve them).
      "UPDATE findings SET state = 'retired', resolved_scan = ?1, resolved_at = ?2, "
      "resolved_reason = 'rule-removed', last_seen_scan = COALESCE(last_seen_scan, ?3) "
      "WHERE +state = 'open' AND id IN (SELECT id FROM unseen WHERE rule_id NOT IN (SELECT rule_id "
      "FROM stage_rules))",
      // Tenant-gone: missing from N complete scans (this one included).
      sources_complete
          ? "UPDATE findings SET state = 'resolved', resolved_scan = ?1, resolved_at = ?2, "
            "resolved_reason = 'tenant-gone', last_seen_scan = COALESCE(last_seen_scan, ?3) "
            "WHERE +state = 'open' AND id IN (SELECT id FROM unseen WHERE tenant_id IN (SELECT "
            "t.id "
            "FROM tenants t "
            "WHERE t.last_present_scan IS NOT NULL AND t.gone_scan IS NULL AND (SELECT count(*) "
            "FROM scans s "
            "WHERE s.id > t.last_present_scan AND (s.status = 'completed' OR s.id = ?1)) >= ?4))"
          : "",
      sources_complete ? "UPDATE tenants SET gone_scan = ?1 WHERE last_present_scan IS NOT NULL "
                         "AND gone_scan IS NULL "
                         "AND (SELECT count(*) FROM scans s WHERE s.id > tenants.last_present_scan "
                         "AND (s.status = 'completed' OR s.id = ?1)) >= ?4"
                       : "",
      // Open findings not seen in this scan (unknown, tenant unread or unlisted): remember when
      // they were last seen.
      "UPDATE findings SET last_seen_scan = ?3 WHERE +state = 'open' AND last_seen_scan IS NULL "
      "AND id IN (SELECT id FROM unseen)",
      // Digests: forget the pairs touched outside their own outcome (unseen findings), then
      // remember the reconciled pairs' decided outcomes.
      "DELETE FROM check_digests WHERE (rule_id, tenant_id) IN (SELECT rule_id, tenant_id FROM "
      "unseen)",
      "DELETE FROM check_digests WHERE (rule_id, tenant_id) IN (SELECT w.rule_id, w.tenant_id FROM "
      "work w JOIN stage_evals e ON e.rule_id = w.rule_id AND e.tenant_id = w.tenant_id "
      "WHERE e.digest IS NULL)",
      "INSERT OR REPLACE INTO check_digests SELECT e.rule_id, e.tenant_id, e.digest FROM work w "
      "JOIN stage_evals e ON e.rule_id = w.rule_id AND e.tenant_id = w.tenant_id "
      "WHERE e.digest IS NOT NULL",
      // Streaks of "could not be checked": end the ones decided now, start new ones.
      "UPDATE unknowns SET until_scan = ?3 WHERE until_scan IS NULL AND ("
      "(rule_id = '*' AND tenant_id IN (SELECT tenant_id FROM stage_tenants WHERE read_status != "
      "'none')) "
      "OR (rule_id != '*' AND EXISTS (SELECT 1 FROM stage_evals e WHERE e.rule_id = "
      "unknowns.rule_id "
      "AND e.tenant_id = unknowns.tenant_id AND e.outcome != 'unknown' AND e.incomplete = 0)) "
      "OR (rule_id != '*' AND rule_id NOT IN (SELECT rule_id FROM stage_rules)))",
      // A tenant no source lists any more cannot be "not checked": its streaks end.
      sources_complete ? "UPDATE unknowns SET until_scan = ?3 WHERE until_scan IS NULL AND "
                         "tenant_id NOT IN (SELECT tenant_id FROM stage_tenants)"
                       : "",
      "INSERT INTO unknowns (rule_id, tenant_id, since_scan, reason) "
      "SELECT e.rule_id, e.tenant_id, ?1, e.reason FROM stage_evals e WHERE (e.outcome = 'unknown' "
      "OR e.incomplete = 1) "
      "AND NOT EXISTS (SELECT 1 FROM unknowns u WHERE u.rule_id = e.rule_id AND u.tenant_id = "
      "e.tenant_id "
      "AND u.until_scan IS NULL)",
      "INSERT INTO unknowns (rule_id, tenant_id, since_scan, reason) "
      "SELECT '*', s.tenant_id, ?1, s.problems FROM stage_tenants s WHERE s.read_status = 'none' "
      "AND NOT EXISTS (SELECT 1 FROM unknowns u WHERE u.rule_id = '*' AND u.tenant_id = "
      "s.tenant_id "
      "AND u.until_scan IS NULL)",
      // Events for every transition of this scan.
      "INSERT INTO finding_events (finding_id, scan_id, at, kind) SELECT id, ?1, ?2, "
      "CASE WHEN first_seen_scan = ?1 THEN 'opened' ELSE 'reopened' END FROM findings WHERE "
      "opened_scan = ?1",
      "INSERT INTO finding_events (finding_id, scan_id, at, kind, detail) SELECT id, ?1, ?2, "
      "CASE state WHEN 'retired' THEN 'retired' ELSE 'resolved' END, resolved_reason FROM findings "
      "WHERE resolved_scan = ?1",
      // Suppressions: new and reopened findings under an active one; ones that just expired.
      "INSERT INTO finding_events (finding_id, scan_id, at, kind, detail) "
      "SELECT f.id, ?1, ?2, 'suppressed', 'suppression #' || min(s.id) FROM findings f JOIN "
      "suppressions s "
      "ON s.rule_id = f.rule_id AND (s.tenant_id IS NULL OR s.tenant_id = f.tenant_id) "
      "AND (s.subject IS NULL OR s.subject = f.subject) WHERE f.opened_scan = ?1 AND f.state = "
      "'open' "
      "AND s.removed_at IS NULL AND s.expires_at > ?2 GROUP BY f.id",
      "INSERT INTO finding_events (finding_id, scan_id, at, kind, detail) "
      "SELECT f.id, ?1, ?2, 'unsuppressed', 'suppression #' || s.id || ' expired' FROM "
      "suppressions s "
      "JOIN findings f ON s.rule_id = f.rule_id AND (s.tenant_id IS NULL OR s.tenant_id = "
      "f.tenant_id) "
      "AND (s.subject IS NULL OR s.subject = f.subject) WHERE f.state = 'open' AND s.removed_at IS "
      "NULL "
      "AND s.expires_at <= ?2 AND s.expiry_noted = 0",
      "UPDATE suppressions SET expiry_noted = 1 WHERE removed_at IS NULL AND expires_at <= ?2 AND "
      "expiry_noted = 0",
  };
  for (const auto& sql : steps) {
    if (sql.empty()) continue;
    if (Status s = run(db_, sql, scan, now, prev, options_.tenant_gone_after_scans); !s) return s;
  }

  ScanSummary sum;
  sum.scan_id = scan;
  sum.status = sources_complete ? "completed" : "partial";
  struct Counter {
    int* target;
    const char* sql;
  };
  const Counter counters[] = {
      {&sum.tenants_total, "SELECT count(*) FROM stage_tenants"},
      {&sum.tenants_partial, "SELECT count(*) FROM stage_tenants WHERE read_status = 'partial'"},
      {&sum.tenants_unread, "SELECT count(*) FROM stage_tenants WHERE read_status = 'none'"},
      {&sum.findings_new,
       "SELECT count(*) FROM finding_events WHERE scan_id = ?1 AND kind = 'opened'"},
      {&sum.findings_reopened,
       "SELECT count(*) FROM finding_events WHERE scan_id = ?1 AND kind = 'reopened'"},
      {&sum.findings_resolved,
       "SELECT count(*) FROM finding_events WHERE scan_id = ?1 AND kind = 'resolved'"},
      {&sum.findings_retired,
       "SELECT count(*) FROM finding_events WHERE scan_id = ?1 AND kind = 'retired'"},
      {&sum.findings_open, "SELECT count(*) FROM findings WHERE state = 'open'"},
      {&sum.checks_unknown,
       "SELECT count(*) FROM stage_evals WHERE outcome = 'unknown' OR incomplete = 1"},
  };
  for (const auto& c : counters) {
    auto n = count(db_, c.sql, scan);
    if (!n) return n.status();
    *c.target = static_cast<int>(*n);
  }
  sum.tenants_full = sum.tenants_total - sum.tenants_partial - sum.tenants_unread;
  auto st = db_.prepare(
      "UPDATE scans SET status = ?2, finished_at = ?3, tenants_total = ?4, tenants_full = ?5, "
      "tenants_partial = ?6, tenants_unread = ?7, findings_new = ?8, findings_reopened = ?9, "
      "findings_resolved = ?10, findings_open = ?11, checks_unknown = ?12 WHERE id = ?1");
  if (!st) return st.status();
  st->bind(1, scan)
      .bind(2, sum.status)
      .bind(3, now)
      .bind(4, int64_t{sum.tenants_total})
      .bind(5, int64_t{sum.tenants_full})
      .bind(6, int64_t{sum.tenants_partial})
      .bind(7, int64_t{sum.tenants_unread})
      .bind(8, int64_t{sum.findings_new})
      .bind(9, int64_t{sum.findings_reopened})
      .bind(10, int64_t{sum.findings_resolved})
      .bind(11, int64_t{sum.findings_open})
      .bind(12, int64_t{sum.checks_unknown});
  if (Status s = st->run(); !s) return s;
  if (notify) {
    auto changes = changesOf(scan, now_ts);
    if (!changes) return changes.status();
    auto messages = notify(*changes);
    if (!messages) return messages.status();
    Outbox outbox(db_);
    for (const auto& m : *messages)
      if (Status s = outbox.enqueue(m); !s) return s;
  }
  if (Status s = tx.commit(); !s) return s;
  // The staged rows are cleared by the next beginScan(), off this path.
  return sum;
}

}  // namespace cspwatch::storage
