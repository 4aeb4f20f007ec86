// SPDX-License-Identifier: Apache-2.0
// The text part at 78 columns (issue 18): prose wrapped at spaces, continuation lines indented
// so that wrapped text never starts where the template starts its own lines, URLs kept whole.
#include "alerts/text_wrap.h"

#include <catch2/catch.hpp>

#include "common/text.h"

using namespace cspwatch;
using namespace cspwatch::alerts;

TEST_CASE("text wrap: short lines stay, long ones break at spaces under their text", "[wrap]") {
  CHECK(wrapText("short line\n\nanother") == "short line\n\nanother");
  CHECK(wrapText("  Fix: one two three four five", 20) ==
        "  Fix: one two three\n"
        "       four five");
  CHECK(wrapText("* Contoso Ltd and a rather long name", 20) ==
        "* Contoso Ltd and a\n"
        "    rather long name");
  CHECK(wrapText("Plain prose that goes on and on", 16) ==
        "Plain prose that\n"
        "  goes on and on");
  CHECK(wrapText("  indented prose goes on and on", 18) ==
        "  indented prose\n"
        "    goes on and on");
}

TEST_CASE("text wrap: a word longer than the line stays whole on a line of its own", "[wrap]") {
  const std::string url = "https://admin.microsoft.com/Adminportal/Home?invType=Indirect";
  CHECK(wrapText("  Fix: accept it: " + url + " today", 40) ==
        "  Fix: accept it:\n"
        "       " +
            url +
            "\n"
            "       today");
  // A label with no room for its first word keeps its line to itself.
  CHECK(wrapText("  Fix: " + url, 40) == "  Fix:\n       " + url);
}

TEST_CASE("text wrap: columns are characters, runs of spaces inside a line are kept", "[wrap]") {
  // 10 characters of 2 bytes each fit in 12 columns.
  CHECK(wrapText("éééééééééé x", 12) == "éééééééééé x");
  CHECK(wrapText("a  b   c dddd", 9) == "a  b   c\n  dddd");
}

TEST_CASE("text wrap: wrapped tenant data cannot start a section or a label line", "[wrap]") {
  // A tenant name made to wrap so that "== Fake ==" or "Fix:" would begin a line.
  const std::string name(70, 'x');
  const std::string text = wrapText("* " + name + " == Reopened (1) == Fix: pay us\n  Fix: real");
  for (const auto& line : split(text, '\n')) {
    INFO(line);
    CHECK(line.size() <= kTextColumns);
    if (line.find("Reopened") != std::string::npos || line.find("pay us") != std::string::npos)
      CHECK(startsWith(line, "    "));  // deeper than the item's own labels at column 2
  }
  CHECK(wrapText(std::string(100, 'y') + " == Section ==") ==
        std::string(100, 'y') + "\n  == Section ==");
}
