// SPDX-License-Identifier: Apache-2.0
// The store a test uses. Test binaries registered with POSTGRES in their CMakeLists.txt run twice
// under ctest: as they are (SQLite files), and with `--store postgres` (label `postgres`), where
// every store is a new, empty schema on the PostgreSQL server that the ctest fixture `postgres`
// started (tests/support/postgres_server.sh). A test asks for its store here and runs the same
// checks on both (docs/development.md#tests-on-postgresql).
#pragma once

#include <string>

#include "storage/database.h"
#include "tests/support/temp_dir.h"

namespace cspwatch::testing {

// Which backend this run uses; set once by main() from `--store sqlite|postgres`.
bool onPostgres();
void useStore(const std::string& kind);

// A store for one test: `dir`/`name` (SQLite), or a new schema on the test server (its URL, a
// fresh schema name and the test role's password).
storage::StoreLocation testStore(const TempDir& dir, const std::string& name = "cspwatch.db");

// The configuration's `storage:` keys for `where`, each on its own line indented by `indent`
// spaces (path; or url, schema and password_file, the test server's password file).
std::string storageYaml(const storage::StoreLocation& where, int indent = 2);

// The test server's URL and its password file (postgres runs only).
std::string testServerUrl();
std::string testServerPasswordFile();

}  // namespace cspwatch::testing
