// SPDX-License-Identifier: Apache-2.0
// ScanJob (scan/scan_job.h), the one path of a scan: the demo inventory read, the default rule
// pack evaluated, the outcome applied with the alerts a composer makes in one transaction, due
// mail delivered at the end. The composers and the transport here are the test's own.
#include "scan/scan_job.h"

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/rule_files.h"
#include "scan/fault_points.h"
#include "storage/outbox.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::scan;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T06:00:00Z");

ScanSources demoInventory() {
  ScanSources s;
  s.partner.name = "Northwind IT Services";
  s.partner.tenant_id = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
  s.partner.mpn_ids = {"5123456"};
  s.partner.distributor_tenant_ids = {"8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73"};
  s.partner.trusted_partner_tenant_ids = {"b7e4d1a9-2c6f-4b83-9e05-7a1d3c8f2e56"};
  s.partner.email_domains = {"northwind-it.com.au"};
  s.inventory_path = std::string(CSPWATCH_SOURCE_DIR) + "/etc/demo/inventory.json";
  return s;
}

std::shared_ptr<const rules::RuleSet> defaultRules() {
  auto loaded = config::loadRuleFiles({std::string(CSPWATCH_SOURCE_DIR) + "/etc/rules.d"});
  INFO(loaded.diagnostics.renderText());
  REQUIRE(loaded.ok());
  return loaded.rules;
}

OutboxMessage message(const std::string& id, Timestamp at) {
  OutboxMessage m;
  m.message_id = "<" + id + "@northwind-it.com.au>";
  m.kind = "digest";
  m.recipients = "admins@northwind-it.com.au";
  m.subject = "[cspwatch] " + id;
  m.body = "From: x\r\n\r\nbody\r\n";
  m.created_at = at;
  m.next_attempt_at = at;
  return m;
}

// One message per finding the scan opened; reminds of every finding `remind` names.
struct OnePerOpened : AlertComposer {
  std::vector<int64_t> remind;
  int calls = 0;
  Result<ScanAlerts> compose(FindingStore&, const ScanChanges& changes, Timestamp now) override {
    ++calls;
    ScanAlerts out;
    for (const auto& f : changes.opened) {
      OutboxMessage m =
          message("scan" + std::to_string(changes.scan_id) + "-" + std::to_string(f.id), now);
      m.scan_id = changes.scan_id;
      out.messages.push_back(m);
    }
    out.reminded = remind;
    return out;
  }
};

struct Failing : AlertComposer {
  Result<ScanAlerts> compose(FindingStore&, const ScanChanges&, Timestamp) override {
    return Status::ioError("template error");
  }
};

// What a transport was handed.
struct Sent {
  std::vector<std::string> ids;
};
struct Recording : alerts::Transport {
  explicit Recording(std::shared_ptr<Sent> sent) : sent(std::move(sent)) {}
  alerts::Delivery deliver(const alerts::OutgoingMessage& m) override {
    sent->ids.push_back(m.message_id);
    return {true, false, "250 2.0.0 queued"};
  }
  std::shared_ptr<Sent> sent;
};

MailDelivery recording(const std::shared_ptr<Sent>& sent, const Clock& clock) {
  MailDelivery d;
  d.transport = [sent]() -> Result<std::unique_ptr<alerts::Transport>> {
    return std::unique_ptr<alerts::Transport>(new Recording(sent));
  };
  d.clock = &clock;
  return d;
}

struct Harness {
  TempDir dir;
  FindingStore store = open(testing::testStore(dir, "c.db"));
  std::shared_ptr<const rules::RuleSet> rules = defaultRules();
  static FindingStore open(const StoreLocation& where) {
    auto s = FindingStore::open(where);
    REQUIRE(s);
    return std::move(s.value());
  }
  ScanJobReport run(AlertComposer* alerts, Timestamp now, ScanJobOptions o = {}) {
    if (!o.sources.inventory_path) o.sources = demoInventory();
    o.alerts = alerts;
    return ScanJob(store, *rules, std::move(o)).run(now);
  }
  storage::ScanStatus lastScanStatus() {
    auto scans = store.listScans(1);
    REQUIRE(scans);
    REQUIRE(scans->size() == 1);
    return scans->at(0).status;
  }
};

}  // namespace

TEST_CASE("scan job: a scan's alerts are queued with its changes, a composer's error keeps neither",
          "[scan_job]") {
  Harness h;
  Failing failing;
  ScanJobReport refused = h.run(&failing, kNow);
  CHECK_FALSE(refused.summary);
  CHECK(refused.status.message() == "template error");
  CHECK(h.lastScanStatus() == storage::ScanStatus::kFailed);
  CHECK(h.store.listFindings({storage::StateFilter::kAll, "", "", ""}, kNow)->empty());
  CHECK(Outbox(h.store.db()).pending()->empty());

  OnePerOpened composer;
  ScanJobReport applied = h.run(&composer, kNow);
  INFO(applied.status.message());
  REQUIRE(applied.summary);
  CHECK(composer.calls == 1);
  REQUIRE(applied.summary->findings_new > 0);
  CHECK(h.lastScanStatus() == storage::ScanStatus::kCompleted);
  auto open = h.store.listFindings({storage::StateFilter::kOpen, "", "", ""}, kNow);
  REQUIRE(open);
  CHECK(static_cast<int>(open->size()) == applied.summary->findings_open);
  auto pending = Outbox(h.store.db()).pending();
  REQUIRE(pending);
  CHECK(static_cast<int>(pending->size()) == applied.summary->findings_new);
  for (const auto& m : *pending) CHECK(m.scan_id == applied.summary->scan_id);
}

TEST_CASE("scan job: the reminders a composer names are counted in the scan", "[scan_job]") {
  Harness h;
  OnePerOpened composer;
  REQUIRE(h.run(&composer, kNow).summary);
  auto open = h.store.listFindings({storage::StateFilter::kOpen, "", "", ""}, kNow);
  REQUIRE(open);
  REQUIRE_FALSE(open->empty());
  composer.remind = {open->at(0).id};
  REQUIRE(h.run(&composer, kNow + std::chrono::hours(24)).summary);
  auto reminded = h.store.getFinding(open->at(0).id, kNow);
  REQUIRE(reminded);
  CHECK(reminded->times_reminded == 1);
  if (open->size() > 1) CHECK(h.store.getFinding(open->at(1).id, kNow)->times_reminded == 0);
}

TEST_CASE("scan job: due mail goes out after a scan, a failed one too, not after a cancelled one",
          "[scan_job]") {
  Harness h;
  auto sent = std::make_shared<Sent>();
  ManualClock clock(kNow);
  REQUIRE(Outbox(h.store.db()).enqueue(message("earlier", kNow)));

  ScanJobOptions unreadable;
  unreadable.sources = demoInventory();
  unreadable.sources.inventory_path = h.dir.file("missing.json");
  unreadable.delivery = recording(sent, clock);
  ScanJobReport failed = h.run(nullptr, kNow, unreadable);
  CHECK_FALSE(failed.summary);
  CHECK(h.lastScanStatus() == storage::ScanStatus::kFailed);
  REQUIRE(failed.sent);
  REQUIRE(*failed.sent);
  CHECK((*failed.sent)->delivered == 1);
  CHECK(sent->ids == std::vector<std::string>{"<earlier@northwind-it.com.au>"});

  REQUIRE(Outbox(h.store.db()).enqueue(message("later", kNow)));
  msapi::Cancellation cancel;
  cancel.cancel();
  ScanJobOptions cancelled;
  cancelled.delivery = recording(sent, clock);
  cancelled.cancel = &cancel;
  ScanJobReport stopped = h.run(nullptr, kNow, cancelled);
  CHECK_FALSE(stopped.summary);
  CHECK(stopped.status.code() == Status::Code::kAborted);
  CHECK(h.lastScanStatus() == storage::ScanStatus::kInterrupted);
  CHECK_FALSE(stopped.sent);
  CHECK(sent->ids.size() == 1);  // "later" waits for the next run
}

TEST_CASE("scan job: a transport that cannot be made leaves the mail queued", "[scan_job]") {
  Harness h;
  ManualClock clock(kNow);
  OnePerOpened composer;
  ScanJobOptions o;
  o.sources = demoInventory();
  MailDelivery broken;
  broken.transport = []() -> Result<std::unique_ptr<alerts::Transport>> {
    return Status::invalidArgument("alerts.smtp.password_file: cannot be read");
  };
  broken.clock = &clock;
  o.delivery = broken;
  ScanJobReport report = h.run(&composer, kNow, o);
  REQUIRE(report.summary);
  REQUIRE(report.sent);
  CHECK_FALSE(*report.sent);
  CHECK(report.sent->status().message() == "alerts.smtp.password_file: cannot be read");
  CHECK(static_cast<int>(Outbox(h.store.db()).pending()->size()) == report.summary->findings_new);
}

namespace {
long staged_seen = 0;
void countStaged(long staged) { staged_seen = staged; }
}  // namespace

TEST_CASE("scan job: the fault point is passed after each staged tenant", "[scan_job]") {
  Harness h;
  staged_seen = 0;
  faults::onTenantStaged(countStaged);
  ScanJobReport report = h.run(nullptr, kNow);
  faults::onTenantStaged(nullptr);
  REQUIRE(report.summary);
  CHECK(staged_seen == report.summary->tenants_total);
  CHECK(staged_seen > 0);
}

TEST_CASE("scan job: after the scan, what is older than the retention is pruned at the scan's time",
          "[scan_job]") {
  Harness h;
  const Seconds retention = std::chrono::hours(24 * 90);
  Outbox outbox(h.store.db());
  auto sent = [&](const std::string& id, Timestamp at) {
    REQUIRE(outbox.enqueue(message(id, at)));
    auto due = outbox.due(at);
    REQUIRE(due);
    for (const auto& m : *due)
      if (m.message_id == "<" + id + "@northwind-it.com.au>") REQUIRE(outbox.markSent(m.id, at));
  };
  sent("old", kNow - retention - Seconds(1));
  sent("recent", kNow - retention);
  auto body = [&](const std::string& id) {
    auto recent = outbox.recent(10);
    REQUIRE(recent);
    for (const auto& m : *recent)
      if (m.message_id == "<" + id + "@northwind-it.com.au>") return m.body;
    FAIL("no message " << id);
    return std::string();
  };

  ScanJobReport without = h.run(nullptr, kNow);  // no retention given: nothing pruned
  REQUIRE(without.summary);
  CHECK_FALSE(without.pruned);
  CHECK_FALSE(body("old").empty());

  ScanJobOptions o;
  o.retention = retention;
  ScanJobReport report = h.run(nullptr, kNow, o);
  REQUIRE(report.summary);
  REQUIRE(report.pruned);
  REQUIRE(*report.pruned);
  CHECK((*report.pruned)->bodies == 1);
  CHECK(body("old").empty());
  CHECK_FALSE(body("recent").empty());
}
