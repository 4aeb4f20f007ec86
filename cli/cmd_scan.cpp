// SPDX-License-Identifier: Apache-2.0
// `cspwatch scan --once --dry-run`: read the sources, evaluate the rules, print the outcome as
// it comes. `cspwatch scan --once`: the same, recorded.
#include <algorithm>
#include <iostream>
#include <set>

#include <Poco/JSON/Object.h>
#include <Poco/JSONString.h>
#include <malloc.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/partner_account.h"
#include "cli/progress_bar.h"
#include "cli/store_options.h"
#include "cli/table.h"
#include "common/clock.h"
#include "common/text.h"
#include "config/app_config.h"
#include "config/rule_files.h"
#include "daemon/scan_setup.h"
#include "scan/alert_pipeline.h"
#include "scan/outbox_sender.h"
#include "scan/scan_job.h"
#include "scan/scan_runner.h"
#include "storage/states.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_json.h"
#include "tenants/tenant_value.h"

namespace cspwatch::cli {

namespace {

// A subject as people read it: a partner's tenant id (incumbent-admin-access) with the name and
// domain Graph gave it, "Adatum Managed Services (adatum.onmicrosoft.com)"; anything else as is.
std::string subjectLabel(const tenants::Tenant& t, const std::string& subject) {
  for (const auto& p : t.partners.value_or(std::vector<tenants::CustomerPartner>{}))
    if (p.tenant_id == subject && p.name)
      return *p.name + (p.default_domain ? " (" + *p.default_domain + ")" : "");
  return subject;
}

// One line of a dry run: a finding, or a check that could not be made (one line per reason).
struct Row {
  const rules::CompiledRule* rule;
  std::string subject;
  rules::Outcome outcome;
  std::string message;
  std::string remediation;
};

// A tenant's lines in the order they are printed: failures before could-not-check, then by
// severity, then by rule (a rule's subjects in the order it found them).
std::vector<Row> rowsOf(const scan::TenantOutcome& o) {
  std::vector<Row> rows;
  for (const auto& r : o.results) {
    for (const auto& f : r.findings)
      rows.push_back({r.rule, f.subject, rules::Outcome::kFail, f.message, f.remediation});
    if (r.outcome == rules::Outcome::kUnknown || r.incomplete) {
      // One row per reason: each unreadable contact, say, is its own could-not-check.
      std::string subject = r.unknown_subjects.empty() ? "" : r.unknown_subjects.front();
      for (const auto& why : r.unknown_reasons)
        rows.push_back(
            {r.rule, subject, rules::Outcome::kUnknown, "could not be checked: " + why, ""});
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.outcome != b.outcome) return a.outcome == rules::Outcome::kFail;
    if (a.rule->severity != b.rule->severity) return a.rule->severity < b.rule->severity;
    return a.rule->id < b.rule->id;
  });
  return rows;
}

// Prints a dry run as it goes: each tenant's lines as soon as its outcome arrives, so that
// memory does not grow with the tenants (a 200,000-tenant inventory has 1.6 million lines).
// Nothing is printed before the first line, so a scan that fails before any tenant prints
// nothing on stdout. The table has fixed column widths; the JSON document is written a piece at
// a time, with "tenants", known only at the end, after "findings".
class DryRunOutput {
 public:
  DryRunOutput(std::ostream& out, OutputFormat format, const rules::RuleSet& rules, Timestamp now)
      : out_(out),
        json_(format == OutputFormat::kJson),
        rules_(rules),
        now_(now),
        table_(out, columns(rules), tableWidth() != kNoWidthLimit) {}

  void tenant(const tenants::Tenant& t, const std::vector<Row>& rows) {
    for (const auto& row : rows) {
      if (row.outcome == rules::Outcome::kFail)
        ++failed_;
      else
        ++unknown_;
      if (json_)
        jsonRow(t, row);
      else
        tableRow(t, row);
    }
  }

  // The end: the JSON document closed with the count of tenants, or the table's count line.
  void finish(size_t tenants, size_t rules) {
    if (json_) {
      begin();
      out_ << (rows_ > 0 ? "\n  ]" : "]") << ",\n  \"tenants\": " << tenants << "\n}\n";
    } else {
      table_.printHeader();
      out_ << tenants << " tenant(s), " << rules << " rule(s): " << failed_ << " finding(s), "
           << unknown_ << " could not be checked\n";
    }
  }

 private:
  // Messages are long: the table names each finding; --format json carries the full text. The
  // terminal's width (tableWidth()); with no limit (a pipe, --wide), laid out for 140 with
  // nothing cut. At 140, room for a partner's name and domain, or a GDAP relationship's id
  // (73 characters) whole, beside the tenant's name (cut past 30). The rule column is as wide
  // as the longest rule id (the rule set is known before the scan; at most 40); the subject
  // gets what is left, at least 12.
  static std::vector<StreamedTable::Column> columns(const rules::RuleSet& rules) {
    size_t rule_width = 4;
    for (const auto& r : rules.rules()) rule_width = std::max(rule_width, displayWidth(r.id));
    rule_width = std::min<size_t>(rule_width, 40);
    const size_t severity = 8, tenant = 30, gaps = 3 * 2;
    const size_t fixed = gaps + severity + rule_width + tenant, width = tableWidth();
    const size_t subject = width == kNoWidthLimit ? 140 - fixed
                           : width >= fixed + 12  ? width - fixed
                                                  : 12;
    return {{"SEVERITY", severity},
            {"RULE", rule_width},
            {"TENANT", tenant},
            {"SUBJECT / WHY UNKNOWN", subject}};
  }

  void tableRow(const tenants::Tenant& t, const Row& row) {
    const bool unknown_row = row.outcome == rules::Outcome::kUnknown;
    table_.printRow({unknown_row ? "unknown" : rules::severityName(row.rule->severity),
                     row.rule->id, t.name,
                     unknown_row ? row.message.substr(row.message.find(':') + 2)
                                 : subjectLabel(t, row.subject)});
  }

  // The document's first fields, once.
  void begin() {
    if (begun_) return;
    begun_ = true;
    out_ << "{\n  \"schema_version\": 1,\n  \"now\": ";
    Poco::toJSON(formatTimestamp(now_), out_, Poco::JSON_WRAP_STRINGS);
    out_ << ",\n  \"rule_set\": ";
    Poco::toJSON(rules_.hash(), out_, Poco::JSON_WRAP_STRINGS);
    out_ << ",\n  \"findings\": [";
  }

  // Written by hand, not built as a Poco object per finding: strings escaped as Poco's
  // stringifier escapes them, laid out as the whole document used to be.
  void jsonRow(const tenants::Tenant& t, const Row& row) {
    begin();
    out_ << (rows_++ > 0 ? ",\n    {" : "\n    {");
    auto field = [this](const char* key, const std::string& value, bool last = false) {
      out_ << "\n      \"" << key << "\": ";
      Poco::toJSON(value, out_, Poco::JSON_WRAP_STRINGS);
      if (!last) out_ << ",";
    };
    field("rule", row.rule->id);
    field("tenant_id", t.id);
    field("tenant_name", t.name);
    field("subject", row.subject);
    field("outcome", rules::outcomeName(row.outcome));
    field("severity", rules::severityName(row.rule->severity));
    field("message", row.message);
    field("remediation", row.remediation, true);
    out_ << "\n    }";
  }

  std::ostream& out_;
  bool json_;
  const rules::RuleSet& rules_;
  Timestamp now_;
  StreamedTable table_;
  bool begun_ = false;
  size_t rows_ = 0, failed_ = 0, unknown_ = 0;
};

// The scan's summary on ctx.out: a JSON document or two or three lines of text.
void printSummary(const CommandContext& ctx, const storage::ScanSummary& s,
                  const std::optional<scan::SendReport>& sent, OutputFormat format) {
  if (format == OutputFormat::kJson) {
    Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    doc->set("schema_version", 1);
    doc->set("scan_id", s.scan_id);
    doc->set("status", storage::scanStatusName(s.status));
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
    ctx.out << "scan " << s.scan_id << " " << storage::scanStatusName(s.status) << ": "
            << s.tenants_total << " tenant(s) (" << s.tenants_full << " read fully, "
            << s.tenants_partial << " partly, " << s.tenants_unread << " not at all)\n"
            << "findings: " << s.findings_new << " new, " << s.findings_reopened << " reopened, "
            << s.findings_resolved << " resolved, " << s.findings_retired << " retired, "
            << s.findings_open << " open; " << s.checks_unknown << " check(s) could not be made\n";
    if (sent)
      ctx.out << "alerts: " << sent->delivered << " delivered, " << sent->retrying
              << " waiting to retry, " << sent->failed << " failed\n";
  }
}

// --rule's ids are rules of the set: each one that is not is reported, with a did-you-mean.
bool knownRules(const CommandContext& ctx, const rules::RuleSet& rules,
                const std::set<std::string>& ids) {
  std::vector<std::string> all;
  for (const auto& r : rules.rules()) all.push_back(r.id);
  bool ok = true;
  for (const auto& id : ids) {
    const rules::CompiledRule* rule = rules.find(id);
    if (rule != nullptr && rule->enabled) continue;
    ok = false;
    ctx.err << "cspwatch: --rule " << id
            << (rule != nullptr ? ": the rule is disabled" : ": no such rule");
    const std::string hint = rule != nullptr ? "" : didYouMean(id, all);
    ctx.err << (hint.empty() ? "" : "; " + hint) << " (cspwatch rules list shows them)\n";
  }
  return ok;
}

// `scan --once`: the scan recorded (scan/scan_job.h, as the service runs it), then its summary.
int recordAndSummarise(const CommandContext& ctx, const config::AppConfig& cfg,
                       const rules::RuleSet& rules, Timestamp now, bool fixed_time,
                       OutputFormat format) {
  auto store = config::openStore(cfg);
  if (!store) {
    ctx.err << "cspwatch: " << store.status().message() << "\n";
    return kExitProblems;
  }
  // Alerts are composed inside the scan's transaction; set up before scanning so that a bad
  // template stops the scan instead of losing its alerts.
  std::optional<scan::AlertPipeline> pipeline;
  if (cfg.alerts) {
    auto p = daemon::alertPipeline(cfg, rules);
    if (!p) {
      ctx.err << "cspwatch: " << p.status().message() << "\n";
      return kExitUsage;
    }
    pipeline.emplace(std::move(*p));
  }
  ProgressBar bar(ctx.err);
  // With --now (tests, the demo) delivery happens at that time too; otherwise now.
  ManualClock fixed(now);
  SystemClock system;
  scan::ScanJobOptions options;
  options.sources = daemon::scanSources(cfg);
  options.alerts = pipeline ? &*pipeline : nullptr;
  options.delivery = daemon::delivery(cfg, fixed_time ? static_cast<const Clock&>(fixed) : system);
  options.retention = daemon::retention(cfg);
  options.progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
  scan::ScanJobReport job = scan::ScanJob(*store, rules, std::move(options)).run(now);
  malloc_trim(0);  // glibc keeps the freed heap of the inventory and scan; give it back
  // Skipped inventory rows and lists that could not be read: never silently.
  ctx.err << job.source.diagnostics.renderText();
  // What could not be delivered waits in the outbox for the next attempt.
  std::optional<scan::SendReport> sent;
  if (job.sent && !*job.sent)
    ctx.err << "cspwatch: alerts stay queued: " << job.sent->status().message() << "\n";
  else if (job.sent)
    sent = **job.sent;
  if (!job.summary) {
    ctx.err << "cspwatch: the scan failed and changed nothing: " << job.status.message() << "\n";
    return kExitProblems;
  }
  printSummary(ctx, *job.summary, sent, format);
  // Recorded, but every App+User check was could-not-check: a source could not be used.
  return job.source.sign_in_failure ? kExitProblems : kExitOk;
}

}  // namespace

int scan(const CommandContext& ctx, const ScanOptions& options) {
  if (!options.once) {
    ctx.err << "cspwatch: scan needs --once (the scheduled daemon is 'cspwatch run')\n";
    return kExitUsage;
  }
  auto cfg = loadAccount(ctx);
  if (!cfg) return kExitUsage;
  rules::LoadResult loaded = config::loadRuleFiles(cfg->rule_paths);
  if (!loaded.ok()) {
    ctx.err << loaded.diagnostics.renderText() << "cspwatch: the rule set has errors; fix them "
            << "(cspwatch rules check) and scan again\n";
    return kExitUsage;
  }
  const Timestamp now = options.now ? *options.now : SystemClock().now();
  if (!options.dry_run)
    return recordAndSummarise(ctx, *cfg, *loaded.rules, now, options.now.has_value(),
                              options.format);

  scan::ScanFilter filter{{options.rules.begin(), options.rules.end()}, options.tenants};
  if (!knownRules(ctx, *loaded.rules, filter.rules)) return kExitUsage;
  DryRunOutput output(ctx.out, options.format, *loaded.rules, now);
  size_t evaluated = 0;
  std::set<std::string> matched;  // the --tenant values some tenant answered to
  // On a terminal the lines themselves show the progress (and a bar on stderr would break
  // them); with stdout sent elsewhere, the bar shows on stderr when that is a terminal.
  const bool lines_on_terminal = &ctx.out == &std::cout && ::isatty(STDOUT_FILENO);
  ProgressBar bar(ctx.err);
  auto report = scan::runScan(
      daemon::scanSources(*cfg), *loaded.rules, now,
      [&output, &evaluated, &matched, &filter](const scan::TenantOutcome& o) -> Status {
        ++evaluated;
        for (const auto& want : filter.tenants)
          if (scan::ScanFilter{{}, {want}}.matches(*o.tenant)) matched.insert(want);
        output.tenant(*o.tenant, rowsOf(o));
        return Status::ok();
      },
      nullptr,
      [&bar, lines_on_terminal](size_t done, size_t total) {
        if (!lines_on_terminal) bar.update(done, total);
      },
      nullptr, &filter);
  if (!report) {
    ctx.err << "cspwatch: " << report.status().message() << "\n";
    return report.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitProblems;
  }
  ctx.err << report->diagnostics.renderText();
  output.finish(filter.tenants.empty() ? report->tenants : evaluated,
                filter.rules.empty() ? loaded.rules->rules().size() : filter.rules.size());
  // Each --tenant must name a tenant: one that names none is a typo, even beside others that do.
  std::vector<std::string> unmatched;
  for (const auto& want : filter.tenants)
    if (matched.count(want) == 0) unmatched.push_back("'" + printable(want) + "'");
  if (!unmatched.empty()) {
    ctx.err << "cspwatch: no tenant has the id, name or default domain " << join(unmatched, ", ")
            << " (cspwatch tenants list shows them)\n";
    return kExitProblems;
  }
  // Every App+User check was could-not-check: a source could not be used.
  return report->sign_in_failure ? kExitProblems : kExitOk;
}

}  // namespace cspwatch::cli
