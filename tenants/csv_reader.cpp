// SPDX-License-Identifier: Apache-2.0
#include "tenants/csv_reader.h"

#include <cstdio>

#include "common/text.h"

namespace cspwatch::tenants {

std::vector<CsvRecord> readCsv(const std::string& text, const std::string& file,
                               Diagnostics& diags) {
  TextWindow window(text);
  CsvReader reader(window, file);
  std::vector<CsvRecord> records;
  CsvRecord rec;
  while (reader.next(rec, diags)) records.push_back(std::move(rec));
  return records;
}

CsvReader::CsvReader(TextWindow& text, const std::string& file) : text_(text), file_(file) {
  if (text_.has(2) && text_.view(0, 3) == "\xEF\xBB\xBF") pos_ = line_start_ = 3;
}

bool CsvReader::next(CsvRecord& rec, Diagnostics& diags) {
  TextWindow& text = text_;
  size_t& pos = pos_;
  auto column = [&](size_t at) { return static_cast<int>(at - line_start_) + 1; };

  while (text.has(pos)) {
    text.release(pos);  // a record never looks back past its first byte
    rec = CsvRecord{};
    rec.line = line_;
    bool bad = false;
    std::string bad_message;
    int bad_line = line_, bad_col = 1;
    // Blank line: skip.
    if (lineBreakAt(pos)) {
      pos += crlfAt(pos) ? 2 : 1;
      newline(pos);
      continue;
    }
    while (true) {  // one field per iteration
      CsvField f;
      f.line = line_;
      f.column = column(pos);
      const bool quoted = text.has(pos) && text.at(pos) == '"';
      if (quoted) {
        ++pos;
        bool closed = false;
        while (text.has(pos)) {
          char c = text.at(pos);
          if (c == '"') {
            if (text.has(pos + 1) && text.at(pos + 1) == '"') {
              f.value += '"';
              pos += 2;
              continue;
            }
            ++pos;
            closed = true;
            break;
          }
          if (isLineBreak(c)) {  // a line break inside the field: LF, CRLF or CR
            f.value += c;
            ++pos;
            if (c == '\r' && text.has(pos) && text.at(pos) == '\n') f.value += text.at(pos++);
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
        if (text.has(pos) && text.at(pos) != ',' && !isLineBreak(text.at(pos)) && !bad) {
          bad = true;
          bad_message = "unexpected text after a closing quote";
          bad_line = line_;
          bad_col = column(pos);
        }
      } else {
        while (text.has(pos) && text.at(pos) != ',' && !isLineBreak(text.at(pos))) {
          if (text.at(pos) == '"' && !bad) {
            bad = true;
            bad_message =
                "a quote inside an unquoted field (quote the whole field and double the quote)";
            bad_line = line_;
            bad_col = column(pos);
          }
          f.value += text.at(pos++);
        }
      }
      // A NUL byte or bytes that are not UTF-8: the file is UTF-16, binary or in a legacy
      // encoding. Reported at the bad byte.
      size_t bad_at = 0;
      if (!bad && f.value.size() > kMaxCsvField) {
        bad = true;
        bad_message = "a field of " + std::to_string(f.value.size()) +
                      " bytes; a field may hold at most " + std::to_string(kMaxCsvField);
        bad_line = f.line;
        bad_col = f.column;
      }
      if (!bad && (f.value.find('\0') != std::string::npos || !isValidUtf8(f.value, &bad_at))) {
        bad = true;
        const size_t nul = f.value.find('\0');
        if (nul != std::string::npos) {
          bad_at = nul;
          bad_message = "a NUL byte in a field (is the file UTF-16? save it as CSV UTF-8)";
        } else {
          char byte[8];
          std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(f.value[bad_at]));
          bad_message = std::string("a field that is not valid UTF-8 (byte ") + byte +
                        "; save the file as CSV UTF-8)";
        }
        // Exact unless quotes were undoubled or lines broken before the bad byte.
        const bool exact = f.value.find_first_of("\r\n\"") >= bad_at;
        bad_line = f.line;
        bad_col = f.column + (exact ? static_cast<int>(bad_at) + (quoted ? 1 : 0) : 0);
      }
      // Skip the rest of a bad field up to the separator so we stay in step.
      while (bad && text.has(pos) && text.at(pos) != ',' && !isLineBreak(text.at(pos))) ++pos;
      rec.fields.push_back(std::move(f));
      if (text.has(pos) && text.at(pos) == ',') {
        ++pos;
        continue;
      }
      break;
    }
    // End of record: consume the line break (LF, CRLF, or a lone CR as old Mac exports end
    // lines; the line count must move on for each, or later positions are wrong).
    if (lineBreakAt(pos)) {
      pos += crlfAt(pos) ? 2 : 1;
      newline(pos);
    }
    if (bad) {
      diags.error("inventory.csv-syntax", {file_, bad_line, bad_col}, bad_message,
                  "this row was skipped");
      continue;
    }
    return true;
  }
  return false;
}

}  // namespace cspwatch::tenants
