// SPDX-License-Identifier: Apache-2.0
#include "tenants/inventory_records.h"

#include <set>

#include "common/guid.h"

namespace cspwatch::tenants {

bool SeenIds::insert(const std::string& id) {
  if (auto key = keyOf(id)) return guids_.insert(*key).second;
  return others_.insert(id).second;
}

size_t SeenIds::Hash::operator()(const Key& k) const noexcept {
  // splitmix64's finaliser: ids that differ in a few digits land far apart.
  uint64_t x = k.high ^ (k.low * 0x9E3779B97F4A7C15ULL);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return static_cast<size_t>(x ^ (x >> 31));
}

std::optional<SeenIds::Key> SeenIds::keyOf(const std::string& id) {
  if (!isGuid(id)) return std::nullopt;
  Key k;
  int digits = 0;
  for (char c : id) {
    if (c == '-') continue;
    const bool digit = c >= '0' && c <= '9', lower = c >= 'a' && c <= 'f';
    if (!digit && !lower) return std::nullopt;  // upper case: kept as a string, exactly
    uint64_t& half = digits++ < 16 ? k.high : k.low;
    half = half << 4 | static_cast<uint64_t>(digit ? c - '0' : c - 'a' + 10);
  }
  return k;
}

Status keepRecord(Tenant t, const SourceLocation& loc, SeenIds& seen, Diagnostics& diags,
                  InventoryReport& report, const InventorySink& sink) {
  if (!seen.insert(t.id)) {
    diags.error("inventory.duplicate-tenant", loc, "tenant " + t.id + " appears more than once",
                "the first entry is kept");
    ++report.skipped;
    return Status::ok();
  }
  t.addSource(kSourceInventory);
  ++report.tenants;
  return sink(std::move(t));
}

void unreadableRow(InventoryReport& report, const Diagnostics& row, size_t& unlisted) {
  ++report.skipped;
  ++report.unreadable;
  if (report.unreadable <= kMaxListed)
    for (const auto& d : row.items()) report.diagnostics.add(d);
  else
    ++unlisted;
}

void reportUnlisted(InventoryReport& report, const std::string& file, size_t unlisted) {
  if (unlisted > 0)
    report.diagnostics.add({Severity::kNote,
                            "inventory.bad-row",
                            {file, 0, 0},
                            "",
                            std::to_string(unlisted) + " more unreadable row(s) were skipped",
                            "only the first " + std::to_string(kMaxListed) + " are listed"});
}

Status inventoryReadFailed(const TextWindow& text) {
  return Status::ioError("cannot read inventory file " + text.path() + ": " +
                         text.status().message());
}

void addQuotedLines(TextWindow& text, const std::string& file, Diagnostics& diags) {
  std::set<int> wanted;
  size_t shown = 0;
  for (const auto& d : diags.items()) {
    if (shown++ == Diagnostics::kMaxRendered) break;
    if (d.location.file == file && d.location.line > 0) wanted.insert(d.location.line);
  }
  if (wanted.empty() || !text.rewind()) return;  // quoting is a courtesy; the diagnostics stand
  std::string lines;
  int line = 1;
  bool quoted = wanted.count(1) > 0;
  for (size_t pos = 0; line <= *wanted.rbegin() && text.has(pos); ++pos) {
    text.release(pos);
    const char c = text.at(pos);
    if (c != '\n' && c != '\r') {
      if (quoted) lines += c;
      continue;
    }
    // A line ends at LF, CRLF or a lone CR, as Diagnostics counts lines.
    if (c == '\r' && text.has(pos + 1) && text.at(pos + 1) == '\n') ++pos;
    lines += '\n';
    quoted = wanted.count(++line) > 0;
  }
  diags.addSource(file, std::move(lines));
}

}  // namespace cspwatch::tenants
