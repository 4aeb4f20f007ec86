// SPDX-License-Identifier: Apache-2.0
// Applying a staged scan (FindingStore::applyScan): the phases of one transaction, in order, each
// a small function over its SQL statements. Every statement is a named constant, whole and
// readable as SQL, next to the phase that runs it; the phase functions run them in the order
// listed. The SQL is the same on SQLite and PostgreSQL (storage/database.h): `CROSS JOIN` keeps
// SQLite's join order (the left table outer) and `state || ''` keeps it from the state index,
// as unary `+` would, which PostgreSQL does not have for text. The order matters: later phases
// read what earlier ones wrote (the `work` and `unseen`
// tables, opened_scan and resolved_scan), and everything between BEGIN IMMEDIATE and COMMIT is
// applied together or not at all (tests/faults/kill_test.cpp kills the process at any moment).
// The transaction is the caller's (beginApply): scan/scan_job.cpp queues the scan's alerts in it
// after these phases, before it commits.
//
// Parameters, the same in every statement of the phases (unused ones are ignored):
//   ?1 this scan's id, ?2 now (Unix seconds), ?3 the previous applied scan (NULL if none),
//   ?4 the tenant-gone threshold (complete scans a tenant must be missing from).
// The staging tables (stage_tenants, stage_evals, stage_fails, stage_rules) and the scratch
// tables (work, unseen) are connection-private: finding_store.cpp creates them.
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/finding_sql.h"
#include "storage/finding_store.h"

namespace cspwatch::storage {

namespace {

// What every phase binds.
struct ApplyParams {
  int64_t scan = 0;
  int64_t now = 0;
  std::optional<int64_t> previous;
  int64_t gone_after = 0;
  bool sources_complete = false;
};

Status run(Database& db, const ApplyParams& p, const char* sql) {
  auto st = db.prepare(sql);
  if (!st) return st.status();
  st->bind(1, p.scan).bind(2, p.now).bind(3, p.previous).bind(4, p.gone_after);
  return st->run();
}

// Runs each statement in turn; stops at the first error.
Status runAll(Database& db, const ApplyParams& p, std::initializer_list<const char*> sqls) {
  for (const char* sql : sqls)
    if (Status s = run(db, p, sql); !s) return s;
  return Status::ok();
}

// --- The rule set in force, and the scan applied before this one ----------------------------

constexpr char kClearRuleSet[] = R"sql(DELETE FROM stage_rules)sql";
constexpr char kStageRule[] = R"sql(INSERT INTO stage_rules VALUES (?1) ON CONFLICT DO NOTHING)sql";
constexpr char kPreviousAppliedScan[] = R"sql(SELECT max(id) FROM scans
WHERE id < ?1 AND status IN ('completed','partial'))sql";

Status stageRuleSet(Database& db, const std::vector<std::string>& enabled_rules) {
  if (Status s = db.exec(kClearRuleSet); !s) return s;
  auto st = db.prepare(kStageRule);
  if (!st) return st.status();
  for (const auto& r : enabled_rules) {
    st->reset();
    st->bind(1, r);
    if (Status s = st->run(); !s) return s;
  }
  return Status::ok();
}

Result<std::optional<int64_t>> previousAppliedScan(Database& db, int64_t scan) {
  auto st = db.prepare(kPreviousAppliedScan);
  if (!st) return st.status();
  st->bind(1, scan);
  std::optional<int64_t> prev;
  if (st->step()) prev = st->getOptInt(0);
  return prev;
}

// --- Tenants: new ones, renamed ones, ones back after an absence, ones just gone missing ------

constexpr char kInsertNewTenants[] =
    R"sql(INSERT INTO tenants (id, name, first_seen_scan, tags, domain)
SELECT tenant_id, name, ?1, tags, domain FROM stage_tenants s
WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = s.tenant_id))sql";

constexpr char kUpdateTenantTags[] = R"sql(UPDATE tenants SET tags = s.tags
FROM stage_tenants s WHERE s.tenant_id = tenants.id AND s.tags != tenants.tags)sql";

// A domain not read this time (a partial read) keeps the one known.
constexpr char kUpdateTenantDomains[] = R"sql(UPDATE tenants SET domain = s.domain
FROM stage_tenants s WHERE s.tenant_id = tenants.id AND s.domain != '' AND s.domain != tenants.domain)sql";

constexpr char kRenameTenants[] = R"sql(UPDATE tenants SET name = s.name
FROM stage_tenants s WHERE s.tenant_id = tenants.id AND s.name != tenants.name)sql";

constexpr char kTenantsBack[] = R"sql(UPDATE tenants SET last_present_scan = NULL, gone_scan = NULL
FROM stage_tenants s WHERE s.tenant_id = tenants.id AND tenants.last_present_scan IS NOT NULL)sql";

// Only when every source listed its tenants: an absent tenant was last present in the previous
// applied scan.
constexpr char kTenantsMissing[] = R"sql(UPDATE tenants SET last_present_scan = ?3
WHERE last_present_scan IS NULL AND id NOT IN (SELECT tenant_id FROM stage_tenants))sql";

constexpr char kRecordUnfullReads[] = R"sql(INSERT INTO scan_tenants
SELECT ?1, tenant_id, read_status, problems FROM stage_tenants WHERE read_status != 'full')sql";

Status recordTenants(Database& db, const ApplyParams& p) {
  if (Status s = runAll(db, p,
                        {kInsertNewTenants, kUpdateTenantTags, kUpdateTenantDomains, kRenameTenants,
                         kTenantsBack});
      !s)
    return s;
  if (p.sources_complete)
    if (Status s = run(db, p, kTenantsMissing); !s) return s;
  return run(db, p, kRecordUnfullReads);
}

// --- The (rule, tenant) pairs to reconcile ----------------------------------------------------
// Those whose outcome differs from the last applied one, by digest: only these need
// reconciling. Undecided outcomes (no digest) always do.

constexpr char kClearWork[] = R"sql(DELETE FROM work)sql";

constexpr char kPickChangedPairs[] = R"sql(INSERT INTO work
SELECT e.rule_id, e.tenant_id FROM stage_evals e
WHERE e.digest IS NULL
   OR NOT EXISTS (SELECT 1 FROM check_digests d
                  WHERE d.rule_id = e.rule_id AND d.tenant_id = e.tenant_id
                    AND d.digest = e.digest))sql";

Status pickChangedPairs(Database& db, const ApplyParams& p) {
  return runAll(db, p, {kClearWork, kPickChangedPairs});
}

// --- Open, reopen and refresh the failing findings ---------------------------------------------
// Every staged failure of those pairs in one pass (an upsert): new findings are inserted; a
// resolved or retired one is reopened; an open one is written only if its details changed or it
// had stopped being seen. Unchanged findings are not written at all.

constexpr char kUpsertFailures[] = R"sql(INSERT INTO findings
  (rule_id, tenant_id, subject, state, severity, message, remediation, evidence,
   first_seen_scan, first_seen_at, opened_scan, subject_label)
SELECT f.rule_id, f.tenant_id, f.subject, 'open', f.severity, f.message, f.remediation,
       f.evidence, ?1, ?2, ?1, f.subject_label
FROM stage_fails f JOIN work w ON w.rule_id = f.rule_id AND w.tenant_id = f.tenant_id
WHERE true
ON CONFLICT (rule_id, tenant_id, subject) DO UPDATE SET
  opened_scan = CASE WHEN findings.state != 'open' THEN ?1 ELSE findings.opened_scan END,
  times_reopened = findings.times_reopened + CASE WHEN findings.state != 'open' THEN 1 ELSE 0 END,
  resolved_scan = CASE WHEN findings.state != 'open' THEN NULL ELSE findings.resolved_scan END,
  resolved_at = CASE WHEN findings.state != 'open' THEN NULL ELSE findings.resolved_at END,
  resolved_reason =
    CASE WHEN findings.state != 'open' THEN NULL ELSE findings.resolved_reason END,
  state = 'open', last_seen_scan = NULL, severity = excluded.severity,
  message = excluded.message, remediation = excluded.remediation, evidence = excluded.evidence,
  subject_label = excluded.subject_label
WHERE findings.state != 'open' OR findings.last_seen_scan IS NOT NULL
   OR findings.severity != excluded.severity OR findings.message != excluded.message
   OR findings.remediation != excluded.remediation OR findings.evidence != excluded.evidence
   OR findings.subject_label != excluded.subject_label)sql";

Status upsertFailures(Database& db, const ApplyParams& p) { return run(db, p, kUpsertFailures); }

// --- The open findings this scan did not see fail ----------------------------------------------
// Only these can be resolved, retired or marked as no longer seen.

constexpr char kClearUnseen[] = R"sql(DELETE FROM unseen)sql";

// In the reconciled pairs, open findings that did not fail now.
constexpr char kUnseenInChangedPairs[] = R"sql(INSERT INTO unseen
SELECT x.id, x.rule_id, x.tenant_id
FROM work w CROSS JOIN findings x
WHERE x.state = 'open' AND x.rule_id = w.rule_id AND x.tenant_id = w.tenant_id
  AND x.opened_scan != ?1
  AND NOT EXISTS (SELECT 1 FROM stage_fails f
                  WHERE f.rule_id = x.rule_id AND f.tenant_id = x.tenant_id
                    AND f.subject = x.subject))sql";

// Open findings of pairs not evaluated at all: of tenants not read (unread or unlisted), found
// tenant by tenant...
constexpr char kUnseenOfUnreadTenants[] = R"sql(INSERT INTO unseen
SELECT x.id, x.rule_id, x.tenant_id
FROM tenants t CROSS JOIN findings x
WHERE x.tenant_id = t.id AND x.state = 'open'
  AND t.id NOT IN (SELECT tenant_id FROM stage_tenants WHERE read_status != 'none')
ON CONFLICT DO NOTHING)sql";

// ... and of rules no longer in the rule set.
constexpr char kUnseenOfRemovedRules[] = R"sql(INSERT INTO unseen
SELECT id, rule_id, tenant_id FROM findings
WHERE state = 'open' AND rule_id NOT IN (SELECT rule_id FROM stage_rules)
ON CONFLICT DO NOTHING)sql";

Status collectUnseen(Database& db, const ApplyParams& p) {
  return runAll(
      db, p, {kClearUnseen, kUnseenInChangedPairs, kUnseenOfUnreadTenants, kUnseenOfRemovedRules});
}

// --- Resolve and retire ---------------------------------------------------------------------

// A pass resolves; a complete fail resolves the subjects no longer failing.
constexpr char kResolvePassed[] = R"sql(UPDATE findings
SET state = 'resolved', resolved_scan = ?1, resolved_at = ?2, resolved_reason = 'passed',
    last_seen_scan = COALESCE(last_seen_scan, ?3)
WHERE id IN (SELECT u.id FROM unseen u
             JOIN stage_evals e ON e.rule_id = u.rule_id AND e.tenant_id = u.tenant_id
             WHERE e.outcome = 'pass' OR (e.outcome = 'fail' AND e.incomplete = 0)))sql";

// A rule no longer in the rule set retires its findings (it does not resolve them).
constexpr char kRetireRemovedRules[] = R"sql(UPDATE findings
SET state = 'retired', resolved_scan = ?1, resolved_at = ?2, resolved_reason = 'rule-removed',
    last_seen_scan = COALESCE(last_seen_scan, ?3)
WHERE state || '' = 'open'
  AND id IN (SELECT id FROM unseen WHERE rule_id NOT IN (SELECT rule_id FROM stage_rules)))sql";

Status resolveAndRetire(Database& db, const ApplyParams& p) {
  return runAll(db, p, {kResolvePassed, kRetireRemovedRules});
}

// --- Tenant gone: missing from N complete scans (this one included) ---------------------------
// Only when every source listed its tenants.

constexpr char kResolveGoneTenants[] = R"sql(UPDATE findings
SET state = 'resolved', resolved_scan = ?1, resolved_at = ?2, resolved_reason = 'tenant-gone',
    last_seen_scan = COALESCE(last_seen_scan, ?3)
WHERE state || '' = 'open'
  AND id IN (SELECT id FROM unseen WHERE tenant_id IN (
    SELECT t.id FROM tenants t
    WHERE t.last_present_scan IS NOT NULL AND t.gone_scan IS NULL
      AND (SELECT count(*) FROM scans s
           WHERE s.id > t.last_present_scan AND (s.status = 'completed' OR s.id = ?1)) >= ?4)))sql";

constexpr char kMarkTenantsGone[] = R"sql(UPDATE tenants SET gone_scan = ?1
WHERE last_present_scan IS NOT NULL AND gone_scan IS NULL
  AND (SELECT count(*) FROM scans s
       WHERE s.id > tenants.last_present_scan AND (s.status = 'completed' OR s.id = ?1)) >= ?4)sql";

Status tenantGone(Database& db, const ApplyParams& p) {
  if (!p.sources_complete) return Status::ok();
  return runAll(db, p, {kResolveGoneTenants, kMarkTenantsGone});
}

// --- Last seen ----------------------------------------------------------------------------------
// Open findings not seen in this scan (unknown, tenant unread or unlisted): remember when they
// were last seen.

constexpr char kRememberLastSeen[] = R"sql(UPDATE findings SET last_seen_scan = ?3
WHERE state || '' = 'open' AND last_seen_scan IS NULL AND id IN (SELECT id FROM unseen))sql";

Status markLastSeen(Database& db, const ApplyParams& p) { return run(db, p, kRememberLastSeen); }

// --- Digests ----------------------------------------------------------------------------------
// Forget the pairs touched outside their own outcome (unseen findings), then remember the
// reconciled pairs' decided outcomes.

constexpr char kForgetUnseenDigests[] = R"sql(DELETE FROM check_digests
WHERE (rule_id, tenant_id) IN (SELECT rule_id, tenant_id FROM unseen))sql";

constexpr char kForgetUndecidedDigests[] = R"sql(DELETE FROM check_digests
WHERE (rule_id, tenant_id) IN (
  SELECT w.rule_id, w.tenant_id
  FROM work w JOIN stage_evals e ON e.rule_id = w.rule_id AND e.tenant_id = w.tenant_id
  WHERE e.digest IS NULL))sql";

constexpr char kRememberDigests[] = R"sql(INSERT INTO check_digests
SELECT e.rule_id, e.tenant_id, e.digest
FROM work w JOIN stage_evals e ON e.rule_id = w.rule_id AND e.tenant_id = w.tenant_id
WHERE e.digest IS NOT NULL
ON CONFLICT (rule_id, tenant_id) DO UPDATE SET digest = excluded.digest)sql";

Status rememberDigests(Database& db, const ApplyParams& p) {
  return runAll(db, p, {kForgetUnseenDigests, kForgetUndecidedDigests, kRememberDigests});
}

// --- Streaks of "could not be checked": end the ones decided now, start new ones ----------------

constexpr char kEndDecidedStreaks[] = R"sql(UPDATE unknowns SET until_scan = ?3
WHERE until_scan IS NULL AND (
     (rule_id = '*'
      AND tenant_id IN (SELECT tenant_id FROM stage_tenants WHERE read_status != 'none'))
  OR (rule_id != '*'
      AND EXISTS (SELECT 1 FROM stage_evals e
                  WHERE e.rule_id = unknowns.rule_id AND e.tenant_id = unknowns.tenant_id
                    AND e.outcome != 'unknown' AND e.incomplete = 0))
  OR (rule_id != '*' AND rule_id NOT IN (SELECT rule_id FROM stage_rules))))sql";

// Only when every source listed its tenants: a tenant no source lists any more cannot be "not
// checked", so its streaks end.
constexpr char kEndUnlistedTenantStreaks[] = R"sql(UPDATE unknowns SET until_scan = ?3
WHERE until_scan IS NULL AND tenant_id NOT IN (SELECT tenant_id FROM stage_tenants))sql";

constexpr char kStartRuleStreaks[] =
    R"sql(INSERT INTO unknowns (rule_id, tenant_id, since_scan, reason)
SELECT e.rule_id, e.tenant_id, ?1, e.reason FROM stage_evals e
WHERE (e.outcome = 'unknown' OR e.incomplete = 1)
  AND NOT EXISTS (SELECT 1 FROM unknowns u
                  WHERE u.rule_id = e.rule_id AND u.tenant_id = e.tenant_id
                    AND u.until_scan IS NULL))sql";

// A tenant that could not be read at all: one streak for the whole tenant, rule '*'.
constexpr char kStartTenantStreaks[] =
    R"sql(INSERT INTO unknowns (rule_id, tenant_id, since_scan, reason)
SELECT '*', s.tenant_id, ?1, s.problems FROM stage_tenants s
WHERE s.read_status = 'none'
  AND NOT EXISTS (SELECT 1 FROM unknowns u
                  WHERE u.rule_id = '*' AND u.tenant_id = s.tenant_id
                    AND u.until_scan IS NULL))sql";

Status trackUnknownStreaks(Database& db, const ApplyParams& p) {
  if (Status s = run(db, p, kEndDecidedStreaks); !s) return s;
  if (p.sources_complete)
    if (Status s = run(db, p, kEndUnlistedTenantStreaks); !s) return s;
  return runAll(db, p, {kStartRuleStreaks, kStartTenantStreaks});
}

// --- Events for every transition of this scan -------------------------------------------------

constexpr char kOpenedEvents[] = R"sql(INSERT INTO finding_events (finding_id, scan_id, at, kind)
SELECT id, ?1, ?2, CASE WHEN first_seen_scan = ?1 THEN 'opened' ELSE 'reopened' END
FROM findings WHERE opened_scan = ?1)sql";

constexpr char kResolvedEvents[] =
    R"sql(INSERT INTO finding_events (finding_id, scan_id, at, kind, detail)
SELECT id, ?1, ?2, CASE state WHEN 'retired' THEN 'retired' ELSE 'resolved' END, resolved_reason
FROM findings WHERE resolved_scan = ?1)sql";

Status recordEvents(Database& db, const ApplyParams& p) {
  return runAll(db, p, {kOpenedEvents, kResolvedEvents});
}

// --- Suppressions: new and reopened findings under an active one; ones that just expired --------

// Which suppression covers which finding: storage/finding_sql.h (rule, tenant, tag, subject).
const std::string kSuppressedEvents =
    R"sql(INSERT INTO finding_events (finding_id, scan_id, at, kind, detail)
SELECT f.id, ?1, ?2, 'suppressed', 'suppression #' || min(s.id)
FROM findings f JOIN suppressions s ON )sql" +
    detail::suppressionCovers("s", "f") + R"sql(
WHERE f.opened_scan = ?1 AND f.state = 'open' AND s.removed_at IS NULL AND s.expires_at > ?2
GROUP BY f.id)sql";

const std::string kUnsuppressedEvents =
    R"sql(INSERT INTO finding_events (finding_id, scan_id, at, kind, detail)
SELECT f.id, ?1, ?2, 'unsuppressed', 'suppression #' || s.id || ' expired'
FROM suppressions s JOIN findings f ON )sql" +
    detail::suppressionCovers("s", "f") + R"sql(
WHERE f.state = 'open' AND s.removed_at IS NULL AND s.expires_at <= ?2 AND s.expiry_noted = 0)sql";

constexpr char kNoteExpiredSuppressions[] = R"sql(UPDATE suppressions SET expiry_noted = 1
WHERE removed_at IS NULL AND expires_at <= ?2 AND expiry_noted = 0)sql";

Status suppressionEvents(Database& db, const ApplyParams& p) {
  return runAll(db, p,
                {kSuppressedEvents.c_str(), kUnsuppressedEvents.c_str(), kNoteExpiredSuppressions});
}

// --- The scan's summary, counted from what the phases wrote, and the scan row finished ----------

// ?1 is the scan.
constexpr char kCountTenants[] = R"sql(SELECT count(*) FROM stage_tenants)sql";
constexpr char kCountPartialTenants[] =
    R"sql(SELECT count(*) FROM stage_tenants WHERE read_status = 'partial')sql";
constexpr char kCountUnreadTenants[] =
    R"sql(SELECT count(*) FROM stage_tenants WHERE read_status = 'none')sql";
constexpr char kCountOpened[] =
    R"sql(SELECT count(*) FROM finding_events WHERE scan_id = ?1 AND kind = 'opened')sql";
constexpr char kCountReopened[] =
    R"sql(SELECT count(*) FROM finding_events WHERE scan_id = ?1 AND kind = 'reopened')sql";
constexpr char kCountResolved[] =
    R"sql(SELECT count(*) FROM finding_events WHERE scan_id = ?1 AND kind = 'resolved')sql";
constexpr char kCountRetired[] =
    R"sql(SELECT count(*) FROM finding_events WHERE scan_id = ?1 AND kind = 'retired')sql";
constexpr char kCountOpen[] = R"sql(SELECT count(*) FROM findings WHERE state = 'open')sql";
constexpr char kCountUnknownChecks[] =
    R"sql(SELECT count(*) FROM stage_evals WHERE outcome = 'unknown' OR incomplete = 1)sql";

// ?1 the scan, ?2 its status, ?3 now, ?4.. the counts.
constexpr char kFinishScan[] = R"sql(UPDATE scans
SET status = ?2, finished_at = ?3, tenants_total = ?4, tenants_full = ?5, tenants_partial = ?6,
    tenants_unread = ?7, findings_new = ?8, findings_reopened = ?9, findings_resolved = ?10,
    findings_open = ?11, checks_unknown = ?12
WHERE id = ?1)sql";

Result<int64_t> count(Database& db, const char* sql, int64_t scan) {
  auto st = db.prepare(sql);
  if (!st) return st.status();
  st->bind(1, scan);
  if (!st->step())
    return st->status().isOk() ? Status::corruption("count returned no row") : st->status();
  return st->getInt(0);
}

Result<ScanSummary> summarise(Database& db, const ApplyParams& p) {
  ScanSummary sum;
  sum.scan_id = p.scan;
  sum.status = p.sources_complete ? ScanStatus::kCompleted : ScanStatus::kPartial;
  const std::pair<int*, const char*> counters[] = {
      {&sum.tenants_total, kCountTenants},        {&sum.tenants_partial, kCountPartialTenants},
      {&sum.tenants_unread, kCountUnreadTenants}, {&sum.findings_new, kCountOpened},
      {&sum.findings_reopened, kCountReopened},   {&sum.findings_resolved, kCountResolved},
      {&sum.findings_retired, kCountRetired},     {&sum.findings_open, kCountOpen},
      {&sum.checks_unknown, kCountUnknownChecks},
  };
  for (const auto& [target, sql] : counters) {
    auto n = count(db, sql, p.scan);
    if (!n) return n.status();
    *target = static_cast<int>(*n);
  }
  sum.tenants_full = sum.tenants_total - sum.tenants_partial - sum.tenants_unread;
  auto st = db.prepare(kFinishScan);
  if (!st) return st.status();
  st->bind(1, p.scan)
      .bind(2, scanStatusName(sum.status))
      .bind(3, p.now)
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
  return sum;
}

}  // namespace

Result<std::unique_ptr<Transaction>> FindingStore::beginApply() {
  // Staging's own (temporary-tables-only) transaction ends before the scan's begins.
  if (staging_open_) {
    if (Status s = db_.exec("COMMIT"); !s) return s;
    staging_open_ = false;
  }
  // The staged rows were in temporary tables of a connection that was lost (the server went
  // away): applying what is left would resolve findings nobody re-checked.
  if (staging_generation_ != db_.generation())
    return Status::unavailable("the connection to the database " + db_.path() +
                               " was lost while the scan was staged; nothing of it was applied");
  auto tx = std::make_unique<Transaction>(db_);
  if (!tx->status()) return tx->status();
  return tx;
}

Result<ScanSummary> FindingStore::applyStaged(const Transaction& tx, int64_t scan,
                                              const std::vector<std::string>& enabled_rules,
                                              bool sources_complete, Timestamp now) {
  if (!tx.status()) return tx.status();
  if (Status s = checkFence(); !s) return s;  // under the writer lock: final until commit
  if (Status s = stageRuleSet(db_, enabled_rules); !s) return s;
  auto previous = previousAppliedScan(db_, scan);
  if (!previous) return previous.status();
  const ApplyParams p{scan, toUnixSeconds(now), *previous, options_.tenant_gone_after_scans,
                      sources_complete};
  using Phase = Status (*)(Database&, const ApplyParams&);
  for (Phase phase : {recordTenants, pickChangedPairs, upsertFailures, collectUnseen,
                      resolveAndRetire, tenantGone, markLastSeen, rememberDigests,
                      trackUnknownStreaks, recordEvents, suppressionEvents})
    if (Status s = phase(db_, p); !s) return s;
  // The staged rows are cleared by the next beginScan(), off this path.
  return summarise(db_, p);
}

Result<ScanSummary> FindingStore::applyScan(int64_t scan,
                                            const std::vector<std::string>& enabled_rules,
                                            bool sources_complete, Timestamp now) {
  auto tx = beginApply();
  if (!tx) return tx.status();
  auto summary = applyStaged(**tx, scan, enabled_rules, sources_complete, now);
  if (!summary) return summary.status();
  if (Status s = (*tx)->commit(); !s) return s;
  return summary;
}

}  // namespace cspwatch::storage
