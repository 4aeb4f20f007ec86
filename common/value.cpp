// SPDX-License-Identifier: Apache-2.0
#include "common/value.h"

#include <cmath>
#include <cstdio>

namespace cspwatch {

std::string fractionDigits(int32_t nanos) {
  if (nanos == 0) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%09d", static_cast<int>(nanos));
  std::string out = buf;
  while (out.back() == '0') out.pop_back();
  return out;
}

std::string durationSeconds(int64_t nanos) {
  // Magnitude as unsigned: INT64_MIN has no positive int64.
  const uint64_t m = nanos < 0 ? 0 - static_cast<uint64_t>(nanos) : static_cast<uint64_t>(nanos);
  return (nanos < 0 ? "-" : "") + std::to_string(m / 1000000000) +
         fractionDigits(static_cast<int32_t>(m % 1000000000)) + "s";
}

std::string Type::name() const {
  switch (kind) {
    case Kind::kDyn:
      return "dyn";
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kDouble:
      return "double";
    case Kind::kString:
      return "string";
    case Kind::kTimestamp:
      return "timestamp";
    case Kind::kDuration:
      return "duration";
    case Kind::kList:
      return "list(" + (elem ? elem->name() : std::string("dyn")) + ")";
    case Kind::kObject:
      return object != nullptr ? object->name : "object";
  }
  return "dyn";
}

int ObjectType::fieldIndex(const std::string& field) const {
  for (size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == field) return static_cast<int>(i);
  return -1;
}

std::vector<std::string> ObjectType::fieldNames() const {
  std::vector<std::string> out;
  for (const auto& f : fields) out.push_back(f.name);
  return out;
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.scalar_.b = b;
  return v;
}

Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.scalar_.i = i;
  return v;
}

Value Value::real(double d) {
  Value v;
  v.kind_ = Kind::kDouble;
  v.scalar_.d = d;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.ptr_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::timestamp(Timestamp t, int32_t nanos) {
  Value v;
  v.kind_ = Kind::kTimestamp;
  v.scalar_.i = toUnixSeconds(t);
  v.nanos_ = nanos;
  return v;
}

Value Value::duration(Seconds d) {
  constexpr int64_t kMax = INT64_MAX / 1000000000;
  const int64_t s = d.count();
  return durationNanos(s > kMax ? INT64_MAX : s < -kMax ? INT64_MIN : s * 1000000000);
}

Value Value::durationNanos(int64_t nanos) {
  Value v;
  v.kind_ = Kind::kDuration;
  v.scalar_.i = nanos;
  return v;
}

Value Value::list(ValueList items) {
  Value v;
  v.kind_ = Kind::kList;
  v.ptr_ = std::make_shared<const ValueList>(std::move(items));
  return v;
}

Value Value::object(const ObjectType* type, std::vector<Value> fields) {
  Value v;
  v.kind_ = Kind::kObject;
  v.ptr_ = std::make_shared<const ObjectData>(ObjectData{type, std::move(fields)});
  return v;
}

Value Value::error(std::string message) {
  Value v;
  v.kind_ = Kind::kError;
  v.ptr_ = std::make_shared<const std::string>(std::move(message));
  return v;
}

const char* Value::kindName(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kDouble:
      return "double";
    case Kind::kString:
      return "string";
    case Kind::kTimestamp:
      return "timestamp";
    case Kind::kDuration:
      return "duration";
    case Kind::kList:
      return "list";
    case Kind::kObject:
      return "object";
    case Kind::kError:
      return "error";
  }
  return "?";
}

std::string Value::toText() const {
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return scalar_.b ? "true" : "false";
    case Kind::kInt:
      return std::to_string(scalar_.i);
    case Kind::kDouble: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", scalar_.d);
      return buf;
    }
    case Kind::kString:
      return asString();
    case Kind::kTimestamp: {
      std::string text = formatTimestamp(asTimestamp());
      if (nanos_ != 0) text.insert(text.size() - 1, fractionDigits(nanos_));
      return text;
    }
    case Kind::kDuration:
      if (scalar_.i % 1000000000 == 0) return formatDuration(asDuration());
      return durationSeconds(scalar_.i);
    case Kind::kList: {
      std::string out = "[";
      const auto& items = asList();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ", ";
        out += items[i].toText();
      }
      return out + "]";
    }
    case Kind::kObject: {
      const ObjectData& o = asObject();
      std::string out = "{";
      for (size_t i = 0; i < o.fields.size(); ++i) {
        if (i > 0) out += ", ";
        out += o.type->fields[i].name + ": " + o.fields[i].toText();
      }
      return out + "}";
    }
    case Kind::kError:
      return "<unknown: " + errorMessage() + ">";
  }
  return "";
}

bool valuesEqual(const Value& a, const Value& b) {
  using K = Value::Kind;
  if ((a.kind() == K::kInt || a.kind() == K::kDouble) &&
      (b.kind() == K::kInt || b.kind() == K::kDouble)) {
    if (a.kind() == K::kInt && b.kind() == K::kInt) return a.asInt() == b.asInt();
    double x = a.kind() == K::kInt ? static_cast<double>(a.asInt()) : a.asDouble();
    double y = b.kind() == K::kInt ? static_cast<double>(b.asInt()) : b.asDouble();
    return x == y;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::kNull:
      return true;
    case K::kBool:
      return a.asBool() == b.asBool();
    case K::kString:
      return a.asString() == b.asString();
    case K::kTimestamp:
      return a.asInt() == b.asInt() && a.timestampNanos() == b.timestampNanos();
    case K::kDuration:
      return a.asInt() == b.asInt();
    case K::kList: {
      const auto& x = a.asList();
      const auto& y = b.asList();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!valuesEqual(x[i], y[i])) return false;
      return true;
    }
    case K::kObject: {
      const auto& x = a.asObject();
      const auto& y = b.asObject();
      if (x.type != y.type) return false;
      for (size_t i = 0; i < x.fields.size(); ++i)
        if (!valuesEqual(x.fields[i], y.fields[i])) return false;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace cspwatch
