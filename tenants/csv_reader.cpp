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
  while (text_.has(pos_)) {
    text_.release(pos_);  // a record never looks back past its first byte
    rec = CsvRecord{};
    rec.line = line_;
    if (lineBreakAt(pos_)) {  // a blank line: skipped
      skipLineBreak();
      continue;
    }
    const std::optional<Defect> defect = readFields(rec);
    if (lineBreakAt(pos_)) skipLineBreak();  // the record's end
    if (defect) {
      diags.error("inventory.csv-syntax", {file_, defect->line, defect->column}, defect->message,
                  "this row was skipped");
      continue;
    }
    return true;
  }
  return false;
}

std::optional<CsvReader::Defect> CsvReader::readFields(CsvRecord& rec) {
  std::optional<Defect> defect;
  while (true) {  // one field per iteration
    CsvField f;
    f.line = line_;
    f.column = column(pos_);
    const bool quoted = text_.has(pos_) && text_.at(pos_) == '"';
    if (quoted) {
      if (!readQuoted(f, defect)) return Defect{"a quoted field is never closed", f.line, f.column};
    } else {
      readUnquoted(f, defect);
    }
    if (!defect) defect = checkValue(f, quoted);
    // Skip the rest of a bad record's field up to the separator so we stay in step.
    while (defect && text_.has(pos_) && text_.at(pos_) != ',' && !isLineBreak(text_.at(pos_)))
      ++pos_;
    rec.fields.push_back(std::move(f));
    if (!text_.has(pos_) || text_.at(pos_) != ',') return defect;
    ++pos_;
  }
}

bool CsvReader::readQuoted(CsvField& f, std::optional<Defect>& defect) {
  ++pos_;
  while (text_.has(pos_)) {
    const char c = text_.at(pos_);
    if (c == '"') {
      if (text_.has(pos_ + 1) && text_.at(pos_ + 1) == '"') {
        f.value += '"';
        pos_ += 2;
        continue;
      }
      ++pos_;
      if (text_.has(pos_) && text_.at(pos_) != ',' && !isLineBreak(text_.at(pos_)) && !defect)
        defect = Defect{"unexpected text after a closing quote", line_, column(pos_)};
      return true;
    }
    if (isLineBreak(c)) {  // a line break inside the field: LF, CRLF or CR
      f.value += c;
      ++pos_;
      if (c == '\r' && text_.has(pos_) && text_.at(pos_) == '\n') f.value += text_.at(pos_++);
      newline(pos_);
      continue;
    }
    f.value += c;
    ++pos_;
  }
  return false;
}

void CsvReader::readUnquoted(CsvField& f, std::optional<Defect>& defect) {
  while (text_.has(pos_) && text_.at(pos_) != ',' && !isLineBreak(text_.at(pos_))) {
    if (text_.at(pos_) == '"' && !defect)
      defect =
          Defect{"a quote inside an unquoted field (quote the whole field and double the quote)",
                 line_, column(pos_)};
    f.value += text_.at(pos_++);
  }
}

std::optional<CsvReader::Defect> CsvReader::checkValue(const CsvField& f, bool quoted) {
  if (f.value.size() > kMaxCsvField)
    return Defect{"a field of " + std::to_string(f.value.size()) +
                      " bytes; a field may hold at most " + std::to_string(kMaxCsvField),
                  f.line, f.column};
  // A NUL byte or bytes that are not UTF-8: the file is UTF-16, binary or in a legacy
  // encoding. Reported at the bad byte.
  size_t bad_at = 0;
  const size_t nul = f.value.find('\0');
  if (nul == std::string::npos && isValidUtf8(f.value, &bad_at)) return std::nullopt;
  std::string message;
  if (nul != std::string::npos) {
    bad_at = nul;
    message = "a NUL byte in a field (is the file UTF-16? save it as CSV UTF-8)";
  } else {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(f.value[bad_at]));
    message = std::string("a field that is not valid UTF-8 (byte ") + byte +
              "; save the file as CSV UTF-8)";
  }
  // Exact unless quotes were undoubled or lines broken before the bad byte.
  const bool exact = f.value.find_first_of("\r\n\"") >= bad_at;
  return Defect{message, f.line,
                f.column + (exact ? static_cast<int>(bad_at) + (quoted ? 1 : 0) : 0)};
}

}  // namespace cspwatch::tenants
