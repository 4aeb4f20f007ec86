// SPDX-License-Identifier: Apache-2.0
#include "rules/rule_compiler.h"

#include <regex>

#include "rules/expr_compiler.h"
#include "rules/expr_nodes.h"
#include "rules/expr_parser.h"
#include "rules/rule_lint.h"

namespace cspwatch::rules {

namespace {

// An exception value as a literal of the field's type where it is numeric or bool.
Value literalFor(const Type& type, const YAML::Node& n) {
  if (type.kind == Type::Kind::kInt) {
    try {
      return Value::integer(std::stoll(n.Scalar()));
    } catch (const std::exception&) {
    }
  }
  if (type.kind == Type::Kind::kBool && (n.Scalar() == "true" || n.Scalar() == "false"))
    return Value::boolean(n.Scalar() == "true");
  return Value::string(n.Scalar());
}

// `field comp cell` of one exception row, with `field` compiled to type `ft`.
NodePtr exceptionTest(const std::string& comp, const Type& ft, NodePtr field,
                      const YAML::Node& cell) {
  auto literal = [&ft](const YAML::Node& n) { return literalFor(ft, n); };
  if (comp == "in") {
    ValueList values;
    for (const auto& v : cell) values.push_back(literal(v));
    return nodes::binary(nodes::BinaryOp::kIn, std::move(field),
                         nodes::literal(Value::list(std::move(values))));
  }
  if (comp == "==" || comp == "!=")
    return nodes::binary(comp == "==" ? nodes::BinaryOp::kEq : nodes::BinaryOp::kNe,
                         std::move(field), nodes::literal(literal(cell)));
  if (comp == "contains" && ft.kind == Type::Kind::kList) {
    // A list field "contains" a value: membership, e.g. tenant.tags contains vip.
    const Value element = ft.elem ? literalFor(*ft.elem, cell) : Value::string(cell.Scalar());
    return nodes::binary(nodes::BinaryOp::kIn, nodes::literal(element), std::move(field));
  }
  std::vector<NodePtr> args;
  args.push_back(std::move(field));
  args.push_back(nodes::literal(Value::string(cell.Scalar())));
  return nodes::call(findFunction(comp), std::move(args));
}

}  // namespace

// Builds the RuleSet; the one friend of RuleSet.
class RuleCompiler {
 public:
  RuleCompiler(const CompileInput& input, Diagnostics& diags)
      : collected_(*input.collected), input_(input), diags_(diags) {}

  std::shared_ptr<const RuleSet> compile();

 private:
  void compileLists(RuleSet& set) const;
  MacroTable parseMacros();
  void compileRule(const RuleRecord& def, RuleSet& set, ExprCompiler& compiler);
  void compileForEach(const RuleRecord& def, const std::string& ctx, ExprCompiler& compiler,
                      std::vector<Binding>& scope, int& next_slot, CompiledRule& rule);
  NodePtr compileWhen(const RuleRecord& def, const std::string& ctx, ExprCompiler& compiler,
                      const std::vector<Binding>& scope, int& next_slot);
  void compileSubjects(const RuleRecord& def, const std::string& ctx, ExprCompiler& compiler,
                       const std::vector<Binding>& scope, int& next_slot, CompiledRule& rule);
  NodePtr compileExpr(ExprCompiler& compiler, const ExprText& e, int offset,
                      const std::string& context, const std::vector<Binding>& scope, int& next_slot,
                      Type* type);
  void warnFoldedComment(const std::string& text, const ExprSource& source);
  NodePtr compileExceptions(const RuleRecord& def, ExprCompiler& compiler,
                            const std::vector<Binding>& scope, int& next_slot);
  void warnUnused(const ExprCompiler& compiler, const MacroTable& macros);
  void compileExpression(const std::string& text, RuleSet& set, ExprCompiler& compiler);

  void error(const std::string& kind, const SourceLocation& loc, const std::string& context,
             const std::string& message, const std::string& hint = {}) {
    addRuleError(diags_, kind, loc, context, message, hint);
  }

  const CollectedRules& collected_;
  const CompileInput& input_;
  Diagnostics& diags_;
};

std::shared_ptr<const RuleSet> RuleCompiler::compile() {
  auto set = std::make_shared<RuleSet>();
  set->hash_ = input_.hash;
  compileLists(*set);
  // Macros: parse each once; they are compiled where used.
  MacroTable macros = parseMacros();
  ExprCompiler compiler(&macros, diags_, kSlotElement);
  for (const auto& def : collected_.rules) compileRule(def, *set, compiler);
  if (input_.expression != nullptr) compileExpression(*input_.expression, *set, compiler);
  set->memo_count_ = compiler.memoCount();
  for (const auto& d : diags_.items())  // for the scan's log (RuleSet::costWarningsOnce)
    if (d.code == kCostlyNestingCode) set->cost_warnings_.push_back(d);
  warnUnused(compiler, macros);
  if (diags_.hasErrors()) return nullptr;
  return set;
}

// `lists`: one field per list, in name order.
void RuleCompiler::compileLists(RuleSet& set) const {
  auto lists_type = std::make_shared<ObjectType>();
  lists_type->name = "lists";
  ValueList list_values;
  for (const auto& [name, def] : collected_.lists) {
    lists_type->fields.push_back({name, Type::listOf(Type::of(Type::Kind::kString)), ""});
    ValueList items;
    for (const auto& item : def.items) items.push_back(Value::string(item));
    list_values.push_back(Value::list(std::move(items)));
  }
  set.lists_type_ = lists_type;
  set.lists_ = Value::object(lists_type.get(), std::move(list_values));
}

MacroTable RuleCompiler::parseMacros() {
  MacroTable macros;
  for (const auto& [name, def] : collected_.macros) {
    ParseResult parsed = parseExpr(def.expr.text());
    if (!parsed.ok()) {
      error("syntax", def.expr.locate(parsed.error.pos), "macro '" + name + "'",
            parsed.error.message, parsed.error.hint);
      continue;
    }
    ExprText et = def.expr;
    auto source = std::make_shared<ExprSource>(
        ExprSource{"macro '" + name + "'", et.text(), [et](int off) { return et.locate(off); }});
    macros[name] = Macro{name, std::move(parsed.expr), source};
  }
  return macros;
}

// `rules eval`'s expression: in a tenant-level rule's scope, of any type. What it reads of the
// tenant is kept with it (not in the set's reads: no scan evaluates it).
void RuleCompiler::compileExpression(const std::string& text, RuleSet& set,
                                     ExprCompiler& compiler) {
  const std::vector<Binding> scope = {
      {"tenant", Type::objectOf(input_.tenant_type), kSlotTenant},
      {"partner", Type::objectOf(&RuleSet::partnerType()), kSlotPartner},
      {"lists", Type::objectOf(set.lists_type_.get()), kSlotLists},
      {"now", Type::of(Type::Kind::kTimestamp), kSlotNow}};
  ExprSource source{"", text, [](int off) {
                      return SourceLocation{kExpressionSource, 1, off + 1};
                    }};
  ParseResult parsed = parseExpr(text);
  if (!parsed.ok()) {
    error("syntax", source.locate(parsed.error.pos), "", parsed.error.message, parsed.error.hint);
    return;
  }
  auto out = std::make_unique<CompiledExpression>();
  int next_slot = kSlotElement + 1;
  FieldsRead reads;
  compiler.recordReads(kSlotTenant, &reads);
  out->node = compiler.compile(*parsed.expr, source, scope, next_slot, &out->type);
  compiler.recordReads(kSlotTenant, nullptr);
  out->frame_size = next_slot;
  out->reads = reads;
  if (out->node) set.expression_ = std::move(out);
}

void RuleCompiler::warnUnused(const ExprCompiler& compiler, const MacroTable& macros) {
  for (const auto& [name, def] : collected_.lists)
    if (!compiler.usedLists().count(name))
      diags_.add({Severity::kWarning, "rules.unused-list", def.where, "",
                  "list '" + name + "' is never used", "remove it, or use it as lists." + name});
  for (const auto& [name, def] : collected_.macros)
    if (!compiler.usedMacros().count(name) && macros.count(name))
      diags_.add({Severity::kWarning, "rules.unused-macro", def.where, "",
                  "macro '" + name + "' is never used", "remove it, or use it in a condition"});
}

NodePtr RuleCompiler::compileExpr(ExprCompiler& compiler, const ExprText& e, int offset,
                                  const std::string& context, const std::vector<Binding>& scope,
                                  int& next_slot, Type* type) {
  const std::string text = e.text().substr(static_cast<size_t>(offset));
  ParseResult parsed = parseExpr(text);
  ExprSource source{context, text, [&e, offset](int off) { return e.locate(offset + off); }};
  if (!parsed.ok()) {
    error("syntax", source.locate(parsed.error.pos), context, parsed.error.message,
          parsed.error.hint);
    return nullptr;
  }
  warnFoldedComment(text, source);
  return compiler.compile(*parsed.expr, source, scope, next_slot, type);
}

// YAML folds the lines of a '>' block (or a plain multi-line scalar) into one, so a "//"
// comment there silently swallows every line after it. Warn when a comment runs to the end of
// the expression although the text in the file goes on past the comment's line.
void RuleCompiler::warnFoldedComment(const std::string& text, const ExprSource& source) {
  char quote = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      continue;
    }
    if (c != '/' || text[i + 1] != '/') continue;
    if (text.find('\n', i) != std::string::npos) return;  // a literal block keeps its lines
    const SourceLocation comment = source.locate(static_cast<int>(i));
    const SourceLocation end = source.locate(static_cast<int>(text.size()) - 1);
    if (end.line > comment.line)
      diags_.add(
          {Severity::kWarning, "rules.folded-comment", comment, source.context,
           "this // comment comments out the rest of the expression, including the lines after "
           "it: YAML folded them into one line",
           "write the expression as a literal block (when: |) or move the comment to a YAML # "
           "line"});
    return;
  }
}

NodePtr RuleCompiler::compileExceptions(const RuleRecord& def, ExprCompiler& compiler,
                                        const std::vector<Binding>& scope, int& next_slot) {
  NodePtr any;  // exception || exception || ...
  bool ok = true;
  for (const auto& ex : def.exceptions) {
    const std::string context = "rule '" + def.id + "': exception '" + ex.name + "'";
    for (const auto& row : ex.rows) {
      NodePtr all;  // field comp value && ...
      for (size_t i = 0; i < ex.fields.size(); ++i) {
        Type ft;
        NodePtr field = compileExpr(compiler, ex.fields[i], 0, context, scope, next_slot, &ft);
        if (!field) {
          ok = false;
          continue;
        }
        NodePtr test = exceptionTest(ex.comps[i], ft, std::move(field), row[i]);
        all = all ? nodes::logicalAnd(std::move(all), std::move(test)) : std::move(test);
      }
      if (all) any = any ? nodes::logicalOr(std::move(any), std::move(all)) : std::move(all);
    }
  }
  return ok ? std::move(any) : nullptr;
}

// "NAME in EXPRESSION": compiles the list into rule.for_each and binds NAME to its elements.
void RuleCompiler::compileForEach(const RuleRecord& def, const std::string& ctx,
                                  ExprCompiler& compiler, std::vector<Binding>& scope,
                                  int& next_slot, CompiledRule& rule) {
  static const std::regex kForEach(R"(^\s*([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(\S[\s\S]*)$)");
  std::smatch m;
  const std::string text = def.for_each.text();
  // std::regex recurses per character: a huge for_each (found by fuzzing) would overflow the
  // stack, so it is refused before matching.
  if (text.size() > 4096 || !std::regex_match(text, m, kForEach)) {
    error("bad-for-each", def.for_each.locate(0), ctx + ": for_each",
          "for_each names the element and the list it comes from",
          "write it as: r in tenant.admin_relationships");
    return;
  }
  const std::string name = m[1].str();
  for (const auto& b : scope)
    if (b.name == name)
      error("bad-for-each", def.for_each.locate(static_cast<int>(m.position(1))),
            ctx + ": for_each", "'" + name + "' is already a variable",
            "choose another name for the element, e.g. item");
  Type lt;
  rule.for_each = compileExpr(compiler, def.for_each, static_cast<int>(m.position(2)),
                              ctx + ": for_each", scope, next_slot, &lt);
  if (!lt.isDyn() && lt.kind != Type::Kind::kList) {
    error("type-mismatch", def.for_each.locate(static_cast<int>(m.position(2))), ctx + ": for_each",
          "for_each needs a list, found " + lt.name());
    rule.for_each.reset();
  }
  scope.push_back(
      {name, lt.kind == Type::Kind::kList && lt.elem ? *lt.elem : Type::dyn(), kSlotElement});
}

// when (several parts ANDed after an append override), then the exceptions.
NodePtr RuleCompiler::compileWhen(const RuleRecord& def, const std::string& ctx,
                                  ExprCompiler& compiler, const std::vector<Binding>& scope,
                                  int& next_slot) {
  NodePtr when;
  for (const auto& w : def.when) {
    if (!w.present()) continue;
    Type wt;
    NodePtr part = compileExpr(compiler, w, 0, ctx + ": when", scope, next_slot, &wt);
    if (part && !wt.isDyn() && wt.kind != Type::Kind::kBool) {
      error("type-mismatch", w.locate(0), ctx + ": when",
            "'when' must be a condition (bool), found " + wt.name());
      part.reset();
    }
    if (!part) continue;
    when = when ? nodes::logicalAnd(std::move(when), std::move(part)) : std::move(part);
  }
  if (!def.exceptions.empty()) {
    NodePtr ex = compileExceptions(def, compiler, scope, next_slot);
    if (ex && when) when = nodes::logicalAnd(std::move(when), nodes::logicalNot(std::move(ex)));
  }
  return when;
}

// subject (each element's stable key) and subject_label (its name, for people): both strings.
void RuleCompiler::compileSubjects(const RuleRecord& def, const std::string& ctx,
                                   ExprCompiler& compiler, const std::vector<Binding>& scope,
                                   int& next_slot, CompiledRule& rule) {
  auto compileString = [&](const ExprText& e, const char* key, const char* what) {
    Type t;
    NodePtr node = compileExpr(compiler, e, 0, ctx + ": " + key, scope, next_slot, &t);
    if (node && !t.isDyn() && t.kind != Type::Kind::kString)
      error("type-mismatch", e.locate(0), ctx + ": " + key,
            std::string("the ") + key + " must be a string (" + what + "), found " + t.name());
    return node;
  };
  if (def.subject.present())
    rule.subject = compileString(def.subject, "subject", "a stable key such as r.id");
  if (def.subject_label.present())
    rule.subject_label =
        compileString(def.subject_label, "subject_label", "a name such as r.display_name");
}

void RuleCompiler::compileRule(const RuleRecord& def, RuleSet& set, ExprCompiler& compiler) {
  CompiledRule rule;
  rule.id = def.id;
  rule.title = def.title;
  rule.severity = def.severity.value_or(RuleSeverity::kMedium);
  rule.description = def.description;
  rule.why = def.why;
  if (!def.why.empty()) lintWhy(def.why, def.why_at, "rule '" + def.id + "': why", diags_);
  rule.tags = def.tags;
  rule.enabled = def.enabled;
  rule.site = {def.where.file, def.where.line};
  const size_t errors = diags_.errorCount();
  const std::string ctx = "rule '" + def.id + "'";

  std::vector<Binding> scope = {{"tenant", Type::objectOf(input_.tenant_type), kSlotTenant},
                                {"partner", Type::objectOf(&RuleSet::partnerType()), kSlotPartner},
                                {"lists", Type::objectOf(set.lists_type_.get()), kSlotLists},
                                {"now", Type::of(Type::Kind::kTimestamp), kSlotNow}};
  // What the rule reads of the tenant; a disabled rule is never evaluated, so it reads nothing.
  FieldsRead reads;
  compiler.recordReads(kSlotTenant, &reads);
  int next_slot = kSlotElement + 1;
  if (def.for_each.present()) compileForEach(def, ctx, compiler, scope, next_slot, rule);
  rule.when = compileWhen(def, ctx, compiler, scope, next_slot);
  compileSubjects(def, ctx, compiler, scope, next_slot, rule);
  auto compileTemplate = [&](const ExprText& t, Template& out, const char* key) {
    if (!t.present()) return;
    const ExprText et = t;
    ExprSource source{ctx + ": " + key, et.text(), [et](int off) { return et.locate(off); }};
    out.compile(et.text(), source, compiler, scope, next_slot, diags_);
  };
  compileTemplate(def.message, rule.message, "message");
  compileTemplate(def.remediation, rule.remediation, "remediation");
  rule.frame_size = next_slot;
  compiler.recordReads(kSlotTenant, nullptr);
  if (diags_.errorCount() != errors || !rule.when) return;
  if (rule.enabled) set.tenant_reads_.add(reads);
  rule.reads = reads;
  set.rules_.push_back(std::move(rule));
}

std::shared_ptr<const RuleSet> compileRules(const CompileInput& input, Diagnostics& diags) {
  return RuleCompiler(input, diags).compile();
}

}  // namespace cspwatch::rules
