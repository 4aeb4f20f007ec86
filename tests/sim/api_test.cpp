// SPDX-License-Identifier: Apache-2.0
// The simulator over real HTTP on 127.0.0.1: paging, tokens, rotation, expiry, 403s.
#include "sim/api.h"

#include <set>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

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

  explicit Sim(size_t tenants = 250) : Sim(generateWorld(tenants, 42, kNow)) {}
  // These tests look at one route's shape at a time: one page size (as asked), /v1 links and
  // no empty pages. tests/sim/realism_test.cpp covers the varied, realistic profile.
  explicit Sim(World world, FaultInjector* faults = nullptr, SimProfile profile = plain())
      : api(std::move(world), login, clock, faults, profile), server(api) {
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
  static SimProfile plain() {
    SimProfile p;
    p.page_size = 1000;
    p.link_form = "v1";
    p.empty_pages = false;
    return p;
  }
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
    if (!doc->getObject("links")->has("next")) {
      CHECK_FALSE(doc->has("continuationToken"));
      break;
    }
    // Replay links.next as a generic client would: its URI and its headers. A continuation
    // token in the body, when there is one, is the same.
    auto next = doc->getObject("links")->getObject("next");
    auto header = next->getArray("headers")->getObject(0);
    CHECK(header->getValue<std::string>("key") == "MS-ContinuationToken");
    if (doc->has("continuationToken"))
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

TEST_CASE("sim: wrong credentials get AADSTS errors, tokens are for one tenant and audience") {
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
    "sim: access tokens expire, the refresh token rotates and a used one soon stops working") {
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

namespace {

// A MIME message as cspwatch renders one: CRLF, the four headers Graph's MIME format needs.
const std::string kMime =
    "From: cspwatch <alerts@northwind.example>\r\n"
    "To: admins@northwind.example\r\n"
    "Subject: [cspwatch] 1 new finding\r\n"
    "Message-ID: <0123abcd@northwind.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Contoso Ltd does not list us.\r\n";

std::string base64(const std::string& bytes, int line_length = 0) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(line_length);
  enc << bytes;
  enc.close();
  return out.str();
}

// POST with any content type (the support client sends forms only).
HttpResult post(const std::string& url, const std::map<std::string, std::string>& headers,
                const std::string& body, const std::string& content_type = "text/plain") {
  return testing::httpRequest("POST", url, headers, body, content_type);
}

HttpResult sendMail(const Sim& sim, const std::string& mailbox, const std::string& token,
                    const std::string& body, const std::string& content_type = "text/plain") {
  return post(sim.base + "/graph/v1.0/users/" + mailbox + "/sendMail",
              {{"Authorization", "Bearer " + token}, {"client-request-id", "c1d2"}}, body,
              content_type);
}

std::string errorCode(const HttpResult& r) {
  return parseObject(r.body)->getObject("error")->getValue<std::string>("code");
}

World mailboxWorld() {
  auto w = parseWorld(R"({"partner": {"name": "Northwind", "tenant_id": ")" + kPartner +
                          R"(", "email_domains": ["northwind.example"]},
      "tenants": [],
      "mailboxes": [
        {"address": "Alerts@Northwind.example", "id": "6A0B7C1D-2E3F-4A5B-8C6D-7E8F9A0B1C2D"},
        {"address": "ceo@northwind.example", "app_access": false}]})",
                      "mailboxes.json");
  INFO(w.status().message());
  REQUIRE(w);
  return std::move(w.value());
}

}  // namespace

TEST_CASE("sim: Graph sendMail takes a MIME message from the partner's app and records it") {
  Sim sim(5);
  const std::string token = sim.appToken(kPartner, kGraphScope);
  // '@' escaped or not, one-line base64 or wrapped at 76 with CRLF: the same message.
  HttpResult r = sendMail(sim, "alerts%40northwind.example", token, base64(kMime));
  CHECK(r.status == 202);
  CHECK(r.body.empty());
  CHECK(r.headers.count("content-type") == 0);
  CHECK_FALSE(r.headers["request-id"].empty());
  CHECK(r.headers["client-request-id"] == "c1d2");
  CHECK(sendMail(sim, "alerts@northwind.example", token, base64(kMime, 76)).status == 202);

  const auto sent = sim.api.sentMail();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].mailbox == "alerts@northwind.example");
  CHECK(sent[0].mime == kMime);
  CHECK(sent[1].mime == kMime);
  CHECK(sent[0].request_id == r.headers["request-id"]);
  CHECK(sent[0].request_id != sent[1].request_id);
  auto doc = parseObject(httpRequest("GET", sim.base + "/_sim/mail").body);
  auto messages = doc->getArray("messages");
  REQUIRE(messages->size() == 2);
  auto first = messages->getObject(0);
  CHECK(first->getValue<std::string>("mailbox") == "alerts@northwind.example");
  CHECK(first->getValue<std::string>("mime") == kMime);
  CHECK(first->getValue<std::string>("at") == "2026-11-25T00:00:00Z");
  auto stats = parseObject(httpRequest("GET", sim.base + "/_sim/stats").body);
  CHECK(stats->getObject("requests")->getValue<int>("POST /graph/v1.0/users/{id}/sendMail") == 2);
}

TEST_CASE("sim: Graph sendMail refuses bad base64, incomplete MIME and other tokens") {
  Sim sim(5);
  const std::string token = sim.appToken(kPartner, kGraphScope);
  const std::string box = "alerts@northwind.example";

  HttpResult bad = sendMail(sim, box, token, "not base64 at all!");
  CHECK(bad.status == 400);
  CHECK(errorCode(bad) == "ErrorMimeContentInvalidBase64String");
  CHECK(errorCode(sendMail(sim, box, token, base64(kMime).substr(1))) ==
        "ErrorMimeContentInvalidBase64String");  // a length that is not a multiple of 4
  CHECK(errorCode(sendMail(sim, box, token, "QQ==QUFB")) ==
        "ErrorMimeContentInvalidBase64String");  // data after the padding

  // Decodes, but lacks headers Graph needs to send it.
  const std::string no_id =
      "From: a@northwind.example\r\nTo: b@northwind.example\r\n"
      "Subject: hi\r\n\r\nbody\r\n";
  HttpResult incomplete = sendMail(sim, box, token, base64(no_id));
  CHECK(incomplete.status == 400);
  CHECK(errorCode(incomplete) == "ErrorMimeContentInvalid");
  CHECK_THAT(incomplete.body, Catch::Contains("Message-ID"));
  HttpResult body_only = sendMail(sim, box, token, base64("just a body, no headers"));
  CHECK(errorCode(body_only) == "ErrorMimeContentInvalid");
  CHECK_THAT(body_only.body, Catch::Contains("From, To, Subject, Message-ID"));
  // Headers that appear only in the body do not count.
  CHECK(sendMail(sim, box, token, base64("X-A: 1\r\n\r\n" + kMime)).status == 400);

  // JSON format is not simulated; other media types are refused.
  CHECK(sendMail(sim, box, token, "{}", "application/json").status == 400);
  CHECK(sendMail(sim, box, token, base64(kMime), "application/octet-stream").status == 415);
  CHECK(sim.get("/graph/v1.0/users/" + box + "/sendMail", token).status == 405);

  // Only an app-only Graph token of the partner tenant may send as its mailboxes.
  HttpResult customer =
      sendMail(sim, box, sim.appToken(sim.api.world().tenants[0].id, kGraphScope), base64(kMime));
  CHECK(customer.status == 403);
  CHECK(errorCode(customer) == "ErrorAccessDenied");
  HttpResult user =
      sim.tokenRequest(kPartner,
                       "grant_type=refresh_token&client_id=11111111-2222-4333-8444-555555555555"
                       "&client_secret=s3cret&refresh_token=" +
                           urlEncode(sim.login.issueRefreshToken(sim.clock.now())) +
                           "&scope=" + urlEncode(kGraphScope));
  REQUIRE(user.status == 200);
  CHECK(sendMail(sim, box, parseObject(user.body)->getValue<std::string>("access_token"),
                 base64(kMime))
            .status == 403);
  CHECK(sendMail(sim, box, sim.appToken(kPartner, kPcScope), base64(kMime)).status == 401);
  CHECK(post(sim.base + "/graph/v1.0/users/" + box + "/sendMail", {}, base64(kMime)).status == 401);
  CHECK(sim.api.sentMail().empty());
}

TEST_CASE("sim: a world may list the partner's mailboxes: others are 404, a refused one 403") {
  World world = mailboxWorld();
  REQUIRE(world.mailboxes);
  REQUIRE(world.mailboxes->size() == 2);
  CHECK((*world.mailboxes)[0].id == "6a0b7c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d");
  CHECK((*world.mailboxes)[0].app_access);
  CHECK_FALSE((*world.mailboxes)[1].app_access);
  // The list survives a round trip; worlds without it still load and have none.
  auto again = parseWorld(worldToJson(world), "again.json");
  REQUIRE(again);
  REQUIRE(again->mailboxes);
  CHECK((*again->mailboxes)[1].address == "ceo@northwind.example");
  CHECK_FALSE((*again->mailboxes)[1].app_access);
  auto demo = loadWorld(testing::sourcePath("etc/demo/world.json"));
  REQUIRE(demo);
  CHECK_FALSE(demo->mailboxes);
  CHECK(worldToJson(*demo).find("mailboxes") == std::string::npos);
  // Mistakes are reported with their place.
  auto broken = parseWorld(R"({"partner": {"name": "N", "tenant_id": ")" + kPartner +
                               R"(", "email_domains": ["n.example"]}, "tenants": [],
      "mailboxes": [{"address": "not an address", "app_acess": true}]})",
                           "broken.json");
  REQUIRE_FALSE(broken);
  CHECK_THAT(broken.status().message(), Catch::Contains("not an email address"));
  CHECK_THAT(broken.status().message(), Catch::Contains("app_acess"));
  CHECK_FALSE(parseWorld(R"({"partner": {"name": "N", "tenant_id": ")" + kPartner +
                             R"(", "email_domains": ["n.example"]}, "tenants": [],
      "mailboxes": "alerts@n.example"})",
                         "broken.json"));

  Sim sim(std::move(world));
  const std::string token = sim.appToken(kPartner, kGraphScope);
  CHECK(sendMail(sim, "alerts@northwind.example", token, base64(kMime)).status == 202);
  CHECK(sendMail(sim, "6a0b7c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d", token, base64(kMime)).status == 202);
  HttpResult unknown = sendMail(sim, "nobody@northwind.example", token, base64(kMime));
  CHECK(unknown.status == 404);
  CHECK(errorCode(unknown) == "ErrorInvalidUser");
  HttpResult refused = sendMail(sim, "ceo@northwind.example", token, base64(kMime));
  CHECK(refused.status == 403);
  CHECK(errorCode(refused) == "ErrorAccessDenied");
  CHECK_THAT(refused.body, Catch::Contains("AccessPolicy"));
  CHECK(sim.api.sentMail().size() == 2);
}

TEST_CASE("sim: sendMail meets the Graph bucket and injected faults like other Graph calls") {
  FaultOptions options;
  options.graph_per_10s = 2;   // two requests, then the bucket is empty (its clock stands still)
  options.graph_burst_s = 10;  // the bucket holds the 10 s window: two requests
  FaultInjector faults(options, [] { return 0.0; });
  Sim sim(generateWorld(5, 42, kNow), &faults);
  const std::string token = sim.appToken(kPartner, kGraphScope);
  CHECK(sendMail(sim, "a@northwind.example", token, base64(kMime)).status == 202);
  CHECK(sendMail(sim, "a@northwind.example", token, base64(kMime)).status == 202);
  HttpResult throttled = sendMail(sim, "a@northwind.example", token, base64(kMime));
  CHECK(throttled.status == 429);
  CHECK(errorCode(throttled) == "TooManyRequests");
  CHECK_FALSE(throttled.headers["retry-after"].empty());
  CHECK(sim.api.sentMail().size() == 2);

  // A server error decided by the fault injector: nothing is recorded.
  FaultOptions failing;
  failing.server_error = 1;
  FaultInjector always(failing);
  SimApi faulty(generateWorld(5, 42, kNow), sim.login, sim.clock, &always);
  SimServer server(faulty);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.start(0, 2));
  HttpResult failed = post(base + "/graph/v1.0/users/a@northwind.example/sendMail",
                           {{"Authorization", "Bearer " + token}}, base64(kMime));
  CHECK(failed.status == 503);
  CHECK(faulty.sentMail().empty());
  CHECK(parseObject(faulty.statsJson())->getValue<int>("faults_server_error") == 1);
}
