// SPDX-License-Identifier: Apache-2.0
// alerts.routes[].webhooks and .teams: read, checked at their file:line:column, secrets kept out.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/redact.h"
#include "config/app_config.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::config;
using cspwatch::testing::TempDir;

namespace {

const std::string kSig = "dGVhbXMtd29ya2Zsb3ctc2lnbmF0dXJlLXRlc3Q";

const std::string kValid =
    "partner:\n"                                             // 1
    "  name: Northwind IT Services\n"                        // 2
    "  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"    // 3
    "  email_domains: [northwind-it.com.au]\n"               // 4
    "sources:\n"                                             // 5
    "  inventory:\n"                                         // 6
    "    path: inventory.csv\n"                              // 7
    "alerts:\n"                                              // 8
    "  from: \"cspwatch <cspwatch@northwind-it.com.au>\"\n"  // 9
    "  routes:\n"                                            // 10
    "    - name: desk\n"                                     // 11
    "      default: true\n"                                  // 12
    "      webhooks:\n"                                      // 13
    "        - url: https://desk.example.com/cspwatch\n"     // 14
    "          secret_file: webhook.secret\n"                // 15
    "      teams:\n"                                         // 16
    "        - url_file: teams.url\n";                       // 17

// A directory with the files kValid names, as the service's user would leave them.
struct Files {
  TempDir dir;
  Files() {
    ::chmod(dir.write("webhook.secret", "whsec-config-test-1234\n").c_str(), 0600);
    ::chmod(dir.write("teams.url",
                      "https://prod-01.westus.logic.azure.com/workflows/abc/triggers/manual/"
                      "paths/invoke?api-version=2016-06-01&sig=" +
                          kSig + "\n")
                .c_str(),
            0600);
  }
};

std::string replaceLine(const std::string& text, int line, const std::string& replacement) {
  std::string out;
  int n = 1;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    out += (n == line ? replacement : text.substr(start, end - start)) + "\n";
    ++n;
    start = end + 1;
  }
  return out;
}

struct Expected {
  const char* name;
  int line;
  std::string replacement;
  const char* code;
  int err_line, err_column;
  const char* hint_part;
};

}  // namespace

TEST_CASE("route outputs: webhooks and teams are read, a route with only outputs is valid") {
  Files f;
  Diagnostics d;
  auto cfg = parseConfig(kValid, f.dir.file("cspwatch.yaml"), f.dir.path(), d);
  INFO(d.renderText());
  REQUIRE(cfg);
  REQUIRE(cfg->alerts);
  const alerts::Route& r = cfg->alerts->routes.at(0);
  CHECK(r.name == "desk");
  CHECK(r.to.empty());
  REQUIRE(r.webhooks.size() == 1);
  CHECK(r.webhooks[0].url == "https://desk.example.com/cspwatch");
  CHECK(r.webhooks[0].secret_file == f.dir.file("webhook.secret"));
  REQUIRE(r.teams.size() == 1);
  CHECK_THAT(r.teams[0].url, Catch::EndsWith("&sig=" + kSig));  // read from the file
  CHECK(r.teams[0].url_file == f.dir.file("teams.url"));
  // The signature is a secret from the moment it is read: no log line shows it.
  CHECK(redactSecrets("posting to ...&sig=" + kSig) == "posting to ...&sig=[redacted]");
}

TEST_CASE("route outputs: mistakes are reported at their line:column, with a hint") {
  const Expected cases[] = {
      {"plain http to another host", 14, "        - url: http://desk.example.com/hook",
       "config.bad-value", 14, 16, "https://"},
      {"a missing secret file", 15, "          secret_file: missing.secret", "config.bad-value", 15,
       24, "chmod 600"},
      {"a misspelt key", 15, "          secret_fil: webhook.secret", "config.unknown-key", 15, 11,
       "did you mean 'secret_file'?"},
      {"an inline secret", 15, "          secret: whsec-inline-secret", "config.inline-secret", 15,
       11, "secret_file"},
      {"no secret file", 15, "          # none", "config.missing-key", 14, 11, "signed"},
      {"both url and url_file", 17,
       "        - url_file: teams.url\n          url: https://teams.example.com/x",
       "config.bad-value", 17, 11, "give one"},
      {"neither url nor url_file", 17, "        - {}", "config.missing-key", 17, 11, "give one"},
      {"a route with outputs but no name", 11, "    - to: [ops@northwind-it.com.au]",
       "config.missing-key", 11, 7, "name it"},
      {"two routes of the same name", 17,
       "        - url_file: teams.url\n    - name: desk\n      to: [a@northwind-it.com.au]\n"
       "      match: {severities: [high]}",
       "config.duplicate-key", 18, 13, "its own name"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      Files f;
      Diagnostics d;
      auto cfg = parseConfig(replaceLine(kValid, c.line, c.replacement), "c.yaml", f.dir.path(), d);
      INFO(d.renderText());
      CHECK_FALSE(cfg);
      REQUIRE(d.errorCount() >= 1);
      const Diagnostic& first = d.items().front();
      CHECK(first.code == c.code);
      CHECK(first.location.line == c.err_line);
      CHECK(first.location.column == c.err_column);
      CHECK_THAT(first.hint, Catch::Contains(c.hint_part));
    }
  }
}

TEST_CASE("route outputs: secret and URL files must be private, non-empty and hold a URL") {
  Files f;
  SECTION("a secret file others can change") {
    ::chmod(f.dir.file("webhook.secret").c_str(), 0666);
  }
  SECTION("an empty secret file") { f.dir.write("webhook.secret", "\n"); }
  SECTION("a URL file with plain http to another host") {
    f.dir.write("teams.url", "http://teams.example.com/x?sig=" + kSig + "\n");
  }
  Diagnostics d;
  auto cfg = parseConfig(kValid, "c.yaml", f.dir.path(), d);
  INFO(d.renderText());
  CHECK_FALSE(cfg);
  REQUIRE(d.errorCount() == 1);
  const Diagnostic& e = d.items().front();
  CHECK(e.code == "config.bad-value");
  const bool url = e.location.line == 17;
  CHECK(e.location.line == (url ? 17 : 15));
  CHECK(e.location.column == (url ? 21 : 24));
  CHECK(d.renderText().find(kSig) == std::string::npos);  // nor in what is printed
}

TEST_CASE("route outputs: webhooks must be a list") {
  Files f;
  // Lines 14 and 15 (the list's element) become comments.
  const std::string text = replaceLine(replaceLine(replaceLine(kValid, 15, "#"), 14, "#"), 13,
                                       "      webhooks: https://desk.example.com/x");
  Diagnostics d;
  CHECK_FALSE(parseConfig(text, "c.yaml", f.dir.path(), d));
  REQUIRE(d.errorCount() == 1);
  CHECK(d.items().front().code == "config.wrong-type");
  CHECK(d.items().front().location.line == 13);
  CHECK(d.items().front().location.column == 17);
}
