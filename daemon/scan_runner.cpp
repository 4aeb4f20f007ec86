// SPDX-License-Identifier: Apache-2.0
#include "daemon/scan_runner.h"

#include <csignal>
#include <cstdlib>

#include "daemon/value_json.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_json.h"
#include "tenants/tenant_value.h"

namespace cspwatch::daemon {

namespace {

storage::ReadStatus readStatusOf(const tenants::Tenant& t) {
  return t.fetch_problems.empty() ? storage::ReadStatus::kFull : storage::ReadStatus::kPartial;
}

std::string problemsJson(const tenants::Tenant& t) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array();
  for (const auto& p : t.fetch_problems) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("part", p.part);
    o->set("reason", p.reason);
    a->add(o);
  }
  return tenants::jsonText(a, false);
}

// Test hook for the crash-safety tests: after staging this many tenants the process kills
// itself with SIGKILL, as a power cut or the OOM killer would.
long crashAfterTenants() {
  const char* v = std::getenv("CSPWATCH_TEST_CRASH_AFTER_TENANTS");
  return v == nullptr ? -1 : std::strtol(v, nullptr, 10);
}

}  // namespace

Result<ScanSourceReport> runScan(const AppConfig& config, const rules::RuleSet& rules,
                                 Timestamp now,
                                 const std::function<Status(const TenantOutcome&)>& sink) {
  ScanSourceReport report;
  if (!config.inventory)
    return Status::invalidArgument(
        "no source to scan: configure sources.inventory (the Partner Center "
        "source arrives with its module)");
  auto inv = tenants::loadInventoryFile(config.inventory->path);
  if (!inv) return inv.status();
  report.diagnostics = inv->diagnostics;
  const Value partner = rules::RuleSet::partnerValue(config.partner);
  for (const auto& tenant : inv->tenants) {
    TenantOutcome outcome{&tenant, readStatusOf(tenant),
                          rules.evaluate(tenants::tenantToValue(tenant), partner, now)};
    if (Status s = sink(outcome); !s) return s;
    ++report.tenants;
  }
  return report;
}

storage::TenantRead toTenantRead(const TenantOutcome& o) {
  return {o.tenant->id, o.tenant->name, o.read_status,
          o.read_status == storage::ReadStatus::kFull ? "[]" : problemsJson(*o.tenant)};
}

std::vector<storage::Evaluation> toEvaluations(const TenantOutcome& o) {
  std::vector<storage::Evaluation> out;
  out.reserve(o.results.size());
  for (const auto& r : o.results) {
    storage::Evaluation e;
    e.rule_id = r.rule->id;
    e.tenant_id = o.tenant->id;
    e.outcome = r.outcome == rules::Outcome::kPass   ? storage::EvalOutcome::kPass
                : r.outcome == rules::Outcome::kFail ? storage::EvalOutcome::kFail
                                                     : storage::EvalOutcome::kUnknown;
    e.incomplete = r.incomplete;
    e.unknown_reason = r.unknown_reason;
    for (const auto& f : r.findings)
      e.failures.push_back({f.subject, rules::severityName(r.rule->severity), f.message,
                            f.remediation, valueToJson(f.evidence)});
    out.push_back(std::move(e));
  }
  return out;
}

Result<storage::ScanSummary> recordScan(const AppConfig& config, const rules::RuleSet& rules,
                                        storage::FindingStore& store, Timestamp now) {
  if (auto n = store.markInterrupted(now); !n) return n.status();
  auto scan = store.beginScan(now, rules.hash());
  if (!scan) return scan.status();
  const long crash_after = crashAfterTenants();
  long staged = 0;
  auto report = runScan(config, rules, now, [&](const TenantOutcome& o) -> Status {
    if (Status s = store.stageTenant(toTenantRead(o)); !s) return s;
    for (const auto& e : toEvaluations(o))
      if (Status s = store.stageEvaluation(e); !s) return s;
    if (++staged == crash_after) std::raise(SIGKILL);
    return Status::ok();
  });
  if (!report) {
    (void)store.failScan(*scan, now, report.status().message());
    return report.status();
  }
  std::vector<std::string> enabled;
  for (const auto& r : rules.rules())
    if (r.enabled) enabled.push_back(r.id);
  auto summary = store.applyScan(*scan, enabled, report->complete, now);
  if (!summary) (void)store.failScan(*scan, now, summary.status().message());
  return summary;
}

}  // namespace cspwatch::daemon
