// SPDX-License-Identifier: Apache-2.0
#include "tenants/json_scanner.h"

#include <cstring>

#include "common/text_position.h"

namespace cspwatch::tenants {

namespace {

bool isOneOf(char c, const char* set) { return c != '\0' && std::strchr(set, c) != nullptr; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

JsonScanner::JsonScanner(TextWindow& text) : text_(text) {
  if (text_.has(2) && text_.view(0, 3) == "\xEF\xBB\xBF") pos_.offset = 3;
}

bool JsonScanner::skipSpace() {
  for (char c = peek(); isOneOf(c, " \t\r\n"); c = peek()) {
    if (c == '\r' && !(text_.has(pos_.offset + 1) && text_.at(pos_.offset + 1) == '\n'))
      return false;
    advance();
  }
  return true;
}

bool JsonScanner::take(char c) {
  if (atEnd() || peek() != c) return false;
  advance();
  return true;
}

bool JsonScanner::value(int depth) {
  switch (peek()) {
    case '{':
      return container('}', depth);
    case '[':
      return container(']', depth);
    case '"':
      return string();
    case 't':
      return word("true");
    case 'f':
      return word("false");
    case 'n':
      return word("null");
    default:
      return number();
  }
}

bool JsonScanner::key(std::string* raw) {
  const TextPos start = pos_;
  if (!string()) return false;
  const size_t end = pos_.offset;
  while (peek() == ' ' || peek() == '\t') advance();
  if (!take(':') || pos_.offset - start.offset > kMaxJsonKeyBytes) return false;
  if (raw != nullptr) raw->assign(text_.view(start.offset, end));
  return true;
}

void JsonScanner::advance() {
  const char c = text_.at(pos_.offset++);
  if (endsLine(c, peek())) {
    ++pos_.line;
    pos_.column = 1;
  } else {
    ++pos_.column;
  }
}

bool JsonScanner::string() {
  if (!take('"')) return false;
  while (!atEnd()) {
    const char c = peek();
    if (static_cast<unsigned char>(c) < 0x20) return false;
    advance();
    if (c == '"') return true;
    if (c != '\\') continue;
    if (take('u')) {
      for (int i = 0; i < 4; ++i)
        if (!isOneOf(peek(), "0123456789abcdefABCDEF") || !take(peek())) return false;
    } else if (!isOneOf(peek(), "\"\\/bfnrt") || !take(peek())) {
      return false;
    }
  }
  return false;
}

bool JsonScanner::endOfScalar() { return atEnd() || isOneOf(peek(), " \t\r\n,]}"); }

bool JsonScanner::word(std::string_view w) {
  for (size_t i = 0; i < w.size(); ++i)
    if (!text_.has(pos_.offset + i) || text_.at(pos_.offset + i) != w[i]) return false;
  for (size_t i = 0; i < w.size(); ++i) advance();
  return endOfScalar();
}

bool JsonScanner::digits() {
  if (!isDigit(peek())) return false;
  while (isDigit(peek())) advance();
  return true;
}

bool JsonScanner::number() {
  take('-');
  if (!take('0') && !digits()) return false;
  if (take('.') && !digits()) return false;
  if (take('e') || take('E')) {
    if (!take('+')) take('-');
    if (!digits()) return false;
  }
  return endOfScalar();
}

bool JsonScanner::container(char close, int depth) {
  if (depth >= kMaxJsonDepth) return false;
  advance();  // '{' or '['
  if (!skipSpace()) return false;
  if (take(close)) return true;
  while (true) {
    if (close == '}' && !(key(nullptr) && skipSpace())) return false;
    if (!value(depth + 1) || !skipSpace()) return false;
    if (take(close)) return true;
    if (!take(',') || !skipSpace()) return false;
  }
}

}  // namespace cspwatch::tenants
