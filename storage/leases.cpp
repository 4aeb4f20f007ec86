// SPDX-License-Identifier: Apache-2.0
#include "storage/leases.h"

namespace cspwatch::storage {

namespace {

constexpr const char* kLeaseColumns =
    "SELECT name, holder, token, version, renewed_at, machine, pid FROM leases ";

LeaseRow readRow(const Statement& st) {
  LeaseRow r;
  r.name = st.getText(0);
  r.holder = st.getText(1);
  r.token = st.getInt(2);
  r.version = st.getInt(3);
  r.renewed_at = fromUnixSeconds(st.getInt(4));
  r.machine = st.getText(5);
  r.pid = st.getInt(6);
  return r;
}

}  // namespace

Result<std::optional<LeaseRow>> Leases::read(const std::string& name) {
  auto st = db_.prepare(std::string(kLeaseColumns) + "WHERE name = ?1");
  if (!st) return st.status();
  st->bind(1, name);
  std::optional<LeaseRow> row;
  if (st->step()) row = readRow(*st);
  if (!st->status()) return st->status();
  return row;
}

Result<std::optional<LeaseRow>> Leases::take(const std::string& name, const LeaseHolder& holder,
                                             const std::optional<LeaseRow>& seen, Timestamp now) {
  Transaction tx(db_);  // the writer lock: a scan's apply and a takeover never interleave
  if (!tx.status()) return tx.status();
  auto st = seen ? db_.prepare(
                       "UPDATE leases SET holder = ?2, token = token + 1, version = version + 1, "
                       "renewed_at = ?3, machine = ?5, pid = ?6 WHERE name = ?1 AND version = ?4")
                 : db_.prepare(
                       "INSERT INTO leases (name, holder, token, version, renewed_at, machine, "
                       "pid) VALUES (?1, ?2, 1, 1, ?3, ?5, ?6) ON CONFLICT DO NOTHING");
  if (!st) return st.status();
  st->bind(1, name).bind(2, holder.name).bind(3, toUnixSeconds(now));
  st->bind(5, holder.machine).bind(6, holder.pid);
  st->bind(4, seen ? seen->version : int64_t{0});
  if (Status s = st->run(); !s) return s;
  if (db_.changes() != 1) return std::optional<LeaseRow>();
  auto row = read(name);
  if (!row) return row.status();
  if (Status s = tx.commit(); !s) return s;
  return row;
}

Result<bool> Leases::renew(const Fence& f, Timestamp now) {
  auto st = db_.prepare(
      "UPDATE leases SET version = version + 1, renewed_at = ?4 "
      "WHERE name = ?1 AND holder = ?2 AND token = ?3");
  if (!st) return st.status();
  st->bind(1, f.name).bind(2, f.holder).bind(3, f.token).bind(4, toUnixSeconds(now));
  if (Status s = st->run(); !s) return s;
  return db_.changes() == 1;
}

Status Leases::release(const Fence& f, Timestamp now) {
  auto st = db_.prepare(
      "UPDATE leases SET holder = '', version = version + 1, renewed_at = ?4 "
      "WHERE name = ?1 AND holder = ?2 AND token = ?3");
  if (!st) return st.status();
  st->bind(1, f.name).bind(2, f.holder).bind(3, f.token).bind(4, toUnixSeconds(now));
  return st->run();
}

Result<std::vector<LeaseRow>> Leases::list(const std::string& prefix) {
  // substr, not LIKE: a '_' or '%' in a name is no pattern, and both backends spell it so.
  auto st = db_.prepare(std::string(kLeaseColumns) +
                        "WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name");
  if (!st) return st.status();
  st->bind(1, prefix);
  std::vector<LeaseRow> rows;
  while (st->step()) rows.push_back(readRow(*st));
  if (!st->status()) return st->status();
  return rows;
}

Result<bool> Leases::remove(const std::string& name, int64_t version) {
  auto st = db_.prepare("DELETE FROM leases WHERE name = ?1 AND version = ?2");
  if (!st) return st.status();
  st->bind(1, name).bind(2, version);
  if (Status s = st->run(); !s) return s;
  return db_.changes() == 1;
}

Status Leases::check(const Fence& f) {
  auto row = read(f.name);
  if (!row) return row.status();
  if (*row && (*row)->holder == f.holder && (*row)->token == f.token) return Status::ok();
  const std::string now_held =
      !*row || (*row)->holder.empty()
          ? "nobody holds it now"
          : (*row)->holder + " holds it now (token " + std::to_string((*row)->token) + ")";
  return Status::aborted("this instance (" + f.holder + ") no longer holds the lease of '" +
                         f.name + "' with token " + std::to_string(f.token) + ": " + now_held +
                         "; what it was writing was not applied");
}

}  // namespace cspwatch::storage
