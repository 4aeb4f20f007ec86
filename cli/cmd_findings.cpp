// SPDX-License-Identifier: Apache-2.0
// `cspwatch findings list|show`: the recorded findings, each with its history.
#include <memory>

#include <CLI/CLI.hpp>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/finding_output.h"
#include "cli/store_options.h"
#include "cli/suppress_target.h"
#include "cli/usage_hints.h"
#include "common/clock.h"
#include "common/text.h"
#include "config/rule_files.h"
#include "storage/states.h"
#include "tenants/tenant_json.h"

namespace cspwatch::cli {

namespace {

// --tenant as an id, a name or a default domain (any case), as `suppress add` takes it; a typo
// is an error with the nearest tenants, never an empty list that reads as "nothing wrong".
int tenantFilter(const CommandContext& ctx, Opened& o, const std::string& text, std::string& id) {
  if (text.empty()) return kExitOk;
  auto known = o.store->knownTenants();
  if (!known) return fail(ctx, known.status());
  TenantMatch m = resolveTenant(text, *known);
  if (m.tenant_id.empty()) {
    ctx.err << "cspwatch: " << m.error << "\n";
    return kExitProblems;
  }
  id = m.tenant_id;
  return kExitOk;
}

// A --rule the configured rules do not have finds only what a retired rule left: said, with
// the nearest id, so that a typo is not read as "no findings".
void noteUnknownRule(const CommandContext& ctx, const config::AppConfig& cfg,
                     const std::string& rule) {
  if (rule.empty()) return;
  rules::LoadResult loaded = config::loadRuleFiles(cfg.rule_paths);
  if (!loaded.ok() || loaded.rules->find(rule) != nullptr) return;
  std::vector<std::string> ids;
  for (const auto& r : loaded.rules->rules()) ids.push_back(r.id);
  const std::string hint = didYouMean(rule, ids);
  ctx.err << "cspwatch: note: no rule '" << printable(rule) << "' in the configured rules"
          << (hint.empty() ? "" : "; " + hint) << "\n";
}

}  // namespace

int findingsList(const CommandContext& ctx, const FindingsQuery& q) {
  Opened o = openStore(ctx, StoreAccess::kReadOnly);
  if (!o.store) return o.exit_code;
  std::string tenant_id;
  if (int rc = tenantFilter(ctx, o, q.tenant, tenant_id); rc != kExitOk) return rc;
  noteUnknownRule(ctx, *o.config, q.rule);
  auto rows = o.store->listFindings({q.state, tenant_id, q.rule, q.severity}, SystemClock().now());
  if (!rows) return fail(ctx, rows.status());
  if (q.format == OutputFormat::kJson) {
    auto doc = jsonObject();
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
  Opened o = openStore(ctx, StoreAccess::kReadOnly);
  if (!o.store) return o.exit_code;
  auto f = o.store->getFinding(id, SystemClock().now());
  if (!f) return fail(ctx, f.status());
  auto events = o.store->findingEvents(id);
  if (!events) return fail(ctx, events.status());
  auto notifications = storage::Notifications(o.store->db()).ofFinding(id);
  if (!notifications) return fail(ctx, notifications.status());
  auto suppressions = o.store->suppressionsOf(id, SystemClock().now());  // who accepted it, why
  if (!suppressions) return fail(ctx, suppressions.status());
  if (format == OutputFormat::kJson) {
    auto doc = findingToJson(*f);
    doc->set("schema_version", kFindingSchemaVersion);
    doc->set("evidence", f->evidence_json);
    Poco::JSON::Array::Ptr history = new Poco::JSON::Array();
    for (const auto& e : *events) {
      auto h = jsonObject();
      h->set("at", formatTimestamp(e.at));
      h->set("event", e.kind);
      h->set("scan", e.scan_id ? Poco::Dynamic::Var(*e.scan_id) : Poco::Dynamic::Var());
      h->set("detail", e.detail);
      history->add(h);
    }
    doc->set("history", history);
    doc->set("notifications", notificationsToJson(*notifications));
    doc->set("suppressions", suppressionsToJson(*suppressions));
    ctx.out << tenants::jsonText(doc, true) << "\n";
    return kExitOk;
  }
  auto line = [&](const char* label, const std::string& value) {
    ctx.out << label << value << "\n";
  };
  line("finding      ", std::to_string(f->id) + (f->suppressed ? " (suppressed)" : ""));
  printSuppressions(ctx.out, *suppressions);
  line("rule         ", f->rule_id + " (" + f->severity + ")");
  line("tenant       ", f->tenant_name + " (" + f->tenant_id + ")");
  if (!f->subject.empty()) line("subject      ", f->subject);
  line("state        ", storage::findingStateName(f->state) +
                            (f->resolved_reason.empty() ? "" : " (" + f->resolved_reason + ")"));
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
  printNotifications(ctx.out, *notifications);
  return kExitOk;
}

void registerFindings(CLI::App& app, CommandRegistry& registry) {
  CLI::App* findings = app.add_subcommand("findings", "Read the recorded findings");
  findings->require_subcommand(1);

  CLI::App* list = findings->add_subcommand("list", "List findings");
  auto query = std::make_shared<FindingsQuery>();
  // CLI11 checks the text against the names first (withChoices: its message for any other
  // text), then the callback parses it; the default is shown as today's "=open".
  list->add_option_function<std::string>(
          "--state",
          [query](const std::string& text) {
            if (auto state = storage::parseStateFilter(text)) query->state = *state;
          },
          "open, resolved, retired, suppressed or all")
      ->default_str(storage::stateFilterName(query->state));
  withChoices(list->get_option("--state"), storage::stateFilterNames());
  list->add_option("--tenant", query->tenant, "Tenant id, name or default domain (any case)");
  list->add_option("--rule", query->rule, "Rule id");
  withChoices(
      list->add_option("--severity", query->severity, "critical, high, medium, low or info"),
      {"critical", "high", "medium", "low", "info"});
  addFormatOption(*list, query->format, FormatChoices::kTableJsonCsv, "table, json or csv");
  registry.add(list, [query](const CommandContext& ctx) { return findingsList(ctx, *query); });

  CLI::App* show = findings->add_subcommand("show", "One finding with its history");
  auto id = std::make_shared<int64_t>(0);
  auto format = std::make_shared<OutputFormat>(OutputFormat::kText);
  show->add_option("id", *id, "Finding id")->required();
  addFormatOption(*show, *format, FormatChoices::kTextJson, "text or json");
  registry.add(show,
               [id, format](const CommandContext& ctx) { return findingsShow(ctx, *id, *format); });
}

}  // namespace cspwatch::cli
