// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the inventory CSV export, through the CSV reader (tenants/csv_reader.h)
// and the inventory on top of it (parseInventoryCsv(), tenants/inventory_source.h), both from
// text. Tenants that load are converted to the rules' Value and written as JSON.
//
// Contracts checked beyond "no crash, no leak, no undefined behaviour": every record and field
// has a 1-based position inside the text (line at most one past the last line break, column at
// most one past the end of its line, in bytes), fields come in text order, a record's line is
// that of its first field; diagnostics point into the text; what the inventory read is
// written as JSON that parseInventoryJson() reads back without problems.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "tenants/csv_reader.h"
#include "tenants/inventory_source.h"
#include "tenants/tenant_json.h"
#include "tenants/tenant_value.h"

using namespace cspwatch;
using namespace cspwatch::tenants;

namespace {

const char* const kFile = "inventory.csv";

// Byte length of each line of `text` (1-based index; [0] unused), without its line break. A line
// ends at LF, CRLF or a lone CR, as the reader counts lines.
std::vector<size_t> lineLengths(const std::string& text) {
  std::vector<size_t> lengths{0};
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lengths.push_back(i - start);
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  lengths.push_back(text.size() - start);
  return lengths;
}

void checkRecords(const std::vector<CsvRecord>& records, const std::string& text) {
  const std::vector<size_t> lengths = lineLengths(text);
  const int last_line = static_cast<int>(lengths.size()) - 1;
  // Fields, across records too, come in text order.
  int field_line = 0, field_column = 0;
  for (const auto& rec : records) {
    const std::string where = "record at line " + std::to_string(rec.line);
    if (rec.line < 1 || rec.line > last_line) fuzz::fail(where + ": line out of range");
    if (rec.fields.empty()) fuzz::fail(where + ": no fields");
    if (rec.fields.front().line != rec.line)
      fuzz::fail(where + ": first field at line " + std::to_string(rec.fields.front().line));
    for (const auto& f : rec.fields) {
      const std::string at =
          where + ", field at " + std::to_string(f.line) + ":" + std::to_string(f.column);
      if (f.line < 1 || f.line > last_line || f.column < 1 ||
          static_cast<size_t>(f.column) > lengths[f.line] + 1)
        fuzz::fail(at + ": position outside the text");
      if (f.line < field_line || (f.line == field_line && f.column <= field_column))
        fuzz::fail(at + ": not after the previous field");
      field_line = f.line;
      field_column = f.column;
      if (f.value.size() > text.size()) fuzz::fail(at + ": value longer than the text");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::asText(data, size);

  Diagnostics diags;
  diags.addSource(kFile, text);
  std::vector<CsvRecord> records = readCsv(text, kFile, diags);
  checkRecords(records, text);
  fuzz::checkDiagnostics(diags, {{kFile, &text}});

  auto inv = parseInventoryCsv(text, kFile);
  if (!inv) {
    if (inv.status().message().empty()) fuzz::fail("a failed inventory without a message");
    return 0;
  }
  fuzz::checkDiagnostics(inv->diagnostics, {{kFile, &text}});
  if (inv->tenants.size() >= records.size())
    fuzz::fail(std::to_string(inv->tenants.size()) + " tenants from " +
               std::to_string(records.size()) + " records (with the header)");
  for (const auto& t : inv->tenants) (void)tenantToValue(t).toText();
  if (!inv->tenants.empty()) {
    const std::string json = tenantsToJsonText(inv->tenants, false);
    auto again = parseInventoryJson(json, "again.json");
    if (!again || !again->diagnostics.empty() || again->tenants.size() != inv->tenants.size())
      fuzz::fail("tenants read from CSV are written as JSON that does not read back:\n" +
                 (again ? again->diagnostics.renderText() : again.status().message()) + json);
  }
  return 0;
}
