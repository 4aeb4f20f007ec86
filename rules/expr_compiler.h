// SPDX-License-Identifier: Apache-2.0
// Turns a parsed condition into evaluator nodes, once, when the rules load: identifiers become
// variable slots or inlined macros, fields become indexes into the object's type, functions are
// looked up, regular expressions with a literal pattern are compiled, and operands whose types
// are known are checked. Every problem becomes a Diagnostic at its exact position, with a
// did-you-mean for misspelt variables, fields, lists and functions.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "rules/expr_ast.h"
#include "rules/expr_eval.h"
#include "rules/fields_read.h"

namespace cspwatch::rules {

// Where an expression's text came from, to turn offsets into file positions.
struct ExprSource {
  std::string context;  // "rule 'gdap-expiring': when"
  std::string text;     // the expression
  std::function<SourceLocation(int offset)> locate;
};

// A named, reusable expression from a rule file's `macros:`; inlined where it is used, so it
// may refer to variables bound at the place of use (the for_each element, say).
struct Macro {
  std::string name;
  ExprPtr ast;
  std::shared_ptr<const ExprSource> source;
};
using MacroTable = std::map<std::string, Macro>;

struct Function;

struct Binding {
  std::string name;
  Type type;
  int slot;
};

class ExprCompiler {
 public:
  // `macros` may be null; both must outlive the compiler. Bindings whose slot is below
  // `stable_slots` hold the same value for a whole evaluation (tenant, partner, lists, now):
  // macros that use nothing else are computed once per evaluation (Frame::memo).
  ExprCompiler(const MacroTable* macros, Diagnostics& diags, int stable_slots = 0)
      : macros_(macros), diags_(diags), stable_slots_(stable_slots) {}

  // Compiles `expr` with `scope` in view (innermost last). Comprehension variables take slots
  // from `next_slot`, which is advanced. Returns null if any error was reported; `type`, when
  // given, receives the static result type. An expression that compiles is also checked for
  // costly nesting (warnings, rules/rule_lint.h).
  NodePtr compile(const Expr& expr, const ExprSource& source, const std::vector<Binding>& scope,
                  int& next_slot, Type* type = nullptr);

  // From now on, the fields of the variable in `slot` that compiled expressions read are added
  // to `*into` (rules/fields_read.h), until the next call; null stops recording. `*into` must
  // outlive the compiles it records.
  void recordReads(int slot, FieldsRead* into) {
    reads_slot_ = slot;
    reads_ = into;
  }

  const std::set<std::string>& usedMacros() const { return used_macros_; }
  const std::set<std::string>& usedLists() const { return used_lists_; }
  // How many Frame::memo entries the compiled expressions use.
  int memoCount() const { return static_cast<int>(memo_index_.size()); }

 private:
  // One compile's context: where the text came from, the names in view, the next free slot.
  struct Ctx {
    const ExprSource* source;
    std::vector<Binding> scope;
    int* next_slot;
    bool failed = false;
  };
  NodePtr node(const Expr& e, Ctx& ctx, Type& type);
  NodePtr ident(const Expr& e, Ctx& ctx, Type& type);
  NodePtr selectField(const Expr& e, Ctx& ctx, Type& type);
  NodePtr callFunction(const Expr& e, Ctx& ctx, Type& type);
  NodePtr callNode(const Expr& e, const Function* fn, Ctx& ctx, std::vector<NodePtr> args);
  bool resolveOverload(const Expr& e, const Function& fn, const std::vector<Type>& types, Ctx& ctx,
                       Type& type);
  NodePtr macroCall(const Expr& e, Ctx& ctx, Type& type);
  NodePtr comprehension(const Expr& e, Ctx& ctx, Type& type);
  NodePtr binaryOp(const Expr& e, Ctx& ctx, Type& type);
  NodePtr listLiteral(const Expr& e, Ctx& ctx, Type& type);
  void error(const Ctx& ctx, int pos, const std::string& code, const std::string& message,
             const std::string& hint = {});
  void expectBool(const Ctx& ctx, int pos, const Type& t, const std::string& what);
  // `object.field` or has(object.field) is being compiled: a field read when `object` names the
  // recorded variable, and then that identifier is not a use of the variable whole.
  void noteFieldOf(const Expr& object, const std::string& field, const Ctx& ctx);

  const MacroTable* macros_;
  Diagnostics& diags_;
  std::set<std::string> used_macros_;
  std::set<std::string> used_lists_;
  std::vector<std::string> expanding_;  // macros being inlined, to catch cycles
  FieldsRead* reads_ = nullptr;         // recordReads()
  int reads_slot_ = -1;
  bool next_ident_selects_ = false;  // the next identifier is the object of a noted field
  const int stable_slots_;
  std::map<std::string, int> memo_index_;  // memoised macros
  std::map<std::string, bool> stable_;     // per macro: depends only on stable bindings
  // Macros are inlined at each use, so a macro used twice by a macro used twice ... grows
  // exponentially (found by fuzzing: 20 levels took 38 s). One compile() call may build at
  // most kMaxNodes nodes; more is the rules.too-complex error.
  static constexpr size_t kMaxNodes = 100000;
  size_t nodes_ = 0;
  // The parser bounds each expression's height, but inlined macros stack their heights: the
  // compiler (and the evaluator after it) recurse once per level, so the depth is bounded here
  // too (found by review: seven macros of 990 '&&' each overflowed the stack).
  static constexpr int kMaxDepth = 1000;
  int depth_ = 0;
  bool too_deep_ = false;
};

}  // namespace cspwatch::rules
