// SPDX-License-Identifier: Apache-2.0
// What the contract checkers share: a problem found at a JSON path, JSON kinds, path spelling,
// a strict parser, and the deviation log the contract tests print.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>

namespace cspwatch::contract {

// One thing wrong with a body, at a JSONPath: "$.value[0]['@odata.type']".
struct Problem {
  std::string path;
  std::string message;
};
using Problems = std::vector<Problem>;

// "path: message", one a line.
std::string describe(const Problems& problems);

enum class JsonKind { kNull, kBool, kNumber, kString, kObject, kArray };
// The kind of a value as Poco's JSON parser gives it (Object::Ptr, Array::Ptr, scalars, empty).
JsonKind jsonKind(const Poco::Dynamic::Var& value);
const char* kindName(JsonKind kind);
// A short rendering of a value for messages: strings quoted, containers as {...} / [n items].
std::string preview(const Poco::Dynamic::Var& value);

// JSONPath of member `key` of the value at `path` ($.a, or $['@odata.type'] for other names),
// and of element `index`.
std::string memberPath(const std::string& path, const std::string& key);
std::string elementPath(const std::string& path, size_t index);
// The path with every array index replaced by [*]: one entry for the same place in every item.
std::string wildcardPath(const std::string& path);

// Parses JSON text; throws Poco::Exception (JSON syntax) or std::runtime_error.
Poco::Dynamic::Var parseJson(const std::string& text);
Poco::Dynamic::Var readJsonFile(const std::string& path);

// Problems gathered over many bodies of many routes, merged by route and wildcard path so the
// same deviation in 400 items reads as one line with a count.
class DeviationLog {
 public:
  // `where` (a world's name, say) is listed with the deviation so one seen only in one world
  // says so.
  void add(const std::string& route, const Problems& problems, const std::string& where = "");
  void add(const std::string& route, const std::string& path, const std::string& message,
           const std::string& where = "");
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }
  // One line per deviation: "route  path: message (N times; where...)".
  std::string report() const;

 private:
  struct Entry {
    std::string message;  // the first message seen
    size_t count = 0;
    std::set<std::string> where;
  };
  std::map<std::pair<std::string, std::string>, Entry> entries_;  // (route, wildcard path)
};

}  // namespace cspwatch::contract
