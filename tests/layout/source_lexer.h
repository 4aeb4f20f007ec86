// SPDX-License-Identifier: Apache-2.0
// A small C++ lexer for the layout test: enough of the language to find #include lines and
// function bodies, not to compile anything. It drops comments, keeps each string, character or
// number literal (raw strings R"x(...)x" included) as one opaque token, and hands back each
// preprocessor directive whole, so a brace or an #include inside a comment, a literal or a
// macro definition is never seen as code. Lines are 1-based.
//
// Written by hand because the check must run in every build without a compiler front end
// (libclang is not a dependency) and needs only braces, parentheses, names and directives.
// Never fails: text that is not C++ still lexes into some tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cspwatch::layout {

enum class TokenKind {
  kIdentifier,  // names and keywords
  kLiteral,     // string, character or number literal, kept whole
  kPunct,       // "{", "(", "::", "->", "..." and the like; ">>" is two ">" tokens
};

struct Token {
  TokenKind kind;
  std::string text;
  int line;  // where the token starts
};

struct Directive {
  std::string text;  // from '#' to the end of the line, continued lines joined, comments dropped
  int line;
};

struct LexedSource {
  std::vector<Token> tokens;
  std::vector<Directive> directives;
};

LexedSource lex(std::string_view source);

// The header named by an `#include "..."` directive, or "" for anything else (angle brackets,
// other directives).
std::string quotedInclude(const Directive& directive);

}  // namespace cspwatch::layout
