// SPDX-License-Identifier: Apache-2.0
// Throttling and injected faults over real HTTP, and their determinism under a seed.
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "tests/support/http_client.h"

using namespace cspwatch;
using namespace cspwatch::sim;
using cspwatch::testing::httpRequest;
using cspwatch::testing::HttpResult;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kPartner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";

struct FaultySim {
  ManualClock clock{kNow};
  double seconds = 1000;  // the buckets' time, moved by the test
  LoginService login{LoginOptions{"11111111-2222-4333-8444-555555555555", "s3cret", Seconds(3600),
                                  Seconds(60), "", true},
                     5};
  FaultInjector faults;
  SimApi api;
  SimServer server;
  std::string base;

  explicit FaultySim(FaultOptions options)
      : faults(options, [this] { return seconds; }),
        api(generateWorld(120, 5, kNow), login, clock, &faults),
        server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 4));
  }

  // The token endpoint is faulted too: try until it answers.
  std::string token(const std::string& scope) {
    std::string enc;
    Poco::URI::encode(scope, "&=+/:", enc);
    for (int i = 0; i < 50; ++i) {
      try {
        HttpResult r = httpRequest(
            "POST", base + "/login/" + kPartner + "/oauth2/v2.0/token", {},
            "grant_type=client_credentials&client_id=11111111-2222-4333-8444-555555555555"
            "&client_secret=s3cret&scope=" +
                enc);
        if (r.status == 200)
          return Poco::JSON::Parser()
              .parse(r.body)
              .extract<Poco::JSON::Object::Ptr>()
              ->getValue<std::string>("access_token");
      } catch (const std::exception&) {
      }
    }
    FAIL("no token");
    return "";
  }

  // What one GET meets: the status, or "dropped"/"truncated" when the exchange broke.
  std::string outcome(const std::string& path, const std::string& tok) {
    try {
      HttpResult r = httpRequest("GET", base + path, {{"Authorization", "Bearer " + tok}});
      if (r.headers.count("content-length") &&
          std::stoul(r.headers["content-length"]) != r.body.size())
        return "truncated";
      if (r.status == 200) {
        // A cut body would not parse. Partner Center's begin with a byte-order mark.
        const bool bom = r.body.rfind("\xEF\xBB\xBF", 0) == 0;
        Poco::JSON::Parser().parse(bom ? r.body.substr(3) : r.body);
      }
      return std::to_string(r.status);
    } catch (const Poco::Exception& e) {
      return e.className() == std::string("Poco::JSON::JSONException") ? "truncated" : "dropped";
    } catch (const std::exception&) {
      return "dropped";
    }
  }
};

FaultOptions heavy(uint64_t seed) {
  FaultOptions o;
  o.seed = seed;
  o.applyPreset("heavy");
  o.rate_limits = false;
  return o;
}

}  // namespace

TEST_CASE("sim faults: the heavy preset injects every kind of fault, about 20% of requests") {
  FaultySim sim(heavy(9));
  const std::string tok = sim.token("https://api.partnercenter.microsoft.com/.default");
  std::map<std::string, int> seen;
  const int n = 400;
  for (int i = 0; i < n; ++i)
    ++seen[sim.outcome("/pc/v1/customers?size=" + std::to_string(1 + i % 50), tok)];
  INFO("200: " << seen["200"] << ", 503: " << seen["503"] << ", 401: " << seen["401"]
               << ", 429: " << seen["429"] << ", dropped: " << seen["dropped"]
               << ", truncated: " << seen["truncated"]);
  CHECK(seen["503"] > 0);
  CHECK(seen["401"] > 0);
  CHECK(seen["429"] > 0);
  CHECK(seen["dropped"] > 0);
  CHECK(seen["truncated"] > 0);
  const int faulted = n - seen["200"];
  CHECK(faulted > n * 12 / 100);
  CHECK(faulted < n * 28 / 100);
  auto stats = Poco::JSON::Parser()
                   .parse(httpRequest("GET", sim.base + "/_sim/stats").body)
                   .extract<Poco::JSON::Object::Ptr>();
  CHECK(stats->getValue<int>("faults_dropped_connection") >= seen["dropped"]);
}

TEST_CASE("sim faults: the same seed and requests meet the same faults, another seed differs") {
  auto run = [](uint64_t seed) {
    FaultySim sim(heavy(seed));
    const std::string tok = sim.token("https://graph.microsoft.com/.default");
    std::string trace;
    for (int i = 0; i < 120; ++i)
      trace += sim.outcome("/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=" +
                               std::to_string(1 + i % 30),
                           tok) +
               ",";
    // Retrying the same request meets a fresh decision, the same in every run.
    for (int i = 0; i < 20; ++i)
      trace +=
          sim.outcome("/graph/v1.0/tenantRelationships/delegatedAdminRelationships?$top=7", tok) +
          ",";
    return trace;
  };
  const std::string a = run(21);
  CHECK(a == run(21));
  CHECK(a != run(22));
}

TEST_CASE("sim faults: an empty bucket answers 429 with Retry-After until it refills") {
  FaultOptions o;
  o.pc_per_minute = 5;  // 5 a minute: one every 12 s
  o.pc_burst_s = 60;    // the bucket holds the minute: 5 at once
  FaultySim sim(o);
  const std::string tok = sim.token("https://api.partnercenter.microsoft.com/.default");
  for (int i = 0; i < 5; ++i) CHECK(sim.outcome("/pc/v1/customers?size=1", tok) == "200");
  HttpResult r = httpRequest("GET", sim.base + "/pc/v1/customers?size=1",
                             {{"Authorization", "Bearer " + tok}});
  CHECK(r.status == 429);
  CHECK(r.headers["retry-after"] == "12");
  CHECK_THAT(r.body, Catch::Contains("Rate limit is exceeded. Try again in 12 seconds."));
  sim.seconds += 12;
  CHECK(sim.outcome("/pc/v1/customers?size=1", tok) == "200");
  CHECK(sim.outcome("/pc/v1/customers?size=1", tok) == "429");
  // Graph's buckets are separate, per app and tenant.
  const std::string graph = sim.token("https://graph.microsoft.com/.default");
  CHECK(sim.outcome("/graph/v1.0/tenantRelationships/delegatedAdminRelationships", graph) == "200");
}

TEST_CASE("sim faults: latency is added to every answer") {
  FaultOptions o;
  o.latency_ms = 120;
  FaultySim sim(o);
  const auto start = std::chrono::steady_clock::now();
  httpRequest("GET", sim.base + "/_sim/health");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  CHECK(ms >= 120);
}

namespace {

// How many requests a bucket admits at once, until the first 429 (the simulator's scopes are
// "pc:..." and "graph:...": each API's bucket of its own).
int admittedAtOnce(FaultInjector& faults, bool partner_center) {
  int n = 0;
  while (!faults.take(partner_center ? "pc" : "graph", partner_center)) ++n;
  return n;
}

}  // namespace

TEST_CASE("sim faults: a bucket of S seconds admits S seconds of its rate at once, then the rate") {
  // 480 a minute (8 a second) and 40 per 10 s (4 a second): refills of exactly 1/8 and 1/4 s.
  for (double burst : {1.0, 10.0, 60.0, 0.5}) {
    for (bool pc : {true, false}) {
      INFO("burst " << burst << " s, " << (pc ? "Partner Center" : "Graph"));
      FaultOptions o;
      o.pc_per_minute = 480;
      o.graph_per_10s = 40;
      o.pc_burst_s = o.graph_burst_s = burst;
      double now = 0;
      FaultInjector faults(o, [&now] { return now; });
      const double rate = pc ? 8 : 4;
      CHECK(faults.bucket(pc).capacity == burst * rate);
      CHECK(admittedAtOnce(faults, pc) == static_cast<int>(burst * rate));
      const std::string scope = pc ? "pc" : "graph";
      CHECK(faults.take(scope, pc) == 1);  // Retry-After: whole seconds, at least 1
      for (int i = 0; i < 5; ++i) {
        now += 1 / rate;
        CHECK_FALSE(faults.take(scope, pc));
        CHECK(faults.take(scope, pc));
      }
      CHECK(faults.take("another scope", pc) == std::nullopt);  // a bucket of its own, full
    }
  }
}

TEST_CASE("sim faults: the documented rates with bursts of 1, 10 and 60 s, and the least bucket") {
  FaultOptions o;  // 500 a minute, 3,500 per 10 s
  const std::map<double, std::pair<int, int>> at_once = {
      {1, {8, 350}}, {10, {83, 3500}}, {60, {500, 21000}}};
  for (const auto& [burst, expected] : at_once) {
    INFO("burst " << burst << " s");
    o.pc_burst_s = o.graph_burst_s = burst;
    FaultInjector faults(o, [] { return 0.0; });
    CHECK(admittedAtOnce(faults, true) == expected.first);
    CHECK(admittedAtOnce(faults, false) == expected.second);
  }
  // A bucket holds at least one request, however short its burst.
  o.pc_burst_s = 0.01;
  FaultInjector tiny(o, [] { return 0.0; });
  CHECK(tiny.bucket(true).capacity == 1);
  CHECK(admittedAtOnce(tiny, true) == 1);
  // Started empty, the first request waits for a whole token: 60 s at 1 a minute.
  o.pc_per_minute = 1;
  o.buckets_start_empty = true;
  FaultInjector empty(o, [] { return 0.0; });
  CHECK(empty.take("pc", true) == 60);
}

TEST_CASE("sim faults: without a burst given, the seed picks 1, 10 or 60 s, per API") {
  std::set<double> pc_bursts, graph_bursts;
  bool differ = false;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    FaultOptions o;
    o.seed = seed;
    FaultInjector a(o), b(o);
    const double pc = a.bucket(true).burst_s, graph = a.bucket(false).burst_s;
    CHECK(pc == b.bucket(true).burst_s);  // deterministic for a seed
    CHECK(graph == b.bucket(false).burst_s);
    CHECK(a.options().pc_burst_s == pc);  // and shown in the options
    CHECK(pc == variedBurst(seed, true));
    CHECK(graph == variedBurst(seed, false));
    pc_bursts.insert(pc);
    graph_bursts.insert(graph);
    differ = differ || pc != graph;
  }
  CHECK(pc_bursts == std::set<double>{1, 10, 60});
  CHECK(graph_bursts == std::set<double>{1, 10, 60});
  CHECK(differ);  // drawn separately
  // A burst given is kept.
  FaultOptions given;
  given.pc_burst_s = 2.5;
  CHECK(FaultInjector(given).bucket(true).burst_s == 2.5);
}

TEST_CASE("sim faults: /_sim/stats shows the buckets' shapes and counts 429s per API") {
  FaultOptions o;
  o.pc_per_minute = 1;
  o.pc_burst_s = 60;
  o.graph_per_10s = 1;
  o.graph_burst_s = 1;  // 0.1 a second: holds one request
  FaultySim sim(o);
  const std::string pc = sim.token("https://api.partnercenter.microsoft.com/.default");
  const std::string graph = sim.token("https://graph.microsoft.com/.default");
  const std::string dap = "/graph/v1.0/tenantRelationships/delegatedAdminRelationships";
  CHECK(sim.outcome("/pc/v1/customers?size=1", pc) == "200");
  CHECK(sim.outcome("/pc/v1/customers?size=1", pc) == "429");
  CHECK(sim.outcome(dap, graph) == "200");
  CHECK(sim.outcome(dap, graph) == "429");
  CHECK(sim.outcome(dap, graph) == "429");
  auto stats = Poco::JSON::Parser()
                   .parse(httpRequest("GET", sim.base + "/_sim/stats").body)
                   .extract<Poco::JSON::Object::Ptr>();
  CHECK(stats->getValue<int>("throttled_429") == 3);
  CHECK(stats->getValue<int>("throttled_429_partner_center") == 1);
  CHECK(stats->getValue<int>("throttled_429_graph") == 2);
  auto buckets = stats->getObject("buckets");
  REQUIRE(buckets);
  CHECK(buckets->getObject("partner_center")->getValue<double>("burst_s") == 60);
  CHECK(buckets->getObject("partner_center")->getValue<double>("capacity") == 1);
  CHECK(buckets->getObject("graph")->getValue<double>("burst_s") == 1);
  CHECK(buckets->getObject("graph")->getValue<double>("capacity") == 1);
  CHECK(buckets->getObject("graph")->getValue<double>("per_second") == Approx(0.1));
  auto requests = stats->getObject("requests");
  CHECK(requests->getValue<int>("GET /pc/v1/customers") == 1);
  CHECK(requests->getValue<int>("POST /login/{tenant}/oauth2/v2.0/token") == 2);
}
