// SPDX-License-Identifier: Apache-2.0
#include "fuzz/fuzz_support.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "tenants/inventory_source.h"

namespace cspwatch::fuzz {

namespace {

// docs/tenant-model.md's JSON form. Tenant 1 is etc/rules.d/fixtures/healthy-tenant.json with
// an incumbent's DAP added; tenant 2 has parts that could not be read and relationships in odd
// states; tenant 3 is what a CSV inventory row gives.
const char* const kFixtureJson = R"json({"schema_version": 1, "tenants": [
{
  "id": "6b9e3f1c-2a47-4d8b-9c5e-0f7a1d3b8e24",
  "name": "Tasman Legal Pty Ltd",
  "default_domain": "tasmanlegal.onmicrosoft.com",
  "tags": ["tier:gold", "region:au"],
  "sources": ["inventory", "partner_center"],
  "verified_domains": ["tasmanlegal.onmicrosoft.com", "tasmanlegal.com.au"],
  "in_customer_list": true,
  "relationship_to_partner": "reseller",
  "partners": [
    {"tenant_id": "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64", "name": "Northwind IT Services",
     "mpn_id": "5123456", "is_service_provider": true},
    {"tenant_id": "8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73", "name": "Harbour Distribution Pty Ltd",
     "mpn_id": "4102938", "is_service_provider": true}
  ],
  "indirect_relationships": [
    {"tenant_id": "8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73", "name": "Harbour Distribution Pty Ltd",
     "mpn_id": "4102938", "type": "is_indirect_cloud_solution_provider_of"}
  ],
  "admin_relationships": [
    {"id": "2f8d4c1a-7e3b-4a96-b5d0-9c1e6f3a8b27-5e0a9d3c-1b7f-4e28-a6c4-8d2f0b9e7a15",
     "display_name": "Northwind standard support", "kind": "gdap",
     "partner_tenant_id": "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64", "status": "active",
     "role_definition_ids": ["729827e3-9c14-49f7-bb1b-9608f156bbb8",
                             "62e90394-69f5-4237-9190-012177145e10"],
     "created_at": "2025-06-02T03:14:09Z", "activated_at": "2025-06-03T01:02:44Z",
     "end_at": "2026-12-03T01:02:44Z", "duration": "P730D", "auto_extend_duration": "P180D",
     "is_reseller_relationship": false, "indirect_provider_tenant_id": null,
     "partner_consent_pending": false},
    {"id": "dap-1", "display_name": "DAP", "kind": "dap",
     "partner_tenant_id": "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d", "status": "active",
     "role_definition_ids": []}
  ],
  "dap_enabled": true,
  "contacts": [
    {"address": "csp-admin@northwind-it.com.au", "purpose": "admin_credentials", "source": "inventory"},
    {"address": "accounts@tasmanlegal.com.au", "purpose": "billing", "source": "partner_center"},
    {"address": "Office@TasmanLegaI.com.au", "purpose": "company", "source": "partner_center"},
    {"address": "it@gmail.com", "purpose": "technical_notification", "source": "graph"}
  ],
  "created_at": "2025-05-28T22:41:17Z",
  "onboarded_at": "2025-05-29",
  "fetch_problems": []
},
{
  "id": "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c",
  "name": "Contoso",
  "default_domain": "contoso.onmicrosoft.com",
  "tags": [],
  "sources": ["partner_center"],
  "verified_domains": null,
  "in_customer_list": false,
  "relationship_to_partner": null,
  "partners": null,
  "indirect_relationships": [],
  "admin_relationships": [
    {"id": "rel-2", "display_name": "MLT_x", "kind": "gdap",
     "partner_tenant_id": "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64", "status": "approvalPending",
     "created_at": "2024-01-01T00:00:00Z", "duration": "P2Y", "auto_extend_duration": "PT0S",
     "is_reseller_relationship": true,
     "indirect_provider_tenant_id": "8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73",
     "partner_consent_pending": true},
    {"id": "rel-3", "kind": "gdap", "partner_tenant_id": "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64",
     "status": "expired", "end_at": "2020-02-29T23:59:59Z"}
  ],
  "dap_enabled": null,
  "contacts": null,
  "admin_email": "admin@contoso.com",
  "created_at": null,
  "fetch_problems": [
    {"part": "organization", "reason": "HTTP 403 Forbidden"},
    {"part": "partners", "reason": "timed out"},
    {"part": "customer_details", "reason": ""}
  ]
},
{
  "tenant_id": "9e4a3d6b-5a7f-4b1c-8d2e-4f6a8b0c2d3e",
  "domain": "Fabrikam.onmicrosoft.com",
  "name": "Fabrikam, Inc",
  "admin_email": "it@fabrikam.com",
  "onboarded_at": "2024-05-01",
  "tags": ["gold", "nz"]
}
]})json";

}  // namespace

std::string asText(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: contract broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

const std::vector<tenants::Tenant>& fixtureTenants() {
  static const std::vector<tenants::Tenant> kTenants = [] {
    auto inv = tenants::parseInventoryJson(kFixtureJson, "fixture.json");
    if (!inv) fail("the fixture tenants do not load: " + inv.status().message());
    if (!inv->diagnostics.empty() || inv->tenants.size() != 3)
      fail("the fixture tenants have problems:\n" + inv->diagnostics.renderText());
    return inv->tenants;
  }();
  return kTenants;
}

const PartnerIdentity& fixturePartner() {
  static const PartnerIdentity kPartner{"Northwind IT Services",
                                        "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64",
                                        {"5123456"},
                                        {"8c1e5a2f-3d7b-4e96-a0c8-6b2f9d4e1a73"},
                                        {"1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"},
                                        {"northwind-it.com.au", "northwind.com"}};
  return kPartner;
}

Timestamp fixtureNow() {
  static const Timestamp kNow = [] {
    auto t = parseTimestamp("2026-11-25T00:00:00Z");
    if (!t) fail("the fixture time does not parse");
    return *t;
  }();
  return kNow;
}

int lineCount(const std::string& text) {
  int lines = 1;
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')))
      ++lines;
  return lines;
}

void checkDiagnostics(const Diagnostics& diags,
                      const std::vector<std::pair<std::string, const std::string*>>& texts) {
  std::map<std::string, int> lines;
  for (const auto& [file, text] : texts) lines[file] = lineCount(*text);
  for (const auto& d : diags.items()) {
    const SourceLocation& loc = d.location;
    if (d.code.empty() || d.message.empty())
      fail("a diagnostic without code or message at " + loc.str() + ": [" + d.code + "] " +
           d.message);
    if (loc.line < 0 || loc.column < 0)
      fail("a negative position " + loc.str() + " in [" + d.code + "] " + d.message);
    auto it = lines.find(loc.file);
    if (it != lines.end() && loc.line > it->second)
      fail("position " + loc.str() + " past the last line (" + std::to_string(it->second) +
           ") in [" + d.code + "] " + d.message);
  }
  if (diags.renderText().empty() != diags.empty()) fail("diagnostics render to nothing");
}

}  // namespace cspwatch::fuzz
