// SPDX-License-Identifier: Apache-2.0
#include "tenants/csv_reader.h"

#include <catch2/catch.hpp>

using namespace cspwatch;
using namespace cspwatch::tenants;

TEST_CASE("CSV: quotes, escaped quotes, embedded line breaks, CRLF and a BOM") {
  Diagnostics d;
  auto recs = readCsv(
      "\xEF\xBB\xBF"
      "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",z\r\n\r\nlast,1",
      "f.csv", d);
  CHECK(d.empty());
  REQUIRE(recs.size() == 4);
  CHECK(recs[1].fields[0].value == "x, y");
  CHECK(recs[1].fields[1].value == "say \"hi\"");
  CHECK(recs[2].fields[0].value == "two\nlines");
  CHECK(recs[2].line == 3);
  CHECK(recs[3].line == 6);
  CHECK(recs[3].fields[1].column == 6);
}

TEST_CASE("CSV: malformed records are reported and skipped, the rest is read") {
  Diagnostics d;
  auto recs = readCsv("a,b\nbad\"quote,1\nok,2\n\"unclosed,3\n", "f.csv", d);
  REQUIRE(recs.size() == 2);
  CHECK(recs[1].fields[0].value == "ok");
  REQUIRE(d.errorCount() == 2);
  CHECK(d.items()[0].location.line == 2);
  CHECK(d.items()[0].location.column == 4);
  CHECK(d.items()[1].location.line == 4);
  CHECK(d.items()[1].code == "inventory.csv-syntax");
}
