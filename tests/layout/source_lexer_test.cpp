// SPDX-License-Identifier: Apache-2.0
// The layout test's lexer on the inputs that fool a naive brace counter: braces and '//' in
// comments, strings, character literals and raw strings, directives with continuations.
#include "tests/layout/source_lexer.h"

#include <catch2/catch.hpp>

using namespace cspwatch::layout;

namespace {

// The punctuation tokens, space-separated: what the function finder sees of the structure.
std::string punctuation(const LexedSource& lexed) {
  std::string out;
  for (const Token& t : lexed.tokens) {
    if (t.kind == TokenKind::kPunct) out += (out.empty() ? "" : " ") + t.text;
  }
  return out;
}

std::vector<std::string> includes(const LexedSource& lexed) {
  std::vector<std::string> out;
  for (const Directive& d : lexed.directives) {
    const std::string header = quotedInclude(d);
    if (!header.empty()) out.push_back(header + "@" + std::to_string(d.line));
  }
  return out;
}

}  // namespace

TEST_CASE("braces in comments and literals are not tokens") {
  const LexedSource lexed = lex(R"src(x = 1; // { not code
/* } not code either
   { */
s = "// { a string, not a comment";
c = '{';
q = '\'';
e = "\"{";
r = R"x( { } ") }" )x";
u = u8R"(})";
w = L"{";
n = 1'000'000;
)src");
  CHECK(punctuation(lexed) == "= ; = ; = ; = ; = ; = ; = ; = ; = ;");
  REQUIRE(lexed.tokens.size() >= 3);
  CHECK(lexed.tokens.back().line == 11);  // lines inside the block comment were counted
}

TEST_CASE("a raw string is one token, whatever it holds") {
  const LexedSource lexed = lex("a = R\"delim(\n)\"\n{ // }\n)delim\"; b = 2;\n");
  REQUIRE(lexed.tokens.size() == 8);
  CHECK(lexed.tokens[2].kind == TokenKind::kLiteral);
  CHECK(lexed.tokens[2].text == "R\"delim(\n)\"\n{ // }\n)delim\"");
  CHECK(lexed.tokens[4].text == "b");
  CHECK(lexed.tokens[4].line == 4);
}

TEST_CASE("directives are whole lines at a line's start, continuations joined") {
  const LexedSource lexed = lex(R"src(#include "common/a.h"  // "common/not.h"
  #  include "rules/b.h" /* a
  comment */
#include <vector>
#define BLOCK { \
  }
const char* s = "#include \"daemon/no.h\"";
const char* r = R"(
#include "daemon/no.h"
)";
int x; /* a comment first */ #include "cli/no.h"
)src");
  CHECK(includes(lexed) == std::vector<std::string>{"common/a.h@1", "rules/b.h@2"});
  CHECK(lexed.directives.size() == 4);
  CHECK(punctuation(lexed).find('{') == std::string::npos);  // the macro's braces are not code
}

TEST_CASE("operators the finder depends on are single tokens, closing angles are not") {
  const LexedSource lexed = lex("a::b -> c; std::vector<std::vector<int>> v; f(...);");
  CHECK(punctuation(lexed) == ":: -> ; :: < :: < > > ; ( ... ) ;");
}

TEST_CASE("unterminated literals and comments end without running away") {
  CHECK(lex("s = \"open\nt = 1;").tokens.size() == 7);
  CHECK(lex("x; /* never closed {").tokens.size() == 2);
  CHECK(lex("r = R\"(never closed {").tokens.size() == 3);
}
