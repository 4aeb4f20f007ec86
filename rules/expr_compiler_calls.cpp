// SPDX-License-Identifier: Apache-2.0
// The compiler's function calls (rules/expr_compiler.h): the function looked up, its style and
// arity checked, the overload the argument types fit chosen, and the call node built (a literal
// regular expression compiled once, the hidden `now` of daysUntil()/daysSince()).
#include <string>
#include <vector>

#include "common/text.h"
#include "rules/expr_compiler.h"
#include "rules/expr_nodes.h"
#include "rules/functions.h"

namespace cspwatch::rules {

namespace {

using K = Type::Kind;

bool typeKnown(const Type& t) { return !t.isDyn(); }

// "an int", "a string": for "needs an int here".
std::string withArticle(const std::string& type_name) {
  const bool vowel =
      !type_name.empty() && std::string("aeiou").find(type_name[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + type_name;
}

}  // namespace

NodePtr ExprCompiler::callFunction(const Expr& e, Ctx& ctx, Type& type) {
  type = Type::dyn();
  const Function* fn = findFunction(e.name);
  if (fn == nullptr) {
    std::string hint = didYouMean(e.name, functionNames());
    error(ctx, e.pos, "rules.unknown-function", "unknown function '" + e.name + "'",
          hint.empty() ? "see docs/rules.md for the functions there are" : hint);
    for (const auto& a : e.args) {  // still check the arguments
      Type t;
      node(*a, ctx, t);
    }
    return nullptr;
  }
  if (e.receiver_style && fn->style == Function::Style::kGlobal) {
    error(ctx, e.pos, "rules.bad-call", e.name + "() is not a method",
          "call it as " + e.name + "(...)");
    return nullptr;
  }
  if (!e.receiver_style && fn->style == Function::Style::kMember) {
    error(ctx, e.pos, "rules.bad-call", e.name + "() is a method",
          "call it on its first argument: x." + e.name + "(...)");
    return nullptr;
  }
  const int n = static_cast<int>(e.args.size());
  if (n < fn->minArgs() || n > fn->maxArgs()) {
    const int shown = e.receiver_style ? 1 : 0;
    error(ctx, e.pos, "rules.wrong-arity",
          e.name + "() takes " +
              (fn->minArgs() == fn->maxArgs() ? std::to_string(fn->minArgs() - shown)
                                              : std::to_string(fn->minArgs() - shown) + " to " +
                                                    std::to_string(fn->maxArgs() - shown)) +
              " argument(s), found " + std::to_string(n - shown),
          fn->summary);
    return nullptr;
  }
  std::vector<NodePtr> args;
  std::vector<Type> types;
  bool ok = true;
  for (int i = 0; i < n; ++i) {
    Type t;
    args.push_back(node(*e.args[i], ctx, t));
    ok = ok && args.back() != nullptr;
    types.push_back(t);
  }
  if (!resolveOverload(e, *fn, types, ctx, type)) return nullptr;
  if (fn->name == "distinct") type = types[0];
  if (!ok) return nullptr;
  return callNode(e, fn, ctx, std::move(args));
}

// Which of `fn`'s overloads the argument types known at load time fit: a kDyn parameter takes
// anything and an argument of unknown type fits any parameter. None fitting is an error (at
// the argument when only one overload has this many arguments, else at the call); `type` is
// the result type when every fitting overload gives the same, else dyn.
bool ExprCompiler::resolveOverload(const Expr& e, const Function& fn,
                                   const std::vector<Type>& types, Ctx& ctx, Type& type) {
  const size_t n = types.size();
  auto fits = [](K want, const Type& t) {
    return want == K::kDyn || !typeKnown(t) || t.kind == want;
  };
  std::vector<const Overload*> same_arity, fitting;
  for (const auto& o : fn.overloads) {
    if (o.params.size() != n) continue;
    same_arity.push_back(&o);
    bool all = true;
    for (size_t i = 0; i < n && all; ++i) all = fits(o.params[i], types[i]);
    if (all) fitting.push_back(&o);
  }
  type = Type::dyn();
  if (fitting.empty() && same_arity.size() == 1) {
    for (size_t i = 0; i < n; ++i)
      if (!fits(same_arity[0]->params[i], types[i]))
        error(ctx, e.args[i]->pos, "rules.type-mismatch",
              e.name + "() needs " + withArticle(Type::of(same_arity[0]->params[i]).name()) +
                  " here, found " + types[i].name(),
              fn.summary);
    return false;
  }
  if (fitting.empty()) {
    std::vector<std::string> names;
    for (size_t i = e.receiver_style ? 1 : 0; i < n; ++i) names.push_back(types[i].name());
    error(ctx, e.pos, "rules.type-mismatch",
          (e.receiver_style ? types[0].name() + "." : std::string()) + e.name + "(" +
              join(names, ", ") + ") does not exist",
          fn.summary);
    return false;
  }
  type = Type::of(fitting.front()->result);
  for (const auto* o : fitting)
    if (o->result != fitting.front()->result) type = Type::dyn();
  return true;
}

// The call of `fn` on its compiled `args`: a literal pattern of matches() compiled once, the
// hidden `now` of daysUntil() and daysSince().
NodePtr ExprCompiler::callNode(const Expr& e, const Function* fn, Ctx& ctx,
                               std::vector<NodePtr> args) {
  if (fn->name == "matches" && e.args[1]->kind == Expr::Kind::kLiteral &&
      e.args[1]->literal.kind() == Value::Kind::kString) {
    auto re = Regex::compile(e.args[1]->literal.asString());
    if (!re) {
      error(ctx, e.args[1]->pos, "rules.bad-regex",
            "invalid regular expression: " + re.status().message(),
            "patterns use RE2 syntax, as in CEL (no back-references or look-around); escape '.' "
            "as '\\\\.' in a double-quoted string");
      return nullptr;
    }
    return nodes::regexMatch(std::move(args[0]), std::move(*re));
  }
  if (fn->name == "daysUntil" || fn->name == "daysSince") {
    // These read `now`, passed as a hidden last argument.
    for (auto it = ctx.scope.rbegin(); it != ctx.scope.rend(); ++it)
      if (it->name == "now") {
        args.push_back(nodes::slot(it->slot));
        break;
      }
    if (args.size() != e.args.size() + 1) {
      error(ctx, e.pos, "rules.bad-call", e.name + "() needs 'now', which is not available here");
      return nullptr;
    }
  }
  return nodes::call(fn, std::move(args));
}

}  // namespace cspwatch::rules
