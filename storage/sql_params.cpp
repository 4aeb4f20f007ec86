// SPDX-License-Identifier: Apache-2.0
// Written by hand: a scanner of four token kinds (quoted text, quoted names, comments,
// parameters), which no library in our dependencies offers on its own.
#include "storage/sql_params.h"

#include <algorithm>
#include <cctype>

namespace cspwatch::storage::detail {

namespace {

// Copies from `i` through the closing `quote` (a doubled quote stays inside); returns the index
// after it, or the end.
size_t copyQuoted(const std::string& sql, size_t i, char quote, std::string& out) {
  out += sql[i++];
  while (i < sql.size()) {
    out += sql[i];
    if (sql[i++] != quote) continue;
    if (i < sql.size() && sql[i] == quote) {
      out += sql[i++];
      continue;
    }
    break;
  }
  return i;
}

size_t copyComment(const std::string& sql, size_t i, std::string& out) {
  const bool line = sql[i + 1] == '-';
  const size_t end = line ? sql.find('\n', i) : sql.find("*/", i + 2);
  const size_t stop = end == std::string::npos ? sql.size() : end + (line ? 1 : 2);
  out.append(sql, i, stop - i);
  return stop;
}

}  // namespace

ParamSql toDollarParams(const std::string& sql) {
  ParamSql p;
  p.text.reserve(sql.size() + 8);
  int next = 1;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      i = copyQuoted(sql, i, c, p.text);
    } else if ((c == '-' || c == '/') && i + 1 < sql.size() &&
               sql[i + 1] == (c == '-' ? '-' : '*')) {
      i = copyComment(sql, i, p.text);
    } else if (c == '?') {
      size_t j = i + 1;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) ++j;
      const int n = j > i + 1 ? std::stoi(sql.substr(i + 1, j - i - 1)) : next;
      next = std::max(next, n + 1);
      p.count = std::max(p.count, n);
      p.text += '$' + std::to_string(n);
      i = j;
    } else {
      p.text += c;
      ++i;
    }
  }
  return p;
}

}  // namespace cspwatch::storage::detail
