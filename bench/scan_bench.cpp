// SPDX-License-Identifier: Apache-2.0
// A whole scan through the live data path against the simulator, with latency and the
// documented rate limits: its wall time against the rate-limit floor (the least time the
// limits allow for the requests the scan made), and the share of requests answered 429.
//
// Usage: scan_bench [TENANTS] [LATENCY_MS] [CONCURRENCY]   (defaults 2000, 50, 8)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "daemon/rule_files.h"
#include "daemon/scan_runner.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"

using namespace cspwatch;

int main(int argc, char** argv) {
  const size_t tenants = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000;
  const int latency = argc > 2 ? std::atoi(argv[2]) : 50;
  const int concurrency = argc > 3 ? std::atoi(argv[3]) : 8;
  const Timestamp now = *parseTimestamp("2026-11-25T00:00:00Z");
  SystemClock clock;
  sim::LoginService login(
      {"11111111-2222-4333-8444-555555555555", "s3cret", Seconds(3600), Seconds(60), "", true}, 1);
  sim::FaultOptions faults;  // no faults; the documented limits (500/min, 3,500/10 s); latency
  faults.latency_ms = latency;
  sim::FaultInjector injector(faults);
  sim::SimApi api(sim::generateWorld(tenants, 1, now), login, clock, &injector);
  sim::SimServer server(api);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.start(0, 64));

  char dir_template[] = "/tmp/cspwatch-scan-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  (void)writeFileAtomically(dir + "/refresh_token", login.issueRefreshToken(clock.now()) + "\n",
                            0600);
  (void)writeFileAtomically(dir + "/inventory.json", sim::inventoryJson(api.world()), 0644);
  daemon::AppConfig cfg;
  cfg.partner = api.world().partner;
  daemon::PartnerCenterConfig pc;
  pc.login_url = base + "/login";
  pc.partner_center_url = base + "/pc";
  pc.graph_url = base + "/graph";
  pc.client_id = "11111111-2222-4333-8444-555555555555";
  (void)writeFileAtomically(dir + "/secret", "s3cret\n", 0600);
  pc.client_secret_file = dir + "/secret";
  pc.refresh_token_file = dir + "/refresh_token";
  pc.concurrency = concurrency;
  cfg.partner_center = pc;
  cfg.inventory = daemon::InventoryConfig{dir + "/inventory.json"};
  auto rules = daemon::loadRuleFiles({CSPWATCH_SOURCE_DIR "/etc/rules.d"});
  if (!rules.ok()) return 1;

  const auto t0 = std::chrono::steady_clock::now();
  size_t evaluated = 0;
  auto report = daemon::runScan(cfg, *rules.rules, now, [&](const daemon::TenantOutcome&) {
    ++evaluated;
    return Status::ok();
  });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!report) {
    std::fprintf(stderr, "scan failed: %s\n", report.status().message().c_str());
    return 1;
  }
  auto stats = Poco::JSON::Parser().parse(api.statsJson()).extract<Poco::JSON::Object::Ptr>();
  auto requests = stats->getObject("requests");
  int64_t pc_requests = 0, graph_requests = 0, total = stats->getValue<int64_t>("requests_total");
  for (const auto& key : requests->getNames()) {
    if (key.find("/pc/") != std::string::npos) pc_requests += requests->getValue<int64_t>(key);
    if (key.find("/graph/") != std::string::npos)
      graph_requests += requests->getValue<int64_t>(key);
  }
  const int64_t throttled = stats->optValue<int64_t>("throttled_429", 0);
  // The floor: Partner Center's one bucket for the partner (500 at once, then 500 a minute)
  // bounds the scan; Graph's buckets are per tenant and never bind here.
  const double floor = std::max(0.0, static_cast<double>(pc_requests - 500)) / (500.0 / 60.0);
  std::printf("tenants %zu, latency %d ms, concurrency %d: wall %.1f s\n", evaluated, latency,
              concurrency, wall);
  std::printf("requests: %lld (Partner Center %lld, Graph %lld); answered 429: %lld (%.2f%%)\n",
              static_cast<long long>(total), static_cast<long long>(pc_requests),
              static_cast<long long>(graph_requests), static_cast<long long>(throttled),
              100.0 * throttled / std::max<int64_t>(1, total));
  std::printf("rate-limit floor %.1f s; wall / floor = %.3f\n", floor,
              floor > 0 ? wall / floor : 0.0);
  std::system(("rm -rf " + dir).c_str());
  return 0;
}
