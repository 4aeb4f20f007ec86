// SPDX-License-Identifier: Apache-2.0
// Reading Partner Center and Graph answers strictly (Poco::JSON objects).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/guid.h"
#include "common/status.h"
#include "common/text.h"
#include "common/time.h"

namespace cspwatch::tenants {

// Reads a service's answer strictly. The first value of the wrong type (or missing where the
// service always sends one) is remembered, and the part it belongs to is then reported unknown
// with that reason: never read as empty, false or shorter than it is, which could resolve a
// finding or raise a false one (found by the bad-input corpus: an answer with 'value' missing
// emptied a tenant's partners and resolved its findings).
class Strict {
 public:
  explicit Strict(std::string what) : what_(std::move(what)) {}
  bool ok() const { return problem_.empty(); }
  Status status() const {
    return Status::corruption("malformed answer from " + what_ + ": " + problem_);
  }
  void fail(const std::string& problem) {
    if (problem_.empty()) problem_ = problem;
  }

  // The list under `key`; null (and remembered) when it is absent or not a list.
  Poco::JSON::Array::Ptr list(const Poco::JSON::Object::Ptr& o, const std::string& key,
                              bool required = true) {
    if (!o) return nullptr;
    if (o->isArray(key)) return o->getArray(key);
    if (required || (o->has(key) && !o->isNull(key))) fail("'" + key + "' is not a list");
    return nullptr;
  }
  // Item `i` of `a`, which must be an object.
  Poco::JSON::Object::Ptr item(const Poco::JSON::Array::Ptr& a, size_t i,
                               const std::string& where) {
    auto o = a->getObject(static_cast<unsigned>(i));
    if (!o) fail(where + "[" + std::to_string(i) + "] is not an object");
    return o;
  }
  // An object under `key`; null when absent or null, remembered when of another type.
  Poco::JSON::Object::Ptr object(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) return nullptr;
    if (o->isObject(key)) return o->getObject(key);
    fail("'" + key + "' is not an object");
    return nullptr;
  }
  // A string; nullopt when absent or null (remembered if `required`), remembered when of
  // another type or longer than any real value.
  std::optional<std::string> string(const Poco::JSON::Object::Ptr& o, const std::string& key,
                                    bool required = false) {
    if (!o || !o->has(key) || o->isNull(key)) {
      if (required) fail("'" + key + "' is missing");
      return std::nullopt;
    }
    const Poco::Dynamic::Var v = o->get(key);
    if (!v.isString()) {
      fail("'" + key + "' is not a string");
      return std::nullopt;
    }
    std::string s = v.extract<std::string>();
    if (s.size() > kMaxString) {
      fail("'" + key + "' is " + std::to_string(s.size()) + " bytes long");
      return std::nullopt;
    }
    return s;
  }
  // A GUID string (required).
  std::optional<std::string> guid(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    auto s = string(o, key, true);
    if (!s) return std::nullopt;
    auto g = normalizeGuid(*s);
    if (!g) fail("'" + key + "' is not a GUID: '" + abbreviate(*s, 60) + "'");
    return g;
  }
  std::optional<Timestamp> time(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    auto s = string(o, key);
    if (!s) return std::nullopt;
    auto t = parseTimestamp(*s);
    if (!t) fail("'" + key + "' is not a date and time: '" + abbreviate(*s, 60) + "'");
    return t;
  }
  // A list of strings under `key`: nullopt when absent or null (a property a missing
  // permission nulls), remembered when of another type or with an item that is not a string.
  std::optional<std::vector<std::string>> strings(const Poco::JSON::Object::Ptr& o,
                                                  const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) return std::nullopt;
    if (!o->isArray(key)) {
      fail("'" + key + "' is not a list");
      return std::nullopt;
    }
    auto a = o->getArray(key);
    std::vector<std::string> out;
    for (size_t i = 0; i < a->size(); ++i) {
      const Poco::Dynamic::Var v = a->get(static_cast<unsigned>(i));
      if (!v.isString()) {
        fail(key + "[" + std::to_string(i) + "] is not a string");
        return std::nullopt;
      }
      out.push_back(v.extract<std::string>());
    }
    return out;
  }
  // true or false; nullopt when absent or null, remembered when of another type.
  std::optional<bool> boolean(const Poco::JSON::Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key) || o->isNull(key)) return std::nullopt;
    const Poco::Dynamic::Var v = o->get(key);
    if (!v.isBoolean()) {
      fail("'" + key + "' is not true or false");
      return std::nullopt;
    }
    return v.extract<bool>();
  }

 private:
  static constexpr size_t kMaxString = 64 * 1024;
  std::string what_;
  std::string problem_;
};

}  // namespace cspwatch::tenants
