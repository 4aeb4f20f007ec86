// SPDX-License-Identifier: Apache-2.0
// Graph's error body (checkGraphError in graph_schema.h): {"error": {code, message, innerError
// with request-id and date, details?, target?}} and nothing else.
#include <string>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "tests/contract/graph_check_util.h"
#include "tests/contract/graph_schema.h"

namespace cspwatch::contract {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

Problems checkGraphError(const Var& body, const std::string& sent_client_request_id) {
  Problems out;
  Object::Ptr o = asObject(body);
  if (!o) {
    add(out, "$", expected("an object {\"error\": {...}}", body));
    return out;
  }
  for (auto it = o->begin(); it != o->end(); ++it)
    if (it->first != "error")
      add(out, memberPath("$", it->first),
          "an error response is a single JSON object with a single property named error");
  Object::Ptr e = o->has("error") ? asObject(o->get("error")) : Object::Ptr();
  if (!e) {
    add(out, "$.error", o->has("error") ? expected("an object", o->get("error")) : "missing");
    return out;
  }
  for (const char* required : {"code", "message"}) {
    const std::string p = memberPath("$.error", required);
    if (!e->has(required))
      add(out, p, "missing");
    else if (jsonKind(e->get(required)) != JsonKind::kString)
      add(out, p, expected("a string", e->get(required)));
  }
  if (e->has("code") && jsonKind(e->get("code")) == JsonKind::kString &&
      e->getValue<std::string>("code").empty())
    add(out, "$.error.code", "empty");
  std::string inner_key;
  for (auto it = e->begin(); it != e->end(); ++it) {
    const std::string& key = it->first;
    const std::string p = memberPath("$.error", key);
    if (key == "code" || key == "message") continue;
    if (key == "innerError" || key == "innererror") {
      if (!inner_key.empty()) add(out, p, "a second inner error");
      inner_key = key;
    } else if (key == "target") {
      if (jsonKind(it->second) != JsonKind::kString) add(out, p, expected("a string", it->second));
    } else if (key == "details") {
      Array::Ptr a = asArray(it->second);
      if (!a) add(out, p, expected("an array of {code, message, target}", it->second));
    } else {
      add(out, p,
          "not a member of Graph's error object (code, message, innerError, details, target)");
    }
  }
  if (inner_key.empty()) {
    add(out, "$.error.innerError", "missing: Graph's errors carry request-id and date in it");
    return out;
  }
  // InnerError, recursively: request-id, client-request-id, date (metadata); code (errors.md).
  std::string path = memberPath("$.error", inner_key);
  Object::Ptr inner = asObject(e->get(inner_key));
  if (!inner) {
    add(out, path, expected("an object", e->get(inner_key)));
    return out;
  }
  for (int depth = 0; inner && depth < 8; ++depth) {
    Object::Ptr next;
    std::string next_path;
    for (auto it = inner->begin(); it != inner->end(); ++it) {
      const std::string& key = it->first;
      const std::string p = memberPath(path, key);
      const JsonKind k = jsonKind(it->second);
      if (key == "request-id") {
        if (k != JsonKind::kString || !isGuid(it->second.extract<std::string>()))
          add(out, p, expected("a GUID string", it->second));
      } else if (key == "date") {
        const std::string s = k == JsonKind::kString ? it->second.extract<std::string>() : "";
        const size_t end = dateTimePrefix(s);
        if (end == std::string::npos || (end != s.size() && !offsetAt(s, end)))
          add(out, p, expected("a date-time string", it->second));
      } else if (key == "client-request-id" || key == "code" || key == "@odata.type") {
        if (k != JsonKind::kString) add(out, p, expected("a string", it->second));
      } else if (key == "innerError" || key == "innererror") {
        next = asObject(it->second);
        next_path = p;
        if (!next) add(out, p, expected("an object", it->second));
      } else {
        add(out, p,
            "not a member of microsoft.graph.InnerError (request-id, client-request-id, date) "
            "nor of errors.md's inner error (code, innerError)");
      }
    }
    if (depth == 0) {
      if (!inner->has("request-id")) add(out, memberPath(path, "request-id"), "missing");
      if (!inner->has("date")) add(out, memberPath(path, "date"), "missing");
      if (!sent_client_request_id.empty()) {
        const std::string p = memberPath(path, "client-request-id");
        if (!inner->has("client-request-id"))
          add(out, p,
              "missing, though the request sent client-request-id " + sent_client_request_id);
        else if (jsonKind(inner->get("client-request-id")) == JsonKind::kString &&
                 inner->getValue<std::string>("client-request-id") != sent_client_request_id)
          add(out, p,
              "is " + preview(inner->get("client-request-id")) +
                  ", not the client-request-id the request sent (\"" + sent_client_request_id +
                  "\"): InnerError carries the \"Client request Id as sent by the client "
                  "application\"");
      }
    }
    inner = next;
    path = next_path;
  }
  return out;
}

}  // namespace cspwatch::contract
