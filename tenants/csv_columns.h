// SPDX-License-Identifier: Apache-2.0
// The inventory's CSV columns (inventory_source.h lists them): the header row mapped to the
// columns it names, and each row read through that map into a tenant, or into the problems
// that make it unreadable (each at the field's file:line:column). Pure; internal to tenants/.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/status.h"
#include "tenants/csv_reader.h"
#include "tenants/tenant.h"

namespace cspwatch::tenants {

// tenant_id, domain, name, admin_email, billing_email, technical_email, onboarded_at, tags.
const std::vector<std::string>& csvInventoryColumns();

class CsvColumns {
 public:
  // The columns `header` names, in any order and any case. An unknown column is a warning in
  // `warnings` (did-you-mean for a near miss) and is ignored; a column named twice, or no
  // tenant_id column, is an error. `file` must outlive the result.
  static Result<CsvColumns> fromHeader(const CsvRecord& header, const std::string& file,
                                       Diagnostics& warnings);

  // Row `number` (1 for the first after the header) as an inventory tenant: id, name, domain,
  // contacts (known when an email column exists), onboarding date and tags (';' between). When
  // a value is malformed or the row has not as many fields as the header, nullopt and each
  // problem, an error, in `problems`.
  std::optional<Tenant> tenantFromRow(const CsvRecord& rec, size_t number,
                                      Diagnostics& problems) const;

 private:
  CsvColumns(const std::string& file, size_t width) : file_(&file), width_(width) {}

  const std::string* file_;
  size_t width_;                       // the header's fields
  std::map<std::string, size_t> col_;  // a column's name: its index in a row
};

}  // namespace cspwatch::tenants
