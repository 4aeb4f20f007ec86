// SPDX-License-Identifier: Apache-2.0
// A JSON inventory read one tenant at a time (readInventory() for a file not ending in .csv).
//
// Why hand-written: the inventory is read with yaml-cpp like every operator file, for the line
// and column of every value and one tenant decoder (tenantFromNode). But yaml-cpp can only load
// a whole document into nodes, at about 27 bytes of heap per byte of JSON (215 MB for 10,000
// tenants), and has no streaming node API; Poco's JSON parser streams but gives no positions.
// So a small scanner (json_scanner.h) walks the outer structure (the top-level list or object and
// the list of tenants) and hands each tenant's text alone to yaml-cpp, moving the positions found
// in it to the tenant's place in the file. It reads the file through a TextWindow, which keeps only
// the record being read: memory is one tenant's text and nodes, whatever the file's length.
//
// It takes strict JSON (RFC 8259) only, and a little less where yaml-cpp reads JSON otherwise (a
// line break or over kMaxJsonKeyBytes between a key's quote and its ':'). On anything else (YAML,
// a syntax error, text parseYamlDocument refuses, nesting deeper than kMaxJsonDepth, a piece
// yaml-cpp rejects) the whole document is read as before (parseInventoryYaml), so both ways give
// the same tenants and the same diagnostics; only the memory differs.
//
// Tenants are handed over as they are read, so whether the file is strict JSON must be known
// before the first one: a first walk checks the whole file (and counts the records) without
// decoding, a second reads the records. A record yaml-cpp refuses on its own (none is known; the
// safety net of the design), or a file changed between the walks, is found only on the second
// walk: then the whole document is read and the tenants not yet handed over come from it, which
// gives the same tenants as if it had been read whole from the start.
//
// Internal to tenants/.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "common/status.h"
#include "tenants/inventory_source.h"
#include "tenants/text_window.h"

namespace cspwatch::tenants {

// As readInventory() for a JSON (or YAML) text.
Result<InventoryReport> readJsonInventory(TextWindow& text, const std::string& file,
                                          const InventorySink& sink,
                                          const std::function<void(size_t)>& records);

}  // namespace cspwatch::tenants
