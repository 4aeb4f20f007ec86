// SPDX-License-Identifier: Apache-2.0
// Migrations from every earlier schema version, and refusal of a newer one.
#include "storage/schema.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "storage/finding_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;
using cspwatch::testing::testStore;

TEST_CASE("schema: every earlier version migrates to the latest with its data intact") {
  for (int from = 0; from < latestSchemaVersion(); ++from) {
    DYNAMIC_SECTION("from version " << from) {
      TempDir dir;
      const StoreLocation path = testStore(dir, "c.db");
      {
        auto db = Database::open(path);
        REQUIRE(db);
        REQUIRE(migrate(*db, from));
        if (from >= 1) {
          // Data as a version-1 database holds it.
          REQUIRE(
              db->exec("INSERT INTO scans (id, started_at, status) VALUES (1, 100, 'completed');"
                       "INSERT INTO tenants (id, name, first_seen_scan) VALUES ('t', 'T', 1);"
                       "INSERT INTO findings (rule_id, tenant_id, subject, state, severity, "
                       "message, remediation,"
                       " first_seen_scan, first_seen_at, opened_scan) VALUES ('r', 't', '', "
                       "'open', 'high', 'm', 'x', 1, 100, 1);"
                       "INSERT INTO finding_events (finding_id, scan_id, at, kind) VALUES (1, 1, "
                       "100, 'opened');"));
        }
      }
      auto store = FindingStore::open(path);
      REQUIRE(store);
      auto version = schemaVersion(store->db());
      REQUIRE(version);
      CHECK(*version == latestSchemaVersion());
      if (from >= 1) {
        auto rows = store->listFindings({StateFilter::kOpen, "", "", ""}, fromUnixSeconds(200));
        REQUIRE(rows);
        REQUIRE(rows->size() == 1);
        CHECK(rows->at(0).tenant_name == "T");
      }
      // The latest schema works: suppressions (version 2) included.
      Suppression s;
      s.rule_id = "r";
      s.reason = "x";
      s.owner = "y";
      s.expires_at = fromUnixSeconds(300);
      CHECK(store->addSuppression(s, "me", fromUnixSeconds(200)));
      if (!testing::onPostgres()) {  // PostgreSQL checks every reference as it is written
        auto fk = store->db().prepare("PRAGMA foreign_key_check");
        REQUIRE(fk);
        CHECK_FALSE(fk->step());  // no rows: no broken references
        CHECK(fk->status());
      }
    }
  }
}

TEST_CASE("schema: version 8 keeps version 7's suppressions and tenants, adding tags and domains") {
  TempDir dir;
  const StoreLocation path = testStore(dir, "c.db");
  {
    auto db = Database::open(path);
    REQUIRE(db);
    REQUIRE(migrate(*db, 7));
    REQUIRE(db->exec(
        "INSERT INTO scans (id, started_at, status) VALUES (1, 100, 'completed');"
        "INSERT INTO tenants (id, name, first_seen_scan, tags) VALUES ('t', 'T', 1, 'gold');"
        "INSERT INTO suppressions (rule_id, tenant_id, reason, owner, created_at, expires_at) "
        "VALUES ('r', 't', 'why', 'jo', 100, 1000);"));
  }
  auto store = FindingStore::open(path);
  REQUIRE(store);
  auto sups = store->listSuppressions(false, fromUnixSeconds(200));
  REQUIRE(sups);
  REQUIRE(sups->size() == 1);
  CHECK(sups->at(0).tenant_id == std::optional<std::string>("t"));
  CHECK_FALSE(sups->at(0).tenant_tag);
  auto known = store->knownTenants();
  REQUIRE(known);
  REQUIRE(known->size() == 1);
  CHECK(known->at(0).domain.empty());
  CHECK(known->at(0).tags == std::vector<std::string>{"gold"});
}

TEST_CASE("schema: a database from a newer cspwatch is refused and not modified") {
  TempDir dir;
  const StoreLocation path = testStore(dir, "c.db");
  {
    auto db = Database::open(path);
    REQUIRE(db);
    REQUIRE(migrate(*db));
    REQUIRE(db->exec(testing::onPostgres()
                         ? "UPDATE schema_version SET version = 99"
                         : "PRAGMA user_version = 99; PRAGMA wal_checkpoint(TRUNCATE);"));
  }
  const std::string before = testing::onPostgres() ? "" : testing::readFile(path.path);
  auto store = FindingStore::open(path);
  REQUIRE_FALSE(store);
  CHECK_THAT(store.status().message(),
             Catch::Contains("schema version 99, newer than this cspwatch knows"));
  CHECK_THAT(store.status().message(), Catch::Contains("was not modified"));
  if (!testing::onPostgres()) CHECK(testing::readFile(path.path) == before);
  auto db = Database::open(path, /*read_only=*/true);
  REQUIRE(db);
  CHECK(*schemaVersion(*db) == 99);
  auto readers = FindingStore::openReadOnly(path);
  REQUIRE_FALSE(readers);
  CHECK_THAT(readers.status().message(), Catch::Contains("newer than this cspwatch knows"));
}

TEST_CASE("schema: finding events and the audit trail are append-only") {
  TempDir dir;
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  REQUIRE(
      store->db().exec("INSERT INTO audit (at, actor, action, target) VALUES (1, 'a', 'b', 'c')"));
  Status s = store->db().exec("UPDATE audit SET actor = 'someone else'");
  CHECK_THAT(s.message(), Catch::Contains("append-only"));
  CHECK_THAT(store->db().exec("DELETE FROM audit").message(), Catch::Contains("append-only"));
}

TEST_CASE("schema: the database is created private (0600), WAL with synchronous FULL", "[sqlite]") {
  TempDir dir;
  ::umask(022);
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  struct stat st {};
  REQUIRE(::stat(dir.file("c.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(store->beginScan(fromUnixSeconds(1), "h"));  // a write creates the WAL file
  REQUIRE(::stat(dir.file("c.db-wal").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto mode = store->db().prepare("PRAGMA journal_mode");
  REQUIRE(mode);
  REQUIRE(mode->step());
  CHECK(mode->getText(0) == "wal");
  auto sync = store->db().prepare("PRAGMA synchronous");
  REQUIRE(sync);
  REQUIRE(sync->step());
  CHECK(sync->getInt(0) == 2);  // FULL
  auto fk = store->db().prepare("PRAGMA foreign_keys");
  REQUIRE(fk);
  REQUIRE(fk->step());
  CHECK(fk->getInt(0) == 1);
}

namespace {

// Every table's columns as "table.column type null|not-null", and the index names, sorted.
std::vector<std::string> describeSqlite(Database& db) {
  std::vector<std::string> out;
  auto tables = db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  REQUIRE(tables);
  std::vector<std::string> names;
  while (tables->step()) names.push_back(tables->getText(0));
  for (const auto& t : names) {
    auto cols =
        db.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info('" + t + "')");
    REQUIRE(cols);
    while (cols->step()) {
      std::string type = cols->getText(1) == "INTEGER" ? "int" : "text";
      // A primary key column is NOT NULL in PostgreSQL; SQLite's rowid alias is too.
      const bool not_null = cols->getInt(2) != 0 || cols->getInt(3) != 0;
      out.push_back(t + "." + cols->getText(0) + " " + type + (not_null ? " not-null" : ""));
    }
  }
  auto indexes = db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'");
  REQUIRE(indexes);
  while (indexes->step()) out.push_back("index " + indexes->getText(0));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> describePostgres(Database& db) {
  std::vector<std::string> out;
  auto cols = db.prepare(
      "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
      "WHERE table_schema = current_schema() AND table_name != 'schema_version'");
  REQUIRE(cols);
  while (cols->step()) {
    const std::string type = cols->getText(2) == "bigint" ? "int" : "text";
    out.push_back(cols->getText(0) + "." + cols->getText(1) + " " + type +
                  (cols->getText(3) == "NO" ? " not-null" : ""));
  }
  // Indexes made for a PRIMARY KEY or UNIQUE constraint are SQLite's sqlite_autoindex_*.
  auto indexes = db.prepare(
      "SELECT indexname FROM pg_indexes i WHERE schemaname = current_schema() AND NOT EXISTS "
      "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)");
  REQUIRE(indexes);
  while (indexes->step()) out.push_back("index " + indexes->getText(0));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("schema: PostgreSQL's migrations make the tables, columns and indexes SQLite's make",
          "[postgres]") {
  TempDir dir;
  auto sqlite = Database::open(StoreLocation(dir.file("c.db")));
  REQUIRE(sqlite);
  REQUIRE(migrate(*sqlite));
  auto pg = Database::open(testStore(dir, "pg"));
  REQUIRE(pg);
  REQUIRE(migrate(*pg));
  const auto expected = describeSqlite(*sqlite);
  CHECK(expected.size() > 100);
  CHECK(describePostgres(*pg) == expected);
  CHECK(postgresMigrations().size() == migrations().size());
}

TEST_CASE("schema: two openers migrating at once migrate once") {
  TempDir dir;
  const StoreLocation where = testStore(dir, "c.db");
  auto first = Database::open(where);
  auto second = Database::open(where);
  REQUIRE(first);
  REQUIRE(second);
  // The second reads version 0, then finds the first's migrations done under the lock.
  REQUIRE(migrate(*first));
  REQUIRE(migrate(*second));
  CHECK(*schemaVersion(*second) == latestSchemaVersion());
}

TEST_CASE("schema: four instances creating and migrating one new store at the same moment") {
  // Each round a new store; the four open and migrate it from threads released together, so
  // that three of them wait on the writer lock while one creates the schema and migrates.
  TempDir dir;
  for (int round = 0; round < 4; ++round) {
    const StoreLocation where = testStore(dir, "race" + std::to_string(round) + ".db");
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    std::vector<Status> results(4);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < results.size(); ++i)
      threads.emplace_back([&, i] {
        {
          std::unique_lock<std::mutex> lock(m);
          cv.wait(lock, [&] { return go; });
        }
        auto db = Database::open(where);
        results[i] = db ? migrate(*db) : db.status();
      });
    {
      std::lock_guard<std::mutex> lock(m);
      go = true;
    }
    cv.notify_all();
    for (auto& t : threads) t.join();
    for (const Status& s : results) CHECK(s.message() == "");
    auto db = Database::open(where);
    REQUIRE(db);
    CHECK(*schemaVersion(*db) == latestSchemaVersion());
  }
}
