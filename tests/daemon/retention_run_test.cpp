// SPDX-License-Identifier: Apache-2.0
// `cspwatch run` prunes after its scans: a digest sent longer ago than alerts.retention loses
// its body (its row stays), a newer one keeps it, and the daemon logs what it pruned at info.
#include <chrono>

#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "storage/finding_store.h"
#include "storage/outbox.h"
#include "tests/support/daemon_process.h"
#include "tests/support/demo_partner.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using Catch::contains;
using cspwatch::testing::Daemon;
using cspwatch::testing::NotifySocket;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

const auto kWait = std::chrono::seconds(20);

// The body the outbox holds for "<id@x.example>".
std::string storedBody(storage::FindingStore& store, const std::string& id) {
  auto st = store.db().prepare("SELECT body FROM outbox WHERE message_id = ?1");
  REQUIRE(st);
  st->bind(1, "<" + id + "@x.example>");
  REQUIRE(st->step());
  return st->getText(0);
}

}  // namespace

TEST_CASE("run: after a scan the service prunes what is older than alerts.retention", "[run]") {
  TempDir dir;
  const std::string config = dir.write(
      "cspwatch.yaml",
      testing::kDemoPartnerYaml +
          "sources:\n  inventory:\n    path: " + sourcePath("etc/demo/inventory.json") +
          "\nstorage:\n  path: cspwatch.db\nrules:\n  paths: [" + sourcePath("etc/rules.d") +
          "]\nalerts:\n  transport: file\n  file:\n    dir: mail\n"
          "  from: cspwatch@northwind-it.com.au\n  templates_dir: " +
          sourcePath("etc/templates") +
          "\n  retention: 1d\n  routes:\n    - to: [ops@northwind-it.com.au]\n"
          "      default: true\n");
  // Two digests sent before the service starts: two days ago and an hour ago (the service
  // reads the system clock).
  const Timestamp now = SystemClock().now();
  {
    auto store = storage::FindingStore::open(dir.file("cspwatch.db"));
    REQUIRE(store);
    storage::Outbox outbox(store->db());
    for (const auto& [id, at] : {std::pair<std::string, Timestamp>{"old", now - Seconds(2 * 86400)},
                                 {"recent", now - Seconds(3600)}}) {
      storage::OutboxMessage m;
      m.message_id = "<" + id + "@x.example>";
      m.kind = "digest";
      m.recipients = "ops@northwind-it.com.au";
      m.subject = "s";
      m.body = "From: x\r\n\r\nbody\r\n";
      m.created_at = at;
      REQUIRE(outbox.enqueue(m));
      auto due = outbox.due(at);
      REQUIRE(due);
      for (const auto& d : *due) REQUIRE(outbox.markSent(d.id, at));
    }
  }

  NotifySocket notify(dir.file("notify.sock"));
  Daemon d(config, notify.path(), "", "8:12345");  // lines as the journal reads them
  INFO(d.err());
  REQUIRE_FALSE(notify.waitFor("STATUS=last scan 1 completed", kWait).empty());
  CHECK(d.waitForErr("retention: older than 1d: emptied the bodies of 1 sent message(s)", kWait));
  d.signal(SIGTERM);
  CHECK(d.waitExit(std::chrono::seconds(10)) == 0);
  CHECK(contains(d.err(), "<6>retention: older than 1d"));  // info

  auto store = storage::FindingStore::open(dir.file("cspwatch.db"));
  REQUIRE(store);
  CHECK(storedBody(*store, "old").empty());
  CHECK_FALSE(storedBody(*store, "recent").empty());
}
