// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the tenant model's JSON form (tenants/tenant_json.h) through its two text
// entries: parseInventoryJson() (tenants/inventory_source.h: a list of tenants or
// {"tenants": [...]}, as inventory files and world files hold them) and, for a single tenant
// object as rule-test fixtures hold it, parseYamlDocument() + tenantFromNode(). Every decoded
// tenant is converted to the rules' Value (tenants/tenant_value.h) and written back as JSON.
//
// Contracts checked beyond "no crash, no leak, no undefined behaviour": diagnostics point into
// the text; a tenant that was read is written as JSON that reads back, without problems, as the
// same tenant (the same JSON again): what `tenants list --format json` prints is a valid
// inventory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/yaml_util.h"
#include "fuzz/fuzz_support.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_json.h"
#include "tenants/tenant_value.h"

using namespace cspwatch;
using namespace cspwatch::tenants;

namespace {

const char* const kFile = "inventory.json";

void roundTrip(const std::vector<Tenant>& tenants) {
  if (tenants.empty()) return;
  const std::string json = tenantsToJsonText(tenants, false);
  auto again = parseInventoryJson(json, "again.json");
  if (!again)
    fuzz::fail("written tenants do not read back: " + again.status().message() + "\n" + json);
  if (!again->diagnostics.empty() || again->tenants.size() != tenants.size())
    fuzz::fail("written tenants read back with problems:\n" + again->diagnostics.renderText() +
               json);
  const std::string json_again = tenantsToJsonText(again->tenants, false);
  if (json_again != json)
    fuzz::fail("tenants change in a JSON round trip:\n" + json + "\n" + json_again);
  (void)tenantsToJsonText(tenants, true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::asText(data, size);

  // An inventory: a list of tenants or {"tenants": [...]}.
  auto inv = parseInventoryJson(text, kFile);
  if (inv) {
    fuzz::checkDiagnostics(inv->diagnostics, {{kFile, &text}});
    for (const auto& t : inv->tenants) (void)tenantToValue(t).toText();
    roundTrip(inv->tenants);
  } else if (inv.status().message().empty()) {
    fuzz::fail("a failed inventory without a message");
  }

  // One tenant object, as in a rule test's fixture.
  Diagnostics diags;
  if (auto doc = parseYamlDocument(kFile, text, "fixture", diags)) {
    std::optional<Tenant> t = tenantFromNode(*doc, kFile, "fixture", diags);
    if (t.has_value() == diags.hasErrors())
      fuzz::fail(std::string("a tenant ") + (t ? "decoded with" : "refused without") +
                 " errors:\n" + diags.renderText());
    if (t) {
      (void)tenantToValue(*t).toText();
      t->addSource(kSourceInventory);  // as parseInventoryJson() does
      roundTrip({*t});
    }
  }
  fuzz::checkDiagnostics(diags, {{kFile, &text}});
  return 0;
}
