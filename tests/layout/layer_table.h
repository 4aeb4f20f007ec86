// SPDX-License-Identifier: Apache-2.0
// The layer table: which first-party folders the files of each folder may #include. It is read
// from one text file, tests/layout/layers.txt, which says its format in its own comments:
//
//   msapi -> common          a folder, then the folders below it that it may include
//   bench -> *               "*": any first-party folder
//   long-functions: tests    folders exempt from the function limit (the file limit holds)
//   not-source: build-*      top-level folders that are not first-party sources
//
// A file may always include its own folder. parseLayerTable refuses a table that names a folder
// it does not define, that loops (a -> b and b -> a, directly or not) or whose lists are not
// closed downward (a -> b and b -> c, but not a -> c): every such mistake is an error value
// naming the line.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace cspwatch::layout {

class LayerTable {
 public:
  bool knows(const std::string& folder) const { return below_.count(folder) > 0; }
  // True when `from` is `to`, when `from` may include anything, or when `to` is no folder of the
  // table (a third-party path such as "yaml-cpp/yaml.h" is not the table's business).
  bool mayInclude(const std::string& from, const std::string& to) const;
  // What `folder` may include, for messages: "msapi, common", "nothing" or "any folder".
  std::string allowedText(const std::string& folder) const;
  bool longFunctionsAllowed(const std::string& folder) const {
    return longFunctions_.count(folder) > 0;
  }
  bool isNotSource(const std::string& topFolder) const;
  const std::vector<std::string>& folders() const { return folders_; }

 private:
  friend Result<LayerTable> parseLayerTable(std::string_view text, const std::string& name);
  std::vector<std::string> folders_;                       // in the table's order
  std::map<std::string, std::vector<std::string>> below_;  // {"*"}: any folder
  std::set<std::string> longFunctions_;
  std::vector<std::string> notSource_;  // names; a trailing '*' matches any rest
};

// `name` is the file's name for error messages.
Result<LayerTable> parseLayerTable(std::string_view text, const std::string& name);
Result<LayerTable> loadLayerTable(const std::string& path);

}  // namespace cspwatch::layout
