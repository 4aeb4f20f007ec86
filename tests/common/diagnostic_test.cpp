// SPDX-License-Identifier: Apache-2.0
#include "common/diagnostic.h"

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
