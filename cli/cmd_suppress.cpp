// SPDX-License-Identifier: Apache-2.0
// `cspwatch suppress add|list|remove`: findings accepted for a while, with a reason. Every
// change is recorded in the audit table with who made it.
#include <cstdlib>
#include <memory>

#include <CLI/CLI.hpp>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <pwd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/command_registry.h"
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

// Who runs the command, for the audit trail: the user behind sudo if any.
std::string actor() {
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"})
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  if (passwd* pw = ::getpwuid(::getuid()); pw != nullptr) return pw->pw_name;
  return "uid " + std::to_string(::getuid());
}

}  // namespace

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
    auto doc = jsonObject();
    doc->set("schema_version", 1);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& s : *rows) {
      auto j = jsonObject();
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

void registerSuppress(CLI::App& app, CommandRegistry& registry) {
  CLI::App* suppress =
      app.add_subcommand("suppress", "Accept a finding for a while, with a reason");
  suppress->require_subcommand(1);

  CLI::App* add = suppress->add_subcommand("add", "Suppress a rule, for a tenant or one subject");
  auto options = std::make_shared<SuppressOptions>();
  add->add_option("--rule", options->rule, "Rule id")->required();
  add->add_option("--tenant", options->tenant, "Tenant id (all tenants if omitted)");
  add->add_option("--subject", options->subject, "Finding subject (all if omitted)");
  add->add_option("--reason", options->reason, "Why this is acceptable")->required();
  add->add_option("--owner", options->owner, "Who answers for it")->required();
  add->add_option("--expires", options->expires, "Date, RFC 3339 time or duration (30d)")
      ->required();
  add->add_option("--ticket", options->ticket, "Ticket reference");
  registry.add(add, [options](const CommandContext& ctx) { return suppressAdd(ctx, *options); });

  CLI::App* list = suppress->add_subcommand("list", "List active suppressions");
  auto all = std::make_shared<bool>(false);
  auto format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  list->add_flag("--all", *all, "Include expired and removed ones");
  addFormatOption(*list, *format, FormatChoices::kTableJson, "table or json");
  registry.add(
      list, [all, format](const CommandContext& ctx) { return suppressList(ctx, *all, *format); });

  CLI::App* remove = suppress->add_subcommand("remove", "Remove a suppression (kept in history)");
  auto id = std::make_shared<int64_t>(0);
  remove->add_option("id", *id, "Suppression id")->required();
  registry.add(remove, [id](const CommandContext& ctx) { return suppressRemove(ctx, *id); });
}

}  // namespace cspwatch::cli
