// SPDX-License-Identifier: Apache-2.0
#include "rules/string_functions.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "rules/regex.h"
#include "rules/string_format.h"

namespace cspwatch::rules {

namespace {

using K = Type::Kind;
using VK = Value::Kind;

// Whether the first n arguments have the kinds `kinds` spells: s string, i int, l list. The
// compiler has checked the types it knew; a dyn argument may still hold anything.
bool fits(const Value* a, int n, std::string_view kinds) {
  static const std::string_view kLetters = "sil";
  static const VK kKinds[] = {VK::kString, VK::kInt, VK::kList};
  for (int i = 0; i < n; ++i)
    if (static_cast<size_t>(i) >= kinds.size() || a[i].kind() != kKinds[kLetters.find(kinds[i])])
      return false;
  return true;
}

Value indexError(int64_t index) {
  return Value::error("index out of range: " + std::to_string(index));
}

// ---- UTF-8, by hand: no ICU in our dependency set, and these need only character boundaries,
// code points and CEL's whitespace. Indexes count code points, as CEL's do. A byte that does not
// start a well-formed sequence counts as one character and is kept as it is (as Go's []rune()
// counts it; strings from sources and literals are valid UTF-8, so this is only robustness).

bool isContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The bytes of the character at s[i] (i < size): a well-formed sequence (no overlong form,
// surrogate or code point past U+10FFFF), or 1.
size_t charLength(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  if (c < 0xC2 || c > 0xF4) return 1;
  const size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (i + need > s.size()) return 1;
  // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
  const unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
  const unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
  if (at(i + 1) < lo || at(i + 1) > hi) return 1;
  for (size_t k = 2; k < need; ++k)
    if (!isContinuation(at(i + k))) return 1;
  return need;
}

// The code point of the `len`-byte character at s[i]; -1 for a malformed byte.
int32_t codePoint(std::string_view s, size_t i, size_t len) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (len == 1) return c < 0x80 ? c : -1;
  int32_t cp = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

// Go's unicode.IsSpace, the Unicode White_Space property, which CEL's trim() uses: not the
// zero-width characters (U+200B, U+FEFF) nor U+180E.
bool isUnicodeSpace(int32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// A walk over a string's characters that only goes forward: `byte` is where it stands and
// `chars` how many characters lie before it.
struct Cursor {
  std::string_view s;
  size_t byte = 0;
  int64_t chars = 0;

  // `count` characters further on; false (standing at the end) when the string ends first.
  bool advanceChars(int64_t count) {
    for (; count > 0; --count, ++chars) {
      if (byte >= s.size()) return false;
      byte += charLength(s, byte);
    }
    return true;
  }
  // To the first character boundary at or after `target`; whether that is `target`.
  bool advanceTo(size_t target) {
    for (; byte < target; ++chars) byte += charLength(s, byte);
    return byte == target;
  }
};

// Substring search in time linear in text plus pattern (Knuth-Morris-Pratt), whatever both hold.
// std::string_view::find tries each position in turn, which takes |text| * |pattern| steps for
// 'aaa...ab' in 'aaa...a': a tenant's value must not make a rule that slow.
class Matcher {
 public:
  explicit Matcher(std::string_view pattern) : p_(pattern), fail_(pattern.size(), 0) {
    for (size_t i = 1, k = 0; i < p_.size(); ++i) {
      while (k > 0 && p_[i] != p_[k]) k = fail_[k - 1];
      if (p_[i] == p_[k]) ++k;
      fail_[i] = k;
    }
  }
  // Calls found(start) for each occurrence starting at or after `from`, overlapping ones too,
  // in order, until it returns false. REQUIRES: a pattern that is not empty.
  template <typename F>
  void forEach(std::string_view text, size_t from, F found) const {
    for (size_t i = from, k = 0; i < text.size(); ++i) {
      while (k > 0 && text[i] != p_[k]) k = fail_[k - 1];
      if (text[i] == p_[k]) ++k;
      if (k == p_.size()) {
        if (!found(i + 1 - k)) return;
        k = fail_[k - 1];
      }
    }
  }
  size_t find(std::string_view text, size_t from) const {
    size_t at = std::string_view::npos;
    forEach(text, from, [&at](size_t p) {
      at = p;
      return false;
    });
    return at;
  }

 private:
  std::string_view p_;
  std::vector<size_t> fail_;  // fail_[i]: the longest proper border of p_[0..i]
};

// ---- The functions.

template <bool (*Test)(std::string_view, std::string_view)>
Value stringTest(const Value* a, int n) {
  if (!fits(a, n, "ss")) return errorNoOverload("string test", a, n);
  return Value::boolean(Test(a[0].asString(), a[1].asString()));
}

bool containsTest(std::string_view s, std::string_view t) {
  return t.empty() || Matcher(t).find(s, 0) != std::string_view::npos;
}

Value matches(const Value* a, int n) {
  if (!fits(a, n, "ss")) return errorNoOverload("matches", a, n);
  // A pattern built at evaluation time; a literal one is compiled at load (expr_compiler.cpp).
  auto re = Regex::compile(a[1].asString());
  if (!re) return Value::error("invalid regular expression: " + re.status().message());
  return Value::boolean((*re)->search(a[0].asString()));
}

Value lowerAscii(const Value* a, int n) {
  if (!fits(a, n, "s")) return errorNoOverload("lowerAscii", a, n);
  return Value::string(toLowerAscii(a[0].asString()));
}

Value upperAscii(const Value* a, int n) {
  if (!fits(a, n, "s")) return errorNoOverload("upperAscii", a, n);
  std::string s = a[0].asString();
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return Value::string(s);
}

Value trimFn(const Value* a, int n) {
  if (!fits(a, n, "s")) return errorNoOverload("trim", a, n);
  const std::string_view s = a[0].asString();
  size_t begin = s.size(), end = 0;  // of the first and past the last character kept
  for (size_t i = 0, len; i < s.size(); i += len) {
    len = charLength(s, i);
    if (isUnicodeSpace(codePoint(s, i, len))) continue;
    begin = std::min(begin, i);
    end = i + len;
  }
  return Value::string(begin < end ? std::string(s.substr(begin, end - begin)) : "");
}

Value charAt(const Value* a, int n) {
  if (!fits(a, n, "si")) return errorNoOverload("charAt", a, n);
  Cursor c{a[0].asString()};
  const int64_t i = a[1].asInt();
  if (i < 0 || !c.advanceChars(i)) return indexError(i);
  if (c.byte == c.s.size()) return Value::string("");
  return Value::string(std::string(c.s.substr(c.byte, charLength(c.s, c.byte))));
}

// The character index of the first occurrence of `part` that starts and ends on character
// boundaries, searching from `c`; -1 if none.
int64_t firstFrom(Cursor c, std::string_view part) {
  Cursor end = c;
  int64_t found = -1;
  Matcher(part).forEach(c.s, c.byte, [&](size_t p) {
    if (!c.advanceTo(p) || !end.advanceTo(p + part.size())) return true;
    found = c.chars;
    return false;
  });
  return found;
}

// string.indexOf(part[, from]): from is a character index, 0 to size() (else an error).
Value indexOf(const Value* a, int n) {
  if (!fits(a, n, "ssi")) return errorNoOverload("indexOf", a, n);
  const int64_t from = n == 3 ? a[2].asInt() : 0;
  Cursor c{a[0].asString()};
  if (from < 0 || !c.advanceChars(from)) return indexError(from);
  if (a[1].asString().empty()) return Value::integer(from);
  return Value::integer(firstFrom(c, a[1].asString()));
}

// string.lastIndexOf(part[, last]): the last occurrence starting at character `last` or before.
Value lastIndexOf(const Value* a, int n) {
  if (!fits(a, n, "ssi")) return errorNoOverload("lastIndexOf", a, n);
  const std::string_view s = a[0].asString(), part = a[1].asString();
  Cursor c{s};
  int64_t last = 0;
  if (n == 3) {
    last = a[2].asInt();
    if (last < 0 || !c.advanceChars(last)) return indexError(last);
  } else {
    c.advanceTo(s.size());
    last = c.chars;
  }
  if (part.empty()) return Value::integer(last);
  const size_t limit = c.byte;  // the last byte an occurrence may start at
  Cursor start{s}, end{s};
  int64_t found = -1;
  Matcher(part).forEach(s.substr(0, std::min(s.size(), limit + part.size())), 0, [&](size_t p) {
    if (start.advanceTo(p) && end.advanceTo(p + part.size())) found = start.chars;
    return true;
  });
  return Value::integer(found);
}

// string.substring(begin[, end]): character indexes, 0 <= begin <= end <= size().
Value substring(const Value* a, int n) {
  if (!fits(a, n, "sii")) return errorNoOverload("substring", a, n);
  const int64_t begin = a[1].asInt();
  if (n == 3 && begin > a[2].asInt())
    return Value::error("invalid substring range. start: " + std::to_string(begin) +
                        ", end: " + std::to_string(a[2].asInt()));
  Cursor c{a[0].asString()};
  if (begin < 0 || !c.advanceChars(begin)) return indexError(begin);
  const size_t from = c.byte;
  if (n == 3 && !c.advanceChars(a[2].asInt() - begin)) return indexError(a[2].asInt());
  if (n == 2) c.byte = c.s.size();
  return Value::string(std::string(c.s.substr(from, c.byte - from)));
}

// string.split(separator[, limit]) as Go's strings.SplitN, which CEL's definition uses: at most
// `limit` parts (all when negative, none when 0), the last holding the rest; an empty
// separator splits between characters. Never more parts than the string has bytes, plus one.
Value split(const Value* a, int n) {
  if (!fits(a, n, "ssi")) return errorNoOverload("split", a, n);
  const std::string_view s = a[0].asString(), sep = a[1].asString();
  const int64_t limit = n == 3 ? a[2].asInt() : -1;
  ValueList parts;
  const auto room = [&] { return limit < 0 || static_cast<int64_t>(parts.size()) + 1 < limit; };
  size_t pos = 0;
  if (limit == 0) return Value::list({});
  if (sep.empty()) {
    if (s.empty()) return Value::list({});
    for (size_t len; room() && pos < s.size(); pos += len) {
      len = charLength(s, pos);
      parts.push_back(Value::string(std::string(s.substr(pos, len))));
    }
    if (pos < s.size()) parts.push_back(Value::string(std::string(s.substr(pos))));
    return Value::list(std::move(parts));
  }
  const Matcher m(sep);
  for (size_t at; room() && (at = m.find(s, pos)) != std::string_view::npos; pos = at + sep.size())
    parts.push_back(Value::string(std::string(s.substr(pos, at - pos))));
  parts.push_back(Value::string(std::string(s.substr(pos))));
  return Value::list(std::move(parts));
}

// string.replace(old, new[, limit]) as Go's strings.Replace: the first `limit` occurrences
// (all when negative); an empty `old` matches before each character and at the end.
Value replace(const Value* a, int n) {
  if (!fits(a, n, "sssi")) return errorNoOverload("replace", a, n);
  const std::string_view s = a[0].asString(), from = a[1].asString(), to = a[2].asString();
  // Any negative limit means all: -1 stands for them, so the count below never overflows.
  int64_t limit = n == 4 ? std::max<int64_t>(a[3].asInt(), -1) : -1;
  if (limit == 0 || from == to) return a[0];
  const size_t most = builtStringLimit(s.size() + from.size() + to.size());
  std::string out;
  size_t pos = 0;  // the first byte not yet copied
  const Matcher m(from);
  for (bool first = true; limit != 0; --limit, first = false) {
    size_t at;  // where this occurrence starts
    if (!from.empty()) {
      if ((at = m.find(s, pos)) == std::string_view::npos) break;
    } else if (first) {
      at = 0;
    } else if (pos < s.size()) {
      at = pos + charLength(s, pos);  // after the next character
    } else {
      break;
    }
    out.append(s.substr(pos, at - pos)).append(to);
    if (out.size() > most) return tooLarge("replace", most);
    pos = at + from.size();
  }
  if (pos < s.size()) out.append(s.substr(pos));
  if (out.size() > most) return tooLarge("replace", most);
  return Value::string(std::move(out));
}

// The characters in reverse order (each character's bytes kept in order).
Value reverse(const Value* a, int n) {
  if (!fits(a, n, "s")) return errorNoOverload("reverse", a, n);
  const std::string_view s = a[0].asString();
  std::string out(s.size(), '\0');
  for (size_t i = 0, len; i < s.size(); i += len) {
    len = charLength(s, i);
    s.copy(&out[s.size() - i - len], len, i);
  }
  return Value::string(std::move(out));
}

// strings.quote(s): s in double quotes with CEL's escapes for \a \b \f \n \r \t \v, backslash
// and double quote, and U+FFFD for each malformed byte (as cel-go's quote()).
Value quote(const Value* a, int n) {
  if (!fits(a, n, "s")) return errorNoOverload("strings.quote", a, n);
  const std::string_view s = a[0].asString();
  static const std::string_view kRaw = "\a\b\f\n\r\t\v\\\"";
  static const std::string_view kEscaped = "abfnrtv\\\"";
  std::string out = "\"";
  for (size_t i = 0, len; i < s.size(); i += len) {
    len = charLength(s, i);
    if (const size_t k = kRaw.find(s[i]); k != std::string_view::npos) {
      out.append(1, '\\').append(1, kEscaped[k]);
    } else if (codePoint(s, i, len) < 0) {
      out.append("\xEF\xBF\xBD");
    } else {
      out.append(s.substr(i, len));
    }
  }
  return Value::string(out + "\"");
}

}  // namespace

const std::vector<Function>& stringFunctions() {
  using S = Function::Style;
  static const std::vector<Function> kStringFunctions = {
      {"startsWith",
       S::kMember,
       {sig({K::kString, K::kString}, K::kBool)},
       stringTest<startsWith>,
       "string.startsWith(prefix) -> bool"},
      {"endsWith",
       S::kMember,
       {sig({K::kString, K::kString}, K::kBool)},
       stringTest<endsWith>,
       "string.endsWith(suffix) -> bool"},
      {"contains",
       S::kMember,
       {sig({K::kString, K::kString}, K::kBool)},
       stringTest<containsTest>,
       "string.contains(part) -> bool"},
      {"matches",
       S::kBoth,
       {sig({K::kString, K::kString}, K::kBool)},
       matches,
       "string.matches(regex) -> bool (RE2 syntax, unanchored search)"},
      {"lowerAscii",
       S::kMember,
       {sig({K::kString}, K::kString)},
       lowerAscii,
       "string.lowerAscii() -> string"},
      {"upperAscii",
       S::kMember,
       {sig({K::kString}, K::kString)},
       upperAscii,
       "string.upperAscii() -> string"},
      {"trim", S::kMember, {sig({K::kString}, K::kString)}, trimFn, "string.trim() -> string"},
      {"charAt",
       S::kMember,
       {sig({K::kString, K::kInt}, K::kString)},
       charAt,
       "string.charAt(index) -> string (one character, or \"\" at size())"},
      {"indexOf",
       S::kMember,
       {sig({K::kString, K::kString}, K::kInt), sig({K::kString, K::kString, K::kInt}, K::kInt)},
       indexOf,
       "string.indexOf(part[, from]) -> int (a character index, or -1)"},
      {"lastIndexOf",
       S::kMember,
       {sig({K::kString, K::kString}, K::kInt), sig({K::kString, K::kString, K::kInt}, K::kInt)},
       lastIndexOf,
       "string.lastIndexOf(part[, last]) -> int (a character index, or -1)"},
      {"substring",
       S::kMember,
       {sig({K::kString, K::kInt}, K::kString), sig({K::kString, K::kInt, K::kInt}, K::kString)},
       substring,
       "string.substring(begin[, end]) -> string (character indexes, end excluded)"},
      {"split",
       S::kMember,
       {sig({K::kString, K::kString}, K::kList), sig({K::kString, K::kString, K::kInt}, K::kList)},
       split,
       "string.split(separator[, limit]) -> list of strings"},
      {"replace",
       S::kMember,
       {sig({K::kString, K::kString, K::kString}, K::kString),
        sig({K::kString, K::kString, K::kString, K::kInt}, K::kString)},
       replace,
       "string.replace(old, new[, limit]) -> string"},
      {"reverse",
       S::kMember,
       {sig({K::kString}, K::kString)},
       reverse,
       "string.reverse() -> string"},
      {"strings.quote",
       S::kGlobal,
       {sig({K::kString}, K::kString)},
       quote,
       "strings.quote(string) -> string (double-quoted, with escapes)"},
      {"format",
       S::kMember,
       {sig({K::kString, K::kList}, K::kString)},
       formatFn,
       "string.format(list) -> string (%s %d %f %e %x %X %o %b, %.3f, %%)"},
  };
  return kStringFunctions;
}

}  // namespace cspwatch::rules
