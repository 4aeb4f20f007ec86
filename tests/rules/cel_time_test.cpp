// SPDX-License-Identifier: Apache-2.0
// CEL's timestamps and durations (rules/cel_time.h, rules/time_functions.h) and the overloads
// the compiler checks at load time (rules/functions.h): what cel-spec's timestamps and
// conversions tests found wrong before (tests/rules/cel_conformance/ runs those files whole).
#include "rules/cel_time.h"

#include <catch2/catch.hpp>

#include "rules/expr_compiler.h"
#include "rules/expr_parser.h"
#include "rules/time_zones.h"

using namespace cspwatch;
using namespace cspwatch::rules;

namespace {

struct Result {
  Value value;
  std::string diagnostics;  // load-time problems, rendered; empty when it compiled
};

Result eval(const std::string& text) {
  ParseResult p = parseExpr(text);
  INFO(text << ": " << p.error.message);
  REQUIRE(p.ok());
  Diagnostics d;
  ExprCompiler compiler(nullptr, d);
  std::vector<Binding> scope = {{"x", Type::dyn(), 0}};
  int next = 1;
  ExprSource src{"test", text, [](int off) { return SourceLocation{"expr", 1, off + 1}; }};
  NodePtr n = compiler.compile(*p.expr, src, scope, next);
  if (!n) return {Value::null(), d.renderText()};
  Frame f;
  f.slots.resize(next);
  return {n->eval(f), ""};
}

std::string text(const std::string& expr) {
  Result r = eval(expr);
  INFO(expr << " -> " << r.diagnostics);
  REQUIRE(r.diagnostics.empty());
  return r.value.isError() ? "error: " + r.value.errorMessage() : r.value.toText();
}

bool isTrue(const std::string& expr) { return text(expr) == "true"; }

bool isRangeError(const std::string& expr) {
  return text(expr).find("out of range") != std::string::npos;
}

}  // namespace

TEST_CASE("cel time: fractions of a second are kept and printed as CEL prints them") {
  CHECK(text("string(timestamp('9999-12-31T23:59:59.999999999Z'))") ==
        "9999-12-31T23:59:59.999999999Z");
  CHECK(text("string(timestamp('2009-02-13T23:31:30.120Z'))") == "2009-02-13T23:31:30.12Z");
  CHECK(text("string(timestamp('2009-02-13T23:31:30Z'))") == "2009-02-13T23:31:30Z");
  CHECK(text("string(timestamp('0001-01-01T00:00:00Z'))") == "0001-01-01T00:00:00Z");
  CHECK(isTrue("timestamp('2009-02-13T23:31:30.5Z') > timestamp('2009-02-13T23:31:30Z')"));
  CHECK(isTrue("timestamp('2009-02-13T23:31:30.5Z') != timestamp('2009-02-13T23:31:30Z')"));
  CHECK(
      isTrue("timestamp('0001-01-01T00:00:01.000000001Z') + duration('-999999999ns') == "
             "timestamp('0001-01-01T00:00:00.000000002Z')"));
  CHECK(
      isTrue("timestamp('2009-02-13T23:31:30.25Z') - timestamp('2009-02-13T23:31:30Z') == "
             "duration('250ms')"));
  CHECK(text("string(duration('1000000s'))") == "1000000s");
  CHECK(text("string(duration('1m1ms'))") == "60.001s");
  CHECK(text("string(duration('-1.5h'))") == "-5400s");
  CHECK(text("string(duration('P180D'))") == "15552000s");  // our ISO 8601 extension
  CHECK(text("duration('1.5s')") == "1.5s");                // messages show the fraction
  CHECK(text("duration('P1DT1H')") == "1d1h");              // and whole spans short
}

TEST_CASE("cel time: timestamps outside the years 1 to 9999 are errors, never values") {
  // The example: this used to give a value timestamp() could not read back.
  CHECK(isRangeError("timestamp('9999-12-31T23:59:59Z') + duration('1s')"));
  CHECK(isRangeError("timestamp('9999-12-31T23:59:59.999999999Z') + duration('1ns')"));
  CHECK(isRangeError("timestamp('0001-01-01T00:00:00Z') - duration('1ns')"));
  CHECK(isRangeError("timestamp('0000-01-01T00:00:00Z')"));
  CHECK(isRangeError("timestamp(-62135596801)"));
  CHECK(isRangeError("timestamp(253402300800)"));
  CHECK(text("string(timestamp(253402300799))") == "9999-12-31T23:59:59Z");
  CHECK(isRangeError("timestamp('10000-01-01T00:00:00Z')"));
  // The span between the extremes is more than a duration holds (+-292 years).
  CHECK(isRangeError("timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z')"));
}

TEST_CASE("cel time: durations that do not fit are errors, whatever the spelling") {
  CHECK(isRangeError("duration('320000000000s')"));
  CHECK(isRangeError("duration('-320000000000s')"));
  CHECK(isRangeError("duration('99999999999999999999999999999999999999h')"));  // overflowed once
  CHECK(isRangeError("duration('2000000h') + duration('2000000h')"));
  CHECK(isRangeError("duration('2562047h') + duration('2562047h')"));
  CHECK(isRangeError("-(duration('-2562047h') - duration('47m16.854775808s'))"));
  CHECK(text("string(duration('-2562047h47m16.854775808s'))") == "-9223372036.854775808s");
  CHECK(isTrue("duration('0') == duration('0s') && duration('+1h') == duration('60m')"));
  CHECK(isTrue("duration('1h30m') == duration('90m') && duration('1.5h') == duration('90m')"));
  CHECK(isTrue("duration('1us') == duration('1000ns') && duration('1µs') == duration('1us')"));
  CHECK(isTrue("duration('2w') == duration('14d') && duration('P1Y') == duration('365d')"));
  for (const char* bad : {"", "1", "h", "1x", "1.h.", "--1s", "1h 30m", "P", "1.5"})
    CHECK(text(std::string("duration('") + bad + "')").find("not a duration") != std::string::npos);
}

TEST_CASE("cel time: accessors in UTC and at fixed offsets") {
  const std::string t = "timestamp('2009-02-13T23:31:30.123Z')";
  CHECK(text(t + ".getFullYear()") == "2009");
  CHECK(text(t + ".getMonth()") == "1");
  CHECK(text(t + ".getDate()") == "13");
  CHECK(text(t + ".getDayOfMonth()") == "12");
  CHECK(text(t + ".getDayOfWeek()") == "5");
  CHECK(text(t + ".getDayOfYear()") == "43");
  CHECK(text(t + ".getHours()") == "23");
  CHECK(text(t + ".getMinutes()") == "31");
  CHECK(text(t + ".getSeconds()") == "30");
  CHECK(text(t + ".getMilliseconds()") == "123");
  CHECK(text(t + ".getDate('+11:00')") == "14");
  CHECK(text(t + ".getHours('02:00')") == "1");
  CHECK(text("timestamp('2009-02-13T02:00:00Z').getDayOfMonth('-02:30')") == "11");
  CHECK(text(t + ".getSeconds('-00:00')") == "30");
  CHECK(text("timestamp('2024-12-31T00:00:00Z').getDayOfYear()") == "365");  // leap year
  CHECK(text("timestamp('0001-01-01T00:00:00Z').getDayOfWeek()") == "1");    // a Monday
  CHECK(text(t + ".getHours('Mars/Olympus_Mons')").find("not a zone of the tz database") !=
        std::string::npos);
  CHECK(text(t + ".getHours('../../etc/passwd')").rfind("error:", 0) == 0);
  CHECK(text("duration('10000s').getHours()") == "2");
  CHECK(text("duration('3730s').getMinutes()") == "62");
  CHECK(text("duration('1.234s').getMilliseconds()") == "234");
}

TEST_CASE("cel overloads: a call no overload takes is a load-time error at its column") {
  Result r = eval("size(5)");
  CHECK_THAT(r.diagnostics, Catch::Contains("expr:1:1") && Catch::Contains("rules.type-mismatch") &&
                                Catch::Contains("size(int) does not exist") &&
                                Catch::Contains("size(string|list) -> int"));
  r = eval("1 + int(true)");
  CHECK_THAT(r.diagnostics, Catch::Contains("expr:1:5") && Catch::Contains("int(bool)"));
  r = eval("'a'.startsWith(1)");
  CHECK_THAT(r.diagnostics, Catch::Contains("expr:1:16") && Catch::Contains("needs a string"));
  r = eval("timestamp(5).getHours(3)");
  CHECK_THAT(r.diagnostics,
             Catch::Contains("expr:1:23") && Catch::Contains("getHours() needs a string here"));
  // Still fine: timestamp(int) is CEL's, a dyn argument is checked when evaluated.
  CHECK(text("string(timestamp(5))") == "1970-01-01T00:00:05Z");
  CHECK(text("size(x)") == "error: no such overload: size(null)");
  CHECK(text("dyn(3) + 1") == "4");
  CHECK(isTrue("bool('true') && !bool('f') && bool(true) && bool('False') == false"));
  CHECK(text("bool('F')").rfind("error:", 0) == 0);
  CHECK(text("bool('yes')").rfind("error:", 0) == 0);
  CHECK(text("string(123.456) + ' ' + string(-4.5e-3) + ' ' + string(1e21) + ' ' + "
             "string(123456.0) + ' ' + string(1234567.0)") ==
        "123.456 -0.0045 1e+21 123456 1.234567e+06");
}

TEST_CASE("cel time: named zones come from the tz database, daylight saving included") {
  // cel-spec's timestamps.textproto cases.
  const std::string t = "timestamp('2009-02-13T23:31:30Z')";
  CHECK(text(t + ".getDate('Australia/Sydney')") == "14");  // AEDT, +11:00
  CHECK(text(t + ".getDayOfMonth('US/Central')") == "12");
  CHECK(text("timestamp('2009-02-13T02:00:00Z').getDayOfMonth('America/St_Johns')") == "11");
  CHECK(text(t + ".getMinutes('Asia/Kathmandu')") == "16");  // +05:45
  // Both sides of Sydney's 2026 changes (first Sunday of April 03:00 AEDT, of October 02:00
  // AEST), then far past the last transition the file lists, where its footer rule decides.
  CHECK(text("timestamp('2026-04-04T15:59:59Z').getHours('Australia/Sydney')") == "2");
  CHECK(text("timestamp('2026-04-04T16:00:00Z').getHours('Australia/Sydney')") == "2");
  CHECK(text("timestamp('2026-10-03T15:59:59Z').getHours('Australia/Sydney')") == "1");
  CHECK(text("timestamp('2026-10-03T16:00:00Z').getHours('Australia/Sydney')") == "3");
  CHECK(text("timestamp('2300-01-15T00:00:00Z').getHours('Australia/Sydney')") == "11");
  CHECK(text("timestamp('2300-07-15T00:00:00Z').getHours('Australia/Sydney')") == "10");
  CHECK(text("timestamp('2300-07-15T12:00:00Z').getHours('America/St_Johns')") == "9");
  CHECK(text("timestamp('2300-01-15T12:00:00Z').getMinutes('America/St_Johns')") == "30");
}

TEST_CASE("cel time: POSIX TZ rules, as the tz files' footers write them") {
  const int64_t jan = 1767225600;  // 2026-01-01T00:00:00Z
  const int64_t jul = 1782864000;  // 2026-07-01T00:00:00Z
  CHECK(posixZoneOffset("AEST-10AEDT,M10.1.0,M4.1.0/3", jan) == 11 * 3600);
  CHECK(posixZoneOffset("AEST-10AEDT,M10.1.0,M4.1.0/3", jul) == 10 * 3600);
  CHECK(posixZoneOffset("CST6CDT,M3.2.0,M11.1.0", jan) == -6 * 3600);
  CHECK(posixZoneOffset("CST6CDT,M3.2.0,M11.1.0", jul) == -5 * 3600);
  CHECK(posixZoneOffset("<+0545>-5:45", jul) == 5 * 3600 + 45 * 60);
  CHECK(posixZoneOffset("NST3:30NDT,M3.2.0,M11.1.0", jul) == -(2 * 3600 + 30 * 60));
  CHECK(posixZoneOffset("UTC0", jul) == 0);
  for (const char* bad : {"", "X", "AEST", "AEST-10AEDT,J60,J300", "AEST-10AEDT,M13.1.0,M4.1.0",
                          "<+05", "AEST-10AEDT,M10.1.0"})
    CHECK_FALSE(posixZoneOffset(bad, jul).has_value());
}

TEST_CASE("cel time: what review found at the edges") {
  // An ISO 8601 duration whose parts add up past int64 is refused, not wrapped around.
  std::string huge = "P";
  for (int i = 0; i < 600; ++i) huge += "1000000000Y";
  CHECK_FALSE(parseDuration(huge).has_value());
  CHECK(text("duration('" + huge + "') == duration('1h')").rfind("error:", 0) == 0);
  // The smallest duration can be written, as Go's ParseDuration takes it.
  CHECK(text("string(duration('-9223372036854775808ns'))") == "-9223372036.854775808s");
  CHECK(isRangeError("duration('9223372036854775808ns')"));
  // replace() with the smallest limit replaces everything (no arithmetic on the limit).
  CHECK(text("'aaa'.replace('a', 'b', -9223372036854775808)") == "bbb");
}
