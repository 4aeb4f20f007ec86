// SPDX-License-Identifier: Apache-2.0
// Suppressions, what they cover, and the audit trail.
#include <algorithm>

#include "common/text.h"
#include "storage/finding_sql.h"
#include "storage/finding_store.h"

namespace cspwatch::storage {

using namespace detail;

namespace {

// The open findings a suppression covers: parameters ?n rule, ?n+1 tenant, ?n+2 subject, ?n+3
// tag (NULL: any), for 'suppressed'/'unsuppressed' events and coverageOf. Tags as finding_sql.h.
std::string coveredWhere(int n) {
  auto p = [n](int i) { return "?" + std::to_string(n + i); };
  return "f.state = 'open' AND f.rule_id = " + p(0) + " AND (" + p(1) +
         " IS NULL OR f.tenant_id = " + p(1) + ") AND (" + p(2) +
         " IS NULL OR f.subject = " + p(2) + ") AND (" + p(3) +
         " IS NULL OR EXISTS (SELECT 1 FROM tenants tt WHERE tt.id = f.tenant_id AND "
         "instr('\n' || tt.tags || '\n', '\n' || " +
         p(3) + " || '\n') > 0))";
}
const std::string kCovered = "SELECT f.id FROM findings f WHERE " + coveredWhere(1);

constexpr const char* kSuppressionColumns =
    "SELECT s.id, s.rule_id, s.tenant_id, s.subject, s.reason, s.owner, s.ticket, s.created_at, "
    "s.expires_at, s.removed_at, s.removed_by, s.tenant_tag FROM suppressions s ";

Suppression readSuppression(const Statement& st) {
  Suppression s;
  s.id = st.getInt(0);
  s.rule_id = st.getText(1);
  s.tenant_id = st.getOptText(2);
  s.subject = st.getOptText(3);
  s.reason = st.getText(4);
  s.owner = st.getText(5);
  s.ticket = st.getOptText(6);
  s.created_at = fromUnixSeconds(st.getInt(7));
  s.expires_at = fromUnixSeconds(st.getInt(8));
  if (auto r = st.getOptInt(9)) s.removed_at = fromUnixSeconds(*r);
  s.removed_by = st.getOptText(10);
  s.tenant_tag = st.getOptText(11);
  return s;
}

// What a suppression is for, in the audit trail: "rule tenant T tag X subject S".
std::string targetText(const std::string& rule, const std::optional<std::string>& tenant,
                       const std::optional<std::string>& tag,
                       const std::optional<std::string>& subject) {
  return rule + (tenant ? " tenant " + *tenant : "") + (tag ? " tag " + *tag : "") +
         (subject ? " subject " + *subject : "");
}

}  // namespace

Status FindingStore::audit(const std::string& actor, const std::string& action,
                           const std::string& target, const std::string& detail, Timestamp now) {
  auto st = db_.prepare(
      "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now)).bind(2, actor).bind(3, action).bind(4, target).bind(5, detail);
  return st->run();
}

Result<int64_t> FindingStore::addSuppression(Suppression s, const std::string& actor,
                                             Timestamp now) {
  if (trim(s.rule_id).empty()) return Status::invalidArgument("a suppression needs --rule");
  if (trim(s.reason).empty())
    return Status::invalidArgument("a suppression needs --reason: why is it acceptable?");
  if (trim(s.owner).empty())
    return Status::invalidArgument("a suppression needs --owner: who answers for it?");
  if (s.expires_at <= now) return Status::invalidArgument("--expires must be in the future");
  if (s.tenant_id && s.tenant_tag)
    return Status::invalidArgument("a suppression names a tenant or a tag, not both");
  if (s.expires_at - now > options_.max_suppression)
    return Status::invalidArgument(
        "--expires is more than " + formatDuration(options_.max_suppression) +
        " away (storage.max_suppression); suppressions must be reviewed");
  Transaction tx(db_);
  if (!tx.status()) return tx.status();
  auto st = db_.prepare(
      "INSERT INTO suppressions (rule_id, tenant_id, subject, reason, owner, ticket, created_at, "
      "expires_at, tenant_tag) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id");
  if (!st) return st.status();
  st->bind(1, s.rule_id)
      .bind(2, s.tenant_id)
      .bind(3, s.subject)
      .bind(4, s.reason)
      .bind(5, s.owner)
      .bind(6, s.ticket)
      .bind(7, toUnixSeconds(now))
      .bind(8, toUnixSeconds(s.expires_at))
      .bind(9, s.tenant_tag);
  if (!st->step()) return st->status().isOk() ? Status::corruption("no id") : st->status();
  const int64_t id = st->getInt(0);
  if (Status r = st->run(); !r) return r;
  auto ev = db_.prepare(
      std::string("INSERT INTO finding_events (finding_id, at, kind, detail) SELECT id, ?5, "
                  "'suppressed', ?6 FROM (") +
      kCovered + ") AS covered");
  if (!ev) return ev.status();
  ev->bind(1, s.rule_id)
      .bind(2, s.tenant_id)
      .bind(3, s.subject)
      .bind(4, s.tenant_tag)
      .bind(5, toUnixSeconds(now))
      .bind(6, "suppression #" + std::to_string(id) + " by " + actor);
  if (Status r = ev->run(); !r) return r;
  const std::string target = targetText(s.rule_id, s.tenant_id, s.tenant_tag, s.subject);
  if (Status r =
          audit(actor, "suppress.add", target,
                "#" + std::to_string(id) + " until " + formatTimestamp(s.expires_at) + ", owner " +
                    s.owner + ", reason: " + s.reason + (s.ticket ? ", ticket " + *s.ticket : ""),
                now);
      !r)
    return r;
  if (Status r = tx.commit(); !r) return r;
  return id;
}

Result<std::vector<Suppression>> FindingStore::listSuppressions(bool include_inactive,
                                                                Timestamp now) {
  auto st = db_.prepare(std::string(kSuppressionColumns) +
                        "WHERE ?1 = 1 OR (s.removed_at IS NULL AND s.expires_at > ?2) "
                        "ORDER BY s.expires_at, s.id");
  if (!st) return st.status();
  st->bind(1, int64_t{include_inactive ? 1 : 0}).bind(2, toUnixSeconds(now));
  std::vector<Suppression> out;
  while (st->step()) out.push_back(readSuppression(*st));
  if (!st->status()) return st->status();
  return out;
}

Result<std::vector<Suppression>> FindingStore::suppressionsOf(int64_t finding_id, Timestamp now) {
  auto st = db_.prepare(std::string(kSuppressionColumns) + "JOIN findings f ON " +
                        suppressionCovers("s", "f") +
                        " WHERE f.id = ?2 AND f.state = 'open' AND s.removed_at IS NULL "
                        "AND s.expires_at > ?1 ORDER BY s.id");
  if (!st) return st.status();
  st->bind(1, toUnixSeconds(now)).bind(2, finding_id);
  std::vector<Suppression> out;
  while (st->step()) out.push_back(readSuppression(*st));
  if (!st->status()) return st->status();
  return out;
}

Result<SuppressionCoverage> FindingStore::coverageOf(const Suppression& s, Timestamp now) {
  SuppressionCoverage out;
  auto st = db_.prepare(kFindingSelect + "WHERE " + coveredWhere(2));
  if (!st) return st.status();
  // ?1 is now (kFindingColumns: whether another suppression covers it already).
  st->bind(1, toUnixSeconds(now))
      .bind(2, s.rule_id)
      .bind(3, s.tenant_id)
      .bind(4, s.subject)
      .bind(5, s.tenant_tag);
  while (st->step()) {
    auto row = readFinding(*st);
    if (!row) return row.status();
    out.findings.push_back(std::move(*row));
  }
  if (!st->status()) return st->status();
  sortFindings(out.findings);
  if (s.subject) return out;  // a subject names a finding; could-not-check items have none
  auto streaks = unknownStreaks(now);
  if (!streaks) return streaks.status();
  auto tags = tenantTags();
  if (!tags) return tags.status();
  for (auto& u : *streaks) {
    if (u.rule_id != s.rule_id || (s.tenant_id && u.tenant_id != *s.tenant_id)) continue;
    if (s.tenant_tag) {
      auto t = tags->find(u.tenant_id);
      if (t == tags->end() ||
          std::find(t->second.begin(), t->second.end(), *s.tenant_tag) == t->second.end())
        continue;
    }
    out.could_not_check.push_back(std::move(u));
  }
  return out;
}

Result<std::vector<KnownTenant>> FindingStore::knownTenants() {
  auto st = db_.prepare(
      "SELECT id, name, domain, tags FROM tenants WHERE gone_scan IS NULL ORDER BY name, id");
  if (!st) return st.status();
  std::vector<KnownTenant> out;
  while (st->step()) {
    KnownTenant t{st->getText(0), st->getText(1), st->getText(2), {}};
    if (!st->isNull(3) && !st->getText(3).empty()) t.tags = split(st->getText(3), '\n');
    out.push_back(std::move(t));
  }
  if (!st->status()) return st->status();
  return out;
}

Status FindingStore::removeSuppression(int64_t id, const std::string& actor, Timestamp now) {
  Transaction tx(db_);
  if (!tx.status()) return tx.status();
  auto get = db_.prepare(
      "SELECT rule_id, tenant_id, subject, removed_at, expires_at, tenant_tag FROM suppressions "
      "WHERE id = ?1");
  if (!get) return get.status();
  get->bind(1, id);
  if (!get->step()) return Status::notFound("no suppression #" + std::to_string(id));
  if (!get->isNull(3))
    return Status::invalidArgument("suppression #" + std::to_string(id) + " was already removed");
  const std::string rule = get->getText(0);
  const auto tenant = get->getOptText(1), subject = get->getOptText(2), tag = get->getOptText(5);
  const bool active = get->getInt(4) > toUnixSeconds(now);
  auto st = db_.prepare("UPDATE suppressions SET removed_at = ?2, removed_by = ?3 WHERE id = ?1");
  if (!st) return st.status();
  st->bind(1, id).bind(2, toUnixSeconds(now)).bind(3, actor);
  if (Status s = st->run(); !s) return s;
  if (active) {
    auto ev = db_.prepare(
        std::string("INSERT INTO finding_events (finding_id, at, kind, detail) SELECT id, ?5, "
                    "'unsuppressed', ?6 FROM (") +
        kCovered + ") AS covered");
    if (!ev) return ev.status();
    ev->bind(1, rule)
        .bind(2, tenant)
        .bind(3, subject)
        .bind(4, tag)
        .bind(5, toUnixSeconds(now))
        .bind(6, "suppression #" + std::to_string(id) + " removed by " + actor);
    if (Status s = ev->run(); !s) return s;
  }
  if (Status s = audit(actor, "suppress.remove", "#" + std::to_string(id), rule, now); !s) return s;
  return tx.commit();
}

Result<std::vector<AuditRow>> FindingStore::listAudit(int limit) {
  auto st = db_.prepare(
      "SELECT id, at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?1");
  if (!st) return st.status();
  st->bind(1, int64_t{limit});
  std::vector<AuditRow> out;
  while (st->step())
    out.push_back({st->getInt(0), fromUnixSeconds(st->getInt(1)), st->getText(2), st->getText(3),
                   st->getText(4), st->getText(5)});
  if (!st->status()) return st->status();
  return out;
}

}  // namespace cspwatch::storage
