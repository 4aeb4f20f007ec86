// SPDX-License-Identifier: Apache-2.0
// The service's pure parts: the schedule with jitter, the http and logging settings, and where
// secrets come from under systemd.
#include "daemon/service.h"

#include <cstdlib>

#include <catch2/catch.hpp>

#include "config/app_config.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using namespace cspwatch::config;
using Catch::Contains;

namespace {

const std::string kBase =
    "partner:\n"
    "  name: Northwind IT Services\n"
    "  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"
    "  email_domains: [northwind-it.com.au]\n"
    "sources:\n"
    "  inventory:\n"
    "    path: inventory.json\n";

}  // namespace

TEST_CASE("service: the next scan is an interval later plus at most a tenth (10 min at most)",
          "[service]") {
  std::mt19937_64 rng(7);
  const Timestamp start = *parseTimestamp("2026-11-25T00:00:00Z");
  bool saw_jitter = false;
  for (int i = 0; i < 200; ++i) {
    const Timestamp hourly = nextScanTime(start, std::chrono::hours(1), 0.1, rng);
    CHECK(hourly >= start + std::chrono::hours(1));
    CHECK(hourly <= start + std::chrono::minutes(66));
    saw_jitter = saw_jitter || hourly != start + std::chrono::hours(1);
    const Timestamp daily = nextScanTime(start, std::chrono::hours(24), 0.1, rng);
    CHECK(daily <= start + std::chrono::hours(24) + std::chrono::minutes(10));
  }
  CHECK(saw_jitter);  // installations do not all call Partner Center at the same second
  CHECK(nextScanTime(start, std::chrono::hours(1), 0, rng) == start + std::chrono::hours(1));
}

TEST_CASE("service: http and logging settings", "[service]") {
  Diagnostics d;
  auto cfg = parseConfig(kBase + "http:\n  listen: 127.0.0.1:9900\nlogging:\n  format: json\n",
                         "c.yaml", "/etc/cspwatch", d);
  INFO(d.renderText());
  REQUIRE(cfg);
  CHECK(cfg->http.listen == "127.0.0.1:9900");
  CHECK(cfg->log_format == "json");

  Diagnostics open;
  CHECK_FALSE(parseConfig(kBase + "http:\n  listen: 0.0.0.0:9807\n", "c.yaml", "/etc", open));
  CHECK_THAT(open.renderText(), Contains("'token_file' is required"));
  Diagnostics with_token;
  CHECK(parseConfig(kBase + "http:\n  listen: 0.0.0.0:9807\n  token_file: token\n", "c.yaml",
                    "/etc", with_token));
  Diagnostics bad;
  CHECK_FALSE(parseConfig(kBase + "http:\n  listen: 9807\nlogging:\n  format: xml\n", "c.yaml",
                          "/etc", bad));
  CHECK(bad.errorCount() == 2);
  Diagnostics inline_token;
  CHECK_FALSE(parseConfig(kBase + "http:\n  token: abcdefgh\n", "c.yaml", "/etc", inline_token));
  CHECK_THAT(inline_token.renderText(), Contains("config.inline-secret"));
}

TEST_CASE("service: under systemd a secret file is read from the unit's credentials", "[service]") {
  testing::TempDir creds;
  creds.write("client_secret", "from-credentials\n");
  CHECK(secretPath("/etc/cspwatch/credentials/client_secret") ==
        "/etc/cspwatch/credentials/client_secret");  // no $CREDENTIALS_DIRECTORY
  ::setenv("CREDENTIALS_DIRECTORY", creds.path().c_str(), 1);
  CHECK(secretPath("/etc/cspwatch/credentials/client_secret") == creds.file("client_secret"));
  CHECK(secretPath("/etc/cspwatch/smtp_password") == "/etc/cspwatch/smtp_password");  // none
  // A directory loaded with LoadCredential=cspwatch:/etc/cspwatch/credentials.
  creds.write("cspwatch_http_token", "t0ken-from-dir\n");
  CHECK(secretPath("/etc/cspwatch/credentials/http_token") == creds.file("cspwatch_http_token"));
  creds.write("cspwatch_pc_key.pem", "k\n");
  CHECK(secretPath("/etc/cspwatch/credentials/pc/key.pem") == creds.file("cspwatch_pc_key.pem"));
  Diagnostics d;
  auto cfg = parseConfig(
      "partner:\n  name: N\n  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"
      "  email_domains: [n.example]\nsources:\n  partner_center:\n"
      "    client_id: 11111111-2222-3333-4444-555555555555\n"
      "    client_secret_file: /etc/cspwatch/credentials/client_secret\n",
      "c.yaml", "/etc/cspwatch", d);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  INFO(d.renderText());
  REQUIRE(cfg);
  CHECK(cfg->partner_center->client_secret_file == creds.file("client_secret"));
}
