// SPDX-License-Identifier: Apache-2.0
#include "rules/rule_lint.h"

#include <algorithm>
#include <string>

namespace cspwatch::rules {

namespace {

const std::vector<std::string> kListMacros = {"all",    "exists", "exists_one",   "existsOne",
                                              "filter", "map",    "transformList"};

bool isListMacro(const Expr& e) {
  return e.kind == Expr::Kind::kCall && e.receiver_style && e.args.size() >= 3 &&
         e.args[1]->kind == Expr::Kind::kIdent &&
         std::find(kListMacros.begin(), kListMacros.end(), e.name) != kListMacros.end();
}

// One list macro being walked: its variable, and whether its list is a tenant list.
struct Loop {
  std::string var;
  bool over_tenant_list;
  std::string macro;  // "exists()"
  SourceLocation where;
};

class CostLint {
 public:
  CostLint(const std::vector<Binding>& scope, const MacroTable* macros,
           const std::set<std::string>& once_per_tenant, Diagnostics& diags)
      : scope_(scope), macros_(macros), once_per_tenant_(once_per_tenant), diags_(diags) {}

  // Walks `e`, warning about nested list macros; returns whether `e` is a tenant list (only
  // meaningful where `e` is a list).
  bool walk(const Expr& e, const ExprSource& source) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return false;
      case Expr::Kind::kIdent:
        return ident(e.name);
      case Expr::Kind::kSelect:
        return walk(*e.args[0], source);
      case Expr::Kind::kIndex: {
        const bool list = walk(*e.args[0], source);
        walk(*e.args[1], source);
        return list;
      }
      case Expr::Kind::kCall:
        if (isListMacro(e)) return listMacro(e, source);
        // A method's result comes from its receiver; distinct(x) from its argument.
        {
          bool any = false;
          for (size_t i = 0; i < e.args.size(); ++i) {
            const bool from = walk(*e.args[i], source);
            any = any || (from && (i == 0 || !e.receiver_style));
          }
          return any;
        }
      case Expr::Kind::kList:
      case Expr::Kind::kUnary:
        for (const auto& a : e.args) walk(*a, source);
        return false;
      case Expr::Kind::kBinary: {
        const bool l = walk(*e.args[0], source);
        const bool r = walk(*e.args[1], source);
        return e.name == "+" && (l || r);  // list concatenation
      }
      case Expr::Kind::kTernary: {
        walk(*e.args[0], source);
        const bool a = walk(*e.args[1], source);
        const bool b = walk(*e.args[2], source);
        return a || b;
      }
    }
    return false;
  }

 private:
  // Names resolve as the compiler resolves them: list macro variables, then the scope, then
  // file macros (inlined where they are used, so their variables are the use site's).
  bool ident(const std::string& name) {
    for (auto it = loops_.rbegin(); it != loops_.rend(); ++it)
      if (it->var == name) return false;  // an element, not the tenant's list
    for (auto it = scope_.rbegin(); it != scope_.rend(); ++it)
      if (it->name == name) return name == "tenant";
    if (macros_ == nullptr) return false;
    auto m = macros_->find(name);
    if (m == macros_->end() || !m->second.ast || !m->second.source) return false;
    if (!once_per_tenant_.count(name)) return walk(*m->second.ast, *m->second.source);
    // Computed once per tenant: its list macros are inside no other, wherever it is used.
    std::vector<Loop> enclosing;
    enclosing.swap(loops_);
    const bool list = walk(*m->second.ast, *m->second.source);
    enclosing.swap(loops_);
    return list;
  }

  bool listMacro(const Expr& e, const ExprSource& source) {
    const int warned_before = warned_;
    const bool over_tenant_list = walk(*e.args[0], source);
    // A chain such as tenant.x.filter(...).exists(...) is warned about once, at its first macro.
    const bool warned_in_range = warned_ != warned_before;
    const Loop* outer = nullptr;
    for (auto it = loops_.rbegin(); it != loops_.rend() && outer == nullptr; ++it)
      if (it->over_tenant_list) outer = &*it;
    SourceLocation here = source.locate ? source.locate(e.pos) : SourceLocation{};
    if (over_tenant_list && outer != nullptr && !warned_in_range)
      warn(here, source.context,
           e.name + "() over a tenant list runs once for each element of the " + outer->macro +
               " at " + outer->where.str() +
               ", also over a tenant list: it takes the product of their sizes in steps (1,000 "
               "elements each: 1,000,000)");
    // The two-variable forms bind an index and the element: all(), exists(), exists_one() and
    // existsOne() with four arguments, transformList() always (as the compiler decides).
    const bool two = e.args.size() >= 4 && e.args[2]->kind == Expr::Kind::kIdent &&
                     (e.name == "transformList" ||
                      (e.args.size() == 4 && e.name != "filter" && e.name != "map"));
    loops_.push_back({e.args[1]->name, over_tenant_list, e.name + "()", here});
    if (two) loops_.push_back({e.args[2]->name, over_tenant_list, e.name + "()", here});
    for (size_t i = two ? 3 : 2; i < e.args.size(); ++i) walk(*e.args[i], source);
    loops_.pop_back();
    if (two) loops_.pop_back();
    // filter(), map() and transformList() give a list as long as the tenant's, at most.
    return over_tenant_list && (e.name == "filter" || e.name == "map" || e.name == "transformList");
  }

  void warn(const SourceLocation& where, const std::string& context, const std::string& message) {
    ++warned_;
    // A macro used in several places is warned about once.
    for (const auto& d : diags_.items())
      if (d.code == kCostlyNestingCode && d.location.str() == where.str() && d.message == message)
        return;
    diags_.add({Severity::kWarning, kCostlyNestingCode, where, context, message,
                "nested comprehensions over tenant lists cost the product of their sizes; filter "
                "the lists first, compare with 'in' against a list a macro builds once, or test "
                "the element's own fields; a rule that runs out of steps is unknown for that "
                "tenant (docs/rules.md#evaluation-cost)"});
  }

  const std::vector<Binding>& scope_;
  const MacroTable* macros_;
  const std::set<std::string>& once_per_tenant_;
  Diagnostics& diags_;
  std::vector<Loop> loops_;
  int warned_ = 0;  // warnings found, including those already reported
};

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }

// "Policy.Read.All", "Mail.Send": capitalised words joined by dots, one of them a permission verb.
bool isPermissionName(const std::string& word) {
  static const std::set<std::string> kVerbs = {
      "Read", "ReadWrite", "ReadBasic", "Write", "Send", "All", "Manage", "Create", "AccessAsUser"};
  size_t parts = 0;
  bool verb = false;
  for (size_t begin = 0; begin <= word.size();) {
    size_t end = word.find('.', begin);
    if (end == std::string::npos) end = word.size();
    const std::string part = word.substr(begin, end - begin);
    if (part.empty() || !isUpper(part[0])) return false;
    for (char c : part)
      if (!isAlpha(c)) return false;
    verb = verb || kVerbs.count(part) > 0;
    ++parts;
    begin = end + 1;
  }
  return parts >= 2 && verb;
}

// What kind of technical word `word` is, or nullptr.
const char* technicalKind(const std::string& word) {
  static const std::set<std::string> kMethods = {"GET", "POST", "PATCH", "PUT", "DELETE"};
  if (kMethods.count(word)) return "an HTTP method";
  if (word.size() > 1 && word[0] == '/' && isAlpha(word[1])) return "an API path";
  if (word.find("graph.microsoft.com") != std::string::npos ||
      word.find("api.partnercenter") != std::string::npos)
    return "an API's host";
  if (isPermissionName(word)) return "a permission";
  const size_t slash = word.find('/');
  if (slash != std::string::npos && slash > 0 && slash + 1 < word.size() &&
      isAlpha(word[slash - 1]) && isAlpha(word[slash + 1]))
    for (size_t i = 1; i < word.size(); ++i)
      if (word[i - 1] >= 'a' && word[i - 1] <= 'z' && isUpper(word[i]))
        return "a path of API fields";
  return nullptr;
}

}  // namespace

void lintWhy(const std::string& why, const SourceLocation& at, const std::string& context,
             Diagnostics& diags) {
  auto isSep = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  auto isPunct = [](char c) {
    return c == '(' || c == ')' || c == ',' || c == ';' || c == ':' || c == '.' || c == '\'' ||
           c == '"' || c == '[' || c == ']';
  };
  for (size_t i = 0; i < why.size();) {
    while (i < why.size() && isSep(why[i])) ++i;
    size_t end = i;
    while (end < why.size() && !isSep(why[end])) ++end;
    size_t b = i, e = end;
    while (b < e && isPunct(why[b])) ++b;
    while (e > b && isPunct(why[e - 1])) --e;
    const std::string word = why.substr(b, e - b);
    i = end;
    if (const char* kind = technicalKind(word)) {
      diags.add(
          {Severity::kWarning, kTechnicalWhyCode, at, context,
           std::string("'why' names ") + kind + ", '" + word + "': the digest shows it to admins",
           "keep API paths and permission names in the description (rules explain and "
           "docs show it); say in 'why' what goes wrong for the customer or for us"});
      return;
    }
  }
}

void lintCost(const Expr& expr, const ExprSource& source, const std::vector<Binding>& scope,
              const MacroTable* macros, const std::set<std::string>& once_per_tenant,
              Diagnostics& diags) {
  CostLint(scope, macros, once_per_tenant, diags).walk(expr, source);
}

}  // namespace cspwatch::rules
