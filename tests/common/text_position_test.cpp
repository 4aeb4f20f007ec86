// SPDX-License-Identifier: Apache-2.0
// The one rule for lines and columns (common/text_position.h), and the positions that use it:
// a file position and the line a diagnostic quotes must agree whatever ends the lines.
#include "common/text_position.h"

#include <string>

#include <catch2/catch.hpp>

#include "common/diagnostic.h"
#include "common/yaml_util.h"

using namespace cspwatch;
using namespace std::string_literals;

namespace {

std::string at(std::string_view text, size_t offset) {
  const TextPosition p = textPosition(text, offset);
  return std::to_string(p.line) + ":" + std::to_string(p.column);
}

}  // namespace

TEST_CASE("text position: LF, CR LF and a lone CR each end one line") {
  CHECK(at("", 0) == "1:1");
  CHECK(at("abc", 0) == "1:1");
  CHECK(at("abc", 2) == "1:3");
  // LF
  CHECK(at("ab\ncd", 2) == "1:3");  // the LF itself is on the line it ends
  CHECK(at("ab\ncd", 3) == "2:1");
  CHECK(at("ab\ncd", 4) == "2:2");
  // CR LF: one line end, the CR on the line it ends like the LF
  CHECK(at("ab\r\ncd", 2) == "1:3");
  CHECK(at("ab\r\ncd", 3) == "1:4");
  CHECK(at("ab\r\ncd", 4) == "2:1");
  // a lone CR
  CHECK(at("ab\rcd", 2) == "1:3");
  CHECK(at("ab\rcd", 3) == "2:1");
  CHECK(at("ab\rcd", 4) == "2:2");
  // all three, and empty lines
  const std::string mixed = "a\nb\r\nc\rd\n\n\r\re";
  CHECK(at(mixed, mixed.find('b')) == "2:1");
  CHECK(at(mixed, mixed.find('c')) == "3:1");
  CHECK(at(mixed, mixed.find('d')) == "4:1");
  CHECK(at(mixed, mixed.find('e')) == "8:1");
  // a CR at the very end, and LF CR (two line ends, not one)
  CHECK(at("a\r", 2) == "2:1");
  CHECK(at("a\n\rb", 3) == "3:1");
}

TEST_CASE("text position: columns count bytes, and past the end the last line goes on") {
  const std::string text = "caf\xC3\xA9 x\nz";  // "café x": é is two bytes
  CHECK(at(text, text.find('x')) == "1:7");
  CHECK(at(text, text.size()) == "2:2");
  CHECK(at(text, text.size() + 3) == "2:5");
  CHECK(at("ab\n", 3) == "2:1");
}

TEST_CASE("text position: endsLine looks at the next byte for a CR") {
  CHECK(endsLine('\n', 'x'));
  CHECK(endsLine('\n', '\0'));
  CHECK(endsLine('\r', 'x'));
  CHECK(endsLine('\r', '\0'));
  CHECK_FALSE(endsLine('\r', '\n'));
  CHECK_FALSE(endsLine('a', '\n'));
}

TEST_CASE("text position: lineText is the line textPosition counts, without its line end") {
  const std::string text = "one\ntwo\r\nthree\rfour\n\nsix";
  CHECK(lineText(text, 1) == "one");
  CHECK(lineText(text, 2) == "two");
  CHECK(lineText(text, 3) == "three");
  CHECK(lineText(text, 4) == "four");
  CHECK(lineText(text, 5).empty());
  CHECK(lineText(text, 6) == "six");
  CHECK(lineText(text, 7).empty());
  CHECK(lineText(text, 0).empty());
  CHECK(lineText("", 1).empty());
  // Every byte's position names the line that holds it.
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') continue;
    const TextPosition p = textPosition(text, i);
    INFO("offset " << i);
    REQUIRE(static_cast<size_t>(p.column) <= lineText(text, p.line).size());
    CHECK(lineText(text, p.line)[static_cast<size_t>(p.column) - 1] == text[i]);
  }
}

TEST_CASE("text position: a NUL after a lone CR is reported on the line the caret quotes") {
  // parseYamlDocument refuses a NUL byte before it looks for lone CRs; its position used to
  // count LF only, so a lone CR earlier in the file put it a line too high, on a line the
  // diagnostic then quoted without the NUL in it.
  Diagnostics d;
  auto doc = parseYamlDocument("t.yaml", "a: 1\rb: x\0y\n"s, "t", d);
  CHECK_FALSE(doc);
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].code == "t.yaml-syntax");
  CHECK(d.items()[0].location.line == 2);
  CHECK(d.items()[0].location.column == 5);
  CHECK_THAT(d.renderText(), Catch::Contains("t.yaml:2:5: error: the file contains a NUL byte"));
  CHECK_THAT(d.renderText(), Catch::Contains("  b: x"));
}
