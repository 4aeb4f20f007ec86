// SPDX-License-Identifier: Apache-2.0
#include "common/text.h"

#include <catch2/catch.hpp>

#include "common/net_util.h"

using namespace cspwatch;

TEST_CASE("editDistance counts single-character edits") {
  CHECK(editDistance("", "") == 0);
  CHECK(editDistance("abc", "") == 3);
  CHECK(editDistance("kitten", "sitting") == 3);
  CHECK(editDistance("contoso.com", "contosso.com") == 1);
  CHECK(editDistance("contoso.com", "cotnoso.com") == 1);  // a transposition
  CHECK(editDistance("ab", "ba") == 1);
  CHECK(editDistance("abc", "ca") == 3);
  CHECK(editDistance("severity", "severty") == 1);
}

TEST_CASE("didYouMean suggests only close candidates") {
  std::vector<std::string> keys = {"partner", "sources", "storage", "rules", "schedule"};
  CHECK(didYouMean("sourcse", keys) == "did you mean 'sources'?");
  CHECK(didYouMean("Storage", keys) == "did you mean 'storage'?");
  CHECK(didYouMean("xyz", keys).empty());
  CHECK(didYouMean("a", {"b"}).empty());  // distance equal to length: not a typo
}

TEST_CASE("emailDomain and looksLikeEmail") {
  CHECK(emailDomain("Admin@Contoso.COM") == "contoso.com");
  CHECK(emailDomain("no-at-sign").empty());
  CHECK(emailDomain("trailing@").empty());
  CHECK(looksLikeEmail("it@contoso.com"));
  CHECK_FALSE(looksLikeEmail("it@contoso"));
  CHECK_FALSE(looksLikeEmail("it@@contoso.com"));
  CHECK_FALSE(looksLikeEmail(" it@contoso.com"));
  CHECK_FALSE(looksLikeEmail("it@contoso..com"));
  CHECK_FALSE(looksLikeEmail("Bob <it@contoso.com>"));
}

TEST_CASE("split, join and trim") {
  CHECK(split("a;b;;c", ';') == std::vector<std::string>{"a", "b", "", "c"});
  CHECK(join({"a", "b"}, ", ") == "a, b");
  CHECK(trim("  x y \r\n") == "x y");
  CHECK(trim("   ").empty());
}

TEST_CASE("didYouMean completes a shortened name when only one candidate fits") {
  CHECK(didYouMean("free_mail", {"free_mail_domains", "global_admin_role_ids"}) ==
        "did you mean 'free_mail_domains'?");
  CHECK(didYouMean("free", {"free_mail_domains", "freebies"}).empty());  // ambiguous
  CHECK(didYouMean("fre", {"free_mail_domains"}).empty());               // too short
}

TEST_CASE("isLoopbackHost: literal loopback addresses and localhost only") {
  for (const char* yes : {"127.0.0.1", "127.1.2.3", "localhost", "LocalHost", "::1", "[::1]"})
    CHECK(cspwatch::isLoopbackHost(yes));
  for (const char* no : {"127.mail.example.com", "128.0.0.1", "localhost.example.com", "::2",
                         "[::ffff:10.0.0.1]", "", "10.0.0.1", "smtp.example.com"})
    CHECK_FALSE(cspwatch::isLoopbackHost(no));
}

TEST_CASE("isValidUtf8 finds the first bad byte: stray, overlong, surrogate, too large, cut") {
  size_t at = 99;
  CHECK(isValidUtf8("plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80", &at));
  CHECK(at == 99);
  CHECK_FALSE(isValidUtf8("ab\xE9", &at));
  CHECK(at == 2);
  CHECK_FALSE(isValidUtf8("\xC0\xAF", &at));  // overlong '/'
  CHECK(at == 0);
  CHECK_FALSE(isValidUtf8("x\xED\xA0\x80", &at));  // a UTF-16 surrogate
  CHECK(at == 1);
  CHECK_FALSE(isValidUtf8("\xF4\x90\x80\x80", &at));  // past U+10FFFF
  CHECK_FALSE(isValidUtf8("\xE2\x82", &at));          // cut short
  CHECK(at == 0);
}

TEST_CASE("printable keeps UTF-8 and tabs and shows control and bad bytes as '?', one each") {
  CHECK(printable("caf\xC3\xA9\tok") == "caf\xC3\xA9\tok");
  CHECK(printable(std::string("a\0b\rc\x1B", 6) + "\xFF\xFE") == "a?b?c???");
}

TEST_CASE("abbreviate cuts long values without splitting a character and says how long") {
  CHECK(abbreviate("short", 10) == "short");
  CHECK(abbreviate(std::string(30, 'a'), 10) == "aaaaaaaaaa... (30 bytes)");
  CHECK(abbreviate("aaaaaaaaa\xC3\xA9zz", 10) == "aaaaaaaaa... (13 bytes)");
}

TEST_CASE("showInvisible escapes bidirectional overrides and other invisible characters") {
  // U+202E RIGHT-TO-LEFT OVERRIDE: "Contoso <RLO>moc.evil" shows as "Contoso live.com".
  CHECK(showInvisible("Contoso \u202emoc.evil") == "Contoso \\u202emoc.evil");
  // Embeddings, isolates and marks; zero-width space, non-joiner, joiner, word joiner, BOM,
  // soft hyphen, Arabic letter mark, line and paragraph separators, a C1 control (NEL).
  CHECK(showInvisible("a\u202ab\u2066c\u2069d\u200fe") == "a\\u202ab\\u2066c\\u2069d\\u200fe");
  CHECK(showInvisible("Con\u200btoso\u200c\u200d\u2060\ufeff\u00ad\u061c") ==
        "Con\\u200btoso\\u200c\\u200d\\u2060\\ufeff\\u00ad\\u061c");
  CHECK(showInvisible("x\u2028y\u2029z\u0085") == "x\\u2028y\\u2029z\\u0085");
  // Above the BMP: a TAG character (used to hide text) gets the long form.
  CHECK(showInvisible("a\U000e0041b") == "a\\U000e0041b");
  // Visible text, every script, is kept as it is, and so are ASCII controls and bad bytes
  // (each sink has its own rule for those).
  for (const std::string kept : {"M\u00fcller & S\u00f6hne GmbH", "\u05e9\u05dc\u05d5\u05dd",
                                 "\u0645\u0631\u062d\u0628\u0627", "\u6771\u4eac", "tab\there",
                                 "bad\xff\x80"
                                 "byte",
                                 ""})
    CHECK(showInvisible(kept) == kept);
}

TEST_CASE("appendUtf8 writes one to four bytes, and what it writes is valid UTF-8") {
  std::string out;
  for (uint32_t cp : {0x41u, 0xE9u, 0x20ACu, 0x1F600u, 0x10FFFFu}) appendUtf8(out, cp);
  CHECK(out == "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
  CHECK(isValidUtf8(out));
}
