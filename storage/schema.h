// SPDX-License-Identifier: Apache-2.0
// The database schema and its forward-only migrations, versioned with PRAGMA user_version
// (SQLite) or the schema_version table (PostgreSQL).
// Migration N takes a database at version N-1 to version N inside one transaction. A database
// whose version is newer than this build knows is refused and left untouched.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "storage/database.h"

namespace cspwatch::storage {

// The SQL of each migration; index i takes version i to version i+1. SQLite's (migrations()) and
// PostgreSQL's (storage/schema_postgres.cpp) make the same tables.
const std::vector<std::string>& migrations();
const std::vector<std::string>& postgresMigrations();
const std::vector<std::string>& migrations(Dialect dialect);
inline int latestSchemaVersion() { return static_cast<int>(migrations().size()); }

Result<int> schemaVersion(Database& db);
// Applies migrations up to `target` (default: latest). Refuses a newer database.
Status migrate(Database& db, int target = -1);

}  // namespace cspwatch::storage
