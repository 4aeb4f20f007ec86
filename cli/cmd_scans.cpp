// SPDX-License-Identifier: Apache-2.0
// `cspwatch scans list|diff`: the scan history, and what changed between two scans.
#include <memory>

#include <CLI/CLI.hpp>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/finding_output.h"
#include "cli/store_options.h"
#include "cli/table.h"
#include "common/clock.h"
#include "storage/states.h"
#include "tenants/tenant_json.h"

namespace cspwatch::cli {

int scansList(const CommandContext& ctx, OutputFormat format) {
  Opened o = openStore(ctx, StoreAccess::kReadOnly);
  if (!o.store) return o.exit_code;
  auto rows = o.store->listScans(100);
  if (!rows) return fail(ctx, rows.status());
  if (format == OutputFormat::kJson) {
    auto doc = jsonObject();
    doc->set("schema_version", 1);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& s : *rows) {
      auto j = jsonObject();
      j->set("id", s.id);
      j->set("started_at", formatTimestamp(s.started_at));
      j->set("finished_at", s.finished_at ? Poco::Dynamic::Var(formatTimestamp(*s.finished_at))
                                          : Poco::Dynamic::Var());
      j->set("status", storage::scanStatusName(s.status));
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
    t.addRow({std::to_string(s.id), formatTimestamp(s.started_at),
              storage::scanStatusName(s.status), std::to_string(s.counts.tenants_total),
              std::to_string(s.counts.findings_new), std::to_string(s.counts.findings_reopened),
              std::to_string(s.counts.findings_resolved), std::to_string(s.counts.findings_open),
              std::to_string(s.counts.checks_unknown)});
  t.print(ctx.out);
  return kExitOk;
}

int scansDiff(const CommandContext& ctx, int64_t from, int64_t to, OutputFormat format) {
  Opened o = openStore(ctx, StoreAccess::kReadOnly);
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
    auto doc = jsonObject();
    doc->set("schema_version", 1);
    doc->set("from", from);
    doc->set("to", to);
    for (const auto& [name, rows] : buckets) {
      Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
      for (const auto& f : *rows) {
        if (std::string(name) == "became_unknown") {
          auto j = jsonObject();
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

void registerScans(CLI::App& app, CommandRegistry& registry) {
  CLI::App* scans = app.add_subcommand("scans", "The scan history");
  scans->require_subcommand(1);

  CLI::App* list = scans->add_subcommand("list", "The latest scans, newest first");
  auto list_format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  addFormatOption(*list, *list_format, FormatChoices::kTableJson, "table or json");
  registry.add(list,
               [list_format](const CommandContext& ctx) { return scansList(ctx, *list_format); });

  CLI::App* diff = scans->add_subcommand("diff", "What changed between scan A and scan B");
  auto from = std::make_shared<int64_t>(0);
  auto to = std::make_shared<int64_t>(0);
  auto diff_format = std::make_shared<OutputFormat>(OutputFormat::kText);
  diff->add_option("a", *from, "Earlier scan id")->required();
  diff->add_option("b", *to, "Later scan id")->required();
  addFormatOption(*diff, *diff_format, FormatChoices::kTextJson, "text or json");
  registry.add(diff, [from, to, diff_format](const CommandContext& ctx) {
    return scansDiff(ctx, *from, *to, *diff_format);
  });
}

}  // namespace cspwatch::cli
