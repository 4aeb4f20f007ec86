// SPDX-License-Identifier: Apache-2.0
// Plain-text tables for the CLI, sized to fit a terminal of a given width (100 columns by
// default): shrinkable columns give up space, lowest shrink_order first (the widest of equal
// order first), never below their min_width; cut text ends in "...".
// Widths count UTF-8 code points, so "Müller GmbH" lines up.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace cspwatch::daemon {

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
  void print(std::ostream& out, size_t max_width = 100) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

size_t displayWidth(const std::string& utf8);

}  // namespace cspwatch::daemon
