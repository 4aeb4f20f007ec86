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
//
// readInventoryFile() hands the tenants over one at a time as it reads them, in the memory of
// one record, not of the file or of its tenants; loadInventoryFile() and the parse functions
// collect them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/status.h"
#include "tenants/tenant.h"
#include "tenants/text_window.h"

namespace cspwatch::tenants {

struct Inventory {
  std::vector<Tenant> tenants;  // in file order, every one with source "inventory"
  Diagnostics diagnostics;      // skipped rows (errors) and ignored columns (warnings)
  size_t skipped = 0;           // rows or records left out
  // Of those, the ones that could not be read (not duplicates): tenants they name may be
  // missing, so the inventory's list of tenants is incomplete.
  size_t unreadable = 0;
};

// What reading an inventory reported besides its tenants (as in Inventory).
struct InventoryReport {
  Diagnostics diagnostics;
  size_t tenants = 0;  // handed over
  size_t skipped = 0;
  size_t unreadable = 0;
};

// Called once per tenant, in file order; an error stops the reading and is its result.
using InventorySink = std::function<Status(Tenant&& tenant)>;

// Reads the inventory at `path` (CSV or JSON, as loadInventoryFile) and hands each tenant to
// `sink` as soon as it is read. `records` (may be empty) is told once, before the first
// tenant, how many rows or records the file holds (those that will be skipped included): a
// progress bar's total. The same tenants, diagnostics and errors as loadInventoryFile(), and an
// error that concerns the whole file comes before any tenant. Memory: the record being read;
// the ids seen, to find duplicates (a GUID's 16 bytes in a hash set, about 40 bytes a tenant);
// and, only when there are diagnostics, the source lines they quote, with one byte for each
// line before them.
// How: CSV is read record by record; strict JSON is walked twice, once to check that it is
// strict JSON and to count the records, then to read them. Any other JSON or YAML is read whole
// by parseInventoryYaml(), as before, in the memory of the whole document. (So is the rest of a
// file whose second walk fails: a record yaml-cpp refuses on its own, which no known input
// does, or a file changed between the walks; an error then comes after some tenants.)
Result<InventoryReport> readInventoryFile(const std::string& path, const InventorySink& sink,
                                          const std::function<void(size_t)>& records = {});

enum class InventoryForm { kCsv, kJson };
// CSV for a name ending in .csv (any case), else JSON.
InventoryForm formOf(const std::string& path);
// The same from a window onto a text (tests read files a few bytes at a time), in `form`;
// `file` names it in diagnostics.
Result<InventoryReport> readInventory(TextWindow& text, const std::string& file, InventoryForm form,
                                      const InventorySink& sink,
                                      const std::function<void(size_t)>& records = {});

Result<Inventory> loadInventoryFile(const std::string& path);
Result<Inventory> parseInventoryCsv(const std::string& text, const std::string& file);
// JSON (or YAML) in the tenant model's form. Strict JSON (RFC 8259) is read one tenant at a
// time: a small scanner walks the top-level list or object and the list of tenants, and each
// tenant's text alone is parsed with yaml-cpp and decoded by tenantFromNode(), so memory grows
// with one tenant and the resulting Tenants, not with yaml-cpp's nodes for the file. Anything else
// (YAML, a syntax error, text parseYamlDocument refuses, nesting over 64 deep) is read by
// parseInventoryYaml(). Both ways give the same tenants and the same diagnostics at the same
// file:line:column.
Result<Inventory> parseInventoryJson(const std::string& text, const std::string& file);
// The whole document at once through parseYamlDocument(): the same result for any input, with
// memory about 27 times the file's size.
Result<Inventory> parseInventoryYaml(const std::string& text, const std::string& file);

}  // namespace cspwatch::tenants
