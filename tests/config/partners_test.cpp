// SPDX-License-Identifier: Apache-2.0
// `partners:` (docs/configuration.md#partners): its entries read as the top level's sections,
// every mistake at its position, each account's configuration (partnerConfigs(): its store, its
// own keys over the top level's, what its interval derives), the choice of one
// (partnerConfig(), --partner) and checkEnvironment() over every account.
#include <algorithm>

#include <catch2/catch.hpp>

#include "config/app_config.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::config;
using Catch::Contains;

namespace {

const std::string kPartners =
    "partners:\n"                                                // 1
    "  - name: contoso\n"                                        // 2
    "    partner:\n"                                             // 3
    "      name: Contoso IT\n"                                   // 4
    "      tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"    // 5
    "      email_domains: [contoso-it.example]\n"                // 6
    "    sources:\n"                                             // 7
    "      inventory:\n"                                         // 8
    "        path: contoso.csv\n"                                // 9
    "  - name: fabrikam\n"                                       // 10
    "    partner:\n"                                             // 11
    "      name: Fabrikam Services\n"                            // 12
    "      tenant_id: 11111111-2222-3333-4444-555555555555\n"    // 13
    "      email_domains: [fabrikam.example]\n"                  // 14
    "    sources:\n"                                             // 15
    "      partner_center:\n"                                    // 16
    "        client_id: 22222222-3333-4444-5555-666666666666\n"  // 17
    "        client_secret_file: fabrikam.secret\n"              // 18
    "    rules:\n"                                               // 19
    "      paths: [fabrikam-rules]\n"                            // 20
    "    schedule:\n"                                            // 21
    "      interval: 1h\n"                                       // 22
    "    alerts:\n"                                              // 23
    "      routes:\n"                                            // 24
    "        - to: [ops@fabrikam.example]\n"                     // 25
    "          default: true\n"                                  // 26
    "storage:\n"                                                 // 27
    "  path: /var/lib/cspwatch/cspwatch.db\n"                    // 28
    "schedule:\n"                                                // 29
    "  interval: 6h\n"                                           // 30
    "alerts:\n"                                                  // 31
    "  from: cspwatch@northwind.example\n"                       // 32
    "  routes:\n"                                                // 33
    "    - to: [ops@northwind.example]\n"                        // 34
    "      default: true\n";                                     // 35

// `text` with line `line` (1-based) replaced by `replacement` (which may hold several lines).
std::string replaceLine(const std::string& text, int line, const std::string& replacement) {
  std::string out;
  int n = 1;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    out += (n == line ? replacement : text.substr(start, end - start)) + "\n";
    ++n;
    start = end + 1;
  }
  return out;
}

// The first `lines` lines of `text`.
std::string firstLines(const std::string& text, int lines) {
  size_t end = 0;
  for (int i = 0; i < lines; ++i) end = text.find('\n', end) + 1;
  return text.substr(0, end);
}

AppConfig parsed(const std::string& text, const std::string& dir = "/etc/cspwatch") {
  Diagnostics d;
  auto cfg = parseConfig(text, dir + "/cspwatch.yaml", dir, d);
  INFO(d.renderText());
  REQUIRE(cfg);
  return *cfg;
}

struct Mistake {
  const char* name;
  std::string text;
  const char* code;
  int line, column;
  const char* message_part;
  const char* hint_part;
};

}  // namespace

TEST_CASE("partners: each entry is read as the top level's sections, in the order written") {
  const AppConfig cfg = parsed(kPartners);
  CHECK(cfg.partner_name == kDefaultPartner);
  REQUIRE(cfg.partners.size() == 2);
  const PartnerAccount& contoso = cfg.partners[0];
  CHECK(contoso.name == "contoso");
  CHECK(contoso.at.line == 2);
  CHECK(contoso.at.column == 5);
  CHECK(contoso.partner.name == "Contoso IT");
  CHECK(contoso.partner.email_domains == std::vector<std::string>{"contoso-it.example"});
  REQUIRE(contoso.inventory);
  CHECK(contoso.inventory->path == "/etc/cspwatch/contoso.csv");
  CHECK_FALSE(contoso.partner_center);
  CHECK_FALSE(contoso.rule_paths);
  CHECK_FALSE(contoso.schedule_interval);
  CHECK_FALSE(contoso.routes);

  const PartnerAccount& fabrikam = cfg.partners[1];
  CHECK(fabrikam.partner.tenant_id == "11111111-2222-3333-4444-555555555555");
  REQUIRE(fabrikam.partner_center);
  CHECK(fabrikam.partner_center->client_secret_file == "/etc/cspwatch/fabrikam.secret");
  CHECK_FALSE(fabrikam.inventory);
  CHECK(fabrikam.rule_paths == std::vector<std::string>{"/etc/cspwatch/fabrikam-rules"});
  CHECK(fabrikam.schedule_interval == std::chrono::hours(1));
  REQUIRE(fabrikam.routes);
  REQUIRE(fabrikam.routes->size() == 1);
  CHECK(fabrikam.routes->at(0).to == std::vector<std::string>{"ops@fabrikam.example"});
  CHECK(fabrikam.routes->at(0).name == "partners[1].alerts.routes[0]");
}

TEST_CASE("partnerConfigs: each account has its own store, its keys over the top level's") {
  const AppConfig cfg = parsed(kPartners);
  const std::vector<AppConfig> accounts = partnerConfigs(cfg);
  REQUIRE(accounts.size() == 2);
  const AppConfig& contoso = accounts[0];
  const AppConfig& fabrikam = accounts[1];
  CHECK(contoso.partner_name == "contoso");
  CHECK(fabrikam.partner_name == "fabrikam");
  CHECK(contoso.partners.empty());
  CHECK(fabrikam.partners.empty());
  CHECK(contoso.storage_path == "/var/lib/cspwatch/cspwatch-contoso.db");
  CHECK(fabrikam.storage_path == "/var/lib/cspwatch/cspwatch-fabrikam.db");
  CHECK(cfg.storage_path == "/var/lib/cspwatch/cspwatch.db");  // the instances' own

  CHECK(contoso.partner.name == "Contoso IT");
  CHECK(contoso.inventory);
  CHECK_FALSE(contoso.partner_center);
  CHECK(fabrikam.partner_center);
  CHECK_FALSE(fabrikam.inventory);
  // Inherited: the top level's rules, interval and routes.
  CHECK(contoso.rule_paths == std::vector<std::string>{"/etc/cspwatch/rules.d"});
  CHECK(contoso.schedule_interval == std::chrono::hours(6));
  REQUIRE(contoso.alerts);
  CHECK(contoso.alerts->routes.at(0).to == std::vector<std::string>{"ops@northwind.example"});
  CHECK(fabrikam.rule_paths == std::vector<std::string>{"/etc/cspwatch/fabrikam-rules"});
  CHECK(fabrikam.schedule_interval == std::chrono::hours(1));
  CHECK(fabrikam.alerts->routes.at(0).to == std::vector<std::string>{"ops@fabrikam.example"});
  // The rest is shared.
  CHECK(fabrikam.alerts->from == "cspwatch@northwind.example");
  CHECK(fabrikam.http.listen == cfg.http.listen);
  CHECK(fabrikam.lease_period == cfg.lease_period);

  // What an interval derives follows each account's own, unless written.
  CHECK(cfg.alerts->could_not_check_after_time == std::chrono::hours(6));
  CHECK(contoso.alerts->could_not_check_after_time == std::chrono::hours(6));
  CHECK(fabrikam.alerts->could_not_check_after_time == std::chrono::hours(1));
  const AppConfig written = parsed(replaceLine(kPartners, 32,
                                               "  from: a@northwind.example\n"
                                               "  could_not_check_after_time: 3h"));
  CHECK(written.could_not_check_after_time_written);
  for (const AppConfig& account : partnerConfigs(written))
    CHECK(account.alerts->could_not_check_after_time == std::chrono::hours(3));
}

TEST_CASE("partnerConfigs: the stores' names, SQLite files and PostgreSQL schemas") {
  auto stores = [](const std::string& storage) {
    std::vector<std::string> out;
    for (const AppConfig& c : partnerConfigs(parsed(replaceLine(kPartners, 28, storage))))
      out.push_back(c.storage_url.empty() ? c.storage_path : c.storage_schema);
    return out;
  };
  CHECK(stores("  path: /srv/data.d/store") ==
        std::vector<std::string>{"/srv/data.d/store-contoso", "/srv/data.d/store-fabrikam"});
  CHECK(stores("  path: /srv/.db") ==
        std::vector<std::string>{"/srv/.db-contoso", "/srv/.db-fabrikam"});
  CHECK(stores("  path: a.b.sqlite") ==
        std::vector<std::string>{"/etc/cspwatch/a.b-contoso.sqlite",
                                 "/etc/cspwatch/a.b-fabrikam.sqlite"});
  CHECK(stores("  url: postgresql://cspwatch@db.example/cspwatch\n  schema: watch") ==
        std::vector<std::string>{"watch_contoso", "watch_fabrikam"});

  // Without partners: the configuration itself, named "default", its store unchanged.
  const std::string single =
      "partner: {name: N, tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64, email_domains: "
      "[n.example]}\nsources: {inventory: {path: i.csv}}\n";
  const std::vector<AppConfig> one = partnerConfigs(parsed(single));
  REQUIRE(one.size() == 1);
  CHECK(one[0].partner_name == "default");
  CHECK(one[0].storage_path == "/var/lib/cspwatch/cspwatch.db");
}

TEST_CASE("partnerConfig: the one configured, or the one named, else the names there are") {
  const AppConfig two = parsed(kPartners);
  auto fabrikam = partnerConfig(two, "fabrikam");
  REQUIRE(fabrikam);
  CHECK(fabrikam->partner.name == "Fabrikam Services");

  auto none = partnerConfig(two, "");
  REQUIRE_FALSE(none);
  CHECK(none.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(none.status().message(), Contains("--partner NAME is needed: contoso, fabrikam"));

  auto typo = partnerConfig(two, "contso");
  REQUIRE_FALSE(typo);
  CHECK(typo.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(typo.status().message(), Contains("no partner account 'contso'"));
  CHECK_THAT(typo.status().message(), Contains("did you mean 'contoso'?"));
  CHECK_THAT(typo.status().message(), Contains("(configured: contoso, fabrikam)"));

  // One entry of partners, or none: the name may be left out.
  auto only = partnerConfig(parsed(firstLines(kPartners, 9)), "");
  REQUIRE(only);
  CHECK(only->partner_name == "contoso");
  const std::string single =
      "partner: {name: N, tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64, email_domains: "
      "[n.example]}\nsources: {inventory: {path: i.csv}}\n";
  CHECK(partnerConfig(parsed(single), ""));
  CHECK(partnerConfig(parsed(single), "default"));
  auto other = partnerConfig(parsed(single), "contoso");
  REQUIRE_FALSE(other);
  CHECK_THAT(other.status().message(), Contains("(configured: default)"));
}

TEST_CASE("partners: mistakes are reported at their position, with a code and a hint") {
  const std::string no_alerts = firstLines(kPartners, 30);
  const std::string graph =
      kPartners + "  transport: graph\n  graph:\n    mailbox: cspwatch@northwind.example\n";
  const std::string long_name = "  - name: a_long_partner_account_name_30";
  const Mistake cases[] = {
      {"a name that is not one", replaceLine(kPartners, 2, "  - name: Contoso IT"),
       "config.bad-value", 2, 11, "'Contoso IT' cannot name", "lower-case letters"},
      {"a name used twice", replaceLine(kPartners, 10, "  - name: contoso"), "config.duplicate-key",
       10, 11, "configured twice (first at line 2)", "its own name"},
      {"no name", replaceLine(kPartners, 10, "  - nmae: fabrikam"), "config.unknown-key", 10, 5,
       "unknown key 'nmae'", "did you mean 'name'?"},
      {"partner at the top level too", kPartners + "partner:\n  name: N\n",
       "config.partners-conflict", 36, 1, "beside 'partners'", "move it into each entry"},
      {"sources at the top level too", "sources:\n  inventory: {path: x.csv}\n" + kPartners,
       "config.partners-conflict", 1, 1, "'sources' is written", "each partner account"},
      {"a misspelt section", replaceLine(kPartners, 15, "    source:"), "config.unknown-key", 15, 5,
       "unknown key 'source'", "did you mean 'sources'?"},
      {"a shared section in an entry",
       replaceLine(kPartners, 22, "      interval: 1h\n    storage:\n      path: x.db"),
       "config.unknown-key", 23, 5, "'storage' cannot be set per partner", "top-level 'storage'"},
      {"a shared rules key in an entry",
       replaceLine(kPartners, 20, "      max_steps_per_tenant: 5000"), "config.unknown-key", 20, 7,
       "'rules.max_steps_per_tenant' cannot be set", "top-level 'rules'"},
      {"a shared alerts key in an entry",
       replaceLine(kPartners, 23, "    alerts:\n      transport: smtp"), "config.unknown-key", 24,
       7, "'alerts.transport' cannot be set", "top-level 'alerts'"},
      {"an interval too short", replaceLine(kPartners, 22, "      interval: 1m"),
       "config.bad-value", 22, 17, "at least 5m", "1h to 24h"},
      {"a bad route", replaceLine(kPartners, 25, "        - to: [ops-at-fabrikam]"),
       "config.bad-value", 25, 15, "not an email address", ""},
      {"an inline secret", replaceLine(kPartners, 18, "        client_secret: hunter2"),
       "config.inline-secret", 18, 9, "client_secret", "client_secret_file"},
      {"an entry's routes without the top level's alerts", no_alerts, "config.missing-key", 23, 5,
       "no top-level 'alerts' section", "add 'alerts' at the top level"},
      {"partners that is not a list", "partners: contoso\n", "config.wrong-type", 1, 11,
       "must be a list of partner accounts", "name, partner and sources"},
      {"partners empty", "partners: []\n", "config.missing-key", 1, 11, "lists no partner account",
       "name, partner and sources"},
      {"an entry without sources", firstLines(kPartners, 6), "config.missing-key", 2, 5,
       "partners[0] has no 'sources' section", "'partner_center' and/or 'inventory'"},
      {"graph mail for an account without an app", graph, "config.missing-key", 36, 14,
       "which partner 'contoso' (line 2) does not configure", "in every entry of 'partners'"},
      {"a PostgreSQL schema too long",
       replaceLine(replaceLine(kPartners, 28,
                               "  url: postgresql://db.example/cspwatch\n  schema: "
                               "cspwatch_partner_accounts_of_northwind"),
                   2, long_name),
       "config.bad-value", 2, 5, "longer than PostgreSQL's 63 characters", "shorten"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      Diagnostics d;
      auto cfg = parseConfig(c.text, "c.yaml", "/etc", d);
      INFO(d.renderText());
      CHECK_FALSE(cfg);
      REQUIRE(d.errorCount() >= 1);
      const Diagnostic& first = d.items().front();
      CHECK(first.code == c.code);
      CHECK(first.location.file == "c.yaml");
      CHECK(first.location.line == c.line);
      CHECK(first.location.column == c.column);
      CHECK_THAT(first.message, Contains(c.message_part));
      CHECK_THAT(first.hint, Contains(c.hint_part));
    }
  }
}

TEST_CASE("partners: graph mail is sent with each account's app, which each must have") {
  const std::string graph = replaceLine(
      kPartners + "  transport: graph\n  graph:\n    mailbox: cspwatch@northwind.example\n", 9,
      "        path: contoso.csv\n      partner_center:\n"
      "        client_id: 33333333-3333-4444-5555-666666666666");
  const AppConfig cfg = parsed(graph);
  CHECK(cfg.alerts->transport == alerts::TransportKind::kGraph);
  for (const AppConfig& account : partnerConfigs(cfg)) CHECK(account.partner_center);
}

TEST_CASE("checkEnvironment: every account's files, each at its entry and named after it") {
  testing::TempDir dir;
  dir.write("contoso.csv", "tenant_id\n");
  dir.write("rules.d/.keep", "");
  // contoso's inventory is there, fabrikam's secret and rule directory are not, and the top
  // level's rules.paths (contoso's) is.
  const std::string with_templates =
      replaceLine(kPartners, 32,
                  "  from: cspwatch@northwind.example\n  templates_dir: " +
                      testing::sourcePath("etc/templates"));
  const std::string path =
      dir.write("cspwatch.yaml",
                replaceLine(with_templates, 30, "  interval: 6h\nrules:\n  paths: [rules.d]"));
  Diagnostics d;
  auto cfg = loadConfig(path, d);
  INFO(d.renderText());
  REQUIRE(cfg);

  const Diagnostics env = checkEnvironment(*cfg);
  const std::string text = env.renderText();
  INFO(text);
  REQUIRE(env.errorCount() == 2);
  CHECK_THAT(text, Contains("partner 'fabrikam': client secret file " + dir.path() +
                            "/fabrikam.secret cannot be read"));
  CHECK_THAT(text, Contains("partner 'fabrikam': rules path " + dir.path() +
                            "/fabrikam-rules does not exist"));
  for (const auto& item : env.items()) {  // without a locator: at the entry
    CHECK(item.location.line == 10);
    CHECK(item.location.column == 5);
  }

  // With a locator, at the entry's key (its path from the top, the entry by its index).
  std::vector<std::vector<std::string>> asked;
  const KeyLocator at = [&](const std::vector<std::string>& keys) {
    asked.push_back(keys);
    return SourceLocation{path, static_cast<int>(asked.size()), 1};
  };
  checkEnvironment(*cfg, at);
  CHECK(std::find(asked.begin(), asked.end(),
                  std::vector<std::string>{"partners", "1", "sources", "partner_center",
                                           "client_secret_file"}) != asked.end());
  CHECK(std::find(asked.begin(), asked.end(),
                  std::vector<std::string>{"partners", "1", "rules", "paths"}) != asked.end());

  dir.write("fabrikam.secret", "x");
  dir.write("fabrikam-rules/.keep", "");
  CHECK(checkEnvironment(*cfg).empty());
}
