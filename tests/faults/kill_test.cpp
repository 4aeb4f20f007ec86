// SPDX-License-Identifier: Apache-2.0
// Kill anywhere: `cspwatch run` against the simulator and a real SMTP server, killed with
// SIGKILL at seeded random moments (in a scan, while applying, while sending mail) and started
// again, many times. After every kill the database passes integrity_check; at the end the open
// findings are exactly the simulator's truth (none lost, none doubled), every alert was
// delivered, and any message the server got twice carries the same Message-ID (the one window
// no client can close: between the server's "250 queued" and our "sent" mark).
//
// 50 trials, 12 in the sanitizer build (CSPWATCH_KILL_TRIALS sets either): what the kills prove
// about the database and the mail is the release run's, and what the sanitizers add, the memory
// behaviour of a start that recovers from a kill (an interrupted scan, a half-sent outbox), each
// trial after the first repeats; a dozen seeded kills still land before, in and after a scan.
//
// On PostgreSQL (`--store postgres`, the ctest label `postgres`) 20 trials, not 50, to keep CI
// within its time: the files there are the server's, which a client's kill cannot tear, so what
// the kills test is our transactions and the outbox, the same code as on SQLite, and 20 seeded
// kills still land in every phase (start, scan, apply, mail). "integrity" there reads every table
// whole (fault_checks.h).
#include <csignal>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

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
#include "storage/database.h"
#include "storage/finding_store.h"
#include "storage/outbox.h"
#include "tests/faults/fault_checks.h"
#include "tests/faults/sim_config.h"
#include "tests/support/daemon_process.h"
#include "tests/support/process.h"
#include "tests/support/sanitizers.h"
#include "tests/support/smtp_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using cspwatch::testing::Daemon;
using cspwatch::testing::NotifySocket;
using cspwatch::testing::TempDir;

namespace {

using cspwatch::testing::kSimClient;

int trials() {
  const char* v = std::getenv("CSPWATCH_KILL_TRIALS");
  if (v != nullptr) return std::max(1, std::atoi(v));
  // Why fewer under the sanitizers and on PostgreSQL: the opening comment.
  if (testing::kAddressSanitizer) return 12;
  return testing::onPostgres() ? 20 : 50;
}

}  // namespace

TEST_CASE("faults: kill -9 anywhere loses no finding and no alert, and sends none twice",
          "[faults]") {
  TempDir dir;
  SystemClock clock;
  const Timestamp now = clock.now();
  sim::World world = sim::generateWorld(60, 42, now);
  sim::LoginService login(
      sim::LoginOptions{kSimClient, "s3cret", Seconds(3600), Seconds(60), "", true}, 17);
  sim::FaultOptions slow;
  slow.latency_ms = 4;  // scans of about a second: kills land in every phase
  slow.jitter_ms = 4;
  slow.rate_limits = false;
  sim::FaultInjector faults(slow);
  sim::SimApi api(world, login, clock, &faults);
  sim::SimServer server(api);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.start(0, 16));
  testing::SmtpServer smtp;  // plain SMTP on loopback: the mail path, without TLS cost
  testing::writeSimFiles(dir, login, world, now);
  const std::string domain = world.partner.email_domains[0];
  // The store of the run's backend: a file beside the config, or a schema on the test server.
  const storage::StoreLocation db = testing::testStore(dir, "cspwatch.db");
  const std::string config =
      dir.write("cspwatch.yaml",
                testing::simConfigYaml(
                    world.partner, base, 4,
                    "schedule:\n  interval: 5m\n"
                    "http:\n  enabled: false\n"
                    "alerts:\n  transport: smtp\n  from: cspwatch@" +
                        domain + "\n  templates_dir: " + testing::sourcePath("etc/templates") +
                        "\n  could_not_check_after_scans: 1\n  retry_first: 1s\n  retry_max: 2s\n"
                        "  smtp:\n    host: 127.0.0.1\n    port: " +
                        std::to_string(smtp.port()) +
                        "\n    tls: none\n"
                        "  routes:\n    - to: [ops@" +
                        domain + "]\n      default: true\n    - to: [gdap@" + domain +
                        "]\n      match: {rule_tags: [gdap]}\n",
                    testing::storageYaml(db)));

  std::mt19937_64 rng(20261126);
  std::uniform_int_distribution<int> delay_ms(0, 1500);
  NotifySocket notify(dir.file("notify.sock"));
  const int n = trials();
  int killed_in_scan = 0;
  for (int i = 0; i < n; ++i) {
    Daemon d(config, notify.path());
    // Kill at a random moment after it is ready: during a scan, its apply or its mail.
    REQUIRE_FALSE(notify.waitFor("READY=1", std::chrono::seconds(20)).empty());
    const std::string status =
        notify.waitFor("STATUS=last scan", std::chrono::milliseconds(delay_ms(rng)));
    killed_in_scan += status.empty();
    d.signal(SIGKILL);
    REQUIRE(d.waitExit(std::chrono::seconds(10)) == 128 + SIGKILL);
    INFO("trial " << i);
    REQUIRE(testing::integrityCheck(db) == "ok");
  }
  // A last, undisturbed run: one complete scan, then the mail goes out.
  {
    Daemon d(config, notify.path());
    REQUIRE_FALSE(notify.waitFor("STATUS=last scan", std::chrono::seconds(60)).empty());
    d.signal(SIGTERM);
    REQUIRE(d.waitExit(std::chrono::seconds(10)) == 0);
  }
  REQUIRE(testing::integrityCheck(db) == "ok");
  // Anything still waiting for its retry time is sent now (a later moment).
  auto send = testing::runBinary("cspwatch", {"-c", config, "alerts", "send", "--now",
                                              formatTimestamp(clock.now() + Seconds(3600))});
  INFO(send.out << send.err);

  // Findings: exactly the truth, each once.
  auto store = storage::FindingStore::open(db);
  REQUIRE(store);
  auto open = store->listFindings({storage::StateFilter::kOpen, "", "", ""}, clock.now());
  REQUIRE(open);
  std::multiset<std::string> found;
  for (const auto& f : *open) found.insert(f.rule_id + " " + f.tenant_id + " " + f.subject);
  std::multiset<std::string> truth;
  for (const auto& e : sim::computeTruth(world, now))
    if (e.outcome == "fail") truth.insert(e.rule + " " + e.tenant_id + " " + e.subject);
  CHECK(found == truth);
  auto scans = store->listScans(1000);
  REQUIRE(scans);
  int completed = 0, interrupted = 0;
  for (const auto& s : *scans) {
    completed += s.status == storage::ScanStatus::kCompleted;
    interrupted += s.status == storage::ScanStatus::kInterrupted;
  }
  CHECK(completed >= 1);

  // Alerts: every queued message was sent; the server has each Message-ID, and a repeat only
  // with the same Message-ID.
  storage::Outbox outbox(store->db());
  auto pending = outbox.pending();
  REQUIRE(pending);
  CHECK(pending->empty());
  auto all = outbox.recent(100000);
  REQUIRE(all);
  std::set<std::string> queued;
  for (const auto& m : *all) queued.insert(m.message_id);
  std::map<std::string, int> received;
  for (const auto& m : smtp.messages()) ++received[testing::messageIdOf(m.data)];
  int repeats = 0;
  for (const auto& [id, count] : received) {
    CHECK(queued.count(id) == 1);  // nothing the outbox did not queue
    repeats += count - 1;
  }
  for (const auto& id : queued) CHECK(received.count(id) == 1);  // nothing lost
  INFO(n << " kills, " << killed_in_scan << " before a scan finished, " << interrupted
         << " scans interrupted, " << completed << " completed, " << queued.size() << " messages, "
         << repeats << " resent after a kill between 250 and the sent mark");
  CHECK(repeats <= n);  // at most one per kill, always with the same Message-ID
  WARN(n << " kills: " << completed << " scans completed, " << interrupted << " left interrupted, "
         << queued.size() << " messages, " << repeats << " repeats");
}
