// SPDX-License-Identifier: Apache-2.0
// What every inventory reader (CSV, streamed JSON, the whole YAML document) does with a record
// once it has read it: keeps it unless its tenant id was seen before (the first is kept, a
// duplicate reported), lists an unreadable one's diagnostics up to kMaxListed and counts the
// rest, and at the end quotes the lines its diagnostics point at. Internal to tenants/; the
// readers are inventory_source.h's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

#include "common/diagnostic.h"
#include "common/status.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant.h"
#include "tenants/text_window.h"

namespace cspwatch::tenants {

// The tenant ids read so far, to find duplicates: the one thing a reader keeps for every tenant.
// So a GUID (every id that reads is one, lower-case) is kept as its 16 bytes, about 40 bytes a
// tenant with the table's own, rather than as a string in a set, about 110.
class SeenIds {
 public:
  // False when `id` was seen before.
  bool insert(const std::string& id);

 private:
  struct Key {
    uint64_t high = 0, low = 0;
    bool operator==(const Key& o) const { return high == o.high && low == o.low; }
  };
  struct Hash {
    size_t operator()(const Key& k) const noexcept;
  };
  static std::optional<Key> keyOf(const std::string& id);

  std::unordered_set<Key, Hash> guids_;
  std::unordered_set<std::string> others_;
};

// Hands `t` to `sink` unless its id was seen; reports a duplicate at `loc` in `diags`. Counts
// the tenant, or the duplicate as skipped, in `report`. The sink's error is the result.
Status keepRecord(Tenant t, const SourceLocation& loc, SeenIds& seen, Diagnostics& diags,
                  InventoryReport& report, const InventorySink& sink);

// At most this many unreadable rows or records are listed with their diagnostics; the rest
// are counted. A million bad rows must not become a million messages.
inline constexpr size_t kMaxListed = 100;

// Lists one unreadable row's or record's diagnostics, or counts it in `unlisted` once
// kMaxListed are listed.
void unreadableRow(InventoryReport& report, const Diagnostics& row, size_t& unlisted);
// A note saying how many unreadable rows were not listed (nothing when none).
void reportUnlisted(InventoryReport& report, const std::string& file, size_t unlisted);

// The error for a window whose read failed (text.status()).
Status inventoryReadFailed(const TextWindow& text);

// Diagnostics quote the line they point at from the file's text (Diagnostics::addSource). A
// file read a piece at a time is not held, so at the end the lines that the shown diagnostics
// quote are read again into a text with the same line numbers, every other line left empty:
// one byte a line up to the last line quoted, and only when there are diagnostics. Rewinds
// `text`; quoting is a courtesy, so a file that cannot be read again is not quoted.
void addQuotedLines(TextWindow& text, const std::string& file, Diagnostics& diags);

}  // namespace cspwatch::tenants
