// SPDX-License-Identifier: Apache-2.0
// `cspwatch rules eval EXPR (--tenant ID | --fixture FILE)`: one expression, compiled as a rule's
// condition would be against the configured rules (their lists and macros), evaluated against
// one tenant; prints the value and its CEL type.
//
// --tenant reads the tenant from the configured sources now, as a scan would but only the parts
// the expression reads, and stops once it has it. The database is not used: it keeps what
// a scan found about each tenant (findings, read status, tags), not the tenant model an
// expression reads.
#include <memory>

#include <CLI/CLI.hpp>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/partner_account.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/text.h"
#include "common/yaml_util.h"
#include "config/app_config.h"
#include "config/rule_files.h"
#include "daemon/scan_setup.h"
#include "scan/scan_runner.h"
#include "scan/value_json.h"
#include "tenants/fetch_plan.h"
#include "tenants/tenant_json.h"
#include "tenants/tenant_value.h"

namespace cspwatch::cli {

namespace {

// A tenant file in the JSON form (docs/tenant-model.md), as rule tests read their fixtures.
std::optional<tenants::Tenant> readFixture(const CommandContext& ctx, const std::string& path) {
  auto text = readWholeFile(path);
  if (!text) {
    ctx.err << "cspwatch: " << text.status().message() << "\n";
    return std::nullopt;
  }
  Diagnostics diags;
  std::optional<tenants::Tenant> tenant;
  if (auto doc = parseYamlDocument(path, *text, "tenant", diags))
    tenant = tenants::tenantFromNode(*doc, path, "tenant", diags);
  ctx.err << diags.renderText();
  return diags.hasErrors() ? std::nullopt : tenant;
}

// The tenant of the configured sources whose id, name or default domain is `which`; none when
// no tenant or several do (a name two customers share: they are listed, to be told apart by id).
std::optional<tenants::Tenant> readTenant(const CommandContext& ctx, const config::AppConfig& cfg,
                                          const rules::FieldsRead& reads,
                                          const std::string& which) {
  const scan::ScanFilter filter{{}, {which}};
  std::vector<tenants::Tenant> found;
  auto report = scan::readTenants(
      daemon::scanSources(cfg),
      [&](const tenants::Tenant& t) {
        if (filter.matches(t)) found.push_back(t);
        return Status::ok();
      },
      nullptr, {}, nullptr, tenants::FetchPlan::forFields(reads.fields, reads.all),
      [&filter](const tenants::Tenant& t) { return filter.matches(t); });
  if (!report) {
    ctx.err << "cspwatch: " << report.status().message() << "\n";
    return std::nullopt;
  }
  if (found.size() == 1) return found.front();
  ctx.err << report->diagnostics.renderText();
  if (found.empty()) {
    ctx.err << "cspwatch: no tenant has the id, name or default domain '" << printable(which)
            << "' (cspwatch tenants list shows them)\n";
    return std::nullopt;
  }
  ctx.err << "cspwatch: '" << printable(which) << "' names " << found.size()
          << " tenants; give the tenant id:\n";
  for (const auto& t : found)
    ctx.err << "  " << t.id << "  " << printable(t.name) << "  " << t.default_domain << "\n";
  return std::nullopt;
}

void printResult(const CommandContext& ctx, const RulesEvalOptions& options,
                 const tenants::Tenant& tenant, Timestamp now, const Value& value,
                 const Type& static_type) {
  const std::string type = rules::celTypeName(value);
  if (options.format == OutputFormat::kJson) {
    Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    doc->set("schema_version", 1);
    doc->set("expression", options.expression);
    doc->set("tenant_id", tenant.id);
    doc->set("tenant_name", tenant.name);
    doc->set("now", formatTimestamp(now));
    doc->set("type", type);
    doc->set("static_type", static_type.name());
    if (value.isError()) {
      doc->set("value", Poco::Dynamic::Var());
      doc->set("unknown_reason", value.errorMessage());
    } else {
      // Wrapped in a list: a scalar alone is not a JSON document to Poco's parser.
      auto wrapped = Poco::JSON::Parser().parse("[" + scan::valueToJson(value) + "]");
      doc->set("value", wrapped.extract<Poco::JSON::Array::Ptr>()->get(0));
    }
    ctx.out << tenants::jsonText(doc, true) << "\n";
    return;
  }
  if (value.isError())
    ctx.out << "unknown: " << value.errorMessage() << "\n";
  else
    ctx.out << scan::valueToJson(value) << "\n";
  ctx.out << "type: " << type;
  if (!static_type.isDyn() && static_type.name().rfind(type, 0) != 0)
    ctx.out << " (declared " << static_type.name() << ")";
  ctx.out << "\n";
}

}  // namespace

int rulesEval(const CommandContext& ctx, const RulesEvalOptions& options) {
  if (options.tenant.empty() == options.fixture.empty()) {
    ctx.err << "cspwatch: rules eval needs one tenant: --tenant ID (id, name or domain, read from "
               "the configured sources) or --fixture FILE (a tenant JSON file)\n";
    return kExitUsage;
  }
  auto cfg = loadAccount(ctx);
  if (!cfg) return kExitUsage;
  config::RuleFiles files = config::findRuleFiles(cfg->rule_paths);
  rules::LoadResult loaded =
      rules::loadRules(files.sources, {&tenants::tenantType(), &options.expression});
  Diagnostics shown = files.problems;  // errors; warnings only about the expression
  shown.addSource(rules::kExpressionSource, options.expression);
  for (const auto& d : loaded.diagnostics.items())
    if (d.severity == Severity::kError || d.location.file == rules::kExpressionSource) shown.add(d);
  for (const auto& s : files.sources) shown.addSource(s.name, s.text);
  ctx.err << shown.renderText();
  if (!loaded.ok() || files.problems.hasErrors() || loaded.rules->expression() == nullptr) {
    ctx.err << "cspwatch: the expression does not compile"
            << (shown.errorCount() > 0 &&
                        shown.items().front().location.file != rules::kExpressionSource
                    ? ", or the configured rules have errors (cspwatch rules check)"
                    : "")
            << "\n";
    return kExitProblems;
  }
  std::optional<tenants::Tenant> tenant =
      options.fixture.empty()
          ? readTenant(ctx, *cfg, loaded.rules->expression()->reads, options.tenant)
          : readFixture(ctx, options.fixture);
  if (!tenant) return kExitProblems;
  const Timestamp now = options.now ? *options.now : SystemClock().now();
  rules::EvalOptions eval;
  eval.max_steps = daemon::scanSources(*cfg).rules_max_steps;
  eval.max_steps_setting = "rules.max_steps_per_tenant";
  const Value value = loaded.rules->evaluateExpression(
      tenants::tenantToValue(*tenant), rules::RuleSet::partnerValue(cfg->partner), now, eval);
  printResult(ctx, options, *tenant, now, value, loaded.rules->expression()->type);
  return kExitOk;
}

void registerRulesEval(CLI::App& rules, CommandRegistry& registry) {
  CLI::App* eval = rules.add_subcommand(
      "eval",
      "Evaluate one expression against one tenant, with the configured rules' lists and "
      "macros; print its value and type");
  struct Line {
    RulesEvalOptions options;
    std::string now;
  };
  auto line = std::make_shared<Line>();
  eval->add_option("expression", line->options.expression,
                   "The expression, as a rule's 'when' would have it (quote it for the shell)")
      ->required();
  eval->add_option("--tenant", line->options.tenant,
                   "A tenant of the configured sources: its id, name or default domain");
  eval->add_option("--fixture", line->options.fixture,
                   "A tenant JSON file (docs/tenant-model.md), e.g. etc/rules.d/fixtures/*.json");
  eval->add_option("--now", line->now, "Evaluate as if it were this RFC 3339 time")
      ->check([](const std::string& v) {
        return parseTimestamp(v) ? std::string()
                                 : "not an RFC 3339 time such as 2026-11-25T00:00:00Z: " + v;
      });
  addFormatOption(*eval, line->options.format, FormatChoices::kTextJson,
                  "Output format: text or json");
  registry.add(eval, [line](const CommandContext& ctx) {
    if (!line->now.empty()) line->options.now = parseTimestamp(line->now);
    return rulesEval(ctx, line->options);
  });
}

}  // namespace cspwatch::cli
