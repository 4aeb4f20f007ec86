// SPDX-License-Identifier: Apache-2.0
#include "tests/rules/cel_conformance/textproto.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "common/text.h"

namespace cspwatch::celconf {

namespace {

constexpr int kMaxDepth = 100;

bool isIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The magnitude of an unsigned integer literal (decimal, 0x hex or 0 octal); false if `s` is
// not one or does not fit in 64 bits.
bool parseMagnitude(const std::string& s, uint64_t& out) {
  if (s.empty()) return false;
  int base = 10;
  size_t i = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    i = 2;
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    i = 1;
  }
  out = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) {
      d = std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    } else {
      return false;
    }
    if (d >= base) return false;
    if (out > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                  static_cast<uint64_t>(base))
      return false;
    out = out * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  return true;
}

// A decimal floating-point literal, with an optional f/F suffix.
bool parseFloat(std::string s, double& out) {
  if (!s.empty() && (s.back() == 'f' || s.back() == 'F')) s.pop_back();
  if (s.empty() || s[0] == '+') return false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

bool isSpecialFloat(const std::string& ident) {
  const std::string l = toLowerAscii(ident[0] == '-' ? ident.substr(1) : ident);
  return l == "inf" || l == "infinity" || l == "nan";
}

class Parser {
 public:
  Parser(const std::string& text, std::string file) : s_(text), file_(std::move(file)) {}

  Message parseFile() {
    Message m;
    m.where = file_ + ":1:1";
    parseFields(m, '\0', 0);
    return m;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw TextprotoError(file_ + ":" + std::to_string(line_) + ":" + std::to_string(col_) + ": " +
                         what);
  }
  bool atEnd() const { return i_ >= s_.size(); }
  char peek(size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
  void advance() {
    if (s_[i_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++i_;
  }
  void skipSpace() {
    while (!atEnd()) {
      const char c = peek();
      if (c == '#') {
        while (!atEnd() && peek() != '\n') advance();
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        advance();
      } else {
        return;
      }
    }
  }
  std::string describeHere() const {
    if (atEnd()) return "the end of the file";
    return std::string("'") + peek() + "'";
  }
  std::string identifier() {
    std::string out;
    while (!atEnd() && isIdentChar(peek())) {
      out += peek();
      advance();
    }
    return out;
  }

  void parseFields(Message& m, char close, int depth);
  void parseField(Message& m, int depth);
  std::string fieldName();
  void parseMessageBody(Field& f, int depth);
  void parseScalar(Field& f);
  void parseList(Message& m, const Field& proto, int depth);
  std::string quoted();
  void escape(std::string& out, char quote);
  std::string number();

  const std::string& s_;
  std::string file_;
  size_t i_ = 0;
  int line_ = 1;
  int col_ = 1;
};

void Parser::parseFields(Message& m, char close, int depth) {
  for (;;) {
    skipSpace();
    if (atEnd()) {
      if (close != '\0') fail(std::string("expected '") + close + "' before the end of the file");
      return;
    }
    if (peek() == close) {
      advance();
      return;
    }
    parseField(m, depth);
    skipSpace();
    if (peek() == ',' || peek() == ';') advance();
  }
}

std::string Parser::fieldName() {
  if (peek() == '[') {  // an extension or an Any's type URL
    advance();
    skipSpace();
    std::string name = "[";
    while (!atEnd() && (isIdentChar(peek()) || peek() == '.' || peek() == '/' || peek() == '-')) {
      name += peek();
      advance();
    }
    if (name == "[") fail("expected a type name after '[', found " + describeHere());
    skipSpace();
    if (peek() != ']') fail("expected ']' after the type name, found " + describeHere());
    advance();
    return name + "]";
  }
  if (!isIdentStart(peek())) fail("expected a field name, found " + describeHere());
  return identifier();
}

void Parser::parseField(Message& m, int depth) {
  Field f;
  f.file = file_;
  f.line = line_;
  f.column = col_;
  f.name = fieldName();
  skipSpace();
  bool colon = false;
  if (peek() == ':') {
    colon = true;
    advance();
    skipSpace();
  }
  if (peek() == '{' || peek() == '<') {
    parseMessageBody(f, depth + 1);
  } else if (colon && peek() == '[') {
    parseList(m, f, depth + 1);
    return;
  } else if (colon) {
    parseScalar(f);
  } else {
    fail("expected ':' or '{' after field '" + f.name + "', found " + describeHere());
  }
  m.fields.push_back(std::move(f));
}

void Parser::parseMessageBody(Field& f, int depth) {
  if (depth > kMaxDepth) fail("messages nested more than " + std::to_string(kMaxDepth) + " deep");
  const char close = peek() == '{' ? '}' : '>';
  f.message.where = file_ + ":" + std::to_string(line_) + ":" + std::to_string(col_);
  advance();
  f.kind = Field::Kind::kMessage;
  parseFields(f.message, close, depth);
}

// `name: [a, b, ...]`: one field per element, each at the element's position.
void Parser::parseList(Message& m, const Field& proto, int depth) {
  advance();  // '['
  for (bool first = true;; first = false) {
    skipSpace();
    if (peek() == ']') {
      advance();
      return;
    }
    if (!first) {
      if (peek() != ',') fail("expected ',' or ']' in a list, found " + describeHere());
      advance();
      skipSpace();
    }
    Field f = proto;
    f.line = line_;
    f.column = col_;
    if (peek() == '{' || peek() == '<')
      parseMessageBody(f, depth);
    else
      parseScalar(f);
    m.fields.push_back(std::move(f));
  }
}

void Parser::parseScalar(Field& f) {
  const char c = peek();
  if (c == '"' || c == '\'') {
    f.kind = Field::Kind::kString;
    f.text = quoted();
    for (;;) {  // adjacent literals are one string
      skipSpace();
      if (peek() != '"' && peek() != '\'') return;
      f.text += quoted();
    }
  }
  if (c == '-' && isIdentStart(peek(1))) {
    advance();
    f.kind = Field::Kind::kIdentifier;
    f.text = "-" + identifier();
    if (!isSpecialFloat(f.text)) fail("expected a number after '-', found '" + f.text + "'");
    return;
  }
  if (c == '-' || c == '.' || std::isdigit(static_cast<unsigned char>(c))) {
    f.kind = Field::Kind::kNumber;
    f.text = number();
    return;
  }
  if (isIdentStart(c)) {
    f.kind = Field::Kind::kIdentifier;
    f.text = identifier();
    return;
  }
  fail("expected a value for field '" + f.name + "', found " + describeHere());
}

std::string Parser::number() {
  const int line = line_, col = col_;
  std::string t;
  if (peek() == '-') {
    t += '-';
    advance();
  }
  while (!atEnd()) {
    const char c = peek();
    const bool sign_of_exponent = (c == '+' || c == '-') && !t.empty() &&
                                  (t.back() == 'e' || t.back() == 'E') &&
                                  t.find_first_of("xX") == std::string::npos;
    if (!(isIdentChar(c) || c == '.' || sign_of_exponent)) break;
    t += c;
    advance();
  }
  const std::string magnitude = t[0] == '-' ? t.substr(1) : t;
  uint64_t u;
  double d;
  if (!parseMagnitude(magnitude, u) && !parseFloat(magnitude, d)) {
    line_ = line;
    col_ = col;
    fail("malformed number '" + t + "'");
  }
  return t;
}

std::string Parser::quoted() {
  const char quote = peek();
  advance();
  std::string out;
  for (;;) {
    if (atEnd() || peek() == '\n')
      fail("unterminated string (missing " + std::string(1, quote) + ")");
    const char c = peek();
    if (c == quote) {
      advance();
      return out;
    }
    if (c == '\\') {
      escape(out, quote);
    } else {
      out += c;
      advance();
    }
  }
}

void Parser::escape(std::string& out, char quote) {
  advance();  // the backslash
  if (atEnd()) fail("unterminated string (missing " + std::string(1, quote) + ")");
  const char c = peek();
  auto hexDigits = [this](size_t min, size_t max) {
    uint32_t v = 0;
    size_t n = 0;
    while (n < max && std::isxdigit(static_cast<unsigned char>(peek()))) {
      const char h = static_cast<char>(std::tolower(static_cast<unsigned char>(peek())));
      v = v * 16 + static_cast<uint32_t>(h <= '9' ? h - '0' : h - 'a' + 10);
      advance();
      ++n;
    }
    if (n < min) fail("expected " + std::to_string(min) + " hex digit(s) in an escape");
    return v;
  };
  switch (c) {
    case 'n':
      out += '\n';
      break;
    case 't':
      out += '\t';
      break;
    case 'r':
      out += '\r';
      break;
    case 'a':
      out += '\a';
      break;
    case 'b':
      out += '\b';
      break;
    case 'f':
      out += '\f';
      break;
    case 'v':
      out += '\v';
      break;
    case '\\':
    case '\'':
    case '"':
    case '?':
      out += c;
      break;
    case 'x':
    case 'X':
      advance();
      out += static_cast<char>(hexDigits(1, 2));
      return;
    case 'u':
    case 'U': {
      advance();
      const size_t n = c == 'u' ? 4 : 8;
      const uint32_t cp = hexDigits(n, n);
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        fail("escape \\" + std::string(1, c) + " names no Unicode character");
      appendUtf8(out, cp);
      return;
    }
    default:
      if (c >= '0' && c <= '7') {
        int v = 0;
        for (int n = 0; n < 3 && peek() >= '0' && peek() <= '7'; ++n) {
          v = v * 8 + (peek() - '0');
          advance();
        }
        if (v > 0xFF) fail("octal escape above \\377");
        out += static_cast<char>(v);
        return;
      }
      fail(std::string("unknown escape '\\") + c + "'");
  }
  advance();
}

}  // namespace

const Field* Message::find(const std::string& name) const {
  for (const Field& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

const Field& Message::get(const std::string& name) const {
  if (const Field* f = find(name)) return *f;
  throw TextprotoError(where + ": missing field '" + name + "'");
}

std::vector<const Field*> Message::all(const std::string& name) const {
  std::vector<const Field*> out;
  for (const Field& f : fields)
    if (f.name == name) out.push_back(&f);
  return out;
}

std::string Field::where() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {
[[noreturn]] void wrongKind(const Field& f, const std::string& wanted) {
  throw TextprotoError(f.where() + ": field '" + f.name + "' must be " + wanted + ", found " +
                       (f.isMessage() ? std::string("a message") : "'" + f.text + "'"));
}
}  // namespace

const Message& Field::asMessage() const {
  if (kind != Kind::kMessage) wrongKind(*this, "a message");
  return message;
}

const std::string& Field::asString() const {
  if (kind != Kind::kString) wrongKind(*this, "a string");
  return text;
}

int64_t Field::asInt64() const {
  uint64_t u;
  if (kind != Kind::kNumber || !parseMagnitude(text[0] == '-' ? text.substr(1) : text, u))
    wrongKind(*this, "an integer");
  constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
  if (text[0] == '-') {
    if (u > kMinMagnitude) wrongKind(*this, "an int64 (it is below -2^63)");
    return u == kMinMagnitude ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(u);
  }
  if (u >= kMinMagnitude) wrongKind(*this, "an int64 (it is above 2^63-1)");
  return static_cast<int64_t>(u);
}

uint64_t Field::asUint64() const {
  uint64_t u;
  if (kind != Kind::kNumber || text[0] == '-' || !parseMagnitude(text, u))
    wrongKind(*this, "an unsigned integer");
  return u;
}

double Field::asDouble() const {
  if (kind == Kind::kIdentifier && isSpecialFloat(text)) {
    const bool neg = text[0] == '-';
    const std::string l = toLowerAscii(neg ? text.substr(1) : text);
    const double v = l == "nan" ? std::numeric_limits<double>::quiet_NaN()
                                : std::numeric_limits<double>::infinity();
    return neg ? -v : v;
  }
  if (kind != Kind::kNumber) wrongKind(*this, "a number");
  const bool neg = text[0] == '-';
  const std::string magnitude = neg ? text.substr(1) : text;
  uint64_t u;
  double d;
  if (parseMagnitude(magnitude, u) && magnitude.find_first_of("xX") != std::string::npos)
    d = static_cast<double>(u);
  else if (!parseFloat(magnitude, d))
    wrongKind(*this, "a number");
  return neg ? -d : d;
}

bool Field::asBool() const {
  if (kind == Kind::kIdentifier) {
    if (text == "true" || text == "True" || text == "t") return true;
    if (text == "false" || text == "False" || text == "f") return false;
  }
  if (kind == Kind::kNumber && (text == "1" || text == "0")) return text == "1";
  wrongKind(*this, "a bool");
}

const std::string& Field::asEnum() const {
  if (kind != Kind::kIdentifier && kind != Kind::kNumber) wrongKind(*this, "an enum value");
  return text;
}

Message parseTextproto(const std::string& text, const std::string& file) {
  return Parser(text, file).parseFile();
}

}  // namespace cspwatch::celconf
