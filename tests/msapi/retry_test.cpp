// SPDX-License-Identifier: Apache-2.0
// Retries and request identity as Graph and Partner Center ask for them: Retry-After on 429,
// 503 and 504 (seconds or an HTTP-date, capped), a fresh client-request-id on every Graph
// attempt, User-Agent on every request, Graph's request-id logged when a request fails. Over a
// real HTTP server on 127.0.0.1. The Retry-After tests record the waits the client asks for
// instead of sleeping them (Cancellation's Sleeper) and check them exactly; the shutdown test
// sleeps for real, and the request identity tests their 10 ms backoffs.
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/guid.h"
#include "common/logging.h"
#include "msapi/api_client.h"
#include "msapi/token_provider.h"
#include "tests/msapi/test_server.h"

#ifndef CSPWATCH_EXPECTED_VERSION
#error "CSPWATCH_EXPECTED_VERSION comes from tests/msapi/CMakeLists.txt"
#endif

using namespace cspwatch;
using namespace cspwatch::msapi;
using cspwatch::testing::Reply;
using cspwatch::testing::SeenRequest;
using cspwatch::testing::TestServer;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kPartner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
// Long enough for the logger's redactor and a search of the log to mean something.
const std::string kTokenValue = "eyJ0eXAiOiJKV1QiLCJhbGciOi-test-token";
const std::string kTokenBody =
    R"({"access_token":")" + kTokenValue + R"(","expires_in":3600,"token_type":"Bearer"})";

std::string httpDate(Timestamp t, const std::string& format = Poco::DateTimeFormat::HTTP_FORMAT) {
  return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(toUnixSeconds(t)), format);
}

// The waits a client asks for, in order, each returning at once instead of sleeping.
class WaitLog {
 public:
  Cancellation::Sleeper sleeper() {
    return [this](std::chrono::nanoseconds d) {
      std::lock_guard<std::mutex> lock(mutex_);
      asked_.push_back(d);
      return true;
    };
  }
  std::vector<std::chrono::nanoseconds> asked() {
    std::lock_guard<std::mutex> lock(mutex_);
    return asked_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::chrono::nanoseconds> asked_;
};

struct Client {
  HttpClient http{HttpOptions{}, ProxyEnvironment{}};
  ManualClock clock{kNow};
  TokenProvider tokens;
  Cancellation cancel;
  ApiClient api;
  static Credentials credentials(const std::string& base) {
    Credentials c;
    c.login_url = base + "/login";
    c.client_id = "11111111-2222-4333-8444-555555555555";
    c.client_secret = "s";
    return c;
  }
  ApiOptions withClock(ApiOptions o) {
    o.clock = &clock;
    return o;
  }
  static ApiOptions fast() {
    ApiOptions o;
    o.backoff_base = std::chrono::milliseconds(10);  // a retry without Retry-After is quick
    return o;
  }
  // `sleeper`: where the client's waits go (WaitLog); empty, they are slept.
  explicit Client(const std::string& base, ApiOptions options = fast(),
                  Cancellation::Sleeper sleeper = {})
      : tokens(credentials(base), http, clock),
        cancel(std::move(sleeper)),
        api(http, tokens, cancel, withClock(options)) {}
};

using std::chrono::milliseconds;
using Waits = std::vector<std::chrono::nanoseconds>;

}  // namespace

TEST_CASE("retry-after: delta-seconds and the three HTTP-date forms") {
  using std::chrono::milliseconds;
  CHECK(parseRetryAfter("120", kNow) == milliseconds(120000));
  CHECK(parseRetryAfter(" 7 ", kNow) == milliseconds(7000));
  CHECK(parseRetryAfter("99999999999999", kNow) >= milliseconds(std::chrono::hours(24 * 365)));
  const Timestamp later = kNow + Seconds(90);
  CHECK(parseRetryAfter(httpDate(later), kNow) == milliseconds(90000));
  CHECK(httpDate(later) == "Wed, 25 Nov 2026 00:01:30 GMT");  // what the formats look like
  CHECK(parseRetryAfter("Wednesday, 25-Nov-26 00:01:30 GMT", kNow) == milliseconds(90000));
  CHECK(parseRetryAfter("Wed Nov 25 00:01:30 2026", kNow) == milliseconds(90000));
  // Nothing to wait for: the caller backs off instead.
  for (const std::string none : {"", "0", "-5", "1.5", "soon", "Tue, 24 Nov 2026 23:59:00 GMT"}) {
    INFO(none);
    CHECK_FALSE(parseRetryAfter(none, kNow));
  }
}

TEST_CASE("retry-after: 503 and 504 wait what they ask, in seconds or as an HTTP-date") {
  const int status = GENERATE(503, 504);
  const std::string after = GENERATE(std::string("90"), httpDate(kNow + Seconds(90)));
  std::atomic<int> calls{0};
  TestServer server([&](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, kTokenBody};
    if (calls++ == 0)
      return {status,
              R"({"error":{"code":"serviceNotAvailable","message":"busy"}})",
              {{"Retry-After", after}}};
    return {200, R"({"ok":true})"};
  });
  // The first retry's backoff would be 10 to 15 ms: the one wait is the Retry-After's 90 s.
  WaitLog waits;
  Client client(server.base, Client::fast(), waits.sleeper());
  INFO(status << " Retry-After: " << after);
  auto r = client.api.getJson({Api::kGraph, server.base + "/graph/x", kPartner, false, {}});
  INFO(r.status().message());
  REQUIRE(r);
  CHECK(waits.asked() == Waits{std::chrono::seconds(90)});
  const auto api = server.requests("/graph/");
  REQUIRE(api.size() == 2);
  // Graph: "always make new retry requests over a new HTTP connection" after a 503.
  if (status == 503) CHECK(api[0].peer != api[1].peer);
}

TEST_CASE("retry-after: without one, 503 backs off as before") {
  std::atomic<int> calls{0};
  TestServer server([&](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, kTokenBody};
    return calls++ == 0 ? Reply{503, "{}"} : Reply{200, "{}"};
  });
  WaitLog waits;
  Client client(server.base, Client::fast(), waits.sleeper());
  REQUIRE(client.api.getJson({Api::kGraph, server.base + "/graph/x", kPartner, false, {}}));
  // The first backoff: backoff_base (10 ms) and up to half of it again as jitter.
  const Waits asked = waits.asked();
  REQUIRE(asked.size() == 1);
  CHECK(asked[0] >= milliseconds(10));
  CHECK(asked[0] <= milliseconds(15));
}

TEST_CASE("fresh token: a 401 is tried again at once with a new token, three times at most") {
  std::atomic<int> token_requests{0};
  TestServer server([&](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) {
      ++token_requests;
      return {200, kTokenBody};
    }
    return {401, R"({"error":{"code":"InvalidAuthenticationToken","message":"expired"}})"};
  });
  WaitLog waits;
  Client client(server.base, Client::fast(), waits.sleeper());
  auto r = client.api.get({Api::kGraph, server.base + "/graph/x", kPartner, false, {}});
  INFO(r.status().message());
  REQUIRE(r);
  CHECK(r->status == 401);  // a 401 that persists through fresh tokens is the answer
  CHECK(server.requests("/graph/").size() == 4);
  CHECK(token_requests == 4);    // the first token, and a fresh one for each retry
  CHECK(waits.asked().empty());  // no backoff, not even a zero one: a new token needs none
}

TEST_CASE("retry-after: a longer wait than retry_after_max is cut to it") {
  std::atomic<int> calls{0};
  TestServer server([&](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, kTokenBody};
    if (calls++ == 0) return {429, "{}", {{"Retry-After", "3600"}}};
    return {200, "{}"};
  });
  ApiOptions options = Client::fast();
  options.retry_after_max = std::chrono::seconds(1);
  WaitLog waits;
  Client client(server.base, options, waits.sleeper());
  auto r = client.api.get({Api::kPartnerCenter, server.base + "/pc/v1/x", kPartner, false, {}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(waits.asked() == Waits{std::chrono::seconds(1)});  // not the hour asked for
  CHECK(client.api.counters().throttled == 1);
  CHECK(ApiOptions().retry_after_max == std::chrono::seconds(300));  // the default, documented
}

TEST_CASE("retry-after: shutdown ends a Retry-After wait at once") {
  TestServer server([](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, kTokenBody};
    return {503, "{}", {{"Retry-After", "120"}}};
  });
  Client client(server.base);  // waits sleep for real here: the cancellation must end one
  std::promise<Status> outcome;
  std::future<Status> returned = outcome.get_future();
  std::thread caller([&] {
    outcome.set_value(
        client.api.get({Api::kGraph, server.base + "/graph/x", kPartner, false, {}}).status());
  });
  while (server.requests("/graph/").empty())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  client.cancel.cancel();
  // A hang guard, far above the moment it takes and half the 120 s the wait would last if the
  // cancellation did not end it. Should it fire, the test ends there (the caller cannot be
  // stopped): failed.
  REQUIRE(returned.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  caller.join();
  CHECK(returned.get().code() == Status::Code::kAborted);
}

TEST_CASE("request identity: client-request-id per Graph attempt, User-Agent everywhere") {
  std::atomic<int> calls{0};
  TestServer server([&](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, kTokenBody};
    if (startsWith(r.uri, "/graph/") && calls++ < 2) return {500, "{}"};
    return {200, "{}"};
  });
  Client client(server.base);
  REQUIRE(client.api.getJson({Api::kGraph, server.base + "/graph/x", kPartner, false, {}}));
  REQUIRE(client.api.getJson({Api::kPartnerCenter, server.base + "/pc/v1/x", kPartner, false, {}}));
  const auto graph = server.requests("/graph/");
  REQUIRE(graph.size() == 3);
  std::set<std::string> ids;
  for (const auto& r : graph) {
    INFO(r.header("client-request-id"));
    CHECK(isGuid(r.header("client-request-id")));
    ids.insert(r.header("client-request-id"));
    // One MS-RequestId for the retries of one call: it marks them as retries.
    CHECK(r.header("ms-requestid") == graph[0].header("ms-requestid"));
  }
  CHECK(ids.size() == 3);
  const std::string agent = std::string("cspwatch/") + CSPWATCH_EXPECTED_VERSION;
  CHECK(userAgent() == agent);
  const auto all = server.requests();
  REQUIRE_FALSE(server.requests("/login/").empty());  // the token endpoint
  REQUIRE_FALSE(server.requests("/pc/").empty());
  for (const auto& r : all) {
    INFO(r.uri);
    CHECK(r.header("user-agent") == agent);
  }
  // A plain HttpClient request too (Graph mail and device login send through one).
  HttpClient plain(HttpOptions{}, ProxyEnvironment{});
  REQUIRE(plain.send({"GET", server.base + "/plain", {}, "", ""}));
  CHECK(server.requests("/plain").at(0).header("user-agent") == agent);
}

TEST_CASE("request identity: a Graph request that fails is logged with its request-id") {
  std::ostringstream logged;
  addLogStream(logged);
  TestServer server([](const SeenRequest& r) -> Reply {
    if (startsWith(r.uri, "/login/")) return {200, kTokenBody};
    if (startsWith(r.uri, "/graph/denied"))
      return {403,
              R"({"error":{"code":"Authorization_RequestDenied","message":"no"}})",
              {{"request-id", "6f1c2a9e-0000-4000-8000-00000000d003"}}};
    return {503, "{}", {{"request-id", "6f1c2a9e-0000-4000-8000-00000000b503"}}};
  });
  ApiOptions options = Client::fast();
  options.max_attempts = 2;
  Client client(server.base, options);
  REQUIRE_FALSE(client.api.get({Api::kGraph, server.base + "/graph/busy", kPartner, false, {}}));
  log().set_level(spdlog::level::info);
  auto denied = client.api.get({Api::kGraph, server.base + "/graph/denied", kPartner, false, {}});
  log().set_level(spdlog::level::warn);
  removeLogStreams();
  REQUIRE(denied);
  CHECK(denied->status == 403);
  const std::string text = logged.str();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("gave up after 2 attempts"));
  CHECK_THAT(text, Catch::Contains("request-id 6f1c2a9e-0000-4000-8000-00000000b503"));
  CHECK_THAT(text,
             Catch::Contains("client-request-id " +
                             server.requests("/graph/busy").back().header("client-request-id")));
  CHECK_THAT(text, Catch::Contains("request-id 6f1c2a9e-0000-4000-8000-00000000d003"));
  CHECK(text.find(kTokenValue) == std::string::npos);
}
