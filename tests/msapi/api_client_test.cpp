// SPDX-License-Identifier: Apache-2.0
// The Microsoft client (msapi/) against the simulator and a misbehaving server: token
// rotation across a restart, certificate sign-in, paging loops, prompt shutdown.
#include "msapi/api_client.h"

#include <atomic>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/text.h"
#include "msapi/token_provider.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "tests/msapi/test_server.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::msapi;
using cspwatch::testing::TempDir;
using cspwatch::testing::TestServer;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kPartner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
const std::string kClient = "11111111-2222-4333-8444-555555555555";

struct Sim {
  ManualClock clock{kNow};
  sim::LoginService login;
  sim::FaultInjector faults;
  sim::SimApi api;
  sim::SimServer server;
  std::string base;
  Sim(const std::string& pem = "", sim::FaultOptions f = {})
      : login(sim::LoginOptions{kClient, "s3cret", Seconds(3600), Seconds(60), pem, true}, 8),
        faults(f),
        api(sim::generateWorld(30, 8, kNow), login, clock, &faults),
        server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 4));
  }
};

const std::pair<int, std::string> kToken = {200, R"({"access_token":"t","expires_in":3600})"};

}  // namespace

TEST_CASE("source client: each rotated refresh token is stored at once and survives a restart") {
  Sim sim;
  TempDir dir;
  const std::string file = dir.file("refresh_token");
  const std::string first = sim.login.issueRefreshToken(sim.clock.now());
  REQUIRE(writeFileAtomically(file, first + "\n", 0600));
  HttpClient http;
  Credentials c{sim.base + "/login", kClient, "s3cret", "", "", file};
  {
    TokenProvider tokens(c, http, sim.clock);
    REQUIRE(tokens.userToken(kPartner, Audience::kPartnerCenter));
    REQUIRE(tokens.userToken("72e6dc16-14e1-4e89-9b69-c4f1cf07ab4d",
                             Audience::kGraph));  // another tenant, same chain
  }
  const std::string stored(trim(testing::readFile(file)));
  CHECK(stored != first);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // "Restart": past the old token's grace period, a new provider reads the stored token and works.
  sim.clock.advance(Seconds(120));
  TokenProvider restarted(c, http, sim.clock);
  auto token = restarted.userToken(kPartner, Audience::kGraph);
  INFO(token.status().message());
  CHECK(token);
  // The first token is dead by now: a provider still holding it is refused, clearly.
  REQUIRE(writeFileAtomically(file, first + "\n", 0600));
  TokenProvider stale(c, http, sim.clock);
  auto refused = stale.userToken(kPartner, Audience::kGraph);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.status().message(), Catch::Contains("invalid_grant"));
  CHECK(refused.status().message().find(first) == std::string::npos);
}

TEST_CASE("source client: a certificate client assertion signs in to the simulator") {
  TempDir dir;
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cspwatch -keyout " +
      dir.file("key.pem") + " -out " + dir.file("cert.pem") + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  Sim sim(testing::readFile(dir.file("cert.pem")));
  HttpClient http;
  SystemClock clock;  // the assertion's time must be real: the simulator checks expiry by its clock
  sim.clock.set(clock.now());
  TokenProvider tokens(
      {sim.base + "/login", kClient, "", dir.file("cert.pem"), dir.file("key.pem"), ""}, http,
      clock);
  auto token = tokens.appToken(kPartner, Audience::kGraph);
  INFO(token.status().message());
  CHECK(token);
  TokenProvider wrong(
      {sim.base + "/login", kClient, "", dir.file("cert.pem"), dir.file("nokey.pem"), ""}, http,
      clock);
  auto bad = wrong.appToken(kPartner, Audience::kGraph);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.status().message(), Catch::Contains("nokey.pem"));
}

// Pages all customers from Partner Center and all GDAP relationships from Graph on a server
// at `base` (whose /login answers tokens): the two outcomes.
namespace {
std::pair<Status, Status> pageBoth(const std::string& base) {
  HttpClient http;
  ManualClock clock(kNow);
  TokenProvider tokens({base + "/login", kClient, "s", "", "", ""}, http, clock);
  Cancellation cancel;
  ApiClient api(http, tokens, cancel);
  Status pc =
      api.pagePartnerCenter({Api::kPartnerCenter, base + "/pc/v1/customers", kPartner, false, {}},
                            [](const Poco::JSON::Array::Ptr&) {});
  Status graph = api.pageGraph({Api::kGraph, base + "/graph/start", kPartner, false, {}},
                               [](const Poco::JSON::Array::Ptr&) {});
  return {pc, graph};
}

}  // namespace

TEST_CASE("source client: a server whose pages loop is refused, not followed forever") {
  std::string base;
  TestServer server([&base](const std::string& path) -> std::pair<int, std::string> {
    if (path.rfind("/login/", 0) == 0) return kToken;
    if (path.rfind("/pc/", 0) == 0)
      return {
          200,
          R"({"items":[],"continuationToken":"same","links":{"next":{"uri":"/v1/customers?seekOperation=Next",)"
          R"("headers":[{"key":"MS-ContinuationToken","value":"same"}]}}})"};
    return {200, R"({"value":[],"@odata.nextLink":")" + base + R"(/graph/again"})"};
  });
  base = server.base;
  const auto [pc, graph] = pageBoth(base);
  CHECK(pc.code() == Status::Code::kCorruption);
  CHECK_THAT(pc.message(), Catch::Contains("refusing to loop"));
  CHECK(graph.code() == Status::Code::kCorruption);
}

TEST_CASE("source client: a next-page link to another server is refused, with no token sent") {
  // A next link elsewhere would carry our bearer token to that server.
  std::atomic<int> elsewhere_hits{0};
  TestServer elsewhere([&elsewhere_hits](const std::string&) -> std::pair<int, std::string> {
    ++elsewhere_hits;
    return {200, R"({"value":[],"items":[]})"};
  });
  const std::string other = elsewhere.base;
  TestServer server([&other](const std::string& path) -> std::pair<int, std::string> {
    if (path.rfind("/login/", 0) == 0) return kToken;
    if (path.rfind("/pc/", 0) == 0)
      return {200, R"({"items":[],"links":{"next":{"uri":")" + other +
                       R"(/v1/customers?seekOperation=Next","headers":[]}}})"};
    return {200, R"({"value":[],"@odata.nextLink":")" + other + R"(/graph/next?$skiptoken=x"})"};
  });
  const auto [pc, graph] = pageBoth(server.base);
  CHECK(pc.code() == Status::Code::kCorruption);
  CHECK_THAT(pc.message(), Catch::Contains("another server"));
  CHECK(graph.code() == Status::Code::kCorruption);
  CHECK_THAT(graph.message(), Catch::Contains("another server"));
  CHECK(elsewhere_hits == 0);
}

TEST_CASE("source client: shutdown during a backoff returns promptly") {
  TestServer server([](const std::string& path) -> std::pair<int, std::string> {
    if (path.rfind("/login/", 0) == 0) return kToken;
    return {503, R"({"error":{"code":"serviceNotAvailable","message":"down"}})"};
  });
  HttpClient http;
  ManualClock clock(kNow);
  TokenProvider tokens({server.base + "/login", kClient, "s", "", "", ""}, http, clock);
  Cancellation cancel;
  ApiOptions options;
  // A wait of 10 to 15 minutes after the first failure.
  options.backoff_base = std::chrono::minutes(10);
  options.backoff_max = std::chrono::hours(1);
  ApiClient api(http, tokens, cancel, options);
  std::promise<Status> outcome;
  std::future<Status> returned = outcome.get_future();
  std::thread caller([&] {
    outcome.set_value(
        api.get({Api::kGraph, server.base + "/graph/x", kPartner, false, {}}).status());
  });
  // Cancel once the first attempt has been answered, i.e. while the client waits to retry.
  while (api.counters().requests.load() < 1) std::this_thread::yield();
  cancel.cancel();
  // A hang guard, far above the moment it takes and far below the backoff. Should it fire, the
  // test ends there (the caller cannot be stopped): failed.
  REQUIRE(returned.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  caller.join();
  CHECK(returned.get().code() == Status::Code::kAborted);
}

TEST_CASE("source client: plain http only to loopback, bodies bounded, gzip decoded") {
  HttpClient http;
  auto refused = http.send({"GET", "http://graph.microsoft.com/v1.0/organization", {}, "", ""});
  REQUIRE_FALSE(refused);
  CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(refused.status().message(), Catch::Contains("only https"));
  CHECK(isLoopbackUrl("http://127.0.0.1:8080/x"));
  CHECK(isLoopbackUrl("http://localhost/x"));
  CHECK_FALSE(isLoopbackUrl("http://10.0.0.1/x"));

  TestServer server([](const std::string& path) -> std::pair<int, std::string> {
    if (path == "/big") return {200, std::string(2 * 1024 * 1024, 'x')};
    return {200, R"({"ok":true})"};
  });
  HttpOptions small;
  small.max_body_bytes = 1024 * 1024;
  auto big = HttpClient(small).send({"GET", server.base + "/big", {}, "", ""});
  REQUIRE_FALSE(big);
  CHECK_THAT(big.status().message(), Catch::Contains("larger than"));
  auto fine = HttpClient(small).send({"GET", server.base + "/fine", {}, "", ""});
  REQUIRE(fine);
  CHECK(fine->body == R"({"ok":true})");
  auto gz = HttpClient(small).send({"GET", server.base + "/gz", {}, "", ""});
  REQUIRE(gz);
  CHECK(gz->header("content-encoding") == "gzip");
  CHECK(gz->body == R"({"ok":true})");
}
