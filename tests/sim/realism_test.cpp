// SPDX-License-Identifier: Apache-2.0
// The simulator's realistic profile, the default: what the real services send that a simulator
// written from one reading of the docs easily leaves out (docs/simulator.md#the-realistic-profile).
#include <set>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "tests/support/http_client.h"

using namespace cspwatch;
using namespace cspwatch::sim;
using cspwatch::testing::httpRequest;
using cspwatch::testing::HttpResult;
using cspwatch::testing::parseObject;
using cspwatch::testing::urlEncode;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kPartner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
const std::string kClient = "11111111-2222-4333-8444-555555555555";
const std::string kBom = "\xEF\xBB\xBF";

struct Sim {
  ManualClock clock{kNow};
  LoginService login{LoginOptions{kClient, "s3cret", Seconds(3600), Seconds(60), "", true}, 3};
  SimApi api;
  SimServer server;
  std::string base;

  explicit Sim(World world, SimProfile profile = {})
      : api(std::move(world), login, clock, nullptr, profile), server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 4));
  }
  std::string token(const std::string& tenant, const std::string& scope) {
    HttpResult r = httpRequest("POST", base + "/login/" + tenant + "/oauth2/v2.0/token", {},
                               "grant_type=client_credentials&client_id=" + kClient +
                                   "&client_secret=s3cret&scope=" + urlEncode(scope));
    REQUIRE(r.status == 200);
    return parseObject(r.body)->getValue<std::string>("access_token");
  }
  std::string pc() { return token(kPartner, "https://api.partnercenter.microsoft.com/.default"); }
  std::string graph(const std::string& tenant) {
    return token(tenant, "https://graph.microsoft.com/.default");
  }
  HttpResult get(const std::string& url, const std::string& token,
                 std::map<std::string, std::string> headers = {}) {
    headers["Authorization"] = "Bearer " + token;
    return httpRequest("GET", url.rfind("http", 0) == 0 ? url : base + url, headers);
  }
  // Every item of a Graph collection, following @odata.nextLink; counts the pages.
  std::vector<Poco::JSON::Object::Ptr> graphAll(const std::string& path, const std::string& token,
                                                int* pages = nullptr, int* empty = nullptr) {
    std::vector<Poco::JSON::Object::Ptr> out;
    std::string url = base + path;
    while (!url.empty()) {
      HttpResult r = get(url, token);
      REQUIRE(r.status == 200);
      CHECK(r.body.rfind(kBom, 0) != 0);  // Graph sends no byte-order mark
      auto doc = parseObject(r.body);
      auto value = doc->getArray("value");
      for (size_t i = 0; i < value->size(); ++i) out.push_back(value->getObject(i));
      if (pages) ++*pages;
      if (empty && value->size() == 0) ++*empty;
      url = doc->optValue<std::string>("@odata.nextLink", "");
    }
    return out;
  }
};

}  // namespace

TEST_CASE("sim realism: every Partner Center body begins with a UTF-8 byte-order mark") {
  Sim sim(generateWorld(20, 5, kNow));
  const std::string pc = sim.pc();
  HttpResult list = sim.get("/pc/v1/customers?size=200", pc);
  REQUIRE(list.status == 200);
  CHECK(list.body.rfind(kBom + "{", 0) == 0);
  HttpResult missing = sim.get("/pc/v1/customers/00000000-0000-4000-8000-000000000000", pc);
  CHECK(missing.status == 404);
  CHECK(missing.body.rfind(kBom + "{", 0) == 0);  // errors too
  HttpResult unauthenticated = sim.get("/pc/v1/customers", "not-a-token");
  CHECK(unauthenticated.status == 401);
  CHECK(unauthenticated.body.rfind(kBom, 0) == 0);
  SimProfile none;
  none.bom = false;
  Sim plain(generateWorld(5, 5, kNow), none);
  CHECK(plain.get("/pc/v1/customers?size=2", plain.pc()).body.rfind("{", 0) == 0);
}

TEST_CASE("sim realism: Partner Center pages come with and without /v1 and serve only /v1") {
  Sim sim(generateWorld(60, 11, kNow));
  const std::string pc = sim.pc();
  size_t customers = 0;
  for (const auto& t : sim.api.world().tenants) customers += t.in_customer_list.value_or(false);
  std::set<std::string> ids;
  std::set<bool> forms;  // true: the link had /v1
  std::set<size_t> sizes;
  HttpResult page = sim.get("/pc/v1/customers?size=200", pc);
  for (int n = 0; n < 1000; ++n) {
    REQUIRE(page.status == 200);
    auto doc = parseObject(page.body);
    auto items = doc->getArray("items");
    sizes.insert(items->size());
    for (size_t i = 0; i < items->size(); ++i)
      CHECK(ids.insert(items->getObject(i)->getValue<std::string>("id")).second);
    auto links = doc->getObject("links");
    if (!links->has("next")) break;
    auto next = links->getObject("next");
    std::string uri = next->getValue<std::string>("uri");
    forms.insert(startsWith(uri, "/v1/"));
    // Followed as it stands, a link without /v1 reaches nothing: Partner Center serves /v1.
    if (!startsWith(uri, "/v1/")) {
      CHECK(sim.get("/pc" + uri, pc).status == 404);
      uri = "/v1" + uri;  // as Microsoft's SDK does (BuildPartnerServiceApiUri)
    }
    auto header = next->getArray("headers")->getObject(0);
    page =
        sim.get("/pc" + uri, pc,
                {{header->getValue<std::string>("key"), header->getValue<std::string>("value")}});
  }
  CHECK(ids.size() == customers);
  CHECK(forms == std::set<bool>{false, true});  // both documented forms were served
  CHECK(*sizes.rbegin() <= 3);                  // small pages, whatever size was asked for
}

TEST_CASE("sim realism: every Graph collection pages, some first pages are empty") {
  Sim sim(generateWorld(40, 13, kNow));
  int pages = 0, empty = 0, tenants = 0;
  for (const auto& t : sim.api.world().tenants) {
    if (!t.verified_domains || !t.partners) continue;
    ++tenants;
    const std::string token = sim.graph(t.id);
    auto orgs = sim.graphAll("/graph/v1.0/organization", token, &pages, &empty);
    CHECK(orgs.size() == 1);  // one organization, whatever page it came on
    auto partners =
        sim.graphAll("/graph/v1.0/policies/crossTenantAccessPolicy/partners", token, &pages);
    CHECK(partners.size() == t.partners->size());
  }
  CHECK(empty > 0);
  CHECK(pages > 2 * tenants);  // more pages than collections: they were paged
  int rel_pages = 0;
  auto rels = sim.graphAll("/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=300",
                           sim.graph(kPartner), &rel_pages);
  CHECK(rel_pages > 10);
  size_t ours = 0;
  for (const auto& t : sim.api.world().tenants)
    for (const auto& r : t.admin_relationships.value_or(std::vector<tenants::AdminRelationship>{}))
      ours += r.partner_tenant_id == kPartner;
  CHECK(rels.size() == ours);
}

TEST_CASE("sim realism: a configured page size is used everywhere") {
  SimProfile p;
  p.page_size = 5;
  p.empty_pages = false;
  Sim sim(generateWorld(30, 13, kNow), p);
  int pages = 0;
  auto rels = sim.graphAll("/graph/v1.0/tenantRelationships/delegatedAdminRelationships",
                           sim.graph(kPartner), &pages);
  CHECK(pages == static_cast<int>((rels.size() + 4) / 5));
  HttpResult first = sim.get("/pc/v1/customers?size=200", sim.pc());
  CHECK(parseObject(first.body)->getArray("items")->size() == 5);
}

TEST_CASE("sim realism: permission gaps hide data the way Microsoft hides it") {
  World w = generateWorld(200, 17, kNow);
  const tenants::Tenant* basic = nullptr;
  const tenants::Tenant* hidden = nullptr;
  const tenants::Tenant* full = nullptr;
  for (const auto& t : w.tenants) {
    const TenantAccess a = w.accessOf(t.id);
    const bool company = w.companyDetailsVisible(t);
    if (!t.verified_domains || !t.in_customer_list.value_or(false) || !t.dap_enabled) continue;
    if (a.organization_basic_only && !basic) basic = &t;
    if (!company && !hidden) hidden = &t;
    if (!a.organization_basic_only && company && !full) full = &t;
  }
  REQUIRE(basic != nullptr);
  REQUIRE(hidden != nullptr);
  REQUIRE(full != nullptr);
  SimProfile p;
  p.empty_pages = false;
  Sim sim(std::move(w), p);
  // Graph /organization as to an app with only User.Read: id, displayName and verifiedDomains;
  // every other property null.
  auto org = sim.graphAll("/graph/v1.0/organization", sim.graph(basic->id)).at(0);
  CHECK(org->isNull("technicalNotificationMails"));
  CHECK(org->isNull("createdDateTime"));
  CHECK(org->isArray("verifiedDomains"));
  CHECK(org->getValue<std::string>("displayName") == basic->name);
  auto full_org = sim.graphAll("/graph/v1.0/organization", sim.graph(full->id)).at(0);
  CHECK(full_org->isArray("technicalNotificationMails"));
  // Without DAP or a GDAP role such as Global Reader, Partner Center leaves out the company
  // email, address and custom domains.
  CHECK_FALSE(hidden->dap_enabled.value_or(true));
  const std::string pc = sim.pc();
  auto c = parseObject(sim.get("/pc/v1/customers/" + hidden->id, pc).body);
  CHECK_FALSE(c->getObject("companyProfile")->has("email"));
  CHECK_FALSE(c->getObject("companyProfile")->has("address"));
  CHECK_FALSE(c->has("customDomains"));
  CHECK(c->getObject("billingProfile")->has("email"));
  auto shown = parseObject(sim.get("/pc/v1/customers/" + full->id, pc).body);
  CHECK(shown->getObject("companyProfile")->has("address"));
  CHECK(shown->has("customDomains"));
}

TEST_CASE("sim realism: isServiceProvider is false, null or left out on other partners") {
  World w = generateWorld(150, 19, kNow);
  SimProfile p;
  p.empty_pages = false;
  Sim sim(std::move(w), p);
  std::set<std::string> forms;
  for (const auto& t : sim.api.world().tenants) {
    if (!t.partners) continue;
    for (const auto& o :
         sim.graphAll("/graph/v1.0/policies/crossTenantAccessPolicy/partners", sim.graph(t.id))) {
      if (!o->has("isServiceProvider"))
        forms.insert("absent");
      else if (o->isNull("isServiceProvider"))
        forms.insert("null");
      else
        forms.insert(o->getValue<bool>("isServiceProvider") ? "true" : "false");
    }
  }
  INFO("forms seen: " << join(std::vector<std::string>(forms.begin(), forms.end()), ", "));
  CHECK(forms == std::set<std::string>{"absent", "false", "null", "true"});
}

TEST_CASE("sim realism: findTenantInformationByTenantId names known tenants, 404 otherwise") {
  Sim sim(generateWorld(10, 23, kNow));
  const std::string token = sim.graph(kPartner);
  HttpResult adatum = sim.get(
      "/graph/v1.0/tenantRelationships/"
      "findTenantInformationByTenantId(tenantId='5e9a3c7d-1b4f-4d28-8a6e-0c2f7b9d3e41')",
      token);
  REQUIRE(adatum.status == 200);
  auto o = parseObject(adatum.body);
  CHECK(o->getValue<std::string>("displayName") == "Adatum Managed Services");
  CHECK(o->getValue<std::string>("defaultDomainName") == "adatum.onmicrosoft.com");
  CHECK(o->isNull("federationBrandName"));
  // Percent-encoded quotes, as a client's URL encoder may send them.
  CHECK(sim.get("/graph/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId=%27" +
                    sim.api.world().tenants[0].id + "%27)",
                token)
            .status == 200);
  CHECK(sim.get("/graph/v1.0/tenantRelationships/"
                "findTenantInformationByTenantId(tenantId='00000000-0000-4000-8000-0000000000aa')",
                token)
            .status == 404);
}

TEST_CASE("sim realism: the company details show with DAP or a GDAP role Partner Center names") {
  World w = generateWorld(1, 1, kNow);
  tenants::Tenant& t = w.tenants[0];
  t.dap_enabled = false;
  auto& rel = (*t.admin_relationships)[0];
  rel.status = "active";
  rel.role_definition_ids = {"729827e3-9c14-49f7-bb1b-9608f156bbb8"};  // Helpdesk Administrator
  CHECK_FALSE(w.companyDetailsVisible(t));
  for (const char* role : {"62e90394-69f5-4237-9190-012177145e10",     // Global Administrator
                           "9360feb5-f418-4baa-8175-e2a00bac4301",     // Directory Writers
                           "f2ef992c-3afb-46b9-b7cf-a126ee74c451",     // Global Reader
                           "8329153b-31d0-4727-b945-745eb3bc5f31"}) {  // Domain Name Administrator
    rel.role_definition_ids = {role};
    CHECK(w.companyDetailsVisible(t));
  }
  rel.status =
      "expired";  // a role in a relationship that no longer gives access counts for nothing
  CHECK_FALSE(w.companyDetailsVisible(t));
  t.dap_enabled = true;
  CHECK(w.companyDetailsVisible(t));
}
