// SPDX-License-Identifier: Apache-2.0
// The findings database (docs/storage.md): scans, tenants, findings with their lifecycle and
// append-only events, "could not be checked" streaks, suppressions and the audit trail.
//
// A scan is staged while it runs (stageTenant/stageEvaluation write to connection-private
// temporary tables, not to the database file) and applied at the end in one transaction
// (beginApply, applyStaged, commit), so a crash or kill at any moment leaves the previous state
// intact. Applying writes only what changed: an unchanged scan adds one row to `scans`.
//
// Not thread-safe: one FindingStore per thread. Several processes may open the same file
// (WAL mode; writers wait up to 5 s for each other).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/database.h"
#include "storage/leases.h"
#include "storage/outbox.h"
#include "storage/states.h"

namespace cspwatch::storage {

struct StoreOptions {
  int tenant_gone_after_scans = 3;  // complete scans a tenant must be missing from
  Seconds max_suppression = std::chrono::hours(24 * 90);
};

// One tenant as a scan saw it.
struct TenantRead {
  std::string tenant_id;
  std::string name;
  ReadStatus status = ReadStatus::kFull;
  std::string problems_json = "[]";  // [{"part": ..., "reason": ...}] when not full
  std::vector<std::string> tags;     // the operator's tags (inventory), for routing alerts
  std::string domain = {};           // the default domain, for `suppress add --tenant DOMAIN`
};

enum class EvalOutcome { kPass, kFail, kUnknown };

struct FailedSubject {
  std::string subject;
  std::string severity;
  std::string message;
  std::string remediation;
  std::string evidence_json = "null";
  std::string subject_label = {};  // the subject by name (the rule's subject_label); may be ""
};

// One rule evaluated against one tenant.
struct Evaluation {
  std::string rule_id;
  std::string tenant_id;
  EvalOutcome outcome = EvalOutcome::kPass;
  bool incomplete = false;  // a fail with undecided elements: resolve nothing else
  std::string unknown_reason;
  std::vector<FailedSubject> failures;
};

struct ScanSummary {
  int64_t scan_id = 0;
  ScanStatus status = ScanStatus::kCompleted;  // completed or partial
  int tenants_total = 0, tenants_full = 0, tenants_partial = 0, tenants_unread = 0;
  int findings_new = 0, findings_reopened = 0, findings_resolved = 0, findings_retired = 0;
  int findings_open = 0, checks_unknown = 0;
};

struct ScanRow {
  int64_t id = 0;
  Timestamp started_at;
  std::optional<Timestamp> finished_at;
  ScanStatus status = ScanStatus::kRunning;
  std::string rule_set_hash;
  ScanSummary counts;
  std::string error;
};

struct FindingRow {
  int64_t id = 0;
  std::string rule_id, tenant_id, tenant_name, subject;
  std::string
      subject_label;  // the subject by name, as the last scan that failed it said; may be ""
  FindingState state = FindingState::kOpen;  // kUnknown only in ScanDiff::became_unknown
  bool suppressed = false;
  std::string severity, message, remediation, evidence_json;
  Timestamp first_seen;
  std::optional<Timestamp> last_seen;
  std::optional<Timestamp> resolved_at;
  std::string resolved_reason;
  int times_reopened = 0;
  int times_reminded = 0;  // reminders sent since the finding was last opened
};

struct FindingEvent {
  Timestamp at;
  std::string kind;
  std::optional<int64_t> scan_id;
  std::string detail;
};

struct FindingFilter {
  StateFilter state = StateFilter::kOpen;
  std::string tenant;  // id or name; "" = any
  std::string rule;
  std::string severity;
};

// A suppression covers the open findings of its rule, narrowed to one tenant (tenant_id) or to
// every tenant carrying an inventory tag when checked (tenant_tag; tenants tagged later too),
// and to one subject; without a subject it also covers its rule's "could not be checked" items
// for those tenants.
struct Suppression {
  int64_t id = 0;
  std::string rule_id;
  std::optional<std::string> tenant_id, subject;
  std::optional<std::string> tenant_tag;
  std::string reason, owner;
  std::optional<std::string> ticket;
  Timestamp created_at, expires_at;
  std::optional<Timestamp> removed_at;
  std::optional<std::string> removed_by;
  bool active(Timestamp now) const { return !removed_at && now < expires_at; }
};

struct AuditRow {
  int64_t id = 0;
  Timestamp at;
  std::string actor, action, target, detail;
};

struct ScanDiff {
  int64_t from = 0, to = 0;
  std::vector<FindingRow> added, resolved, reopened, still_open, became_unknown;
};

// What a scan changed, for composing its alerts.
struct ScanChanges {
  int64_t scan_id = 0;
  std::vector<FindingRow> opened, reopened, resolved;
  // cspwatch could not sign in as the partner user in this scan (noteSignInFailure).
  std::optional<std::string> sign_in_failure;
};

// A "could not be checked" streak still going on: a rule for a tenant, or the whole tenant
// (rule_id "*") when it could not be read at all.
struct UnknownStreak {
  std::string rule_id, tenant_id, tenant_name, reason;
  int64_t since_scan = 0;
  Timestamp since;
  int scans = 0;  // applied scans in a row, this streak's first included
  // The active suppression covering it (unknownStreaks(now)), 0 for none.
  int64_t suppressed_by = 0;
};

// What a suppression covers at a time: open findings and "could not be checked" items.
struct SuppressionCoverage {
  std::vector<FindingRow> findings;
  std::vector<UnknownStreak> could_not_check;
  bool empty() const { return findings.empty() && could_not_check.empty(); }
};

// A tenant as the last scan that listed it saw it (tenants no longer listed left out).
struct KnownTenant {
  std::string tenant_id, name, domain;
  std::vector<std::string> tags;
};

// Another tenant's name and default domain as Graph described it, and when.
struct DirectoryEntry {
  std::string tenant_id, display_name, default_domain;
  Timestamp looked_up_at;
};

class FindingStore {
 public:
  // Opens or creates the database at `where` (a SQLite file, or a PostgreSQL server's schema)
  // and migrates it; refuses a newer schema.
  static Result<FindingStore> open(const StoreLocation& where, StoreOptions options = {});
  // Opens an existing database to read only: creates nothing and migrates nothing. kNotFound
  // when there is no file at `where` or it is empty (schema 0; on PostgreSQL: no tables in the
  // schema); kAborted ("older schema") when the
  // database needs a migration only a writer may make, naming how to make it; a newer schema is
  // refused.
  static Result<FindingStore> openReadOnly(const StoreLocation& where, StoreOptions options = {});

  // Marks scans left 'running' by a crash as 'interrupted'; returns how many.
  Result<int> markInterrupted(Timestamp now);
  Result<int64_t> beginScan(Timestamp now, const std::string& rule_set_hash);
  // Staging: private to this connection until applyScan(). Every tenant the scan listed is
  // staged, and for each tenant read (fully or partly) one evaluation of every enabled rule.
  Status stageTenant(const TenantRead& tenant);
  Status stageEvaluation(const Evaluation& evaluation);
  // Applying a staged scan: the caller opens the transaction (beginApply: staging's own ends
  // first), applies the staged rows in it (applyStaged), may add to it (the scan's alerts,
  // scan/scan_job.h) and commits; destroying the Transaction uncommitted rolls all of it back.
  // `enabled_rules` is the rule set in force (open findings of other rules are retired);
  // `sources_complete` says every source listed its tenants, so absent tenants count towards
  // tenant-gone. The phases, their SQL and their order: storage/apply_scan.cpp.
  Result<std::unique_ptr<Transaction>> beginApply();
  Result<ScanSummary> applyStaged(const Transaction& tx, int64_t scan_id,
                                  const std::vector<std::string>& enabled_rules,
                                  bool sources_complete, Timestamp now);
  // beginApply, applyStaged and commit, with nothing added (tests, benchmarks).
  Result<ScanSummary> applyScan(int64_t scan_id, const std::vector<std::string>& enabled_rules,
                                bool sources_complete, Timestamp now);
  // Ends a scan without applying it: `status` is kFailed or kInterrupted (shutdown); another
  // status is an invalid argument.
  Status failScan(int64_t scan_id, Timestamp now, const std::string& error,
                  ScanStatus status = ScanStatus::kFailed);

  Result<std::vector<FindingRow>> listFindings(const FindingFilter& filter, Timestamp now);
  Result<FindingRow> getFinding(int64_t id, Timestamp now);
  // What `scan` changed (after applyStaged, in its transaction or later).
  Result<ScanChanges> changesOf(int64_t scan, Timestamp now);
  // Findings opened, reopened or resolved by `scan`.
  Result<std::vector<FindingRow>> findingsChangedIn(int64_t scan, Timestamp now);
  Result<std::vector<FindingEvent>> findingEvents(int64_t id);

  // Reminders (storage/reminders.cpp). Open, unsuppressed findings whose next reminder is due
  // at `now`: reminder n (from 0) comes intervals[min(n, size - 1)] after the finding was
  // opened (or reopened) or last reminded, less a tenth (a scan a little early still counts).
  // `intervals` must not be empty.
  Result<std::vector<FindingRow>> remindersDue(Timestamp now,
                                               const std::vector<Seconds>& intervals);
  // Counts one more reminder for each finding, at `now` (call in the transaction that queues it).
  Status recordReminders(const std::vector<int64_t>& finding_ids, Timestamp now);
  // Every "could not be checked" streak still going on; with `now`, each names the suppression
  // active then that covers it (suppressed_by).
  Result<std::vector<UnknownStreak>> unknownStreaks(std::optional<Timestamp> now = std::nullopt);
  // The tags each tenant had when last read: tenant id -> tags.
  Result<std::map<std::string, std::vector<std::string>>> tenantTags();
  // Open findings counted by rule and severity (metrics): (rule, severity) -> count.
  Result<std::map<std::pair<std::string, std::string>, int64_t>> openCounts();
  // Every known tenant's name: tenant id -> name.
  Result<std::map<std::string, std::string>> tenantNames();
  // The partner user's sign-in (storage/sign_in.cpp). Notes on `scan` that Entra refused it.
  Status noteSignInFailure(int64_t scan, const std::string& error);
  // Whether the admins are due to hear of a failed sign-in in `scan`: the applied scan before
  // it signed in fine (the failure is new), or no "signin" message went out in the `every`
  // before `now`.
  Result<bool> signInAlertDue(int64_t scan, Timestamp now, Seconds every);
  // Other tenants' names (storage/directory.cpp): every entry, and new or refreshed ones
  // written (insert or replace), in a transaction of their own.
  Result<std::vector<DirectoryEntry>> directory();
  Status saveDirectory(const std::vector<DirectoryEntry>& entries);
  // When the latest scan applied before `scan` (completed or partial) finished; nullopt if none.
  Result<std::optional<Timestamp>> previousScanFinished(int64_t scan);
  Result<std::vector<ScanRow>> listScans(int limit = 50);
  Result<ScanDiff> diffScans(int64_t from, int64_t to, Timestamp now);

  Result<int64_t> addSuppression(Suppression s, const std::string& actor, Timestamp now);
  Result<std::vector<Suppression>> listSuppressions(bool include_inactive, Timestamp now);
  Status removeSuppression(int64_t id, const std::string& actor, Timestamp now);
  // What `s` (not yet stored) would cover at `now`: its rule's open findings and, without a
  // subject, its could-not-check items, for the tenants it names.
  Result<SuppressionCoverage> coverageOf(const Suppression& s, Timestamp now);
  // The suppressions active at `now` that cover finding `id` (none unless it is open).
  Result<std::vector<Suppression>> suppressionsOf(int64_t finding_id, Timestamp now);
  // The tenants still listed, with their names, default domains and tags.
  Result<std::vector<KnownTenant>> knownTenants();
  Result<std::vector<AuditRow>> listAudit(int limit = 100);

  // Fencing (storage/leases.h): from now on, beginScan, applyStaged, failScan and
  // markInterrupted write only while `fence` still holds the lease, each checking it in its own
  // transaction (kAborted otherwise, nothing written). nullopt: no fence (a one-shot scan, the
  // CLI).
  void setFence(std::optional<Fence> fence) { fence_ = std::move(fence); }

  Database& db() { return db_; }
  const StoreOptions& options() const { return options_; }

 private:
  FindingStore(Database db, StoreOptions options) : db_(std::move(db)), options_(options) {}
  Status ensureStaging();
  Status checkFence();  // in a write transaction
  Status audit(const std::string& actor, const std::string& action, const std::string& target,
               const std::string& detail, Timestamp now);
  Database db_;
  StoreOptions options_;
  bool staging_ready_ = false;
  bool staging_open_ = false;
  int staging_generation_ = 0;  // the connection's generation when staging was set up
  std::optional<Fence> fence_;
  Statement stage_tenant_, stage_eval_, stage_fail_;  // prepared once, reused for every row
};

}  // namespace cspwatch::storage
