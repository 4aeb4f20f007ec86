// SPDX-License-Identifier: Apache-2.0
#include "storage/schema.h"

namespace cspwatch::storage {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: scans, tenants, findings and their events, unknown streaks.
      R"sql(
CREATE TABLE scans (
  id INTEGER PRIMARY KEY,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  status TEXT NOT NULL CHECK (status IN ('running','completed','partial','failed','interrupted')),
  rule_set_hash TEXT NOT NULL DEFAULT '',
  tenants_total INTEGER NOT NULL DEFAULT 0,
  tenants_full INTEGER NOT NULL DEFAULT 0,
  tenants_partial INTEGER NOT NULL DEFAULT 0,
  tenants_unread INTEGER NOT NULL DEFAULT 0,
  findings_new INTEGER NOT NULL DEFAULT 0,
  findings_reopened INTEGER NOT NULL DEFAULT 0,
  findings_resolved INTEGER NOT NULL DEFAULT 0,
  findings_open INTEGER NOT NULL DEFAULT 0,
  checks_unknown INTEGER NOT NULL DEFAULT 0,
  error TEXT
);
-- Tenants ever seen. last_present_scan is NULL while the tenant is in every scan, else the
-- last scan that listed it; gone_scan is when its findings were resolved as tenant-gone.
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  first_seen_scan INTEGER NOT NULL REFERENCES scans(id),
  last_present_scan INTEGER REFERENCES scans(id),
  gone_scan INTEGER REFERENCES scans(id)
) WITHOUT ROWID;
-- Tenants a scan could not read fully; a listed tenant without a row here was read fully.
CREATE TABLE scan_tenants (
  scan_id INTEGER NOT NULL REFERENCES scans(id),
  tenant_id TEXT NOT NULL,
  read_status TEXT NOT NULL CHECK (read_status IN ('partial','none')),
  problems TEXT NOT NULL,
  PRIMARY KEY (scan_id, tenant_id)
) WITHOUT ROWID;
-- One row per finding identity (rule, tenant, subject). last_seen_scan is NULL while the
-- finding is seen in every scan and written only when that stops, so unchanged scans write
-- nothing here.
CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  rule_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open','resolved','retired')),
  severity TEXT NOT NULL,
  message TEXT NOT NULL,
  remediation TEXT NOT NULL,
  evidence TEXT NOT NULL DEFAULT 'null',
  first_seen_scan INTEGER NOT NULL REFERENCES scans(id),
  first_seen_at INTEGER NOT NULL,
  opened_scan INTEGER NOT NULL REFERENCES scans(id),
  last_seen_scan INTEGER REFERENCES scans(id),
  resolved_scan INTEGER REFERENCES scans(id),
  resolved_at INTEGER,
  resolved_reason TEXT,
  times_reopened INTEGER NOT NULL DEFAULT 0,
  UNIQUE (rule_id, tenant_id, subject)
);
CREATE INDEX findings_by_state ON findings (state, rule_id, tenant_id);
CREATE INDEX findings_by_tenant ON findings (tenant_id, state);
CREATE INDEX findings_by_opened ON findings (opened_scan);
CREATE INDEX findings_by_resolved ON findings (resolved_scan);
CREATE TABLE finding_events (
  id INTEGER PRIMARY KEY,
  finding_id INTEGER NOT NULL REFERENCES findings(id),
  scan_id INTEGER REFERENCES scans(id),
  at INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('opened','reopened','resolved','suppressed','unsuppressed',
                                     'notified','retired')),
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX finding_events_by_finding ON finding_events (finding_id);
CREATE INDEX finding_events_by_scan ON finding_events (scan_id, kind);
CREATE TRIGGER finding_events_no_update BEFORE UPDATE ON finding_events
  BEGIN SELECT RAISE(ABORT, 'finding_events is append-only'); END;
CREATE TRIGGER finding_events_no_delete BEFORE DELETE ON finding_events
  BEGIN SELECT RAISE(ABORT, 'finding_events is append-only'); END;
-- Streaks of "could not be checked": per rule and tenant, or rule '*' when the tenant itself
-- could not be read. until_scan is NULL while the streak goes on.
CREATE TABLE unknowns (
  id INTEGER PRIMARY KEY,
  rule_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  since_scan INTEGER NOT NULL REFERENCES scans(id),
  until_scan INTEGER REFERENCES scans(id),
  reason TEXT NOT NULL
);
CREATE UNIQUE INDEX unknowns_active ON unknowns (rule_id, tenant_id) WHERE until_scan IS NULL;
)sql",
      // 2: suppressions and the audit trail of CLI changes.
      R"sql(
CREATE TABLE suppressions (
  id INTEGER PRIMARY KEY,
  rule_id TEXT NOT NULL,
  tenant_id TEXT,
  subject TEXT,
  reason TEXT NOT NULL,
  owner TEXT NOT NULL,
  ticket TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  removed_at INTEGER,
  removed_by TEXT,
  expiry_noted INTEGER NOT NULL DEFAULT 0,
  CHECK (expires_at > created_at)
);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
)sql",
      // 3: a digest of the last applied outcome of each (rule, tenant), so that a scan
      // reconciles only the pairs whose outcome changed.
      R"sql(
CREATE TABLE check_digests (
  rule_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  digest INTEGER NOT NULL,
  PRIMARY KEY (rule_id, tenant_id)
) WITHOUT ROWID;
)sql",
      // 4: the outbox: messages to deliver, each exactly once, surviving restarts.
      R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  recipients TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  scan_id INTEGER REFERENCES scans(id),
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued','sent','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
)sql",
      // 5: reminders of open findings (how many, when last) and the tenants' tags, for routing
      // alerts by tenant tag outside a scan.
      R"sql(
CREATE TABLE reminders (
  finding_id INTEGER PRIMARY KEY REFERENCES findings(id),
  opened_scan INTEGER NOT NULL,
  times INTEGER NOT NULL,
  last_at INTEGER NOT NULL
);
ALTER TABLE tenants ADD COLUMN tags TEXT NOT NULL DEFAULT '';
)sql",
      // 6: other tenants' names (partners listed by our customers), as Graph's
      // findTenantInformationByTenantId gives them; looked up again after 7 days. Scans note
      // when cspwatch could not sign in as the partner user (the admins are told once a day).
      R"sql(
ALTER TABLE scans ADD COLUMN sign_in_error TEXT;
CREATE TABLE tenant_directory (
  tenant_id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  default_domain TEXT NOT NULL,
  looked_up_at INTEGER NOT NULL
);
)sql",
      // 7: which messages mentioned which findings (`findings show`), findings' subjects by
      // name, and outputs beside email:
      // an outbox row is an email, a webhook event or a Teams card (docs/alerts.md#outputs).
      // `target` names where it goes by the route and the output's place in it
      // ("webhook:<route>:<index>"), never by its URL: a Teams Workflows URL carries its
      // signature, and secrets stay out of the database; the sender looks the URL up in the
      // configuration. `recipients` then holds the URL with its query removed, for display.
      R"sql(
CREATE TABLE notifications (
  finding_id INTEGER NOT NULL REFERENCES findings(id),
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (finding_id, message_id)
);
CREATE INDEX notifications_message ON notifications (message_id);
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email'
  CHECK (channel IN ('email','webhook','teams'));
ALTER TABLE outbox ADD COLUMN target TEXT NOT NULL DEFAULT '';
-- What a finding is about, by name ("Adatum Managed Services (adatum.onmicrosoft.com)" for a
-- subject that is a partner's tenant id): the rule's subject_label, for the digest.
ALTER TABLE findings ADD COLUMN subject_label TEXT NOT NULL DEFAULT '';
)sql",
      // 8: suppressions by tenant tag, which cover every tenant carrying the tag when it is
      // checked (tenants tagged later too), and the tenants' default domains, so that
      // `suppress add --tenant` takes a tenant's name or domain as well as its id.
      R"sql(
ALTER TABLE suppressions ADD COLUMN tenant_tag TEXT;
ALTER TABLE tenants ADD COLUMN domain TEXT NOT NULL DEFAULT '';
)sql",
      // 9: leases (storage/leases.h): which instance scans the partner account; its fencing
      // token goes up with each new holder, its version with every renewal. `machine` and
      // `pid` say where the holder runs, so that an instance on the same machine can tell a
      // holder that died (a crash and restart) without waiting a lease period.
      R"sql(
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  token INTEGER NOT NULL,
  version INTEGER NOT NULL,
  renewed_at INTEGER NOT NULL,
  machine TEXT NOT NULL DEFAULT '',
  pid INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
)sql",
  };
  return kMigrations;
}

const std::vector<std::string>& migrations(Dialect dialect) {
  return dialect == Dialect::kPostgres ? postgresMigrations() : migrations();
}

Result<int> schemaVersion(Database& db) {
  if (db.dialect() == Dialect::kPostgres) {
    // No schema_version table: nothing was ever migrated here (version 0). Read from pg_class
    // with the statement's snapshot, not with to_regclass(): that looks the name up in the
    // session's catalog cache, which taking the (advisory) writer lock does not refresh, so an
    // instance that waited there while another migrated still found no table and ran the first
    // migration again ("function instr already exists").
    auto exists = db.prepare(
        "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
        "AND c.relname = 'schema_version'");
    if (!exists) return exists.status();
    if (!exists->step())
      return exists->status().isOk() ? Status::corruption("no answer") : exists->status();
    if (exists->getInt(0) == 0) return 0;
  }
  auto stmt =
      db.prepare(db.dialect() == Dialect::kPostgres ? "SELECT max(version) FROM schema_version"
                                                    : "PRAGMA user_version");
  if (!stmt) return stmt.status();
  if (!stmt->step())
    return stmt->status().isOk() ? Status::corruption("no user_version") : stmt->status();
  return static_cast<int>(stmt->getInt(0));
}

namespace {

Status setVersion(Database& db, int version) {
  if (db.dialect() == Dialect::kSqlite)
    return db.exec("PRAGMA user_version = " + std::to_string(version));
  return db.exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL); "
      "DELETE FROM schema_version; INSERT INTO schema_version VALUES (" +
      std::to_string(version) + ")");
}

Status newerRefused(const Database& db, int version, int latest) {
  return Status::invalidArgument(
      "database " + db.path() + " has schema version " + std::to_string(version) +
      ", newer than this cspwatch knows (" + std::to_string(latest) +
      "); it was written by a newer release. Upgrade cspwatch; the database was not modified.");
}

}  // namespace

Status migrate(Database& db, int target) {
  const int latest = latestSchemaVersion();
  if (target < 0) target = latest;
  auto version = schemaVersion(db);
  if (!version) return version.status();
  if (*version > latest) return newerRefused(db, *version, latest);
  const auto& steps = migrations(db.dialect());
  for (int v = *version; v < target; ++v) {
    Transaction tx(db);
    if (!tx.status()) return tx.status();
    // Read again under the writer's lock: another instance may have migrated meanwhile.
    auto now = schemaVersion(db);
    if (!now) return now.status();
    if (*now > latest) return newerRefused(db, *now, latest);
    if (*now > v) {
      v = *now - 1;
      continue;
    }
    if (Status s = db.exec(steps[static_cast<size_t>(v)]); !s) return s;
    if (Status s = setVersion(db, v + 1); !s) return s;
    if (Status s = tx.commit(); !s) return s;
  }
  return Status::ok();
}

}  // namespace cspwatch::storage
