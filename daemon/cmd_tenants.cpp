// SPDX-License-Identifier: Apache-2.0
// `cspwatch tenants list`.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/text.h"
#include "daemon/app_config.h"
#include "daemon/cli.h"
#include "daemon/commands.h"
#include "daemon/table.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_json.h"

namespace cspwatch::daemon {

int tenantsList(const CommandContext& ctx, OutputFormat format) {
  Diagnostics diags;
  auto cfg = loadConfig(ctx.config_path, diags);
  if (!cfg) {
    ctx.err << diags.renderText();
    return kExitUsage;
  }
  if (!cfg->inventory) {
    ctx.err << "cspwatch: " << cfg->file
            << ": no inventory configured (sources.inventory.path); tenants list reads it\n";
    return kExitUsage;
  }
  auto inv = tenants::loadInventoryFile(cfg->inventory->path);
  if (!inv) {
    ctx.err << "cspwatch: " << inv.status().message() << "\n";
    return kExitProblems;
  }
  // Skipped rows are never silent: every one is on stderr, whatever the output format.
  ctx.err << inv->diagnostics.renderText();

  if (format == OutputFormat::kJson) {
    Poco::JSON::Object::Ptr doc = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    doc->set("schema_version", 1);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& t : inv->tenants) list->add(tenants::tenantToJson(t));
    doc->set("tenants", list);
    ctx.out << tenants::jsonText(doc, true) << "\n";
  } else {
    Table table({{"TENANT ID", false, 36},
                 {"NAME", true, 12, 2},
                 {"DEFAULT DOMAIN", true, 12, 2},
                 {"TAGS", true, 8, 1},
                 {"ONBOARDED", false, 10}});
    for (const auto& t : inv->tenants)
      table.addRow({t.id, t.name, t.default_domain, join(t.tags, ","),
                    t.onboarded_at ? formatDate(*t.onboarded_at) : "-"});
    table.print(ctx.out);
    ctx.out << inv->tenants.size() << " tenant(s)";
    if (inv->skipped > 0) ctx.out << ", " << inv->skipped << " skipped (see stderr)";
    ctx.out << "\n";
  }
  return kExitOk;
}

}  // namespace cspwatch::daemon
