// SPDX-License-Identifier: Apache-2.0
// Checks the fault tests share, on either backend (tests/support/test_store.h): the backend's
// verdict on a store, every row of every table (to prove that a failed scan changed nothing),
// the open findings, and the Message-ID a received message carries (what tells a repeat from a
// second message). Each opens its own read-only connection; a failure fails the calling test.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "storage/database.h"
#include "storage/finding_store.h"

namespace cspwatch::testing {

inline storage::Database openReadOnly(const storage::StoreLocation& where) {
  auto db = storage::Database::open(where, true);
  INFO((db ? "" : db.status().message()));
  REQUIRE(db);
  return std::move(*db);
}

// Text rows of `sql` (one column), in the order the query gives.
inline std::vector<std::string> textColumn(storage::Database& db, const std::string& sql,
                                           const std::vector<std::string>& params = {}) {
  auto st = db.prepare(sql);
  INFO(sql << ": " << (st ? "" : st.status().message()));
  REQUIRE(st);
  for (size_t i = 0; i < params.size(); ++i) st->bind(static_cast<int>(i + 1), params[i]);
  std::vector<std::string> out;
  while (st->step()) out.push_back(st->getText(0));
  INFO(st->status().message());
  REQUIRE(st->status());
  return out;
}

// The store's tables, sorted: SQLite's own (sqlite_master, its internal ones aside), or on
// PostgreSQL those of the schema in use (information_schema).
inline std::vector<std::string> storeTables(storage::Database& db) {
  std::vector<std::string> tables =
      db.dialect() == storage::Dialect::kSqlite
          ? textColumn(db,
                       "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                       "'sqlite_%'")
          : textColumn(db,
                       "SELECT table_name FROM information_schema.tables WHERE table_schema = ?1 "
                       "AND table_type = 'BASE TABLE'",
                       {db.schema()});
  std::sort(tables.begin(), tables.end());
  return tables;
}

// The backend's verdict on the store, over a read-only connection: "ok" when sound. SQLite:
// PRAGMA integrity_check of the file. PostgreSQL has no such check (its files are the server's,
// which a client's kill -9 cannot tear): every table of the schema is read whole, and a table
// missing or unreadable is what is wrong (then its name and the error).
inline std::string integrityCheck(const storage::StoreLocation& where) {
  storage::Database db = openReadOnly(where);
  if (db.dialect() == storage::Dialect::kSqlite) return textColumn(db, "PRAGMA integrity_check")[0];
  const std::vector<std::string> tables = storeTables(db);
  if (tables.size() < 10) return "only " + std::to_string(tables.size()) + " tables";
  for (const auto& table : tables) {
    auto st = db.prepare("SELECT count(*) FROM \"" + table + "\"");
    if (!st) return table + ": " + st.status().message();
    while (st->step()) {
    }
    if (!st->status()) return table + ": " + st->status().message();
  }
  return "ok";
}

// Every row of every table, by table, each row its columns as quoted text (NULL unquoted) and
// the rows sorted; of `scans` only the rows up to `last_scan` (a failed scan adds its own row).
using Snapshot = std::map<std::string, std::vector<std::string>>;
inline Snapshot snapshot(const storage::StoreLocation& where, int64_t last_scan) {
  storage::Database db = openReadOnly(where);
  const bool sqlite = db.dialect() == storage::Dialect::kSqlite;
  Snapshot out;
  for (const auto& table : storeTables(db)) {
    const std::vector<std::string> columns =
        sqlite ? textColumn(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", {table})
               : textColumn(db,
                            "SELECT column_name FROM information_schema.columns WHERE "
                            "table_schema = ?1 AND table_name = ?2 ORDER BY ordinal_position",
                            {db.schema(), table});
    REQUIRE_FALSE(columns.empty());
    std::string row;
    for (const auto& c : columns)
      row += std::string(row.empty() ? "" : " || '|' || ") + "COALESCE('''' || CAST(\"" + c +
             "\" AS TEXT) || '''', 'NULL')";
    std::string sql = "SELECT " + row + " FROM \"" + table + "\"";
    if (table == "scans") sql += " WHERE id <= " + std::to_string(last_scan);
    auto& rows = out[table] = textColumn(db, sql);
    std::sort(rows.begin(), rows.end());
  }
  REQUIRE(out.size() >= 10);
  return out;
}

inline void requireUnchanged(const Snapshot& before, const Snapshot& now) {
  REQUIRE(before.size() == now.size());
  for (const auto& [table, rows] : before) {
    INFO("table " << table);
    auto it = now.find(table);
    REQUIRE(it != now.end());
    CHECK(it->second.size() == rows.size());
    CHECK(it->second == rows);
  }
}

// The open findings as "rule tenant subject"; none may be there twice.
inline std::set<std::string> openFindings(const storage::StoreLocation& where) {
  auto store = storage::FindingStore::open(where);
  INFO((store ? "" : store.status().message()));
  REQUIRE(store);
  auto open = store->listFindings({storage::StateFilter::kOpen, "", "", ""}, SystemClock().now());
  REQUIRE(open);
  std::set<std::string> out;
  for (const auto& f : *open) out.insert(f.rule_id + " " + f.tenant_id + " " + f.subject);
  CHECK(out.size() == open->size());  // none twice
  return out;
}

// The Message-ID header of a message as received ("" without one).
inline std::string messageIdOf(const std::string& data) {
  const size_t at = data.find("\r\nMessage-ID: ");
  if (at == std::string::npos) return "";
  const size_t end = data.find("\r\n", at + 2);
  return data.substr(at + 14, end - at - 14);
}

}  // namespace cspwatch::testing
