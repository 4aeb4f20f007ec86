// SPDX-License-Identifier: Apache-2.0
// The simulator over real HTTP on 127.0.0.1: paging, tokens, rotation, expiry, 403s.
#include "sim/api.h"

#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "tests/support/http_client.h"

using namespace cspwatch;
using cspwatch::testing::parseObject;
using cspwatch::testing::urlEncode;
using namespace cspwatch::sim;
using cspwatch::testing::httpRequest;
using cspwatch::testing::HttpResult;
using Poco::JSON::Object;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kPartner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
const std::string kPcScope = "https://api.partnercenter.microsoft.com/.default";
const std::string kGraphScope = "https://graph.microsoft.com/.default";

// A simulator with a generated world, served on a free port, its clock in the test's hands.
struct Sim {
  ManualClock clock{kNow};
  LoginService login{LoginOptions{"11111111-2222-4333-8444-555555555555", "s3cret", Seconds(3600),
                                  Seconds(60), "", true},
                     42};
  SimApi api;
  SimServer server;
  std::string base;

  explicit Sim(size_t tenants = 250)
      : api(generateWorld(tenants, 42, kNow), login, clock), server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 4));
  }

  HttpResult tokenRequest(const std::string& tenant, const std::string& form) {
    return httpRequest("POST", base + "/login/" + tenant + "/oauth2/v2.0/token", {}, form);
  }
  std::string appToken(const std::string& tenant, const std::string& scope) {
    HttpResult r =
        tokenRequest(tenant,
                     "grant_type=client_credentials&client_id=11111111-2222-4333-8444-555555555555"
                     "&client_secret=s3cret&scope=" +
                         urlEncode(scope));
    REQUIRE(r.status == 200);
    return parseObject(r.body)->getValue<std::string>("access_token");
  }
  HttpResult get(const std::string& path, const std::string& token,
                 std::map<std::string, std::string> headers = {}) {
    headers["Authorization"] = "Bearer " + token;
    return httpRequest("GET", startsWithHttp(path) ? path : base + path, headers);
  }
  static bool startsWithHttp(const std::string& s) { return s.rfind("http://", 0) == 0; }
};

}  // namespace

TEST_CASE("sim: Partner Center customers page by continuation token, every customer once") {
  Sim sim;
  const std::string token = sim.appToken(kPartner, kPcScope);
  size_t expected = 0;
  for (const auto& t : sim.api.world().tenants)
    expected += t.in_customer_list.value_or(false) ? 1 : 0;
  std::set<std::string> seen;
  HttpResult page = sim.get("/pc/v1/customers?size=7", token);
  int pages = 0;
  while (true) {
    REQUIRE(page.status == 200);
    auto doc = parseObject(page.body);
    auto items = doc->getArray("items");
    for (size_t i = 0; i < items->size(); ++i)
      CHECK(seen.insert(items->getObject(i)->getValue<std::string>("id")).second);
    ++pages;
    if (!doc->has("continuationToken")) {
      CHECK_FALSE(doc->getObject("links")->has("next"));
      break;
    }
    // Replay links.next as a generic client would: its URI and its headers.
    auto next = doc->getObject("links")->getObject("next");
    auto header = next->getArray("headers")->getObject(0);
    CHECK(header->getValue<std::string>("key") == "MS-ContinuationToken");
    CHECK(header->getValue<std::string>("value") ==
          doc->getValue<std::string>("continuationToken"));
    page = sim.get("/pc" + next->getValue<std::string>("uri"), token,
                   {{"MS-ContinuationToken", header->getValue<std::string>("value")}});
  }
  CHECK(seen.size() == expected);
  CHECK(pages == static_cast<int>((expected + 6) / 7));
  HttpResult bad =
      sim.get("/pc/v1/customers?seekOperation=Next", token, {{"MS-ContinuationToken", "garbage!"}});
  CHECK(bad.status == 400);
}

TEST_CASE("sim: Graph admin relationships page by absolute @odata.nextLink") {
  Sim sim;
  const std::string token = sim.appToken(kPartner, kGraphScope);
  size_t ours = 0;
  for (const auto& t : sim.api.world().tenants)
    for (const auto& r : t.admin_relationships.value_or(std::vector<tenants::AdminRelationship>{}))
      ours += r.partner_tenant_id == kPartner ? 1 : 0;
  std::set<std::string> ids;
  std::string url =
      sim.base + "/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=40";
  while (!url.empty()) {
    HttpResult r = sim.get(url, token);
    REQUIRE(r.status == 200);
    auto doc = parseObject(r.body);
    auto value = doc->getArray("value");
    for (size_t i = 0; i < value->size(); ++i) {
      auto rel = value->getObject(i);
      CHECK(ids.insert(rel->getValue<std::string>("id")).second);
      CHECK(rel->has("@odata.etag"));
      CHECK(rel->getObject("customer")->has("tenantId"));
    }
    url = doc->has("@odata.nextLink") ? doc->getValue<std::string>("@odata.nextLink") : "";
    if (!url.empty()) CHECK(url.rfind(sim.base + "/graph/", 0) == 0);
  }
  CHECK(ids.size() == ours);
  CHECK(sim.get("/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=301", token)
            .status == 400);
}

TEST_CASE("sim: wrong credentials get AADSTS errors; tokens are for one tenant and audience") {
  Sim sim;
  HttpResult bad_secret =
      sim.tokenRequest(kPartner,
                       "grant_type=client_credentials&client_id=11111111-2222-4333-8444-"
                       "555555555555&client_secret=nope&scope=" +
                           urlEncode(kPcScope));
  CHECK(bad_secret.status == 401);
  CHECK(parseObject(bad_secret.body)->getValue<std::string>("error") == "invalid_client");
  CHECK_THAT(parseObject(bad_secret.body)->getValue<std::string>("error_description"),
             Catch::StartsWith("AADSTS7000215"));
  HttpResult bad_client =
      sim.tokenRequest(kPartner,
                       "grant_type=client_credentials&client_id=00000000-0000-4000-8000-"
                       "000000000000&client_secret=s3cret&scope=" +
                           urlEncode(kPcScope));
  CHECK(bad_client.status == 400);
  CHECK_THAT(bad_client.body, Catch::Contains("AADSTS700016"));

  const std::string graph = sim.appToken(kPartner, kGraphScope);
  CHECK(sim.get("/pc/v1/customers", graph).status == 401);  // wrong audience
  CHECK(sim.get("/pc/v1/customers", "made-up").status == 401);
  CHECK(httpRequest("GET", sim.base + "/pc/v1/customers").status == 401);
}

TEST_CASE(
    "sim: access tokens expire; the refresh token rotates and a used one soon stops working") {
  Sim sim;
  const std::string pc = sim.appToken(kPartner, kPcScope);
  CHECK(sim.get("/pc/v1/customers?size=1", pc).status == 200);
  sim.clock.advance(Seconds(3601));
  HttpResult expired = sim.get("/pc/v1/customers?size=1", pc);
  CHECK(expired.status == 401);
  CHECK_THAT(expired.body, Catch::Contains("expired"));

  const std::string first = sim.login.issueRefreshToken(sim.clock.now());
  auto refresh = [&](const std::string& rt) {
    return sim.tokenRequest(
        kPartner,
        "grant_type=refresh_token&client_id=11111111-2222-4333-8444-555555555555"
        "&client_secret=s3cret&refresh_token=" +
            urlEncode(rt) + "&scope=" + urlEncode(kPcScope));
  };
  HttpResult r1 = refresh(first);
  REQUIRE(r1.status == 200);
  const std::string second = parseObject(r1.body)->getValue<std::string>("refresh_token");
  CHECK(second != first);
  // App+User tokens reach the App+User-only operations; app-only ones do not.
  const std::string user_token = parseObject(r1.body)->getValue<std::string>("access_token");
  CHECK(sim.get("/pc/v1/customers/relationshiprequests", user_token).status == 200);
  CHECK(sim.get("/pc/v1/customers/relationshiprequests", sim.appToken(kPartner, kPcScope)).status ==
        403);
  // The used token still works within the grace period, then not.
  CHECK(refresh(first).status == 200);
  sim.clock.advance(Seconds(61));
  HttpResult reused = refresh(first);
  CHECK(reused.status == 400);
  CHECK(parseObject(reused.body)->getValue<std::string>("error") == "invalid_grant");
  CHECK(refresh(second).status == 200);
}

TEST_CASE("sim: the customer side answers 403 where we hold no access, as Graph does") {
  Sim sim(400);
  const tenants::Tenant* no_org = nullptr;
  const tenants::Tenant* no_partners = nullptr;
  const tenants::Tenant* fine = nullptr;
  for (const auto& t : sim.api.world().tenants) {
    if (!t.verified_domains && !no_org) no_org = &t;
    if (!t.partners && !no_partners) no_partners = &t;
    if (t.verified_domains && t.partners && !fine) fine = &t;
  }
  REQUIRE(no_org != nullptr);
  REQUIRE(no_partners != nullptr);
  REQUIRE(fine != nullptr);
  HttpResult org = sim.get("/graph/v1.0/organization", sim.appToken(fine->id, kGraphScope));
  REQUIRE(org.status == 200);
  auto o = parseObject(org.body)->getArray("value")->getObject(0);
  CHECK(o->getArray("verifiedDomains")->size() == fine->verified_domains->size());
  HttpResult denied = sim.get("/graph/v1.0/organization", sim.appToken(no_org->id, kGraphScope));
  CHECK(denied.status == 403);
  CHECK(parseObject(denied.body)->getObject("error")->getValue<std::string>("code") ==
        "Authorization_RequestDenied");
  CHECK(sim.get("/graph/v1.0/policies/crossTenantAccessPolicy/partners",
                sim.appToken(no_partners->id, kGraphScope))
            .status == 403);
  CHECK(sim.get("/graph/v1.0/policies/crossTenantAccessPolicy/partners",
                sim.appToken(fine->id, kGraphScope))
            .status == 200);
  // The partner-side list is not served to a customer token.
  CHECK(sim.get("/graph/v1.0/tenantRelationships/delegatedAdminRelationships",
                sim.appToken(fine->id, kGraphScope))
            .status == 403);
  // Partner Center: a tenant that is not our customer is 404.
  const std::string pc = sim.appToken(kPartner, kPcScope);
  CHECK(sim.get("/pc/v1/customers/" + no_org->id, pc).status == 404);
  auto stats = parseObject(httpRequest("GET", sim.base + "/_sim/stats").body);
  CHECK(stats->getObject("requests")->getValue<int>("GET /graph/v1.0/organization") == 2);
}
