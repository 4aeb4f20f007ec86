// SPDX-License-Identifier: Apache-2.0
#include "tests/contract/contract_json.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace cspwatch::contract {

using Poco::Dynamic::Var;

std::string describe(const Problems& problems) {
  std::string out;
  for (const auto& p : problems) out += p.path + ": " + p.message + "\n";
  return out;
}

JsonKind jsonKind(const Var& v) {
  if (v.isEmpty()) return JsonKind::kNull;
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) return JsonKind::kObject;
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) return JsonKind::kArray;
  if (v.isBoolean()) return JsonKind::kBool;
  if (v.isNumeric()) return JsonKind::kNumber;
  if (v.isString()) return JsonKind::kString;
  // Poco's parser gives nothing else; a hand-built Var of another type is a test bug.
  throw std::runtime_error(std::string("not a JSON value: ") + v.type().name());
}

const char* kindName(JsonKind k) {
  switch (k) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kBool:
      return "boolean";
    case JsonKind::kNumber:
      return "number";
    case JsonKind::kString:
      return "string";
    case JsonKind::kObject:
      return "object";
    case JsonKind::kArray:
      return "array";
  }
  return "?";
}

std::string preview(const Var& v) {
  switch (jsonKind(v)) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kObject:
      return "{...}";
    case JsonKind::kArray:
      return "[" + std::to_string(v.extract<Poco::JSON::Array::Ptr>()->size()) + " items]";
    case JsonKind::kString: {
      std::string s = v.extract<std::string>();
      if (s.size() > 70) s = s.substr(0, 67) + "...";
      return "\"" + s + "\"";
    }
    default:
      return v.convert<std::string>();
  }
}

std::string memberPath(const std::string& path, const std::string& key) {
  bool plain = !key.empty() && (std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_');
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') plain = false;
  return plain ? path + "." + key : path + "['" + key + "']";
}

std::string elementPath(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string wildcardPath(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '[' && i + 1 < path.size() &&
        std::isdigit(static_cast<unsigned char>(path[i + 1]))) {
      size_t j = i + 1;
      while (j < path.size() && std::isdigit(static_cast<unsigned char>(path[j]))) ++j;
      if (j < path.size() && path[j] == ']') {
        out += "[*]";
        i = j;
        continue;
      }
    }
    out += path[i];
  }
  return out;
}

Var parseJson(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text);
}

Var readJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  return parseJson(buf.str());
}

void DeviationLog::add(const std::string& route, const Problems& problems,
                       const std::string& where) {
  for (const auto& p : problems) add(route, p.path, p.message, where);
}

void DeviationLog::add(const std::string& route, const std::string& path,
                       const std::string& message, const std::string& where) {
  Entry& e = entries_[{route, wildcardPath(path)}];
  if (e.count++ == 0) e.message = message;
  if (!where.empty()) e.where.insert(where);
}

std::string DeviationLog::report() const {
  std::string out;
  for (const auto& [key, e] : entries_) {
    out += key.first + "  " + key.second + ": " + e.message;
    std::string note = e.count > 1 ? std::to_string(e.count) + " times" : "";
    for (const auto& w : e.where) note += (note.empty() ? "" : "; ") + w;
    if (!note.empty()) out += " (" + note + ")";
    out += "\n";
  }
  return out;
}

}  // namespace cspwatch::contract
