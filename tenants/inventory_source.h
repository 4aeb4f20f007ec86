// SPDX-License-Identifier: Apache-2.0
// The distributor/CRM inventory export that partners already have: which tenants we look after,
// their domains, the admin email used at creation, when they were onboarded and our tags.
//
// Two forms, chosen by file extension (.csv, else JSON):
//  - CSV with a header row; columns tenant_id (required), domain, name, admin_email,
//    billing_email, technical_email, onboarded_at, tags (separated by ';'), in any order and
//    any case. Unknown columns are ignored with a warning (did-you-mean for near misses).
//  - JSON: a list of tenants, or {"tenants": [...]}, each in the tenant model's JSON form
//    (docs/tenant-model.md) plus the CSV column names; a full snapshot can be evaluated offline.
// A malformed row or record is reported with file:line(:column) and skipped; a duplicate
// tenant id keeps the first. A file that cannot be read or parsed at all is an error Status.
#pragma once

#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/status.h"
#include "tenants/tenant.h"

namespace cspwatch::tenants {

struct Inventory {
  std::vector<Tenant> tenants;  // in file order, every one with source "inventory"
  Diagnostics diagnostics;      // skipped rows (errors) and ignored columns (warnings)
  size_t skipped = 0;           // rows or records left out
  // Of those, the ones that could not be read (not duplicates): tenants they name may be
  // missing, so the inventory's list of tenants is incomplete.
  size_t unreadable = 0;
};

Result<Inventory> loadInventoryFile(const std::string& path);
Result<Inventory> parseInventoryCsv(const std::string& text, const std::string& file);
// JSON (or YAML) in the tenant model's form. Strict JSON (RFC 8259) is read one tenant at a
// time: a small scanner walks the top-level list or object and the list of tenants, and each
// tenant's text alone is parsed with yaml-cpp and decoded by tenantFromNode(), so memory grows
// with one tenant and the resulting Tenants, not with the file. Anything else (YAML, a syntax
// error, text parseYamlDocument refuses, nesting over 64 deep) is read by parseInventoryYaml().
// Both ways give the same tenants and the same diagnostics at the same file:line:column.
Result<Inventory> parseInventoryJson(const std::string& text, const std::string& file);
// The whole document at once through parseYamlDocument(): the same result for any input, with
// memory about 27 times the file's size.
Result<Inventory> parseInventoryYaml(const std::string& text, const std::string& file);

}  // namespace cspwatch::tenants
