// SPDX-License-Identifier: Apache-2.0
// `cspwatch tenants list`.
#include <algorithm>
#include <memory>

#include <CLI/CLI.hpp>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "cli/cli.h"
#include "cli/command_registry.h"
#include "cli/commands.h"
#include "cli/partner_account.h"
#include "cli/table.h"
#include "common/text.h"
#include "config/app_config.h"
#include "daemon/scan_setup.h"
#include "scan/scan_runner.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_json.h"

namespace cspwatch::cli {

int tenantsList(const CommandContext& ctx, OutputFormat format) {
  auto cfg = loadAccount(ctx);
  if (!cfg) return kExitUsage;
  std::vector<tenants::Tenant> all;
  auto report = scan::readTenants(daemon::scanSources(*cfg), [&all](const tenants::Tenant& t) {
    all.push_back(t);
    return Status::ok();
  });
  if (!report) {
    ctx.err << "cspwatch: " << report.status().message() << "\n";
    return report.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitProblems;
  }
  // Skipped rows and unreadable lists are never silent: every one is on stderr.
  ctx.err << report->diagnostics.renderText();
  std::sort(all.begin(), all.end(), [](const tenants::Tenant& a, const tenants::Tenant& b) {
    return a.name != b.name ? a.name < b.name : a.id < b.id;
  });
  const size_t skipped = report->diagnostics.errorCount();

  if (format == OutputFormat::kJson) {
    Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    doc->set("schema_version", 1);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& t : all) list->add(tenants::tenantToJson(t));
    doc->set("tenants", list);
    ctx.out << tenants::jsonText(doc, true) << "\n";
  } else {
    Table table({{"TENANT ID", false, 36},
                 {"NAME", true, 12, 2},
                 {"DEFAULT DOMAIN", true, 12, 2},
                 {"TAGS", true, 8, 1},
                 {"ONBOARDED", false, 10}});
    for (const auto& t : all)
      table.addRow({t.id, t.name, t.default_domain, join(t.tags, ","),
                    t.onboarded_at ? formatDate(*t.onboarded_at) : "-"});
    table.print(ctx.out);
    ctx.out << all.size() << " tenant(s)";
    if (skipped > 0) ctx.out << ", " << skipped << " skipped (see stderr)";
    ctx.out << "\n";
  }
  return kExitOk;
}

void registerTenants(CLI::App& app, CommandRegistry& registry) {
  CLI::App* tenants =
      app.add_subcommand("tenants", "Look at the customer tenants the sources report");
  tenants->require_subcommand(1);
  CLI::App* list = tenants->add_subcommand("list", "List every tenant the sources know");
  auto format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  addFormatOption(*list, *format, FormatChoices::kTableJson, "Output format: table or json");
  registry.add(list, [format](const CommandContext& ctx) { return tenantsList(ctx, *format); });
  registerTenantsShow(*tenants, registry);  // cmd_tenants_show.cpp
}

}  // namespace cspwatch::cli
