// SPDX-License-Identifier: Apache-2.0
// A CSV inventory read record by record (readInventory() for a .csv file): the header mapped to
// its columns (csv_columns.h), then each row into a tenant handed to the sink as soon as it is
// read, in the memory of one record. Internal to tenants/.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "common/status.h"
#include "tenants/inventory_source.h"
#include "tenants/text_window.h"

namespace cspwatch::tenants {

// As readInventory() for a CSV text: a UTF-16 file, a missing header row, a header without
// tenant_id or with a column twice, or a read that fails is an error; an unreadable row is
// reported and skipped. With `records`, a first pass counts the rows, and the text is read again.
Result<InventoryReport> readCsvInventory(TextWindow& text, const std::string& file,
                                         const InventorySink& sink,
                                         const std::function<void(size_t)>& records);

}  // namespace cspwatch::tenants
