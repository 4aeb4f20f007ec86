// SPDX-License-Identifier: Apache-2.0
// Many partner accounts (docs/operations.md#many-partner-accounts): one `cspwatch run` serving
// two accounts, each against a simulator of its own (its own world, sign-in and limits), scans
// both into stores of their own; and two instances on one PostgreSQL server spread three
// accounts 2+1 through the leases and the registry of instances, and after kill -9 of the one
// holding two, the other takes them over within two lease periods and scans them, every
// finding of each account's truth stored once.
#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "sim/generator.h"
#include "sim/login.h"
#include "sim/truth.h"
#include "storage/finding_store.h"
#include "storage/leases.h"
#include "tests/faults/ha_support.h"
#include "tests/faults/sim_config.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/prometheus.h"
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
constexpr auto kWait = std::chrono::seconds(60);

// One partner account: a world, the simulator serving it, its files in `dir`/<name>/.
struct Account {
  Account(const std::string& n, uint64_t seed, const TempDir& dir, const SystemClock& clock)
      : name(n),
        world(sim::generateWorld(25, seed, clock.now())),
        login(
            sim::LoginOptions{testing::kSimClient, "s3cret", Seconds(3600), Seconds(60), "", true},
            seed),
        sim(world, login, clock) {
    dir.write(name + "/client_secret", "s3cret\n");
    dir.write(name + "/refresh_token", login.issueRefreshToken(clock.now()) + "\n");
    dir.write(name + "/inventory.json", sim::inventoryJson(world));
    ::chmod(dir.file(name + "/client_secret").c_str(), 0600);
    ::chmod(dir.file(name + "/refresh_token").c_str(), 0600);
  }
  // Its entry of `partners:`: the single-account configuration's partner and sources, indented
  // under "- name:", its files in its own directory.
  std::string entry() const {
    std::string single = testing::simConfigYaml(world.partner, sim.base, 4);
    single = single.substr(0, single.find("storage:\n"));
    for (const char* file : {"client_secret", "refresh_token", "inventory.json"})
      single = replaceAll(single, std::string(": ") + file + "\n", ": " + name + "/" + file + "\n");
    std::string out = "  - name: " + name + "\n";
    for (const auto& line : split(single, '\n'))
      if (!line.empty()) out += "    " + line + "\n";
    return out;
  }
  // The findings its world should give: rule, tenant, subject.
  std::multiset<std::string> truth(Timestamp now) const {
    std::multiset<std::string> t;
    for (const auto& e : sim::computeTruth(world, now))
      if (e.outcome == "fail") t.insert(e.rule + " " + e.tenant_id + " " + e.subject);
    return t;
  }
  std::string name;
  sim::World world;
  sim::LoginService login;
  testing::PlainSim sim;
};

struct PartnersWorld {
  TempDir dir;
  SystemClock clock;
  Timestamp now = clock.now();
  std::vector<std::unique_ptr<Account>> accounts;
  storage::StoreLocation where = testing::testStore(dir, "partners.db");
  std::string config;

  explicit PartnersWorld(int n, const std::string& extra = "") {
    const char* names[] = {"alpha", "beta", "gamma"};
    std::string yaml = "partners:\n";
    for (int i = 0; i < n; ++i) {
      accounts.push_back(std::make_unique<Account>(names[i], 100 + i, dir, clock));
      yaml += accounts.back()->entry();
    }
    yaml += "storage:\n" + testing::storageYaml(where) +
            "  lease_period: " + std::to_string(kLeaseSeconds) + "s\nrules:\n  paths: [" +
            testing::sourcePath("etc/rules.d") + "]\nschedule:\n  interval: 1h\n" + extra;
    config = dir.write("cspwatch.yaml", yaml);
  }
  // An account's own store: storage.path with "-<name>", or storage.schema + "_<name>".
  storage::StoreLocation storeOf(const std::string& name) const {
    storage::StoreLocation at = where;
    if (at.url.empty())
      at.path = replaceAll(at.path, ".db", "-" + name + ".db");
    else
      at.schema += "_" + name;
    return at;
  }
  storage::FindingStore open(const std::string& name) const {
    auto s = storage::FindingStore::open(storeOf(name));
    REQUIRE(s);
    return std::move(s.value());
  }
  std::string holder(const std::string& name) const {
    auto s = open(name);
    auto row = storage::Leases(s.db()).read("partner:" + name);
    REQUIRE(row);
    return *row ? (*row)->holder : "";
  }
  // Each account's open findings equal its world's truth, each once; its scans as expected.
  void checkFindings() const {
    for (const auto& a : accounts) {
      INFO("partner " << a->name);
      auto store = open(a->name);
      auto found = store.listFindings({storage::StateFilter::kOpen, "", "", ""}, clock.now());
      REQUIRE(found);
      std::multiset<std::string> got;
      for (const auto& f : *found) got.insert(f.rule_id + " " + f.tenant_id + " " + f.subject);
      CHECK(got == a->truth(now));
      CHECK_FALSE(got.empty());
    }
  }
};

}  // namespace

TEST_CASE("partners: one instance scans two accounts, each into its own store, at once",
          "[partners]") {
  PartnersWorld w(2, "http:\n  listen: 127.0.0.1:0\n");
  NotifySocket notify(w.dir.file("n.sock"));
  Daemon d(w.config, notify.path());
  const int port = d.port(notify);
  for (const auto& a : w.accounts)
    REQUIRE(d.waitForErr("partner " + a->name + ": scan 1 completed", kWait));
  w.checkFindings();
  // The scan's own lines name the account too, those of its reading threads included.
  for (const auto& a : w.accounts) {
    CHECK_THAT(d.err(), Catch::Contains("partner " + a->name + ": reading 25 tenants") &&
                            Catch::Contains("partner " + a->name + ": tenants read: 25/25"));
  }
  // The two accounts' worlds differ: what one store holds is not the other's.
  CHECK(w.accounts[0]->truth(w.now) != w.accounts[1]->truth(w.now));
  // /metrics: each account's samples under its name; /healthz speaks for both.
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto metrics = testing::httpRequest("GET", base + "/metrics");
  const testing::Exposition x = testing::parse(metrics.body);
  CHECK(x.errors == std::vector<std::string>{});
  for (const auto& a : w.accounts) {
    CHECK(x.value("cspwatch_scans_total", {{"partner", a->name}, {"status", "completed"}}) == 1.0);
    CHECK(x.value("cspwatch_lease_held", {{"partner", a->name}}) == 1.0);
    CHECK(x.value("cspwatch_api_requests_total", {{"partner", a->name}, {"api", "graph"}}) > 0.0);
  }
  auto health = testing::httpRequest("GET", base + "/healthz");
  CHECK(health.status == 200);
  CHECK_THAT(health.body, Catch::Contains("alpha: last scan completed") &&
                              Catch::Contains("beta: last scan completed"));
  d.signal(SIGTERM);
  REQUIRE(d.waitExit(std::chrono::seconds(10)) == 0);
}

TEST_CASE(
    "ha: two instances spread three accounts 2+1, and after kill -9 the other scans all three",
    "[postgres]") {
  PartnersWorld w(3, "http:\n  enabled: false\n");
  NotifySocket notify_a(w.dir.file("a.sock")), notify_b(w.dir.file("b.sock"));
  auto a = startOn("machine-a", w.config, notify_a);
  // Alone, A takes every account and scans each.
  for (const auto& acc : w.accounts)
    REQUIRE(a->waitForErr("partner " + acc->name + ": scan 1 completed", kWait));
  for (const auto& acc : w.accounts) CHECK(pidOf(w.holder(acc->name)) == std::to_string(a->pid()));

  // B joins: A counts two instances, gives one account up, and B takes and scans it.
  auto b = startOn("machine-b", w.config, notify_b);
  const bool taken =
      b->waitForErr("took the lease of partner:", std::chrono::seconds(6 * kLeaseSeconds));
  INFO("A:\n" << a->err() << "\nB:\n" << b->err());
  REQUIRE(taken);
  REQUIRE(b->waitForErr(": scan 2 completed", kWait));
  std::map<std::string, int> held;
  std::string moved;
  for (const auto& acc : w.accounts) {
    const std::string pid = pidOf(w.holder(acc->name));
    ++held[pid];
    if (pid == std::to_string(b->pid())) moved = acc->name;
  }
  CHECK(held[std::to_string(a->pid())] == 2);
  CHECK(held[std::to_string(b->pid())] == 1);
  INFO(a->err());
  CHECK(a->waitForErr("gave up partner " + moved, std::chrono::seconds(1)));

  // kill -9 of A: B takes its two accounts over within two lease periods and scans them.
  const auto killed_at = std::chrono::steady_clock::now();
  a->signal(SIGKILL);
  REQUIRE(a->waitExit(std::chrono::seconds(10)) == 128 + SIGKILL);
  for (const auto& acc : w.accounts) {
    if (acc->name == moved) continue;
    REQUIRE(b->waitForErr("took over the lease of partner:" + acc->name,
                          std::chrono::seconds(4 * kLeaseSeconds)));
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  WARN("two accounts taken over after kill -9: " << took << " s, lease period " << kLeaseSeconds
                                                 << " s");
  CHECK(took < 2.0 * kLeaseSeconds);
  for (const auto& acc : w.accounts)
    if (acc->name != moved)
      REQUIRE(b->waitForErr("partner " + acc->name + ": scan 2 completed", kWait));
  for (const auto& acc : w.accounts) CHECK(pidOf(w.holder(acc->name)) == std::to_string(b->pid()));
  b->signal(SIGTERM);
  REQUIRE(b->waitExit(std::chrono::seconds(10)) == 0);
  w.checkFindings();
}
