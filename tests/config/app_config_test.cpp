// SPDX-License-Identifier: Apache-2.0
#include "config/app_config.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::config;

namespace {

const std::string kValid =
    "partner:\n"                                                          // 1
    "  name: Northwind IT Services\n"                                     // 2
    "  tenant_id: 3F6D2B8E-9C41-4A7F-B2D5-1E8C7A9F0B64\n"                 // 3
    "  mpn_ids: [\"5123456\"]\n"                                          // 4
    "  distributor_tenant_ids: [8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73]\n"  // 5
    "  email_domains: [Northwind-IT.com.au]\n"                            // 6
    "sources:\n"                                                          // 7
    "  partner_center:\n"                                                 // 8
    "    client_id: 11111111-2222-3333-4444-555555555555\n"               // 9
    "    client_secret_file: secret\n"                                    // 10
    "    graph_url: http://127.0.0.1:8080/graph/\n"                       // 11
    "  inventory:\n"                                                      // 12
    "    path: inventory.csv\n"                                           // 13
    "schedule:\n"                                                         // 14
    "  interval: 2h\n";                                                   // 15

std::string replaceLine(const std::string& text, int line, const std::string& replacement) {
  std::string out;
  int n = 1;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string l = text.substr(start, end - start);
    out += (n == line ? replacement : l) + "\n";
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
  int err_line;
  int err_column;
  const char* hint_part;
};

}  // namespace

TEST_CASE("a valid config is read with defaults, lower-cased ids and resolved paths") {
  Diagnostics d;
  auto cfg = parseConfig(kValid, "/etc/cspwatch/cspwatch.yaml", "/etc/cspwatch", d);
  INFO(d.renderText());
  REQUIRE(cfg);
  CHECK(cfg->partner.tenant_id == "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64");
  CHECK(cfg->partner.email_domains == std::vector<std::string>{"northwind-it.com.au"});
  REQUIRE(cfg->partner_center);
  CHECK(cfg->partner_center->client_secret_file == "/etc/cspwatch/secret");
  CHECK(cfg->partner_center->graph_url == "http://127.0.0.1:8080/graph");
  CHECK(cfg->partner_center->login_url == "https://login.microsoftonline.com");
  REQUIRE(cfg->inventory);
  CHECK(cfg->inventory->path == "/etc/cspwatch/inventory.csv");
  CHECK(cfg->schedule_interval == std::chrono::hours(2));
  CHECK(cfg->storage_path == "/var/lib/cspwatch/cspwatch.db");
}

TEST_CASE("config mistakes are reported with exact line:column, code and hint") {
  const Expected cases[] = {
      {"misspelt key", 2, "  nmae: Northwind", "config.unknown-key", 2, 3, "did you mean 'name'?"},
      {"misspelt section", 14, "schedul:", "config.unknown-key", 14, 1, "did you mean 'schedule'?"},
      {"wrong type", 4, "  mpn_ids: 5123456", "config.wrong-type", 4, 12, "mpn_ids: [5123456]"},
      {"bad GUID", 3, "  tenant_id: northwind.onmicrosoft.com", "config.bad-value", 3, 14,
       "tenant id"},
      {"bad duration", 15, "  interval: 6 hours", "config.bad-value", 15, 13, "6h or 90d"},
      {"too short an interval", 15, "  interval: 1m", "config.bad-value", 15, 13, "1h to 24h"},
      {"inline secret", 10, "    client_secret: hunter2-but-longer", "config.inline-secret", 10, 5,
       "client_secret_file"},
      {"duplicate key", 6, "  name: Again", "config.duplicate-key", 6, 3, "remove one"},
      {"plain http to a remote host", 11, "    graph_url: http://graph.example.com",
       "config.bad-value", 11, 16, "https://"},
      {"bad mail domain", 6, "  email_domains: [\"it@northwind-it.com.au\"]", "config.bad-value", 6,
       19, "after '@'"},
      {"YAML syntax", 5, "  distributor_tenant_ids: [8c1e5a2f", "config.yaml-syntax", 6, 16,
       "indentation"},
      {"unknown cloud", 9, "    cloud: usgovv", "config.bad-value", 9, 12, "did you mean 'usgov'?"},
      {"a public client with a secret", 9,
       "    client_id: 11111111-2222-3333-4444-555555555555\n    public_client: true\n"
       "    refresh_token_file: rt",
       "config.bad-value", 12, 5, "public_client: false"},
      {"a proxy that is not http://", 15, "  interval: 2h\nnetwork:\n  proxy: proxy:3128",
       "config.bad-value", 17, 10, "CONNECT"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      Diagnostics d;
      auto cfg = parseConfig(replaceLine(kValid, c.line, c.replacement), "c.yaml", "/etc", d);
      INFO(d.renderText());
      CHECK_FALSE(cfg);
      REQUIRE(d.errorCount() >= 1);
      const Diagnostic& first = d.items().front();
      CHECK(first.code == c.code);
      CHECK(first.location.file == "c.yaml");
      CHECK(first.location.line == c.err_line);
      CHECK(first.location.column == c.err_column);
      CHECK_THAT(first.hint, Catch::Contains(c.hint_part));
    }
  }
}

TEST_CASE("every mistake in a config is reported, not just the first") {
  Diagnostics d;
  std::string text = replaceLine(replaceLine(kValid, 2, "  nmae: X"), 15, "  interval: soon");
  auto cfg = parseConfig(text, "c.yaml", "/etc", d);
  CHECK_FALSE(cfg);
  // The misspelt key, the then-missing name, and the bad interval.
  CHECK(d.errorCount() == 3);
}

TEST_CASE("missing required sections and keys are named") {
  Diagnostics d;
  auto cfg = parseConfig("partner:\n  name: X\n", "c.yaml", "/etc", d);
  CHECK_FALSE(cfg);
  std::string text = d.renderText();
  CHECK_THAT(
      text,
      Catch::Contains("c.yaml:2:3: error: section 'partner': required key 'tenant_id' is missing"));
  CHECK_THAT(text, Catch::Contains("required section 'sources' is missing"));
}

TEST_CASE("loadConfig reports an unreadable file and checkEnvironment missing files") {
  testing::TempDir dir;
  Diagnostics d;
  CHECK_FALSE(loadConfig(dir.file("none.yaml"), d));
  CHECK(d.items().at(0).code == "config.unreadable");

  std::string path = dir.write("cspwatch.yaml", kValid);
  Diagnostics d2;
  auto cfg = loadConfig(path, d2);
  REQUIRE(cfg);
  CHECK(cfg->inventory->path == dir.path() + "/inventory.csv");
  Diagnostics env = checkEnvironment(*cfg);
  CHECK(env.errorCount() == 3);  // inventory, secret file, rules path: each stops a scan
  dir.write("inventory.csv", "tenant_id\n");
  dir.write("secret", "x");
  cfg->rule_paths = {dir.path()};
  CHECK(checkEnvironment(*cfg).empty());
}

namespace {

const std::string kAlerts =
    "alerts:\n"                                                   // 16
    "  transport: smtp\n"                                         // 17
    "  from: \"cspwatch <cspwatch@northwind.example>\"\n"         // 18
    "  reminders: [1d, 3d]\n"                                     // 19
    "  smtp:\n"                                                   // 20
    "    host: smtp.example.com\n"                                // 21
    "    tls: implicit\n"                                         // 22
    "    username: cspwatch\n"                                    // 23
    "    password_file: smtp_password\n"                          // 24
    "  routes:\n"                                                 // 25
    "    - name: security\n"                                      // 26
    "      to: [sec@northwind.example]\n"                         // 27
    "      match: {severities: [critical], rule_tags: [gdap]}\n"  // 28
    "      sections: [new, reopened]\n"                           // 29
    "    - to: [ops@northwind.example]\n"                         // 30
    "      default: true\n";                                      // 31

}  // namespace

TEST_CASE("the alerts section is read with its routes and transport settings", "[alerts]") {
  Diagnostics d;
  auto cfg = parseConfig(kValid + kAlerts, "/etc/cspwatch/cspwatch.yaml", "/etc/cspwatch", d);
  INFO(d.renderText());
  REQUIRE(cfg);
  REQUIRE(cfg->alerts);
  const AlertsConfig& a = *cfg->alerts;
  CHECK(a.transport == alerts::TransportKind::kSmtp);
  CHECK(a.smtp.port == 465);  // the default for implicit TLS
  CHECK(a.smtp.password_file == "/etc/cspwatch/smtp_password");
  CHECK(a.smtp.envelope_from == "cspwatch@northwind.example");
  CHECK(a.reminders == std::vector<Seconds>{std::chrono::hours(24), std::chrono::hours(72)});
  REQUIRE(a.routes.size() == 2);
  CHECK(a.routes[0].match.severities == std::vector<std::string>{"critical"});
  CHECK(a.routes[0].sections ==
        std::vector<alerts::Section>{alerts::Section::kNew, alerts::Section::kReopened});
  CHECK(a.routes[1].is_default);
  CHECK(a.routes[1].sections.size() == 6);
  CHECK(a.templates_dir == "/etc/cspwatch/templates");
}

TEST_CASE("alerts mistakes are reported with exact line:column, code and hint", "[alerts]") {
  const std::string text = kValid + kAlerts;
  const Expected cases[] = {
      {"unknown transport", 17, "  transport: smpt", "config.bad-value", 17, 14,
       "did you mean 'smtp'?"},
      {"bad from", 18, "  from: cspwatch", "config.bad-value", 18, 9, "cspwatch <"},
      {"bad reminder", 19, "  reminders: [1d, soon]", "config.bad-value", 19, 14, "[1d, 2d, 4d"},
      {"tls none to a remote host", 22, "    tls: none", "config.bad-value", 22, 10, "starttls"},
      {"inline password", 24, "    password: hunter2", "config.inline-secret", 24, 5,
       "password_file"},
      {"bad recipient", 27, "      to: [sec-at-northwind]", "config.bad-value", 27, 11, ""},
      {"unknown severity", 28, "      match: {severities: [critcal]}", "config.bad-value", 28, 27,
       "did you mean 'critical'?"},
      {"unknown section", 29, "      sections: [news]", "config.bad-value", 29, 17,
       "did you mean 'new'?"},
      {"unknown match key", 28, "      match: {severity: [high]}", "config.unknown-key", 28, 15,
       "known keys here: severities"},
      {"retry_first of 0s", 19, "  retry_first: 0s", "config.bad-value", 19, 16, "60s"},
      {"a default route with a match", 31, "      default: true\n      match: {rules: [x]}",
       "config.bad-value", 32, 7, "no other route took"},
      {"no default route", 31, "      match: {rules: [x]}", "config.missing-key", 26, 5,
       "default: true"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      Diagnostics d;
      auto cfg = parseConfig(replaceLine(text, c.line, c.replacement), "c.yaml", "/etc", d);
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

TEST_CASE("alerts.retention is 90 days unless given, at least a day, a bad one with its position",
          "[alerts]") {
  const std::string text = kValid + kAlerts;
  {
    Diagnostics d;
    auto cfg = parseConfig(text, "c.yaml", "/etc", d);
    REQUIRE(cfg);
    CHECK(cfg->alerts->retention == std::chrono::hours(24 * 90));
  }
  {
    Diagnostics d;
    auto cfg = parseConfig(replaceLine(text, 19, "  retention: 30d"), "c.yaml", "/etc", d);
    INFO(d.renderText());
    REQUIRE(cfg);
    CHECK(cfg->alerts->retention == std::chrono::hours(24 * 30));
  }
  const Expected cases[] = {
      {"shorter than a day", 19, "  retention: 12h", "config.bad-value", 19, 14, "90d"},
      {"not a duration", 19, "  retention: forever", "config.bad-value", 19, 14, "90d"},
      {"misspelt", 19, "  retension: 30d", "config.unknown-key", 19, 3, "retention"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      Diagnostics d;
      auto cfg = parseConfig(replaceLine(text, c.line, c.replacement), "c.yaml", "/etc", d);
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

TEST_CASE("alerts.could_not_check_after_time is the scans' span of schedule.interval unless given",
          "[alerts]") {
  const std::string text = kValid + kAlerts;  // schedule.interval: 2h
  auto read = [](const std::string& yaml) {
    Diagnostics d;
    auto cfg = parseConfig(yaml, "c.yaml", "/etc", d);
    INFO(d.renderText());
    REQUIRE(cfg);
    return *cfg->alerts;
  };
  // The default 2 scans span one interval; 3 span two; 1 reports at once.
  CHECK(read(text).could_not_check_after_time == std::chrono::hours(2));
  CHECK(
      read(replaceLine(text, 19, "  could_not_check_after_scans: 3")).could_not_check_after_time ==
      std::chrono::hours(4));
  CHECK(
      read(replaceLine(text, 19, "  could_not_check_after_scans: 1")).could_not_check_after_time ==
      Seconds(0));
  const AlertsConfig given = read(replaceLine(text, 19, "  could_not_check_after_time: 30m"));
  CHECK(given.could_not_check_after_time == std::chrono::minutes(30));
  CHECK(given.could_not_check_after_scans == 2);
  Diagnostics d;
  CHECK_FALSE(parseConfig(replaceLine(text, 19, "  could_not_check_after_time: soon"), "c.yaml",
                          "/etc", d));
  REQUIRE(d.errorCount() >= 1);
  CHECK(d.items().front().code == "config.bad-value");
  CHECK(d.items().front().location.line == 19);
}

TEST_CASE("the shipped configurations with alerts are valid", "[alerts]") {
  for (const char* file : {"/etc/cspwatch.yaml", "/etc/demo/cspwatch.yaml"}) {
    Diagnostics d;
    auto cfg = loadConfig(std::string(CSPWATCH_SOURCE_DIR) + file, d);
    INFO(file << "\n" << d.renderText());
    REQUIRE(cfg);
    CHECK(cfg->alerts);
  }
}

TEST_CASE("checkEnvironment reports broken mail templates and unreadable SMTP files", "[alerts]") {
  testing::TempDir dir;
  dir.write("templates/digest.txt.mustache", "{{#sections}} never closed\n");
  dir.write("templates/digest.html.mustache", "<p>{{subject}}</p>\n");
  std::string path = dir.write("cspwatch.yaml", kValid + kAlerts + "  templates_dir: templates\n");
  Diagnostics d;
  auto cfg = loadConfig(path, d);
  INFO(d.renderText());
  REQUIRE(cfg);
  Diagnostics env = checkEnvironment(*cfg);
  const std::string text = env.renderText();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("[config.bad-templates]"));
  CHECK_THAT(text, Catch::Contains(dir.path() + "/templates/digest.txt.mustache:1:1"));
  CHECK_THAT(text, Catch::Contains("SMTP file " + dir.path() + "/smtp_password cannot be read"));
}

TEST_CASE("the cloud sets the endpoints, explicit URLs win, and the network section is read") {
  Diagnostics d;
  auto cfg = parseConfig(replaceLine(kValid, 15,
                                     "  interval: 2h\nnetwork:\n"
                                     "  proxy: http://proxy.example.com:3128\n"
                                     "  no_proxy: [.internal.example.com]\n"
                                     "  ca_file: corp-ca.pem") +
                             "",
                         "c.yaml", "/etc/cspwatch", d);
  INFO(d.renderText());
  REQUIRE(cfg);
  CHECK(cfg->network.proxy == "http://proxy.example.com:3128");
  CHECK(cfg->network.no_proxy == std::vector<std::string>{".internal.example.com"});
  CHECK(cfg->network.ca_file == "/etc/cspwatch/corp-ca.pem");
  CHECK_FALSE(cfg->partner_center->public_client);

  Diagnostics d2;
  auto gov = parseConfig(replaceLine(kValid, 9,
                                     "    client_id: 11111111-2222-3333-4444-555555555555\n"
                                     "    cloud: usgov"),
                         "c.yaml", "/etc", d2);
  INFO(d2.renderText());
  REQUIRE(gov);
  CHECK(gov->partner_center->cloud == "usgov");
  CHECK(gov->partner_center->login_url == "https://login.microsoftonline.us");
  CHECK(gov->partner_center->partner_center_url == "https://api.partnercenter.microsoft.com");
  // graph_url is given explicitly in the file and wins over the cloud's.
  CHECK(gov->partner_center->graph_url == "http://127.0.0.1:8080/graph");
}

TEST_CASE("a public client needs no secret but cannot send mail through Graph") {
  const std::string pub = replaceLine(replaceLine(kValid, 10, "    public_client: true"), 9,
                                      "    client_id: 11111111-2222-3333-4444-555555555555\n"
                                      "    refresh_token_file: rt");
  Diagnostics d;
  auto cfg = parseConfig(pub, "c.yaml", "/etc", d);
  INFO(d.renderText());
  REQUIRE(cfg);
  CHECK(cfg->partner_center->public_client);
  const Diagnostics env = checkEnvironment(*cfg);
  for (const auto& item : env.items()) CHECK(item.code != "config.missing-secret");

  Diagnostics d2;
  auto mail = parseConfig(pub +
                              "alerts:\n  transport: graph\n  from: a@northwind-it.com.au\n"
                              "  graph:\n    mailbox: a@northwind-it.com.au\n"
                              "  routes:\n    - name: all\n      to: [a@northwind-it.com.au]\n",
                          "c.yaml", "/etc", d2);
  CHECK_FALSE(mail);
  CHECK_THAT(d2.renderText(), Catch::Contains("Mail.Send"));
}

TEST_CASE("problems are reported section by section in reading order, whatever the file's order") {
  // Each section has one mistake, and the file writes them in the opposite of the order in
  // which parseConfig reads them: alerts last, after sources.partner_center that it may need.
  const std::string text =
      "alerts:\n"                                            // 1
      "  transport: pigeon\n"                                // 2
      "  from: a@example.com\n"                              // 3
      "  routes:\n"                                          // 4
      "    - {to: [a@example.com], default: true}\n"         // 5
      "logging:\n"                                           // 6
      "  format: xml\n"                                      // 7
      "network:\n"                                           // 8
      "  proxy: socks5://proxy\n"                            // 9
      "http:\n"                                              // 10
      "  listen: nowhere\n"                                  // 11
      "schedule:\n"                                          // 12
      "  interval: 1m\n"                                     // 13
      "rules:\n"                                             // 14
      "  max_steps_per_tenant: 1\n"                          // 15
      "storage:\n"                                           // 16
      "  max_suppression: 1h\n"                              // 17
      "sources:\n"                                           // 18
      "  inventory: {paht: x.csv}\n"                         // 19
      "partner:\n"                                           // 20
      "  name: N\n"                                          // 21
      "  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"  // 22
      "  email_domains: [nodot]\n";                          // 23
  Diagnostics d;
  CHECK_FALSE(parseConfig(text, "c.yaml", "/etc", d));
  INFO(d.renderText());
  std::vector<std::string> contexts;
  std::vector<int> lines;
  for (const auto& item : d.items()) {
    contexts.push_back(item.context);
    lines.push_back(item.location.line);
  }
  // sources.inventory: the misspelt key, then the then-missing path.
  CHECK(contexts == std::vector<std::string>{"section 'partner'", "section 'sources.inventory'",
                                             "section 'sources.inventory'", "section 'storage'",
                                             "section 'rules'", "section 'schedule'",
                                             "section 'http'", "section 'network'",
                                             "section 'logging'", "section 'alerts'"});
  CHECK(lines == std::vector<int>{23, 19, 19, 17, 15, 13, 11, 9, 7, 2});
}
