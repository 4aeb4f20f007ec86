// SPDX-License-Identifier: Apache-2.0
// Disk trouble: the database on a full disk or read-only, with the real `cspwatch run` and
// `cspwatch scan --once`.
//
// A full disk is a file size limit (RLIMIT_FSIZE with SIGXFSZ ignored: a write past it fails
// with EFBIG, as it fails with ENOSPC on a full disk), lowered on the running daemon with
// prlimit(2) and raised again when "space returns". A read-only database is its file and its
// directory without write permission; when the test runs as root (whose CAP_DAC_OVERRIDE
// ignores file modes), cspwatch runs as root without that capability, so the modes bind. (Not as
// another user: that user may not reach the build tree, or even "/" in a chroot made by mktemp.)
//
// Either way, between a good scan and the trouble the simulator's world grows (the same
// tenants and more), so the failing scan has plenty to write. Asserted: the scan fails loudly
// (exit status and stderr, the log line, systemd's STATUS, /metrics) naming the database and the
// reason; integrity_check passes; everything stored before is unchanged (compared with a copy
// taken before); no alert is lost; and once the trouble ends the next scan records the
// simulator's truth.
//
// All of it is about the SQLite file (its size, its mode, its directory): tagged [sqlite], these
// run on SQLite only. A PostgreSQL server that goes away is tests/faults/postgres_test.cpp.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/text.h"
#include "sim/api.h"
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
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/prometheus.h"
#include "tests/support/smtp_server.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::Contains;
using cspwatch::testing::ChildOptions;
using cspwatch::testing::Daemon;
using cspwatch::testing::NotifySocket;
using cspwatch::testing::TempDir;

namespace {

using cspwatch::testing::kSimClient;
using cspwatch::testing::openFindings;
using cspwatch::testing::requireUnchanged;
using cspwatch::testing::Snapshot;
using cspwatch::testing::snapshot;
using cspwatch::testing::truthOf;
using cspwatch::testing::Worlds;
using Sim = cspwatch::testing::PlainSim;

const auto kWait = std::chrono::seconds(20);
// The "disk" is full once a file would grow past 64 KiB: SQLite's -shm (32 KiB) and a few WAL
// frames fit, a scan's changes do not, and the database itself (far bigger) cannot grow.
constexpr uint64_t kFullAt = 64 * 1024;
// How cspwatch names that limit when a write fails on it.
const char* const kLimitNamed = "files limited to 64 KiB (RLIMIT_FSIZE)";

// A port nobody listens on now, for http.listen (so that `scan --now` finds the daemon).
int freePort() {
  Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = probe.address().port();
  probe.close();
  return port;
}

std::string configYaml(const sim::World& world, const std::string& base, int port,
                       const std::string& db, const std::string& extra = "") {
  const std::string yaml = testing::simConfigYaml(
      world.partner, base, 4,
      "schedule:\n  interval: 1h\nhttp:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n" +
          extra);
  const std::string with_db =
      replaceAll(yaml, "storage:\n  path: cspwatch.db\n", "storage:\n  path: " + db + "\n");
  REQUIRE(with_db != yaml);
  return with_db;
}

// Points the running daemon at another world: its inventory and its simulator (SIGHUP).
void switchWorld(const TempDir& dir, Daemon& d, NotifySocket& notify, const std::string& config,
                 const sim::World& world, const std::string& yaml) {
  REQUIRE(writeFileAtomically(dir.file("inventory.json"), sim::inventoryJson(world), 0644));
  REQUIRE(writeFileAtomically(config, yaml, 0644));
  d.signal(SIGHUP);
  REQUIRE_FALSE(notify.waitFor("RELOADING=1", kWait).empty());
  REQUIRE_FALSE(notify.waitFor("READY=1", kWait).empty());
}

testing::ProcessResult runCspwatch(const std::vector<std::string>& args,
                                   const ChildOptions& options = {}) {
  return testing::runBinary("cspwatch", args, {}, options);
}

// `cspwatch scan --now`: asks the running daemon for a scan.
void scanNow(const std::string& config) {
  auto r = runCspwatch({"-c", config, "scan", "--now"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// The next scan outcome the daemon reports to systemd ("STATUS=last scan ...").
std::string nextOutcome(NotifySocket& notify, Daemon& d) {
  const std::string status = notify.waitFor("STATUS=last scan", kWait);
  INFO(d.err());
  REQUIRE_FALSE(status.empty());
  return status;
}

int64_t scanIdOf(const std::string& status) {
  static const std::regex kId("last scan ([0-9]+) completed");
  std::smatch m;
  REQUIRE(std::regex_search(status, m, kId));
  return std::stoll(m[1].str());
}

// SQLite's own handle on a file, for what the store does not offer (its online backup).
struct RawSqlite {
  explicit RawSqlite(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK);
  }
  ~RawSqlite() { sqlite3_close_v2(db); }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;
  sqlite3* db = nullptr;
};

// A consistent copy of the database (SQLite's online backup).
void backup(const std::string& from, const std::string& to) {
  RawSqlite src(from), dst(to);
  sqlite3_backup* b = sqlite3_backup_init(dst.db, "main", src.db, "main");
  REQUIRE(b != nullptr);
  CHECK(sqlite3_backup_step(b, -1) == SQLITE_DONE);
  REQUIRE(sqlite3_backup_finish(b) == SQLITE_OK);
}

testing::Exposition metrics(int port) {
  auto r = testing::httpRequest("GET", "http://127.0.0.1:" + std::to_string(port) + "/metrics");
  REQUIRE(r.status == 200);
  auto e = testing::parse(r.body);
  REQUIRE(e.errors.empty());
  return e;
}

double scansTotal(const testing::Exposition& e, const std::string& status) {
  auto v = e.value("cspwatch_scans_total", {{"partner", "default"}, {"status", status}});
  REQUIRE(v);
  return *v;
}

// The daemon's log line (stderr) that says `needle`, "" if none comes.
std::string logLine(Daemon& d, const std::string& needle) {
  if (!d.waitForErr(needle, kWait)) return "";
  for (const auto& line : split(d.err(), '\n'))
    if (line.find(needle) != std::string::npos) return line;
  return "";
}

// Whether a child started with `as` can open `path` for writing: the check that a read-only
// file really is read-only for cspwatch. "" when it is not writable, else why the test cannot
// make it so here.
std::string writableBy(const std::string& path, const ChildOptions& as) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (!testing::applyChildOptions(as)) ::_exit(2);
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    ::_exit(fd >= 0 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2) return "a child cannot drop CAP_DAC_OVERRIDE";
  if (WEXITSTATUS(status) == 0)
    return as.drop_dac_override
               ? "root without CAP_DAC_OVERRIDE can still write a file of mode 0400"
               : "this user can still write a file of mode 0400 (CAP_DAC_OVERRIDE?)";
  return "";
}

// The database's files (the database, its -wal and -shm files when they exist) and their
// directory made read-only, and writable again (also when the test ends, whatever happened).
class ReadOnlyDatabase {
 public:
  explicit ReadOnlyDatabase(std::string db) : db_(std::move(db)) {}
  ~ReadOnlyDatabase() { (void)apply(true); }
  void set(bool writable) { REQUIRE(apply(writable).empty()); }

 private:
  // "" or what failed.
  std::string apply(bool writable) noexcept {
    std::string failed;
    for (const std::string& f : {db_, db_ + "-wal", db_ + "-shm"})  // -wal, -shm come and go
      if (::chmod(f.c_str(), writable ? 0600 : 0400) != 0 && errno != ENOENT)
        failed += f + ": " + std::strerror(errno) + " ";
    const std::string dir = db_.substr(0, db_.rfind('/'));
    if (::chmod(dir.c_str(), writable ? 0700 : 0500) != 0)
      failed += dir + ": " + std::strerror(errno);
    return failed;
  }
  std::string db_;
};

}  // namespace

TEST_CASE(
    "faults: a full disk fails the daemon's scan and a one-shot scan loudly, damages nothing, "
    "loses no alert, and the daemon recovers when space returns",
    "[faults][disk][sqlite]") {
  TempDir dir;
  SystemClock clock;
  Worlds w;
  REQUIRE(w.grown.tenants[29].id == w.small.tenants[29].id);
  sim::LoginService login(
      sim::LoginOptions{kSimClient, "s3cret", Seconds(3600), Seconds(60), "", true}, 17);
  Sim before_sim(w.small, login, clock), after_sim(w.grown, login, clock);
  testing::SmtpServerOptions smtp_options;
  smtp_options.tempfail = 1;  // the first message waits in the outbox: queued and sent ones
  testing::SmtpServer smtp(smtp_options);
  testing::writeSimFiles(dir, login, w.small, w.now);
  const std::string domain = w.small.partner.email_domains[0];
  const std::string alerts =
      "alerts:\n  transport: smtp\n  from: cspwatch@" + domain +
      "\n  templates_dir: " + testing::sourcePath("etc/templates") +
      "\n  retry_first: 1h\n  retry_max: 2h\n  smtp:\n    host: 127.0.0.1\n    port: " +
      std::to_string(smtp.port()) + "\n    tls: none\n  routes:\n    - to: [ops@" + domain +
      "]\n      default: true\n    - to: [gdap@" + domain + "]\n      match: {rule_tags: [gdap]}\n";
  const std::string db = dir.file("cspwatch.db");
  const int port = freePort();
  const std::string config =
      dir.write("cspwatch.yaml", configYaml(w.small, before_sim.base, port, db, alerts));

  NotifySocket notify(dir.file("notify.sock"));
  ChildOptions child;
  child.ignore_sigxfsz = true;  // for the limit lowered later: a write past it fails, no signal
  Daemon d(config, notify.path(), "", "", child);
  REQUIRE_FALSE(notify.waitFor("READY=1", kWait).empty());
  const std::string first = nextOutcome(notify, d);
  REQUIRE_THAT(first, Contains("last scan 1 completed"));

  // The good scan stored its findings and its alerts: sent, and one still queued (451).
  REQUIRE(openFindings(db) == truthOf(w.small, w.now));
  {
    auto store = storage::FindingStore::open(db);
    REQUIRE(store);
    storage::Outbox outbox(store->db());
    auto all = outbox.recent(1000);
    REQUIRE(all);
    int sent = 0, queued = 0;
    for (const auto& m : *all) (m.status == storage::OutboxStatus::kSent ? sent : queued) += 1;
    REQUIRE(sent >= 1);
    REQUIRE(queued == 1);
  }
  backup(db, dir.file("before.db"));
  const Snapshot before = snapshot(dir.file("before.db"), 1);

  // The disk fills up; the world grows.
  rlimit space{};
  REQUIRE(::prlimit(d.pid(), RLIMIT_FSIZE, nullptr, &space) == 0);
  rlimit full = space;
  full.rlim_cur = kFullAt;
  REQUIRE(::prlimit(d.pid(), RLIMIT_FSIZE, &full, nullptr) == 0);
  switchWorld(dir, d, notify, config, w.grown,
              configYaml(w.grown, after_sim.base, port, db, alerts));

  scanNow(config);
  const std::string failed = nextOutcome(notify, d);
  INFO(d.err());
  // Loud: STATUS, an error line in the log, the database and the reason named.
  CHECK_THAT(failed, Contains("last scan FAILED") && Contains(db) && Contains(kLimitNamed));
  const std::string line = logLine(d, "error: last scan FAILED");
  CHECK_THAT(line, Contains(db) && Contains(kLimitNamed));
  {
    const auto m = metrics(port);
    CHECK(scansTotal(m, "failed") == 1);
    CHECK(scansTotal(m, "completed") == 1);
  }
  // /healthz by its contract: a scan completed within two intervals, so still ok; the failure
  // is in /metrics (cspwatch_scans_total{status="failed"}).
  auto health =
      testing::httpRequest("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz");
  CHECK(health.status == 200);

  // Nothing stored is damaged or changed; the failed scan is recorded as failed, with why.
  CHECK(testing::integrityCheck(db) == "ok");
  requireUnchanged(before, snapshot(db, 1));
  {
    auto store = storage::FindingStore::open(db);
    REQUIRE(store);
    auto scans = store->listScans(10);
    REQUIRE(scans);
    REQUIRE(scans->size() == 2);
    CHECK(scans->front().status == storage::ScanStatus::kFailed);
    CHECK_THAT(scans->front().error, Contains(kLimitNamed));
  }

  // A one-shot scan on the full disk: exit status 1, the reason on stderr, nothing changed.
  {
    ChildOptions limited;
    limited.file_size_limit = kFullAt;
    auto once = runCspwatch({"-c", config, "scan", "--once"}, limited);
    INFO(once.out << once.err);
    CHECK(once.exit_code == 1);
    CHECK_THAT(once.err, Contains("the scan failed and changed nothing") && Contains(db) &&
                             Contains(kLimitNamed));
    CHECK(testing::integrityCheck(db) == "ok");
    requireUnchanged(before, snapshot(db, 1));
  }

  // Space returns: the next scan records the grown world, and its alerts go out.
  REQUIRE(::prlimit(d.pid(), RLIMIT_FSIZE, &space, nullptr) == 0);
  scanNow(config);
  const std::string recovered = nextOutcome(notify, d);
  CHECK_THAT(recovered, Contains("completed"));
  const int64_t recovery_scan = scanIdOf(recovered);
  CHECK(testing::integrityCheck(db) == "ok");
  const auto truth = truthOf(w.grown, w.now);
  CHECK(openFindings(db) == truth);
  {
    const auto m = metrics(port);
    CHECK(scansTotal(m, "completed") == 2);
    CHECK(scansTotal(m, "failed") == 1);
  }
  d.signal(SIGTERM);
  REQUIRE(d.waitExit(std::chrono::seconds(10)) == 0);

  // No alert lost: the grown world's new findings were announced by the scan that recorded
  // them, and every message queued, the one that met 451 included, reached the server.
  auto send = runCspwatch(
      {"-c", config, "alerts", "send", "--now", formatTimestamp(clock.now() + Seconds(3 * 3600))});
  INFO(send.out << send.err);
  CHECK(send.exit_code == 0);
  auto store = storage::FindingStore::open(db);
  REQUIRE(store);
  auto events = store->db().prepare(
      "SELECT count(*) FROM finding_events WHERE kind = 'opened' AND scan_id = ?1");
  REQUIRE(events);
  events->bind(1, recovery_scan);
  REQUIRE(events->step());
  CHECK(static_cast<size_t>(events->getInt(0)) == truth.size() - truthOf(w.small, w.now).size());
  storage::Outbox outbox(store->db());
  auto pending = outbox.pending();
  REQUIRE(pending);
  CHECK(pending->empty());
  auto all = outbox.recent(1000);
  REQUIRE(all);
  std::set<std::string> received;
  for (const auto& m : smtp.messages()) {
    REQUIRE_FALSE(testing::messageIdOf(m.data).empty());
    received.insert(testing::messageIdOf(m.data));
  }
  int from_recovery = 0;
  for (const auto& m : *all) {
    INFO(m.message_id << " " << storage::outboxStatusName(m.status) << " " << m.last_error);
    CHECK(m.status == storage::OutboxStatus::kSent);
    CHECK(received.count(m.message_id) == 1);
    from_recovery += m.scan_id && *m.scan_id == recovery_scan;
  }
  CHECK(from_recovery >= 1);
}

TEST_CASE(
    "faults: a read-only database fails the daemon's scan and a one-shot scan with a clear "
    "message, changes nothing, and the daemon recovers when it is writable again",
    "[faults][disk][sqlite]") {
  TempDir dir;
  SystemClock clock;
  Worlds w;
  // Root ignores file modes (CAP_DAC_OVERRIDE): cspwatch then runs without that capability.
  const bool root = ::geteuid() == 0;
  ChildOptions as;
  as.drop_dac_override = root;
  sim::LoginService login(
      sim::LoginOptions{kSimClient, "s3cret", Seconds(3600), Seconds(60), "", true}, 17);
  Sim before_sim(w.small, login, clock), after_sim(w.grown, login, clock);
  testing::writeSimFiles(dir, login, w.small, w.now);
  // The database in a directory of its own: the refresh token beside the config stays writable.
  const std::string db_dir = dir.file("db");
  REQUIRE(::mkdir(db_dir.c_str(), 0700) == 0);
  const std::string db = db_dir + "/cspwatch.db";
  const int port = freePort();
  const std::string config =
      dir.write("cspwatch.yaml", configYaml(w.small, before_sim.base, port, db));
  NotifySocket notify(dir.file("notify.sock"));
  // Can a file be read-only for cspwatch here at all? If not, say so rather than pass falsely.
  {
    const std::string probe = dir.write("probe", "x");
    REQUIRE(::chmod(probe.c_str(), 0400) == 0);
    if (const std::string why = writableBy(probe, as); !why.empty()) {
      WARN("skipped: a read-only database cannot be set up here: " << why);
      return;
    }
  }

  Daemon d(config, notify.path(), "", "", as);
  REQUIRE_FALSE(notify.waitFor("READY=1", kWait).empty());
  REQUIRE_THAT(nextOutcome(notify, d), Contains("last scan 1 completed"));
  REQUIRE(openFindings(db) == truthOf(w.small, w.now));
  backup(db, dir.file("before.db"));
  const Snapshot before = snapshot(dir.file("before.db"), 1);

  // The database's files and their directory lose write permission; the world grows.
  ReadOnlyDatabase files(db);
  files.set(false);
  REQUIRE(writableBy(db, as).empty());
  switchWorld(dir, d, notify, config, w.grown, configYaml(w.grown, after_sim.base, port, db));

  scanNow(config);
  const std::string failed = nextOutcome(notify, d);
  INFO(d.err());
  CHECK_THAT(failed, Contains("last scan FAILED") && Contains(db) && Contains("Permission denied"));
  CHECK_THAT(logLine(d, "error: last scan FAILED"), Contains(db) && Contains("Permission denied"));
  {
    const auto m = metrics(port);
    CHECK(scansTotal(m, "failed") == 1);
    CHECK(scansTotal(m, "completed") == 1);
  }

  // A one-shot scan: exit status 1, the database and the reason on stderr.
  {
    auto once = runCspwatch({"-c", config, "scan", "--once"}, as);
    INFO(once.out << once.err);
    CHECK(once.exit_code == 1);
    CHECK_THAT(once.err, Contains(db) && Contains("Permission denied"));
  }
  // Only the directory read-only (the file writable): SQLite cannot create the -wal and -shm
  // files beside it, and the message says so rather than blaming the file.
  {
    REQUIRE(::chmod(db.c_str(), 0600) == 0);
    auto once = runCspwatch({"-c", config, "scan", "--once"}, as);
    REQUIRE(::chmod(db.c_str(), 0400) == 0);
    INFO(once.out << once.err);
    CHECK(once.exit_code == 1);
    CHECK_THAT(once.err, Contains(db) && Contains("directory"));
  }

  // Writable again. Nothing was changed meanwhile (looked at before the next scan, over the
  // test's read-only connections, which could not run SQLite's recovery on files they may not
  // write), and the next scan records the grown world.
  files.set(true);
  CHECK(testing::integrityCheck(db) == "ok");
  requireUnchanged(before, snapshot(db, 1));
  scanNow(config);
  const std::string recovered = nextOutcome(notify, d);
  CHECK_THAT(recovered, Contains("completed"));
  CHECK(testing::integrityCheck(db) == "ok");
  CHECK(openFindings(db) == truthOf(w.grown, w.now));
  {
    const auto m = metrics(port);
    CHECK(scansTotal(m, "completed") == 2);
    CHECK(scansTotal(m, "failed") == 1);
  }
  d.signal(SIGTERM);
  CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
}
