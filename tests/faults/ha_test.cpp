// SPDX-License-Identifier: Apache-2.0
// Standby instances (docs/operations.md#high-availability): two real `cspwatch run` processes on
// one PostgreSQL store, against the simulator and a real SMTP server, each as if on a machine of
// its own ($CSPWATCH_MACHINE_ID: neither can see that the other's process died, so a takeover
// waits for the lease as it would across machines). The one holding the lease scans; killed
// with SIGKILL in the middle of a scan, the other takes over within two lease periods and
// finishes the work: every finding of the truth stored once, the killed scan marked
// interrupted, the alerts delivered, none twice except under the same Message-ID.
#include <csignal>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <sys/time.h>

#include "common/clock.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/faults.h"
#include "sim/generator.h"
#include "sim/login.h"
#include "sim/server.h"
#include "sim/truth.h"
#include "storage/finding_store.h"
#include "storage/leases.h"
#include "tests/faults/fault_checks.h"
#include "tests/faults/ha_support.h"
#include "tests/faults/sim_config.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/smtp_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using cspwatch::testing::Daemon;
using cspwatch::testing::NotifySocket;
using cspwatch::testing::pidOf;
using cspwatch::testing::startOn;
using cspwatch::testing::TempDir;

namespace {

constexpr int kLeaseSeconds = 3;

// The world, its simulator, an SMTP server and a configuration for both instances.
struct HaWorld {
  TempDir dir;
  SystemClock clock;
  Timestamp now = clock.now();
  sim::World world = sim::generateWorld(60, 42, now);
  sim::LoginService login{
      sim::LoginOptions{testing::kSimClient, "s3cret", Seconds(3600), Seconds(60), "", true}, 17};
  sim::FaultInjector faults{slow()};
  sim::SimApi api{world, login, clock, &faults};
  sim::SimServer server{api};
  testing::SmtpServer smtp;
  storage::StoreLocation where = testing::testStore(dir, "ha");
  std::string config;

  HaWorld() {
    const std::string base = "http://127.0.0.1:" + std::to_string(server.start(0, 16));
    testing::writeSimFiles(dir, login, world, now);
    const std::string domain = world.partner.email_domains[0];
    std::string yaml = testing::simConfigYaml(
        world.partner, base, 4,
        "schedule:\n  interval: 1h\nhttp:\n  enabled: false\n"
        "alerts:\n  transport: smtp\n  from: cspwatch@" +
            domain + "\n  templates_dir: " + testing::sourcePath("etc/templates") +
            "\n  could_not_check_after_scans: 1\n  retry_first: 1s\n  retry_max: 2s\n"
            "  smtp:\n    host: 127.0.0.1\n    port: " +
            std::to_string(smtp.port()) + "\n    tls: none\n  routes:\n    - to: [ops@" + domain +
            "]\n      default: true\n");
    yaml = replaceAll(yaml, "storage:\n  path: cspwatch.db\n",
                      "storage:\n" + testing::storageYaml(where) +
                          "  lease_period: " + std::to_string(kLeaseSeconds) + "s\n");
    config = dir.write("cspwatch.yaml", yaml);
  }
  static sim::FaultOptions slow() {
    sim::FaultOptions o;
    o.latency_ms = 8;  // a scan of about two seconds: the kill lands inside it
    o.jitter_ms = 4;
    o.rate_limits = false;
    return o;
  }
  storage::FindingStore store() {
    auto s = storage::FindingStore::open(where);
    REQUIRE(s);
    return std::move(s.value());
  }
  // Who holds the lease now ("" for nobody yet).
  std::string holder() {
    auto s = store();
    auto row = storage::Leases(s.db()).read("partner:default");
    REQUIRE(row);
    return *row ? (*row)->holder : "";
  }
};

}  // namespace

TEST_CASE("ha: kill -9 of the active instance mid-scan: the standby takes over and finishes",
          "[postgres]") {
  HaWorld w;
  NotifySocket notify_a(w.dir.file("a.sock")), notify_b(w.dir.file("b.sock"));
  auto a = startOn("machine-a", w.config, notify_a);
  REQUIRE_FALSE(notify_a.waitFor("READY=1", std::chrono::seconds(20)).empty());
  auto b = startOn("machine-b", w.config, notify_b);
  REQUIRE_FALSE(notify_b.waitFor("READY=1", std::chrono::seconds(20)).empty());
  // A started first and holds the lease; B stands by and does not scan.
  REQUIRE_FALSE(notify_a.waitFor("STATUS=scanning", std::chrono::seconds(20)).empty());
  CHECK(pidOf(w.holder()) == std::to_string(a->pid()));
  // Mid-scan: a seeded moment within its first second.
  std::mt19937_64 rng(20261206);
  const int delay = std::uniform_int_distribution<int>(100, 900)(rng);
  CHECK(notify_a.waitFor("STATUS=last scan", std::chrono::milliseconds(delay)).empty());
  const auto killed_at = std::chrono::steady_clock::now();
  a->signal(SIGKILL);
  REQUIRE(a->waitExit(std::chrono::seconds(10)) == 128 + SIGKILL);
  CHECK(notify_b.waitFor("STATUS=last scan", std::chrono::milliseconds(10)).empty());  // not yet
  // B takes over within two lease periods and scans to the end.
  REQUIRE_FALSE(
      notify_b.waitFor("STATUS=scanning", std::chrono::seconds(4 * kLeaseSeconds)).empty());
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  WARN("takeover after kill -9: " << took << " s, lease period " << kLeaseSeconds << " s");
  CHECK(took < 2.0 * kLeaseSeconds);
  CHECK(pidOf(w.holder()) == std::to_string(b->pid()));
  const std::string done = notify_b.waitFor("STATUS=last scan", std::chrono::seconds(60));
  INFO(b->err());
  CHECK_THAT(done, Catch::Contains("completed"));
  b->signal(SIGTERM);
  REQUIRE(b->waitExit(std::chrono::seconds(10)) == 0);

  // Findings: exactly the truth, each once.
  auto store = w.store();
  auto open = store.listFindings({storage::StateFilter::kOpen, "", "", ""}, w.clock.now());
  REQUIRE(open);
  std::multiset<std::string> found, truth;
  for (const auto& f : *open) found.insert(f.rule_id + " " + f.tenant_id + " " + f.subject);
  for (const auto& e : sim::computeTruth(w.world, w.now))
    if (e.outcome == "fail") truth.insert(e.rule + " " + e.tenant_id + " " + e.subject);
  CHECK(found == truth);
  // A's scan was marked interrupted by B, which completed its own.
  auto scans = store.listScans(10);
  REQUIRE(scans);
  std::map<storage::ScanStatus, int> by_status;
  for (const auto& s : *scans) ++by_status[s.status];
  CHECK(by_status[storage::ScanStatus::kInterrupted] == 1);
  CHECK(by_status[storage::ScanStatus::kCompleted] == 1);
  CHECK(scans->size() == 2);
  // The alerts: delivered, none twice but under the same Message-ID.
  auto pending = storage::Outbox(store.db()).pending();
  REQUIRE(pending);
  CHECK(pending->empty());
  std::map<std::string, int> ids;
  for (const auto& m : w.smtp.messages()) ++ids[testing::messageIdOf(m.data)];
  CHECK_FALSE(ids.empty());
  for (const auto& [id, n] : ids) CHECK(n == 1);
}

TEST_CASE("ha: a clean stop gives the lease up: the standby scans at its next step", "[postgres]") {
  HaWorld w;
  NotifySocket notify_a(w.dir.file("a.sock")), notify_b(w.dir.file("b.sock"));
  auto a = startOn("machine-a", w.config, notify_a);
  REQUIRE_FALSE(notify_a.waitFor("STATUS=last scan", std::chrono::seconds(60)).empty());
  // B with its endpoint on: a standby answers /healthz as healthy, naming the holder.
  const std::string config_b =
      w.dir.write("b.yaml", replaceAll(testing::readFile(w.config), "http:\n  enabled: false\n",
                                       "http:\n  listen: 127.0.0.1:0\n"));
  auto b = startOn("machine-b", config_b, notify_b);
  const int port = b->port(notify_b);
  REQUIRE(b->waitForErr("standing by: ", std::chrono::seconds(20)));
  auto standby =
      testing::httpRequest("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz");
  CHECK(standby.status == 200);
  CHECK_THAT(standby.body,
             Catch::Contains("standing by: ") &&
                 Catch::Contains(":" + std::to_string(a->pid()) + " holds the lease"));
  a->signal(SIGTERM);
  REQUIRE(a->waitExit(std::chrono::seconds(10)) == 0);
  const auto stopped = std::chrono::steady_clock::now();
  REQUIRE_FALSE(
      notify_b.waitFor("STATUS=scanning", std::chrono::seconds(4 * kLeaseSeconds)).empty());
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  WARN("takeover after a clean stop: " << took << " s");
  CHECK(took <= kLeaseSeconds / 3.0 + 1.0);  // the standby's next step, not a lease period
  REQUIRE_FALSE(notify_b.waitFor("STATUS=last scan", std::chrono::seconds(60)).empty());
  b->signal(SIGTERM);
  REQUIRE(b->waitExit(std::chrono::seconds(10)) == 0);
}

TEST_CASE("ha: a standby keeps its own refresh token in use, and says when it is refused",
          "[postgres]") {
  HaWorld w;
  NotifySocket notify_a(w.dir.file("a.sock")), notify_b(w.dir.file("b.sock"));
  auto a = startOn("machine-a", w.config, notify_a);
  REQUIRE_FALSE(notify_a.waitFor("STATUS=last scan", std::chrono::seconds(60)).empty());
  // B on a machine of its own: its own directory, refresh token and endpoint. Its token was
  // last written two days ago (each use rotates it): due for use.
  for (const char* f : {"client_secret", "inventory.json"})
    REQUIRE(::chmod(w.dir.write("b/" + std::string(f), testing::readFile(w.dir.file(f))).c_str(),
                    0600) == 0);
  const std::string token = w.login.issueRefreshToken(w.now);
  const std::string token_file = w.dir.write("b/refresh_token", token + "\n");
  REQUIRE(::chmod(token_file.c_str(), 0600) == 0);
  const timeval old[2] = {{::time(nullptr) - 2 * 86400, 0}, {::time(nullptr) - 2 * 86400, 0}};
  REQUIRE(::utimes(token_file.c_str(), old) == 0);
  const std::string config_b = w.dir.write(
      "b/cspwatch.yaml", replaceAll(testing::readFile(w.config), "http:\n  enabled: false\n",
                                    "http:\n  listen: 127.0.0.1:0\n"));
  auto b = startOn("machine-b", config_b, notify_b);
  const int port = b->port(notify_b);
  REQUIRE(b->waitForErr("the partner user's refresh token was used and renewed",
                        std::chrono::seconds(20)));
  CHECK(testing::readFile(token_file) != token + "\n");  // rotated
  struct stat st {};
  REQUIRE(::stat(token_file.c_str(), &st) == 0);
  CHECK(st.st_mtime > ::time(nullptr) - 60);
  const std::string health = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  CHECK(testing::httpRequest("GET", health).status == 200);

  // A token Entra refuses: B's /healthz says so before B is ever needed.
  REQUIRE(writeFileAtomically(token_file, "not-a-token-entra-knows\n", 0600));
  REQUIRE(::utimes(token_file.c_str(), old) == 0);
  REQUIRE(b->waitForErr("sign-in is refused (run 'cspwatch auth login' on this machine)",
                        std::chrono::seconds(20)));
  auto refused = testing::httpRequest("GET", health);
  CHECK(refused.status == 503);
  CHECK_THAT(refused.body, Catch::Contains("cannot sign in to Partner Center"));
  // Not tried again while the file stays as it is (three lease steps: Entra is not asked every
  // step for a token it refused).
  CHECK_FALSE(b->waitForErrCount("sign-in is refused", 2, std::chrono::seconds(3)));
  // `cspwatch auth login` writes a new token: tried at once, not a day later; healthy again.
  REQUIRE(writeFileAtomically(token_file, w.login.issueRefreshToken(w.now) + "\n", 0600));
  REQUIRE(b->waitForErrCount("the partner user's refresh token was used and renewed", 2,
                             std::chrono::seconds(20)));
  CHECK(testing::httpRequest("GET", health).status == 200);
  for (auto* d : {a.get(), b.get()}) {
    d->signal(SIGTERM);
    REQUIRE(d->waitExit(std::chrono::seconds(10)) == 0);
  }
}
