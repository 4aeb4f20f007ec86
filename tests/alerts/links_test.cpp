// SPDX-License-Identifier: Apache-2.0
// Links in mail (issue 18): URLs in a finding's text become links after HTML escaping, and no URL,
// however hostile, adds markup; tenant deep links only for GUIDs.
#include "alerts/links.h"

#include <catch2/catch.hpp>

using namespace cspwatch::alerts;
using Catch::contains;

TEST_CASE("links: every http(s) URL in the text is a link, the rest is escaped", "[links]") {
  CHECK(linkedHtml("Send it: https://example.com/a?b=1&c=2 , then wait.") ==
        "Send it: <a href=\"https://example.com/a?b=1&amp;c=2\">example.com/a?b=1&amp;c=2</a> , "
        "then wait.");
  // Punctuation that ends a sentence stays outside the link; so does a closing parenthesis.
  CHECK(linkedHtml("See http://x.example/p.") ==
        "See <a href=\"http://x.example/p\">x.example/p</a>.");
  CHECK(linkedHtml("(https://x.example/q)") == "(<a href=\"https://x.example/q\">x.example/q</a>)");
  CHECK(linkedHtml("HTTPS://X.EXAMPLE/") == "<a href=\"HTTPS://X.EXAMPLE/\">X.EXAMPLE/</a>");
  // Other schemes, a bare scheme and a scheme inside a word are text.
  CHECK(linkedHtml("javascript:alert(1) ftp://x.example https:// xhttps://y.example") ==
        "javascript:alert(1) ftp://x.example https:// xhttps://y.example");
  CHECK(linkedHtml("a < b & c > d \"e\" 'f'") ==
        "a &lt; b &amp; c &gt; d &quot;e&quot; &#39;f&#39;");
  // A long URL shows shortened; its href is whole.
  const std::string invite =
      "https://admin.microsoft.com/Adminportal/Home?invType=IndirectResellerRelationship&"
      "partnerId=3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64#/BillingAccounts/partner-invitation";
  const std::string html = linkedHtml(invite);
  CHECK(contains(html,
                 "href=\"https://admin.microsoft.com/Adminportal/Home?invType="
                 "IndirectResellerRelationship&amp;partnerId=3f6d2b8e-9c41-4a7f-b2d5-"
                 "1e8c7a9f0b64#/BillingAccounts/partner-invitation\""));
  CHECK(contains(html, ">admin.microsoft.com/Adminportal/Home?invType=In...</a>"));
  CHECK(shownUrl("https://a.example/short") == "a.example/short");
}

TEST_CASE("links: a hostile URL cannot add markup or leave its attribute", "[links]") {
  const std::string hostile =
      "Fix: https://evil.example/\"><script>alert(1)</script><a href='x' onmouseover=\"y\">z "
      "and https://evil.example/'onload='alert(2)' and https://e.example/`x`<img src=x>";
  const std::string html = linkedHtml(hostile);
  INFO(html);
  // The URLs end where escaping was needed: at the quote, the apostrophe, the backtick.
  CHECK(contains(html, "<a href=\"https://evil.example/\">evil.example/</a>&quot;&gt;&lt;script"));
  CHECK(contains(html, "<a href=\"https://evil.example/\">evil.example/</a>&#39;onload=&#39;"));
  CHECK(contains(html, "<a href=\"https://e.example/\">e.example/</a>`x`&lt;img"));
  // Only the tags linkedHtml writes: three links, nothing else.
  size_t tags = 0;
  for (size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    const bool ours = html.compare(at, 9, "<a href=\"") == 0 || html.compare(at, 4, "</a>") == 0;
    CHECK(ours);
    ++tags;
  }
  CHECK(tags == 6);
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<img"));
  CHECK_FALSE(contains(html, "onmouseover=\""));
}

TEST_CASE("links: tenant deep links only for GUIDs", "[links]") {
  const std::string id = "0ebf0d2c-5197-40e8-b1b0-b3347e2b560b";
  CHECK(isTenantGuid(id));
  CHECK(isTenantGuid("0EBF0D2C-5197-40E8-B1B0-B3347E2B560B"));
  for (const char* bad :
       {"", "0ebf0d2c-5197-40e8-b1b0-b3347e2b560", "0ebf0d2c-5197-40e8-b1b0-b3347e2b560bb",
        "0ebf0d2c5197-40e8-b1b0-b3347e2b560b-", "0ebf0d2c-5197-40e8-b1b0-b3347e2b560g",
        "0ebf0d2c-5197-40e8-b1b0-b3347e2b560b&CSDEST=x", "t-1", "\"><script>"}) {
    INFO(bad);
    CHECK_FALSE(isTenantGuid(bad));
    CHECK(adminCenterUrl(bad).empty());
    CHECK(partnerCenterUrl(bad).empty());
  }
  CHECK(adminCenterUrl(id) == "https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID=" +
                                  id + "&CSDEST=o365admincenter");
  CHECK(partnerCenterUrl(id) ==
        "https://partner.microsoft.com/dashboard/commerce2/customers/" + id);
}
