// SPDX-License-Identifier: Apache-2.0
// The 'monitoring' section (config/read_monitoring.cpp): the heartbeat URL, inline or from a
// file, checked like the other outbound URLs, and its token (path, query) registered as a secret
// so that nothing printed shows it.
#include <algorithm>

#include <catch2/catch.hpp>
#include <sys/stat.h>

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
    "    path: inventory.json\n";                          // 7
const std::string kToken = "5f1c9a7e-2b4d-4e8f-9a3c-7d6e5f4a3b21";

}  // namespace

TEST_CASE("monitoring: no section, no heartbeat") {
  Diagnostics d;
  auto cfg = parseConfig(kBase, "c.yaml", "/etc/cspwatch", d);
  REQUIRE(cfg);
  CHECK(cfg->monitoring.heartbeat_url.empty());
  CHECK(cfg->monitoring.heartbeat_url_file.empty());
}

TEST_CASE("monitoring: a heartbeat URL inline, its token registered as a secret") {
  forgetSecretsForTesting();
  Diagnostics d;
  auto cfg = parseConfig(
      kBase + "monitoring:\n  heartbeat:\n    url: https://hc-ping.com/" + kToken + "\n", "c.yaml",
      "/etc/cspwatch", d);
  INFO(d.renderText());
  REQUIRE(cfg);
  CHECK(cfg->monitoring.heartbeat_url == "https://hc-ping.com/" + kToken);
  CHECK(cfg->monitoring.heartbeat_url_file.empty());
  CHECK(redactSecrets("GET /" + kToken + " failed") == "GET [redacted] failed");
  CHECK(redactSecrets("token " + kToken) == "token [redacted]");
  forgetSecretsForTesting();
}

TEST_CASE("monitoring: a heartbeat URL from a private file, loopback http allowed") {
  forgetSecretsForTesting();
  TempDir dir;
  const std::string url = "http://127.0.0.1:3001/api/push/Xq81mZk2Pw?status=up&msg=OK";
  ::chmod(dir.write("heartbeat.url", url + "\n").c_str(), 0600);
  Diagnostics d;
  auto cfg = parseConfig(kBase + "monitoring:\n  heartbeat:\n    url_file: heartbeat.url\n",
                         "c.yaml", dir.path(), d);
  INFO(d.renderText());
  REQUIRE(cfg);
  CHECK(cfg->monitoring.heartbeat_url == url);
  CHECK(cfg->monitoring.heartbeat_url_file == dir.file("heartbeat.url"));
  CHECK(redactSecrets("pushed to /api/push/Xq81mZk2Pw") == "pushed to [redacted]");
  forgetSecretsForTesting();
}

TEST_CASE("monitoring: the heartbeat's mistakes at their line:column, the token in no message") {
  forgetSecretsForTesting();
  TempDir dir;
  ::chmod(dir.write("heartbeat.url", "https://hc-ping.com/" + kToken + "\n").c_str(), 0666);
  struct Case {
    const char* name;
    std::string text;
    const char* code;
    int line, column;
  };
  const Case cases[] = {
      {"plain http to another host", "    url: http://hc.example.com/" + kToken + "\n",
       "config.bad-value", 10, 10},
      {"not a URL at all", "    url: hc-ping.com/" + kToken + "\n", "config.bad-value", 10, 10},
      {"both url and url_file",
       "    url: https://hc-ping.com/" + kToken + "\n    url_file: heartbeat.url\n",
       "config.bad-value", 11, 5},
      {"neither", "    timeout: 5s\n", "config.unknown-key", 10, 5},
      {"a URL file others can change", "    url_file: heartbeat.url\n", "config.bad-value", 10, 15},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Diagnostics d;
    CHECK_FALSE(parseConfig(kBase + "monitoring:\n  heartbeat:\n" + c.text, "c.yaml",  // 8, 9
                            dir.path(), d));
    INFO(d.renderText());
    REQUIRE(d.errorCount() >= 1);
    CHECK(d.items().front().code == c.code);
    CHECK(d.items().front().location.line == c.line);
    CHECK(d.items().front().location.column == c.column);
    // The message never quotes the URL (the rendering quotes the operator's own line).
    for (const Diagnostic& e : d.items()) CHECK(e.message.find(kToken) == std::string::npos);
    CHECK(redactSecrets(d.renderText()).find(kToken) == std::string::npos);  // as logged
  }
  Diagnostics typo;
  CHECK_FALSE(parseConfig(kBase + "monitoring:\n  hartbeat:\n    url: https://hc-ping.com/x\n",
                          "c.yaml", dir.path(), typo));
  CHECK(typo.renderText().find("did you mean 'heartbeat'") != std::string::npos);
  forgetSecretsForTesting();
}

TEST_CASE("monitoring: the secrets of a heartbeat URL are its path, query and user") {
  const auto secrets =
      heartbeatUrlSecrets("https://u:p4ssw0rd@kuma.example.com/api/push/AbC123?x=1");
  auto has = [&](const std::string& s) {
    return std::find(secrets.begin(), secrets.end(), s) != secrets.end();
  };
  CHECK(has("u:p4ssw0rd"));
  CHECK(has("/api/push/AbC123"));
  CHECK(has("api/push/AbC123"));
  CHECK(has("x=1"));
  CHECK(heartbeatUrlSecrets("https://hc.example.com/").empty());
}
