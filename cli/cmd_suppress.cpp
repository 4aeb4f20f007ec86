// SPDX-License-Identifier: Apache-2.0
// `cspwatch suppress add|list|remove`: findings accepted for a while, with a reason. Every
// change is recorded in the audit table with who made it.
#include <algorithm>
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
#include "cli/suppress_target.h"
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

// The rule must exist in the configured rule set: a typo would suppress nothing.
int checkRule(const CommandContext& ctx, const config::AppConfig& config, const std::string& rule) {
  rules::LoadResult loaded = config::loadRuleFiles(config.rule_paths);
  if (!loaded.ok() || loaded.rules->find(rule) != nullptr) return kExitOk;
  std::vector<std::string> ids;
  for (const auto& r : loaded.rules->rules()) ids.push_back(r.id);
  ctx.err << "cspwatch: no rule '" << rule << "' in " << join(config.rule_paths, ", ") << "; "
          << (didYouMean(rule, ids).empty() ? "see 'cspwatch rules check'" : didYouMean(rule, ids))
          << "\n";
  return kExitUsage;
}

// What the suppression is for: --finding's rule, tenant and subject, or --rule with --tenant
// (id, name or domain), --tag and --subject. Reports a problem and returns its exit code.
int targetOf(const CommandContext& ctx, Opened& o, const SuppressOptions& s, Timestamp now,
             storage::Suppression& sup) {
  if (s.finding != 0) {
    auto f = o.store->getFinding(s.finding, now);
    if (!f) return fail(ctx, f.status());
    if (f->state != storage::FindingState::kOpen)
      ctx.err << "cspwatch: note: finding " << s.finding << " is "
              << storage::findingStateName(f->state)
              << "; the suppression covers it if it opens again\n";
    sup.rule_id = f->rule_id;
    sup.tenant_id = f->tenant_id;
    sup.subject = f->subject;
    return kExitOk;
  }
  if (s.rule.empty()) {
    ctx.err << "cspwatch: suppress add needs --rule R (with --tenant, --tag or --subject to narrow "
               "it) or --finding ID\n";
    return kExitUsage;
  }
  if (int rc = checkRule(ctx, *o.config, s.rule); rc != kExitOk) return rc;
  sup.rule_id = s.rule;
  if (!s.tenant.empty()) {
    auto known = o.store->knownTenants();
    if (!known) return fail(ctx, known.status());
    TenantMatch m = resolveTenant(s.tenant, *known);
    if (m.tenant_id.empty()) {
      ctx.err << "cspwatch: " << m.error << "; nothing stored\n";
      return kExitProblems;
    }
    sup.tenant_id = m.tenant_id;
  }
  if (!s.tag.empty()) sup.tenant_tag = s.tag;
  if (!s.subject.empty()) sup.subject = s.subject;
  return kExitOk;
}

// --reason, --owner, --expires and --ticket; reason and owner are checked again by the store.
int detailsOf(const CommandContext& ctx, const SuppressOptions& s, Timestamp now,
              storage::Suppression& sup) {
  sup.reason = s.reason;
  sup.owner = s.owner;
  if (!s.ticket.empty()) sup.ticket = s.ticket;
  if (s.expires.empty()) {
    if (s.dry_run) {
      sup.expires_at = now + std::chrono::hours(24);
      return kExitOk;
    }
    ctx.err << "cspwatch: suppress add needs --expires: a date (2026-12-31), a time (RFC 3339) or "
               "a duration (30d)\n";
    return kExitUsage;
  }
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
  return kExitOk;
}

// A suppression that covers nothing is refused, with what is near: the tenants closest to an
// id no scan listed, the closest subjects of the rule's open findings, the closest tags.
int refuseEmpty(const CommandContext& ctx, Opened& o, const storage::Suppression& sup,
                Timestamp now, bool dry_run) {
  ctx.err << "cspwatch: " << (dry_run ? "dry run: it would be refused" : "refused")
          << ": this suppression covers no open finding and no could-not-check item of rule '"
          << sup.rule_id << "'" << (sup.tenant_id ? " for tenant " + *sup.tenant_id : "")
          << (sup.tenant_tag ? " for tag '" + *sup.tenant_tag + "'" : "")
          << (sup.subject ? " with subject '" + *sup.subject + "'" : "") << "; nothing stored\n";
  auto known = o.store->knownTenants();
  if (!known) return fail(ctx, known.status());
  auto open = o.store->listFindings({storage::StateFilter::kOpen, "", sup.rule_id, ""}, now);
  if (!open) return fail(ctx, open.status());
  const bool tenant_known =
      sup.tenant_id && std::any_of(known->begin(), known->end(),
                                   [&](const auto& t) { return t.tenant_id == *sup.tenant_id; });
  if (sup.tenant_id && !tenant_known)
    ctx.err << "  no tenant " << *sup.tenant_id
            << " in the last scan; closest: " << join(nearestTenants(*sup.tenant_id, *known), "; ")
            << "\n";
  if (sup.tenant_tag) {
    std::vector<std::string> tags;
    for (const auto& t : *known) tags.insert(tags.end(), t.tags.begin(), t.tags.end());
    if (std::find(tags.begin(), tags.end(), *sup.tenant_tag) != tags.end()) {
      ctx.err << "  the tenants tagged '" << *sup.tenant_tag << "' have none\n";
    } else {
      auto close = nearest(*sup.tenant_tag, tags);
      ctx.err << "  no tenant carries the tag '" << *sup.tenant_tag << "'"
              << (close.empty() ? "" : "; closest tags: " + join(close, ", ")) << "\n";
    }
  }
  std::vector<std::string> subjects, tenants;
  for (const auto& f : *open) {
    if (!sup.tenant_id || !tenant_known || f.tenant_id == *sup.tenant_id)
      subjects.push_back(f.subject);
    if (std::find(tenants.begin(), tenants.end(), f.tenant_name) == tenants.end())
      tenants.push_back(f.tenant_name);
  }
  if (sup.subject) {
    auto close = nearest(*sup.subject, subjects);
    ctx.err << "  closest subjects of its open findings: "
            << (close.empty() ? "none" : join(close, ", ")) << "\n";
  }
  auto scans = o.store->listScans(1);
  if (!scans) return fail(ctx, scans.status());
  if (scans->empty()) {
    ctx.err << "  no scan yet: nothing is known to cover (run 'cspwatch scan --once' or start "
               "the service first)\n";
  } else if (open->empty()) {
    ctx.err << "  rule '" << sup.rule_id << "' has no open findings\n";
  } else if (!sup.subject) {
    const size_t shown = std::min<size_t>(tenants.size(), 5);
    ctx.err << "  its open findings are in: "
            << join(std::vector<std::string>(tenants.begin(), tenants.begin() + shown), ", ")
            << (tenants.size() > shown ? " and " + std::to_string(tenants.size() - shown) + " more"
                                       : "")
            << "\n";
  }
  ctx.err << "  hint: --allow-none stores it anyway, for findings still to come"
          << (dry_run ? "" : "; --dry-run shows what a suppression would cover") << "\n";
  return kExitProblems;
}

}  // namespace

int suppressAdd(const CommandContext& ctx, const SuppressOptions& s) {
  // A dry run only reads: it never creates the database (before a scan: "no scan yet").
  Opened o = openStore(ctx, s.dry_run ? StoreAccess::kReadOnly : StoreAccess::kReadWrite);
  if (!o.store) return o.exit_code;
  const Timestamp now = SystemClock().now();
  storage::Suppression sup;
  if (int rc = targetOf(ctx, o, s, now, sup); rc != kExitOk) return rc;
  if (int rc = detailsOf(ctx, s, now, sup); rc != kExitOk) return rc;
  auto coverage = o.store->coverageOf(sup, now);
  if (!coverage) return fail(ctx, coverage.status());
  if (coverage->empty() && !s.allow_none) return refuseEmpty(ctx, o, sup, now, s.dry_run);
  if (s.dry_run) {
    ctx.out << "dry run: this suppression would cover " << coverageText(*coverage)
            << "; nothing stored\n";
    return kExitOk;
  }
  auto id = o.store->addSuppression(sup, actor(), now);
  if (!id) return fail(ctx, id.status());
  ctx.out << "suppression #" << *id << " added: covers " << coverageText(*coverage)
          << (sup.tenant_tag ? ", and every tenant tagged '" + *sup.tenant_tag + "' later" : "")
          << "; it expires " << formatTimestamp(sup.expires_at) << "\n";
  return kExitOk;
}

int suppressList(const CommandContext& ctx, bool all, OutputFormat format) {
  Opened o = openStore(ctx, StoreAccess::kReadOnly);
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
      j->set("tenant_tag", s.tenant_tag ? Poco::Dynamic::Var(*s.tenant_tag) : Poco::Dynamic::Var());
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
           {"TENANT", false, 8},  // an id or a tag: never cut (docs/cli.md#tables)
           {"SUBJECT", true, 8, 1},
           {"OWNER", true, 6, 2},
           {"EXPIRES", false, 10},
           {"REASON", true, 10, 3}});
  for (const auto& s : *rows)
    t.addRow({std::to_string(s.id), s.rule_id,
              s.tenant_tag ? "tag " + *s.tenant_tag : s.tenant_id.value_or("*"),
              s.subject.value_or("*"), s.owner, s.removed_at ? "removed" : formatDate(s.expires_at),
              s.reason});
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

  CLI::App* add = suppress->add_subcommand(
      "add",
      "Suppress a rule, for a tenant, a tag or one subject; says what it covers and refuses one "
      "that covers nothing");
  auto options = std::make_shared<SuppressOptions>();
  auto* rule = add->add_option("--rule", options->rule, "Rule id");
  auto* finding = add->add_option("--finding", options->finding,
                                  "A finding's id: its rule, tenant and subject");
  auto* tenant = add->add_option("--tenant", options->tenant,
                                 "Tenant id, name or default domain (all tenants if omitted)");
  auto* tag = add->add_option("--tag", options->tag,
                              "Every tenant with this inventory tag, tagged now or later");
  auto* subject =
      add->add_option("--subject", options->subject, "Finding subject (all if omitted)");
  // An empty value is refused, not read as "omitted": `--tenant "$TENANT"` with the variable
  // unset would otherwise suppress the rule for every tenant.
  const CLI::Validator not_empty(
      [](std::string& value) -> std::string {
        return trim(value).empty() ? "is empty; leave the option out to mean every one" : "";
      },
      "", "not-empty");
  for (CLI::Option* o : {rule, tenant, tag, subject}) o->check(not_empty);
  finding->excludes(rule)->excludes(tenant)->excludes(tag)->excludes(subject);
  tenant->excludes(tag);
  add->add_option("--reason", options->reason, "Why this is acceptable (required)");
  add->add_option("--owner", options->owner, "Who answers for it (required)");
  add->add_option("--expires", options->expires,
                  "Date, RFC 3339 time or duration (30d) (required)");
  add->add_option("--ticket", options->ticket, "Ticket reference");
  add->add_flag("--allow-none", options->allow_none,
                "Store it even if it covers nothing yet (for findings to come)");
  add->add_flag("--dry-run", options->dry_run, "Say what it would cover; store nothing");
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
