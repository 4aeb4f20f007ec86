// SPDX-License-Identifier: Apache-2.0
// Customer-tenant sign-ins in a scan (App+User: one refresh-token grant per tenant), against the
// simulator with latency on its token endpoint only:
//  - they overlap: with 8 workers the simulator sees several token requests in flight at once
//    (one at a time, each grant ending before the next began, it would see 1);
//  - kill -9 while they are under way, at many points, never loses the newest refresh token:
//    after each kill the file holds one whole token the simulator accepts, at least as new as
//    every refresh token the client had presented, and the next scan signs in.
// The simulator's GET /_sim/refresh-tokens/stats (here its LoginService, in process) numbers the
// tokens and looks the stored one up by its SHA-256.
#include <atomic>
#include <csignal>
#include <random>
#include <set>
#include <thread>

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/SHA2Engine.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/faults.h"
#include "sim/generator.h"
#include "sim/login.h"
#include "sim/server.h"
#include "sim/truth.h"
#include "tests/faults/sim_config.h"
#include "tests/support/cli_runner.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::Daemon;
using cspwatch::testing::TempDir;

namespace {

using cspwatch::testing::kSimClient;

// A simulator whose token endpoint answers after `token_latency_ms`, with no other latency, no
// faults and no buckets: the sign-ins are what takes time.
struct SlowLogin {
  SystemClock clock;
  Timestamp now = clock.now();
  sim::World world;
  sim::LoginService login;
  sim::FaultInjector faults;
  sim::SimApi api;
  sim::SimServer server;
  std::string base;
  SlowLogin(size_t tenants, int token_latency_ms)
      : world(sim::generateWorld(tenants, 26, now)),
        login(options(token_latency_ms), 26),
        faults(noFaults()),
        api(world, login, clock, &faults),
        server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 32));
  }
  static sim::LoginOptions options(int token_latency_ms) {
    sim::LoginOptions o{kSimClient, "s3cret", Seconds(3600), Seconds(60), "", true};
    o.token_latency_ms = token_latency_ms;
    return o;
  }
  static sim::FaultOptions noFaults() {
    sim::FaultOptions o;
    o.rate_limits = false;
    return o;
  }
  // A dry-run scan with `cfg`: every finding the truth holds, and no other (each tenant was
  // signed in to and read), or the scan's output when not.
  void scanSeesTheTruth(const std::string& cfg) {
    auto r = testing::cliRun({"-c", cfg, "scan", "--once", "--dry-run", "--format", "json", "--now",
                              formatTimestamp(now)});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    auto findings = testing::parseObject(r.out)->getArray("findings");
    std::set<std::string> fails, truth;
    for (size_t i = 0; i < findings->size(); ++i) {
      auto f = findings->getObject(static_cast<unsigned>(i));
      if (f->getValue<std::string>("outcome") == "fail")
        fails.insert(f->getValue<std::string>("rule") + " " +
                     f->getValue<std::string>("tenant_id") + " " +
                     f->getValue<std::string>("subject"));
    }
    for (const auto& e : sim::computeTruth(world, now))
      if (e.outcome == "fail") truth.insert(e.rule + " " + e.tenant_id + " " + e.subject);
    CHECK(fails == truth);
  }
  int64_t tokenRequests() {
    return testing::parseObject(api.statsJson())
        ->getObject("requests")
        ->optValue<int64_t>("POST /login/{tenant}/oauth2/v2.0/token", 0);
  }
};

std::string sha256Hex(const std::string& text) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(text);
  return Poco::DigestEngine::digestToHex(sha.digest());
}

// Polls `done` until it holds or `limit` passes (a process elsewhere moves it on; nothing here
// can be waited for), false then.
template <typename Condition>
bool pollUntil(Condition done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The sequence number of the token `file` holds now (0: none the simulator issued).
uint64_t storedSeq(SlowLogin& s, const std::string& file) {
  std::string text = testing::readFile(file);
  if (endsWith(text, "\n")) text.pop_back();
  return s.login.lookUpRefreshToken(sha256Hex(text), s.clock.now()).seq;
}

// Watches every refresh-token grant as it reaches the simulator: a token presented that the
// file does not hold yet (nor a newer one) is one a kill at this moment would lose. It is
// counted, and the client, if it is a process, is killed right then: the worst moment.
class EarlyPresentations {
 public:
  EarlyPresentations(SlowLogin& s, const std::string& file) : s_(s) {
    s_.login.setPresentedObserver([this, file](uint64_t seq) {
      if (seq <= storedSeq(s_, file)) return;
      ++count_;
      if (const pid_t p = client_.load(); p > 0) ::kill(p, SIGKILL);
    });
  }
  ~EarlyPresentations() { s_.login.setPresentedObserver(nullptr); }
  void watch(pid_t client) { client_ = client; }
  int count() const { return count_; }

 private:
  SlowLogin& s_;
  std::atomic<pid_t> client_{-1};
  std::atomic<int> count_{0};
};

// The refresh token file after a kill: one whole token (the text and its newline, nothing
// else), at least as new as every token presented so far, and accepted by the simulator.
void checkStoredToken(SlowLogin& s, const std::string& file) {
  // Requests the killed process sent are still answered (each sleeps its latency first): the
  // tokens they present count as presented before the kill.
  REQUIRE(pollUntil([&] { return s.login.refreshTokenStats().token_requests_in_flight == 0; },
                    std::chrono::seconds(20)));
  const std::string text = testing::readFile(file);
  REQUIRE(endsWith(text, "\n"));
  const std::string token = text.substr(0, text.size() - 1);
  CHECK(token.find('\n') == std::string::npos);
  const auto stored = s.login.lookUpRefreshToken(sha256Hex(token), s.clock.now());
  const sim::RefreshTokenStats stats = s.login.refreshTokenStats();
  INFO("stored token #" << stored.seq << ", newest presented #" << stats.highest_presented
                        << ", newest issued #" << stats.issued);
  REQUIRE(stored.seq > 0);  // one the simulator issued, whole
  CHECK(stored.seq >= stats.highest_presented);
  CHECK(stored.accepted);
}

int trials() {
  const char* v = std::getenv("CSPWATCH_SIGNIN_KILL_TRIALS");
  return v != nullptr ? std::max(1, std::atoi(v)) : 12;
}

}  // namespace

TEST_CASE("faults: a scan's customer-tenant sign-ins overlap", "[faults]") {
  // 50 tenants, 8 workers, 100 ms per token request: one at a time the sign-ins alone would take
  // 50 x 100 ms; the simulator counts the requests in flight at once (not the wall time).
  SlowLogin s(50, 100);
  TempDir dir;
  testing::writeSimFiles(dir, s.login, s.world, s.clock.now());
  const std::string cfg =
      dir.write("cspwatch.yaml", testing::simConfigYaml(s.world.partner, s.base, 8));
  EarlyPresentations early(s, dir.file("refresh_token"));
  const auto start = std::chrono::steady_clock::now();
  s.scanSeesTheTruth(cfg);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  const sim::RefreshTokenStats stats = s.login.refreshTokenStats();
  CHECK(stats.token_requests_in_flight_max >= 4);
  CHECK(early.count() == 0);  // each grant presented a token the file already held
  WARN("50 tenants, 8 workers, token endpoint 100 ms: "
       << s.tokenRequests() << " token requests, at most " << stats.token_requests_in_flight_max
       << " in flight at once; the scan took " << took.count() << " ms");
}

TEST_CASE("faults: kill -9 during sign-ins never loses the newest refresh token", "[faults]") {
  // 60 tenants, 8 workers, token requests of 25 ms: grants overlap all through a scan. Each
  // trial kills `cspwatch run` once the simulator has issued a chosen number of refresh tokens
  // in its scan, from the first sign-ins to the last, or at once if a grant presents a token the
  // file does not hold yet (EarlyPresentations: never, when the client is right).
  SlowLogin s(60, 25);
  TempDir dir;
  testing::writeSimFiles(dir, s.login, s.world, s.clock.now());
  const std::string cfg =
      dir.write("cspwatch.yaml",
                testing::simConfigYaml(s.world.partner, s.base, 8,
                                       "schedule:\n  interval: 5m\nhttp:\n  enabled: false\n"));
  const std::string rt_file = dir.file("refresh_token");
  EarlyPresentations early(s, rt_file);
  // No systemd socket to notify: sd_notify gives up at once (a socket nobody reads would fill
  // and hold the service's status updates).
  const std::string no_notify = dir.file("no-notify.sock");
  // An undisturbed scan first: how many refresh tokens one scan has issued (about one per
  // tenant the partner user signs in to), the range the kills are spread over.
  const uint64_t before_scan = s.login.refreshTokenStats().issued;
  s.scanSeesTheTruth(cfg);
  const uint64_t per_scan = s.login.refreshTokenStats().issued - before_scan;
  REQUIRE(per_scan >= 20);
  std::mt19937_64 rng(20261127);
  std::uniform_int_distribution<uint64_t> after(1, per_scan - 1);
  const int n = trials();
  int killed_signing_in = 0;
  for (int i = 0; i < n; ++i) {
    INFO("trial " << i);
    const uint64_t issued_before = s.login.refreshTokenStats().issued;
    const uint64_t kill_at = issued_before + after(rng);
    const int early_before = early.count();
    Daemon d(cfg, no_notify);
    early.watch(d.pid());
    const bool reached = pollUntil(
        [&] {
          return s.login.refreshTokenStats().issued >= kill_at || early.count() > early_before;
        },
        std::chrono::seconds(60));
    killed_signing_in += s.login.refreshTokenStats().token_requests_in_flight > 0;
    d.signal(SIGKILL);
    early.watch(-1);
    const int exit_code = d.waitExit(std::chrono::seconds(10));
    INFO(d.err() << "exit code " << exit_code);
    REQUIRE(reached);
    REQUIRE(exit_code == 128 + SIGKILL);
    checkStoredToken(s, rt_file);
  }
  // The next scan signs in with the stored token: it completes, and every tenant is read.
  s.scanSeesTheTruth(cfg);
  checkStoredToken(s, rt_file);
  CHECK(early.count() == 0);
  WARN(n << " kills during sign-ins of " << per_scan << " a scan (" << killed_signing_in
         << " with token requests in flight): the stored refresh token was whole, accepted and "
            "the newest presented each time");
}
