// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL server going away, with the real `cspwatch scan --once` and `cspwatch run`:
// restarted in the middle of a scan and between two scans, and unreachable while a scan runs
// (stopped, connections refused on its port). Each test has a server of its own
// (tests/support/postgres_server.h): the fixture's is shared by the tests running beside it, so
// none may take it away. Tagged [postgres]: they run in the `postgres` run only.
//
// The middle of a scan is a known point, without a sleep: `cspwatch-faulty` runs the command
// that restarts or stops the server right after the scan staged its 10th tenant
// (CSPWATCH_TEST_COMMAND_AFTER_TENANTS). Between the first good scan and the trouble the
// simulator's world grows (the same tenants and as many again), so the scan that meets it has
// plenty to write. Asserted: that scan fails (exit status 1, or the daemon's STATUS and log)
// naming the server by its address and never showing its password; nothing stored changes; and
// once the server is back, the next scan, one-shot or the daemon's, records the simulator's truth.
#include <chrono>
#include <csignal>
#include <string>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "sim/login.h"
#include "storage/database.h"
#include "tests/faults/fault_checks.h"
#include "tests/faults/sim_config.h"
#include "tests/support/daemon_process.h"
#include "tests/support/free_port.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::Contains;
using cspwatch::testing::Daemon;
using cspwatch::testing::NotifySocket;
using cspwatch::testing::ProcessResult;

namespace {

using cspwatch::testing::openFindings;
using cspwatch::testing::requireUnchanged;
using cspwatch::testing::snapshot;
using cspwatch::testing::truthOf;

const auto kWait = std::chrono::seconds(20);
// The staged tenant after which cspwatch-faulty takes the server away (of 60).
const char* const kTroubleAfter = "10";

// The two worlds, their simulators, a server of the test's own and a configuration (the store
// in schema "faults" on that server, the daemon's endpoint on a free port) over either world.
struct Setup {
  testing::TempDir dir;
  SystemClock clock;
  testing::Worlds w;
  sim::LoginService login{
      sim::LoginOptions{testing::kSimClient, "s3cret", Seconds(3600), Seconds(60), "", true}, 17};
  testing::PlainSim small_sim{w.small, login, clock}, grown_sim{w.grown, login, clock};
  testing::PostgresServer server{dir};
  const storage::StoreLocation db = server.store("faults");
  const int port = testing::freePort();
  std::string config = dir.file("cspwatch.yaml");

  Setup() {
    REQUIRE(w.grown.tenants[29].id == w.small.tenants[29].id);
    testing::writeSimFiles(dir, login, w.small, w.now);
    use(w.small, small_sim);
  }
  // The configuration and the inventory over `world`, served by `sim` (a running daemon reads
  // them again on SIGHUP).
  void use(const sim::World& world, const testing::PlainSim& sim) {
    REQUIRE(writeFileAtomically(dir.file("inventory.json"), sim::inventoryJson(world), 0644));
    const std::string yaml = testing::simConfigYaml(
        world.partner, sim.base, 4,
        "schedule:\n  interval: 1h\nhttp:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n",
        server.storageYaml("faults"));
    REQUIRE(writeFileAtomically(config, yaml, 0644));
  }
  ProcessResult run(const std::vector<std::string>& args) {
    return testing::runBinary("cspwatch", args);
  }
  // `scan --once` by cspwatch-faulty, which runs postgres_server.sh `action` on the server
  // right after staging its kTroubleAfter-th tenant.
  ProcessResult scanMeeting(const std::string& action) {
    return testing::runBinary("cspwatch-faulty", {"-c", config, "scan", "--once"},
                              {{"CSPWATCH_TEST_COMMAND_AFTER_TENANTS", kTroubleAfter},
                               {"CSPWATCH_TEST_COMMAND", server.command(action)}});
  }
  // The first good scan, on the small world: its findings are the truth.
  void firstScan() {
    auto once = run({"-c", config, "scan", "--once"});
    INFO(once.out << once.err);
    REQUIRE(once.exit_code == 0);
    REQUIRE(openFindings(db) == truthOf(w.small, w.now));
  }
  // A failed one-shot scan's report: the server named, its password nowhere.
  void requireNamesServer(const ProcessResult& r) {
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err,
               Contains("the scan failed and changed nothing") && Contains(server.address()));
    CHECK_THAT(r.out + r.err, !Contains(server.password()));
  }
};

// The next scan outcome the daemon reports to systemd ("STATUS=last scan ...").
std::string nextOutcome(NotifySocket& notify, Daemon& d) {
  const std::string status = notify.waitFor("STATUS=last scan", kWait);
  INFO(d.err());
  REQUIRE_FALSE(status.empty());
  return status;
}

// `cspwatch scan --now`: asks the running daemon for a scan.
void scanNow(Setup& s) {
  auto r = s.run({"-c", s.config, "scan", "--now"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE(
    "faults: a PostgreSQL server restart in a scan fails that scan and changes nothing, and "
    "the daemon's scans before and after a restart both record the truth",
    "[faults][postgres]") {
  Setup s;
  s.firstScan();
  const testing::Snapshot before = snapshot(s.db, 1);

  // The world grows; the server restarts while the scan stages it: every connection is cut,
  // and with it what was staged (temporary tables). Nothing of that scan may be applied.
  s.use(s.w.grown, s.grown_sim);
  s.requireNamesServer(s.scanMeeting("restart"));
  CHECK(testing::integrityCheck(s.db) == "ok");
  requireUnchanged(before, snapshot(s.db, 1));

  // The daemon: its first scan records the grown world; the server restarts between that scan
  // and the next, which records it again on a new connection.
  NotifySocket notify(s.dir.file("notify.sock"));
  Daemon d(s.config, notify.path());
  REQUIRE_FALSE(notify.waitFor("READY=1", kWait).empty());
  CHECK_THAT(nextOutcome(notify, d), Contains("completed"));
  const auto truth = truthOf(s.w.grown, s.w.now);
  CHECK(openFindings(s.db) == truth);
  s.server.restart();
  scanNow(s);
  CHECK_THAT(nextOutcome(notify, d), Contains("completed"));
  CHECK(openFindings(s.db) == truth);
  d.signal(SIGTERM);
  REQUIRE(d.waitExit(std::chrono::seconds(10)) == 0);
  CHECK_THAT(d.err(), !Contains(s.server.password()));
}

TEST_CASE(
    "faults: the PostgreSQL server unreachable during a scan fails it naming it (never "
    "its password), changes nothing, and the next scan once it is back records the truth",
    "[faults][postgres]") {
  Setup s;
  s.firstScan();
  const testing::Snapshot before = snapshot(s.db, 1);

  // A one-shot scan: the server stops after the 10th tenant was staged.
  s.use(s.w.grown, s.grown_sim);
  s.requireNamesServer(s.scanMeeting("pause"));
  s.server.resume();
  CHECK(testing::integrityCheck(s.db) == "ok");
  requireUnchanged(before, snapshot(s.db, 1));

  // The daemon: its first scan, once the server is back, records the grown world.
  NotifySocket notify(s.dir.file("notify.sock"));
  Daemon d(s.config, notify.path());
  REQUIRE_FALSE(notify.waitFor("READY=1", kWait).empty());
  CHECK_THAT(nextOutcome(notify, d), Contains("completed"));
  const auto truth = truthOf(s.w.grown, s.w.now);
  CHECK(openFindings(s.db) == truth);

  // The server stops; the daemon's next scan fails loudly (STATUS, the log) naming it.
  s.server.pause();
  scanNow(s);
  const std::string failed = nextOutcome(notify, d);
  CHECK_THAT(failed, Contains("last scan FAILED") && Contains(s.server.address()));
  CHECK(d.waitForErr("error: last scan FAILED", kWait));
  CHECK_THAT(d.err(), !Contains(s.server.password()));

  // Back: the next scan works, and the failed one changed nothing.
  s.server.resume();
  scanNow(s);
  CHECK_THAT(nextOutcome(notify, d), Contains("completed"));
  CHECK(openFindings(s.db) == truth);
  d.signal(SIGTERM);
  REQUIRE(d.waitExit(std::chrono::seconds(10)) == 0);
}
