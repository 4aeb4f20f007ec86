// SPDX-License-Identifier: Apache-2.0
// `cspwatch auth status`, the real binary against the simulator in this process over HTTP: one
// request per permission, each missing permission or role the simulator can withhold shown
// MISSING with its fix, a refused refresh token, permission gaps that hide data instead of
// refusing (only the basics of the organization, the company details withheld), the JSON form,
// and no secret or token in what it prints.
#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/permissions.h"
#include "sim/server.h"
#include "sim/setup_files.h"
#include "sim/world.h"
#include "tests/support/interactive_process.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::TempDir;

namespace {

const std::string kClient = "11111111-2222-4333-8444-555555555555";
const std::string kSecret = "s3cret-auth-status-9f2c";
// The GDAP roles that show a customer's company details, by role definition id (sim/world.cpp).
const std::set<std::string> kCompanyDetailsRoles = {
    "62e90394-69f5-4237-9190-012177145e10",   // Global Administrator
    "9360feb5-f418-4baa-8175-e2a00bac4301",   // Directory Writers
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451",   // Global Reader
    "8329153b-31d0-4727-b945-745eb3bc5f31"};  // Domain Name Administrator

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

sim::World demoWorld() { return *sim::loadWorld(testing::sourcePath("etc/demo/world.json")); }

// The customers in Partner Center's order: the first one is what `auth status` checks.
std::vector<tenants::Tenant*> customers(sim::World& world) {
  std::vector<tenants::Tenant*> out;
  for (auto& t : world.tenants)
    if (t.in_customer_list.value_or(false)) out.push_back(&t);
  return out;
}

// How the simulated app registration and the configuration are set up.
struct Setup {
  std::set<std::string> missing = {};  // permissions and roles withheld (sim/permissions.h)
  std::string extra_yaml = {};         // appended to the configuration
  bool refresh_token = true;           // App+User configured; else app-only, as the scan then calls
  bool public_client = false;          // public_client: true, no secret
};

// The simulator over HTTP, and a cspwatch config for it as `cspwatch-sim --write-config`
// writes one.
struct StatusSim {
  TempDir dir;
  SystemClock clock;
  sim::LoginService login;
  sim::SimApi api;
  sim::SimServer server;
  std::string config;
  std::string first_refresh_token;

  explicit StatusSim(sim::World world, const Setup& setup = {})
      : login(options(setup), 23), api(std::move(world), login, clock), server(api) {
    const std::string base = "http://127.0.0.1:" + std::to_string(server.start(0, 4));
    config = dir.file("cspwatch.yaml");
    first_refresh_token = login.issueRefreshToken(clock.now(), setup.public_client);
    sim::SetupFiles files{config,
                          base,
                          kClient,
                          kSecret,
                          first_refresh_token,
                          testing::sourcePath("etc/rules.d"),
                          setup.public_client};
    REQUIRE(sim::writeSetupFiles(files, api.world()));
    std::string yaml = testing::readFile(config);
    if (!setup.refresh_token) {
      const std::string line = "    refresh_token_file: refresh_token\n";
      yaml.erase(yaml.find(line), line.size());
    }
    dir.write("cspwatch.yaml", yaml + setup.extra_yaml);
  }
  static sim::LoginOptions options(const Setup& setup) {
    sim::LoginOptions o{kClient, kSecret, Seconds(3600), Seconds(60), "", true};
    o.missing_permissions = setup.missing;
    o.allow_public_client_flows = setup.public_client;
    return o;
  }
};

struct Row {
  std::string check, permission, result, detail, fix;
};

struct Report {
  int code = -1;
  std::string out, err;
  std::vector<Row> rows;  // --format json only
};

Report authStatus(const StatusSim& sim, std::vector<std::string> more = {}, bool json = true) {
  std::vector<std::string> args{"--config", sim.config, "auth", "status"};
  if (json) more.insert(more.begin(), {"--format", "json"});
  args.insert(args.end(), more.begin(), more.end());
  auto r = testing::runBinary("cspwatch", args);
  Report s{r.exit_code, r.out, r.err, {}};
  if (!json || r.exit_code == 2) return s;
  auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  REQUIRE(doc->getValue<int>("schema_version") == 1);
  REQUIRE(doc->getValue<std::string>("app") == kClient);
  auto checks = doc->getArray("checks");
  for (size_t i = 0; i < checks->size(); ++i) {
    auto c = checks->getObject(static_cast<unsigned>(i));
    s.rows.push_back({c->getValue<std::string>("check"), c->getValue<std::string>("permission"),
                      c->getValue<std::string>("result"), c->getValue<std::string>("detail"),
                      c->getValue<std::string>("fix")});
  }
  return s;
}

// The one row whose check contains `what`.
const Row& row(const Report& s, const std::string& what) {
  const Row* found = nullptr;
  for (const auto& r : s.rows)
    if (r.check.find(what) != std::string::npos) {
      INFO(what << " matches more than one row");
      REQUIRE(found == nullptr);
      found = &r;
    }
  INFO("no row for " << what << " in\n" << s.out);
  REQUIRE(found != nullptr);
  return *found;
}

std::string describe(const Report& s) { return s.out + s.err; }

// The checks in the order they run, each identified by a part of its name.
const std::vector<std::string> kOrder = {
    "Microsoft Graph, app-only sign-in",      "Partner Center, app-only sign-in",
    "Partner Center, App+User sign-in",       "GET /v1/customers?size=1",
    "GET /v1/customers/relationshiprequests", "delegatedAdminRelationships?$top=1",
    "findTenantInformationByTenantId",        "GET /v1.0/organization",
    "crossTenantAccessPolicy/partners",       "Partner Center GET /v1/customers/",
};

}  // namespace

TEST_CASE("auth status: on a healthy simulator every check is ok, in order, and exit is 0") {
  sim::World world = demoWorld();
  const tenants::Tenant first = *customers(world).front();
  StatusSim sim(world);
  auto s = authStatus(sim);
  INFO(describe(s));
  CHECK(s.code == 0);
  REQUIRE(s.rows.size() == kOrder.size());
  for (size_t i = 0; i < kOrder.size(); ++i) {
    INFO(s.rows[i].check);
    CHECK_THAT(s.rows[i].check, Catch::Contains(kOrder[i], Catch::CaseSensitive::No));
    CHECK(s.rows[i].result == "ok");
    CHECK_FALSE(s.rows[i].permission.empty());
    CHECK(s.rows[i].fix.empty());
  }
  // The per-tenant checks run in the first customer of the list, as the scan reads them.
  CHECK_THAT(row(s, "GET /v1.0/organization").check,
             Catch::Contains(first.id) && Catch::Contains("App+User through GDAP"));
  CHECK_THAT(row(s, "GET /v1/customers?size=1").check, Catch::Contains("(App+User)"));
  CHECK_THAT(row(s, "delegatedAdminRelationships").check, Catch::Contains("(app-only)"));
  // No Graph mail configured: no sendMail row.
  CHECK(s.out.find("sendMail") == std::string::npos);

  auto table = authStatus(sim, {}, false);
  INFO(table.out);
  CHECK(table.code == 0);
  CHECK(startsWith(table.out, "app " + kClient + " signing in with the client secret from " +
                                  sim.dir.file("client_secret") + "\n"));
  CHECK_THAT(table.out, Catch::Contains("ok      Partner Center, App+User sign-in"));
  CHECK_THAT(table.out, Catch::Contains("10 checks: 10 ok, 0 missing, 0 failed, 0 skipped"));
  CHECK(table.out.find("MISSING") == std::string::npos);
  CHECK(table.out.find("Where to fix it") == std::string::npos);
}

TEST_CASE("auth status: each permission or role the app lacks shows MISSING with its fix") {
  struct Case {
    std::set<std::string> missing;
    bool refresh_token;  // App+User configured (else app-only, as the scan then calls)
    std::vector<std::string> missing_rows;
    std::string detail;  // in each MISSING row's answer
    std::vector<std::string> fix;
  };
  const std::vector<Case> cases = {
      {{sim::kDelegatedAdminRelationshipRead},
       true,
       {"delegatedAdminRelationships"},
       "Authorization_RequestDenied",
       {"application permission DelegatedAdminRelationship.Read.All", "admin-consented"}},
      {{sim::kCrossTenantInformationRead},
       true,
       {"findTenantInformationByTenantId"},
       "Insufficient privileges to complete the operation.",
       {"application permission CrossTenantInformation.ReadBasic.All", "admin-consented"}},
      // On behalf of the user, Graph answers /organization with User.Read's view instead.
      {{sim::kOrganizationRead},
       true,
       {"GET /v1.0/organization"},
       "technicalNotificationMails came back null",
       {"Organization.Read.All", "Directory Readers or Global Reader"}},
      // App-only, the same permission is a refusal.
      {{sim::kOrganizationRead},
       false,
       {"GET /v1.0/organization"},
       "Authorization_RequestDenied",
       {"application permission Organization.Read.All"}},
      {{sim::kPolicyRead},
       true,
       {"crossTenantAccessPolicy/partners"},
       "Authorization_RequestDenied",
       {"Policy.Read.All", "Security Reader or Global Reader"}},
      {{sim::kAdminAgents},
       true,
       {"relationshiprequests"},
       "HTTP 403: Access denied",
       {"Admin agent role"}},
      {{sim::kAdminAgents, sim::kSalesAgents},
       true,
       {"GET /v1/customers?size=1", "relationshiprequests"},
       "HTTP 403: Access denied",
       {"Admin agent"}},
      {{sim::kPartnerCenterAppOnly},
       false,
       {"GET /v1/customers?size=1"},
       "HTTP 401: Access denied",
       {"App management"}},
  };
  for (const auto& c : cases) {
    INFO("withheld: " << join({c.missing.begin(), c.missing.end()}, ", ")
                      << (c.refresh_token ? " (App+User)" : " (app-only)"));
    StatusSim sim(demoWorld(), {c.missing, "", c.refresh_token});
    auto s = authStatus(sim);
    INFO(describe(s));
    CHECK(s.code == 1);
    std::set<std::string> expected(c.missing_rows.begin(), c.missing_rows.end());
    for (const auto& r : s.rows) {
      INFO(r.check << ": " << r.result << ": " << r.detail);
      CHECK(r.result != "failed");
      if (r.result != "missing") continue;
      bool wanted = false;
      for (const auto& what : c.missing_rows)
        if (r.check.find(what) != std::string::npos && expected.erase(what) > 0) wanted = true;
      CHECK(wanted);
      CHECK_THAT(r.detail, Catch::Contains(c.detail));
      for (const auto& words : c.fix) CHECK_THAT(r.fix, Catch::Contains(words));
    }
    INFO("rows expected MISSING but not: " << join({expected.begin(), expected.end()}, ", "));
    CHECK(expected.empty());
  }
}

TEST_CASE("auth status: a permission the scan does not use through that token changes nothing") {
  // Signed in as the partner user, every Partner Center call is App+User: app-only access in
  // Partner Center is not needed.
  StatusSim sim(demoWorld(), {{sim::kPartnerCenterAppOnly}});
  auto s = authStatus(sim);
  INFO(describe(s));
  CHECK(s.code == 0);
}

TEST_CASE("auth status: the customer list unreadable leaves the per-tenant checks to --tenant") {
  sim::World world = demoWorld();
  const std::string second = customers(world)[1]->id;
  StatusSim sim(world, {{sim::kAdminAgents, sim::kSalesAgents}});
  auto s = authStatus(sim);
  INFO(describe(s));
  CHECK(row(s, "GET /v1.0/organization").result == "skipped");
  CHECK_THAT(row(s, "GET /v1.0/organization").detail,
             Catch::Contains("the customer list could not be read"));
  CHECK_THAT(row(s, "GET /v1.0/organization").fix, Catch::Contains("--tenant"));
  // With --tenant the Graph checks run there; Partner Center still refuses the details.
  auto t = authStatus(sim, {"--tenant", upper(second)});
  INFO(describe(t));
  CHECK(row(t, "GET /v1.0/organization").result == "ok");
  CHECK_THAT(row(t, "GET /v1.0/organization").check, Catch::Contains(second));
  CHECK(row(t, "crossTenantAccessPolicy").result == "ok");
  CHECK(row(t, "Partner Center GET /v1/customers/" + second).result == "missing");
}

TEST_CASE("auth status: a refresh token Entra refuses fails the sign-in row, naming auth login") {
  StatusSim sim(demoWorld());
  // The simulator's hook, as POST /_sim/refresh-tokens?fail=700082 sets it.
  sim::Request hook{"POST", "/_sim/refresh-tokens", {{"fail", "700082"}}, {}, "", ""};
  REQUIRE(sim.api.handle(hook).status == 200);
  auto s = authStatus(sim);
  INFO(describe(s));
  CHECK(s.code == 1);
  const Row& sign_in = row(s, "Partner Center, App+User sign-in");
  CHECK(sign_in.result == "failed");
  CHECK_THAT(sign_in.detail,
             Catch::Contains("AADSTS700082") && Catch::Contains("run 'cspwatch auth login'"));
  CHECK_THAT(sign_in.fix, Catch::Contains("cspwatch auth login"));
  // App-only still works; what needs the partner user is not called.
  CHECK(row(s, "Microsoft Graph, app-only sign-in").result == "ok");
  CHECK(row(s, "GET /v1/customers?size=1").result == "ok");
  CHECK_THAT(row(s, "GET /v1/customers?size=1").check, Catch::Contains("(app-only)"));
  for (const char* what :
       {"relationshiprequests", "GET /v1.0/organization", "crossTenantAccessPolicy/partners"}) {
    INFO(what);
    CHECK(row(s, what).result == "skipped");
    CHECK_THAT(row(s, what).detail, Catch::Contains("sign-in failed"));
  }
  for (const auto& r : s.rows) CHECK(r.result != "missing");

  auto table = authStatus(sim, {}, false);
  CHECK(table.code == 1);
  CHECK_THAT(table.out, Catch::Contains("FAILED  Partner Center, App+User sign-in"));
  CHECK_THAT(table.out, Catch::Contains("fix:    run 'cspwatch auth login'"));
}

TEST_CASE("auth status: only the basics of the organization is MISSING, with its fix") {
  sim::World world = demoWorld();
  const std::string first = customers(world).front()->id;
  world.access[first].organization_basic_only = true;
  StatusSim sim(world);
  auto s = authStatus(sim);
  INFO(describe(s));
  CHECK(s.code == 1);
  const Row& org = row(s, "GET /v1.0/organization");
  CHECK(org.result == "missing");
  CHECK_THAT(org.detail, Catch::Contains("technicalNotificationMails came back null"));
  CHECK_THAT(org.fix, Catch::Contains("Organization.Read.All") &&
                          Catch::Contains("Directory Readers or Global Reader"));
  for (const auto& r : s.rows)
    if (&r != &org) CHECK(r.result == "ok");
}

TEST_CASE("auth status: company details withheld (no DAP, no Global Reader) are MISSING") {
  sim::World world = demoWorld();
  // The second customer, checked with --tenant: no DAP and none of the roles that show them.
  tenants::Tenant& t = *customers(world)[1];
  t.dap_enabled = false;
  if (t.admin_relationships)
    for (auto& rel : *t.admin_relationships) {
      auto& roles = rel.role_definition_ids;
      roles.erase(
          std::remove_if(roles.begin(), roles.end(),
                         [](const std::string& r) { return kCompanyDetailsRoles.count(r) > 0; }),
          roles.end());
    }
  StatusSim sim(world);
  REQUIRE_FALSE(sim.api.world().companyDetailsVisible(*sim.api.world().find(t.id)));
  auto s = authStatus(sim, {"--tenant", t.id});
  INFO(describe(s));
  CHECK(s.code == 1);
  const Row& details = row(s, "Partner Center GET /v1/customers/" + t.id);
  CHECK(details.result == "missing");
  CHECK_THAT(details.detail, Catch::Contains("withheld"));
  CHECK_THAT(details.fix,
             Catch::Contains("DAP") && Catch::Contains("Global Reader or Directory Writers"));
  for (const auto& r : s.rows)
    if (&r != &details) CHECK(r.result == "ok");
  // Without --tenant, the first customer (whose details show) is checked: all ok.
  CHECK(authStatus(sim).code == 0);
}

TEST_CASE("auth status: --format json holds what the table shows") {
  StatusSim sim(demoWorld(), {{sim::kPolicyRead, sim::kCrossTenantInformationRead}});
  auto json = authStatus(sim);
  auto table = authStatus(sim, {}, false);
  INFO(table.out);
  CHECK(json.code == 1);
  CHECK(table.code == 1);
  REQUIRE(json.rows.size() == kOrder.size());
  size_t at = table.out.find('\n');  // after the first line
  for (const auto& r : json.rows) {
    INFO(r.check);
    // Each row in order: the result in its column, the check, what it needs, and for anything
    // not ok the answer and the fix.
    std::string result = r.result == "ok" || r.result == "skipped" ? r.result : upper(r.result);
    result.resize(std::max<size_t>(result.size() + 1, 8), ' ');
    const size_t line = table.out.find("\n" + result + r.check + "\n", at);
    REQUIRE(line != std::string::npos);
    at = line + 1;
    CHECK_THAT(table.out, Catch::Contains("needs:  " + r.permission));
    if (r.result == "ok") {
      CHECK(r.detail.empty());
      CHECK(r.fix.empty());
      continue;
    }
    CHECK_THAT(table.out, Catch::Contains("answer: " + r.detail));
    CHECK_THAT(table.out, Catch::Contains("fix:    " + r.fix));
  }
  CHECK_THAT(table.out, Catch::Contains("10 checks: 8 ok, 2 missing, 0 failed, 0 skipped"));
  CHECK_THAT(table.out, Catch::Contains("API permissions") && Catch::Contains("admin consent") &&
                            Catch::Contains("App management") && Catch::Contains("security group"));
}

TEST_CASE("auth status: Graph mail is not sent, the row says so and points to alerts test") {
  StatusSim sim(demoWorld(), {{},
                              "alerts:\n"
                              "  transport: graph\n"
                              "  from: \"cspwatch <alerts@northwind-it.com.au>\"\n"
                              "  graph:\n"
                              "    mailbox: alerts@northwind-it.com.au\n"
                              "  routes:\n"
                              "    - to: [ops@northwind-it.com.au]\n"
                              "      default: true\n"});
  auto s = authStatus(sim);
  INFO(describe(s));
  CHECK(s.code == 0);  // skipped does not count
  const Row& mail = row(s, "sendMail");
  CHECK(mail.result == "skipped");
  CHECK_THAT(mail.permission, Catch::Contains("Mail.Send"));
  CHECK_THAT(mail.detail, Catch::Contains("it would send"));
  CHECK_THAT(mail.fix, Catch::Contains("cspwatch alerts test"));
  CHECK(sim.api.sentMail().empty());
}

TEST_CASE("auth status: a public client skips the app-only sign-ins and says why") {
  Setup setup;
  setup.public_client = true;
  StatusSim sim(demoWorld(), setup);
  auto s = authStatus(sim);
  INFO(describe(s));
  CHECK(s.code == 0);
  for (const char* what :
       {"Microsoft Graph, app-only sign-in", "Partner Center, app-only sign-in"}) {
    CHECK(row(s, what).result == "skipped");
    CHECK_THAT(row(s, what).detail, Catch::Contains("public client"));
  }
  // Every call is made as the partner user, the app-only ones included.
  CHECK(row(s, "delegatedAdminRelationships").result == "ok");
  CHECK_THAT(row(s, "delegatedAdminRelationships").permission, Catch::Contains("delegated"));
}

TEST_CASE("auth status: usage and configuration errors are exit 2") {
  StatusSim sim(demoWorld());
  auto bad_tenant = authStatus(sim, {"--tenant", "not-a-tenant"});
  CHECK(bad_tenant.code == 2);
  CHECK_THAT(bad_tenant.err, Catch::Contains("--tenant"));
  auto bad_format = authStatus(sim, {"--format", "xml"}, false);
  CHECK(bad_format.code == 2);
  TempDir dir;
  dir.write("inventory.json", "{\"schema_version\": 1, \"tenants\": []}");
  const std::string config = dir.write(
      "cspwatch.yaml",
      testing::readFile(sim.config).substr(0, testing::readFile(sim.config).find("sources:")) +
          "sources:\n  inventory:\n    path: inventory.json\n");
  auto r = testing::runBinary("cspwatch", {"--config", config, "auth", "status"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("sources.partner_center is not configured"));
}

TEST_CASE("auth status: no secret or token in what it prints, even at debug level") {
  StatusSim sim(demoWorld(), {{sim::kPolicyRead}});
  std::string shown;
  for (bool json : {true, false}) {
    auto s = authStatus(sim, {"--log-level", "debug"}, json);
    shown += s.out + s.err;
  }
  sim::Request hook{"POST", "/_sim/refresh-tokens", {{"fail", "700082"}}, {}, "", ""};
  REQUIRE(sim.api.handle(hook).status == 200);
  auto refused = authStatus(sim, {"--log-level", "debug"}, false);
  shown += refused.out + refused.err;
  const std::string rotated(trim(testing::readFile(sim.dir.file("refresh_token"))));
  CHECK(rotated != sim.first_refresh_token);  // the sign-in ran and rotated it
  CHECK(shown.find(kSecret) == std::string::npos);
  CHECK(shown.find(sim.first_refresh_token) == std::string::npos);
  CHECK(shown.find(rotated) == std::string::npos);
  // The simulator's access and refresh tokens: "at." and "rt." and random characters.
  CHECK_FALSE(std::regex_search(shown, std::regex("(at|rt)\\.[A-Za-z0-9_-]{8,}")));
}

TEST_CASE("auth status: cspwatch-sim --missing-permission withholds from the binary's app") {
  TempDir dir;
  testing::InteractiveProcess sim(
      "cspwatch-sim",
      {"--world", testing::sourcePath("etc/demo/world.json"), "--write-config",
       dir.file("cspwatch.yaml"), "--rules-path", testing::sourcePath("etc/rules.d"),
       "--missing-permission", "Policy.Read.All", "--missing-permission", "AdminAgents"});
  REQUIRE_FALSE(sim.out()
                    .waitFor(
                        [](const std::string& t) {
                          return t.find("listening on") != std::string::npos ? t : "";
                        },
                        std::chrono::seconds(60))
                    .empty());
  auto r = testing::runBinary(
      "cspwatch", {"--config", dir.file("cspwatch.yaml"), "auth", "status", "--format", "json"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  std::set<std::string> missing;
  auto checks = doc->getArray("checks");
  for (size_t i = 0; i < checks->size(); ++i) {
    auto c = checks->getObject(static_cast<unsigned>(i));
    if (c->getValue<std::string>("result") != "ok")
      missing.insert(c->getValue<std::string>("result") + " " +
                     c->getValue<std::string>("check").substr(0, 40));
  }
  CHECK(missing == std::set<std::string>{"missing Partner Center GET /v1/customers/relatio",
                                         "missing Graph GET /v1.0/policies/crossTenantAcce"});
  // A name the simulator does not know is a usage error.
  auto bad =
      testing::runBinary("cspwatch-sim", {"--world", testing::sourcePath("etc/demo/world.json"),
                                          "--missing-permission", "User.Read", "--no-serve"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--missing-permission"));
}
