// SPDX-License-Identifier: Apache-2.0
// `cspwatch findings`, `cspwatch suppress` and `cspwatch scans`: reading and changing what the
// store holds. Every change is recorded in the audit table with who made it.
#include <cstdlib>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <pwd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/finding_output.h"
#include "cli/store_options.h"
#include "cli/table.h"
#include "common/clock.h"
#include "common/guid.h"
#include "common/text.h"
#include "config/app_config.h"
#include "config/rule_files.h"
#include "tenants/tenant_json.h"

namespace cspwatch::cli {

namespace {

using storage::FindingStore;

// Who runs the command, for the audit trail: the user behind sudo if any.
std::string actor() {
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"})
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  if (passwd* pw = ::getpwuid(::getuid()); pw != nullptr) return pw->pw_name;
  return "uid " + std::to_string(::getuid());
}

Poco::JSON::Object::Ptr newObject() {
  return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

}  // namespace

int findingsList(const CommandContext& ctx, const FindingsQuery& q) {
  Opened o = openStore(ctx);
  if (!o.store) return o.exit_code;
  auto rows = o.store->listFindings({q.state, q.tenant, q.rule, q.severity}, SystemClock().now());
  if (!rows) return fail(ctx, rows.status());
  if (q.format == OutputFormat::kJson) {
    auto doc = newObject();
    doc->set("schema_version", kFindingSchemaVersion);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& f : *rows) list->add(findingToJson(f));
    doc->set("findings", list);
    ctx.out << tenants::jsonText(doc, true) << "\n";
  } else if (q.format == OutputFormat::kCsv) {
    printFindingsCsv(ctx.out, *rows);
  } else {
    printFindingsTable(ctx.out, *rows);
    ctx.out << rows->size() << " finding(s)\n";
  }
  return kExitOk;
}

int findingsShow(const CommandContext& ctx, int64_t id, OutputFormat format) {
  Opened o = openStore(ctx);
  if (!o.store) return o.exit_code;
  auto f = o.store->getFinding(id, SystemClock().now());
  if (!f) return fail(ctx, f.status());
  auto events = o.store->findingEvents(id);
  if (!events) return fail(ctx, events.status());
  if (format == OutputFormat::kJson) {
    auto doc = findingToJson(*f);
    doc->set("schema_version", kFindingSchemaVersion);
    doc->set("evidence", f->evidence_json);
    Poco::JSON::Array::Ptr history = new Poco::JSON::Array();
    for (const auto& e : *events) {
      auto h = newObject();
      h->set("at", formatTimestamp(e.at));
      h->set("event", e.kind);
      h->set("scan", e.scan_id ? Poco::Dynamic::Var(*e.scan_id) : Poco::Dynamic::Var());
      h->set("detail", e.detail);
      history->add(h);
    }
    doc->set("history", history);
    ctx.out << tenants::jsonText(doc, true) << "\n";
    return kExitOk;
  }
  auto line = [&](const char* label, const std::string& value) {
    ctx.out << label << value << "\n";
  };
  line("finding      ", std::to_string(f->id) + (f->suppressed ? " (suppressed)" : ""));
  line("rule         ", f->rule_id + " (" + f->severity + ")");
  line("tenant       ", f->tenant_name + " (" + f->tenant_id + ")");
  if (!f->subject.empty()) line("subject      ", f->subject);
  line("state        ",
       f->state + (f->resolved_reason.empty() ? "" : " (" + f->resolved_reason + ")"));
  line("first seen   ", formatTimestamp(f->first_seen));
  line("last seen    ", f->last_seen ? formatTimestamp(*f->last_seen) : "-");
  line("reopened     ", std::to_string(f->times_reopened) + " time(s)");
  line("what         ", f->message);
  line("how to fix   ", f->remediation);
  line("evidence     ", f->evidence_json);
  ctx.out << "history\n";
  for (const auto& e : *events)
    ctx.out << "  " << formatTimestamp(e.at) << "  " << e.kind
            << (e.scan_id ? " (scan " + std::to_string(*e.scan_id) + ")" : "")
            << (e.detail.empty() ? "" : ": " + e.detail) << "\n";
  return kExitOk;
}

int suppressAdd(const CommandContext& ctx, const SuppressOptions& s) {
  Opened o = openStore(ctx);
  if (!o.store) return o.exit_code;
  const Timestamp now = SystemClock().now();
  // The rule must exist in the configured rule set: a typo would suppress nothing.
  rules::LoadResult loaded = config::loadRuleFiles(o.config->rule_paths);
  if (loaded.ok() && loaded.rules->find(s.rule) == nullptr) {
    std::vector<std::string> ids;
    for (const auto& r : loaded.rules->rules()) ids.push_back(r.id);
    ctx.err << "cspwatch: no rule '" << s.rule << "' in " << join(o.config->rule_paths, ", ")
            << "; "
            << (didYouMean(s.rule, ids).empty() ? "see 'cspwatch rules check'"
                                                : didYouMean(s.rule, ids))
            << "\n";
    return kExitUsage;
  }
  storage::Suppression sup;
  sup.rule_id = s.rule;
  if (!s.tenant.empty()) {
    auto id = normalizeGuid(s.tenant);
    if (!id) {
      ctx.err << "cspwatch: --tenant must be a tenant id (GUID), found '" << s.tenant << "'\n";
      return kExitUsage;
    }
    sup.tenant_id = *id;
  }
  if (!s.subject.empty()) sup.subject = s.subject;
  sup.reason = s.reason;
  sup.owner = s.owner;
  if (!s.ticket.empty()) sup.ticket = s.ticket;
  if (auto d = parseDuration(s.expires); d && !startsWith(s.expires, "P")) {
    sup.expires_at = now + *d;
  } else if (auto t = parseTimestamp(s.expires)) {
    sup.expires_at = *t;
  } else {
    ctx.err << "cspwatch: --expires must be a date (2026-12-31), a time (RFC 3339) or a duration "
               "(30d), found '"
            << s.expires << "'\n";
    return kExitUsage;
  }
  auto id = o.store->addSuppression(sup, actor(), now);
  if (!id) return fail(ctx, id.status());
  ctx.out << "suppression #" << *id << " added; it expires " << formatTimestamp(sup.expires_at)
          << "\n";
  return kExitOk;
}

int suppressList(const CommandContext& ctx, bool all, OutputFormat format) {
  Opened o = openStore(ctx);
  if (!o.store) return o.exit_code;
  const Timestamp now = SystemClock().now();
  auto rows = o.store->listSuppressions(all, now);
  if (!rows) return fail(ctx, rows.status());
  if (format == OutputFormat::kJson) {
    auto doc = newObject();
    doc->set("schema_version", 1);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& s : *rows) {
      auto j = newObject();
      j->set("id", s.id);
      j->set("rule", s.rule_id);
      j->set("tenant_id", s.tenant_id ? Poco::Dynamic::Var(*s.tenant_id) : Poco::Dynamic::Var());
      j->set("subject", s.subject ? Poco::Dynamic::Var(*s.subject) : Poco::Dynamic::Var());
      j->set("reason", s.reason);
      j->set("owner", s.owner);
      j->set("ticket", s.ticket ? Poco::Dynamic::Var(*s.ticket) : Poco::Dynamic::Var());
      j->set("created_at", formatTimestamp(s.created_at));
      j->set("expires_at", formatTimestamp(s.expires_at));
      j->set("removed_at", s.removed_at ? Poco::Dynamic::Var(formatTimestamp(*s.removed_at))
                                        : Poco::Dynamic::Var());
      j->set("active", s.active(now));
      list->add(j);
    }
    doc->set("suppressions", list);
    ctx.out << tenants::jsonText(doc, true) << "\n";
    return kExitOk;
  }
  Table t({{"ID", false, 2},
           {"RULE", false, 10},
           {"TENANT", true, 8, 1},
           {"SUBJECT", true, 8, 1},
           {"OWNER", true, 6, 2},
           {"EXPIRES", false, 10},
           {"REASON", true, 10, 3}});
  for (const auto& s : *rows)
    t.addRow({std::to_string(s.id), s.rule_id, s.tenant_id.value_or("*"), s.subject.value_or("*"),
              s.owner, s.removed_at ? "removed" : formatDate(s.expires_at), s.reason});
  t.print(ctx.out);
  return kExitOk;
}

int suppressRemove(const CommandContext& ctx, int64_t id) {
  Opened o = openStore(ctx);
  if (!o.store) return o.exit_code;
  if (Status s = o.store->removeSuppression(id, actor(), SystemClock().now()); !s)
    return fail(ctx, s);
  ctx.out << "suppression #" << id << " removed\n";
  return kExitOk;
}

int scansList(const CommandContext& ctx, OutputFormat format) {
  Opened o = openStore(ctx);
  if (!o.store) return o.exit_code;
  auto rows = o.store->listScans(100);
  if (!rows) return fail(ctx, rows.status());
  if (format == OutputFormat::kJson) {
    auto doc = newObject();
    doc->set("schema_version", 1);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& s : *rows) {
      auto j = newObject();
      j->set("id", s.id);
      j->set("started_at", formatTimestamp(s.started_at));
      j->set("finished_at", s.finished_at ? Poco::Dynamic::Var(formatTimestamp(*s.finished_at))
                                          : Poco::Dynamic::Var());
      j->set("status", s.status);
      j->set("rule_set", s.rule_set_hash);
      j->set("tenants_total", s.counts.tenants_total);
      j->set("tenants_full", s.counts.tenants_full);
      j->set("tenants_partial", s.counts.tenants_partial);
      j->set("tenants_unread", s.counts.tenants_unread);
      j->set("findings_new", s.counts.findings_new);
      j->set("findings_reopened", s.counts.findings_reopened);
      j->set("findings_resolved", s.counts.findings_resolved);
      j->set("findings_open", s.counts.findings_open);
      j->set("checks_unknown", s.counts.checks_unknown);
      j->set("error", s.error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s.error));
      list->add(j);
    }
    doc->set("scans", list);
    ctx.out << tenants::jsonText(doc, true) << "\n";
    return kExitOk;
  }
  Table t({{"ID", false, 2},
           {"STARTED", false, 20},
           {"STATUS", false, 6},
           {"TENANTS", false, 7},
           {"NEW", false, 3},
           {"REOPENED", false, 3},
           {"RESOLVED", false, 3},
           {"OPEN", false, 4},
           {"UNKNOWN", false, 4}});
  for (const auto& s : *rows)
    t.addRow({std::to_string(s.id), formatTimestamp(s.started_at), s.status,
              std::to_string(s.counts.tenants_total), std::to_string(s.counts.findings_new),
              std::to_string(s.counts.findings_reopened),
              std::to_string(s.counts.findings_resolved), std::to_string(s.counts.findings_open),
              std::to_string(s.counts.checks_unknown)});
  t.print(ctx.out);
  return kExitOk;
}

int scansDiff(const CommandContext& ctx, int64_t from, int64_t to, OutputFormat format) {
  Opened o = openStore(ctx);
  if (!o.store) return o.exit_code;
  auto diff = o.store->diffScans(from, to, SystemClock().now());
  if (!diff) return fail(ctx, diff.status());
  const std::pair<const char*, const std::vector<storage::FindingRow>*> buckets[] = {
      {"new", &diff->added},
      {"resolved", &diff->resolved},
      {"reopened", &diff->reopened},
      {"still_open", &diff->still_open},
      {"became_unknown", &diff->became_unknown}};
  if (format == OutputFormat::kJson) {
    auto doc = newObject();
    doc->set("schema_version", 1);
    doc->set("from", from);
    doc->set("to", to);
    for (const auto& [name, rows] : buckets) {
      Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
      for (const auto& f : *rows) {
        if (std::string(name) == "became_unknown") {
          auto j = newObject();
          j->set("rule", f.rule_id);
          j->set("tenant_id", f.tenant_id);
          j->set("tenant_name", f.tenant_name);
          j->set("reason", f.message);
          list->add(j);
        } else {
          list->add(findingToJson(f));
        }
      }
      doc->set(name, list);
    }
    ctx.out << tenants::jsonText(doc, true) << "\n";
    return kExitOk;
  }
  for (const auto& [name, rows] : buckets) {
    ctx.out << name << " (" << rows->size() << ")\n";
    for (const auto& f : *rows)
      ctx.out << "  " << f.rule_id << "  " << (f.tenant_name.empty() ? f.tenant_id : f.tenant_name)
              << (f.subject.empty() ? "" : "  " + f.subject)
              << (std::string(name) == "became_unknown" ? "  " + f.message : "") << "\n";
  }
  return kExitOk;
}

}  // namespace cspwatch::cli
