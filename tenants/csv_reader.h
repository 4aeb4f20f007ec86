// SPDX-License-Identifier: Apache-2.0
// An RFC 4180 CSV reader that remembers where every field starts, so that a bad value in an
// inventory export is reported at file:line:column. Written by hand: none of our libraries
// (Poco, yaml-cpp) reads CSV, and the format is small. Accepts what spreadsheet and CRM exports
// produce: a UTF-8 byte-order mark, CRLF, LF or lone CR (old Mac) line ends, each counted as
// one line, quoted fields with "" escapes and embedded line breaks, and blank lines (skipped).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "tenants/text_window.h"

namespace cspwatch::tenants {

struct CsvField {
  std::string value;
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes
};

struct CsvRecord {
  std::vector<CsvField> fields;
  int line = 0;  // where the record starts
};

// The longest field read: no inventory value comes near it, and a 10 MB cell is an error rather
// than a tenant name.
inline constexpr size_t kMaxCsvField = 64 * 1024;

// Splits `text` into records. Malformed records (a quote inside an unquoted field, text after
// a closing quote, a quote never closed, a field longer than kMaxCsvField, a NUL byte or bytes
// that are not UTF-8 in a field)
// are reported as "inventory.csv-syntax" errors in `diags` and left out of the result; reading
// goes on with the next line.
std::vector<CsvRecord> readCsv(const std::string& text, const std::string& file,
                               Diagnostics& diags);

// The same, one record at a time from a window (tenants/text_window.h) that it releases as it
// goes, so that a file of any length is read in the memory of one record. `text` and `file`
// must outlive the reader.
class CsvReader {
 public:
  CsvReader(TextWindow& text, const std::string& file);
  // The next good record, skipping blank lines and malformed records (each reported in `diags`
  // as readCsv() reports it); false at the end of the text.
  bool next(CsvRecord& record, Diagnostics& diags);

 private:
  // What makes a record malformed: the first problem found in it, at its place.
  struct Defect {
    std::string message;
    int line;
    int column;
  };

  // The fields of the record at the position, up to its line break (not taken); its defect.
  std::optional<Defect> readFields(CsvRecord& rec);
  // A quoted field from its opening quote: "" is a quote, line breaks are kept. False when the
  // quote is never closed (the text ends first); text after the closing quote sets `defect`.
  bool readQuoted(CsvField& f, std::optional<Defect>& defect);
  // An unquoted field, up to a ',' or a line break; a quote inside it sets `defect`.
  void readUnquoted(CsvField& f, std::optional<Defect>& defect);
  // A field too long, or with a NUL byte or bytes that are not UTF-8.
  static std::optional<Defect> checkValue(const CsvField& f, bool quoted);

  int column(size_t at) const { return static_cast<int>(at - line_start_) + 1; }
  bool lineBreakAt(size_t at) { return text_.has(at) && isLineBreak(text_.at(at)); }
  static bool isLineBreak(char c) { return c == '\n' || c == '\r'; }
  bool crlfAt(size_t at) {
    return text_.has(at + 1) && text_.at(at) == '\r' && text_.at(at + 1) == '\n';
  }
  // Takes the line break at the position: LF, CRLF, or a lone CR as old Mac exports end lines
  // (the line count must move on for each, or later positions are wrong).
  void skipLineBreak() {
    pos_ += crlfAt(pos_) ? 2 : 1;
    newline(pos_);
  }
  void newline(size_t at) {  // `at` is the offset just past the line break
    ++line_;
    line_start_ = at;
  }

  TextWindow& text_;
  const std::string& file_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;  // offset of the current line's first byte, for columns
};

}  // namespace cspwatch::tenants
