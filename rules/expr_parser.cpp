// SPDX-License-Identifier: Apache-2.0
#include "rules/expr_parser.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "rules/functions.h"
#include "rules/string_escapes.h"

namespace cspwatch::rules {

ExprPtr Expr::clone() const {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  e->literal = literal;
  e->name = name;
  e->receiver_style = receiver_style;
  e->height = height;
  for (const auto& a : args) e->args.push_back(a->clone());
  return e;
}

namespace {

struct Token {
  enum class Kind { kEnd, kIdent, kInt, kDouble, kString, kPunct };
  Kind kind = Kind::kEnd;
  int pos = 0;
  std::string text;  // identifier, punctuation, or the decoded string
  int64_t int_value = 0;
  double double_value = 0;
  // 9223372036854775808: too large for an int, except as the magnitude of the smallest int,
  // -9223372036854775808, which the unary minus before it makes (int_value is then INT64_MIN).
  bool int_min_magnitude = false;
};

struct Failure {
  ParseError error;
};

class Lexer {
 public:
  explicit Lexer(const std::string& s) : s_(s) {}

  Token next() {
    skipSpace();
    Token t;
    t.pos = static_cast<int>(i_);
    if (i_ >= s_.size()) return t;
    char c = s_[i_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      // r"..." and r'...' are raw strings.
      if ((c == 'r' || c == 'R') && i_ + 1 < s_.size() &&
          (s_[i_ + 1] == '"' || s_[i_ + 1] == '\'')) {
        ++i_;
        return string(t, true);
      }
      size_t start = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
        ++i_;
      t.kind = Token::Kind::kIdent;
      t.text = s_.substr(start, i_ - start);
      return t;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1]))))
      return number(t);
    if (c == '"' || c == '\'') return string(t, false);
    static const char* kTwo[] = {"<=", ">=", "==", "!=", "&&", "||"};
    for (const char* op : kTwo) {
      if (s_.compare(i_, 2, op) == 0) {
        t.kind = Token::Kind::kPunct;
        t.text = op;
        i_ += 2;
        return t;
      }
    }
    if (std::string("()[].,?:!-+*/%<>{}").find(c) != std::string::npos) {
      t.kind = Token::Kind::kPunct;
      t.text = std::string(1, c);
      ++i_;
      return t;
    }
    if (c == '=')
      throw Failure{{t.pos, "unexpected '='", "compare with '==' (conditions do not assign)"}};
    if (c == '&' || c == '|')
      throw Failure{{t.pos, std::string("unexpected '") + c + "'",
                     std::string("use '") + c + c + "' for logical " + (c == '&' ? "and" : "or")}};
    throw Failure{{t.pos, std::string("unexpected character '") + c + "'", ""}};
  }

 private:
  void skipSpace() {
    while (i_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[i_]))) {
        ++i_;
      } else if (s_.compare(i_, 2, "//") == 0) {  // CEL line comment
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        break;
      }
    }
  }

  Token number(Token t) {
    size_t start = i_;
    bool is_double = false;
    if (s_.compare(i_, 2, "0x") == 0 || s_.compare(i_, 2, "0X") == 0) {
      i_ += 2;
      while (i_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    } else {
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ < s_.size() && s_[i_] == '.' && i_ + 1 < s_.size() &&
          std::isdigit(static_cast<unsigned char>(s_[i_ + 1]))) {
        is_double = true;
        ++i_;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      }
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        is_double = true;
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      }
    }
    std::string text = s_.substr(start, i_ - start);
    if (i_ < s_.size() && (s_[i_] == 'u' || s_[i_] == 'U')) ++i_;  // CEL uint suffix: same value
    if (i_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
      throw Failure{{static_cast<int>(i_), "unexpected letter after the number '" + text + "'",
                     "durations are written duration(\"30d\")"}};
    errno = 0;
    if (is_double) {
      t.kind = Token::Kind::kDouble;
      t.double_value = std::strtod(text.c_str(), nullptr);
    } else {
      t.kind = Token::Kind::kInt;
      t.int_value = std::strtoll(text.c_str(), nullptr, 0);
      if (errno == ERANGE && text == "9223372036854775808") {
        t.int_value = INT64_MIN;
        t.int_min_magnitude = true;
      } else if (errno == ERANGE) {
        throw Failure{{t.pos, "integer '" + text + "' is out of range", ""}};
      }
    }
    t.text = text;
    return t;
  }

  Token string(Token t, bool raw) {
    char quote = s_[i_];
    bool triple = s_.compare(i_, 3, std::string(3, quote)) == 0;
    i_ += triple ? 3 : 1;
    std::string out;
    while (true) {
      if (i_ >= s_.size())
        throw Failure{{t.pos, "string is never closed", std::string("add the closing ") + quote}};
      char c = s_[i_];
      if (triple ? s_.compare(i_, 3, std::string(3, quote)) == 0 : c == quote) {
        i_ += triple ? 3 : 1;
        break;
      }
      if (c == '\n' && !triple)
        throw Failure{
            {t.pos, "string is never closed on its line", std::string("add the closing ") + quote}};
      if (c == '\\' && !raw) {
        if (auto bad = decodeEscape(s_, i_, out)) throw Failure{*bad};
        continue;
      }
      out += c;
      ++i_;
    }
    t.kind = Token::Kind::kString;
    t.text = out;
    return t;
  }

  const std::string& s_;
  size_t i_ = 0;
};

class Parser {
 public:
  explicit Parser(const std::string& text) : lexer_(text) { advance(); }

  ExprPtr parseAll() {
    ExprPtr e = expr();
    if (tok_.kind != Token::Kind::kEnd)
      fail(tok_.pos, "unexpected '" + tokenText() + "' after the end of the expression",
           tok_.text == "and" || tok_.text == "or" || tok_.text == "not"
               ? "use '&&', '||' and '!'"
               : "join conditions with '&&' or '||'");
    return e;
  }

 private:
  [[noreturn]] void fail(int pos, std::string message, std::string hint = {}) {
    throw Failure{{pos, std::move(message), std::move(hint)}};
  }

  void advance() { tok_ = lexer_.next(); }
  bool isPunct(const char* p) const { return tok_.kind == Token::Kind::kPunct && tok_.text == p; }
  bool isIdent(const char* name) const {
    return tok_.kind == Token::Kind::kIdent && tok_.text == name;
  }
  std::string tokenText() const {
    return tok_.kind == Token::Kind::kEnd ? "end of expression" : tok_.text;
  }

  void expect(const char* p, int open_pos, const char* what) {
    if (!isPunct(p)) {
      if (tok_.kind == Token::Kind::kEnd)
        fail(open_pos, std::string("'") + what + "' is never closed",
             std::string("add '") + p + "'");
      fail(tok_.pos, std::string("expected '") + p + "', found '" + tokenText() + "'");
    }
    advance();
  }

  ExprPtr node(Expr::Kind kind, int pos, std::string name = {}) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    e->name = std::move(name);
    return e;
  }

  // `e` with its height set from its children's; a tree too tall to walk is refused.
  ExprPtr grown(ExprPtr e) {
    int below = 0;
    for (const auto& a : e->args) below = std::max(below, a->height);
    e->height = below + 1;
    if (e->height > kMaxExprHeight)
      fail(e->pos,
           "expression is nested too deeply (more than " + std::to_string(kMaxExprHeight) +
               " operators or calls inside one another)",
           "test membership with 'in' and a list instead of a long chain of '||' or '&&'");
    return e;
  }

  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxExprDepth) p_.fail(p_.tok_.pos, "expression is nested too deeply");
    }
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

  // Expr = Or ["?" Or ":" Expr]
  ExprPtr expr() {
    DepthGuard guard(*this);
    ExprPtr cond = orExpr();
    if (!isPunct("?")) return cond;
    int pos = tok_.pos;
    advance();
    ExprPtr a = orExpr();
    if (!isPunct(":"))
      fail(tok_.pos, "expected ':' of the '?' at offset " + std::to_string(pos + 1) + ", found '" +
                         tokenText() + "'");
    advance();
    ExprPtr b = expr();
    ExprPtr e = node(Expr::Kind::kTernary, pos);
    e->args.push_back(std::move(cond));
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return grown(std::move(e));
  }

  ExprPtr binary(ExprPtr lhs, const std::string& op, int pos, ExprPtr rhs) {
    ExprPtr e = node(Expr::Kind::kBinary, pos, op);
    e->args.push_back(std::move(lhs));
    e->args.push_back(std::move(rhs));
    return grown(std::move(e));
  }

  ExprPtr orExpr() {
    ExprPtr e = andExpr();
    while (isPunct("||") || isIdent("or")) {
      if (isIdent("or")) fail(tok_.pos, "unexpected 'or'", "use '||'");
      int pos = tok_.pos;
      advance();
      e = binary(std::move(e), "||", pos, andExpr());
    }
    return e;
  }

  ExprPtr andExpr() {
    ExprPtr e = relation();
    while (isPunct("&&") || isIdent("and")) {
      if (isIdent("and")) fail(tok_.pos, "unexpected 'and'", "use '&&'");
      int pos = tok_.pos;
      advance();
      e = binary(std::move(e), "&&", pos, relation());
    }
    return e;
  }

  ExprPtr relation() {
    ExprPtr e = addition();
    while (true) {
      if (isPunct("<") || isPunct("<=") || isPunct(">") || isPunct(">=") || isPunct("==") ||
          isPunct("!=") || isIdent("in")) {
        std::string op = tok_.text;
        int pos = tok_.pos;
        advance();
        e = binary(std::move(e), op, pos, addition());
      } else {
        return e;
      }
    }
  }

  ExprPtr addition() {
    ExprPtr e = multiplication();
    while (isPunct("+") || isPunct("-")) {
      std::string op = tok_.text;
      int pos = tok_.pos;
      advance();
      e = binary(std::move(e), op, pos, multiplication());
    }
    return e;
  }

  ExprPtr multiplication() {
    ExprPtr e = unary();
    while (isPunct("*") || isPunct("/") || isPunct("%")) {
      std::string op = tok_.text;
      int pos = tok_.pos;
      advance();
      e = binary(std::move(e), op, pos, unary());
    }
    return e;
  }

  ExprPtr unary() {
    if (isPunct("!") || isPunct("-")) {
      DepthGuard guard(*this);
      std::string op = tok_.text;
      int pos = tok_.pos;
      advance();
      if (op == "-" && tok_.kind == Token::Kind::kInt && tok_.int_min_magnitude) {
        ExprPtr e = node(Expr::Kind::kLiteral, pos);  // -9223372036854775808
        e->literal = Value::integer(INT64_MIN);
        advance();
        return e;
      }
      ExprPtr operand = unary();
      // Fold "-5" into a literal, so that negative constants cost nothing at run time.
      // Not the smallest int: -(-9223372036854775808) overflows, an error when evaluated.
      if (op == "-" && operand->kind == Expr::Kind::kLiteral &&
          operand->literal.kind() == Value::Kind::kInt && operand->literal.asInt() != INT64_MIN) {
        operand->literal = Value::integer(-operand->literal.asInt());
        operand->pos = pos;
        return operand;
      }
      ExprPtr e = node(Expr::Kind::kUnary, pos, op);
      e->args.push_back(std::move(operand));
      return grown(std::move(e));
    }
    if (isIdent("not")) fail(tok_.pos, "unexpected 'not'", "use '!'");
    return member();
  }

  std::vector<ExprPtr> argList(const char* close, int open_pos, const char* what) {
    std::vector<ExprPtr> args;
    if (!isPunct(close)) {
      while (true) {
        args.push_back(expr());
        if (!isPunct(",")) break;
        advance();
        if (isPunct(close)) break;  // trailing comma
      }
    }
    expect(close, open_pos, what);
    return args;
  }

  ExprPtr member() {
    ExprPtr e = primary();
    while (true) {
      if (isPunct(".")) {
        advance();
        if (tok_.kind != Token::Kind::kIdent)
          fail(tok_.pos,
               "expected a field or function name after '.', found '" + tokenText() + "'");
        std::string name = tok_.text;
        int pos = tok_.pos;
        advance();
        if (isPunct("(")) {
          int open = tok_.pos;
          advance();
          // A namespaced function such as strings.quote(s) is one name, called globally.
          const bool qualified =
              e->kind == Expr::Kind::kIdent && findFunction(e->name + "." + name) != nullptr;
          ExprPtr call = node(Expr::Kind::kCall, qualified ? e->pos : pos,
                              qualified ? e->name + "." + name : name);
          call->receiver_style = !qualified;
          if (!qualified) call->args.push_back(std::move(e));
          for (auto& a : argList(")", open, "(")) call->args.push_back(std::move(a));
          e = grown(std::move(call));
        } else {
          ExprPtr sel = node(Expr::Kind::kSelect, pos, name);
          sel->args.push_back(std::move(e));
          e = grown(std::move(sel));
        }
      } else if (isPunct("[")) {
        int pos = tok_.pos;
        advance();
        ExprPtr idx = node(Expr::Kind::kIndex, pos);
        idx->args.push_back(std::move(e));
        idx->args.push_back(expr());
        expect("]", pos, "[");
        e = grown(std::move(idx));
      } else {
        return e;
      }
    }
  }

  ExprPtr primary() {
    Token t = tok_;
    switch (t.kind) {
      case Token::Kind::kEnd:
        fail(t.pos, "the expression ends where a value was expected");
      case Token::Kind::kInt: {
        if (t.int_min_magnitude)
          fail(t.pos, "integer '9223372036854775808' is out of range",
               "the largest int is 9223372036854775807; -9223372036854775808 is the smallest");
        advance();
        ExprPtr e = node(Expr::Kind::kLiteral, t.pos);
        e->literal = Value::integer(t.int_value);
        return e;
      }
      case Token::Kind::kDouble: {
        advance();
        ExprPtr e = node(Expr::Kind::kLiteral, t.pos);
        e->literal = Value::real(t.double_value);
        return e;
      }
      case Token::Kind::kString: {
        advance();
        ExprPtr e = node(Expr::Kind::kLiteral, t.pos);
        e->literal = Value::string(t.text);
        return e;
      }
      case Token::Kind::kIdent: {
        advance();
        ExprPtr e = node(Expr::Kind::kLiteral, t.pos);
        if (t.text == "true" || t.text == "false") {
          e->literal = Value::boolean(t.text == "true");
          return e;
        }
        if (t.text == "null") return e;
        if (isPunct("(")) {
          int open = tok_.pos;
          advance();
          ExprPtr call = node(Expr::Kind::kCall, t.pos, t.text);
          call->args = argList(")", open, "(");
          return grown(std::move(call));
        }
        return node(Expr::Kind::kIdent, t.pos, t.text);
      }
      case Token::Kind::kPunct:
        break;
    }
    if (t.text == "(") {
      DepthGuard guard(*this);
      advance();
      ExprPtr e = expr();
      expect(")", t.pos, "(");
      return e;
    }
    if (t.text == "[") {
      DepthGuard guard(*this);
      advance();
      ExprPtr e = node(Expr::Kind::kList, t.pos);
      e->args = argList("]", t.pos, "[");
      return grown(std::move(e));
    }
    if (t.text == "{")
      fail(t.pos, "map literals are not supported", "use a list, or a list of lists");
    fail(t.pos, "unexpected '" + t.text + "' where a value was expected");
  }

  Lexer lexer_;
  Token tok_;
  int depth_ = 0;
};

}  // namespace

ParseResult parseExpr(const std::string& text) {
  ParseResult r;
  try {
    Parser p(text);
    r.expr = p.parseAll();
  } catch (const Failure& f) {
    r.expr.reset();
    r.error = f.error;
  }
  return r;
}

}  // namespace cspwatch::rules
