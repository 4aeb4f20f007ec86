// SPDX-License-Identifier: Apache-2.0
#include "cli/table.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include <sys/ioctl.h>
#include <unistd.h>

#include "common/text.h"

namespace cspwatch::cli {

size_t displayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;  // count lead bytes only
  return n;
}

namespace {

size_t table_width = kNoWidthLimit;

// The first `width` code points of `s`, with "..." in place of the cut part.
std::string fit(const std::string& s, size_t width) {
  if (displayWidth(s) <= width) return s;
  if (width <= 3) return std::string(width, '.');
  size_t keep = width - 3, count = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (count == keep) break;
      ++count;
    }
  }
  return s.substr(0, i) + "...";
}

std::string sanitize(const std::string& s) {
  // Tenant data is not ours: keep control characters out of the terminal, and show the
  // invisible ones (a right-to-left override would make "moc.osotnoc" read "contoso.com").
  std::string out = showInvisible(s);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

}  // namespace

size_t outputWidth() {
  if (const char* columns = std::getenv("COLUMNS"); columns != nullptr && *columns != '\0') {
    char* end = nullptr;
    const long n = std::strtol(columns, &end, 10);
    if (*end == '\0' && n > 0) return static_cast<size_t>(n);
  }
  struct winsize size {};
  if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 &&
      size.ws_col > 0)
    return size.ws_col;
  return kNoWidthLimit;
}

void setTableWidth(size_t width) { table_width = width; }
size_t tableWidth() { return table_width; }

void Table::print(std::ostream& out, size_t max_width) const {
  const size_t n = columns_.size();
  std::vector<size_t> width(n);
  for (size_t c = 0; c < n; ++c) {
    width[c] = displayWidth(columns_[c].header);
    for (const auto& row : rows_)
      if (c < row.size()) width[c] = std::max(width[c], displayWidth(sanitize(row[c])));
  }
  const size_t gaps = n > 0 ? (n - 1) * 2 : 0;
  size_t total = std::accumulate(width.begin(), width.end(), gaps);
  // Shrink one column by one step at a time until the table fits: the lowest shrink_order
  // first, and among equals the widest, so that equal columns end up equally wide.
  while (total > max_width) {
    size_t best = n;
    for (size_t c = 0; c < n; ++c) {
      const Column& col = columns_[c];
      if (!col.shrinkable || width[c] <= col.min_width) continue;
      if (best == n || col.shrink_order < columns_[best].shrink_order ||
          (col.shrink_order == columns_[best].shrink_order && width[c] > width[best]))
        best = c;
    }
    if (best == n) break;
    --width[best];
    --total;
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < n; ++c) {
      std::string cell = fit(c < cells.size() ? sanitize(cells[c]) : "", width[c]);
      text += cell;
      if (c + 1 < n) text += std::string(width[c] - displayWidth(cell) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  std::vector<std::string> headers;
  for (const auto& col : columns_) headers.push_back(col.header);
  line(headers);
  for (const auto& row : rows_) line(row);
}

void StreamedTable::printHeader() {
  if (header_printed_) return;
  header_printed_ = true;
  std::vector<std::string> headers;
  for (const auto& col : columns_) headers.push_back(col.header);
  line(headers);
}

void StreamedTable::printRow(const std::vector<std::string>& cells) {
  printHeader();
  line(cells);
  ++rows_;
}

void StreamedTable::line(const std::vector<std::string>& cells) {
  std::string text;
  for (size_t c = 0; c < columns_.size(); ++c) {
    const size_t width = columns_[c].width;
    std::string cell = c < cells.size() ? sanitize(cells[c]) : "";
    if (cut_) cell = fit(cell, width);
    text += cell;
    if (c + 1 < columns_.size())
      text += std::string(std::max(width, displayWidth(cell)) - displayWidth(cell) + 2, ' ');
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  out_ << text << "\n";
}

}  // namespace cspwatch::cli
