// SPDX-License-Identifier: Apache-2.0
// `cspwatch scan --once --dry-run`: read the sources, evaluate the rules, print the outcome.
#include <algorithm>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/clock.h"
#include "daemon/app_config.h"
#include "daemon/cli.h"
#include "daemon/commands.h"
#include "daemon/rule_files.h"
#include "daemon/table.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_json.h"
#include "tenants/tenant_value.h"

namespace cspwatch::daemon {

namespace {

struct Row {
  const rules::CompiledRule* rule;
  const tenants::Tenant* tenant;
  std::string subject;
  rules::Outcome outcome;
  std::string message;
  std::string remediation;
};

}  // namespace

int scan(const CommandContext& ctx, const ScanOptions& options) {
  if (!options.once || !options.dry_run) {
    ctx.err << "cspwatch: scan needs --once --dry-run for now; recording findings arrives with "
               "the storage module\n";
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
  if (!cfg->inventory) {
    ctx.err << "cspwatch: no source to scan: configure sources.inventory (the Partner Center "
               "source arrives with its module)\n";
    return kExitUsage;
  }
  auto inv = tenants::loadInventoryFile(cfg->inventory->path);
  if (!inv) {
    ctx.err << "cspwatch: " << inv.status().message() << "\n";
    return kExitProblems;
  }
  ctx.err << inv->diagnostics.renderText();

  const Timestamp now = options.now ? *options.now : SystemClock().now();
  const Value partner = rules::RuleSet::partnerValue(cfg->partner);
  std::vector<Row> rows;
  size_t failed = 0, unknown = 0;
  for (const auto& tenant : inv->tenants) {
    Value tv = tenants::tenantToValue(tenant);
    for (auto& r : loaded.rules->evaluate(tv, partner, now)) {
      for (auto& f : r.findings) {
        rows.push_back(
            {r.rule, &tenant, f.subject, rules::Outcome::kFail, f.message, f.remediation});
        ++failed;
      }
      if (r.outcome == rules::Outcome::kUnknown || r.incomplete) {
        std::string subject = r.unknown_subjects.empty() ? "" : r.unknown_subjects.front();
        rows.push_back({r.rule, &tenant, subject, rules::Outcome::kUnknown,
                        "could not be checked: " + r.unknown_reason, ""});
        ++unknown;
      }
    }
  }
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
    doc->set("tenants", static_cast<int>(inv->tenants.size()));
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
                    unknown_row ? row.message.substr(row.message.find(':') + 2) : row.subject});
    }
    table.print(ctx.out);
    ctx.out << inv->tenants.size() << " tenant(s), " << loaded.rules->rules().size()
            << " rule(s): " << failed << " finding(s), " << unknown << " could not be checked\n";
  }
  return kExitOk;
}

}  // namespace cspwatch::daemon
