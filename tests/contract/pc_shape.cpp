// SPDX-License-Identifier: Apache-2.0
#include "tests/contract/pc_shape.h"

#include <cstdio>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace cspwatch::contract {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

std::string kinds(const std::set<JsonKind>& ks) {
  std::string out;
  for (JsonKind k : ks) out += (out.empty() ? "" : " or ") + std::string(kindName(k));
  return out.empty() ? "nothing" : out;
}

void linkProblems(const Var& v, const std::string& path, bool in_links, Problems& out) {
  const JsonKind kind = jsonKind(v);
  if (kind == JsonKind::kArray) {
    Array::Ptr a = v.extract<Array::Ptr>();
    for (size_t i = 0; i < a->size(); ++i)
      linkProblems(a->get(i), elementPath(path, i), false, out);
    return;
  }
  if (kind != JsonKind::kObject) return;
  Object::Ptr o = v.extract<Object::Ptr>();
  for (auto it = o->begin(); it != o->end(); ++it) {
    const std::string p = memberPath(path, it->first);
    if (!in_links) {
      linkProblems(it->second, p, it->first == "links", out);
      continue;
    }
    // A link object: {uri, method, headers}.
    Object::Ptr link = jsonKind(it->second) == JsonKind::kObject ? it->second.extract<Object::Ptr>()
                                                                 : Object::Ptr();
    if (!link) {
      out.push_back({p, "a link is an object {uri, method, headers}, got " +
                            std::string(kindName(jsonKind(it->second)))});
      continue;
    }
    if (!link->has("uri") || jsonKind(link->get("uri")) != JsonKind::kString) {
      out.push_back({memberPath(p, "uri"), "missing or not a string"});
    } else {
      const std::string uri = link->getValue<std::string>("uri");
      const std::string up = memberPath(p, "uri");
      const std::string first = uri.size() > 1 ? uri.substr(1, uri.find_first_of("/?", 1) - 1) : "";
      if (uri.empty() || uri[0] != '/' || (uri.size() > 1 && uri[1] == '/'))
        out.push_back({up, "\"" + uri +
                               "\" is not a path: documented link URIs are \"/v1/...\" "
                               "or \"/...\" relative to the API root"});
      else if (first.rfind("v1", 0) == 0 && first != "v1")
        out.push_back({up, "\"" + uri + "\": a first segment starting with \"v1\" must be \"v1\""});
    }
    if (link->has("method")) {
      const Var& m = link->get("method");
      static const std::set<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
      if (jsonKind(m) != JsonKind::kString || kMethods.count(m.extract<std::string>()) == 0)
        out.push_back({memberPath(p, "method"), "not an HTTP method: " + preview(m)});
    }
    if (link->has("headers")) {
      const Var& h = link->get("headers");
      const std::string hp = memberPath(p, "headers");
      if (jsonKind(h) != JsonKind::kArray) {
        out.push_back({hp, "not an array of {key, value}"});
      } else {
        Array::Ptr a = h.extract<Array::Ptr>();
        for (size_t i = 0; i < a->size(); ++i) {
          Object::Ptr kv = jsonKind(a->get(i)) == JsonKind::kObject
                               ? a->get(i).extract<Object::Ptr>()
                               : Object::Ptr();
          if (!kv || kv->size() != 2 || !kv->has("key") || !kv->has("value") ||
              jsonKind(kv->get("key")) != JsonKind::kString ||
              jsonKind(kv->get("value")) != JsonKind::kString)
            out.push_back({elementPath(hp, i), "not a {\"key\": string, \"value\": string} pair"});
        }
      }
    }
  }
}

}  // namespace

PcShape::PcShape() : root_(std::make_shared<Node>()) {}

PcShape PcShape::of(const Var& documented) {
  PcShape s;
  s.merge(documented);
  return s;
}

void PcShape::merge(const Var& documented) { mergeInto(*root_, documented, Context::kOther); }

void PcShape::mergeInto(Node& node, const Var& value, Context context) {
  const JsonKind kind = jsonKind(value);
  node.kinds.insert(kind);
  if (context == Context::kObjectType && kind == JsonKind::kString)
    node.object_types.insert(value.extract<std::string>());
  if (kind == JsonKind::kObject) {
    Object::Ptr o = value.extract<Object::Ptr>();
    for (auto it = o->begin(); it != o->end(); ++it) {
      auto& child = node.members[it->first];
      if (!child) child = std::make_shared<Node>();
      const Context c = it->first == "attributes" ? Context::kAttributes
                        : context == Context::kAttributes && it->first == "objectType"
                            ? Context::kObjectType
                            : Context::kOther;
      mergeInto(*child, it->second, c);
    }
  } else if (kind == JsonKind::kArray) {
    Array::Ptr a = value.extract<Array::Ptr>();
    for (size_t i = 0; i < a->size(); ++i) {
      if (!node.element) node.element = std::make_shared<Node>();
      mergeInto(*node.element, a->get(i), Context::kOther);
    }
  }
}

PcShape::Result PcShape::check(const Var& answer) const {
  Result out;
  std::set<std::string> omitted;
  checkNode(*root_, answer, "$", out, omitted);
  out.omitted.assign(omitted.begin(), omitted.end());
  return out;
}

void PcShape::checkNode(const Node& node, const Var& value, const std::string& path, Result& out,
                        std::set<std::string>& omitted) {
  const JsonKind kind = jsonKind(value);
  if (kind == JsonKind::kNull) {
    if (node.kinds.count(JsonKind::kNull) == 0)
      out.problems.push_back({path, "null, where the documented example has a " +
                                        kinds(node.kinds) +
                                        " (documented Partner Center bodies leave unavailable "
                                        "data out rather than send null)"});
    return;
  }
  if (node.kinds.count(kind) == 0) {
    out.problems.push_back({path, "a " + std::string(kindName(kind)) + " " + preview(value) +
                                      ", where the documented example has a " + kinds(node.kinds)});
    return;
  }
  if (!node.object_types.empty() && kind == JsonKind::kString &&
      node.object_types.count(value.extract<std::string>()) == 0) {
    std::string documented;
    for (const auto& t : node.object_types) documented += (documented.empty() ? "" : ", ") + t;
    out.problems.push_back(
        {path, preview(value) + " is not the documented objectType (" + documented + ")"});
  }
  if (kind == JsonKind::kObject) {
    Object::Ptr o = value.extract<Object::Ptr>();
    for (auto it = o->begin(); it != o->end(); ++it) {
      const std::string p = memberPath(path, it->first);
      auto m = node.members.find(it->first);
      if (m == node.members.end())
        out.problems.push_back({p, "not in the documented example (" +
                                       std::string(kindName(jsonKind(it->second))) + " " +
                                       preview(it->second) + ")"});
      else
        checkNode(*m->second, it->second, p, out, omitted);
    }
    for (const auto& [key, _] : node.members)
      if (!o->has(key)) omitted.insert(wildcardPath(memberPath(path, key)));
  } else if (kind == JsonKind::kArray) {
    Array::Ptr a = value.extract<Array::Ptr>();
    for (size_t i = 0; i < a->size(); ++i) {
      if (!node.element)
        out.problems.push_back({elementPath(path, i),
                                "the documented example only shows this array empty: nothing "
                                "documents its elements (" +
                                    preview(a->get(i)) + ")"});
      else
        checkNode(*node.element, a->get(i), elementPath(path, i), out, omitted);
    }
  }
}

PcShape::Result checkPcShape(const Var& answer, const Var& documented) {
  return PcShape::of(documented).check(answer);
}

Problems checkPcLinks(const Var& body) {
  Problems out;
  linkProblems(body, "$", false, out);
  return out;
}

PcBodyText pcBodyText(const std::string& raw) {
  static const std::string kBom = "\xEF\xBB\xBF";
  PcBodyText t;
  t.json = raw;
  if (t.json.compare(0, kBom.size(), kBom) == 0) {
    t.had_bom = true;
    t.json = t.json.substr(kBom.size());
  }
  if (t.json.empty()) {
    t.problem = "empty body";
  } else if (t.json.compare(0, kBom.size(), kBom) == 0) {
    t.problem = "a second UTF-8 BOM";
  } else if (t.json[0] != '{' && t.json[0] != '[') {
    const unsigned char c = static_cast<unsigned char>(t.json[0]);
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", c);
    t.problem = std::string("byte ") + hex + " precedes the JSON" +
                (t.had_bom ? " (after the BOM)" : "") +
                ": only a UTF-8 BOM may come before the opening brace";
  }
  return t;
}

}  // namespace cspwatch::contract
