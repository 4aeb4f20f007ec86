// SPDX-License-Identifier: Apache-2.0
// The findings lifecycle on a real SQLite file: every transition, unknowns, retiring,
// tenant-gone, suppressions, audit and the cost of an unchanged scan.
#include "storage/finding_store.h"

#include <map>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;
using cspwatch::testing::testStore;

namespace {

const std::string kT1 = "11111111-1111-1111-1111-111111111111";
const std::string kT2 = "22222222-2222-2222-2222-222222222222";
const Timestamp kStart = *parseTimestamp("2026-11-01T00:00:00Z");

Evaluation pass(const std::string& rule, const std::string& tenant) {
  return {rule, tenant, EvalOutcome::kPass, false, "", {}};
}
Evaluation unknown(const std::string& rule, const std::string& tenant) {
  return {rule, tenant, EvalOutcome::kUnknown, false, "partners could not be read", {}};
}
Evaluation fail(const std::string& rule, const std::string& tenant,
                std::vector<std::string> subjects, const std::string& message = "msg") {
  Evaluation e{rule, tenant, EvalOutcome::kFail, false, "", {}};
  for (const auto& s : subjects)
    e.failures.push_back({s, "high", message + " " + s, "fix it", "null"});
  return e;
}

// A scan of `tenants` with `evals`, one hour after the previous one.
struct Harness {
  TempDir dir;
  FindingStore store;
  Timestamp now = kStart;
  std::vector<std::string> rules = {"r1", "r2"};

  explicit Harness(StoreOptions options = {}) : store(open(testStore(dir, "c.db"), options)) {}
  static FindingStore open(const StoreLocation& path, StoreOptions o) {
    auto s = FindingStore::open(path, o);
    REQUIRE(s);
    return std::move(s.value());
  }

  ScanSummary scan(const std::vector<TenantRead>& tenants, const std::vector<Evaluation>& evals,
                   bool complete = true) {
    now += std::chrono::hours(1);
    auto id = store.beginScan(now, "hash");
    REQUIRE(id);
    for (const auto& t : tenants) REQUIRE(store.stageTenant(t));
    for (const auto& e : evals) REQUIRE(store.stageEvaluation(e));
    auto sum = store.applyScan(*id, rules, complete, now);
    INFO(sum.status().message());
    REQUIRE(sum);
    return *sum;
  }

  std::map<std::string, FindingRow> findings(StateFilter state = StateFilter::kAll) {
    auto rows = store.listFindings({state, "", "", ""}, now);
    REQUIRE(rows);
    std::map<std::string, FindingRow> out;
    for (auto& r : *rows) out[r.rule_id + "/" + r.tenant_id.substr(0, 1) + "/" + r.subject] = r;
    return out;
  }

  std::vector<std::string> events(int64_t id) {
    auto ev = store.findingEvents(id);
    REQUIRE(ev);
    std::vector<std::string> out;
    for (const auto& e : *ev) out.push_back(e.kind + (e.detail.empty() ? "" : ":" + e.detail));
    return out;
  }
};

const std::vector<TenantRead> kBoth = {{kT1, "Contoso", ReadStatus::kFull, "[]", {}},
                                       {kT2, "Fabrikam", ReadStatus::kFull, "[]", {}}};

}  // namespace

TEST_CASE(
    "store: a fail opens a finding, a repeat keeps it, a pass resolves it, a fail reopens it") {
  Harness h;
  ScanSummary s1 = h.scan(kBoth, {fail("r1", kT1, {"a"}), pass("r1", kT2)});
  CHECK(s1.findings_new == 1);
  CHECK(s1.findings_open == 1);
  CHECK(s1.status == ScanStatus::kCompleted);
  auto f = h.findings().at("r1/1/a");
  CHECK(f.state == FindingState::kOpen);
  CHECK(f.tenant_name == "Contoso");
  CHECK(f.first_seen == kStart + std::chrono::hours(1));

  ScanSummary s2 = h.scan(kBoth, {fail("r1", kT1, {"a"}), pass("r1", kT2)});
  CHECK(s2.findings_new == 0);
  CHECK(h.findings().size() == 1);
  CHECK(h.findings().at("r1/1/a").last_seen == kStart + std::chrono::hours(2));

  ScanSummary s3 = h.scan(kBoth, {pass("r1", kT1), pass("r1", kT2)});
  CHECK(s3.findings_resolved == 1);
  f = h.findings().at("r1/1/a");
  CHECK(f.state == FindingState::kResolved);
  CHECK(f.resolved_reason == "passed");
  CHECK(f.last_seen == kStart + std::chrono::hours(2));
  CHECK(f.resolved_at == kStart + std::chrono::hours(3));

  ScanSummary s4 = h.scan(kBoth, {fail("r1", kT1, {"a"}), pass("r1", kT2)});
  CHECK(s4.findings_reopened == 1);
  f = h.findings().at("r1/1/a");
  CHECK(f.state == FindingState::kOpen);
  CHECK(f.times_reopened == 1);
  CHECK(f.first_seen == kStart + std::chrono::hours(1));  // identity and history kept
  CHECK(h.events(f.id) == std::vector<std::string>{"opened", "resolved:passed", "reopened"});
}

TEST_CASE("store: message, severity and evidence are not part of a finding's identity") {
  Harness h;
  h.scan(kBoth, {fail("r1", kT1, {"a"}, "first")});
  const int64_t id = h.findings().at("r1/1/a").id;
  Evaluation changed = fail("r1", kT1, {"a"}, "second");
  changed.failures[0].severity = "critical";
  changed.failures[0].evidence_json = "{\"x\":1}";
  ScanSummary s = h.scan(kBoth, {changed});
  CHECK(s.findings_new == 0);
  auto f = h.findings().at("r1/1/a");
  CHECK(f.id == id);
  CHECK(f.message == "second a");
  CHECK(f.severity == "critical");
  CHECK(f.evidence_json == "{\"x\":1}");
  CHECK(h.events(id) == std::vector<std::string>{"opened"});
}

TEST_CASE("store: for_each subjects resolve one by one when the evaluation was complete") {
  Harness h;
  h.scan(kBoth, {fail("r1", kT1, {"a", "b"})});
  h.scan(kBoth, {fail("r1", kT1, {"b"})});
  auto all = h.findings();
  CHECK(all.at("r1/1/a").state == FindingState::kResolved);
  CHECK(all.at("r1/1/b").state == FindingState::kOpen);
  // An incomplete fail (some elements undecided) resolves nothing it did not see.
  h.scan(kBoth, {fail("r1", kT1, {"c"})});
  Evaluation partial = fail("r1", kT1, {"d"});
  partial.incomplete = true;
  partial.unknown_reason = "end_at unknown";
  h.scan(kBoth, {partial});
  all = h.findings();
  CHECK(all.at("r1/1/c").state == FindingState::kOpen);
  CHECK(all.at("r1/1/d").state == FindingState::kOpen);
}

TEST_CASE("store: unknown never resolves, and an unread tenant changes nothing") {
  Harness h;
  h.scan(kBoth, {fail("r1", kT1, {"a"}), fail("r2", kT2, {""})});
  ScanSummary s =
      h.scan({{kT1, "Contoso", ReadStatus::kPartial, "[{\"part\":\"partners\"}]", {}},
              {kT2, "Fabrikam", ReadStatus::kNone, "[{\"part\":\"customer_list\"}]", {}}},
             {unknown("r1", kT1)});
  CHECK(s.findings_resolved == 0);
  CHECK(s.tenants_partial == 1);
  CHECK(s.tenants_unread == 1);
  CHECK(s.checks_unknown == 1);
  auto all = h.findings();
  CHECK(all.at("r1/1/a").state == FindingState::kOpen);
  CHECK(all.at("r2/2/").state == FindingState::kOpen);
  // Not seen in scan 2: last seen stays at scan 1.
  CHECK(all.at("r1/1/a").last_seen == kStart + std::chrono::hours(1));
  // Seen again: last seen moves on.
  h.scan(kBoth, {fail("r1", kT1, {"a"}), fail("r2", kT2, {""})});
  CHECK(h.findings().at("r1/1/a").last_seen == kStart + std::chrono::hours(3));
  // The streaks of unknowns are recorded and end when decided.
  auto st = h.store.db().prepare(
      "SELECT rule_id, tenant_id, since_scan, until_scan FROM unknowns ORDER BY id");
  REQUIRE(st);
  std::vector<std::string> streaks;
  while (st->step())
    streaks.push_back(st->getText(0) + "@" + st->getText(1).substr(0, 1) + ":" +
                      std::to_string(st->getInt(2)) + "-" +
                      (st->isNull(3) ? "" : std::to_string(st->getInt(3))));
  CHECK(streaks == std::vector<std::string>{"r1@1:2-2", "*@2:2-2"});
}

TEST_CASE(
    "store: a rule that is removed or disabled retires its findings, it does not resolve them") {
  Harness h;
  h.scan(kBoth, {fail("r1", kT1, {"a"}), fail("r2", kT1, {"x"})});
  h.rules = {"r1"};
  ScanSummary s = h.scan(kBoth, {fail("r1", kT1, {"a"})});
  CHECK(s.findings_retired == 1);
  CHECK(s.findings_resolved == 0);
  auto f = h.findings().at("r2/1/x");
  CHECK(f.state == FindingState::kRetired);
  CHECK(f.resolved_reason == "rule-removed");
  CHECK(h.events(f.id) == std::vector<std::string>{"opened", "retired:rule-removed"});
  // Back in the rule set and still failing: reopened.
  h.rules = {"r1", "r2"};
  CHECK(h.scan(kBoth, {fail("r1", kT1, {"a"}), fail("r2", kT1, {"x"})}).findings_reopened == 1);
}

TEST_CASE("store: a tenant gone from N consecutive complete scans has its findings resolved") {
  Harness h(StoreOptions{2, std::chrono::hours(24 * 90)});
  const std::vector<TenantRead> only1 = {kBoth[0]};
  h.scan(kBoth, {fail("r1", kT2, {"a"})});
  CHECK(h.scan(only1, {}).findings_resolved == 0);         // missing 1
  CHECK(h.scan(only1, {}, false).findings_resolved == 0);  // a partial scan does not count
  CHECK(h.findings().at("r1/2/a").state == FindingState::kOpen);
  ScanSummary s = h.scan(only1, {});  // missing 2 complete scans
  CHECK(s.findings_resolved == 1);
  auto f = h.findings().at("r1/2/a");
  CHECK(f.state == FindingState::kResolved);
  CHECK(f.resolved_reason == "tenant-gone");
  CHECK(f.last_seen == kStart + std::chrono::hours(1));
  // Back again and failing: reopened; missing once more starts the count again.
  CHECK(h.scan(kBoth, {fail("r1", kT2, {"a"})}).findings_reopened == 1);
  CHECK(h.scan(only1, {}).findings_resolved == 0);
}

TEST_CASE("store: suppressions mark findings, expire, are removed and are audited") {
  Harness h;
  h.scan(kBoth, {fail("r1", kT1, {"a"}), fail("r1", kT2, {"b"})});
  Suppression s;
  s.rule_id = "r1";
  s.tenant_id = kT1;
  s.reason = "customer moving to a new tenant";
  s.owner = "alice";
  s.ticket = "T-42";
  s.expires_at = h.now + std::chrono::hours(24 * 7);
  auto id = h.store.addSuppression(s, "bob", h.now);
  REQUIRE(id);
  auto suppressed = h.findings(StateFilter::kSuppressed);
  REQUIRE(suppressed.size() == 1);
  CHECK(suppressed.begin()->second.tenant_id == kT1);
  CHECK(h.findings(StateFilter::kOpen).size() == 2);  // suppressed findings stay open
  const int64_t fid = suppressed.begin()->second.id;
  CHECK(h.events(fid) == std::vector<std::string>{"opened", "suppressed:suppression #1 by bob"});

  // Past its expiry it no longer applies, and the next scan records that once.
  h.now += std::chrono::hours(24 * 8);
  CHECK(h.findings(StateFilter::kSuppressed).empty());
  h.scan(kBoth, {fail("r1", kT1, {"a"}), fail("r1", kT2, {"b"})});
  h.scan(kBoth, {fail("r1", kT1, {"a"}), fail("r1", kT2, {"b"})});
  CHECK(h.events(fid) == std::vector<std::string>{"opened", "suppressed:suppression #1 by bob",
                                                  "unsuppressed:suppression #1 expired"});

  // A new suppression, removed by hand: kept in history, noted on the finding and audited.
  s.expires_at = h.now + std::chrono::hours(24);
  auto id2 = h.store.addSuppression(s, "bob", h.now);
  REQUIRE(id2);
  REQUIRE(h.store.removeSuppression(*id2, "carol", h.now));
  CHECK(h.findings(StateFilter::kSuppressed).empty());
  auto all = h.store.listSuppressions(true, h.now);
  REQUIRE(all);
  CHECK(all->size() == 2);
  CHECK(all->at(1).removed_by == std::string("carol"));
  CHECK(h.store.removeSuppression(*id2, "carol", h.now).code() == Status::Code::kInvalidArgument);
  auto audit = h.store.listAudit();
  REQUIRE(audit);
  REQUIRE(audit->size() == 3);
  CHECK(audit->at(0).action == "suppress.remove");
  CHECK(audit->at(0).actor == "carol");
  CHECK(audit->at(2).action == "suppress.add");
  CHECK_THAT(audit->at(2).detail, Catch::Contains("T-42"));

  // A finding opened while a suppression is active is suppressed from its first scan.
  s.tenant_id.reset();
  s.expires_at = h.now + std::chrono::hours(24);
  REQUIRE(h.store.addSuppression(s, "bob", h.now));
  h.scan(kBoth, {fail("r1", kT1, {"a", "new"}), fail("r1", kT2, {"b"})});
  auto fresh = h.findings().at("r1/1/new");
  CHECK(h.events(fresh.id) == std::vector<std::string>{"opened", "suppressed:suppression #3"});
}

TEST_CASE("store: suppressions need a reason, an owner and an expiry within the maximum") {
  Harness h(StoreOptions{3, std::chrono::hours(24 * 30)});
  Suppression s;
  s.rule_id = "r1";
  s.reason = "x";
  s.owner = "y";
  s.expires_at = h.now + std::chrono::hours(24 * 31);
  CHECK_THAT(h.store.addSuppression(s, "a", h.now).status().message(),
             Catch::Contains("more than 30d"));
  s.expires_at = h.now - std::chrono::hours(1);
  CHECK_FALSE(h.store.addSuppression(s, "a", h.now));
  s.expires_at = h.now + std::chrono::hours(1);
  s.reason = " ";
  CHECK_THAT(h.store.addSuppression(s, "a", h.now).status().message(), Catch::Contains("--reason"));
  s.reason = "x";
  s.owner = "";
  CHECK_THAT(h.store.addSuppression(s, "a", h.now).status().message(), Catch::Contains("--owner"));
  auto audit = h.store.listAudit();
  CHECK(audit->empty());  // refused changes leave no trace and no row
}

namespace {

// PostgreSQL: the findings rows the transaction that applied the latest scan wrote (a row's
// xmin is the transaction that wrote its current version; the apply also finishes the scan's
// row in `scans`).
int64_t findingsWrittenByLastScan(Database& db) {
  auto st = db.prepare(
      "SELECT count(*) FROM findings WHERE xmin::text = "
      "(SELECT xmin::text FROM scans ORDER BY id DESC LIMIT 1)");
  REQUIRE(st);
  REQUIRE(st->step());
  return st->getInt(0);
}

}  // namespace

TEST_CASE("store: an unchanged scan writes a constant amount, not one row per finding") {
  Harness h;
  std::vector<TenantRead> tenants;
  std::vector<Evaluation> evals;
  for (int i = 0; i < 200; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "%08d-0000-0000-0000-000000000000", i);
    tenants.push_back({id, "T" + std::to_string(i), ReadStatus::kFull, "[]", {}});
    evals.push_back(fail("r1", id, {"a", "b"}));
    evals.push_back(pass("r2", id));
  }
  h.scan(tenants, evals);
  if (testing::onPostgres()) {
    h.scan(tenants, evals);
    CHECK(findingsWrittenByLastScan(h.store.db()) == 0);
    std::vector<Evaluation> changed = evals;
    for (int i = 0; i < 40; ++i) changed[i * 2] = pass("r1", tenants[i].tenant_id);
    h.scan(tenants, changed);
    CHECK(findingsWrittenByLastScan(h.store.db()) == 80);
    return;
  }
  // Pages written to the database's WAL by one scan: checkpoint to an empty log, scan, count.
  auto walPages = [&](const std::vector<Evaluation>& e) {
    REQUIRE(h.store.db().exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    h.scan(tenants, e);
    auto st = h.store.db().prepare("PRAGMA wal_checkpoint(PASSIVE)");
    REQUIRE(st);
    REQUIRE(st->step());
    return st->getInt(1);  // frames in the log
  };
  const int64_t unchanged = walPages(evals);
  std::vector<Evaluation> changed = evals;
  for (int i = 0; i < 40; ++i)
    changed[i * 2] = pass("r1", tenants[i].tenant_id);  // 20% of findings
  const int64_t some = walPages(changed);
  INFO("WAL pages: unchanged scan " << unchanged << ", scan resolving 80 findings " << some);
  CHECK(unchanged <= 6);  // the scans row and the pages holding it, nothing per finding
  CHECK(some > unchanged);
  auto st = h.store.db().prepare("SELECT count(*) FROM finding_events");
  REQUIRE(st);
  REQUIRE(st->step());
  CHECK(st->getInt(0) == 400 + 80);
  struct stat info {};
  REQUIRE(::stat(h.dir.file("c.db").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
}

TEST_CASE("store: a finding's subject by name is stored and follows a rename without reopening") {
  Harness h;
  auto labelled = [](const std::string& label) {
    Evaluation e = fail("r1", kT1, {"5e9a3c7d"});
    e.failures[0].subject_label = label;
    return e;
  };
  h.scan(kBoth, {labelled("Adatum Managed Services (adatum.onmicrosoft.com)")});
  auto f = h.findings().at("r1/1/5e9a3c7d");
  CHECK(f.subject_label == "Adatum Managed Services (adatum.onmicrosoft.com)");
  // Only the label changed: the scan's digest differs, so the finding is rewritten, not reopened.
  ScanSummary s = h.scan(kBoth, {labelled("Adatum Ltd (adatum.onmicrosoft.com)")});
  CHECK(s.findings_new == 0);
  f = h.findings().at("r1/1/5e9a3c7d");
  CHECK(f.subject_label == "Adatum Ltd (adatum.onmicrosoft.com)");
  CHECK(h.events(f.id) == std::vector<std::string>{"opened"});
  auto one = h.store.getFinding(f.id, h.now);
  REQUIRE(one);
  CHECK(one->subject_label == "Adatum Ltd (adatum.onmicrosoft.com)");

  // An unchanged scan of labelled findings still writes nothing per finding.
  std::vector<Evaluation> evals;
  for (int i = 0; i < 100; ++i) {
    Evaluation e = labelled("Partner " + std::to_string(i));
    e.failures[0].subject = "s" + std::to_string(i);
    evals.push_back(e);
  }
  h.scan(kBoth, evals);
  if (testing::onPostgres()) {
    h.scan(kBoth, evals);
    CHECK(findingsWrittenByLastScan(h.store.db()) == 0);
    return;
  }
  REQUIRE(h.store.db().exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  h.scan(kBoth, evals);
  auto st = h.store.db().prepare("PRAGMA wal_checkpoint(PASSIVE)");
  REQUIRE(st);
  REQUIRE(st->step());
  CHECK(st->getInt(1) <= 6);
}

TEST_CASE("store: scans diff sorts findings into buckets") {
  Harness h;
  h.scan(kBoth, {fail("r1", kT1, {"stays", "goes", "back"})});  // 1
  h.scan(kBoth, {fail("r1", kT1, {"stays", "back"})});          // 2: goes resolved
  h.scan(kBoth, {fail("r1", kT1, {"stays"})});                  // 3: back resolved
  h.scan(kBoth, {fail("r1", kT1, {"stays", "back", "new"}), unknown("r2", kT2)});  // 4
  auto diff = h.store.diffScans(3, 4, h.now);
  REQUIRE(diff);
  auto subjects = [](const std::vector<FindingRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.subject.empty() ? r.rule_id : r.subject);
    return out;
  };
  CHECK(subjects(diff->added) == std::vector<std::string>{"new"});
  CHECK(subjects(diff->reopened) == std::vector<std::string>{"back"});
  CHECK(subjects(diff->still_open) == std::vector<std::string>{"stays"});
  CHECK(diff->resolved.empty());
  CHECK(subjects(diff->became_unknown) == std::vector<std::string>{"r2"});
  auto d12 = h.store.diffScans(1, 2, h.now);
  REQUIRE(d12);
  CHECK(subjects(d12->resolved) == std::vector<std::string>{"goes"});
  CHECK(subjects(d12->still_open) == std::vector<std::string>{"back", "stays"});
  CHECK_FALSE(h.store.diffScans(2, 1, h.now));
  CHECK(h.store.diffScans(1, 99, h.now).status().code() == Status::Code::kNotFound);
}

TEST_CASE("store: a scan left running by a crash is marked interrupted at the next start") {
  TempDir dir;
  {
    auto store = FindingStore::open(testStore(dir, "c.db"));
    REQUIRE(store);
    auto id = store->beginScan(kStart, "h");
    REQUIRE(id);
    REQUIRE(store->stageTenant(kBoth[0]));
    REQUIRE(store->stageEvaluation(fail("r1", kT1, {"a"})));
    // ... and the process dies: nothing applied.
  }
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  auto n = store->markInterrupted(kStart + std::chrono::hours(1));
  REQUIRE(n);
  CHECK(*n == 1);
  auto scans = store->listScans();
  REQUIRE(scans);
  CHECK(scans->at(0).status == ScanStatus::kInterrupted);
  auto rows = store->listFindings({StateFilter::kAll, "", "", ""}, kStart);
  REQUIRE(rows);
  CHECK(rows->empty());
}

TEST_CASE("store: a statement failing mid-apply abandons the whole scan, with a one-line error") {
  Harness h;
  h.scan(kBoth, {fail("r1", kT1, {"a"}), pass("r2", kT1), pass("r1", kT2), pass("r2", kT2)});
  // A later phase (the unknown streaks) cannot be prepared: every phase before it has already
  // written in the transaction.
  REQUIRE(h.store.db().exec("DROP TABLE unknowns"));
  auto id = h.store.beginScan(h.now + std::chrono::hours(1), "hash");
  REQUIRE(id);
  for (const auto& t : kBoth) REQUIRE(h.store.stageTenant(t));
  for (const auto& e : {pass("r1", kT1), fail("r2", kT1, {"b"}), pass("r1", kT2), pass("r2", kT2)})
    REQUIRE(h.store.stageEvaluation(e));
  auto sum = h.store.applyScan(*id, h.rules, true, h.now + std::chrono::hours(1));
  REQUIRE_FALSE(sum);
  const std::string message = sum.status().message();
  if (testing::onPostgres()) {
    CHECK_THAT(message, Catch::Contains("relation \"unknowns\" does not exist"));
  } else {
    CHECK_THAT(message,
               Catch::Contains("cannot prepare 'UPDATE unknowns SET until_scan = ?3 WHERE"));
    CHECK_THAT(message, Catch::Contains("no such table: unknowns"));
  }
  CHECK(message.find('\n') == std::string::npos);  // the statement spans lines, the error not
  // Nothing of the second scan was applied: r1/1/a still open, r2/1/b never opened.
  auto all = h.findings();
  REQUIRE(all.size() == 1);
  CHECK(all["r1/1/a"].state == FindingState::kOpen);
  auto scans = h.store.listScans();
  REQUIRE(scans);
  CHECK(scans->at(0).status == ScanStatus::kRunning);
}

TEST_CASE("store: partners' names are kept, replaced when looked up again, and survive reopening") {
  TempDir dir;
  const Timestamp t0 = kStart, t1 = kStart + std::chrono::hours(24 * 8);
  {
    auto store = FindingStore::open(testStore(dir, "c.db"));
    REQUIRE(store);
    auto empty = store->directory();
    REQUIRE(empty);
    CHECK(empty->empty());
    REQUIRE(store->saveDirectory({{kT1, "Adatum", "adatum.onmicrosoft.com", t0},
                                  {kT2, "Litware", "litware.onmicrosoft.com", t0}}));
    REQUIRE(store->saveDirectory({{kT1, "Adatum Managed Services", "adatum.onmicrosoft.com", t1}}));
    REQUIRE(store->saveDirectory({}));  // nothing looked up: nothing written
  }
  auto store = FindingStore::open(testStore(dir, "c.db"));
  REQUIRE(store);
  auto all = store->directory();
  REQUIRE(all);
  std::map<std::string, DirectoryEntry> by_id;
  for (const auto& e : *all) by_id[e.tenant_id] = e;
  REQUIRE(by_id.size() == 2);
  CHECK(by_id[kT1].display_name == "Adatum Managed Services");
  CHECK(by_id[kT1].looked_up_at == t1);
  CHECK(by_id[kT2].default_domain == "litware.onmicrosoft.com");
}

TEST_CASE("store: the admins hear of a failed sign-in when it starts, then once a day") {
  Harness h;
  auto scanWith = [&](std::optional<std::string> failure) {
    h.now += std::chrono::hours(6);
    auto id = h.store.beginScan(h.now, "hash");
    REQUIRE(id);
    REQUIRE(h.store.stageTenant(kBoth[0]));
    if (failure) REQUIRE(h.store.noteSignInFailure(*id, *failure));
    bool due = false;
    // As scan/scan_job.cpp does: applied, then the alerts composed and queued before commit.
    auto tx = h.store.beginApply();
    REQUIRE(tx);
    auto sum = h.store.applyStaged(**tx, *id, h.rules, true, h.now);
    REQUIRE(sum);
    auto d = h.store.signInAlertDue(*id, h.now, std::chrono::hours(24));
    REQUIRE(d);
    due = *d;
    if (due && failure) {
      OutboxMessage m;
      m.message_id = "<signin-" + std::to_string(*id) + "@x>";
      m.kind = "signin";
      m.recipients = "ops@x";
      m.created_at = h.now;
      m.next_attempt_at = h.now;
      REQUIRE(Outbox(h.store.db()).enqueue(m));
    }
    REQUIRE((*tx)->commit());
    REQUIRE(sum);
    return due && failure.has_value();
  };
  CHECK_FALSE(scanWith(std::nullopt));
  CHECK(scanWith("AADSTS700082"));        // it starts: told
  CHECK_FALSE(scanWith("AADSTS700082"));  // 6 h later: not again
  CHECK_FALSE(scanWith("AADSTS700082"));
  CHECK_FALSE(scanWith("AADSTS700082"));
  CHECK(scanWith("AADSTS700082"));  // a day after the first message: again
  CHECK_FALSE(scanWith(std::nullopt));
  CHECK(scanWith("AADSTS70043"));  // fixed, then broken again: told at once
}
