// SPDX-License-Identifier: Apache-2.0
// The string functions (CEL's strings extension: charAt, indexOf, lastIndexOf, substring, split,
// replace, trim, reverse, strings.quote, format), their errors and load-time type checks; the
// string escapes of the parser; existsOne; that no tenant value makes them slow or huge; and the
// examples of docs/rules.md's "Literals" and "Functions" sections.
#include <chrono>
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>

#include "rules/expr_compiler.h"
#include "rules/expr_parser.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::rules;

namespace {

struct Evaluated {
  Value value;
  std::string diagnostics;
};

// `text` compiled with the variables s (a string) and d (dyn), bound to `s` and `d`, and
// evaluated; the diagnostics instead when it does not compile.
Evaluated run(const std::string& text, const Value& s = Value::string(""),
              const Value& d = Value()) {
  ParseResult p = parseExpr(text);
  if (!p.ok())
    return {Value::null(), "parse: " + std::to_string(p.error.pos) + ": " + p.error.message +
                               " / " + p.error.hint};
  Diagnostics diags;
  ExprCompiler compiler(nullptr, diags);
  std::vector<Binding> scope = {{"s", Type::of(Type::Kind::kString), 0}, {"d", Type::dyn(), 1}};
  int next = 2;
  ExprSource src{"test", text, [](int off) { return SourceLocation{"expr", 1, off + 1}; }};
  NodePtr n = compiler.compile(*p.expr, src, scope, next);
  if (!n) return {Value::null(), diags.renderText()};
  Frame f;
  f.slots.resize(next);
  f.slots[0] = s;
  f.slots[1] = d;
  return {n->eval(f), ""};
}

Value eval(const std::string& text, const Value& s = Value::string("")) {
  Evaluated e = run(text, s);
  INFO(text << ": " << e.diagnostics);
  REQUIRE(e.diagnostics.empty());
  return e.value;
}

bool isTrue(const std::string& text) {
  Value v = eval(text);
  INFO(text << " = " << v.toText());
  REQUIRE(v.isBool());
  return v.asBool();
}

std::string text(const std::string& expr) {
  Value v = eval(expr);
  INFO(expr << " = " << v.toText());
  REQUIRE(v.kind() == Value::Kind::kString);
  return v.asString();
}

std::string errorOf(const std::string& expr) {
  Value v = eval(expr);
  INFO(expr << " = " << v.toText());
  REQUIRE(v.isError());
  return v.errorMessage();
}

}  // namespace

TEST_CASE("string functions: indexes count characters (code points), not bytes") {
  CHECK(text("'tacocat'.charAt(3)") == "o");
  CHECK(text("'tacocat'.charAt(7)") == "");
  CHECK(isTrue("'©αT'.charAt(0) == '©' && '©αT'.charAt(1) == 'α' && '©αT'.charAt(2) == 'T'"));
  CHECK(text("'\\U0001F431\\U0001F600'.charAt(1)") == "\xF0\x9F\x98\x80");
  CHECK(isTrue("'tacocat'.indexOf('') == 0 && 'tacocat'.indexOf('ac') == 1"));
  CHECK(isTrue("'tacocat'.indexOf('none') == -1 && 'tacocat'.indexOf('', 3) == 3"));
  CHECK(isTrue("'tacocat'.indexOf('a', 3) == 5 && 'tacocat'.indexOf('at', 3) == 5"));
  CHECK(isTrue("'ta©o©αT'.indexOf('©') == 2 && 'ta©o©αT'.indexOf('©', 3) == 4"));
  CHECK(isTrue("'ta©o©αT'.indexOf('©αT', 3) == 4 && 'ta©o©αT'.indexOf('©α', 5) == -1"));
  CHECK(isTrue("'hello wello'.indexOf('ello', 6) == 7 && 'abc'.indexOf('c', 3) == -1"));
  CHECK(isTrue("''.lastIndexOf('@@') == -1 && 'tacocat'.lastIndexOf('') == 7"));
  CHECK(isTrue("'tacocat'.lastIndexOf('at') == 5 && 'tacocat'.lastIndexOf('none') == -1"));
  CHECK(isTrue("'tacocat'.lastIndexOf('', 3) == 3 && 'tacocat'.lastIndexOf('a', 3) == 1"));
  CHECK(isTrue("'ta©o©αT'.lastIndexOf('©') == 4 && 'ta©o©αT'.lastIndexOf('©', 3) == 2"));
  CHECK(isTrue("'ta©o©αT'.lastIndexOf('©α', 4) == 4 && 'hello wello'.lastIndexOf('ello', 6) == 1"));
  CHECK(isTrue("'bananananana'.lastIndexOf('nana', 7) == 6"));
  CHECK(text("'tacocat'.substring(4)") == "cat");
  CHECK(text("'tacocat'.substring(7)") == "");
  CHECK(text("'tacocat'.substring(0, 4)") == "taco");
  CHECK(text("'tacocat'.substring(4, 4)") == "");
  CHECK(text("'ta©o©αT'.substring(2, 6)") == "©o©α");
  CHECK(text("'ta©o©αT'.substring(7, 7)") == "");
}

TEST_CASE("string functions: an index out of range is an error value with CEL's message") {
  CHECK(errorOf("'tacocat'.charAt(30)") == "index out of range: 30");
  CHECK(errorOf("'tacocat'.charAt(-1)") == "index out of range: -1");
  CHECK(errorOf("'tacocat'.indexOf('a', 30)") == "index out of range: 30");
  CHECK(errorOf("'tacocat'.indexOf('', -2)") == "index out of range: -2");
  CHECK(errorOf("'tacocat'.lastIndexOf('a', -1)") == "index out of range: -1");
  CHECK(errorOf("'tacocat'.lastIndexOf('a', 30)") == "index out of range: 30");
  CHECK(errorOf("'tacocat'.substring(40)") == "index out of range: 40");
  CHECK(errorOf("'tacocat'.substring(-1)") == "index out of range: -1");
  CHECK(errorOf("'tacocat'.substring(1, 50)") == "index out of range: 50");
  CHECK(errorOf("'tacocat'.substring(49, 50)") == "index out of range: 49");
  CHECK(errorOf("'tacocat'.substring(4, 3)") == "invalid substring range. start: 4, end: 3");
  // An error is a value: the rule is unknown, and && and || still decide around it.
  CHECK(isTrue("'abc'.charAt(9) == 'x' || true"));
}

TEST_CASE("string functions: split and replace, with limits, as CEL (Go's SplitN, Replace)") {
  CHECK(isTrue("'hello world'.split(' ') == ['hello', 'world']"));
  CHECK(isTrue("'hello world events!'.split(' ', 0) == []"));
  CHECK(isTrue("'hello world events!'.split(' ', 1) == ['hello world events!']"));
  CHECK(isTrue("'hello world events!'.split(' ', 2) == ['hello', 'world events!']"));
  CHECK(isTrue("'o©o©o©o'.split('©', -1) == ['o', 'o', 'o', 'o']"));
  CHECK(isTrue("'a,b,'.split(',') == ['a', 'b', ''] && ''.split(',') == ['']"));
  CHECK(isTrue("'h©y'.split('') == ['h', '©', 'y'] && 'h©y'.split('', 2) == ['h', '©y']"));
  CHECK(isTrue("''.split('') == [] && 'abc'.split('x') == ['abc']"));
  CHECK(isTrue("'aaaa'.split('aa') == ['', '', '']"));
  CHECK(text("'12 days 12 hours'.replace('{0}', '2')") == "12 days 12 hours");
  CHECK(text("'{0} days {0} hours'.replace('{0}', '2')") == "2 days 2 hours");
  CHECK(text("'{0} days {0} hours'.replace('{0}', '2', 1).replace('{0}', '23')") ==
        "2 days 23 hours");
  CHECK(text("'1 ©αT taco'.replace('αT', 'o©α')") == "1 ©o©α taco");
  CHECK(text("'hello hello'.replace('he', 'we', -1)") == "wello wello");
  CHECK(text("'hello hello'.replace('he', 'we', 0)") == "hello hello");
  CHECK(text("'hello'.replace('', '_')") == "_h_e_l_l_o_");
  CHECK(text("'h©'.replace('', '_', 2)") == "_h_©");
  CHECK(text("''.replace('', '_')") == "_");
  CHECK(text("'hello hello'.replace('h', '')") == "ello ello");
  CHECK(text("'aaa'.replace('aa', 'b')") == "ba");
}

TEST_CASE("string functions: trim, reverse, quote, the ASCII cases and joins") {
  CHECK(text("' \\f\\n\\r\\t\\vtext  '.trim()") == "text");
  CHECK(text("'\\u0085\\u00a0\\u1680text'.trim()") == "text");
  CHECK(text("'text\\u2000\\u2001\\u2002\\u2003\\u2004\\u2006\\u2007\\u2008\\u2009'.trim()") ==
        "text");
  CHECK(text("'\\u200atext\\u2028\\u2029\\u202F\\u205F\\u3000'.trim()") == "text");
  // Zero-width characters are not whitespace (Unicode's White_Space property, Go's IsSpace).
  CHECK(
      isTrue("'\\u180etext\\u200b\\u200c\\u200d\\u2060\\ufeff'.trim() == "
             "'\\u180etext\\u200b\\u200c\\u200d\\u2060\\ufeff'"));
  CHECK(text("' \\u3000 '.trim()") == "");
  CHECK(text("''.reverse()") == "");
  CHECK(text("'☺'.reverse()") == "☺");
  CHECK(text("'Ta©oCαt'.reverse()") == "tαCo©aT");
  CHECK(text("strings.quote(\"first\\nsecond\")") == "\"first\\nsecond\"");
  CHECK(text("strings.quote('bell\\a \\b\\f\\r\\t\\v')") == "\"bell\\a \\b\\f\\r\\t\\v\"");
  CHECK(text("strings.quote('single-quote with \"double quote\"')") ==
        "\"single-quote with \\\"double quote\\\"\"");
  CHECK(text("strings.quote(r'ends with \\')") == "\"ends with \\\\\"");
  CHECK(text("strings.quote('\\U0001F431\\U0001F600\\U0001F61B')") == "\"🐱😀😛\"");
  CHECK(text("strings.quote('')") == "\"\"");
  // A malformed byte (possible only in a value from elsewhere) is shown as U+FFFD.
  CHECK(eval("strings.quote(s)", Value::string("a\xFF")).asString() == "\"a\xEF\xBF\xBD\"");
  // A variable called strings is still a variable; only strings.quote is the function.
  CHECK(isTrue("['x'].exists(strings, strings.size() == 1)"));
  CHECK(text("'TacoCÆt Xii'.lowerAscii()") == "tacocÆt xii");
  CHECK(text("'TacoCÆt Xii'.upperAscii()") == "TACOCÆT XII");
  CHECK(text("['x', 'y'].join('-')") == "x-y");
  CHECK(text("[].join()") == "");
}

TEST_CASE("string functions: format, as cel-spec's string_ext tests it") {
  CHECK(text("'no substitution'.format([])") == "no substitution");
  CHECK(text("'%%%s%%'.format(['text'])") == "%text%");
  CHECK(text("'%d %d %d, %s %s %s'.format([1, 2, 3, 'A', 'B', 'C'])") == "1 2 3, A B C");
  CHECK(text("'%.3f'.format([1.2345])") == "1.234");
  CHECK(text("'%b %b %b'.format([5, true, -5])") == "101 1 -101");
  CHECK(text("'%o %x %X'.format([11, 30, 30])") == "13 1e 1E");
  CHECK(text("'%x'.format(['Hello world!'])") == "48656c6c6f20776f726c6421");
  CHECK(text("'%X %x'.format(['Hi', -255])") == "4869 -ff");
  CHECK(text("'%.6e'.format([1052.032911275])") == "1.052033e+03");
  CHECK(text("'%f %f %e %e'.format([2.71828, 2, 2.71828, 2])") ==
        "2.718280 2.000000 2.718280e+00 2.000000e+00");
  CHECK(text("'%e %d %f'.format([double('NaN'), double('Infinity'), double('-Infinity')])") ==
        "NaN Infinity -Infinity");
  CHECK(text("'%.0f %.0f %.0f %.0f'.format([3.5001, 3.4999, 1.5, 2.5])") == "4 3 2 2");
  CHECK(text("'%.3f %.3f %.5f'.format([123.4999, -123.4994, -1.2])") ==
        "123.500 -123.499 -1.20000");
  CHECK(text("'%s %s %s %s'.format([null, 999999999999, true, dyn(56.8)])") ==
        "null 999999999999 true 56.8");
  CHECK(text("'%d %s'.format([3.14, 1e21])") == "3.14 1000000000000000000000");
  CHECK(text("'%s'.format([timestamp('2023-02-03T23:31:20+00:00')])") == "2023-02-03T23:31:20Z");
  CHECK(text("'%s'.format([duration('1h45m47s')])") == "6347s");
  CHECK(text("'%s %s'.format([duration('-1.5s'), timestamp('2023-02-03T23:31:20.50Z')])") ==
        "-1.5s 2023-02-03T23:31:20.5Z");
  CHECK(
      text("'%s'.format([['abc', 3.14, null, [9, 8, 7, 6], timestamp('2023-02-03T23:31:20Z')]])") ==
      "[abc, 3.14, null, [9, 8, 7, 6], 2023-02-03T23:31:20Z]");
  CHECK(text("'%s'.format([[double('NaN'), double('Infinity'), double('-Infinity')]])") ==
        "[NaN, Infinity, -Infinity]");
  CHECK(eval("s.format([1.2345])", Value::string("%.3f")).asString() == "1.234");
}

TEST_CASE("string functions: format's errors are error values with cel-spec's messages") {
  const std::string bad = "could not parse formatting clause: ";
  const std::string during = "error during formatting: ";
  CHECK(errorOf("'%a'.format([1])") == bad + "unrecognized formatting clause \"a\"");
  CHECK(errorOf("'%E'.format([0.5])") == bad + "unrecognized formatting clause \"E\"");
  CHECK(errorOf("'%é'.format([1])") == bad + "unrecognized formatting clause \"é\"");
  CHECK(errorOf("'%d %d %d'.format([0, 1])") == "index 2 out of range");
  CHECK(errorOf("'%'.format([])") == "index 0 out of range");
  CHECK(errorOf("'%'.format([1])") == "unexpected end of string");
  CHECK_THAT(errorOf("'%.101f'.format([1.0])"),
             Catch::Contains("precision 101 exceeds maximum allowed precision 100"));
  CHECK_THAT(errorOf("'%.2'.format([1.0])"), Catch::Contains("could not find end of precision"));
  CHECK(errorOf("'%b'.format(['abc'])") ==
        during + "only integers and bools can be formatted as binary, was given string");
  CHECK(errorOf("'%d'.format([duration('30m2s')])") ==
        during + "decimal clause can only be used on integers, was given google.protobuf.Duration");
  CHECK(errorOf("'%o'.format(['a string'])") ==
        during + "octal clause can only be used on integers, was given string");
  CHECK(errorOf("'%x'.format([0.5])") ==
        during +
            "only integers, byte buffers, and strings can be formatted as hex, was given double");
  CHECK(errorOf("'%e'.format([null])") ==
        during + "scientific clause can only be used on doubles, was given null_type");
  CHECK(errorOf("'%f'.format([null])") ==
        during + "fixed-point clause can only be used on doubles, was given null_type");
  CHECK(errorOf("'%X'.format([timestamp('2026-01-01')])") ==
        during +
            "only integers, byte buffers, and strings can be formatted as hex, was given "
            "google.protobuf.Timestamp");
  // An element that could not be computed makes the result unknown, with its own reason.
  CHECK(errorOf("'%s'.format([[1, 1 / 0]])") == "division by zero");
}

TEST_CASE("string functions: argument types known at load are checked then, others when run") {
  Evaluated e = run("'a'.indexOf(1)");
  CHECK_THAT(e.diagnostics, Catch::Contains("expr:1:13: error: test: indexOf() needs a string "
                                            "here, found int [rules.type-mismatch]"));
  e = run("42.charAt(2)");
  CHECK_THAT(e.diagnostics, Catch::Contains("expr:1:1: error") &&
                                Catch::Contains("charAt() needs a string here, found int"));
  e = run("'42'.indexOf('4', 0, 1)");
  CHECK_THAT(e.diagnostics, Catch::Contains("rules.wrong-arity"));
  e = run("'42'.replace('2', '1', '1')");
  CHECK_THAT(e.diagnostics, Catch::Contains("expr:1:24") && Catch::Contains("rules.type-mismatch"));
  e = run("'x'.format('a')");
  CHECK_THAT(e.diagnostics, Catch::Contains("format() needs a list(dyn) here, found string"));
  e = run("quote('x')");
  CHECK_THAT(e.diagnostics, Catch::Contains("unknown function 'quote'"));
  e = run("strings.quote('a', 'b')");
  CHECK_THAT(e.diagnostics, Catch::Contains("expr:1:1") && Catch::Contains("rules.wrong-arity"));
  // A dyn value of the wrong kind is CEL's "no such overload" when evaluated.
  for (const char* expr :
       {"dyn(42).charAt(2)", "'hello'.charAt(dyn(true))", "dyn(24).indexOf('2')",
        "'42'.indexOf(dyn(4), 0)", "'42'.split(dyn(2))", "dyn(42).replace('2', '1')",
        "'tacocat'.substring(dyn(true), 3)", "dyn(1).reverse()", "strings.quote(dyn(1))",
        "dyn(1).format([])", "'%s'.format(dyn('x'))"})
    CHECK_THAT(errorOf(expr), Catch::StartsWith("no such overload"));
}

TEST_CASE("parser: CEL's string escapes, and code points that are not characters refused") {
  CHECK(text("' \\a \\b \\f \\t \\v '") == " \a \b \f \t \v ");
  CHECK(text("' \\\\ \\? \\\" \\' \\` '") == " \\ ? \" ' ` ");
  CHECK(eval("' \\000 \\012 \\177 '").asString() == std::string(" \0 \n \x7F ", 7));
  CHECK(text("'\\101\\377'") == "A\xC3\xBF");  // octal escapes are code points: \377 is ÿ
  CHECK(text("' \\x4a \\x4B \\X4c \\X4D \\u01aB \\U000001aB '") == " J K L M \xC6\xAB \xC6\xAB ");
  CHECK(text("'\\U0001F62C\\U00088888\\U0010FFFF'") ==
        "\xF0\x9F\x98\xAC\xF2\x88\xA2\x88\xF4\x8F\xBF\xBF");
  CHECK(text("r'\\a\\000\\U00000000'") == "\\a\\000\\U00000000");
  CHECK(text("'''\\t'''") == "\t");
  struct Case {
    const char* text;
    int pos;
    const char* message;
    const char* hint;
  };
  const Case cases[] = {
      {"'\\uD83D\\uDE03'", 1, "'\\uD83D' is a UTF-16 surrogate, not a character",
       "write the pair as one code point: '\\U0001F603'"},
      {"'ab\\UD83DDE03'", 3, "'\\UD83DDE03' is past U+10FFFF", ""},
      {"'\\udfff'", 1, "'\\udfff' is a UTF-16 surrogate", "'\\U' and its 8-digit code point"},
      {"'\\U00110000'", 1, "'\\U00110000' is past U+10FFFF, the last Unicode code point", ""},
      {"'\\400'", 1, "octal escape '\\400' is over '\\377'", "'\\uHHHH'"},
      {"'x\\12'", 2, "an octal escape has exactly three digits", "'\\101'"},
      {"'\\0'", 1, "an octal escape has exactly three digits", ""},
      {"'\\u12g4'", 1, "'\\u' needs 4 hex digits", "'\\u00e9'"},
      {"'\\U1F600'", 1, "'\\U' needs 8 hex digits", "'\\U0001F600'"},
      {"'\\x4'", 1, "'\\x' needs 2 hex digits", "'\\x41'"},
      {"'\\8'", 1, "unknown escape '\\8'", "raw string"},
      {"'\\s'", 1, "unknown escape '\\s'", "write '\\\\' for a backslash"},
  };
  for (const auto& c : cases) {
    ParseResult r = parseExpr(c.text);
    INFO(c.text << " -> " << r.error.pos << ": " << r.error.message << " / " << r.error.hint);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error.pos == c.pos);
    CHECK_THAT(r.error.message, Catch::Contains(c.message));
    CHECK_THAT(r.error.hint, Catch::Contains(c.hint));
  }
}

TEST_CASE("list macros: existsOne is CEL's newer spelling of exists_one") {
  CHECK(isTrue("[1, 2, 3].existsOne(v, v > 2)"));
  CHECK_FALSE(isTrue("[1, 2, 3].existsOne(v, v > 1)"));
  CHECK(eval("[2, 0].existsOne(v, 10 / v == 5)").isError());
  CHECK_THAT(run("[1].existsOne(1, true)").diagnostics, Catch::Contains("rules.bad-macro"));
  CHECK_THAT(run("[1].existOne(v, true)").diagnostics,
             Catch::Contains("did you mean 'existsOne'?"));
}

namespace {

// The least of three timings of `expr` with s bound to `s`, in seconds.
double seconds(const std::string& expr, const Value& s) {
  double least = 1e9;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    Value v = eval(expr, s);
    least = std::min(
        least, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    INFO(expr);
    CHECK_FALSE(v.isError());
  }
  return least;
}

}  // namespace

TEST_CASE("string functions: linear on a 1 MB value whatever it holds") {
  // 'aaa...a' searched for 'aaa...ab' (half as long) takes 2.5 * 10^11 steps when each position
  // is tried in turn; searched in linear time it takes about as long as copying the string.
  const std::string half(500000, 'a');
  const Value s = Value::string(std::string(1000000, 'a'));
  const std::string needle = "'" + half + "b'";
  const double baseline = seconds("s.upperAscii() != ''", s);
  for (const std::string& expr : std::vector<std::string>{
           "s.indexOf(" + needle + ") == -1", "s.indexOf(" + needle + ", 1000) == -1",
           "s.lastIndexOf(" + needle + ") == -1", "s.lastIndexOf('" + half + "') == 500000",
           "!s.contains(" + needle + ")", "size(s.split(" + needle + ")) == 1",
           "s.replace(" + needle + ", 'x') == s", "size(s.split('aa')) == 500001",
           "size(s.replace('a', 'bb')) == 2000000", "s.substring(999999) == 'a'",
           "s.charAt(999999) == 'a'", "s.reverse() == s", "s.trim() == s",
           "size(strings.quote(s)) == 1000002", "size('%s%s'.format([s, s])) == 2000000"}) {
    const double took = seconds(expr, s);
    INFO(expr << ": " << took << " s, against " << baseline << " s to copy the string");
    CHECK(took < 0.5 + 200 * baseline);
  }
}

TEST_CASE("string functions: replace() and format() refuse to build a string out of proportion") {
  // 1,000,000 copies of a 1,000-byte replacement would be a gigabyte from two small values.
  const Value s = Value::string(std::string(1000000, 'a'));
  Value v = eval("s.replace('a', '" + std::string(1000, 'b') + "')", s);
  REQUIRE(v.isError());
  CHECK_THAT(v.errorMessage(),
             Catch::StartsWith("replace() would build a string over 2002002 bytes"));
  // A list holding a long string 1,000 times costs 1,000 steps to build but is a GB as text.
  v = eval(
      "'%s'.format([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(i, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
      ".map(j, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(k, s)))])",
      s);
  REQUIRE(v.isError());
  CHECK_THAT(v.errorMessage(), Catch::StartsWith("format() would build a string over"));
  // Growth within the bound is fine: twice the inputs, or 1 MiB.
  CHECK(eval("size(s.replace('a', 'bb'))", s).asInt() == 2000000);
  CHECK(eval("size('x'.replace('', '" + std::string(1000, 'b') + "'))").asInt() == 2001);
}

namespace {

// The rows "| `expression` | result |" of the section of docs/rules.md headed `heading`.
std::vector<std::pair<std::string, std::string>> exampleRows(const std::string& heading) {
  std::istringstream in(testing::readFile(testing::sourcePath("docs/rules.md")));
  std::vector<std::pair<std::string, std::string>> rows;
  const std::regex row(R"(^\| `(.+)` \| (.+) \|$)");
  bool inside = false, examples = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) {
      inside = line == heading;
      examples = false;
    }
    if (!inside) continue;
    if (line == "| expression | result |") examples = true;
    std::smatch m;
    if (examples && std::regex_match(line, m, row)) {
      auto unpipe = [](std::string t) { return std::regex_replace(t, std::regex(R"(\\\|)"), "|"); };
      rows.emplace_back(unpipe(m[1]), unpipe(m[2]));
    }
  }
  return rows;
}

}  // namespace

TEST_CASE("docs: the examples of the Literals and Functions sections of rules.md hold") {
  for (const char* heading : {"### Literals", "### Functions"}) {
    const auto rows = exampleRows(heading);
    CHECK(rows.size() > 5);
    for (const auto& [expr, result] : rows) {
      INFO(heading << ": " << expr << " -> " << result);
      // Those that read the sample tenant or `now` are checked by the rule tests of the docs.
      if (std::regex_search(expr, std::regex(R"(tenant|daysUntil|daysSince)"))) continue;
      std::smatch unknown;
      if (std::regex_match(result, unknown, std::regex(R"(unknown \(`(.+)`\))"))) {
        CHECK_THAT(errorOf(expr), Catch::Contains(unknown[1].str()));
        continue;
      }
      std::smatch at_load;
      if (std::regex_match(result, at_load, std::regex(R"(load-time error: `(.+)`)"))) {
        CHECK_THAT(run(expr).diagnostics, Catch::Contains(at_load[1].str()));
        continue;
      }
      // The value in backquotes, perhaps followed by a remark: `5` (Friday).
      std::smatch value;
      REQUIRE(std::regex_match(result, value, std::regex(R"(`([^`]+)`( \(.*\))?)")));
      // A line break ends a // comment in the example.
      CHECK(isTrue("(" + expr + "\n) == (" + value[1].str() + ")"));
    }
  }
}
