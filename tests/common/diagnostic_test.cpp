// SPDX-License-Identifier: Apache-2.0
#include "common/diagnostic.h"

#include <algorithm>

#include <catch2/catch.hpp>

using namespace cspwatch;

TEST_CASE("diagnostics render GNU style with the source line and a caret") {
  Diagnostics d;
  d.addSource("a.yaml", "first: 1\nsevrity: high\n");
  d.add({Severity::kError,
         "rules.unknown-key",
         {"a.yaml", 2, 1},
         "rule 'x'",
         "unknown key 'sevrity'",
         "did you mean 'severity'?"});
  d.warning("rules.unused-list", {"a.yaml", 1, 8}, "list is never used");
  CHECK(d.renderText() ==
        "a.yaml:2:1: error: rule 'x': unknown key 'sevrity' [rules.unknown-key]\n"
        "  sevrity: high\n"
        "  ^\n"
        "  hint: did you mean 'severity'?\n"
        "a.yaml:1:8: warning: list is never used [rules.unused-list]\n"
        "  first: 1\n"
        "         ^\n");
  CHECK(d.errorCount() == 1);
  CHECK(d.warningCount() == 1);
  CHECK(d.hasErrors());
}

TEST_CASE("a diagnostic without a known position still renders") {
  Diagnostics d;
  d.error("config.unreadable", {"/nope.yaml", 0, 0}, "cannot read");
  CHECK(d.renderText() == "/nope.yaml: error: cannot read [config.unreadable]\n");
}

TEST_CASE("a long source line is shown as a window around the column, control bytes as '?'") {
  Diagnostics d;
  const std::string line = "key: " + std::string(1000, 'a') + "\x01" + std::string(1000, 'b');
  d.addSource("a.yaml", "first\n" + line + "\n");
  d.error("t.bad", {"a.yaml", 2, 1006}, "bad byte");
  const std::string out = d.renderText();
  CHECK(out.size() < 600);
  CHECK_THAT(out, Catch::Contains("...aaaa"));
  CHECK_THAT(out, Catch::Contains("a?b"));
  // The caret is under the '?'.
  const size_t shown = out.find("  ...");
  const size_t caret = out.find('^');
  const size_t question = out.find('?', shown);
  REQUIRE(shown != std::string::npos);
  CHECK(caret - out.find('\n', shown) - 1 == question - shown);
}

TEST_CASE("lines end at LF, CRLF or a lone CR when the source line is shown") {
  Diagnostics d;
  d.addSource("a.csv", "one\rtwo\r\nthree\nfour");
  d.error("t.x", {"a.csv", 3, 1}, "here");
  CHECK_THAT(d.renderText(), Catch::Contains("\n  three\n  ^\n"));
}

TEST_CASE("rendering stops after kMaxRendered diagnostics and counts the rest") {
  Diagnostics d;
  for (int i = 0; i < 1000; ++i) d.error("t.x", {"a", i + 1, 1}, "problem");
  const std::string out = d.renderText();
  CHECK_THAT(out, Catch::Contains("... and 800 more problem(s) not shown (1000 error(s)"));
  CHECK(std::count(out.begin(), out.end(), '\n') == 201);
}
