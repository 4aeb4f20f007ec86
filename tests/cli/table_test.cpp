// SPDX-License-Identifier: Apache-2.0
#include "cli/table.h"

#include <sstream>

#include <catch2/catch.hpp>

#include "cli/finding_output.h"
#include "config/app_config.h"

using namespace cspwatch::cli;
using namespace cspwatch::config;

TEST_CASE("tables fit the width by cutting shrinkable columns") {
  Table t({{"ID", false, 4}, {"NAME", true, 6}});
  t.addRow({"1", "A very long tenant name that does not fit"});
  t.addRow({"22", "Müller GmbH"});
  std::ostringstream out;
  t.print(out, 20);
  CHECK(out.str() ==
        "ID  NAME\n"
        "1   A very long t...\n"
        "22  Müller GmbH\n");
  for (const auto& line : {std::string("1   A very long t...")}) CHECK(displayWidth(line) <= 20);
}

TEST_CASE("control characters in cells cannot reach the terminal") {
  Table t({{"NAME", true, 4}});
  t.addRow({"evil\x1b[2Jname\r\n"});
  std::ostringstream out;
  t.print(out);
  CHECK(out.str().find('\x1b') == std::string::npos);
  CHECK(out.str().find('\r') == std::string::npos);
}

TEST_CASE("invisible characters in cells are shown escaped, so a name cannot disguise itself") {
  Table t({{"NAME", true, 4}});
  t.addRow({"Contoso \u202emoc.evil"});
  t.addRow({"Fabri\u200bkam"});
  std::ostringstream out;
  t.print(out, 200);
  CHECK(out.str().find("\u202e") == std::string::npos);
  CHECK(out.str().find("Contoso \\u202emoc.evil") != std::string::npos);
  CHECK(out.str().find("Fabri\\u200bkam") != std::string::npos);
}

TEST_CASE("CSV cells show invisible characters escaped and still guard formulas") {
  CHECK(csvField("Contoso \u202emoc.evil") == "Contoso \\u202emoc.evil");
  CHECK(csvField("\u200b=HYPERLINK(1)") == "\\u200b=HYPERLINK(1)");
  CHECK(csvField("=1+1") == "'=1+1");
}
