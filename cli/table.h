// SPDX-License-Identifier: Apache-2.0
// Plain-text tables for the CLI, sized to fit a terminal of a given width (by default the
// width runCli() chose: tableWidth()): shrinkable columns give up space, lowest shrink_order
// first (the widest of equal order first), never below their min_width; cut text ends in "...".
// With no width limit (output to a pipe or a file, or --wide) nothing is cut.
// Widths count UTF-8 code points, so "Müller GmbH" lines up.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace cspwatch::cli {

// No width to fit: every cell whole.
inline constexpr size_t kNoWidthLimit = static_cast<size_t>(-1);

// The width of what stdout shows: $COLUMNS when it is a positive number, else the terminal's
// width when stdout is a terminal (TIOCGWINSZ), else kNoWidthLimit (a pipe or a file: a script
// or a pager gets every cell whole).
size_t outputWidth();

// The width every table of this process fits by default. One setting for the process because
// there is one stdout: runCli() sets it (outputWidth(), or kNoWidthLimit for --wide) before a
// command runs; kNoWidthLimit until then. Not thread-safe: set it before commands start.
void setTableWidth(size_t width);
size_t tableWidth();

class Table {
 public:
  struct Column {
    std::string header;
    bool shrinkable = false;  // may be cut to fit the width
    size_t min_width = 4;
    int shrink_order = 1;  // among shrinkable columns, lower orders are cut first
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void addRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  size_t size() const { return rows_.size(); }
  void print(std::ostream& out, size_t max_width) const;
  void print(std::ostream& out) const { print(out, tableWidth()); }

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// A table printed row by row as the rows come, for output too long to hold (`scan --dry-run`
// over 200,000 tenants): every column has a fixed width, so no pass over the rows comes first.
// Cells are made safe and, when `cut`, cut to their width ("...") as Table's are; when not, a
// longer cell is printed whole and pushes the rest of its line. The last column is not padded. The
// header line is printed before the first row, or by printHeader() for a table that has none. Not
// thread-safe.
class StreamedTable {
 public:
  struct Column {
    std::string header;
    size_t width;
  };

  StreamedTable(std::ostream& out, std::vector<Column> columns, bool cut = true)
      : out_(out), columns_(std::move(columns)), cut_(cut) {}
  void printRow(const std::vector<std::string>& cells);
  void printHeader();  // once; later calls do nothing
  size_t rows() const { return rows_; }

 private:
  void line(const std::vector<std::string>& cells);

  std::ostream& out_;
  std::vector<Column> columns_;
  bool cut_;
  bool header_printed_ = false;
  size_t rows_ = 0;
};

size_t displayWidth(const std::string& utf8);

}  // namespace cspwatch::cli
