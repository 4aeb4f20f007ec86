// SPDX-License-Identifier: Apache-2.0
// `cspwatch run`, the real binary as systemd would run it: notifications on a NOTIFY_SOCKET the
// test owns (READY, STATUS, RELOADING, WATCHDOG, STOPPING), SIGHUP with good and broken rule
// files, `scan --now` through the control endpoint, /healthz and /metrics, and SIGTERM in the
// middle of a scan. Waits are on events (a datagram, a line, an exit), each with a deadline.
#include <chrono>
#include <csignal>
#include <fstream>
#include <future>
#include <mutex>
#include <regex>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file_util.h"
#include "common/text.h"
#include "storage/finding_store.h"
#include "tests/support/daemon_process.h"
#include "tests/support/demo_partner.h"
#include "tests/support/free_port.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/prometheus.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::contains;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;
using Clock = std::chrono::steady_clock;
using cspwatch::testing::Daemon;
using cspwatch::testing::freePort;
using cspwatch::testing::NotifySocket;

namespace {

// A config over the demo inventory with its own rules directory (so a test can break it).
std::string inventoryConfig(const TempDir& dir) {
  for (const char* f :
       {"00-lists.yaml", "10-partner.yaml", "20-admin-access.yaml", "30-email.yaml"})
    dir.write(std::string("rules/") + f,
              testing::readFile(sourcePath(std::string("etc/rules.d/") + f)));
  return dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                        "sources:\n"
                                        "  inventory:\n"
                                        "    path: " +
                                        sourcePath("etc/demo/inventory.json") +
                                        "\n"
                                        "storage:\n"
                                        "  path: cspwatch.db\n"
                                        "rules:\n"
                                        "  paths: [rules]\n"
                                        "http:\n"
                                        "  listen: 127.0.0.1:" +
                                        std::to_string(freePort()) + "\n");
}

// cspwatch-sim as a slow Partner Center and Graph: 150 tenants, 30 ms for every answer (a scan
// of a few seconds), with a cspwatch config for it that has a control endpoint.
struct SlowSim {
  std::string config;
  pid_t pid = -1;
  int out = -1;
  explicit SlowSim(const TempDir& dir) : config(dir.file("c.yaml")) {
    int sim_pipe[2];
    REQUIRE(::pipe(sim_pipe) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(sim_pipe[1], 1);
      const std::string bin = std::string(CSPWATCH_BIN_DIR) + "/cspwatch-sim";
      const std::string rules = sourcePath("etc/rules.d");
      ::execl(bin.c_str(), bin.c_str(), "--generate", "150", "--latency-ms", "30",
              "--no-rate-limits", "--write-config", config.c_str(), "--rules-path", rules.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(sim_pipe[1]);
    out = sim_pipe[0];
    char line[256] = {};
    REQUIRE(::read(out, line, sizeof line - 1) > 0);  // "listening on ..." once it serves
    REQUIRE(contains(std::string(line), "listening on"));
    std::ofstream cfg(config, std::ios::app);
    cfg << "http:\n  listen: 127.0.0.1:" << freePort() << "\n";
  }
  ~SlowSim() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    ::close(out);
  }
};

const auto kWait = std::chrono::seconds(20);

std::vector<storage::ScanRow> scans(const std::string& db) {
  auto store = storage::FindingStore::open(db);
  REQUIRE(store);
  auto rows = store->listScans(100);
  REQUIRE(rows);
  return *rows;
}

}  // namespace

TEST_CASE(
    "run: tells systemd READY, STATUS, WATCHDOG, RELOADING and STOPPING, and serves "
    "/healthz and /metrics",
    "[run]") {
  TempDir dir;
  const std::string config = inventoryConfig(dir);
  NotifySocket notify(dir.file("notify.sock"));
  // A watchdog of 0.4 s (pings every 0.2 s); stderr as if it went to the journal.
  Daemon d(config, notify.path(), "400000", "8:12345");
  INFO(d.err());
  REQUIRE_FALSE(notify.waitFor("READY=1", kWait).empty());
  const std::string status = notify.waitFor("STATUS=last scan 1 completed", kWait);
  INFO(d.err());
  REQUIRE_FALSE(status.empty());
  CHECK(contains(status, "33 tenants, 18 open findings"));
  REQUIRE_FALSE(notify.waitFor("WATCHDOG=1", kWait).empty());

  const int port = d.port(notify);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto health = testing::httpRequest("GET", base + "/healthz");
  CHECK(health.status == 200);
  CHECK(startsWith(health.body, "ok"));
  auto metrics = testing::httpRequest("GET", base + "/metrics");
  CHECK(metrics.status == 200);
  const testing::Exposition parsed = testing::parse(metrics.body);
  CHECK(parsed.errors == std::vector<std::string>{});
  // The single-account layout's samples carry partner="default" (daemon/metrics.h).
  CHECK(parsed.value("cspwatch_scans_total", {{"partner", "default"}, {"status", "completed"}}) ==
        1.0);
  CHECK(parsed.value("cspwatch_last_successful_scan_timestamp_seconds", {{"partner", "default"}})
            .has_value());
  CHECK(contains(metrics.body, "cspwatch_scans_total{partner=\"default\",status=\"completed\"} 1"));
  CHECK(contains(metrics.body,
                 "cspwatch_findings_open{partner=\"default\",rule=\"partner-not-listed\","
                 "severity=\"high\"} 3"));
  // 33 tenants: two with a part unread and three with a contact a permission hides are partial.
  CHECK(contains(metrics.body, "cspwatch_tenants{partner=\"default\",read=\"full\"} 28"));
  CHECK(contains(metrics.body, "cspwatch_tenants{partner=\"default\",read=\"partial\"} 5"));

  d.signal(SIGHUP);
  REQUIRE_FALSE(notify.waitFor("RELOADING=1", kWait).empty());
  REQUIRE_FALSE(notify.waitFor("READY=1", kWait).empty());
  d.signal(SIGTERM);
  REQUIRE_FALSE(notify.waitFor("STOPPING=1", kWait).empty());
  CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
  // The journal reads the priority only at the very start of each line.
  for (const auto& line : split(d.err(), '\n')) {
    if (line.empty()) continue;
    INFO(line);
    CHECK(std::regex_search(line, std::regex("^<[0-7]>")));
  }
  CHECK(d.waitForErr("<6>scan 1 completed", kWait));
}

TEST_CASE("run: a broken rule file on SIGHUP keeps the old rules, and scans go on", "[run]") {
  TempDir dir;
  const std::string config = inventoryConfig(dir);
  NotifySocket notify(dir.file("notify.sock"));
  Daemon d(config, notify.path());
  REQUIRE_FALSE(notify.waitFor("STATUS=last scan 1 completed", kWait).empty());

  dir.write("rules/30-email.yaml", "rules:\n  - id: broken\n    when: 'tenant.name =='\n");
  d.signal(SIGHUP);
  const std::string ready = notify.waitFor("READY=1", kWait);
  INFO(d.err());
  REQUIRE(contains(ready, "reload failed"));
  // The log line is written before READY is sent, but it reaches us through a pipe: wait for it.
  CHECK(d.waitForErr("keeping the previous configuration", kWait));
  CHECK(contains(d.err(), "rules/30-email.yaml:"));  // file:line:column of the mistake

  // Scans go on with the last good rules: ask for one through the control endpoint.
  auto now = testing::runBinary("cspwatch", {"-c", config, "scan", "--now"});
  INFO(now.out << now.err);
  CHECK(now.exit_code == 0);
  REQUIRE_FALSE(notify.waitFor("STATUS=last scan 2 completed", kWait).empty());
  d.signal(SIGTERM);
  CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
  auto rows = scans(dir.file("cspwatch.db"));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].status == storage::ScanStatus::kCompleted);
  CHECK(rows[0].counts.findings_open == 18);  // the email rule still in force
}

TEST_CASE(
    "run: SIGTERM in the middle of a scan exits 0 within 10 s, the scan is marked "
    "interrupted and the next run completes one",
    "[run]") {
  TempDir dir;
  SlowSim sim(dir);
  const std::string sim_config = sim.config;
  NotifySocket notify(dir.file("notify.sock"));
  {
    Daemon d(sim_config, notify.path());
    REQUIRE_FALSE(notify.waitFor("STATUS=scanning since", kWait).empty());
    const auto t0 = Clock::now();
    d.signal(SIGTERM);
    INFO(d.err());
    CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
    CHECK(Clock::now() - t0 < std::chrono::seconds(10));
  }
  auto rows = scans(dir.file("cspwatch.db"));
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == storage::ScanStatus::kInterrupted);
  {
    Daemon again(sim_config, notify.path());
    INFO(again.err());
    REQUIRE_FALSE(
        notify.waitFor("STATUS=last scan 2 completed", std::chrono::seconds(120)).empty());
    again.signal(SIGTERM);
    CHECK(again.waitExit(std::chrono::seconds(10)) == 0);
  }
  rows = scans(dir.file("cspwatch.db"));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].status == storage::ScanStatus::kCompleted);
  CHECK(rows[0].counts.tenants_total == 150);
}

TEST_CASE(
    "run: an edited rule file is reloaded without SIGHUP, and logs are JSON lines when "
    "configured",
    "[run]") {
  TempDir dir;
  std::string config = inventoryConfig(dir);
  {
    std::ofstream out(config, std::ios::app);
    out << "logging:\n  format: json\n";
  }
  NotifySocket notify(dir.file("notify.sock"));
  Daemon d(config, notify.path());
  REQUIRE_FALSE(notify.waitFor("STATUS=last scan 1 completed", kWait).empty());
  {
    std::ofstream out(dir.file("rules/30-email.yaml"), std::ios::app);
    out << "# reviewed\n";
  }
  REQUIRE_FALSE(notify.waitFor("RELOADING=1", kWait).empty());  // checked every 5 s
  REQUIRE_FALSE(notify.waitFor("READY=1", kWait).empty());
  d.signal(SIGTERM);
  CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
  int lines = 0;
  for (const auto& line : split(d.err(), '\n')) {
    if (line.empty()) continue;
    INFO(line);
    auto obj = testing::parseObject(line);
    CHECK(obj->has("time"));
    CHECK(obj->has("level"));
    CHECK(obj->has("message"));
    ++lines;
  }
  CHECK(lines >= 5);
}

TEST_CASE("run: scan requests during a scan give one more scan afterwards, never two at once",
          "[run]") {
  TempDir dir;
  SlowSim sim(dir);
  NotifySocket notify(dir.file("notify.sock"));
  Daemon d(sim.config, notify.path());
  REQUIRE_FALSE(notify.waitFor("STATUS=scanning since", kWait).empty());
  for (int i = 0; i < 3; ++i) {
    auto now = testing::runBinary("cspwatch", {"-c", sim.config, "scan", "--now"});
    INFO(now.out << now.err);
    CHECK(now.exit_code == 0);
  }
  REQUIRE_FALSE(notify.waitFor("STATUS=last scan 1 completed", std::chrono::seconds(60)).empty());
  REQUIRE_FALSE(notify.waitFor("STATUS=last scan 2 completed", std::chrono::seconds(60)).empty());
  // The three requests were one: nothing starts after the second scan.
  CHECK(notify.waitFor("STATUS=scanning since", std::chrono::seconds(2)).empty());
  d.signal(SIGTERM);
  CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
  auto rows = scans(dir.file("cspwatch.db"));
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[1].finished_at);
  CHECK(rows[0].started_at >= *rows[1].finished_at);  // one after the other
}

TEST_CASE("run: a scan that fails makes /healthz unhealthy, and health survives a restart",
          "[run]") {
  TempDir dir;
  std::string config = inventoryConfig(dir);
  const std::string text = testing::readFile(config);
  const std::string inventory = sourcePath("etc/demo/inventory.json");
  const std::string missing = replaceAll(text, inventory, dir.file("missing.json"));
  REQUIRE(missing != text);
  dir.write("cspwatch.yaml", missing);
  NotifySocket notify(dir.file("notify.sock"));
  {
    Daemon d(config, notify.path());
    REQUIRE_FALSE(notify.waitFor("STATUS=last scan FAILED", kWait).empty());
    const std::string base = "http://127.0.0.1:" + std::to_string(d.port(notify));
    auto health = testing::httpRequest("GET", base + "/healthz");
    CHECK(health.status == 503);
    CHECK(contains(health.body, "unhealthy"));
    d.signal(SIGTERM);
    CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
  }
  dir.write("cspwatch.yaml", text);  // the inventory back: a good scan
  {
    Daemon d(config, notify.path());
    REQUIRE_FALSE(notify.waitFor("STATUS=last scan 2 completed", kWait).empty());
    d.signal(SIGTERM);
    CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
  }
  {
    // Restarted with the inventory gone again: the last good scan (from the database) keeps it
    // healthy until two intervals have passed.
    dir.write("cspwatch.yaml", missing);
    Daemon d(config, notify.path());
    REQUIRE_FALSE(notify.waitFor("STATUS=last scan FAILED", kWait).empty());
    const std::string base = "http://127.0.0.1:" + std::to_string(d.port(notify));
    auto health = testing::httpRequest("GET", base + "/healthz");
    CHECK(health.status == 200);
    CHECK(contains(health.body, "last scan completed"));
    d.signal(SIGTERM);
    CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
  }
}
