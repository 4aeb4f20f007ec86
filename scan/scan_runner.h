// SPDX-License-Identifier: Apache-2.0
// One scan: read every tenant from the sources, evaluate the rule set against each, and hand
// each tenant's results to a sink as it goes (tenants are streamed, not all held at once).
// `cspwatch scan --dry-run` prints what the sink gets; ScanJob (scan_job.h), behind
// `cspwatch scan --once` and the service, stages it in the FindingStore and applies it at the end.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/partner.h"
#include "common/status.h"
#include "common/time.h"
#include "msapi/cancellation.h"
#include "msapi/pacer.h"
#include "msapi/settings.h"
#include "rules/rule_set.h"
#include "storage/finding_store.h"
#include "tenants/fetch_plan.h"
#include "tenants/partner_directory.h"
#include "tenants/tenant.h"

namespace cspwatch::scan {

// What a scan reads and how, as the configuration says (daemon/scan_setup.h converts it; this
// layer never sees the configuration). At least one of partner_center and inventory_path is set.
struct ScanSources {
  PartnerIdentity partner;
  std::optional<msapi::PartnerCenterConfig> partner_center;  // sources.partner_center
  std::optional<std::string> inventory_path;                 // sources.inventory.path
  msapi::NetworkConfig network;
  int64_t rules_max_steps = rules::kDefaultMaxSteps;  // rules.max_steps_per_tenant
  // What the client has learnt of the services' limits (msapi/pacer.h): the service keeps one
  // across scans, so that each starts with it. Null: this scan learns afresh.
  std::shared_ptr<msapi::Pacer> pacer;
};

struct TenantOutcome {
  const tenants::Tenant* tenant;
  storage::ReadStatus read_status;
  std::vector<rules::RuleResult> results;  // empty when the tenant could not be read at all
};

// What one API was asked during a scan (ApiClient counters).
struct ApiUse {
  int64_t requests = 0, retries = 0, throttled = 0, failed = 0;
};

struct ScanSourceReport {
  ApiUse partner_center, graph;  // zero when only the inventory was read
  size_t tenants = 0;
  bool complete = true;     // every source listed its tenants (no unreadable inventory row)
  Diagnostics diagnostics;  // skipped inventory rows, source problems
  // Entra refused the partner user's refresh token: run `cspwatch auth login`.
  std::optional<std::string> sign_in_failure;
  std::vector<tenants::TenantInfo> names_looked_up;  // partners' names this scan looked up
};

// Which rules and tenants a scan evaluates (`cspwatch scan --once --dry-run --rule --tenant`);
// an empty list: all of them. Only a scan that records nothing may be restricted: a recording
// scan would resolve the findings of the rules and tenants it left out.
struct ScanFilter {
  std::set<std::string> rules;       // rule ids
  std::vector<std::string> tenants;  // each a tenant's id, name or default domain (any case)

  bool matches(const tenants::Tenant& tenant) const;
};

// Reads the configured sources and evaluates `rules` for each tenant, calling `sink` once per
// tenant. Only the tenant parts `rules` read are fetched (fetchPlanFor()), which the log says
// once. An unreadable source is an error Status (nothing was evaluated).
// `cancel` (may be null) stops a scan early, e.g. on shutdown. `progress` (may be empty) is
// told how many tenants are done out of how many, after each one. With a `filter` (may be null)
// only its rules are evaluated, only the parts they read are fetched, and only its tenants are
// evaluated and given to `sink` (the sources still list every tenant, and read only the
// filter's tenants when their lists name them).
Result<ScanSourceReport> runScan(const ScanSources& sources, const rules::RuleSet& rules,
                                 Timestamp now,
                                 const std::function<Status(const TenantOutcome&)>& sink,
                                 msapi::Cancellation* cancel = nullptr,
                                 const std::function<void(size_t, size_t)>& progress = {},
                                 tenants::PartnerDirectory* names = nullptr,
                                 const ScanFilter* filter = nullptr);

// The sources alone, without rules: every tenant they know, assembled, handed to `sink` one at
// a time (`cspwatch tenants list`, and runScan underneath). `names` (may be null: a directory of
// this call's own) names the partners the customers list. `plan` says which per-tenant parts
// the live source reads: every part unless a scan's rules need fewer. `only` (may be empty)
// narrows what the live source reads to the tenants it accepts on their list data
// (tenants::PartnerCenterSourceOptions::only): `sink` may still see others, and must judge.
Result<ScanSourceReport> readTenants(
    const ScanSources& sources, const std::function<Status(const tenants::Tenant&)>& sink,
    msapi::Cancellation* cancel = nullptr, const std::function<void(size_t, size_t)>& progress = {},
    tenants::PartnerDirectory* names = nullptr,
    const tenants::FetchPlan& plan = tenants::FetchPlan::everything(),
    const std::function<bool(const tenants::Tenant&)>& only = {});

// The parts of each tenant that `rules` need (tenants/fetch_plan.h): those filling the fields
// its enabled rules read; with `only` (may be null or empty: every rule), those rules'.
tenants::FetchPlan fetchPlanFor(const rules::RuleSet& rules,
                                const std::set<std::string>* only = nullptr);

// Converts one tenant's results for the store.
std::vector<storage::Evaluation> toEvaluations(const TenantOutcome& outcome);
storage::TenantRead toTenantRead(const TenantOutcome& outcome);

}  // namespace cspwatch::scan
