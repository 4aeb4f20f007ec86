// SPDX-License-Identifier: Apache-2.0
#include "tenants/csv_reader.h"

namespace cspwatch::tenants {

std::vector<CsvRecord> readCsv(const std::string& text, const std::string& file,
                               Diagnostics& diags) {
  std::vector<CsvRecord> records;
  size_t pos = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;
  int line = 1;
  size_t line_start = pos;  // offset of the current line's first byte, for columns
  const size_t n = text.size();

  auto column = [&](size_t at) { return static_cast<int>(at - line_start) + 1; };
  auto newline = [&](size_t at) {  // `at` is the offset just past the line break
    ++line;
    line_start = at;
  };

  while (pos < n) {
    CsvRecord rec;
    rec.line = line;
    bool bad = false;
    std::string bad_message;
    int bad_line = line, bad_col = 1;
    // Blank line: skip.
    if (text[pos] == '\n' || (text[pos] == '\r' && pos + 1 < n && text[pos + 1] == '\n')) {
      pos += text[pos] == '\r' ? 2 : 1;
      newline(pos);
      continue;
    }
    while (true) {  // one field per iteration
      CsvField f;
      f.line = line;
      f.column = column(pos);
      if (pos < n && text[pos] == '"') {
        ++pos;
        bool closed = false;
        while (pos < n) {
          char c = text[pos];
          if (c == '"') {
            if (pos + 1 < n && text[pos + 1] == '"') {
              f.value += '"';
              pos += 2;
              continue;
            }
            ++pos;
            closed = true;
            break;
          }
          if (c == '\n') {
            f.value += c;
            ++pos;
            newline(pos);
            continue;
          }
          f.value += c;
          ++pos;
        }
        if (!closed) {
          bad = true;
          bad_message = "a quoted field is never closed";
          bad_line = f.line;
          bad_col = f.column;
          break;
        }
        if (pos < n && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r' && !bad) {
          bad = true;
          bad_message = "unexpected text after a closing quote";
          bad_line = line;
          bad_col = column(pos);
        }
      } else {
        while (pos < n && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') {
          if (text[pos] == '"' && !bad) {
            bad = true;
            bad_message =
                "a quote inside an unquoted field (quote the whole field and double the quote)";
            bad_line = line;
            bad_col = column(pos);
          }
          f.value += text[pos++];
        }
      }
      // Skip the rest of a bad field up to the separator so we stay in step.
      while (bad && pos < n && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') ++pos;
      rec.fields.push_back(std::move(f));
      if (pos < n && text[pos] == ',') {
        ++pos;
        continue;
      }
      break;
    }
    // End of record: consume the line break.
    if (pos < n && text[pos] == '\r') ++pos;
    if (pos < n && text[pos] == '\n') {
      ++pos;
      newline(pos);
    }
    if (bad) {
      diags.error("inventory.csv-syntax", {file, bad_line, bad_col}, bad_message,
                  "this row was skipped");
      continue;
    }
    records.push_back(std::move(rec));
  }
  return records;
}

}  // namespace cspwatch::tenants
