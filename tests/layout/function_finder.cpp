// SPDX-License-Identifier: Apache-2.0
#include "tests/layout/function_finder.h"

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace cspwatch::layout {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

// Each '(' '[' '{' and its closing partner, by index (kNone if unmatched). One stack per kind:
// a stray ')' in a macro then cannot unbalance the braces.
std::vector<size_t> matchPairs(const std::vector<Token>& t) {
  std::vector<size_t> match(t.size(), kNone);
  std::vector<size_t> stacks[3];
  const std::string_view opens = "([{";
  const std::string_view closes = ")]}";
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind != TokenKind::kPunct || t[i].text.size() != 1) continue;
    const char c = t[i].text[0];
    if (const size_t k = opens.find(c); k != std::string_view::npos) {
      stacks[k].push_back(i);
    } else if (const size_t m = closes.find(c); m != std::string_view::npos && !stacks[m].empty()) {
      match[i] = stacks[m].back();
      match[stacks[m].back()] = i;
      stacks[m].pop_back();
    }
  }
  return match;
}

enum class Brace { kNamespace, kClass, kFunction, kData };

struct Classified {
  Brace kind = Brace::kData;
  size_t paramClose = kNone;  // for a function: the ')' closing its parameters, if it has any
};

class Finder {
 public:
  explicit Finder(const std::vector<Token>& tokens) : t_(tokens), match_(matchPairs(tokens)) {}
  std::vector<FunctionSpan> run() {
    scope(0, "", true);
    return std::move(out_);
  }

 private:
  bool is(size_t i, std::string_view s) const {
    return i < t_.size() && t_[i].kind != TokenKind::kLiteral && t_[i].text == s;
  }
  bool isIdentifier(size_t i) const {
    return i < t_.size() && t_[i].kind == TokenKind::kIdentifier;
  }
  bool isQualifier(size_t i) const {
    return is(i, "const") || is(i, "volatile") || is(i, "noexcept") || is(i, "override") ||
           is(i, "final") || is(i, "mutable") || is(i, "&") || is(i, "&&") || is(i, "try");
  }
  // Past the group opened at i when it closes before `end`, else kNone.
  size_t pastGroup(size_t i, size_t end) const {
    return match_[i] != kNone && match_[i] < end ? match_[i] + 1 : kNone;
  }
  size_t closeOf(size_t open) const { return match_[open] == kNone ? t_.size() - 1 : match_[open]; }

  size_t scope(size_t i, const std::string& prefix, bool top);
  Classified classify(size_t begin, size_t open) const;
  bool insideGroup(size_t begin, size_t open) const;
  size_t skipTemplateHeads(size_t begin, size_t open) const;
  size_t paramListClose(size_t begin, size_t open) const;
  size_t lastNonQualifier(size_t begin, size_t end) const;
  bool lambdaWithoutParams(size_t begin, size_t open) const;
  std::string functionName(size_t begin, size_t close) const;
  std::string className(size_t begin, size_t open) const;
  size_t body(size_t open, const std::string& name, int line);
  bool isInitializer(size_t open) const;
  bool afterTrailingReturn(size_t i) const;

  const std::vector<Token>& t_;
  std::vector<size_t> match_;
  std::vector<FunctionSpan> out_;
};

// Reads declarations from i up to the '}' that closes this scope; returns the index after it.
size_t Finder::scope(size_t i, const std::string& prefix, bool top) {
  size_t begin = i;  // where the current declaration started
  while (i < t_.size()) {
    if (is(i, ";") || (is(i, "}") && top)) {
      begin = ++i;
    } else if (is(i, "}")) {
      return i + 1;
    } else if ((is(i, "public") || is(i, "private") || is(i, "protected")) && is(i + 1, ":")) {
      i += 2;
      begin = i;
    } else if (!is(i, "{")) {
      ++i;
    } else {
      const Classified c = classify(begin, i);
      if (c.kind == Brace::kNamespace) {
        i = scope(i + 1, prefix, false);
      } else if (c.kind == Brace::kClass) {
        const std::string name = className(begin, i);
        i = scope(i + 1, name.empty() ? prefix : prefix + name + "::", false);
      } else if (c.kind == Brace::kFunction) {
        if (c.paramClose == kNone) {
          i = body(i, prefix + "lambda", t_[i].line);
        } else {  // the name's line: the token before the parameters' '('
          const size_t paren = match_[c.paramClose];
          i = body(i, prefix + functionName(begin, c.paramClose),
                   t_[paren > 0 ? paren - 1 : 0].line);
        }
      } else {
        i = closeOf(i) + 1;  // data: the declaration goes on after it
        continue;
      }
      begin = i;
    }
  }
  return i;
}

Classified Finder::classify(size_t begin, size_t open) const {
  if (begin == open || is(open - 1, "=")) return {};
  // Inside '(' or '[': a default argument, a braced or lambda argument of an initialiser (a
  // member-initialiser list's 'thread_([this] { loop(); })'): part of the declaration around it.
  if (insideGroup(begin, open)) return {};
  size_t first = begin;
  while (is(first, "inline")) ++first;
  if (is(first, "namespace")) return {Brace::kNamespace, kNone};
  if (is(begin, "extern") && begin + 2 == open && t_[begin + 1].kind == TokenKind::kLiteral) {
    return {Brace::kNamespace, kNone};  // extern "C" { (not extern "C" int f() {)
  }
  for (size_t k = skipTemplateHeads(begin, open); k < open && !is(k, "("); ++k) {
    if (is(k, "enum")) return {};
    if (is(k, "class") || is(k, "struct") || is(k, "union")) return {Brace::kClass, kNone};
    if (is(k, "[") || is(k, "{")) k = match_[k] == kNone ? k : match_[k];
  }
  const size_t close = paramListClose(begin, open);
  if (close != kNone) return {Brace::kFunction, close};
  if (lambdaWithoutParams(begin, open)) return {Brace::kFunction, kNone};
  return {};
}

// Whether a '(' or '[' opened since `begin` is still open at `open`.
bool Finder::insideGroup(size_t begin, size_t open) const {
  for (size_t k = begin; k < open;) {
    if (is(k, "(") || is(k, "[") || is(k, "{")) {
      const size_t past = pastGroup(k, open);
      if (past == kNone) return !is(k, "{");
      k = past;
    } else {
      ++k;
    }
  }
  return false;
}

size_t Finder::skipTemplateHeads(size_t begin, size_t open) const {
  size_t k = begin;
  while (is(k, "template") && is(k + 1, "<")) {
    int depth = 0;
    for (k = k + 1; k < open; ++k) {
      if (is(k, "(")) k = match_[k] == kNone ? k : match_[k];
      if (is(k, "<")) ++depth;
      if (is(k, ">") && --depth == 0) break;
    }
    ++k;
  }
  return k;
}

// The ')' closing the parameter list of a function whose body opens at `open`, or kNone.
size_t Finder::paramListClose(size_t begin, size_t open) const {
  size_t arrow = kNone, colon = kNone, equals = kNone;
  begin = skipTemplateHeads(begin, open);  // 'template <typename T = int>' holds no '='
  for (size_t k = begin; k < open;) {      // the tokens outside any parentheses
    if (is(k, "->") && !(k > begin && is(k - 1, "operator"))) arrow = k;
    if (is(k, ":") && colon == kNone) colon = k;
    if (is(k, "=") && equals == kNone && !(k > begin && is(k - 1, "operator"))) equals = k;
    const bool group = is(k, "(") || is(k, "[") || is(k, "{");
    k = group ? pastGroup(k, open) : k + 1;  // classify() saw that every group closes
  }
  size_t close = kNone;
  if (colon != kNone) {  // a constructor's member-initialiser list: ') : a_(x), b_{y} {'
    close = lastNonQualifier(begin, colon);
    const bool itemEnded = is(open - 1, ")") || is(open - 1, "}") || is(open - 1, "...");
    if (!itemEnded || (equals != kNone && equals < colon)) return kNone;
  } else {
    close = lastNonQualifier(begin, arrow == kNone ? open : arrow);
  }
  if (close == kNone || !is(close, ")") || match_[close] == kNone) return kNone;
  const size_t paren = match_[close];
  if (equals != kNone && equals < paren && !(paren > 0 && is(paren - 1, "]"))) return kNone;
  return close;
}

// The last token before `end` that is not a qualifier, noexcept(...), throw() or [[attribute]].
size_t Finder::lastNonQualifier(size_t begin, size_t end) const {
  size_t k = end;
  while (k > begin) {
    const size_t i = k - 1;
    const size_t m = match_[i];
    if (isQualifier(i)) {
      k = i;
    } else if (is(i, ")") && m != kNone && m > begin &&
               (is(m - 1, "noexcept") || is(m - 1, "throw") || is(m - 1, "__attribute__"))) {
      k = m - 1;
    } else if (is(i, "]") && i > begin && is(i - 1, "]") && m != kNone && m >= begin) {
      k = m;
    } else {
      return i;
    }
  }
  return kNone;
}

bool Finder::lambdaWithoutParams(size_t begin, size_t open) const {  // 'auto kRun = [&] {'
  const size_t last = lastNonQualifier(begin, open);
  return last != kNone && is(last, "]") && match_[last] != kNone && match_[last] > begin &&
         is(match_[last] - 1, "=");
}

std::string Finder::functionName(size_t begin, size_t close) const {
  const size_t paren = match_[close];
  if (paren == kNone || paren <= begin) return "?";
  size_t j = paren - 1;
  if (is(j, "]")) return "lambda";
  std::string name;
  size_t op = kNone;
  for (size_t d = 0; d < 4 && j >= begin + d; ++d) {
    if (is(j - d, "operator")) op = j - d;
  }
  if (is(j, ")") && match_[j] != kNone && match_[j] > begin && is(match_[j] - 1, "operator")) {
    name = "operator()";
    op = match_[j] - 1;
  } else if (op != kNone) {
    for (size_t k = op; k <= j; ++k)
      name += (k > op + 1 && isIdentifier(k) ? " " : "") + t_[k].text;
  } else {
    name = t_[j].text;
    if (j > begin && is(j - 1, "~")) {
      name = "~" + name;
      --j;
    }
  }
  j = op != kNone ? op : j;
  while (j >= begin + 2 && is(j - 1, "::")) {  // Outer::Inner::name, Store<T>::name
    j -= 2;
    for (int depth = 0; is(j, ">") || depth > 0; --j) {
      depth += is(j, ">") ? 1 : is(j, "<") ? -1 : 0;
      if (j == begin) return name;
    }
    if (!isIdentifier(j)) break;
    name = t_[j].text + "::" + name;
  }
  return name;
}

std::string Finder::className(size_t begin, size_t open) const {
  size_t k = skipTemplateHeads(begin, open);
  while (k < open && !(is(k, "class") || is(k, "struct") || is(k, "union"))) ++k;
  for (++k; k < open; ++k) {
    if (is(k, "[")) {
      k = match_[k] == kNone ? k : match_[k];
    } else if (isIdentifier(k) && is(k + 1, "(")) {  // alignas(8), __attribute__((...))
      k = match_[k + 1] == kNone ? k + 1 : match_[k + 1];
    } else if (isIdentifier(k) && !is(k, "final")) {
      return t_[k].text;
    } else if (is(k, ":") || is(k, "<")) {
      break;
    }
  }
  return "";  // anonymous
}

// Measures the function whose body opens at `open`; returns the index after its '}'.
size_t Finder::body(size_t open, const std::string& name, int line) {
  const size_t close = closeOf(open);
  int dataLines = 0;
  int counted = 0;  // the last line already counted as data
  for (size_t k = open + 1; k < close; ++k) {
    if (!is(k, "{") || !isInitializer(k)) continue;
    const size_t end = std::min(closeOf(k), close);
    const int from = std::max(t_[k].line, counted + 1);
    const int to = t_[end].line;
    if (to >= from) dataLines += to - from + 1;
    counted = std::max(counted, to);
    k = end;
  }
  out_.push_back({name, line, t_[close].line - t_[open].line + 1, dataLines});
  return close + 1;
}

// Inside a function: whether the '{' at `open` starts a braced initialiser rather than a block.
bool Finder::isInitializer(size_t open) const {
  const size_t p = open - 1;
  if (t_[p].kind == TokenKind::kLiteral) return false;
  if (is(p, "=") || is(p, "(") || is(p, ",") || is(p, "return") || is(p, "?")) return true;
  if (isIdentifier(p)) {
    if (is(p, "else") || is(p, "do") || is(p, "try") || isQualifier(p)) return false;
    if (p > 0 && (is(p - 1, "class") || is(p - 1, "struct") || is(p - 1, "union"))) return false;
    return !afterTrailingReturn(p);  // 'Type name{...}', but not a lambda's '-> Type {'
  }
  if (is(p, ">")) return !afterTrailingReturn(p);  // 'std::vector<int>{...}'
  return false;                                    // ')' ';' '{' '}' ']' ':' start blocks
}

bool Finder::afterTrailingReturn(size_t i) const {
  for (size_t n = 0; n < 16 && i > 0; ++n, --i) {
    if (is(i, "->")) return true;
    const bool typeToken = isIdentifier(i) || is(i, "::") || is(i, "<") || is(i, ">") ||
                           is(i, "*") || is(i, "&") || is(i, "&&");
    if (!typeToken) return false;
  }
  return false;
}

}  // namespace

std::vector<FunctionSpan> findFunctions(const LexedSource& source) {
  return Finder(source.tokens).run();
}

}  // namespace cspwatch::layout
