// SPDX-License-Identifier: Apache-2.0
// The refresh-token stats hook (GET /_sim/refresh-tokens/stats): each issued refresh token's
// sequence number, the newest one a grant presented, a token looked up by the SHA-256 of its
// text (never printed), and the token requests in flight under the token endpoint's latency.
#include <future>
#include <vector>

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Object.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "tests/support/http_client.h"

using namespace cspwatch;
using cspwatch::testing::httpRequest;
using cspwatch::testing::parseObject;
using cspwatch::testing::urlEncode;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kClient = "11111111-2222-4333-8444-555555555555";
const std::string kPartner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
const std::string kScope = "https://api.partnercenter.microsoft.com/user_impersonation";

struct Sim {
  ManualClock clock{kNow};
  sim::LoginService login;
  sim::SimApi api;
  sim::SimServer server;
  std::string base;
  explicit Sim(int token_latency_ms)
      : login(options(token_latency_ms), 3),
        api(sim::generateWorld(4, 3, kNow), login, clock),
        server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 8));
  }
  static sim::LoginOptions options(int token_latency_ms) {
    sim::LoginOptions o{kClient, "s3cret", Seconds(3600), Seconds(60), "", true};
    o.token_latency_ms = token_latency_ms;
    return o;
  }
  std::string tokenUrl() const { return base + "/login/" + kPartner + "/oauth2/v2.0/token"; }
  // The refresh grant presenting `rt`; the new refresh token it answers with.
  std::string refresh(const std::string& rt) const {
    auto r = httpRequest("POST", tokenUrl(), {},
                         "grant_type=refresh_token&client_id=" + kClient + "&client_secret=s3cret" +
                             "&refresh_token=" + urlEncode(rt) + "&scope=" + urlEncode(kScope));
    INFO(r.body);
    REQUIRE(r.status == 200);
    return parseObject(r.body)->getValue<std::string>("refresh_token");
  }
  Poco::JSON::Object::Ptr stats(const std::string& query = "") const {
    auto r = httpRequest("GET", base + "/_sim/refresh-tokens/stats" + query);
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.body.find("rt.") == std::string::npos);  // no token, ever
    return parseObject(r.body);
  }
};

std::string sha256Hex(const std::string& text) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(text);
  return Poco::DigestEngine::digestToHex(sha.digest());
}

}  // namespace

TEST_CASE(
    "sim login: the refresh-token stats number each token, keep the newest presented and look a "
    "token up by its hash") {
  Sim sim(0);
  auto none = sim.stats();
  CHECK(none->getValue<int64_t>("issued") == 0);
  CHECK(none->getValue<int64_t>("highest_presented") == 0);
  CHECK_FALSE(none->has("seq"));

  const std::string first = sim.login.issueRefreshToken(kNow);
  const std::string second = sim.refresh(first);
  const std::string third = sim.refresh(second);
  (void)sim.refresh(first);  // a used token again, within its grace: the fourth
  auto s = sim.stats();
  CHECK(s->getValue<int64_t>("issued") == 4);
  CHECK(s->getValue<int64_t>("highest_presented") == 2);  // `second`; `first` again lowers nothing

  auto lookup = [&](const std::string& token) { return sim.stats("?sha256=" + sha256Hex(token)); };
  CHECK(lookup(first)->getValue<int64_t>("seq") == 1);
  CHECK(lookup(second)->getValue<int64_t>("seq") == 2);
  CHECK(lookup(third)->getValue<int64_t>("seq") == 3);
  CHECK(lookup(first)->getValue<bool>("accepted"));
  auto unknown = lookup("rt.never-issued");
  CHECK(unknown->getValue<int64_t>("seq") == 0);
  CHECK_FALSE(unknown->getValue<bool>("accepted"));
  // Upper-case hex is the same hash.
  CHECK(sim.stats("?sha256=" + Poco::toUpper(sha256Hex(third)))->getValue<int64_t>("seq") == 3);

  // Past the grace a used token is no longer accepted; an unused one still is.
  sim.clock.advance(Seconds(61));
  CHECK_FALSE(lookup(first)->getValue<bool>("accepted"));
  CHECK_FALSE(lookup(second)->getValue<bool>("accepted"));
  CHECK(lookup(third)->getValue<bool>("accepted"));

  CHECK(httpRequest("POST", sim.base + "/_sim/refresh-tokens/stats").status == 405);
  auto counted = parseObject(sim.api.statsJson())->getObject("requests");
  CHECK(counted->optValue<int64_t>("GET /_sim/refresh-tokens/stats", 0) >= 8);
}

TEST_CASE(
    "sim login: with the token endpoint's latency, token requests overlap and the stats count "
    "them in flight") {
  // Four requests sent at once, each held 1 s before it is answered: all four are in flight
  // together (the server has eight threads), whatever the machine's load short of 1 s.
  Sim sim(1000);
  std::vector<std::future<int>> answers;
  for (int i = 0; i < 4; ++i)
    answers.push_back(std::async(std::launch::async, [&] {
      return httpRequest("POST", sim.tokenUrl(), {},
                         "grant_type=client_credentials&client_id=" + kClient +
                             "&client_secret=s3cret&scope=" +
                             urlEncode("https://graph.microsoft.com/.default"))
          .status;
    }));
  for (auto& a : answers) CHECK(a.get() == 200);
  auto s = sim.stats();
  CHECK(s->getValue<int64_t>("token_requests_in_flight_max") == 4);
  CHECK(s->getValue<int64_t>("token_requests_in_flight") == 0);
}
