// SPDX-License-Identifier: Apache-2.0
// What a suppression covers (issue 19) on a real SQLite file: open findings counted before it is
// stored, suppressions by tenant tag (tenants tagged later too), a rule+tenant suppression
// covering that pair's could-not-check item, the suppressions of a finding, and the tenants
// with their names, domains and tags.
#include <catch2/catch.hpp>

#include "storage/finding_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::storage;
using cspwatch::testing::TempDir;
using cspwatch::testing::testStore;

namespace {

const std::string kT1 = "11111111-1111-1111-1111-111111111111";
const std::string kT2 = "22222222-2222-2222-2222-222222222222";
const std::string kT3 = "33333333-3333-3333-3333-333333333333";
const Timestamp kStart = *parseTimestamp("2026-11-01T00:00:00Z");

Evaluation unknown(const std::string& rule, const std::string& tenant) {
  return {rule, tenant, EvalOutcome::kUnknown, false, "partners could not be read", {}};
}
Evaluation fail(const std::string& rule, const std::string& tenant,
                const std::vector<std::string>& subjects) {
  Evaluation e{rule, tenant, EvalOutcome::kFail, false, "", {}};
  for (const auto& s : subjects) e.failures.push_back({s, "high", "msg " + s, "fix it", "null"});
  return e;
}

struct Harness {
  TempDir dir;
  FindingStore store = open(testStore(dir, "c.db"));
  Timestamp now = kStart;

  static FindingStore open(const StoreLocation& path) {
    auto s = FindingStore::open(path);
    REQUIRE(s);
    return std::move(s.value());
  }
  void scan(const std::vector<TenantRead>& tenants, const std::vector<Evaluation>& evals) {
    now += std::chrono::hours(1);
    auto id = store.beginScan(now, "hash");
    REQUIRE(id);
    for (const auto& t : tenants) REQUIRE(store.stageTenant(t));
    for (const auto& e : evals) REQUIRE(store.stageEvaluation(e));
    auto sum = store.applyScan(*id, {"r1", "r2"}, true, now);
    INFO(sum.status().message());
    REQUIRE(sum);
  }
  SuppressionCoverage coverage(const Suppression& s) {
    auto c = store.coverageOf(s, now);
    INFO(c.status().message());
    REQUIRE(c);
    return *c;
  }
  std::vector<std::string> suppressedFindings() {
    auto rows = store.listFindings({StateFilter::kSuppressed, "", "", ""}, now);
    REQUIRE(rows);
    std::vector<std::string> out;
    for (const auto& r : *rows)
      if (r.suppressed) out.push_back(r.rule_id + "/" + r.tenant_id.substr(0, 1) + "/" + r.subject);
    return out;
  }
};

Suppression sup(const std::string& rule, std::optional<std::string> tenant = std::nullopt,
                std::optional<std::string> subject = std::nullopt,
                std::optional<std::string> tag = std::nullopt) {
  Suppression s;
  s.rule_id = rule;
  s.tenant_id = std::move(tenant);
  s.subject = std::move(subject);
  s.tenant_tag = std::move(tag);
  s.reason = "moving to us";
  s.owner = "jo";
  s.ticket = "CHG-12";
  s.expires_at = kStart + std::chrono::hours(24 * 30);
  return s;
}

const std::vector<TenantRead> kThree = {
    {kT1, "Contoso", ReadStatus::kFull, "[]", {"managed", "gold"}, "contoso.onmicrosoft.com"},
    {kT2, "Fabrikam", ReadStatus::kFull, "[]", {"gold"}, "fabrikam.com"},
    {kT3, "Tailspin", ReadStatus::kFull, "[]", {}, "tailspin.com"}};

}  // namespace

TEST_CASE("suppressions: coverage counts the open findings and could-not-check items named") {
  Harness h;
  h.scan(kThree, {fail("r1", kT1, {"a", "b"}), fail("r1", kT2, {"a"}), unknown("r1", kT3),
                  fail("r2", kT3, {"x"})});
  CHECK(h.coverage(sup("r1")).findings.size() == 3);
  CHECK(h.coverage(sup("r1")).could_not_check.size() == 1);  // every tenant: Tailspin's too
  auto one = h.coverage(sup("r1", kT1));
  CHECK(one.findings.size() == 2);
  CHECK(one.could_not_check.empty());
  auto subject = h.coverage(sup("r1", kT1, std::string("b")));
  REQUIRE(subject.findings.size() == 1);
  CHECK(subject.findings[0].subject == "b");
  // A mistyped tenant or subject covers nothing.
  CHECK(h.coverage(sup("r1", std::string("11111111-1111-1111-1111-111111111112"))).empty());
  CHECK(h.coverage(sup("r1", kT1, std::string("c"))).empty());
  // A subject never covers a could-not-check item, which has none.
  CHECK(h.coverage(sup("r1", kT3, std::string("a"))).empty());
  auto unknown_only = h.coverage(sup("r1", kT3));
  CHECK(unknown_only.findings.empty());
  REQUIRE(unknown_only.could_not_check.size() == 1);
  CHECK(unknown_only.could_not_check[0].tenant_name == "Tailspin");
  // Counting stores nothing.
  auto stored = h.store.listSuppressions(true, h.now);
  REQUIRE(stored);
  CHECK(stored->empty());
}

TEST_CASE("suppressions: a rule+tenant suppression covers that pair's could-not-check item") {
  Harness h;
  h.scan(kThree, {unknown("r1", kT1), unknown("r2", kT1), unknown("r1", kT2)});
  REQUIRE(h.store.addSuppression(sup("r1", kT1), "me", h.now));
  auto streaks = h.store.unknownStreaks(h.now);
  REQUIRE(streaks);
  REQUIRE(streaks->size() == 3);
  std::map<std::string, int64_t> by;
  for (const auto& u : *streaks) by[u.rule_id + "/" + u.tenant_id.substr(0, 1)] = u.suppressed_by;
  CHECK(by["r1/1"] == 1);  // covered
  CHECK(by["r2/1"] == 0);  // another rule
  CHECK(by["r1/2"] == 0);  // another tenant
  // Without a time no suppression is looked at; after expiry or removal it no longer covers.
  auto plain = h.store.unknownStreaks();
  REQUIRE(plain);
  for (const auto& u : *plain) CHECK(u.suppressed_by == 0);
  auto later = h.store.unknownStreaks(kStart + std::chrono::hours(24 * 31));
  REQUIRE(later);
  for (const auto& u : *later) CHECK(u.suppressed_by == 0);
  REQUIRE(h.store.removeSuppression(1, "me", h.now));
  auto removed = h.store.unknownStreaks(h.now);
  REQUIRE(removed);
  for (const auto& u : *removed) CHECK(u.suppressed_by == 0);
}

TEST_CASE("suppressions: a tag suppression covers every tenant carrying it, later ones too") {
  Harness h;
  h.scan(kThree, {fail("r1", kT1, {"a"}), fail("r1", kT2, {"a"}), fail("r1", kT3, {"a"}),
                  unknown("r2", kT2)});
  auto covered = h.coverage(sup("r1", std::nullopt, std::nullopt, std::string("gold")));
  CHECK(covered.findings.size() == 2);
  CHECK(h.coverage(sup("r1", std::nullopt, std::nullopt, std::string("gol"))).empty());
  REQUIRE(h.store.addSuppression(sup("r1", std::nullopt, std::nullopt, std::string("gold")), "me",
                                 h.now));
  CHECK(h.suppressedFindings() == std::vector<std::string>{"r1/1/a", "r1/2/a"});
  // Tailspin is tagged gold in the next scan: its finding is covered from then on.
  auto retagged = kThree;
  retagged[2].tags = {"gold"};
  h.scan(retagged, {fail("r1", kT1, {"a"}), fail("r1", kT2, {"a"}), fail("r1", kT3, {"a"})});
  CHECK(h.suppressedFindings() == std::vector<std::string>{"r1/1/a", "r1/2/a", "r1/3/a"});
  // A tenant and a tag at once is refused.
  auto both = sup("r1", kT1, std::nullopt, std::string("gold"));
  CHECK_FALSE(h.store.addSuppression(both, "me", h.now));
  // The tag is stored, listed and audited.
  auto list = h.store.listSuppressions(false, h.now);
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK(list->at(0).tenant_tag == std::optional<std::string>("gold"));
  auto audit = h.store.listAudit();
  REQUIRE(audit);
  CHECK(audit->at(0).target == "r1 tag gold");
}

TEST_CASE("suppressions: a tag suppression covers the could-not-check items of its tenants") {
  Harness h;
  h.scan(kThree, {unknown("r2", kT1), unknown("r2", kT3)});
  auto c = h.coverage(sup("r2", std::nullopt, std::nullopt, std::string("managed")));
  REQUIRE(c.could_not_check.size() == 1);
  CHECK(c.could_not_check[0].tenant_id == kT1);
  REQUIRE(h.store.addSuppression(sup("r2", std::nullopt, std::nullopt, std::string("managed")),
                                 "me", h.now));
  auto streaks = h.store.unknownStreaks(h.now);
  REQUIRE(streaks);
  for (const auto& u : *streaks) CHECK((u.suppressed_by != 0) == (u.tenant_id == kT1));
}

TEST_CASE("suppressions: a finding names the suppressions that cover it, with their reasons") {
  Harness h;
  h.scan(kThree, {fail("r1", kT1, {"a", "b"})});
  REQUIRE(h.store.addSuppression(sup("r1", kT1, std::string("a")), "me", h.now));
  auto rows = h.store.listFindings({StateFilter::kOpen, "", "", ""}, h.now);
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  for (const auto& f : *rows) {
    auto of = h.store.suppressionsOf(f.id, h.now);
    REQUIRE(of);
    if (f.subject == "a") {
      REQUIRE(of->size() == 1);
      CHECK(of->at(0).reason == "moving to us");
      CHECK(of->at(0).owner == "jo");
      CHECK(of->at(0).ticket == std::optional<std::string>("CHG-12"));
    } else {
      CHECK(of->empty());
    }
  }
}

TEST_CASE("suppressions: the tenants last seen, with names, default domains and tags") {
  Harness h;
  h.scan(kThree, {});
  auto known = h.store.knownTenants();
  REQUIRE(known);
  REQUIRE(known->size() == 3);
  CHECK(known->at(0).name == "Contoso");
  CHECK(known->at(0).domain == "contoso.onmicrosoft.com");
  CHECK(known->at(0).tags == std::vector<std::string>{"managed", "gold"});
  CHECK(known->at(2).tags.empty());
  // A partial read without the domain keeps the one known; a new domain replaces it.
  auto next = kThree;
  next[0].domain = "";
  next[1].domain = "fabrikam.onmicrosoft.com";
  h.scan(next, {});
  known = h.store.knownTenants();
  REQUIRE(known);
  CHECK(known->at(0).domain == "contoso.onmicrosoft.com");
  CHECK(known->at(1).domain == "fabrikam.onmicrosoft.com");
}
