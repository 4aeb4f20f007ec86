// SPDX-License-Identifier: Apache-2.0
#include "tests/support/test_store.h"

#include <cstdint>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "common/text.h"

namespace cspwatch::testing {

namespace {

bool& postgresFlag() {
  static bool on = false;
  return on;
}

std::string stateFile(const std::string& name) {
  return std::string(CSPWATCH_PG_STATE_DIR) + "/" + name;
}

}  // namespace

bool onPostgres() { return postgresFlag(); }
void useStore(const std::string& kind) { postgresFlag() = kind == "postgres"; }

std::string testServerUrl() {
  const std::string file = stateFile("url");
  INFO(
      "the test server is started by the ctest fixture 'postgres' "
      "(tests/support/postgres_server.sh start "
      << CSPWATCH_PG_STATE_DIR << ")");
  REQUIRE(::access(file.c_str(), R_OK) == 0);
  return std::string(trim(readFile(file)));
}

std::string testServerPasswordFile() { return stateFile("password"); }

storage::StoreLocation testStore(const TempDir& dir, const std::string& name) {
  if (!onPostgres()) return storage::StoreLocation(dir.file(name));
  // The same (dir, name) names the same schema, so that a test can open its store again; a
  // TempDir is unique, so each test has schemas of its own.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : dir.file(name)) h = (h ^ c) * 1099511628211ULL;
  storage::StoreLocation where;
  where.url = testServerUrl();
  where.schema = "t" + std::to_string(h % 100000000000000ULL);
  where.password = std::string(trim(readFile(testServerPasswordFile())));
  return where;
}

std::string storageYaml(const storage::StoreLocation& where, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (!where.postgres()) return pad + "path: " + where.path + "\n";
  return pad + "url: " + where.url + "\n" + pad + "schema: " + where.schema + "\n" + pad +
         "password_file: " + testServerPasswordFile() + "\n";
}

}  // namespace cspwatch::testing
