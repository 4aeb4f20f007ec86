// SPDX-License-Identifier: Apache-2.0
#include "common/time.h"

#include <catch2/catch.hpp>

using namespace cspwatch;

TEST_CASE("parseTimestamp reads the forms Graph and people write") {
  auto t = parseTimestamp("2024-02-10T11:24:42Z");
  REQUIRE(t);
  CHECK(toUnixSeconds(*t) == 1707564282);
  CHECK(formatTimestamp(*t) == "2024-02-10T11:24:42Z");
  CHECK(parseTimestamp("2024-02-10T11:24:42.1234567Z") == t);
  CHECK(parseTimestamp("2024-02-10T21:24:42+10:00") == t);
  CHECK(parseTimestamp("2024-02-10 11:24:42Z") == t);
  CHECK(formatTimestamp(*parseTimestamp("2024-02-29")) == "2024-02-29T00:00:00Z");
  CHECK(formatTimestamp(fromUnixSeconds(0)) == "1970-01-01T00:00:00Z");
  CHECK(formatDate(*t) == "2024-02-10");
}

TEST_CASE("parseTimestamp refuses impossible or ambiguous times") {
  CHECK_FALSE(parseTimestamp("2023-02-29"));
  CHECK_FALSE(parseTimestamp("2024-13-01"));
  CHECK_FALSE(parseTimestamp("2024-02-10T11:24:42"));  // no zone
  CHECK_FALSE(parseTimestamp("2024-02-10T25:00:00Z"));
  CHECK_FALSE(parseTimestamp("10/02/2024"));
  CHECK_FALSE(parseTimestamp(""));
  CHECK_FALSE(parseTimestamp("2024-02-10Tjunk"));
}

TEST_CASE("parseDuration reads ISO 8601 and the short form") {
  CHECK(parseDuration("PT0S") == Seconds(0));
  CHECK(parseDuration("P180D") == Seconds(180 * 86400));
  CHECK(parseDuration("P1DT12H") == Seconds(36 * 3600));
  CHECK(parseDuration("PT30M") == Seconds(1800));
  CHECK(parseDuration("P2Y") == Seconds(730 * 86400));
  CHECK(parseDuration("6h") == Seconds(6 * 3600));
  CHECK(parseDuration("1h30m") == Seconds(5400));
  CHECK(parseDuration("90d") == Seconds(90 * 86400));
  CHECK(parseDuration("2w") == Seconds(14 * 86400));
  CHECK_FALSE(parseDuration(""));
  CHECK_FALSE(parseDuration("P"));
  CHECK_FALSE(parseDuration("PT5D"));
  CHECK_FALSE(parseDuration("6"));
  CHECK_FALSE(parseDuration("6x"));
  CHECK_FALSE(parseDuration("-6h"));
  CHECK(formatDuration(Seconds(5400)) == "1h30m");
  CHECK(formatDuration(Seconds(0)) == "0s");
}
