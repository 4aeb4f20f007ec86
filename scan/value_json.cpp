// SPDX-License-Identifier: Apache-2.0
#include "scan/value_json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "tenants/tenant_json.h"

namespace cspwatch::scan {

namespace {

Poco::Dynamic::Var toVar(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return Poco::Dynamic::Var();
    case Value::Kind::kBool:
      return v.asBool();
    case Value::Kind::kInt:
      return v.asInt();
    case Value::Kind::kDouble:
      return v.asDouble();
    case Value::Kind::kString:
    case Value::Kind::kTimestamp:
    case Value::Kind::kDuration:
      return v.toText();
    case Value::Kind::kList: {
      Poco::JSON::Array::Ptr a = new Poco::JSON::Array();
      for (const auto& item : v.asList()) a->add(toVar(item));
      return a;
    }
    case Value::Kind::kObject: {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      const ObjectData& d = v.asObject();
      for (size_t i = 0; i < d.fields.size(); ++i)
        o->set(d.type->fields[i].name, toVar(d.fields[i]));
      return o;
    }
    case Value::Kind::kError: {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
      o->set("unknown", v.errorMessage());
      return o;
    }
  }
  return Poco::Dynamic::Var();
}

}  // namespace

std::string valueToJson(const Value& value) { return tenants::jsonText(toVar(value), false); }

}  // namespace cspwatch::scan
