// SPDX-License-Identifier: Apache-2.0
#include "tenants/inventory_csv.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/text.h"
#include "tenants/csv_columns.h"
#include "tenants/csv_reader.h"
#include "tenants/inventory_records.h"

namespace cspwatch::tenants {

namespace {

// The diagnostics of a CSV inventory, in the order they always had when the whole file was
// split into records before any row was read: every syntax error first, then the header's
// warnings, then each row's problems; the first kMaxListed unreadable rows of that order are
// listed. So a reader that meets them in file order keeps the first kMaxListed syntax errors and
// the rows' problems that can still be listed, and puts them in that order at the end.
class CsvProblems {
 public:
  // A record's syntax errors, as CsvReader reports them.
  void syntax(const Diagnostics& found) {
    for (const auto& d : found.items())
      if (++syntax_errors_ <= kMaxListed) syntax_.add(d);
  }
  void header(Diagnostics warnings) { header_ = std::move(warnings); }
  void unreadable(Diagnostics&& row) {
    if (++bad_rows_ <= kMaxListed) rows_.emplace_back(bad_rows_, std::move(row));
  }
  void duplicate(Diagnostics&& row) { rows_.emplace_back(0, std::move(row)); }  // always listed

  // The counts and the diagnostics, in order, into `report`.
  void finish(InventoryReport& report, const std::string& file) const {
    report.unreadable = syntax_errors_ + bad_rows_;
    report.skipped += report.unreadable;
    size_t listed = std::min(syntax_errors_, kMaxListed);
    report.diagnostics.append(syntax_);
    report.diagnostics.append(header_);
    for (const auto& [number, row] : rows_) {
      if (number > 0 && syntax_errors_ + number > kMaxListed) continue;
      report.diagnostics.append(row);
      if (number > 0) ++listed;
    }
    reportUnlisted(report, file, report.unreadable - listed);
  }

 private:
  size_t syntax_errors_ = 0;
  Diagnostics syntax_;  // the first kMaxListed
  Diagnostics header_;
  size_t bad_rows_ = 0;
  // Each row's problems: an unreadable row with its number among the unreadable rows, or a
  // duplicate (0).
  std::vector<std::pair<size_t, Diagnostics>> rows_;
};

bool isUtf16(TextWindow& text) {
  return text.has(1) && (text.view(0, 2) == "\xFF\xFE" || text.view(0, 2) == "\xFE\xFF");
}

// A first pass counts the rows for a progress bar (splitting CSV costs little beside a scan),
// tells `records`, and rewinds.
Status countRows(TextWindow& text, const std::string& file,
                 const std::function<void(size_t)>& records) {
  CsvReader counter(text, file);
  CsvRecord rec;
  size_t rows = 0;
  while (true) {
    Diagnostics bad;
    const bool got = counter.next(rec, bad);
    rows += bad.items().size() + (got ? 1 : 0);
    if (!got) break;
  }
  if (!text.status().isOk()) return inventoryReadFailed(text);
  records(rows > 0 ? rows - 1 : 0);  // the header is not a row
  if (!text.rewind()) return inventoryReadFailed(text);
  return Status::ok();
}

}  // namespace

Result<InventoryReport> readCsvInventory(TextWindow& text, const std::string& file,
                                         const InventorySink& sink,
                                         const std::function<void(size_t)>& records) {
  if (isUtf16(text))
    return Status::invalidArgument(
        file + ":1:1: the file is UTF-16 (Excel's \"Unicode text\"); save it as CSV UTF-8");
  if (records)
    if (Status counted = countRows(text, file, records); !counted) return counted;

  InventoryReport report;
  CsvReader reader(text, file);
  CsvProblems problems;
  auto next = [&](CsvRecord& rec) {
    Diagnostics found;
    const bool got = reader.next(rec, found);
    problems.syntax(found);
    return got;
  };
  CsvRecord header;
  if (!next(header)) {
    if (!text.status().isOk()) return inventoryReadFailed(text);
    return Status::invalidArgument(SourceLocation{file, 1, 1}.str() +
                                   ": no header row; expected columns " +
                                   join(csvInventoryColumns(), ","));
  }
  Diagnostics header_warnings;
  auto columns = CsvColumns::fromHeader(header, file, header_warnings);
  if (!columns) return columns.status();
  problems.header(std::move(header_warnings));

  SeenIds seen;
  CsvRecord rec;
  for (size_t r = 1; next(rec); ++r) {
    Diagnostics row;
    std::optional<Tenant> t = columns->tenantFromRow(rec, r, row);
    if (!t) {
      problems.unreadable(std::move(row));
      continue;
    }
    Diagnostics duplicate;
    if (Status s = keepRecord(std::move(*t), {file, rec.line, 1}, seen, duplicate, report, sink);
        !s)
      return s;
    if (!duplicate.empty()) problems.duplicate(std::move(duplicate));
  }
  if (!text.status().isOk()) return inventoryReadFailed(text);
  problems.finish(report, file);
  if (!report.diagnostics.empty()) addQuotedLines(text, file, report.diagnostics);
  return report;
}

}  // namespace cspwatch::tenants
