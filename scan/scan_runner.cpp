// SPDX-License-Identifier: Apache-2.0
#include "scan/scan_runner.h"

#include <algorithm>
#include <set>

#include <Poco/UUIDGenerator.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/text.h"
#include "msapi/configured_credentials.h"
#include "scan/value_json.h"
#include "tenants/inventory_source.h"
#include "tenants/partner_center_source.h"
#include "tenants/tenant_json.h"
#include "tenants/tenant_value.h"

namespace cspwatch::scan {

namespace {

// What the scan learnt of Partner Center's limit, for the operator: the pace it settled on, the
// rate measured and the burst the service granted (msapi/pacer.h).
void logLearntLimit(const msapi::ApiClient& api, const std::string& partner_tenant) {
  const auto learnt = api.pacer().learnt(
      msapi::ApiClient::scopeOf({msapi::Api::kPartnerCenter, "", partner_tenant, false, {}}));
  if (learnt.throttled == 0) {
    log().info("Partner Center's limit was not reached (no request answered 429)");
    return;
  }
  log().info(
      "Partner Center's limit as learnt: {:.0f} requests a minute measured ({}), paced at {:.0f}, "
      "its bucket holds about {:.0f} requests; {} requests answered 429 so far",
      learnt.measured * 60, learnt.precise ? "precisely" : "roughly", learnt.pace * 60,
      learnt.capacity, learnt.throttled);
}

// Contacts that could not be read (a permission hides them), each as a problem of its own.
std::vector<tenants::FetchProblem> unreadContacts(const tenants::Tenant& t) {
  std::vector<tenants::FetchProblem> out;
  for (const auto& c : t.contacts.value_or(std::vector<tenants::ContactEmail>{}))
    if (c.unread) out.push_back({"contact", c.purpose + " (" + c.source + "): " + *c.unread});
  return out;
}

// Read fully: every part, and every contact.
storage::ReadStatus readStatusOf(const tenants::Tenant& t) {
  const auto& contacts = t.contacts.value_or(std::vector<tenants::ContactEmail>{});
  const bool hidden = std::any_of(contacts.begin(), contacts.end(),
                                  [](const tenants::ContactEmail& c) { return c.unread; });
  return t.fetch_problems.empty() && !hidden ? storage::ReadStatus::kFull
                                             : storage::ReadStatus::kPartial;
}

std::string problemsJson(const tenants::Tenant& t) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array();
  std::vector<tenants::FetchProblem> problems = t.fetch_problems;
  for (auto& p : unreadContacts(t)) problems.push_back(std::move(p));
  for (const auto& p : problems) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("part", p.part);
    o->set("reason", p.reason);
    a->add(o);
  }
  return tenants::jsonText(a, false);
}

// The rule set's load-time cost warnings, the first time a scan uses it: `scan --once` logs
// them once, `cspwatch run` once per rule set it loads, not at every scan.
void logCostWarnings(const rules::RuleSet& rules) {
  for (const auto& d : rules.costWarningsOnce())
    log().warn("{}: {}{} [{}]", d.location.str(), d.context.empty() ? "" : d.context + ": ",
               d.message, d.code);
}

}  // namespace

Result<ScanSourceReport> runScan(const ScanSources& sources, const rules::RuleSet& rules,
                                 Timestamp now,
                                 const std::function<Status(const TenantOutcome&)>& sink,
                                 msapi::Cancellation* cancel,
                                 const std::function<void(size_t, size_t)>& progress,
                                 tenants::PartnerDirectory* names, const ScanFilter* filter) {
  const Value partner = rules::RuleSet::partnerValue(sources.partner);
  logCostWarnings(rules);
  rules::EvalOptions options;
  options.max_steps = sources.rules_max_steps;
  options.max_steps_setting = "rules.max_steps_per_tenant";
  std::set<const rules::CompiledRule*> out_of_steps;  // warned about in this scan
  const std::set<std::string>* only =
      filter != nullptr && !filter->rules.empty() ? &filter->rules : nullptr;
  options.only_rules = only;
  // Computed from the rule set of this scan: a reloaded rule set brings its own plan.
  const tenants::FetchPlan plan = fetchPlanFor(rules, only);
  if (sources.partner_center) log().info("{}", plan.describe());
  return readTenants(
      sources,
      [&](const tenants::Tenant& tenant) {
        if (filter != nullptr && !filter->matches(tenant)) return Status::ok();
        TenantOutcome outcome{
            &tenant, readStatusOf(tenant),
            rules.evaluate(tenants::tenantToValue(tenant), partner, now, options)};
        for (const auto& r : outcome.results)
          if (r.out_of_steps && out_of_steps.insert(r.rule).second)
            log().warn(
                "rule '{}' ({}:{}) ran out of steps for tenant {} ({}): it needs more than "
                "rules.max_steps_per_tenant ({}) and is could-not-check there (other tenants it "
                "runs out for are not named again in this scan); 'cspwatch rules check' points "
                "at list macros nested over tenant lists, the usual cause",
                r.rule->id, r.rule->site.file, r.rule->site.line, tenant.name, tenant.id,
                sources.rules_max_steps);
        return sink(outcome);
      },
      cancel, progress, names, plan,
      filter != nullptr && !filter->tenants.empty()
          ? std::function<bool(const tenants::Tenant&)>(
                [filter](const tenants::Tenant& t) { return filter->matches(t); })
          : std::function<bool(const tenants::Tenant&)>());
}

tenants::FetchPlan fetchPlanFor(const rules::RuleSet& rules, const std::set<std::string>* only) {
  if (only == nullptr || only->empty()) {
    const rules::FieldsRead& read = rules.tenantFieldsRead();
    return tenants::FetchPlan::forFields(read.fields, read.all);
  }
  rules::FieldsRead read;
  for (const auto& r : rules.rules())
    if (r.enabled && only->count(r.id)) read.add(r.reads);
  return tenants::FetchPlan::forFields(read.fields, read.all);
}

bool ScanFilter::matches(const tenants::Tenant& t) const {
  if (tenants.empty()) return true;
  return std::any_of(tenants.begin(), tenants.end(), [&t](const std::string& want) {
    const std::string w = toLowerAscii(want);
    return toLowerAscii(t.id) == w || toLowerAscii(t.name) == w ||
           toLowerAscii(t.default_domain) == w;
  });
}

namespace {

// The inventory alone: each tenant is evaluated as it is read, so that a scan holds one tenant at
// a time, not the file.
Result<ScanSourceReport> readInventoryOnly(
    const std::string& path, const std::function<Status(const tenants::Tenant&)>& evaluate,
    const std::function<void(size_t, size_t)>& progress) {
  ScanSourceReport report;
  size_t records = 0;  // the file's rows, skipped ones included: the progress total
  auto read = tenants::readInventoryFile(
      path,
      [&](tenants::Tenant&& tenant) {
        if (Status s = evaluate(tenant); !s) return s;
        ++report.tenants;
        if (progress) progress(report.tenants, std::max(records, report.tenants));
        return Status::ok();
      },
      [&records](size_t n) { records = n; });
  if (!read) return read.status();
  if (progress && report.tenants > 0 && report.tenants < records)
    progress(report.tenants, report.tenants);  // rows were skipped: done all the same
  report.diagnostics = read->diagnostics;
  // Rows that could not be read may name tenants: absent ones must not count as gone.
  report.complete = read->unreadable == 0;
  return report;
}

}  // namespace

Result<ScanSourceReport> readTenants(const ScanSources& sources,
                                     const std::function<Status(const tenants::Tenant&)>& evaluate,
                                     msapi::Cancellation* cancel,
                                     const std::function<void(size_t, size_t)>& progress,
                                     tenants::PartnerDirectory* names,
                                     const tenants::FetchPlan& plan,
                                     const std::function<bool(const tenants::Tenant&)>& only) {
  if (!sources.partner_center) {
    if (!sources.inventory_path)
      return Status::invalidArgument(
          "no source to scan: configure sources.partner_center or sources.inventory");
    return readInventoryOnly(*sources.inventory_path, evaluate, progress);
  }
  ScanSourceReport report;
  std::optional<tenants::Inventory> inventory;
  if (sources.inventory_path) {
    auto inv = tenants::loadInventoryFile(*sources.inventory_path);
    if (!inv) return inv.status();
    inventory = std::move(inv.value());
  }
  // The live source.
  const msapi::PartnerCenterConfig& pc = *sources.partner_center;
  auto configured = msapi::configuredCredentials(pc, sources.partner.tenant_id);
  if (!configured) return configured.status();
  if (configured->missing_secret) return msapi::noClientSecret();
  msapi::Credentials credentials = std::move(configured->credentials);
  msapi::Cancellation local_cancel;
  msapi::Cancellation& stop = cancel != nullptr ? *cancel : local_cancel;
  SystemClock clock;
  msapi::HttpClient http(msapi::withNetwork(msapi::networkOptions(sources.network)));
  msapi::TokenProvider tokens(credentials, http, clock, &stop);
  msapi::ApiOptions api_options;
  api_options.correlation_id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  api_options.backoff_base = pc.backoff_base;
  api_options.pc_per_minute = pc.pc_requests_per_minute;
  api_options.graph_per_10s = pc.graph_requests_per_10s;
  if (sources.pacer) api_options.pacer = sources.pacer;
  msapi::ApiClient api(http, tokens, stop, api_options);
  tenants::PartnerCenterSourceOptions options;
  options.partner_tenant_id = sources.partner.tenant_id;
  options.partner_center_url = pc.partner_center_url;
  options.graph_url = pc.graph_url;
  options.concurrency = pc.concurrency;
  options.progress = progress;
  options.check_user_sign_in = [&tokens, &sources]() -> Status {
    auto token = tokens.userToken(sources.partner.tenant_id, msapi::Audience::kPartnerCenter);
    return token ? Status::ok() : token.status();
  };
  tenants::PartnerDirectory own_names({}, clock.now());
  options.directory = names != nullptr ? names : &own_names;
  options.plan = plan;
  options.only = only;
  tenants::PartnerCenterSource source(options, api, inventory ? &*inventory : nullptr,
                                      tokens.hasRefreshToken(), stop);
  auto result = source.run(evaluate);
  logLearntLimit(api, sources.partner.tenant_id);
  // The pacer outlives the scan in the daemon: what it keeps is what was learnt, not a scope
  // per customer tenant (about 350 bytes each).
  if (sources.pacer) sources.pacer->forgetUnthrottled();
  auto use = [&api](msapi::Api which) {
    const auto& c = api.counters(which);
    return ApiUse{c.requests.load(), c.retries.load(), c.throttled.load(), c.failed.load()};
  };
  report.partner_center = use(msapi::Api::kPartnerCenter);
  report.graph = use(msapi::Api::kGraph);
  if (!result) return result.status();
  report.names_looked_up = options.directory->lookedUp();
  report.sign_in_failure = result->sign_in_failure;
  report.tenants = result->tenants;
  report.complete = result->complete && (!inventory || inventory->unreadable == 0);
  report.diagnostics = result->problems;
  return report;
}

storage::TenantRead toTenantRead(const TenantOutcome& o) {
  return {
      o.tenant->id,   o.tenant->name,
      o.read_status,  o.read_status == storage::ReadStatus::kFull ? "[]" : problemsJson(*o.tenant),
      o.tenant->tags, o.tenant->default_domain};
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
    // One line per distinct reason (an unreadable contact each): digests list each line as
    // its own could-not-check item.
    e.unknown_reason = join(r.unknown_reasons, "\n");
    for (const auto& f : r.findings)
      e.failures.push_back({f.subject, rules::severityName(r.rule->severity), f.message,
                            f.remediation, valueToJson(f.evidence), f.subject_label});
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace cspwatch::scan
