// SPDX-License-Identifier: Apache-2.0
// `cspwatch report --format html|csv [--tenant X] [--output FILE]`: what the database holds, for
// account managers: each tenant with its open findings in plain words (the rule's title, what
// is wrong and the fix), its could-not-check items with their remedy, suppressed findings
// marked, and a summary. Read-only: a missing database is "no scan yet", never created.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "alerts/links.h"
#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/finding_output.h"
#include "cli/partner_account.h"
#include "cli/store_options.h"
#include "cli/usage_hints.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/text.h"
#include "config/app_config.h"
#include "config/rule_files.h"
#include "tenants/unknown_advice.h"

namespace cspwatch::cli {
namespace {

struct TenantReport {
  std::string id, name;
  std::vector<storage::FindingRow> findings;  // open, suppressed ones included
  std::vector<storage::UnknownStreak> unknowns;
};

struct ReportData {
  Timestamp now;
  std::vector<TenantReport> tenants;          // by name
  std::map<std::string, std::string> titles;  // rule id -> title (when the rules load)
  size_t findings = 0, suppressed = 0, unknowns = 0;
  std::map<std::string, size_t> by_severity;  // unsuppressed open findings
};

std::string title(const ReportData& d, const std::string& rule) {
  if (rule == "*") return "The tenant could not be read";
  auto it = d.titles.find(rule);
  return it != d.titles.end() && !it->second.empty() ? it->second : rule;
}

std::string subjectOf(const storage::FindingRow& f) {
  return f.subject_label.empty() ? f.subject : f.subject_label;
}

Result<ReportData> collectReport(const config::AppConfig& cfg, const std::string& only) {
  ReportData d;
  d.now = SystemClock().now();
  if (auto loaded = config::loadRuleFiles(cfg.rule_paths); loaded.ok())
    for (const auto& r : loaded.rules->rules()) d.titles[r.id] = r.title;
  auto store = config::openStoreReadOnly(cfg);
  if (!store) return store.status();
  auto names = store->tenantNames();
  if (!names) return names.status();
  auto findings = store->listFindings({}, d.now);
  if (!findings) return findings.status();
  auto streaks = store->unknownStreaks();
  if (!streaks) return streaks.status();
  std::map<std::string, TenantReport> by_id;
  for (const auto& [id, name] : *names) by_id[id] = TenantReport{id, name, {}, {}};
  // Every finding and streak names a tenant of `tenants` (a scan writes both together).
  for (auto& f : *findings) by_id[f.tenant_id].findings.push_back(std::move(f));
  for (auto& u : *streaks) by_id[u.tenant_id].unknowns.push_back(std::move(u));
  const std::string wanted = toLowerAscii(only);
  for (auto& [id, t] : by_id) {
    if (!only.empty() && toLowerAscii(t.id) != wanted && toLowerAscii(t.name) != wanted) continue;
    for (const auto& f : t.findings) {
      ++d.findings;
      if (f.suppressed)
        ++d.suppressed;
      else
        ++d.by_severity[f.severity];
    }
    d.unknowns += t.unknowns.size();
    d.tenants.push_back(std::move(t));
  }
  std::stable_sort(d.tenants.begin(), d.tenants.end(), [](const auto& a, const auto& b) {
    return toLowerAscii(a.name) < toLowerAscii(b.name);
  });
  return d;
}

void writeCsv(std::ostream& out, const ReportData& d) {
  out << "tenant_id,tenant_name,kind,rule,title,severity,subject,what_is_wrong,fix,since,"
         "suppressed\r\n";
  auto row = [&out](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csvField(cells[i]);
    out << "\r\n";
  };
  for (const auto& t : d.tenants) {
    for (const auto& f : t.findings)
      row({t.id, t.name, "finding", f.rule_id, title(d, f.rule_id), f.severity, subjectOf(f),
           f.message, f.remediation, formatTimestamp(f.first_seen), f.suppressed ? "yes" : "no"});
    for (const auto& u : t.unknowns) {
      const tenants::UnknownAdvice advice = tenants::adviceForUnknown(u.reason);
      row({t.id, t.name, "could_not_check", u.rule_id, title(d, u.rule_id), "", "",
           "could not check: " + advice.what, advice.fix, formatTimestamp(u.since), "no"});
    }
  }
}

constexpr const char* kCss =
    "body{margin:0;padding:12px;background:#f6f8fa;font-family:Segoe UI,Helvetica,Arial,"
    "sans-serif;font-size:14px;line-height:1.4;color:#1f2328}"
    "main{max-width:860px;margin:0 auto;word-break:break-word;overflow-wrap:anywhere}"
    "section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px;"
    "margin:12px 0}h1{font-size:20px}h2{font-size:17px;margin:0 0 4px}"
    ".meta{color:#59636e;font-size:13px}.item{border-top:1px solid #eaeef2;padding:8px 0}"
    ".sev{display:inline-block;padding:0 6px;border-radius:4px;background:#eaeef2;"
    "font-size:12px;text-transform:uppercase}.critical,.high{background:#ffebe9;color:#82071e}"
    ".supp{opacity:.6}.fix{color:#1a7f37}a{color:#0969da}";

void writeFinding(std::ostream& out, const ReportData& d, const storage::FindingRow& f) {
  out << "<div class=\"item" << (f.suppressed ? " supp" : "") << "\"><span class=\"sev "
      << htmlEscape(f.severity) << "\">" << htmlEscape(f.severity) << "</span> <b>"
      << htmlEscape(title(d, f.rule_id)) << "</b>" << (f.suppressed ? " (suppressed)" : "");
  if (!subjectOf(f).empty()) out << "<div>About: " << htmlEscape(subjectOf(f)) << "</div>";
  out << "<div>" << alerts::linkedHtml(f.message)
      << "</div><div class=\"fix\">Fix: " << alerts::linkedHtml(f.remediation)
      << "</div><div class=\"meta\">" << htmlEscape(f.rule_id) << " &middot; since "
      << formatDate(f.first_seen) << "</div></div>\n";
}

void writeHtml(std::ostream& out, const config::AppConfig& cfg, const ReportData& d) {
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
         "<title>cspwatch report: "
      << htmlEscape(cfg.partner.name) << "</title><style>" << kCss
      << "</style></head><body><main>\n<h1>Tenant compliance report: "
      << htmlEscape(cfg.partner.name) << "</h1>\n<section><div class=\"meta\">As of "
      << formatTimestamp(d.now) << "</div><p>" << d.tenants.size() << " tenant(s), "
      << d.findings - d.suppressed << " open finding(s)";
  for (const auto& [severity, n] : d.by_severity) out << ", " << n << " " << htmlEscape(severity);
  out << "; " << d.suppressed << " suppressed; " << d.unknowns
      << " could not be checked.</p></section>\n";
  for (const auto& t : d.tenants) {
    out << "<section><h2>" << htmlEscape(t.name.empty() ? t.id : t.name)
        << "</h2><div class=\"meta\">" << htmlEscape(t.id) << "</div>\n";
    if (t.findings.empty() && t.unknowns.empty()) out << "<p>No open findings.</p>";
    for (const auto& f : t.findings) writeFinding(out, d, f);
    for (const auto& u : t.unknowns) {
      const tenants::UnknownAdvice advice = tenants::adviceForUnknown(u.reason);
      out << "<div class=\"item\"><b>Could not check: " << htmlEscape(title(d, u.rule_id))
          << "</b><div>cspwatch could not read " << htmlEscape(advice.what)
          << "</div><div class=\"fix\">Fix: " << alerts::linkedHtml(advice.fix)
          << "</div><div class=\"meta\">since " << formatDate(u.since) << "</div></div>\n";
    }
    out << "</section>\n";
  }
  out << "</main></body></html>\n";
}

}  // namespace

int report(const CommandContext& ctx, const ReportOptions& options) {
  auto cfg = loadAccount(ctx);
  if (!cfg) return kExitUsage;
  auto data = collectReport(*cfg, options.tenant);
  if (!data && data.status().code() == Status::Code::kNotFound) {  // as every read-only command
    ctx.err << "cspwatch: " << kNoScanYet << "\n";
    return kExitOk;
  }
  if (!data) {
    ctx.err << "cspwatch: " << data.status().message() << "\n";
    return kExitProblems;
  }
  if (!options.tenant.empty() && data->tenants.empty()) {
    ctx.err << "cspwatch: no tenant in the database has the id or name '"
            << printable(options.tenant) << "'\n";
    return kExitUsage;
  }
  std::ostringstream body;
  if (options.format == "csv")
    writeCsv(body, *data);
  else
    writeHtml(body, *cfg, *data);
  if (options.output.empty()) {
    ctx.out << body.str();
    return kExitOk;
  }
  if (Status s = writeFileAtomically(options.output, body.str(), 0640); !s) {
    ctx.err << "cspwatch: " << s.message() << "\n";
    return kExitProblems;
  }
  ctx.err << "report written to " << options.output << "\n";
  return kExitOk;
}

void registerReport(CLI::App& app, CommandRegistry& registry) {
  CLI::App* cmd = app.add_subcommand(
      "report",
      "A report for account managers from the database: every tenant (or one) with its open "
      "findings in plain words, could-not-check items and a summary");
  auto options = std::make_shared<ReportOptions>();
  withChoices(cmd->add_option("--format", options->format, "Output format: html (default) or csv"),
              {"html", "csv"});
  cmd->add_option("--tenant", options->tenant, "Only this tenant (id or name, any case)");
  cmd->add_option("-o,--output", options->output, "Write to FILE (default: stdout)");
  registry.add(cmd, [options](const CommandContext& ctx) { return report(ctx, *options); });
}

}  // namespace cspwatch::cli
