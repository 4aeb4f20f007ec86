// SPDX-License-Identifier: Apache-2.0
// The 'storage' section's server keys (config/read_service.cpp): url, schema, password_file and
// lease_period, what they refuse, and the store location they make (config::storeLocation).
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/file_util.h"
#include "common/redact.h"
#include "config/app_config.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::config;
using cspwatch::testing::TempDir;

namespace {

const std::string kBase =
    "partner:\n"                                           // 1
    "  name: Northwind IT Services\n"                      // 2
    "  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"  // 3
    "  email_domains: [northwind-it.com.au]\n"             // 4
    "sources:\n"                                           // 5
    "  inventory:\n"                                       // 6
    "    path: inventory.json\n"                           // 7
    "storage:\n";                                          // 8

std::string problems(const std::string& storage) {
  Diagnostics d;
  auto cfg = parseConfig(kBase + storage, "c.yaml", "/etc/cspwatch", d);
  CHECK_FALSE(cfg);
  return d.renderText();
}

}  // namespace

TEST_CASE("storage: a PostgreSQL server with its schema, password file and lease period") {
  TempDir dir;
  const std::string password = dir.write("db-password", "s3cret-db\n");
  REQUIRE(::chmod(password.c_str(), 0600) == 0);
  Diagnostics d;
  auto cfg = parseConfig(kBase +
                             "  url: postgresql://cspwatch@db.example.net:5432/cspwatch?sslmode="
                             "verify-full\n  schema: northwind\n  password_file: " +
                             password + "\n  lease_period: 30s\n",
                         "c.yaml", "/etc/cspwatch", d);
  INFO(d.renderText());
  REQUIRE(cfg);
  CHECK(cfg->lease_period == Seconds(30));
  auto where = storeLocation(*cfg);
  REQUIRE(where);
  CHECK(where->postgres());
  CHECK(where->schema == "northwind");
  CHECK(where->password == "s3cret-db");
  const std::string shown = storeDescription(*cfg);
  CHECK(shown ==
        "postgresql://cspwatch@db.example.net:5432/cspwatch?sslmode=verify-full "
        "(schema northwind)");
}

TEST_CASE("storage: the defaults are SQLite's file, schema cspwatch and a 60 s lease") {
  Diagnostics d;
  auto cfg = parseConfig(kBase + "  tenant_gone_after_scans: 3\n", "c.yaml", "/etc/cspwatch", d);
  REQUIRE(cfg);
  CHECK(cfg->storage_url.empty());
  CHECK(cfg->storage_schema == "cspwatch");
  CHECK(cfg->lease_period == Seconds(60));
  auto where = storeLocation(*cfg);
  REQUIRE(where);
  CHECK_FALSE(where->postgres());
  CHECK(where->path == "/var/lib/cspwatch/cspwatch.db");
}

TEST_CASE("storage: a password in the URL, both url and path, bad names and periods are refused") {
  forgetSecretsForTesting();
  CHECK_THAT(problems("  url: postgresql://cspwatch:hunter2@db/cspwatch\n"),
             Catch::Contains("c.yaml:9:8: error: section 'storage': 'url' holds a password "
                             "[config.inline-secret]") &&
                 Catch::Contains("password_file"));
  // Refused, and masked wherever it could be quoted again (a reload's errors in the journal).
  CHECK(redactSecrets("url: postgresql://cspwatch:hunter2@db") ==
        "url: postgresql://cspwatch:[redacted]@db");
  forgetSecretsForTesting();
  CHECK_THAT(problems("  url: postgresql://db/cspwatch?password=hunter2\n"),
             Catch::Contains("[config.inline-secret]"));
  CHECK_THAT(problems("  path: /var/lib/x.db\n  url: postgresql://db/cspwatch\n"),
             Catch::Contains("'url' and 'path' are both set"));
  CHECK_THAT(problems("  url: mysql://db/cspwatch\n"),
             Catch::Contains("'url' must start with postgresql://"));
  CHECK_THAT(problems("  url: postgresql://db/x\n  schema: Drop-Table\n"),
             Catch::Contains("'schema' must be a plain SQL name"));
  CHECK_THAT(problems("  schema: northwind\n"),
             Catch::Contains("'schema' and 'password_file' need 'url'"));
  CHECK_THAT(problems("  lease_period: 1s\n"),
             Catch::Contains("'lease_period' must be between 2s and 1h, found '1s'"));
}

TEST_CASE("storage: an unreadable password file is an error naming the file, not its content") {
  Diagnostics d;
  auto cfg = parseConfig(
      kBase + "  url: postgresql://cspwatch@db/cspwatch\n  password_file: /nonexistent/pw\n",
      "c.yaml", "/etc/cspwatch", d);
  REQUIRE(cfg);
  auto where = storeLocation(*cfg);
  REQUIRE_FALSE(where);
  CHECK_THAT(where.status().message(), Catch::Contains("/nonexistent/pw"));
}

TEST_CASE("storage: a server's description never shows a password") {
  storage::StoreLocation where;
  where.url = "postgresql://cspwatch:hunter2@db:5432/cspwatch?sslmode=require&password=hunter3";
  where.schema = "northwind";
  where.password = "s3cret";
  CHECK(where.describe() ==
        "postgresql://cspwatch:***@db:5432/cspwatch?sslmode=require&password=*** (schema "
        "northwind)");
  CHECK(storage::passwordInUrl(where.url) == "hunter2");
  CHECK(storage::passwordInUrl("postgresql://db/x?password=p&a=b") == "p");
  CHECK(storage::passwordInUrl("postgresql://cspwatch@db/x").empty());
}
