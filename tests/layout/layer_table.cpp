// SPDX-License-Identifier: Apache-2.0
#include "tests/layout/layer_table.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/text.h"

namespace cspwatch::layout {
namespace {

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

bool LayerTable::mayInclude(const std::string& from, const std::string& to) const {
  if (from == to || !knows(to)) return true;
  const auto it = below_.find(from);
  return it != below_.end() && (contains(it->second, "*") || contains(it->second, to));
}

std::string LayerTable::allowedText(const std::string& folder) const {
  const auto it = below_.find(folder);
  if (it == below_.end() || it->second.empty()) return "nothing";
  if (contains(it->second, "*")) return "any folder";
  return join(it->second, ", ");
}

bool LayerTable::isNotSource(const std::string& topFolder) const {
  return std::any_of(notSource_.begin(), notSource_.end(), [&](const std::string& pattern) {
    if (!pattern.empty() && pattern.back() == '*') {
      return startsWith(topFolder, std::string_view(pattern).substr(0, pattern.size() - 1));
    }
    return topFolder == pattern;
  });
}

namespace {

// Checks the whole table once read: every name defined, no loop, lists closed downward.
Status checkTable(const std::map<std::string, std::vector<std::string>>& below,
                  const std::map<std::string, int>& lineOf, const std::string& name) {
  for (const auto& [folder, list] : below) {
    const std::string at = name + ":" + std::to_string(lineOf.at(folder)) + ": ";
    for (const std::string& to : list) {
      if (to == "*") continue;
      if (below.count(to) == 0) {
        return Status::invalidArgument(at + folder + " -> " + to + ", but " + to +
                                       " has no line of its own");
      }
      if (to == folder) return Status::invalidArgument(at + folder + " lists itself");
      const auto& next = below.at(to);
      if (contains(next, folder) || contains(next, "*")) {
        return Status::invalidArgument(at + folder + " and " + to + " may include each other");
      }
      for (const std::string& further : next) {
        if (!contains(list, further)) {
          return Status::invalidArgument(at + folder + " -> " + to + " and " + to + " -> " +
                                         further + ", so " + folder + " must list " + further);
        }
      }
    }
  }
  return Status::ok();
}

}  // namespace

Result<LayerTable> parseLayerTable(std::string_view text, const std::string& name) {
  LayerTable table;
  std::map<std::string, int> lineOf;
  int lineNo = 0;
  for (const std::string& raw : split(text, '\n')) {
    ++lineNo;
    const std::string at = name + ":" + std::to_string(lineNo) + ": ";
    const std::string_view line = trim(std::string_view(raw).substr(0, raw.find('#')));
    if (line.empty()) continue;
    if (const size_t arrow = line.find("->"); arrow != std::string_view::npos) {
      const std::vector<std::string> from = words(line.substr(0, arrow));
      if (from.size() != 1) return Status::invalidArgument(at + "one folder before '->'");
      if (table.knows(from[0])) return Status::invalidArgument(at + from[0] + " again");
      table.folders_.push_back(from[0]);
      table.below_[from[0]] = words(line.substr(arrow + 2));
      lineOf[from[0]] = lineNo;
    } else if (startsWith(line, "long-functions:")) {
      for (const std::string& w : words(line.substr(15))) table.longFunctions_.insert(w);
    } else if (startsWith(line, "not-source:")) {
      for (const std::string& w : words(line.substr(11))) table.notSource_.push_back(w);
    } else {
      return Status::invalidArgument(at +
                                     "expected 'folder -> folders', 'long-functions:' or "
                                     "'not-source:', not '" +
                                     std::string(line) + "'");
    }
  }
  if (table.folders_.empty()) return Status::invalidArgument(name + ": no folder");
  if (Status s = checkTable(table.below_, lineOf, name); !s) return s;
  return table;
}

Result<LayerTable> loadLayerTable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::notFound("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parseLayerTable(text.str(), path);
}

}  // namespace cspwatch::layout
