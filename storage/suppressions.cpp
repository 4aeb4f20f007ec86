// SPDX-License-Identifier: Apache-2.0
// Suppressions and the audit trail.
#include "common/text.h"
#include "storage/finding_store.h"

namespace cspwatch::storage {

namespace {

// Findings a suppression covers, for 'suppressed'/'unsuppressed' events.
constexpr const char* kCovered =
    "SELECT f.id FROM findings f WHERE f.state = 'open' AND f.rule_id = ?1 "
    "AND (?2 IS NULL OR f.tenant_id = ?2) AND (?3 IS NULL OR f.subject = ?3)";

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
  if (s.expires_at - now > options_.max_suppression)
    return Status::invalidArgument(
        "--expires is more than " + formatDuration(options_.max_suppression) +
        " away (storage.max_suppression); suppressions must be reviewed");
  Transaction tx(db_);
  if (!tx.status()) return tx.status();
  auto st = db_.prepare(
      "INSERT INTO suppressions (rule_id, tenant_id, subject, reason, owner, ticket, created_at, "
      "expires_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!st) return st.status();
  st->bind(1, s.rule_id)
      .bind(2, s.tenant_id)
      .bind(3, s.subject)
      .bind(4, s.reason)
      .bind(5, s.owner)
      .bind(6, s.ticket)
      .bind(7, toUnixSeconds(now))
      .bind(8, toUnixSeconds(s.expires_at));
  if (Status r = st->run(); !r) return r;
  const int64_t id = db_.lastInsertId();
  auto ev = db_.prepare(
      std::string("INSERT INTO finding_events (finding_id, at, kind, detail) SELECT id, ?4, "
                  "'suppressed', ?5 FROM (") +
      kCovered + ")");
  if (!ev) return ev.status();
  ev->bind(1, s.rule_id)
      .bind(2, s.tenant_id)
      .bind(3, s.subject)
      .bind(4, toUnixSeconds(now))
      .bind(5, "suppression #" + std::to_string(id) + " by " + actor);
  if (Status r = ev->run(); !r) return r;
  std::string target = s.rule_id + (s.tenant_id ? " tenant " + *s.tenant_id : "") +
                       (s.subject ? " subject " + *s.subject : "");
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
  auto st = db_.prepare(
      "SELECT id, rule_id, tenant_id, subject, reason, owner, ticket, created_at, expires_at, "
      "removed_at, removed_by "
      "FROM suppressions WHERE ?1 OR (removed_at IS NULL AND expires_at > ?2) ORDER BY expires_at, "
      "id");
  if (!st) return st.status();
  st->bind(1, int64_t{include_inactive ? 1 : 0}).bind(2, toUnixSeconds(now));
  std::vector<Suppression> out;
  while (st->step()) {
    Suppression s;
    s.id = st->getInt(0);
    s.rule_id = st->getText(1);
    s.tenant_id = st->getOptText(2);
    s.subject = st->getOptText(3);
    s.reason = st->getText(4);
    s.owner = st->getText(5);
    s.ticket = st->getOptText(6);
    s.created_at = fromUnixSeconds(st->getInt(7));
    s.expires_at = fromUnixSeconds(st->getInt(8));
    if (auto r = st->getOptInt(9)) s.removed_at = fromUnixSeconds(*r);
    s.removed_by = st->getOptText(10);
    out.push_back(std::move(s));
  }
  if (!st->status()) return st->status();
  return out;
}

Status FindingStore::removeSuppression(int64_t id, const std::string& actor, Timestamp now) {
  Transaction tx(db_);
  if (!tx.status()) return tx.status();
  auto get = db_.prepare(
      "SELECT rule_id, tenant_id, subject, removed_at, expires_at FROM suppressions WHERE id = ?1");
  if (!get) return get.status();
  get->bind(1, id);
  if (!get->step()) return Status::notFound("no suppression #" + std::to_string(id));
  if (!get->isNull(3))
    return Status::invalidArgument("suppression #" + std::to_string(id) + " was already removed");
  const std::string rule = get->getText(0);
  const auto tenant = get->getOptText(1), subject = get->getOptText(2);
  const bool active = get->getInt(4) > toUnixSeconds(now);
  auto st = db_.prepare("UPDATE suppressions SET removed_at = ?2, removed_by = ?3 WHERE id = ?1");
  if (!st) return st.status();
  st->bind(1, id).bind(2, toUnixSeconds(now)).bind(3, actor);
  if (Status s = st->run(); !s) return s;
  if (active) {
    auto ev = db_.prepare(
        std::string("INSERT INTO finding_events (finding_id, at, kind, detail) SELECT id, ?4, "
                    "'unsuppressed', ?5 FROM (") +
        kCovered + ")");
    if (!ev) return ev.status();
    ev->bind(1, rule)
        .bind(2, tenant)
        .bind(3, subject)
        .bind(4, toUnixSeconds(now))
        .bind(5, "suppression #" + std::to_string(id) + " removed by " + actor);
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
