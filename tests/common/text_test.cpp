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
