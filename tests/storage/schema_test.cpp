// SPDX-License-Identifier: Apache-2.0
// Migrations from every earlier schema version, and refusal of a newer one.
#include "storage/schema.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "storage/finding_store.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;

TEST_CASE("schema: every earlier version migrates to the latest with its data intact") {
  for (int from = 0; from < latestSchemaVersion(); ++from) {
    DYNAMIC_SECTION("from version " << from) {
      TempDir dir;
      const std::string path = dir.file("c.db");
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
      auto fk = store->db().prepare("PRAGMA foreign_key_check");
      REQUIRE(fk);
      CHECK_FALSE(fk->step());  // no rows: no broken references
      CHECK(fk->status());
    }
  }
}

TEST_CASE("schema: version 8 keeps version 7's suppressions and tenants, adding tags and domains") {
  TempDir dir;
  const std::string path = dir.file("c.db");
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
  const std::string path = dir.file("c.db");
  {
    auto db = Database::open(path);
    REQUIRE(db);
    REQUIRE(migrate(*db));
    REQUIRE(db->exec("PRAGMA user_version = 99; PRAGMA wal_checkpoint(TRUNCATE);"));
  }
  const std::string before = testing::readFile(path);
  auto store = FindingStore::open(path);
  REQUIRE_FALSE(store);
  CHECK_THAT(store.status().message(),
             Catch::Contains("schema version 99, newer than this cspwatch knows"));
  CHECK_THAT(store.status().message(), Catch::Contains("was not modified"));
  CHECK(testing::readFile(path) == before);
}

TEST_CASE("schema: finding events and the audit trail are append-only") {
  TempDir dir;
  auto store = FindingStore::open(dir.file("c.db"));
  REQUIRE(store);
  REQUIRE(
      store->db().exec("INSERT INTO audit (at, actor, action, target) VALUES (1, 'a', 'b', 'c')"));
  Status s = store->db().exec("UPDATE audit SET actor = 'someone else'");
  CHECK_THAT(s.message(), Catch::Contains("append-only"));
  CHECK_THAT(store->db().exec("DELETE FROM audit").message(), Catch::Contains("append-only"));
}

TEST_CASE("schema: the database is created private (0600), WAL with synchronous FULL") {
  TempDir dir;
  ::umask(022);
  auto store = FindingStore::open(dir.file("c.db"));
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
