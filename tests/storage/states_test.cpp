// SPDX-License-Identifier: Apache-2.0
// The stored states' names (they are the schema's CHECK values and the output's texts), their
// parsing, and what the store does with a stored text the schema forbids.
#include "storage/states.h"

#include <catch2/catch.hpp>

#include "storage/finding_store.h"
#include "storage/outbox.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;
using cspwatch::testing::testStore;

namespace {

const std::string kTenant = "11111111-1111-1111-1111-111111111111";
const Timestamp kNow = *parseTimestamp("2026-11-25T06:00:00Z");

// A store with one applied scan and one open finding.
FindingStore storeWithFinding(const TempDir& dir) {
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  auto scan = store->beginScan(kNow, "hash");
  REQUIRE(scan);
  REQUIRE(store->stageTenant({kTenant, "Contoso", ReadStatus::kFull, "[]", {}}));
  Evaluation e{"r1", kTenant, EvalOutcome::kFail, false, "", {}};
  e.failures.push_back({"a", "high", "msg", "fix it", "null"});
  REQUIRE(store->stageEvaluation(e));
  REQUIRE(store->applyScan(*scan, {"r1"}, true, kNow));
  return std::move(store.value());
}

// Writes what the schema's CHECK constraints forbid, as a damaged or hand-edited file could hold.
// `sql` is an UPDATE of one table.
void writeForbidden(FindingStore& store, const std::string& sql) {
  if (testing::onPostgres()) {  // no switch to ignore them: the table's CHECKs are dropped
    const std::string table = sql.substr(7, sql.find(' ', 7) - 7);
    REQUIRE(store.db().exec(
        "DO $$ DECLARE c record; BEGIN FOR c IN SELECT conname FROM pg_constraint WHERE "
        "conrelid = '" +
        table + "'::regclass AND contype = 'c' LOOP EXECUTE 'ALTER TABLE " + table +
        " DROP CONSTRAINT ' || quote_ident(c.conname); END LOOP; END $$"));
    REQUIRE(store.db().exec(sql));
    return;
  }
  REQUIRE(store.db().exec("PRAGMA ignore_check_constraints = ON"));
  REQUIRE(store.db().exec(sql));
  REQUIRE(store.db().exec("PRAGMA ignore_check_constraints = OFF"));
}

void checkCorruption(const Status& s, const std::string& column, const std::string& text) {
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK(s.message() ==
        "the database holds '" + text + "' in " + column + ", which its schema does not allow");
}

}  // namespace

TEST_CASE("states: a finding's state is named as stored and parsed back") {
  const std::pair<FindingState, std::string> names[] = {{FindingState::kOpen, "open"},
                                                        {FindingState::kResolved, "resolved"},
                                                        {FindingState::kRetired, "retired"}};
  for (const auto& [state, name] : names) {
    CHECK(findingStateName(state) == name);
    CHECK(parseFindingState(name) == state);
  }
  // Unknown marks a scan diff's "could not be checked" rows; a finding is never stored so.
  CHECK(findingStateName(FindingState::kUnknown) == std::string("unknown"));
  CHECK_FALSE(parseFindingState("unknown"));
  for (const char* text : {"", "Open", "open ", "closed", "suppressed", "completed"})
    CHECK_FALSE(parseFindingState(text));
}

TEST_CASE("states: a scan's status is named as stored and parsed back") {
  const std::pair<ScanStatus, std::string> names[] = {{ScanStatus::kRunning, "running"},
                                                      {ScanStatus::kCompleted, "completed"},
                                                      {ScanStatus::kPartial, "partial"},
                                                      {ScanStatus::kFailed, "failed"},
                                                      {ScanStatus::kInterrupted, "interrupted"}};
  for (const auto& [status, name] : names) {
    CHECK(scanStatusName(status) == name);
    CHECK(parseScanStatus(name) == status);
    CHECK(scanApplied(status) == (name == "completed" || name == "partial"));
  }
  for (const char* text : {"", "Completed", "done", "queued", "open"})
    CHECK_FALSE(parseScanStatus(text));
}

TEST_CASE("states: an outbox message's status is named as stored and parsed back") {
  const std::pair<OutboxStatus, std::string> names[] = {{OutboxStatus::kQueued, "queued"},
                                                        {OutboxStatus::kSent, "sent"},
                                                        {OutboxStatus::kFailed, "failed"}};
  for (const auto& [status, name] : names) {
    CHECK(outboxStatusName(status) == name);
    CHECK(parseOutboxStatus(name) == status);
  }
  for (const char* text : {"", "Sent", "bounced", "running", "sent\n"})
    CHECK_FALSE(parseOutboxStatus(text));
}

TEST_CASE("states: a tenant's read status is named as stored") {
  CHECK(readStatusName(ReadStatus::kFull) == std::string("full"));
  CHECK(readStatusName(ReadStatus::kPartial) == std::string("partial"));
  CHECK(readStatusName(ReadStatus::kNone) == std::string("none"));
}

TEST_CASE("states: the listing's state filter is named as findings list --state takes it") {
  const std::pair<StateFilter, std::string> names[] = {{StateFilter::kOpen, "open"},
                                                       {StateFilter::kResolved, "resolved"},
                                                       {StateFilter::kRetired, "retired"},
                                                       {StateFilter::kSuppressed, "suppressed"},
                                                       {StateFilter::kAll, "all"}};
  std::vector<std::string> in_order;
  for (const auto& [filter, name] : names) {
    CHECK(stateFilterName(filter) == name);
    CHECK(parseStateFilter(name) == filter);
    in_order.push_back(name);
  }
  CHECK(stateFilterNames() == in_order);
  for (const char* text : {"", "All", "unknown", "open,resolved", "any"})
    CHECK_FALSE(parseStateFilter(text));
}

TEST_CASE("states: a finding state the schema forbids is a corruption, not a state") {
  TempDir dir;
  FindingStore store = storeWithFinding(dir);
  const int64_t id = store.listFindings({StateFilter::kAll, "", "", ""}, kNow)->at(0).id;
  writeForbidden(store, "UPDATE findings SET state = 'closed'");
  auto all = store.listFindings({StateFilter::kAll, "", "", ""}, kNow);
  REQUIRE_FALSE(all);
  checkCorruption(all.status(), "findings.state", "closed");
  auto one = store.getFinding(id, kNow);
  REQUIRE_FALSE(one);
  checkCorruption(one.status(), "findings.state", "closed");
}

TEST_CASE("states: a scan status the schema forbids is a corruption, not a status") {
  TempDir dir;
  FindingStore store = storeWithFinding(dir);
  auto second = store.beginScan(kNow + Seconds(3600), "hash");
  REQUIRE(second);
  REQUIRE(store.failScan(*second, kNow + Seconds(3601), "no"));
  writeForbidden(store, "UPDATE scans SET status = 'done' WHERE id = 1");
  auto scans = store.listScans();
  REQUIRE_FALSE(scans);
  checkCorruption(scans.status(), "scans.status", "done");
  auto diff = store.diffScans(1, *second, kNow);
  REQUIRE_FALSE(diff);
  checkCorruption(diff.status(), "scans.status", "done");
}

TEST_CASE("states: an outbox status the schema forbids is a corruption, not a status") {
  TempDir dir;
  FindingStore store = storeWithFinding(dir);
  Outbox outbox(store.db());
  OutboxMessage m;
  m.message_id = "<a@northwind-it.com.au>";
  m.kind = "digest";
  m.created_at = kNow;
  REQUIRE(outbox.enqueue(m));
  writeForbidden(store, "UPDATE outbox SET status = 'bounced'");
  auto pending = outbox.pending();
  REQUIRE_FALSE(pending);
  checkCorruption(pending.status(), "outbox.status", "bounced");
  auto recent = outbox.recent(10);
  REQUIRE_FALSE(recent);
  checkCorruption(recent.status(), "outbox.status", "bounced");
}

TEST_CASE("states: a scan ends failed or interrupted, by the status's stored name") {
  TempDir dir;
  FindingStore store = storeWithFinding(dir);
  auto failed = store.beginScan(kNow + Seconds(3600), "hash");
  REQUIRE(failed);
  REQUIRE(store.failScan(*failed, kNow + Seconds(3601), "no"));
  auto interrupted = store.beginScan(kNow + Seconds(7200), "hash");
  REQUIRE(interrupted);
  REQUIRE(store.failScan(*interrupted, kNow + Seconds(7201), "stop", ScanStatus::kInterrupted));
  auto refused = store.beginScan(kNow + Seconds(9000), "hash");
  REQUIRE(refused);
  const Status s = store.failScan(*refused, kNow + Seconds(9001), "?", ScanStatus::kCompleted);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message() == "a scan cannot fail as completed");
  auto st = store.db().prepare("SELECT status FROM scans ORDER BY id");
  REQUIRE(st);
  std::vector<std::string> stored;
  while (st->step()) stored.push_back(st->getText(0));
  CHECK(stored == std::vector<std::string>{"completed", "failed", "interrupted", "running"});
}
