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

TEST_CASE("CSV: a lone CR ends a record and counts as a line, so later positions are right") {
  // Old Mac exports end lines with CR alone. The reader took a lone CR as the end of a record
  // without moving the line count on (found by fuzzing): every later position said line 1.
  Diagnostics d;
  auto recs = readCsv("a,b\r1,2\r\r\"x\ry\",3\rbad\"quote,4\rlast,5\r", "f.csv", d);
  REQUIRE(recs.size() == 4);
  CHECK(recs[1].line == 2);
  CHECK(recs[2].line == 4);  // after a blank line
  CHECK(recs[2].fields[0].value == "x\ry");
  CHECK(recs[3].line == 7);  // the quoted field broke a line
  CHECK(recs[3].fields[1].column == 6);
  REQUIRE(d.errorCount() == 1);
  CHECK(d.items()[0].location.line == 6);
  CHECK(d.items()[0].location.column == 4);
}

TEST_CASE("CSV: LF, CRLF and CR line ends mixed count one line each") {
  Diagnostics d;
  auto recs = readCsv("h\n1\r\n2\r3\n", "f.csv", d);
  CHECK(d.empty());
  REQUIRE(recs.size() == 4);
  CHECK(recs[1].line == 2);
  CHECK(recs[2].line == 3);
  CHECK(recs[3].line == 4);
}

TEST_CASE("CSV: NUL bytes, bytes that are not UTF-8 and huge fields are reported at the byte") {
  using namespace std::string_literals;
  Diagnostics d;
  const std::string text =
      "a,b\n1,x\0y\n2,caf\xE9\n3,\"q\xFF\"\n4,"s + std::string(kMaxCsvField + 1, 'z') + "\n5,ok\n";
  auto recs = readCsv(text, "f.csv", d);
  REQUIRE(recs.size() == 2);
  CHECK(recs[1].fields[1].value == "ok");
  REQUIRE(d.errorCount() == 4);
  CHECK(d.items()[0].location.line == 2);
  CHECK(d.items()[0].location.column == 4);
  CHECK_THAT(d.items()[0].message, Catch::Contains("NUL"));
  CHECK(d.items()[1].location.line == 3);
  CHECK(d.items()[1].location.column == 6);
  CHECK_THAT(d.items()[1].message, Catch::Contains("not valid UTF-8 (byte 0xE9"));
  CHECK(d.items()[2].location.column == 5);  // inside the quotes
  CHECK_THAT(d.items()[3].message, Catch::Contains("a field of 65537 bytes"));
}
