// SPDX-License-Identifier: Apache-2.0
// Links in mail (docs/alerts.md#links): every http(s) URL in a finding's text made a link, and the
// deep links of a customer tenant, to its Microsoft 365 admin center (as the partner, through
// BeginClientSession) and to its page in Partner Center. Pure.
//
// Tenant data never adds markup: every character is HTML-escaped, a URL ends at the first
// character escaping would change other than '&' (a quote, '<', '>') as well as at a space, so
// what is linked is exactly what escaping left as it was, and only http:// and https:// are linked.
// Tenant ids go into a URL only when they are GUIDs.
#pragma once

#include <string>
#include <string_view>

namespace cspwatch::alerts {

// "0ebf0d2c-5197-40e8-b1b0-b3347e2b560b": 8-4-4-4-12 hexadecimal digits, either case.
bool isTenantGuid(std::string_view id);

// The customer's Microsoft 365 admin center, entered as its partner:
// https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID=<id>&CSDEST=o365admincenter.
// "" unless `tenant_id` is a GUID.
std::string adminCenterUrl(const std::string& tenant_id);
// The customer's page in Partner Center:
// https://partner.microsoft.com/dashboard/commerce2/customers/<id>.
// "" unless `tenant_id` is a GUID.
std::string partnerCenterUrl(const std::string& tenant_id);

// `text` HTML-escaped, with each http:// or https:// URL in it an <a href> to itself. A URL runs
// to the next space or character that needed escaping (other than '&'); a full stop, comma,
// semicolon, colon, '!', '?' or ')' that ends it is left outside the link. The link shows the URL
// without its scheme, shortened to about 50 characters with "..." (a long invitation URL would
// fill a phone's screen); the href is whole.
std::string linkedHtml(std::string_view text);

// What a link to `url` shows: no scheme, at most kShownUrl characters (then "...").
inline constexpr size_t kShownUrl = 50;
std::string shownUrl(std::string_view url);

}  // namespace cspwatch::alerts
