// SPDX-License-Identifier: Apache-2.0
// Dynamic values and their static types: what the rules engine evaluates and what sources
// expose to it. A tenant becomes one Value (tenants/tenant_value.h); the rules engine checks
// field names against the ObjectType at load time and reads fields by index at run time, so no
// evaluation looks a name up.
//
// Values are immutable and cheap to copy: scalars inline, strings, lists and objects behind a
// shared pointer. An Error value is data that could not be had (a part a source failed to
// fetch, a division by zero): CEL's error rules propagate it, and a rule whose result is an
// error comes out "unknown". Values are safe to share between threads once built.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/time.h"

namespace cspwatch {

struct ObjectType;

// A static type, as far as it is known at load time. kDyn accepts anything.
struct Type {
  enum class Kind {
    kDyn,
    kNull,
    kBool,
    kInt,
    kDouble,
    kString,
    kTimestamp,
    kDuration,
    kList,
    kObject
  };
  Kind kind = Kind::kDyn;
  std::shared_ptr<const Type> elem;    // kList: the element type
  const ObjectType* object = nullptr;  // kObject: its fields; must outlive every user

  static Type dyn() { return {}; }
  static Type of(Kind k) { return {k, nullptr, nullptr}; }
  static Type listOf(Type elem) {
    return {Kind::kList, std::make_shared<Type>(std::move(elem)), nullptr};
  }
  static Type objectOf(const ObjectType* o) { return {Kind::kObject, nullptr, o}; }
  bool isDyn() const { return kind == Kind::kDyn; }
  std::string name() const;  // "string", "list(AdminRelationship)", ...
};

// A record type: named fields in a fixed order. Field indexes are positions in Value objects.
struct ObjectType {
  struct Field {
    std::string name;
    Type type;
    std::string doc;  // one line, for did-you-mean lists and generated docs
  };
  std::string name;
  std::vector<Field> fields;

  int fieldIndex(const std::string& field) const;  // -1 if absent
  std::vector<std::string> fieldNames() const;
};

class Value;
using ValueList = std::vector<Value>;

struct ObjectData {
  const ObjectType* type = nullptr;
  std::vector<Value> fields;  // same order as type->fields
};

class Value {
 public:
  enum class Kind : uint8_t {
    kNull,
    kBool,
    kInt,
    kDouble,
    kString,
    kTimestamp,
    kDuration,
    kList,
    kObject,
    kError
  };

  Value() = default;  // null
  static Value null() { return Value(); }
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value real(double d);
  static Value string(std::string s);
  // A timestamp, with `nanos` (0 to 999,999,999) after the second. CEL's range is the years 1
  // to 9999; rules/cel_time.h checks it where values are made from text or arithmetic.
  static Value timestamp(Timestamp t, int32_t nanos = 0);
  // A duration: CEL keeps one signed 64-bit count of nanoseconds (about +-292 years).
  // duration(Seconds) saturates beyond that.
  static Value duration(Seconds d);
  static Value durationNanos(int64_t nanos);
  static Value list(ValueList items);
  static Value object(const ObjectType* type, std::vector<Value> fields);
  static Value error(std::string message);

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::kNull; }
  bool isError() const { return kind_ == Kind::kError; }
  bool isBool() const { return kind_ == Kind::kBool; }

  // Accessors: REQUIRES the matching kind().
  bool asBool() const { return scalar_.b; }
  int64_t asInt() const { return scalar_.i; }
  double asDouble() const { return scalar_.d; }
  Timestamp asTimestamp() const { return fromUnixSeconds(scalar_.i); }
  int32_t timestampNanos() const { return nanos_; }  // after asTimestamp()'s second
  // Whole seconds, truncated towards zero; asDurationNanos() is the exact value.
  Seconds asDuration() const { return Seconds(scalar_.i / 1000000000); }
  int64_t asDurationNanos() const { return scalar_.i; }
  const std::string& asString() const { return *static_cast<const std::string*>(ptr_.get()); }
  const ValueList& asList() const { return *static_cast<const ValueList*>(ptr_.get()); }
  const ObjectData& asObject() const { return *static_cast<const ObjectData*>(ptr_.get()); }
  const std::string& errorMessage() const { return asString(); }

  // For messages and output: strings bare, lists "[a, b]", timestamps RFC 3339 (with the
  // fraction of a second when there is one), durations short form ("30d"; "1.5s" with a
  // fraction), errors "<unknown: why>". CEL's string() is rules/cel_time.h's for time values.
  std::string toText() const;
  static const char* kindName(Kind k);

 private:
  Kind kind_ = Kind::kNull;
  int32_t nanos_ = 0;  // kTimestamp only; sits in what would be padding
  union {
    bool b;
    int64_t i;
    double d;
  } scalar_{};
  std::shared_ptr<const void> ptr_;
};

// ".5", ".000001": a fraction of a second, trailing zeros dropped; "" for 0.
std::string fractionDigits(int32_t nanos);
// CEL's text for a duration: seconds with the fraction, "90000s", "-1.5s", "0.000000001s".
std::string durationSeconds(int64_t nanos);

// CEL equality: numbers compare by value across int and double; other kinds are equal only
// to the same kind; lists element-wise; objects field-wise. Errors are handled by the caller.
bool valuesEqual(const Value& a, const Value& b);

}  // namespace cspwatch
