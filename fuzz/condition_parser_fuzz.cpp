// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the condition language (rules/expr_parser.h, rules/expr_compiler.h,
// rules/expr_eval.h). The input is one expression's text. It is parsed; when it parses, it is
// compiled with the variables a rule sees (tenant, partner, lists, now, plus a for_each element
// `x`) and two macros of the shipped rule pack; when it compiles, it is evaluated against each
// fixture tenant (fuzz/fuzz_support.h), as a condition and as text.
//
// Contracts checked beyond "no crash, no leak, no undefined behaviour": parse errors and
// compile diagnostics have offsets inside the text, and a failed compile has an error.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "rules/expr_compiler.h"
#include "rules/expr_parser.h"
#include "rules/rule_set.h"
#include "tenants/tenant_value.h"

using namespace cspwatch;
using namespace cspwatch::rules;

namespace {

const char* const kFile = "condition";

// `lists` as the loader builds it from rule files: one list(string) field per list.
const ObjectType& listsType() {
  static const ObjectType kType{
      "Lists",
      {{"free_mail_domains", Type::listOf(Type::of(Type::Kind::kString)), "free mail"},
       {"global_admin_role_ids", Type::listOf(Type::of(Type::Kind::kString)), "GA roles"},
       {"access_statuses", Type::listOf(Type::of(Type::Kind::kString)), "statuses"}}};
  return kType;
}

Value strings(const std::vector<std::string>& items) {
  ValueList out;
  for (const auto& s : items) out.push_back(Value::string(s));
  return Value::list(std::move(out));
}

const Value& listsValue() {
  static const Value kValue =
      Value::object(&listsType(), {strings({"gmail.com", "outlook.com", "bigpond.com"}),
                                   strings({"62e90394-69f5-4237-9190-012177145e10"}),
                                   strings({"active", "expiring"})});
  return kValue;
}

// Two macros from etc/rules.d/00-lists.yaml: one that depends only on the stable variables
// (memoised) and one that uses the element variable `r` of the place it is used.
const MacroTable& macros() {
  static const MacroTable kMacros = [] {
    MacroTable table;
    const std::pair<const char*, const char*> defs[] = {
        {"our_gdap",
         "tenant.admin_relationships.filter(r, r.kind == \"gdap\" && r.partner_tenant_id == "
         "partner.tenant_id)"},
        {"no_auto_extend",
         "!has(r.auto_extend_duration) || duration(r.auto_extend_duration) == duration(\"0s\")"}};
    for (const auto& [name, text] : defs) {
      ParseResult p = parseExpr(text);
      if (!p.ok()) fuzz::fail(std::string("fixture macro does not parse: ") + name);
      auto source = std::make_shared<ExprSource>();
      source->context = std::string("macro '") + name + "'";
      source->text = text;
      source->locate = [](int offset) { return SourceLocation{"macros", 1, offset + 1}; };
      table[name] = Macro{name, std::move(p.expr), source};
    }
    return table;
  }();
  return kMacros;
}

struct Tenants {
  std::vector<Value> values;
  Value partner;
};

const Tenants& fixtureValues() {
  static const Tenants kTenants = [] {
    Tenants t;
    for (const auto& tenant : fuzz::fixtureTenants())
      t.values.push_back(tenants::tenantToValue(tenant));
    t.partner = RuleSet::partnerValue(fuzz::fixturePartner());
    return t;
  }();
  return kTenants;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::asText(data, size);

  ParseResult parsed = parseExpr(text);
  if (!parsed.ok()) {
    if (parsed.error.pos < 0 || static_cast<size_t>(parsed.error.pos) > text.size())
      fuzz::fail("parse error offset " + std::to_string(parsed.error.pos) + " outside a text of " +
                 std::to_string(text.size()) + " bytes: " + parsed.error.message);
    if (parsed.error.message.empty()) fuzz::fail("a parse error without a message");
    return 0;
  }
  // The AST can be copied (macros are inlined from copies).
  ExprPtr copy = parsed.expr->clone();

  Diagnostics diags;
  diags.addSource(kFile, text);
  ExprCompiler compiler(&macros(), diags, kSlotElement);
  const std::vector<Binding> scope = {
      {"tenant", Type::objectOf(&tenants::tenantType()), kSlotTenant},
      {"partner", Type::objectOf(&RuleSet::partnerType()), kSlotPartner},
      {"lists", Type::objectOf(&listsType()), kSlotLists},
      {"now", Type::of(Type::Kind::kTimestamp), kSlotNow},
      {"x", Type::dyn(), kSlotElement}};
  int next_slot = kSlotElement + 1;
  // Positions are byte offsets into the text: anything else is a broken contract.
  ExprSource source{"condition", text, [&text](int offset) {
                      if (offset < 0 || static_cast<size_t>(offset) > text.size())
                        fuzz::fail("diagnostic offset " + std::to_string(offset) +
                                   " outside a text of " + std::to_string(text.size()) + " bytes");
                      const size_t at = static_cast<size_t>(offset);
                      const size_t line_start = at == 0 ? 0 : text.rfind('\n', at - 1) + 1;
                      const int line =
                          1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
                      return SourceLocation{kFile, line, static_cast<int>(at - line_start) + 1};
                    }};
  Type type;
  NodePtr node = compiler.compile(*copy, source, scope, next_slot, &type);
  fuzz::checkDiagnostics(diags, {{kFile, &text}});
  if (!node) {
    if (!diags.hasErrors()) fuzz::fail("compile failed without an error diagnostic");
    return 0;
  }
  (void)type.name();

  const Tenants& fixtures = fixtureValues();
  // The for_each element `x`: unknown with the first tenant, an int, then a string.
  const Value elements[] = {Value::error("x is unknown"), Value::integer(2),
                            Value::string("a@b.c")};
  for (size_t i = 0; i < fixtures.values.size(); ++i) {
    Frame frame;
    frame.slots.resize(next_slot);
    frame.slots[kSlotTenant] = fixtures.values[i];
    frame.slots[kSlotPartner] = fixtures.partner;
    frame.slots[kSlotLists] = listsValue();
    frame.slots[kSlotNow] = Value::timestamp(fuzz::fixtureNow());
    frame.slots[kSlotElement] = elements[i % 3];
    frame.resetMemo(compiler.memoCount());
    Value v = node->eval(frame);
    (void)v.toText();
    Value c = asCondition(v);
    if (!c.isBool() && !c.isError()) fuzz::fail("asCondition gave " + c.toText());
  }
  return 0;
}
