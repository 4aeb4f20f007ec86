// SPDX-License-Identifier: Apache-2.0
// Opening the store, the scan lifecycle and staging (applying a scan: apply_scan.cpp).
#include "storage/finding_store.h"

#include <algorithm>
#include <cerrno>
#include <map>

#include <sys/stat.h>

#include "common/file_safety.h"
#include "common/file_util.h"
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

Result<FindingStore> FindingStore::open(const StoreLocation& where, StoreOptions options) {
  auto db = Database::open(where);
  if (!db) return db.status();
  if (Status s = migrate(*db); !s) return s;
  return FindingStore(std::move(db.value()), options);
}

Result<FindingStore> FindingStore::openReadOnly(const StoreLocation& where, StoreOptions options) {
  const std::string& path = where.postgres() ? where.describe() : where.path;
  if (!where.postgres()) {
    // The directory's safety first (storage/sqlite_backend.cpp says why): a directory others
    // can change is refused even when no database is in it yet, so the answer never depends on
    // whether a scan ran.
    struct stat st {};
    const std::string dir = parentDirectory(path);
    if (::stat(dir.c_str(), &st) == 0) {
      if (Status s = checkPrivateDirectory(dir, "the database's directory"); !s) return s;
    }
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT)
      return Status::notFound("no database at " + path);
  }
  auto db = Database::open(where, /*read_only=*/true);
  if (!db) return db.status();
  auto version = schemaVersion(*db);
  if (!version) return version.status();
  if (*version == 0) return Status::notFound("the database " + path + " is empty");
  if (*version > latestSchemaVersion())
    return Status::aborted("the database " + path + " has schema " + std::to_string(*version) +
                           ", newer than this cspwatch knows (" +
                           std::to_string(latestSchemaVersion()) + "): upgrade cspwatch");
  if (*version < latestSchemaVersion())
    return Status::aborted("the database " + path + " has an older schema (" +
                           std::to_string(*version) + ", this cspwatch uses " +
                           std::to_string(latestSchemaVersion()) +
                           ") and this command only reads: the next scan upgrades it (restart "
                           "the service, or run 'cspwatch scan --once')");
  return FindingStore(std::move(db.value()), options);
}

Status FindingStore::checkFence() { return fence_ ? Leases(db_).check(*fence_) : Status::ok(); }

Result<int> FindingStore::markInterrupted(Timestamp now) {
  Transaction tx(db_);
  if (!tx.status()) return tx.status();
  if (Status s = checkFence(); !s) return s;
  auto st = db_.prepare(
      "UPDATE scans SET status = 'interrupted', finished_at = ?1, "
      "error = 'the scan did not finish (cspwatch stopped or crashed); nothing of it was applied' "
      "WHERE status = 'running'");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now));
  if (Status s = st->run(); !s) return s;
  const int changed = db_.changes();
  if (Status s = tx.commit(); !s) return s;
  return changed;
}

Status FindingStore::ensureStaging() {
  if (!staging_ready_) {
    Status s = db_.exec(R"sql(
CREATE TEMP TABLE IF NOT EXISTS stage_tenants (
  tenant_id TEXT PRIMARY KEY, name TEXT NOT NULL, read_status TEXT NOT NULL, problems TEXT NOT NULL,
  tags TEXT NOT NULL, domain TEXT NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS stage_evals (
  rule_id TEXT NOT NULL, tenant_id TEXT NOT NULL, outcome TEXT NOT NULL, incomplete INTEGER NOT NULL,
  reason TEXT NOT NULL, digest BIGINT, PRIMARY KEY (rule_id, tenant_id));
CREATE TEMP TABLE IF NOT EXISTS work (rule_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
  PRIMARY KEY (rule_id, tenant_id));
CREATE TEMP TABLE IF NOT EXISTS stage_fails (
  rule_id TEXT NOT NULL, tenant_id TEXT NOT NULL, subject TEXT NOT NULL, severity TEXT NOT NULL,
  message TEXT NOT NULL, remediation TEXT NOT NULL, evidence TEXT NOT NULL,
  subject_label TEXT NOT NULL, PRIMARY KEY (rule_id, tenant_id, subject));
CREATE TEMP TABLE IF NOT EXISTS stage_rules (rule_id TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS unseen (id BIGINT PRIMARY KEY, rule_id TEXT NOT NULL, tenant_id TEXT NOT NULL);
)sql");
    if (!s) return s;
    // A row staged again replaces the first (the last word wins).
    auto t = db_.prepare(
        "INSERT INTO stage_tenants VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant_id) DO "
        "UPDATE SET name = excluded.name, read_status = excluded.read_status, problems = "
        "excluded.problems, tags = excluded.tags, domain = excluded.domain");
    auto e = db_.prepare(
        "INSERT INTO stage_evals VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (rule_id, tenant_id) "
        "DO UPDATE SET outcome = excluded.outcome, incomplete = excluded.incomplete, reason = "
        "excluded.reason, digest = excluded.digest");
    auto f = db_.prepare(
        "INSERT INTO stage_fails VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (rule_id, "
        "tenant_id, subject) DO UPDATE SET severity = excluded.severity, message = "
        "excluded.message, remediation = excluded.remediation, evidence = excluded.evidence, "
        "subject_label = excluded.subject_label");
    if (!t) return t.status();
    if (!e) return e.status();
    if (!f) return f.status();
    stage_tenant_ = std::move(t.value());
    stage_eval_ = std::move(e.value());
    stage_fail_ = std::move(f.value());
    staging_ready_ = true;
    staging_generation_ = db_.generation();
  }
  if (!staging_open_ && db_.dialect() == Dialect::kSqlite) {
    // Staging writes only the connection's temporary database, so this transaction takes no
    // lock on the database file; batching the inserts in it keeps staging cheap. Not on
    // PostgreSQL: a transaction open for the whole scan (its API reads included) would hold
    // back the server's vacuum and meet idle_in_transaction_session_timeout; there each insert
    // into the temporary tables commits on its own.
    if (Status s = db_.exec("BEGIN"); !s) return s;
    staging_open_ = true;
  }
  return Status::ok();
}

Result<int64_t> FindingStore::beginScan(Timestamp now, const std::string& rule_set_hash) {
  if (staging_open_) {
    (void)db_.exec("ROLLBACK");
    staging_open_ = false;
  }
  // A connection made again (the server went away) has lost its temporary tables.
  if (staging_ready_ && staging_generation_ != db_.generation()) staging_ready_ = false;
  if (Status s = ensureStaging(); !s) return s;
  if (Status s =
          db_.exec("DELETE FROM stage_tenants; DELETE FROM stage_evals; DELETE FROM stage_fails; "
                   "DELETE FROM stage_rules");
      !s)
    return s;
  if (staging_open_)
    if (Status s = db_.exec("COMMIT"); !s) return s;
  staging_open_ = false;
  Transaction tx(db_);
  if (!tx.status()) return tx.status();
  if (Status s = checkFence(); !s) return s;
  auto st = db_.prepare(
      "INSERT INTO scans (started_at, status, rule_set_hash) VALUES (?1, 'running', ?2) "
      "RETURNING id");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now)).bind(2, rule_set_hash);
  if (!st->step()) return st->status().isOk() ? Status::corruption("no scan id") : st->status();
  const int64_t id = st->getInt(0);
  if (Status s = st->run(); !s) return s;
  if (Status s = tx.commit(); !s) return s;
  return id;
}

Status FindingStore::stageTenant(const TenantRead& t) {
  if (Status s = ensureStaging(); !s) return s;
  stage_tenant_.reset();
  stage_tenant_.bind(1, t.tenant_id)
      .bind(2, t.name)
      .bind(3, readStatusName(t.status))
      .bind(4, redactSecrets(t.problems_json))  // reasons may quote a server; JSON stays JSON
      .bind(5, joinTags(t.tags))
      .bind(6, t.domain);
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
      // Only when there is one, so that digests of rules without labels stay as they were.
      if (!f->subject_label.empty()) feed(f->subject_label);
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
        .bind(7, f.evidence_json)
        .bind(8, f.subject_label);
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
                              ScanStatus status) {
  if (status != ScanStatus::kFailed && status != ScanStatus::kInterrupted)
    return Status::invalidArgument(std::string("a scan cannot fail as ") + scanStatusName(status));
  if (staging_open_) {
    (void)db_.exec("ROLLBACK");
    staging_open_ = false;
  }
  Transaction tx(db_);
  if (!tx.status()) return tx.status();
  if (Status s = checkFence(); !s) return s;
  // Only a scan still running: one whose COMMIT was sent but not confirmed (the connection to a
  // server lost at that moment) may have been applied, and must not be called failed then.
  auto st = db_.prepare(
      "UPDATE scans SET status = ?1, finished_at = ?2, error = ?3 WHERE id = ?4 "
      "AND status = 'running'");
  if (!st) return st.status();
  st->bind(1, scanStatusName(status))
      .bind(2, toUnixSeconds(now))
      .bind(3, redactSecrets(error))
      .bind(4, scan_id);
  if (Status s = st->run(); !s) return s;
  return tx.commit();
}

}  // namespace cspwatch::storage
