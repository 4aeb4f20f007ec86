// SPDX-License-Identifier: Apache-2.0
// `cspwatch scan --once --dry-run`: read the sources, evaluate the rules, print the outcome.
#include <algorithm>
#include <memory>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <malloc.h>

#include "common/clock.h"
#include "daemon/alert_pipeline.h"
#include "daemon/app_config.h"
#include "daemon/cli.h"
#include "daemon/commands.h"
#include "daemon/outbox_sender.h"
#include "daemon/progress_bar.h"
#include "daemon/rule_files.h"
#include "daemon/scan_runner.h"
#include "daemon/store_options.h"
#include "daemon/table.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_json.h"
#include "tenants/tenant_value.h"

namespace cspwatch::daemon {

namespace {

// A subject as people read it: a partner's tenant id (incumbent-admin-access) with the name and
// domain Graph gave it, "Adatum Managed Services (adatum.onmicrosoft.com)"; anything else as is.
std::string subjectLabel(const tenants::Tenant& t, const std::string& subject) {
  for (const auto& p : t.partners.value_or(std::vector<tenants::CustomerPartner>{}))
    if (p.tenant_id == subject && p.name)
      return *p.name + (p.default_domain ? " (" + *p.default_domain + ")" : "");
  return subject;
}

struct Row {
  const rules::CompiledRule* rule;
  const tenants::Tenant* tenant;
  std::string subject;
  rules::Outcome outcome;
  std::string message;
  std::string remediation;
};

int recordAndSummarise(const CommandContext& ctx, const AppConfig& cfg, const rules::RuleSet& rules,
                       Timestamp now, bool fixed_time, OutputFormat format) {
  auto store = storage::FindingStore::open(cfg.storage_path, storeOptions(cfg));
  if (!store) {
    ctx.err << "cspwatch: " << store.status().message() << "\n";
    return kExitProblems;
  }
  // Alerts are composed inside the scan's transaction; set up before scanning so that a bad
  // template stops the scan instead of losing its alerts.
  std::optional<AlertPipeline> pipeline;
  if (cfg.alerts) {
    auto p = AlertPipeline::create(cfg, rules);
    if (!p) {
      ctx.err << "cspwatch: " << p.status().message() << "\n";
      return kExitUsage;
    }
    pipeline.emplace(std::move(*p));
  }
  ProgressBar bar(ctx.err);
  ScanSourceReport source;
  auto summary = recordScan(
      cfg, rules, *store, now, [&bar](size_t done, size_t total) { bar.update(done, total); },
      pipeline ? pipeline->hook(*store, now) : storage::OutboxHook{}, nullptr, &source);
  malloc_trim(0);  // glibc keeps the freed heap of the inventory and scan; give it back
  // Skipped inventory rows and lists that could not be read: never silently.
  ctx.err << source.diagnostics.renderText();
  if (!summary) {
    ctx.err << "cspwatch: the scan failed and changed nothing: " << summary.status().message()
            << "\n";
    return kExitProblems;
  }
  // Deliver what is due now; what cannot go out waits in the outbox for the next attempt.
  std::optional<SendReport> sent;
  if (cfg.alerts) {
    auto transport = makeTransport(cfg);
    if (!transport) {
      ctx.err << "cspwatch: alerts stay queued: " << transport.status().message() << "\n";
    } else {
      storage::Outbox outbox(store->db());
      // With --now (tests, the demo) delivery happens at that time too; otherwise now.
      ManualClock fixed(now);
      SystemClock system;
      const Clock& clock = fixed_time ? static_cast<const Clock&>(fixed) : system;
      const auto& a = *cfg.alerts;
      auto r = deliverAllDue(outbox, **transport, clock,
                             senderOptions(a.retry_first, a.retry_max, a.give_up_after));
      if (!r)
        ctx.err << "cspwatch: alerts stay queued: " << r.status().message() << "\n";
      else
        sent = *r;
    }
  }
  const auto& s = *summary;
  if (format == OutputFormat::kJson) {
    Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    doc->set("schema_version", 1);
    doc->set("scan_id", s.scan_id);
    doc->set("status", s.status);
    Poco::JSON::Object::Ptr t = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    t->set("total", s.tenants_total);
    t->set("full", s.tenants_full);
    t->set("partial", s.tenants_partial);
    t->set("unread", s.tenants_unread);
    doc->set("tenants", t);
    Poco::JSON::Object::Ptr f = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    f->set("new", s.findings_new);
    f->set("reopened", s.findings_reopened);
    f->set("resolved", s.findings_resolved);
    f->set("retired", s.findings_retired);
    f->set("open", s.findings_open);
    f->set("unknown", s.checks_unknown);
    doc->set("findings", f);
    if (sent) {
      Poco::JSON::Object::Ptr m = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      m->set("delivered", sent->delivered);
      m->set("retrying", sent->retrying);
      m->set("failed", sent->failed);
      doc->set("alerts", m);
    }
    ctx.out << tenants::jsonText(doc, true) << "\n";
  } else {
    ctx.out << "scan " << s.scan_id << " " << s.status << ": " << s.tenants_total << " tenant(s) ("
            << s.tenants_full << " read fully, " << s.tenants_partial << " partly, "
            << s.tenants_unread << " not at all)\n"
            << "findings: " << s.findings_new << " new, " << s.findings_reopened << " reopened, "
            << s.findings_resolved << " resolved, " << s.findings_retired << " retired, "
            << s.findings_open << " open; " << s.checks_unknown << " check(s) could not be made\n";
    if (sent)
      ctx.out << "alerts: " << sent->delivered << " delivered, " << sent->retrying
              << " waiting to retry, " << sent->failed << " failed\n";
  }
  // Recorded, but every App+User check was could-not-check: a source could not be used.
  return source.sign_in_failure ? kExitProblems : kExitOk;
}

}  // namespace

int scan(const CommandContext& ctx, const ScanOptions& options) {
  if (!options.once) {
    ctx.err << "cspwatch: scan needs --once (the scheduled daemon is 'cspwatch run')\n";
    return kExitUsage;
  }
  Diagnostics diags;
  auto cfg = loadConfig(ctx.config_path, diags);
  if (!cfg) {
    ctx.err << diags.renderText();
    return kExitUsage;
  }
  rules::LoadResult loaded = loadRuleFiles(cfg->rule_paths);
  if (!loaded.ok()) {
    ctx.err << loaded.diagnostics.renderText() << "cspwatch: the rule set has errors; fix them "
            << "(cspwatch rules check) and scan again\n";
    return kExitUsage;
  }
  const Timestamp now = options.now ? *options.now : SystemClock().now();
  if (!options.dry_run)
    return recordAndSummarise(ctx, *cfg, *loaded.rules, now, options.now.has_value(),
                              options.format);

  std::vector<Row> rows;
  size_t failed = 0, unknown = 0;
  std::vector<std::unique_ptr<tenants::Tenant>> keep;
  ProgressBar bar(ctx.err);
  auto report = runScan(
      *cfg, *loaded.rules, now,
      [&](const TenantOutcome& o) -> Status {
        keep.push_back(std::make_unique<tenants::Tenant>(*o.tenant));
        const tenants::Tenant* tenant = keep.back().get();
        for (const auto& r : o.results) {
          for (const auto& f : r.findings) {
            rows.push_back(
                {r.rule, tenant, f.subject, rules::Outcome::kFail, f.message, f.remediation});
            ++failed;
          }
          if (r.outcome == rules::Outcome::kUnknown || r.incomplete) {
            // One row per reason: each unreadable contact, say, is its own could-not-check.
            std::string subject = r.unknown_subjects.empty() ? "" : r.unknown_subjects.front();
            for (const auto& why : r.unknown_reasons) {
              rows.push_back({r.rule, tenant, subject, rules::Outcome::kUnknown,
                              "could not be checked: " + why, ""});
              ++unknown;
            }
          }
        }
        return Status::ok();
      },
      nullptr, [&bar](size_t done, size_t total) { bar.update(done, total); });
  if (!report) {
    ctx.err << "cspwatch: " << report.status().message() << "\n";
    return report.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitProblems;
  }
  ctx.err << report->diagnostics.renderText();
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.outcome != b.outcome) return a.outcome == rules::Outcome::kFail;
    if (a.rule->severity != b.rule->severity) return a.rule->severity < b.rule->severity;
    if (a.rule->id != b.rule->id) return a.rule->id < b.rule->id;
    return a.tenant->name < b.tenant->name;
  });

  if (options.format == OutputFormat::kJson) {
    using Poco::JSON::Array;
    using Poco::JSON::Object;
    Object::Ptr doc = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    doc->set("schema_version", 1);
    doc->set("now", formatTimestamp(now));
    doc->set("rule_set", loaded.rules->hash());
    doc->set("tenants", static_cast<int>(report->tenants));
    Array::Ptr list = new Array();
    for (const auto& row : rows) {
      Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("rule", row.rule->id);
      o->set("tenant_id", row.tenant->id);
      o->set("tenant_name", row.tenant->name);
      o->set("subject", row.subject);
      o->set("outcome", std::string(rules::outcomeName(row.outcome)));
      o->set("severity", std::string(rules::severityName(row.rule->severity)));
      o->set("message", row.message);
      o->set("remediation", row.remediation);
      list->add(o);
    }
    doc->set("findings", list);
    ctx.out << tenants::jsonText(doc, true) << "\n";
  } else {
    // Messages are long: the table names each finding; --format json carries the full text.
    Table table({{"SEVERITY", false, 8},
                 {"RULE", false, 10},
                 {"TENANT", true, 16, 2},
                 {"SUBJECT / WHY UNKNOWN", true, 12, 1}});
    for (const auto& row : rows) {
      const bool unknown_row = row.outcome == rules::Outcome::kUnknown;
      table.addRow({unknown_row ? "unknown" : rules::severityName(row.rule->severity), row.rule->id,
                    row.tenant->name,
                    unknown_row ? row.message.substr(row.message.find(':') + 2)
                                : subjectLabel(*row.tenant, row.subject)});
    }
    // 140 columns: room for a partner's name and domain beside the tenant's name.
    table.print(ctx.out, 140);
    ctx.out << report->tenants << " tenant(s), " << loaded.rules->rules().size()
            << " rule(s): " << failed << " finding(s), " << unknown << " could not be checked\n";
  }
  // Every App+User check was could-not-check: a source could not be used.
  return report->sign_in_failure ? kExitProblems : kExitOk;
}

}  // namespace cspwatch::daemon
