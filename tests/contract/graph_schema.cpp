// SPDX-License-Identifier: Apache-2.0
#include "tests/contract/graph_schema.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "tests/contract/graph_check_util.h"

namespace cspwatch::contract {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

Object::Ptr requireObject(const Object::Ptr& parent, const std::string& key,
                          const std::string& where) {
  Object::Ptr o = parent->has(key) ? asObject(parent->get(key)) : Object::Ptr();
  if (!o) throw std::runtime_error(where + ": '" + key + "' is missing or not an object");
  return o;
}

std::string stringOr(const Object::Ptr& o, const std::string& key, const std::string& fallback) {
  if (!o->has(key) || jsonKind(o->get(key)) != JsonKind::kString) return fallback;
  return o->getValue<std::string>(key);
}

bool inIntRange(const Var& v, long double lo, long double hi) {
  if (!v.isInteger()) return false;
  const long double x = v.isSigned() ? static_cast<long double>(v.convert<Poco::Int64>())
                                     : static_cast<long double>(v.convert<Poco::UInt64>());
  return x >= lo && x <= hi;
}

}  // namespace

GraphSchema GraphSchema::load(const std::string& file) { return fromJson(readJsonFile(file)); }

GraphSchema GraphSchema::fromJson(const Var& document) {
  GraphSchema s;
  Object::Ptr doc = asObject(document);
  if (!doc) throw std::runtime_error("Graph type excerpt: not a JSON object");
  s.source_ = stringOr(doc, "source", "");
  s.commit_ = stringOr(doc, "commit", "");
  s.date_ = stringOr(doc, "date", "");
  s.addTypes(document);
  return s;
}

void GraphSchema::addTypes(const Var& document) {
  Object::Ptr doc = asObject(document);
  if (!doc) throw std::runtime_error("Graph type excerpt: not a JSON object");
  Object::Ptr types = requireObject(doc, "types", "Graph type excerpt");
  for (auto it = types->begin(); it != types->end(); ++it) {
    const std::string where = "Graph type excerpt: types." + it->first;
    if (types_.count(it->first) != 0) throw std::runtime_error(where + " is defined twice");
    Object::Ptr t = asObject(it->second);
    if (!t) throw std::runtime_error(where + " is not an object");
    Type type;
    type.name = it->first;
    type.kind = stringOr(t, "kind", "");
    if (type.kind != "EntityType" && type.kind != "ComplexType")
      throw std::runtime_error(where + ": kind must be EntityType or ComplexType");
    type.base = t->has("base") && !t->get("base").isEmpty()
                    ? shortTypeName(t->getValue<std::string>("base"))
                    : "";
    type.open = t->has("openType") && t->getValue<bool>("openType");
    type.abstract = t->has("abstract") && t->getValue<bool>("abstract");
    if (Array::Ptr key = t->has("key") ? asArray(t->get("key")) : Array::Ptr())
      for (size_t i = 0; i < key->size(); ++i) type.key.push_back(key->getElement<std::string>(i));
    if (Array::Ptr nav = t->has("navigation") ? asArray(t->get("navigation")) : Array::Ptr())
      for (size_t i = 0; i < nav->size(); ++i)
        type.navigation.insert(nav->getElement<std::string>(i));
    Object::Ptr props = requireObject(t, "properties", where);
    for (auto p = props->begin(); p != props->end(); ++p) {
      Object::Ptr po = asObject(p->second);
      if (!po || !po->has("type") || !po->has("nullable"))
        throw std::runtime_error(where + ".properties." + p->first + ": needs type and nullable");
      type.properties[p->first] = {po->getValue<std::string>("type"),
                                   po->getValue<bool>("nullable")};
    }
    types_[type.name] = std::move(type);
  }
  Object::Ptr enums = requireObject(doc, "enums", "Graph type excerpt");
  for (auto it = enums->begin(); it != enums->end(); ++it) {
    Array::Ptr members = asArray(it->second);
    if (!members)
      throw std::runtime_error("Graph type excerpt: enums." + it->first + " is not an array");
    if (enums_.count(it->first) != 0)
      throw std::runtime_error("Graph type excerpt: enums." + it->first + " is defined twice");
    for (size_t i = 0; i < members->size(); ++i)
      enums_[it->first].insert(members->getElement<std::string>(i));
  }
  // Every base must be defined, and each type's recorded inheritedProperties must be what its
  // base chain declares: the excerpt is hand-made, so check it is consistent with itself.
  for (auto it = types->begin(); it != types->end(); ++it) {
    const Type& type = types_.at(it->first);
    if (!type.base.empty() && types_.count(type.base) == 0)
      throw std::runtime_error("Graph type excerpt: types." + type.name + ": base " + type.base +
                               " is not defined");
    Object::Ptr t = asObject(it->second);
    std::set<std::string> recorded, derived;
    if (t->has("inheritedProperties"))
      if (Object::Ptr inherited = asObject(t->get("inheritedProperties")))
        for (auto p = inherited->begin(); p != inherited->end(); ++p) recorded.insert(p->first);
    auto types_chain = chain(type);
    for (size_t i = 1; i < types_chain.size(); ++i)
      for (const auto& [p, _] : types_chain[i]->properties) derived.insert(p);
    if (recorded != derived)
      throw std::runtime_error("Graph type excerpt: types." + type.name +
                               ".inheritedProperties disagrees with the base chain");
  }
}

const GraphSchema::Type* GraphSchema::find(const std::string& name) const {
  auto it = types_.find(shortTypeName(name));
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<const GraphSchema::Type*> GraphSchema::chain(const Type& type) const {
  std::vector<const Type*> out{&type};
  for (const Type* t = &type; !t->base.empty();) {
    auto it = types_.find(t->base);
    if (it == types_.end() || out.size() > 32) break;
    t = &it->second;
    out.push_back(t);
  }
  return out;
}

bool GraphSchema::hasType(const std::string& name) const { return find(name) != nullptr; }

bool GraphSchema::isEnum(const std::string& name) const {
  return enums_.count(shortTypeName(name)) != 0;
}

bool GraphSchema::derivesFrom(const std::string& type, const std::string& base) const {
  const Type* t = find(type);
  if (t == nullptr) return false;
  for (const Type* c : chain(*t))
    if (c->name == shortTypeName(base)) return true;
  return false;
}

std::vector<std::string> GraphSchema::propertyNames(const std::string& type) const {
  std::vector<std::string> names;
  if (const Type* t = find(type))
    for (const Type* c : chain(*t))
      for (const auto& [name, _] : c->properties) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

void GraphSchema::allowDocumentedNulls(const std::string& type, std::set<std::string> except) {
  documented_nulls_[type] = std::move(except);
}

void GraphSchema::allowDocumentedDynamic(const std::string& type, const std::string& property,
                                         JsonKind kind) {
  dynamic_[shortTypeName(type)][property] = kind;
}

Problems GraphSchema::check(const Var& value, const std::string& type,
                            const std::string& path) const {
  return check(value, type, Options{}, path);
}

Problems GraphSchema::check(const Var& value, const std::string& type, const Options& options,
                            const std::string& path) const {
  Problems out;
  if (find(type) == nullptr)
    add(out, path, "type " + type + " is not in the excerpt (graph-v1.0-types.json)");
  else
    checkStructured(value, shortTypeName(type), path, options, out);
  return out;
}

void GraphSchema::checkStructured(const Var& value, const std::string& type_name,
                                  const std::string& path, const Options& options,
                                  Problems& out) const {
  const Type* declared = find(type_name);
  Object::Ptr o = asObject(value);
  if (!o) {
    add(out, path, expected("an object (microsoft.graph." + type_name + ")", value));
    return;
  }
  // The instance's own type: the declared one, or the derived one its @odata.type names.
  const Type* type = declared;
  if (o->has("@odata.type")) {
    const Var& t = o->get("@odata.type");
    const std::string p = memberPath(path, "@odata.type");
    if (jsonKind(t) != JsonKind::kString) {
      add(out, p, expected("a string \"#microsoft.graph.<type>\"", t));
    } else {
      const std::string named = t.extract<std::string>();
      const Type* actual = find(named);
      if (!startsWith(named, "#microsoft.graph."))
        add(out, p, "\"" + named + "\" is not of the form \"#microsoft.graph.<type>\"");
      else if (actual == nullptr)
        add(out, p, "names " + named + ", a type the excerpt does not define");
      else if (!derivesFrom(actual->name, declared->name))
        add(out, p,
            "names " + named + ", which is not microsoft.graph." + declared->name +
                " nor derived from it");
      else
        type = actual;
      if (type->abstract) add(out, p, "names an abstract type");
    }
  }
  const auto types = chain(*type);
  auto declaredProperty = [&](const std::string& name) -> const Property* {
    for (const Type* c : types)
      if (auto it = c->properties.find(name); it != c->properties.end()) return &it->second;
    return nullptr;
  };
  auto documentedNull = [&](const std::string& name) {
    auto d = documented_nulls_.find(type->name);
    return d != documented_nulls_.end() && d->second.count(name) == 0;
  };
  const bool open = std::any_of(types.begin(), types.end(), [](const Type* c) { return c->open; });
  std::string chain_text = "microsoft.graph." + type->name;
  for (size_t i = 1; i < types.size(); ++i) chain_text += " < " + types[i]->name;

  for (auto it = o->begin(); it != o->end(); ++it) {
    const std::string& key = it->first;
    const std::string p = memberPath(path, key);
    if (startsWith(key, "@")) {
      if (!startsWith(key, "@odata."))
        add(out, p, "instance annotation outside the @odata namespace");
      else if (key != "@odata.type" && jsonKind(it->second) != JsonKind::kString &&
               key != "@odata.count")
        add(out, p, expected("a string", it->second));
      continue;
    }
    if (const size_t at = key.find('@'); at != std::string::npos) {
      // A property annotation "name@odata.x": only for a property the type has.
      const std::string name = key.substr(0, at);
      if (!startsWith(key.substr(at), "@odata.") || declaredProperty(name) == nullptr)
        add(out, p, "annotation of a property microsoft.graph." + type->name + " does not declare");
      continue;
    }
    if (const Property* prop = declaredProperty(key)) {
      if (jsonKind(it->second) == JsonKind::kNull && documentedNull(key)) continue;
      checkValue(it->second, prop->type, prop->nullable, p, options, out);
      continue;
    }
    bool navigation = false;
    for (const Type* c : types) navigation |= c->navigation.count(key) != 0;
    if (navigation) {
      add(out, p,
          "navigation property of " + chain_text +
              ": Graph returns it only with $expand, which nothing asked for");
      continue;
    }
    if (open) {
      bool documented = false;
      for (const Type* c : types) {
        auto d = dynamic_.find(c->name);
        if (d == dynamic_.end()) continue;
        auto k = d->second.find(key);
        if (k == d->second.end()) continue;
        documented = true;
        const JsonKind got = jsonKind(it->second);
        if (k->second != JsonKind::kNull && got != JsonKind::kNull && got != k->second)
          add(out, p,
              std::string("documented dynamic property is a ") + kindName(k->second) +
                  " in Microsoft's example, got " + kindName(got) + " " + preview(it->second));
      }
      if (!documented)
        add(out, p,
            "not declared on " + chain_text +
                " (an OpenType: CSDL allows dynamic properties, but no Microsoft doc shows this "
                "one, so it is invented)");
      continue;
    }
    add(out, p, "not declared on " + chain_text);
  }
  for (const Type* c : types) {
    for (const auto& key : c->key)
      if (!o->has(key)) add(out, memberPath(path, key), "key property missing");
    if (options.require_non_nullable)
      for (const auto& [name, prop] : c->properties)
        if (!prop.nullable && !o->has(name) &&
            std::find(c->key.begin(), c->key.end(), name) == c->key.end())
          add(out, memberPath(path, name), "missing; Nullable=\"false\" (" + prop.type + ")");
  }
}

void GraphSchema::checkValue(const Var& v, const std::string& type, bool nullable,
                             const std::string& path, const Options& options, Problems& out) const {
  const JsonKind kind = jsonKind(v);
  if (startsWith(type, "Collection(") && type.back() == ')') {
    const std::string element = type.substr(11, type.size() - 12);
    if (kind == JsonKind::kNull) {
      add(out, path, "null, but a collection (" + type + ") is never null in OData; empty is []");
      return;
    }
    Array::Ptr a = asArray(v);
    if (!a) {
      add(out, path, expected("an array (" + type + ")", v));
      return;
    }
    for (size_t i = 0; i < a->size(); ++i)
      checkValue(a->get(i), element, nullable, elementPath(path, i), options, out);
    return;
  }
  if (kind == JsonKind::kNull) {
    if (!nullable) add(out, path, "null, but " + type + " is Nullable=\"false\" here");
    return;
  }
  const bool is_string = kind == JsonKind::kString;
  const std::string s = is_string ? v.extract<std::string>() : std::string();
  if (type == "Edm.String") {
    if (!is_string) add(out, path, expected("Edm.String (a JSON string)", v));
  } else if (type == "Edm.Guid") {
    if (!is_string || !isGuid(s)) add(out, path, expected("Edm.Guid (a string GUID)", v));
  } else if (type == "Edm.DateTimeOffset") {
    if (!is_string || !isDateTimeOffset(s))
      add(out, path, expected("Edm.DateTimeOffset (an RFC 3339 date-time with offset)", v));
  } else if (type == "Edm.Duration") {
    if (!is_string || !isEdmDuration(s))
      add(out, path,
          expected("Edm.Duration (ISO 8601 day-time duration as OData writes it, e.g. P730D)", v));
  } else if (type == "Edm.Date") {
    if (!is_string || !isDate(s)) add(out, path, expected("Edm.Date (YYYY-MM-DD)", v));
  } else if (type == "Edm.Boolean") {
    if (kind != JsonKind::kBool) add(out, path, expected("Edm.Boolean (true or false)", v));
  } else if (type == "Edm.Int32") {
    if (!inIntRange(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()))
      add(out, path, expected("Edm.Int32 (an integer in range)", v));
  } else if (type == "Edm.Int64") {
    if (!inIntRange(v, static_cast<long double>(std::numeric_limits<int64_t>::min()),
                    static_cast<long double>(std::numeric_limits<int64_t>::max())))
      add(out, path, expected("Edm.Int64 (an integer)", v));
  } else if (type == "Edm.Int16") {
    if (!inIntRange(v, -32768, 32767))
      add(out, path, expected("Edm.Int16 (an integer in range)", v));
  } else if (type == "Edm.Byte") {
    if (!inIntRange(v, 0, 255)) add(out, path, expected("Edm.Byte (0..255)", v));
  } else if (type == "Edm.Double" || type == "Edm.Single" || type == "Edm.Decimal") {
    if (kind != JsonKind::kNumber) add(out, path, expected(type + " (a JSON number)", v));
  } else if (startsWith(type, "Edm.")) {
    add(out, path, type + " is not a type this checker knows; extend checkValue");
  } else if (auto e = enums_.find(shortTypeName(type)); e != enums_.end()) {
    if (!is_string)
      add(out, path, expected(type + " (an enum member as a string)", v));
    else if (e->second.count(s) == 0)
      add(out, path, "\"" + s + "\" is not a member of " + type + " (members are case-sensitive)");
  } else if (find(type) != nullptr) {
    checkStructured(v, shortTypeName(type), path, options, out);
  } else {
    add(out, path,
        "a " + std::string(kindName(kind)) + " of type " + type +
            ", which the excerpt does not define: it cannot be checked");
  }
}

Problems GraphSchema::checkCollection(const Var& body, const std::string& type,
                                      const Options& options) const {
  Problems out;
  Object::Ptr o = asObject(body);
  if (!o) {
    add(out, "$", expected("a collection response object {\"value\": [...]}", body));
    return out;
  }
  if (!o->has("value")) add(out, "$.value", "missing: a collection response carries \"value\"");
  for (auto it = o->begin(); it != o->end(); ++it) {
    const std::string& key = it->first;
    const std::string p = memberPath("$", key);
    if (key == "value") {
      Array::Ptr a = asArray(it->second);
      if (!a) {
        add(out, p, expected("an array", it->second));
        continue;
      }
      for (size_t i = 0; i < a->size(); ++i)
        if (find(type) == nullptr)
          add(out, elementPath(p, i), "type " + type + " is not in the excerpt");
        else
          checkStructured(a->get(i), shortTypeName(type), elementPath(p, i), options, out);
    } else if (key == "@odata.context" || key == "@odata.deltaLink") {
      if (jsonKind(it->second) != JsonKind::kString)
        add(out, p, expected("a string URL", it->second));
    } else if (key == "@odata.nextLink") {
      if (jsonKind(it->second) != JsonKind::kString ||
          !isAbsoluteHttpUrl(it->second.extract<std::string>()))
        add(out, p, expected("an absolute http(s) URL (concepts/paging.md)", it->second));
    } else if (key == "@odata.count") {
      if (!it->second.isInteger()) add(out, p, expected("an integer", it->second));
    } else {
      add(out, p,
          "not a member of a collection response ({\"@odata.context\"?, \"@odata.nextLink\"?, "
          "\"@odata.count\"?, \"value\"})");
    }
  }
  return out;
}

}  // namespace cspwatch::contract
