// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "common/diagnostic.h"
#include "common/text.h"
#include "common/time.h"
#include "common/value.h"
#include "rules/expr_compiler.h"
#include "rules/expr_eval.h"
#include "rules/expr_parser.h"
#include "tests/rules/cel_conformance/conformance.h"

namespace cspwatch::celconf {

namespace {

using rules::Binding;
using K = Type::Kind;

constexpr const char* kTimestampUrl = "[type.googleapis.com/google.protobuf.Timestamp]";
constexpr const char* kDurationUrl = "[type.googleapis.com/google.protobuf.Duration]";

// The one field set in a oneof-only message (cel.expr.Value, ExprValue, Type), or null.
const Field* setField(const Message& m) { return m.fields.empty() ? nullptr : &m.fields[0]; }

std::string quote(const std::string& s, const char* prefix = "") {
  std::string escaped;
  for (const char c : s) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return std::string(prefix) + "\"" + showable(escaped) + "\"";
}

std::string formatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Infinity" : "-Infinity";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {  // the shortest that reads back
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::string out = buf;
  if (out.find_first_of(".en") == std::string::npos) out += ".0";
  return out;
}

// An Any holding a google.protobuf.Timestamp or Duration: its seconds and nanos.
struct TimeValue {
  bool is_timestamp = false;
  int64_t seconds = 0;
  int64_t nanos = 0;
};
std::optional<TimeValue> timeOf(const Message& any) {
  const Field* f = setField(any);
  if (f == nullptr || (f->name != kTimestampUrl && f->name != kDurationUrl)) return std::nullopt;
  TimeValue t;
  t.is_timestamp = f->name == kTimestampUrl;
  const Message& m = f->asMessage();
  if (const Field* s = m.find("seconds")) t.seconds = s->asInt64();
  if (const Field* n = m.find("nanos")) t.nanos = n->asInt64();
  return t;
}

std::string anyTypeName(const Message& any) {
  const Field* f = setField(any);
  if (f == nullptr) return "an empty Any";
  const std::string& url = f->name;
  const size_t slash = url.rfind('/');
  return slash == std::string::npos ? url : url.substr(slash + 1, url.size() - slash - 2);
}

std::string describeExpected(const Message& v);

std::string describeList(const std::vector<const Field*>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? ", " : "") + describeExpected(items[i]->asMessage());
  return out + "]";
}

// A cel.expr.Value as a CEL-like literal: 42, 42u, 1.5, "s", b"\xff", [...], {k: v}, ...
std::string describeExpected(const Message& v) {
  const Field* f = setField(v);
  if (f == nullptr) return "(no value)";
  const std::string& k = f->name;
  if (k == "null_value") return "null";
  if (k == "bool_value") return f->asBool() ? "true" : "false";
  if (k == "int64_value") return std::to_string(f->asInt64());
  if (k == "uint64_value") return std::to_string(f->asUint64()) + "u";
  if (k == "double_value") return formatDouble(f->asDouble());
  if (k == "string_value") return quote(f->asString());
  if (k == "bytes_value") return quote(f->asString(), "b");
  if (k == "type_value") return "type " + f->asString();
  if (k == "enum_value") return "enum " + f->asMessage().get("type").asString();
  if (k == "list_value") return describeList(f->asMessage().all("values"));
  if (k == "map_value") {
    std::string out = "{";
    for (const Field* e : f->asMessage().all("entries")) {
      const Message& entry = e->asMessage();
      out += (out.size() > 1 ? ", " : "") + describeExpected(entry.get("key").asMessage()) + ": " +
             describeExpected(entry.get("value").asMessage());
    }
    return out + "}";
  }
  if (k == "object_value") {
    if (auto t = timeOf(f->asMessage()))
      return std::string(t->is_timestamp ? "timestamp" : "duration") +
             "{seconds: " + std::to_string(t->seconds) + ", nanos: " + std::to_string(t->nanos) +
             "}";
    return anyTypeName(f->asMessage()) + "{...}";
  }
  return k + " (unknown kind)";
}

}  // namespace

std::string showable(const std::string& s) {
  const bool utf8 = isValidUtf8(s);
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

namespace {

// Our value, in the same notation as describeExpected().
std::string describeValue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return v.asBool() ? "true" : "false";
    case Value::Kind::kInt:
      return std::to_string(v.asInt());
    case Value::Kind::kDouble:
      return formatDouble(v.asDouble());
    case Value::Kind::kString:
      return quote(v.asString());
    case Value::Kind::kTimestamp:
      return "timestamp{seconds: " + std::to_string(toUnixSeconds(v.asTimestamp())) +
             ", nanos: " + std::to_string(v.timestampNanos()) + "} (" + v.toText() + ")";
    case Value::Kind::kDuration:
      return "duration{seconds: " + std::to_string(v.asDurationNanos() / 1000000000) +
             ", nanos: " + std::to_string(v.asDurationNanos() % 1000000000) + "}";
    case Value::Kind::kList: {
      std::string out = "[";
      for (const Value& e : v.asList()) out += (out.size() > 1 ? ", " : "") + describeValue(e);
      return out + "]";
    }
    case Value::Kind::kObject:
      return v.toText();
    case Value::Kind::kError:
      return "error: " + v.errorMessage();
  }
  return "?";
}

enum class Match { kEqual, kDifferent, kUnsupported };

// Whether `actual` is the conformance value `expected`; kUnsupported when `expected` is of a
// kind we do not have, with that kind in `why`.
Match matchValue(const Message& expected, const Value& actual, std::string& why) {
  const Field* f = setField(expected);
  if (f == nullptr) {
    why = "an empty value";
    return Match::kUnsupported;
  }
  const std::string& k = f->name;
  const Value::Kind a = actual.kind();
  auto is = [](bool b) { return b ? Match::kEqual : Match::kDifferent; };
  if (k == "null_value") return is(a == Value::Kind::kNull);
  if (k == "bool_value") return is(a == Value::Kind::kBool && actual.asBool() == f->asBool());
  if (k == "int64_value") return is(a == Value::Kind::kInt && actual.asInt() == f->asInt64());
  if (k == "string_value")
    return is(a == Value::Kind::kString && actual.asString() == f->asString());
  if (k == "double_value") {
    if (a != Value::Kind::kDouble) return Match::kDifferent;
    const double e = f->asDouble(), d = actual.asDouble();
    return is(e == d || (std::isnan(e) && std::isnan(d)));
  }
  if (k == "list_value") {
    const auto items = f->asMessage().all("values");
    Match result = is(a == Value::Kind::kList && actual.asList().size() == items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      const Value elem = result == Match::kEqual ? actual.asList()[i] : Value::null();
      const Match m = matchValue(items[i]->asMessage(), elem, why);
      if (m == Match::kUnsupported) return m;
      if (m == Match::kDifferent) result = m;
    }
    return result;
  }
  if (k == "object_value") {
    if (auto t = timeOf(f->asMessage())) {
      if (t->is_timestamp)
        return is(a == Value::Kind::kTimestamp &&
                  toUnixSeconds(actual.asTimestamp()) == t->seconds &&
                  actual.timestampNanos() == t->nanos);
      return is(a == Value::Kind::kDuration &&
                actual.asDurationNanos() == t->seconds * 1000000000 + t->nanos);
    }
    why = "a " + anyTypeName(f->asMessage()) + " message";
    return Match::kUnsupported;
  }
  const std::map<std::string, std::string> kinds = {
      {"uint64_value", "a uint64"}, {"bytes_value", "bytes"},        {"map_value", "a map"},
      {"type_value", "a type"},     {"enum_value", "an enum value"},
  };
  const auto it = kinds.find(k);
  why = it != kinds.end() ? it->second : "a " + k;
  return Match::kUnsupported;
}

// A binding's cel.expr.Value as our Value; false with the kind in `why` when we have none.
bool bindingValue(const Message& v, Value& out, std::string& why) {
  const Field* f = setField(v);
  const std::string k = f ? f->name : "";
  if (k == "null_value")
    out = Value::null();
  else if (k == "bool_value")
    out = Value::boolean(f->asBool());
  else if (k == "int64_value")
    out = Value::integer(f->asInt64());
  else if (k == "double_value")
    out = Value::real(f->asDouble());
  else if (k == "string_value")
    out = Value::string(f->asString());
  else if (k == "list_value") {
    ValueList items;
    for (const Field* e : f->asMessage().all("values")) {
      items.emplace_back();
      if (!bindingValue(e->asMessage(), items.back(), why)) return false;
    }
    out = Value::list(std::move(items));
  } else if (auto t = k == "object_value" ? timeOf(f->asMessage()) : std::nullopt) {
    out = t->is_timestamp
              ? Value::timestamp(fromUnixSeconds(t->seconds), static_cast<int32_t>(t->nanos))
              : Value::durationNanos(t->seconds * 1000000000 + t->nanos);
  } else {
    why = f ? describeExpected(v) : "an empty value";
    return false;
  }
  return true;
}

// A cel.expr.Type as ours; dyn for the types we do not have.
Type typeOf(const Message& t) {
  const Field* f = setField(t);
  if (f == nullptr) return Type::dyn();
  if (f->name == "primitive") {
    const std::string& p = f->asEnum();
    if (p == "BOOL") return Type::of(K::kBool);
    if (p == "INT64") return Type::of(K::kInt);
    if (p == "DOUBLE") return Type::of(K::kDouble);
    if (p == "STRING") return Type::of(K::kString);
  } else if (f->name == "well_known") {
    if (f->asEnum() == "TIMESTAMP") return Type::of(K::kTimestamp);
    if (f->asEnum() == "DURATION") return Type::of(K::kDuration);
  } else if (f->name == "null") {
    return Type::of(K::kNull);
  } else if (f->name == "list_type") {
    const Field* elem = f->asMessage().find("elem_type");
    return Type::listOf(elem ? typeOf(elem->asMessage()) : Type::dyn());
  }
  return Type::dyn();
}

struct Scope {
  std::vector<Binding> bindings;
  std::vector<Value> values;
  std::string problem;  // why the test cannot run, if it cannot
};

Scope buildScope(const Message& test) {
  Scope s;
  std::map<std::string, size_t> slot_of;
  auto slot = [&](const std::string& name) {
    auto [it, added] = slot_of.emplace(name, s.bindings.size());
    if (added) {
      s.bindings.push_back({name, Type::dyn(), static_cast<int>(s.bindings.size())});
      s.values.push_back(Value::error("no value bound to '" + name + "'"));
    }
    return it->second;
  };
  for (const Field* decl : test.all("type_env")) {
    const Message& d = decl->asMessage();
    const Field* ident = d.find("ident");
    if (ident == nullptr) continue;  // a function declaration: we cannot add functions
    const Field* type = ident->asMessage().find("type");
    s.bindings[slot(d.get("name").asString())].type =
        type ? typeOf(type->asMessage()) : Type::dyn();
  }
  for (const Field* b : test.all("bindings")) {
    const Message& entry = b->asMessage();
    const std::string name = entry.get("key").asString();
    const Message& ev = entry.get("value").asMessage();
    const Field* kind = setField(ev);
    Value& v = s.values[slot(name)];
    std::string why;
    if (kind != nullptr && kind->name == "value") {
      if (!bindingValue(kind->asMessage(), v, why))
        s.problem = "binding '" + name + "' is " + why + ", a kind the language does not have";
    } else if (kind != nullptr && kind->name == "error") {
      v = Value::error("error bound to '" + name + "'");
    } else {
      s.problem = "binding '" + name + "' is unknown: the language has no unknowns";
    }
  }
  return s;
}

std::string diagnosticsText(const Diagnostics& d) {
  std::string out;
  for (const Diagnostic& item : d.items()) {
    if (item.severity != Severity::kError) continue;
    if (!out.empty()) out += "; ";
    out += "col " + std::to_string(item.location.column) + ": " + item.message + " [" + item.code +
           "]";
  }
  return out;
}

}  // namespace

namespace {

enum class Expect { kValue, kError, kUnknown, kTrue };

Expect expectationOf(const Message& test, const Message** value) {
  if (const Field* v = test.find("value")) {
    *value = &v->asMessage();
    return Expect::kValue;
  }
  if (const Field* t = test.find("typed_result")) {
    const Field* r = t->asMessage().find("result");
    if (r != nullptr) {
      *value = &r->asMessage();
      return Expect::kValue;
    }
  }
  if (test.has("eval_error") || test.has("any_eval_errors")) return Expect::kError;
  if (test.has("unknown") || test.has("any_unknowns")) return Expect::kUnknown;
  return Expect::kTrue;
}

bool flag(const Message& test, const std::string& name) {
  const Field* f = test.find(name);
  return f != nullptr && f->asBool();
}

}  // namespace

Outcome runTest(const Message& test) {
  Outcome o;
  const Field* expr_field = test.find("expr");
  const std::string expr = expr_field ? expr_field->asString() : "";
  const Message* expected = nullptr;
  const Expect expect = expectationOf(test, &expected);
  o.expected = expect == Expect::kValue   ? describeExpected(*expected)
               : expect == Expect::kError ? "an error"
               : expect == Expect::kTrue  ? "true"
                                          : "an unknown";
  Scope scope = buildScope(test);
  if (!scope.problem.empty()) {
    o.actual = "cannot run: " + scope.problem;
    return o;
  }
  const rules::ParseResult parsed = rules::parseExpr(expr);
  if (!parsed.ok()) {
    o.actual =
        "syntax error at col " + std::to_string(parsed.error.pos + 1) + ": " + parsed.error.message;
    return o;
  }
  Diagnostics diags;
  rules::ExprCompiler compiler(nullptr, diags);
  const rules::ExprSource source{"", expr, [](int off) {
                                   return SourceLocation{"expr", 1, off + 1};
                                 }};
  int next_slot = static_cast<int>(scope.bindings.size());
  const rules::NodePtr node = compiler.compile(*parsed.expr, source, scope.bindings, next_slot);
  if (node == nullptr) {
    o.actual = "load-time error: " + diagnosticsText(diags);
    std::string why;
    o.passed =
        expect == Expect::kError && flag(test, "disable_check") && errorFits(test, o.actual, why);
    if (!why.empty()) o.actual += " (" + why + ")";
    return o;
  }
  rules::Frame frame;
  frame.slots = std::move(scope.values);
  frame.slots.resize(static_cast<size_t>(next_slot));
  frame.resetMemo(static_cast<size_t>(compiler.memoCount()));
  const Value result = node->eval(frame);
  o.actual = frame.outOfSteps() ? "out of steps (" + std::to_string(rules::kDefaultMaxSteps) +
                                      "): " + describeValue(result)
                                : describeValue(result);
  if (frame.outOfSteps()) return o;
  std::string why;
  switch (expect) {
    case Expect::kValue: {
      const Match m = matchValue(*expected, result, why);
      o.passed = m == Match::kEqual;
      if (m == Match::kUnsupported) o.actual += " (expected " + why + ": no such kind)";
      break;
    }
    case Expect::kError:
      o.passed = result.isError() && errorFits(test, result.errorMessage(), why);
      if (!why.empty()) o.actual += " (" + why + ")";
      break;
    case Expect::kTrue:
      o.passed = result.isBool() && result.asBool();
      break;
    case Expect::kUnknown:
      o.actual += " (unknown sets are not supported)";
      break;
  }
  return o;
}

namespace {

// The kind of value a test expects or binds, when we have no such kind: "uint", "maps", ...
std::string unsupportedKind(const Message& test) {
  static const std::vector<std::pair<std::string, std::string>> kKinds = {
      {"uint64_value", "uint"},
      {"bytes_value", "bytes"},
      {"map_value", "maps"},
      {"type_value", "type values and type()"},
      {"enum_value", "protobuf messages and wrappers"}};
  std::vector<const Message*> values;
  const Message* expected = nullptr;
  if (expectationOf(test, &expected) == Expect::kValue) values.push_back(expected);
  for (const Field* b : test.all("bindings")) {
    const Field* ev = setField(b->asMessage().get("value").asMessage());
    if (ev != nullptr && ev->name == "value") values.push_back(&ev->asMessage());
  }
  while (!values.empty()) {  // depth first through lists
    const Field* f = setField(*values.back());
    values.pop_back();
    if (f == nullptr) continue;
    for (const auto& [field, feature] : kKinds)
      if (f->name == field) return feature;
    if (f->name == "object_value" && !timeOf(f->asMessage()))
      return "protobuf messages and wrappers";
    if (f->name == "list_value")
      for (const Field* e : f->asMessage().all("values")) values.push_back(&e->asMessage());
  }
  return "";
}

}  // namespace

namespace {

// `expr` with the contents of its string literals removed (quotes and prefixes kept: b'', r""),
// so that words inside strings do not look like tokens.
std::string withoutStrings(const std::string& expr) {
  std::string out;
  for (size_t i = 0; i < expr.size(); ++i) {
    const char q = expr[i];
    out += q;
    if (q != '"' && q != '\'') continue;
    const bool raw = i > 0 && (expr[i - 1] == 'r' || expr[i - 1] == 'R');
    const std::string close =
        expr.compare(i, 3, std::string(3, q)) == 0 ? std::string(3, q) : std::string(1, q);
    size_t j = i + close.size();
    while (j < expr.size() && expr.compare(j, close.size(), close) != 0)
      j += !raw && expr[j] == '\\' ? 2 : 1;
    out += close.size() == 3 ? std::string(5, q) : std::string(1, q);
    i = std::min(j + close.size(), expr.size()) - 1;
  }
  return out;
}

}  // namespace

std::string guessFeature(const Message& test, const Outcome& outcome) {
  const Message* expected = nullptr;
  const Expect expect = expectationOf(test, &expected);
  if (expect == Expect::kUnknown) return "unknowns";
  if (std::string kind = unsupportedKind(test); !kind.empty()) return kind;
  const std::string expr = test.find("expr") ? test.find("expr")->asString() : "";
  const std::string code = withoutStrings(expr);
  static const std::regex kFormat(R"(\.format\s*\()"), kType(R"(\btype\s*\()");
  if (std::regex_search(code, kFormat)) return "format()";
  if (std::regex_search(code, kType)) return "type values and type()";
  static const std::regex kMessages(
      R"(google\.protobuf\.|TestAllTypes|\bcel\s*\.\s*expr\b|[A-Z]\w*\s*\{)");
  if (std::regex_search(code, kMessages)) return "protobuf messages and wrappers";
  const Field* container = test.find("container");
  if (container != nullptr && !container->asString().empty()) return "namespaces and containers";
  // The expression's tokens, the feature a test is about first (format() of a map is format).
  static const std::vector<std::pair<std::regex, std::string>> kTokens = {
      {std::regex(R"(\boptional\b|\.\?|\[\?|\{\?)"), "optional values"},
      {std::regex(R"(\{)"), "maps"},
      {std::regex(R"(\b[bB][rR]?['"]|\bbytes\b)"), "bytes"},
      {std::regex(R"(\b(9223372036854775808|1[0-9]{19})[uU])"), "uint"},
      {std::regex(R"(\b(int|uint|double|string|bool|list|map|null_type|type)\b)"
                  R"((?!\s*\())"),
       "type values and type()"},
      {std::regex(R"(\bdyn\s*\()"), "dyn()"},
      {std::regex(R"(\b[0-9][0-9a-fA-Fx]*[uU]\b|\buint\s*\()"), "uint"},
      {std::regex(R"(\.get[A-Z]\w*\(\s*['"])"), "time zones"},
      {std::regex(R"(\.get(FullYear|Month|Date|DayOfMonth|DayOfWeek|DayOfYear|Hours|Minutes|)"
                  R"(Seconds|Milliseconds)\()"),
       "timestamp accessors"},
      {std::regex(R"(\.(charAt|indexOf|lastIndexOf|substring|split|replace|quote|reverse)\()"
                  R"(|\bstrings\.)"),
       "string functions not offered"},
      {std::regex(R"(\.(all|exists|existsOne|exists_one|transformList|transformMap)\(\s*\w+\s*,)"
                  R"(\s*\w+\s*,)"),
       "two-variable macros"},
      {std::regex(R"(\bbool\s*\()"), "conversions not offered"},
  };
  for (const auto& [re, feature] : kTokens)
    if (std::regex_search(code, re)) return feature;
  // What went wrong, for the defects already known (docs/rules.md and unsupported.yaml).
  const std::string& actual = outcome.actual;
  if (actual.find("unknown escape") != std::string::npos) return "bug: string escapes";
  if (actual.find("'9223372036854775808' is out of range") != std::string::npos)
    return "bug: smallest int literal";
  if (std::regex_search(expr, std::regex(R"(\.[0-9]+Z|[0-9](ns|us|ms)\b)")))
    return "sub-second time";
  if (actual.find("no such overload: timestamp(int)") != std::string::npos)
    return "conversions not offered";
  if (actual.rfind("load-time error", 0) == 0 && flag(test, "disable_check"))
    return "load-time checking";
  if (expect == Expect::kError &&
      (actual.rfind("timestamp{", 0) == 0 || actual.rfind("duration{", 0) == 0))
    return "bug: timestamp range";
  if (std::regex_search(code, std::regex(R"(\bstring\s*\(\s*duration\s*\()")))
    return "duration text form";
  if (std::regex_search(code, std::regex(R"(\.trim\s*\()"))) return "bug: trim";
  return "unclassified";
}

}  // namespace cspwatch::celconf
