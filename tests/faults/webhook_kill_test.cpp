// SPDX-License-Identifier: Apache-2.0
// kill -9 in the one window no sender can close, for webhooks: the receiver answered 2xx, and
// the outbox has not yet marked the event sent (the fault point scan::faults::messageDelivered,
// armed in the test-only cspwatch-faulty by CSPWATCH_TEST_CRASH_AFTER_DELIVERIES). After a
// restart every event is delivered, and the only repeat is the event the kill interrupted,
// under the same event id (its Idempotency-Key), so a receiver that keeps ids posts it once.
#include <map>
#include <set>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "storage/finding_store.h"
#include "tests/support/demo_partner.h"
#include "tests/support/http_receiver.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using cspwatch::testing::HttpReceiver;
using cspwatch::testing::runBinary;
using cspwatch::testing::sourcePath;
using cspwatch::testing::TempDir;

namespace {

const std::string kT0 = "2026-11-25T00:00:00Z";
// Past the lease (10 minutes) a killed sender held on the event it was posting.
const std::string kAfterLease = "2026-11-25T00:11:00Z";

// The demo inventory; one route, webhooks only: every message is an event to `receiver`.
// The store is the run's backend's (tests/support/test_store.h): a file, or the test server.
std::string config(const TempDir& dir, const HttpReceiver& receiver) {
  dir.write("inventory.json", testing::readFile(sourcePath("etc/demo/inventory.json")));
  ::chmod(dir.write("webhook.secret", "whsec-kill-test-0a1b2c3d\n").c_str(), 0600);
  return dir.write("cspwatch.yaml", testing::kDemoPartnerYaml +
                                        "sources:\n  inventory:\n    path: inventory.json\n"
                                        "storage:\n" +
                                        testing::storageYaml(testing::testStore(dir)) +
                                        "rules:\n  paths: [" + sourcePath("etc/rules.d") +
                                        "]\n"
                                        "alerts:\n"
                                        "  from: \"cspwatch <cspwatch@northwind-it.com.au>\"\n"
                                        "  templates_dir: " +
                                        sourcePath("etc/templates") +
                                        "\n"
                                        "  file:\n    dir: mail\n"
                                        "  could_not_check_after_scans: 1\n"
                                        "  routes:\n"
                                        "    - name: desk\n"
                                        "      default: true\n"
                                        "      webhooks:\n"
                                        "        - url: " +
                                        receiver.url("/hook") +
                                        "\n"
                                        "          secret_file: webhook.secret\n");
}

std::vector<std::string> receivedIds(const HttpReceiver& receiver) {
  std::vector<std::string> ids;
  for (const auto& r : receiver.requests()) ids.push_back(r.header("idempotency-key"));
  return ids;
}

}  // namespace

TEST_CASE(
    "faults: kill -9 after a webhook answered and before the outbox marked it, then a "
    "restart: every event delivered, one repeat under the same id",
    "[faults]") {
  for (int kill_at : {1, 2, 7}) {
    DYNAMIC_SECTION("killed after delivery " << kill_at) {
      TempDir dir;
      HttpReceiver receiver;
      const std::string cfg = config(dir, receiver);
      auto killed = runBinary("cspwatch-faulty", {"-c", cfg, "scan", "--once", "--now", kT0},
                              {{"CSPWATCH_TEST_CRASH_AFTER_DELIVERIES", std::to_string(kill_at)}});
      INFO(killed.out << killed.err);
      // Killed by SIGKILL (Poco reports a signal as 256 + its number).
      REQUIRE(killed.exit_code == 256 + 9);
      REQUIRE(receiver.requests().size() == static_cast<size_t>(kill_at));
      const std::string interrupted = receivedIds(receiver).back();

      // The restart: the scan was committed before delivery began, so sending is what is left.
      auto sent = runBinary("cspwatch", {"-c", cfg, "alerts", "send", "--now", kAfterLease});
      INFO(sent.out << sent.err);
      REQUIRE(sent.exit_code == 0);

      auto store = storage::FindingStore::open(testing::testStore(dir));
      REQUIRE(store);
      storage::Outbox outbox(store->db());
      auto rows = outbox.recent(1000);
      REQUIRE(rows);
      std::set<std::string> queued;
      for (const auto& m : *rows) {
        CHECK(m.channel == "webhook");
        CHECK(m.status == storage::OutboxStatus::kSent);
        queued.insert(m.message_id);
      }
      REQUIRE(queued.size() > static_cast<size_t>(kill_at));
      std::map<std::string, int> times;
      for (const auto& id : receivedIds(receiver)) ++times[id];
      CHECK(times.size() == queued.size());  // every event arrived
      for (const auto& [id, n] : times) {
        CHECK(queued.count(id) == 1);
        // The one repeat: the event whose post the kill cut off from its mark.
        CHECK(n == (id == interrupted ? 2 : 1));
      }
    }
  }
}
