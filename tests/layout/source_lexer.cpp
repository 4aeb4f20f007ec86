// SPDX-License-Identifier: Apache-2.0
#include "tests/layout/source_lexer.h"

#include <array>
#include <cctype>

namespace cspwatch::layout {
namespace {

bool isIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool isIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Punctuators the structure depends on, longest first. "<<" and ">>" are deliberately absent:
// a template's closing ">>" must stay two tokens.
constexpr std::array<std::string_view, 21> kPunctuators = {
    "...", "->*", "::", "->", "==", "!=", "<=", ">=", "&&", "||", "++",
    "--",  "+=",  "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##"};

class Lexer {
 public:
  explicit Lexer(std::string_view source) : s_(source) {}
  LexedSource run();

 private:
  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  bool lineSplice() const { return peek() == '\\' && (peek(1) == '\n' || peek(1) == '\r'); }
  void advance();
  void skipSplice();
  void skipLineComment();
  void skipBlockComment();
  void lexDirective();
  void lexQuoted(size_t start);
  void lexRawString(size_t start);
  void lexNumber();
  void lexWord();
  void lexPunct();
  void emit(TokenKind kind, size_t start, int line) {
    out_.tokens.push_back({kind, std::string(s_.substr(start, pos_ - start)), line});
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 1;
  bool lineStart_ = true;  // nothing but blanks and comments since the last newline
  LexedSource out_;
};

void Lexer::advance() {
  if (pos_ >= s_.size()) return;
  if (s_[pos_] == '\n') ++line_;
  ++pos_;
}

void Lexer::skipSplice() {
  advance();  // the backslash
  if (peek() == '\r') advance();
  if (peek() == '\n') advance();
}

void Lexer::skipLineComment() {  // up to the newline, which is left for the caller
  while (pos_ < s_.size() && peek() != '\n') {
    if (lineSplice()) {
      skipSplice();  // a comment ending in a backslash goes on to the next line
    } else {
      advance();
    }
  }
}

void Lexer::skipBlockComment() {
  advance();
  advance();
  while (pos_ < s_.size() && !(peek() == '*' && peek(1) == '/')) advance();
  advance();
  advance();
}

void Lexer::lexDirective() {
  const int line = line_;
  std::string text;
  while (pos_ < s_.size() && peek() != '\n') {
    if (lineSplice()) {
      skipSplice();
      text += ' ';
    } else if (peek() == '/' && peek(1) == '*') {
      skipBlockComment();
      text += ' ';
    } else if (peek() == '/' && peek(1) == '/') {
      skipLineComment();
    } else if (peek() == '"') {  // copied whole: "a//b.h" holds no comment
      text += peek();
      advance();
      while (pos_ < s_.size() && peek() != '"' && peek() != '\n') {
        text += peek();
        advance();
      }
      if (peek() == '"') {
        text += '"';
        advance();
      }
    } else {
      text += peek();
      advance();
    }
  }
  out_.directives.push_back({std::move(text), line});
}

void Lexer::lexQuoted(size_t start) {  // pos_ is at the opening quote
  const int line = line_;
  const char quote = peek();
  advance();
  while (pos_ < s_.size() && peek() != quote && peek() != '\n') {
    if (peek() == '\\') advance();  // an escaped quote or backslash
    advance();
  }
  if (peek() == quote) advance();  // else unterminated: the literal ends with its line
  emit(TokenKind::kLiteral, start, line);
}

void Lexer::lexRawString(size_t start) {  // pos_ is at the '"' of R"delim(
  const int line = line_;
  const size_t open = s_.find('(', pos_);
  const std::string_view delim =
      open == std::string_view::npos ? std::string_view() : s_.substr(pos_ + 1, open - pos_ - 1);
  if (open == std::string_view::npos || delim.size() > 16 ||
      delim.find_first_of(" \t\n\\)") != std::string_view::npos) {
    lexQuoted(start);  // not a raw string after all
    return;
  }
  const std::string closing = ")" + std::string(delim) + "\"";
  const size_t end = s_.find(closing, open + 1);
  const size_t stop = end == std::string_view::npos ? s_.size() : end + closing.size();
  while (pos_ < stop) advance();
  emit(TokenKind::kLiteral, start, line);
}

void Lexer::lexNumber() {  // a pp-number: 0x1F, 1'000'000, 1.5e-3f
  const size_t start = pos_;
  const int line = line_;
  while (pos_ < s_.size()) {
    const char c = peek();
    if ((c == '+' || c == '-') && pos_ > start &&
        std::string_view("eEpP").find(s_[pos_ - 1]) != std::string_view::npos) {
      advance();
    } else if (c == '\'' && isIdentChar(peek(1))) {  // a digit separator, not a char literal
      advance();
    } else if (isIdentChar(c) || c == '.') {
      advance();
    } else {
      break;
    }
  }
  emit(TokenKind::kLiteral, start, line);
}

void Lexer::lexWord() {
  const size_t start = pos_;
  const int line = line_;
  while (pos_ < s_.size() && isIdentChar(peek())) advance();
  const std::string_view word = s_.substr(start, pos_ - start);
  const bool rawPrefix =
      word == "R" || word == "u8R" || word == "uR" || word == "UR" || word == "LR";
  const bool textPrefix = word == "u8" || word == "u" || word == "U" || word == "L";
  if (rawPrefix && peek() == '"') {
    lexRawString(start);
  } else if (textPrefix && (peek() == '"' || peek() == '\'')) {
    lexQuoted(start);
  } else {
    emit(TokenKind::kIdentifier, start, line);
  }
}

void Lexer::lexPunct() {
  const size_t start = pos_;
  const int line = line_;
  size_t length = 1;
  for (const std::string_view p : kPunctuators) {
    if (s_.substr(pos_, p.size()) == p) {
      length = p.size();
      break;
    }
  }
  for (size_t i = 0; i < length; ++i) advance();
  emit(TokenKind::kPunct, start, line);
}

LexedSource Lexer::run() {
  while (pos_ < s_.size()) {
    const char c = peek();
    if (c == '\n') {
      advance();
      lineStart_ = true;
    } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      advance();
    } else if (lineSplice()) {
      skipSplice();
    } else if (c == '/' && peek(1) == '/') {
      skipLineComment();
    } else if (c == '/' && peek(1) == '*') {
      skipBlockComment();
    } else if (c == '#' && lineStart_) {
      lexDirective();
    } else {
      lineStart_ = false;
      if (c == '"' || c == '\'') {
        lexQuoted(pos_);
      } else if (isDigit(c) || (c == '.' && isDigit(peek(1)))) {
        lexNumber();
      } else if (isIdentStart(c)) {
        lexWord();
      } else {
        lexPunct();
      }
    }
  }
  return std::move(out_);
}

}  // namespace

LexedSource lex(std::string_view source) { return Lexer(source).run(); }

std::string quotedInclude(const Directive& directive) {
  const std::string& t = directive.text;
  size_t i = t.find_first_not_of(" \t", 1);  // after the '#'
  if (i == std::string::npos || t.compare(i, 7, "include") != 0) return "";
  i = t.find_first_not_of(" \t", i + 7);
  if (i == std::string::npos || t[i] != '"') return "";
  const size_t end = t.find('"', i + 1);
  return end == std::string::npos ? "" : t.substr(i + 1, end - i - 1);
}

}  // namespace cspwatch::layout
