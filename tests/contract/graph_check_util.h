// SPDX-License-Identifier: Apache-2.0
// What the Graph checkers share (graph_schema.cpp for types and collections, graph_error.cpp
// for error bodies): a JSON value taken as an object or an array, a problem added to a list and
// its "expected X, got Y" message, and the pieces of the Edm date and time forms (defined in
// graph_edm.cpp with the forms graph_schema.h declares). Test code only; no errors to report.
#pragma once

#include <cstddef>
#include <string>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "tests/contract/contract_json.h"

namespace cspwatch::contract {

inline Poco::JSON::Object::Ptr asObject(const Poco::Dynamic::Var& v) {
  return jsonKind(v) == JsonKind::kObject ? v.extract<Poco::JSON::Object::Ptr>()
                                          : Poco::JSON::Object::Ptr();
}
inline Poco::JSON::Array::Ptr asArray(const Poco::Dynamic::Var& v) {
  return jsonKind(v) == JsonKind::kArray ? v.extract<Poco::JSON::Array::Ptr>()
                                         : Poco::JSON::Array::Ptr();
}

inline void add(Problems& out, const std::string& path, const std::string& message) {
  out.push_back({path, message});
}

inline std::string expected(const std::string& type, const Poco::Dynamic::Var& v) {
  return "expected " + type + ", got " + std::string(kindName(jsonKind(v))) + " " + preview(v);
}

// "YYYY-MM-DDTHH:MM:SS[.f+]" at the start of s: the position after it, or npos.
std::size_t dateTimePrefix(const std::string& s);
// An offset ("Z", "+10:00") from `pos` to the end of s.
bool offsetAt(const std::string& s, std::size_t pos);
// Edm.Date: "YYYY-MM-DD".
bool isDate(const std::string& s);
// "https://..." or "http://..." with something after the scheme.
bool isAbsoluteHttpUrl(const std::string& s);

}  // namespace cspwatch::contract
