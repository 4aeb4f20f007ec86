// SPDX-License-Identifier: Apache-2.0
// Other tenants' names (finding_store.h): the tenant_directory table.
#include "storage/finding_store.h"

namespace cspwatch::storage {

Result<std::vector<DirectoryEntry>> FindingStore::directory() {
  auto st = db_.prepare(
      "SELECT tenant_id, display_name, default_domain, looked_up_at FROM tenant_directory");
  if (!st) return st.status();
  std::vector<DirectoryEntry> out;
  while (st->step())
    out.push_back({st->getText(0), st->getText(1), st->getText(2), fromUnixSeconds(st->getInt(3))});
  if (!st->status()) return st->status();
  return out;
}

Status FindingStore::saveDirectory(const std::vector<DirectoryEntry>& entries) {
  if (entries.empty()) return Status::ok();
  Transaction tx(db_);
  if (!tx.status()) return tx.status();
  auto st = db_.prepare(
      "INSERT INTO tenant_directory VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id) DO UPDATE "
      "SET display_name = excluded.display_name, default_domain = excluded.default_domain, "
      "looked_up_at = excluded.looked_up_at");
  if (!st) return st.status();
  for (const auto& e : entries) {
    st->reset();
    st->bind(1, e.tenant_id)
        .bind(2, e.display_name)
        .bind(3, e.default_domain)
        .bind(4, toUnixSeconds(e.looked_up_at));
    if (Status s = st->run(); !s) return s;
  }
  return tx.commit();
}

}  // namespace cspwatch::storage
