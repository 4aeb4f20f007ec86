// SPDX-License-Identifier: Apache-2.0
#include "rules/expr_compiler.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/text.h"
#include "rules/expr_nodes.h"
#include "rules/functions.h"
#include "rules/rule_lint.h"

namespace cspwatch::rules {

namespace {

using K = Type::Kind;
using nodes::BinaryOp;

const char* const kComprehensions[] = {"all",    "exists", "exists_one",   "existsOne",
                                       "filter", "map",    "transformList"};

bool known(const Type& t) { return !t.isDyn(); }
bool isNumberType(const Type& t) { return t.kind == K::kInt || t.kind == K::kDouble; }

Type literalType(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return Type::of(K::kNull);
    case Value::Kind::kBool:
      return Type::of(K::kBool);
    case Value::Kind::kInt:
      return Type::of(K::kInt);
    case Value::Kind::kDouble:
      return Type::of(K::kDouble);
    case Value::Kind::kString:
      return Type::of(K::kString);
    default:
      return Type::dyn();
  }
}

// The type of `lt op rt` for +, -, *, / and % with both operand types known; nullopt when no
// overload takes them.
std::optional<Type> arithmeticType(BinaryOp bop, const Type& lt, const Type& rt) {
  const K a = lt.kind, b = rt.kind;
  if (isNumberType(lt) && isNumberType(rt) &&
      !(bop == BinaryOp::kMod && (a == K::kDouble || b == K::kDouble)))
    return Type::of(a == K::kInt && b == K::kInt ? K::kInt : K::kDouble);
  if (bop == BinaryOp::kAdd && a == K::kString && b == K::kString) return lt;
  if (bop == BinaryOp::kAdd && a == K::kList && b == K::kList)
    return lt.elem && rt.elem && lt.elem->kind == rt.elem->kind ? lt : Type::listOf(Type::dyn());
  if ((bop == BinaryOp::kAdd || bop == BinaryOp::kSub) && a == K::kTimestamp && b == K::kDuration)
    return lt;
  if (bop == BinaryOp::kAdd && a == K::kDuration && b == K::kTimestamp) return rt;
  if ((bop == BinaryOp::kAdd || bop == BinaryOp::kSub) && a == K::kDuration && b == K::kDuration)
    return lt;
  if (bop == BinaryOp::kSub && a == K::kTimestamp && b == K::kTimestamp)
    return Type::of(K::kDuration);
  return std::nullopt;
}

// How to mend `lt op rt` when no operator takes them; "" if there is nothing to say.
std::string mismatchHint(const Type& lt, const Type& rt) {
  if ((lt.kind == K::kTimestamp || rt.kind == K::kTimestamp || lt.kind == K::kDuration ||
       rt.kind == K::kDuration) &&
      (lt.kind == K::kString || rt.kind == K::kString))
    return "convert text with timestamp(\"...\") or duration(\"30d\")";
  if (lt.kind == K::kTimestamp && rt.kind == K::kInt)
    return "add a duration: t + duration(\"30d\")";
  return "";
}

// The lists object's type name; selecting an unknown field of it is an unknown list.
constexpr const char* kListsTypeName = "lists";

}  // namespace

void ExprCompiler::error(const Ctx& ctx, int pos, const std::string& code,
                         const std::string& message, const std::string& hint) {
  Diagnostic d;
  d.code = code;
  d.location = ctx.source->locate ? ctx.source->locate(pos) : SourceLocation{};
  d.context = ctx.source->context;
  d.message = message;
  d.hint = hint;
  // A macro used in several places reports its own mistakes once.
  for (const auto& existing : diags_.items())
    if (existing.code == d.code && existing.location.str() == d.location.str() &&
        existing.message == d.message)
      return;
  diags_.add(std::move(d));
}

void ExprCompiler::expectBool(const Ctx& ctx, int pos, const Type& t, const std::string& what) {
  if (known(t) && t.kind != K::kBool)
    error(ctx, pos, "rules.type-mismatch", what + " must be a bool, found " + t.name());
}

void ExprCompiler::noteFieldOf(const Expr& object, const std::string& field, const Ctx& ctx) {
  if (reads_ == nullptr || object.kind != Expr::Kind::kIdent) return;
  for (auto it = ctx.scope.rbegin(); it != ctx.scope.rend(); ++it)
    if (it->name == object.name) {  // the innermost binding of the name, as ident() finds it
      if (it->slot != reads_slot_) return;
      reads_->fields.insert(field);
      next_ident_selects_ = true;
      return;
    }
}

NodePtr ExprCompiler::compile(const Expr& expr, const ExprSource& source,
                              const std::vector<Binding>& scope, int& next_slot, Type* type) {
  Ctx ctx{&source, scope, &next_slot};
  next_ident_selects_ = false;
  const size_t errors_before = diags_.errorCount();
  Type t;
  nodes_ = 0;
  too_deep_ = false;
  NodePtr n = node(expr, ctx, t);
  if (too_deep_ || nodes_ > kMaxNodes) {  // reported at the start of the expression
    error(ctx, 0, "rules.too-complex",
          too_deep_ ? "the expression is nested too deeply once its macros are expanded (more "
                      "than " +
                          std::to_string(kMaxDepth) + " levels)"
                    : "the expression is too large once its macros are expanded (more than " +
                          std::to_string(kMaxNodes) + " parts)",
          too_deep_ ? "every use of a macro inlines it: a macro at the bottom of a long chain of "
                      "operators adds its own depth; split long '&&' or '||' chains into a list "
                      "and all() / exists()"
                    : "every use of a macro inlines it, so macros that use other macros several "
                      "times grow exponentially; use each macro once, or split the rule");
    return nullptr;
  }
  if (type != nullptr) *type = t;
  if (diags_.errorCount() != errors_before || ctx.failed) return nullptr;
  std::set<std::string> memoised;
  for (const auto& [name, index] : memo_index_) memoised.insert(name);
  lintCost(expr, source, scope, macros_, memoised, diags_);  // warnings only (rules/rule_lint.h)
  return n;
}

NodePtr ExprCompiler::node(const Expr& e, Ctx& ctx, Type& type) {
  if (++nodes_ > kMaxNodes || depth_ >= kMaxDepth) {  // reported once, by compile()
    if (depth_ >= kMaxDepth) too_deep_ = true;
    ctx.failed = true;
    type = Type::dyn();
    return nullptr;
  }
  struct Deeper {
    int& depth;
    explicit Deeper(int& d) : depth(++d) {}
    ~Deeper() { --depth; }
  } deeper(depth_);
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      type = literalType(e.literal);
      return nodes::literal(e.literal);
    case Expr::Kind::kIdent:
      return ident(e, ctx, type);
    case Expr::Kind::kSelect:
      return selectField(e, ctx, type);
    case Expr::Kind::kCall:
      if (std::find(std::begin(kComprehensions), std::end(kComprehensions), e.name) !=
              std::end(kComprehensions) ||
          e.name == "has")
        return macroCall(e, ctx, type);
      return callFunction(e, ctx, type);
    case Expr::Kind::kIndex: {
      Type lt, it;
      NodePtr l = node(*e.args[0], ctx, lt);
      NodePtr i = node(*e.args[1], ctx, it);
      if (known(lt) && lt.kind != K::kList)
        error(ctx, e.pos, "rules.type-mismatch", "only lists can be indexed, found " + lt.name());
      if (known(it) && it.kind != K::kInt)
        error(ctx, e.args[1]->pos, "rules.type-mismatch",
              "a list index must be an int, found " + it.name());
      type = lt.kind == K::kList && lt.elem ? *lt.elem : Type::dyn();
      if (!l || !i) return nullptr;
      return nodes::index(std::move(l), std::move(i));
    }
    case Expr::Kind::kList:
      return listLiteral(e, ctx, type);
    case Expr::Kind::kUnary: {
      Type t;
      NodePtr operand = node(*e.args[0], ctx, t);
      if (e.name == "!") {
        expectBool(ctx, e.args[0]->pos, t, "the operand of '!'");
        type = Type::of(K::kBool);
        return operand ? nodes::logicalNot(std::move(operand)) : nullptr;
      }
      if (known(t) && !isNumberType(t) && t.kind != K::kDuration)
        error(ctx, e.pos, "rules.type-mismatch",
              "'-' needs a number or duration, found " + t.name());
      type = t;
      return operand ? nodes::negate(std::move(operand)) : nullptr;
    }
    case Expr::Kind::kBinary:
      return binaryOp(e, ctx, type);
    case Expr::Kind::kTernary: {
      Type ct, at, bt;
      NodePtr c = node(*e.args[0], ctx, ct);
      NodePtr a = node(*e.args[1], ctx, at);
      NodePtr b = node(*e.args[2], ctx, bt);
      expectBool(ctx, e.args[0]->pos, ct, "the condition of '?:'");
      type = (at.kind == bt.kind && at.object == bt.object) ? at : Type::dyn();
      if (!c || !a || !b) return nullptr;
      return nodes::ternary(std::move(c), std::move(a), std::move(b));
    }
  }
  return nullptr;
}

// [a, b, ...]: a list of the items' type when they all have one, else of dyn.
NodePtr ExprCompiler::listLiteral(const Expr& e, Ctx& ctx, Type& type) {
  std::vector<NodePtr> items;
  Type elem;
  bool first = true, same = true;
  for (const auto& a : e.args) {
    Type t;
    items.push_back(node(*a, ctx, t));
    if (first)
      elem = t;
    else if (t.kind != elem.kind || t.object != elem.object)
      same = false;
    first = false;
  }
  type = Type::listOf(same && !first ? elem : Type::dyn());
  for (const auto& n : items)
    if (!n) return nullptr;
  return nodes::list(std::move(items));
}

NodePtr ExprCompiler::ident(const Expr& e, Ctx& ctx, Type& type) {
  const bool selects = std::exchange(next_ident_selects_, false);
  for (auto it = ctx.scope.rbegin(); it != ctx.scope.rend(); ++it) {
    if (it->name == e.name) {
      // The recorded variable used other than to read one of its fields may read any.
      if (reads_ != nullptr && it->slot == reads_slot_ && !selects) reads_->all = true;
      type = it->type;
      return nodes::slot(it->slot);
    }
  }
  if (macros_ != nullptr) {
    auto m = macros_->find(e.name);
    if (m != macros_->end()) {
      used_macros_.insert(e.name);
      if (std::find(expanding_.begin(), expanding_.end(), e.name) != expanding_.end()) {
        error(ctx, e.pos, "rules.macro-cycle",
              "macro '" + e.name + "' refers to itself through " + join(expanding_, " -> "),
              "a macro cannot use itself, directly or through other macros");
        type = Type::dyn();
        return nullptr;
      }
      // A macro that compiles with only the stable variables in view depends on nothing else:
      // compute it once per evaluation. The trial compile reports nothing and is done once per
      // macro (its answer does not depend on where the macro is used).
      bool stable = false;
      if (auto known = stable_.find(e.name); known != stable_.end()) {
        stable = known->second;
      } else if (stable_slots_ > 0) {
        std::vector<Binding> stable_scope;
        for (const auto& b : ctx.scope)
          if (b.slot < stable_slots_) stable_scope.push_back(b);
        Diagnostics scratch;
        ExprCompiler trial(macros_, scratch, 0);
        trial.expanding_ = expanding_;
        trial.depth_ = depth_;  // the trial recurses on top of this compile's stack
        trial.expanding_.push_back(e.name);
        int scratch_slot = *ctx.next_slot;
        Type ignored;
        Ctx probe{m->second.source.get(), stable_scope, &scratch_slot};
        stable = trial.node(*m->second.ast, probe, ignored) != nullptr && !scratch.hasErrors() &&
                 trial.nodes_ <= kMaxNodes;
        stable_[e.name] = stable;
      }
      expanding_.push_back(e.name);
      Ctx inner{m->second.source.get(), ctx.scope, ctx.next_slot};
      NodePtr n = node(*m->second.ast, inner, type);
      expanding_.pop_back();
      if (!n) {
        ctx.failed = true;
        return n;
      }
      if (!stable) return n;
      auto [it, added] = memo_index_.emplace(e.name, static_cast<int>(memo_index_.size()));
      return nodes::memo(it->second, std::move(n));
    }
  }
  std::vector<std::string> names;
  for (const auto& b : ctx.scope) names.push_back(b.name);
  if (macros_ != nullptr)
    for (const auto& [name, macro] : *macros_) names.push_back(name);
  std::string hint = didYouMean(e.name, names);
  if (hint.empty())
    hint = "known names here: " + join(names, ", ") + " (quote text: \"" + e.name + "\")";
  error(ctx, e.pos, "rules.unknown-variable", "unknown name '" + e.name + "'", hint);
  type = Type::dyn();
  return nullptr;
}

NodePtr ExprCompiler::selectField(const Expr& e, Ctx& ctx, Type& type) {
  noteFieldOf(*e.args[0], e.name, ctx);
  Type ot;
  NodePtr obj = node(*e.args[0], ctx, ot);
  type = Type::dyn();
  if (ot.kind == K::kObject && ot.object != nullptr) {
    int idx = ot.object->fieldIndex(e.name);
    bool is_lists = ot.object->name == kListsTypeName;
    if (idx < 0) {
      std::vector<std::string> names = ot.object->fieldNames();
      std::string hint = didYouMean(e.name, names);
      if (is_lists) {
        error(ctx, e.pos, "rules.unknown-list", "no list named '" + e.name + "'",
              hint.empty() ? (names.empty() ? "define it under 'lists:' in a rule file"
                                            : "lists defined: " + join(names, ", "))
                           : hint);
      } else {
        error(ctx, e.pos, "rules.unknown-field", ot.object->name + " has no field '" + e.name + "'",
              hint.empty() ? "fields: " + join(names, ", ") : hint);
      }
      return nullptr;
    }
    if (is_lists) used_lists_.insert(e.name);
    type = ot.object->fields[idx].type;
    if (!obj) return nullptr;
    // A variable's field is read in place, without copying the object out of its slot.
    if (e.args[0]->kind == Expr::Kind::kIdent)
      for (auto it = ctx.scope.rbegin(); it != ctx.scope.rend(); ++it)
        if (it->name == e.args[0]->name) return nodes::slotSelect(it->slot, idx, e.name);
    return nodes::select(std::move(obj), idx, e.name);
  }
  if (known(ot)) {
    error(ctx, e.pos, "rules.type-mismatch", "cannot read field '" + e.name + "' of a " + ot.name(),
          ot.kind == K::kList
              ? "lists have no fields; use .map(x, x." + e.name + ") or .exists(x, ...)"
              : "");
    return nullptr;
  }
  return obj ? nodes::dynSelect(std::move(obj), e.name) : nullptr;
}

NodePtr ExprCompiler::macroCall(const Expr& e, Ctx& ctx, Type& type) {
  if (e.name == "has") {
    type = Type::of(K::kBool);
    if (e.receiver_style || e.args.size() != 1 || e.args[0]->kind != Expr::Kind::kSelect) {
      error(ctx, e.pos, "rules.bad-macro", "has() takes one field selection, as in has(r.end_at)");
      return nullptr;
    }
    const Expr& sel = *e.args[0];
    noteFieldOf(*sel.args[0], sel.name, ctx);
    Type ot;
    NodePtr obj = node(*sel.args[0], ctx, ot);
    int idx = -1;
    if (ot.kind == K::kObject && ot.object != nullptr) {
      idx = ot.object->fieldIndex(sel.name);
      if (idx < 0) {
        error(ctx, sel.pos, "rules.unknown-field",
              ot.object->name + " has no field '" + sel.name + "'",
              didYouMean(sel.name, ot.object->fieldNames()));
        return nullptr;
      }
    } else if (known(ot)) {
      error(ctx, sel.pos, "rules.type-mismatch", "has() needs an object, found " + ot.name());
      return nullptr;
    }
    return obj ? nodes::has(std::move(obj), idx, sel.name) : nullptr;
  }
  return comprehension(e, ctx, type);
}

// The list macros: range.kind(x, predicate[, transform]), and CEL's two-variable forms on
// lists, range.all|exists|exists_one|existsOne(i, x, predicate) and
// range.transformList(i, x, [filter,] expression), where i is the element's index.
NodePtr ExprCompiler::comprehension(const Expr& e, Ctx& ctx, Type& type) {
  const bool transform_list = e.name == "transformList";
  const bool is_map = e.name == "map" || transform_list;
  const size_t n = e.args.size();
  const bool quantifier = e.name == "all" || e.name.rfind("exists", 0) == 0;  // not filter()
  const size_t vars = transform_list || (quantifier && n == 4) ? 2 : 1;
  const size_t body = 1 + vars;  // the first argument after the variables
  bool usage_ok = e.receiver_style && n >= body + 1 && n <= body + (is_map ? 2 : 1);
  for (size_t i = 1; usage_ok && i <= vars; ++i) usage_ok = e.args[i]->kind == Expr::Kind::kIdent;
  if (usage_ok && vars == 2 && e.args[1]->name == e.args[2]->name) {
    error(ctx, e.args[2]->pos, "rules.bad-macro",
          e.name + "(): the index and the element need different names",
          "e.g. list." + e.name + "(i, x, ...)");
    type = Type::dyn();
    return nullptr;
  }
  if (!usage_ok) {
    const std::string v = transform_list ? "(i, x, " : "(x, ";
    error(ctx, e.pos, "rules.bad-macro",
          e.name + "() is written list." + e.name + v +
              (is_map       ? "expression) or list." + e.name + v + "condition, expression)"
               : quantifier ? "condition) or list." + e.name + "(i, x, condition)"
                            : "condition)"),
          "the first argument names the element (or, with two, its index and the element), "
          "e.g. tenant.contacts." +
              e.name + "(c, ...)");
    type = Type::dyn();
    return nullptr;
  }
  Type range_type;
  NodePtr range = node(*e.args[0], ctx, range_type);
  if (known(range_type) && range_type.kind != K::kList) {
    error(ctx, e.args[0]->pos, "rules.type-mismatch",
          e.name + "() needs a list, found " + range_type.name());
    range.reset();
  }
  const int index_slot = vars == 2 ? (*ctx.next_slot)++ : -1;
  const int slot = (*ctx.next_slot)++;
  Ctx inner{ctx.source, ctx.scope, ctx.next_slot};
  if (vars == 2) inner.scope.push_back({e.args[1]->name, Type::of(K::kInt), index_slot});
  inner.scope.push_back(
      {e.args[vars]->name,
       range_type.kind == K::kList && range_type.elem ? *range_type.elem : Type::dyn(), slot});
  NodePtr pred, transform;
  Type pt, tt;
  const bool filtered = !is_map || n == body + 2;
  if (filtered) {
    pred = node(*e.args[body], inner, pt);
    expectBool(inner, e.args[body]->pos, pt, "the condition of " + e.name + "()");
  }
  if (is_map) transform = node(*e.args[n - 1], inner, tt);
  if (inner.failed) ctx.failed = true;
  nodes::Comprehension kind = e.name == "all"                  ? nodes::Comprehension::kAll
                              : e.name == "exists"             ? nodes::Comprehension::kExists
                              : e.name.rfind("exists", 0) == 0 ? nodes::Comprehension::kExistsOne
                              : e.name == "filter"             ? nodes::Comprehension::kFilter
                                                               : nodes::Comprehension::kMap;
  if (kind == nodes::Comprehension::kFilter)
    type = range_type;
  else if (kind == nodes::Comprehension::kMap)
    type = Type::listOf(tt);
  else
    type = Type::of(K::kBool);
  if (!range || (filtered && !pred) || (is_map && !transform)) return nullptr;
  return nodes::comprehension(kind, std::move(range), slot, std::move(pred), std::move(transform),
                              index_slot);
}

NodePtr ExprCompiler::binaryOp(const Expr& e, Ctx& ctx, Type& type) {
  Type lt, rt;
  NodePtr l = node(*e.args[0], ctx, lt);
  NodePtr r = node(*e.args[1], ctx, rt);
  const std::string& op = e.name;
  if (op == "&&" || op == "||") {
    expectBool(ctx, e.args[0]->pos, lt, "the left side of '" + op + "'");
    expectBool(ctx, e.args[1]->pos, rt, "the right side of '" + op + "'");
    type = Type::of(K::kBool);
    if (!l || !r) return nullptr;
    return op == "&&" ? nodes::logicalAnd(std::move(l), std::move(r))
                      : nodes::logicalOr(std::move(l), std::move(r));
  }
  static const std::map<std::string, BinaryOp> kOps = {
      {"+", BinaryOp::kAdd}, {"-", BinaryOp::kSub}, {"*", BinaryOp::kMul}, {"/", BinaryOp::kDiv},
      {"%", BinaryOp::kMod}, {"<", BinaryOp::kLt},  {"<=", BinaryOp::kLe}, {">", BinaryOp::kGt},
      {">=", BinaryOp::kGe}, {"==", BinaryOp::kEq}, {"!=", BinaryOp::kNe}, {"in", BinaryOp::kIn}};
  BinaryOp bop = kOps.at(op);
  bool mismatch = false;
  const bool both = known(lt) && known(rt) && lt.kind != K::kNull && rt.kind != K::kNull;
  switch (bop) {
    case BinaryOp::kEq:
    case BinaryOp::kNe:
      type = Type::of(K::kBool);
      break;
    case BinaryOp::kIn:
      type = Type::of(K::kBool);
      if (known(rt) && rt.kind != K::kList) {
        error(ctx, e.pos, "rules.type-mismatch",
              "'in' needs a list on its right, found " + rt.name(),
              rt.kind == K::kString ? "to test a substring use s.contains(part)" : "");
        return nullptr;
      }
      break;
    case BinaryOp::kLt:
    case BinaryOp::kLe:
    case BinaryOp::kGt:
    case BinaryOp::kGe:
      type = Type::of(K::kBool);
      mismatch = both && !(isNumberType(lt) && isNumberType(rt)) &&
                 (lt.kind != rt.kind || lt.kind == K::kList || lt.kind == K::kObject);
      break;
    default: {
      type = Type::dyn();
      if (!both) break;
      if (auto t = arithmeticType(bop, lt, rt))
        type = *t;
      else
        mismatch = true;
    }
  }
  if (mismatch) {
    error(ctx, e.pos, "rules.type-mismatch",
          "no operator " + lt.name() + " " + op + " " + rt.name(), mismatchHint(lt, rt));
    return nullptr;
  }
  if (!l || !r) return nullptr;
  return nodes::binary(bop, std::move(l), std::move(r));
}

}  // namespace cspwatch::rules
