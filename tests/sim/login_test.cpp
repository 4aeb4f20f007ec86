// SPDX-License-Identifier: Apache-2.0
// The login endpoint beyond secrets: certificate client assertions (RS256) and the device-code
// flow; and the partner-side Graph resources that complete the relationship view.
#include <cstdlib>

#include <Poco/Crypto/RSAKey.h>
#include <Poco/JSON/Object.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "sim/api.h"
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
using cspwatch::testing::TempDir;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kPartner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
const std::string kClient = "11111111-2222-4333-8444-555555555555";

// A key pair and a self-signed certificate made with the openssl command.
struct Certificate {
  TempDir dir;
  std::string key, cert;
  Certificate() {
    key = dir.file("key.pem");
    cert = dir.file("cert.pem");
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cspwatch-test -keyout " + key +
        " -out " + cert + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
};

struct Sim {
  ManualClock clock{kNow};
  LoginService login;
  SimApi api;
  SimServer server;
  std::string base;
  Sim(const std::string& pem, bool auto_device)
      : login(LoginOptions{kClient, "s3cret", Seconds(3600), Seconds(60), pem, auto_device}, 3),
        api(generateWorld(40, 3, kNow), login, clock),
        server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 2));
  }
  std::string tokenUrl() const { return base + "/login/" + kPartner + "/oauth2/v2.0/token"; }
};

std::string assertion(const std::string& key_file, const std::string& audience, Timestamp exp,
                      const std::string& jti) {
  Poco::JWT::Token token;
  token.setType("JWT");
  token.setIssuer(kClient);
  token.setSubject(kClient);
  token.setAudience(audience);
  token.setId(jti);
  token.setIssuedAt(Poco::Timestamp::fromEpochTime(toUnixSeconds(exp) - 600));
  token.setExpiration(Poco::Timestamp::fromEpochTime(toUnixSeconds(exp)));
  Poco::JWT::Signer signer(new Poco::Crypto::RSAKey("", key_file));
  return signer.sign(token, Poco::JWT::Signer::ALGO_RS256);
}

}  // namespace

TEST_CASE(
    "sim login: an RS256 client assertion signed with the registered certificate's key works") {
  Certificate good, other;
  Sim sim(testing::readFile(good.cert), true);
  auto request = [&](const std::string& jwt) {
    return httpRequest("POST", sim.tokenUrl(), {},
                       "grant_type=client_credentials&client_id=" + kClient +
                           "&client_assertion_type=" +
                           urlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                           "&client_assertion=" + urlEncode(jwt) +
                           "&scope=" + urlEncode("https://graph.microsoft.com/.default"));
  };
  const Timestamp exp = kNow + std::chrono::minutes(10);
  HttpResult ok = request(assertion(good.key, sim.tokenUrl(), exp, "a1"));
  INFO(ok.body);
  CHECK(ok.status == 200);
  CHECK(parseObject(ok.body)->has("access_token"));
  // Replayed, signed by another key, for another audience, or expired: refused.
  CHECK(request(assertion(good.key, sim.tokenUrl(), exp, "a1")).status == 401);
  HttpResult wrong_key = request(assertion(other.key, sim.tokenUrl(), exp, "a2"));
  CHECK(wrong_key.status == 401);
  CHECK_THAT(wrong_key.body, Catch::Contains("AADSTS700027"));
  CHECK(request(assertion(good.key, "https://example.com/token", exp, "a3")).status == 401);
  CHECK(request(assertion(good.key, sim.tokenUrl(), kNow - std::chrono::minutes(1), "a4")).status ==
        401);
}

TEST_CASE("sim login: the device-code flow is pending until approved, then gives a refresh token") {
  Sim sim("", false);
  HttpResult dc = httpRequest(
      "POST", sim.base + "/login/" + kPartner + "/oauth2/v2.0/devicecode", {},
      "client_id=" + kClient + "&scope=" +
          urlEncode("https://api.partnercenter.microsoft.com/user_impersonation offline_access"));
  REQUIRE(dc.status == 200);
  auto d = parseObject(dc.body);
  CHECK(d->getValue<std::string>("verification_uri") == "https://microsoft.com/devicelogin");
  const std::string poll =
      "grant_type=" + urlEncode("urn:ietf:params:oauth:grant-type:device_code") +
      "&client_id=" + kClient +
      "&device_code=" + urlEncode(d->getValue<std::string>("device_code"));
  HttpResult pending = httpRequest("POST", sim.tokenUrl(), {}, poll);
  CHECK(pending.status == 400);
  CHECK(parseObject(pending.body)->getValue<std::string>("error") == "authorization_pending");
  REQUIRE(httpRequest("POST", sim.base + "/_sim/approve-device?user_code=" +
                                  d->getValue<std::string>("user_code"))
              .status == 200);
  HttpResult done = httpRequest("POST", sim.tokenUrl(), {}, poll);
  REQUIRE(done.status == 200);
  auto t = parseObject(done.body);
  CHECK(t->has("refresh_token"));
  // The access token acts for the consented user: App+User operations work.
  HttpResult rr =
      httpRequest("GET", sim.base + "/pc/v1/customers/relationshiprequests",
                  {{"Authorization", "Bearer " + t->getValue<std::string>("access_token")}});
  CHECK(rr.status == 200);
  CHECK(httpRequest("POST", sim.tokenUrl(), {}, poll).status == 400);  // a device code is used once
}

TEST_CASE("sim graph: access assignments and contracts complete the partner-side view") {
  Sim sim("", true);
  HttpResult tok = httpRequest(
      "POST", sim.tokenUrl(), {},
      "grant_type=client_credentials&client_id=" + kClient +
          "&client_secret=s3cret&scope=" + urlEncode("https://graph.microsoft.com/.default"));
  const std::string bearer =
      "Bearer " + parseObject(tok.body)->getValue<std::string>("access_token");
  HttpResult list = httpRequest(
      "GET", sim.base + "/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=5",
      {{"Authorization", bearer}});
  const std::string id =
      parseObject(list.body)->getArray("value")->getObject(0)->getValue<std::string>("id");
  HttpResult aa =
      httpRequest("GET",
                  sim.base + "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/" + id +
                      "/accessAssignments",
                  {{"Authorization", bearer}});
  REQUIRE(aa.status == 200);
  auto value = parseObject(aa.body)->getArray("value");
  REQUIRE(value->size() == 1);
  CHECK(value->getObject(0)
            ->getObject("accessContainer")
            ->getValue<std::string>("accessContainerType") == "securityGroup");
  CHECK(
      httpRequest(
          "GET",
          sim.base +
              "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/nope/accessAssignments",
          {{"Authorization", bearer}})
          .status == 404);
  HttpResult contracts =
      httpRequest("GET", sim.base + "/graph/v1.0/contracts", {{"Authorization", bearer}});
  REQUIRE(contracts.status == 200);
  size_t dap = 0;
  for (const auto& t : sim.api.world().tenants)
    dap += t.in_customer_list.value_or(false) && t.dap_enabled.value_or(false);
  CHECK(parseObject(contracts.body)->getArray("value")->size() == dap);
}
