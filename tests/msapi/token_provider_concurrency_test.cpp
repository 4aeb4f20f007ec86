// SPDX-License-Identifier: Apache-2.0
// TokenProvider's grants at the same time (the simulated Entra ID, each token request held
// 300 ms): sign-ins to different tenants overlap, callers of one tenant share one grant, the
// stored refresh token stays at least as new as every token presented, and a rotated token that
// cannot be stored keeps its access token from being handed out.
#include <filesystem>
#include <future>
#include <set>
#include <vector>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "common/text.h"
#include "tests/msapi/sign_in_sim.h"

using namespace cspwatch;
using namespace cspwatch::msapi;
using namespace cspwatch::testing;

namespace {

// The app registration, its token endpoint answering after `latency_ms`, on a server that
// answers up to 16 requests at once.
struct SlowSignIn {
  SignInSim sim;
  TempDir dir;
  std::string rt_file;
  explicit SlowSignIn(int latency_ms) : sim(options(latency_ms), 16) {
    rt_file = dir.file("refresh_token");
    REQUIRE(
        writeFileAtomically(rt_file, sim.login.issueRefreshToken(sim.clock.now()) + "\n", 0600));
  }
  static sim::LoginOptions options(int latency_ms) {
    sim::LoginOptions o = appRegistration(false);
    o.token_latency_ms = latency_ms;
    return o;
  }
  std::vector<std::string> customers() const {
    std::vector<std::string> ids;
    for (const auto& t : sim.api.world().tenants)
      if (t.id != sim.partner) ids.push_back(t.id);
    return ids;
  }
  // The stored token's sequence number at the simulator, and whether it would accept it now.
  sim::LoginService::RefreshTokenLookup stored() {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(std::string(trim(readFile(rt_file))));
    return sim.login.lookUpRefreshToken(Poco::DigestEngine::digestToHex(sha.digest()),
                                        sim.clock.now());
  }
};

// Runs `call` on `n` threads at once; the results in order.
template <typename Call>
std::vector<Result<std::string>> atOnce(int n, Call call) {
  std::vector<std::future<Result<std::string>>> running;
  for (int i = 0; i < n; ++i) running.push_back(std::async(std::launch::async, call, i));
  std::vector<Result<std::string>> results;
  for (auto& r : running) results.push_back(r.get());
  return results;
}

}  // namespace

TEST_CASE(
    "token provider: sign-ins to different tenants run at once, and the stored refresh token is "
    "at least as new as every one presented") {
  SlowSignIn s(300);
  const auto customers = s.customers();
  REQUIRE(customers.size() >= 8);
  HttpClient http;
  TokenProvider tokens(simCredentials(s.sim, s.rt_file, Proof::kSecret), http, s.sim.clock);
  auto results = atOnce(8, [&](int i) { return tokens.userToken(customers[i], Audience::kGraph); });
  std::set<std::string> distinct;
  for (const auto& r : results) {
    INFO(r.status().message());
    REQUIRE(r);
    distinct.insert(*r);
  }
  CHECK(distinct.size() == 8);
  CHECK(s.sim.tokenRequests() == 8);
  const sim::RefreshTokenStats stats = s.sim.login.refreshTokenStats();
  // One at a time, each 300 ms grant would end before the next began: 1. Held 300 ms each,
  // eight requests sent together overlap whatever the machine's load short of that.
  CHECK(stats.token_requests_in_flight_max >= 4);
  WARN("8 sign-ins at once: at most " << stats.token_requests_in_flight_max
                                      << " token requests in flight");
  const auto stored = s.stored();
  CHECK(stored.seq >= stats.highest_presented);
  CHECK(stored.accepted);
  // Every customer again: cached, no request.
  for (int i = 0; i < 8; ++i)
    CHECK(*tokens.userToken(customers[i], Audience::kGraph) == *results[i]);
  CHECK(s.sim.tokenRequests() == 8);
}

TEST_CASE("token provider: callers who ask for the same token at once share one grant") {
  SlowSignIn s(300);
  HttpClient http;
  TokenProvider tokens(simCredentials(s.sim, s.rt_file, Proof::kSecret), http, s.sim.clock);
  SECTION("app-only") {
    auto results = atOnce(6, [&](int) { return tokens.appToken(s.sim.partner, Audience::kGraph); });
    for (const auto& r : results) {
      REQUIRE(r);
      CHECK(*r == *results[0]);
    }
    CHECK(s.sim.tokenRequests() == 1);
  }
  SECTION("App+User") {
    auto results =
        atOnce(6, [&](int) { return tokens.userToken(s.sim.customer, Audience::kGraph); });
    for (const auto& r : results) {
      REQUIRE(r);
      CHECK(*r == *results[0]);
    }
    CHECK(s.sim.tokenRequests() == 1);
  }
}

TEST_CASE(
    "token provider: a rotated refresh token that cannot be stored is an ioError, and its access "
    "token is not handed out") {
  SignInSim sim(appRegistration(false));
  TempDir dir;
  const std::string folder = dir.file("secrets");
  std::filesystem::create_directory(folder);
  const std::string rt_file = folder + "/refresh_token";
  REQUIRE(writeFileAtomically(rt_file, sim.login.issueRefreshToken(sim.clock.now()) + "\n", 0600));
  HttpClient http;
  TokenProvider tokens(simCredentials(sim, rt_file, Proof::kSecret), http, sim.clock);
  REQUIRE(tokens.userToken(sim.partner, Audience::kPartnerCenter));
  // The folder goes (a full or failing disk would do the same): no temporary file, no rename.
  std::filesystem::remove_all(folder);
  auto failed = tokens.userToken(sim.customer, Audience::kGraph);
  REQUIRE_FALSE(failed);
  CHECK(failed.status().code() == Status::Code::kIoError);
  CHECK_THAT(failed.status().message(), Catch::StartsWith("cannot store the refresh token: "));
  CHECK(failed.status().message().find("rt.") == std::string::npos);
  CHECK(sim.tokenRequests() == 2);
  // Nothing was cached: the next call asks again, and stores once it can.
  std::filesystem::create_directory(folder);
  auto again = tokens.userToken(sim.customer, Audience::kGraph);
  INFO(again.status().message());
  REQUIRE(again);
  CHECK(sim.tokenRequests() == 3);
  CHECK(std::filesystem::exists(rt_file));
}
