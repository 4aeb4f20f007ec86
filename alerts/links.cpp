// SPDX-License-Identifier: Apache-2.0
#include "alerts/links.h"

#include "common/text.h"

namespace cspwatch::alerts {

namespace {

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Where a URL starts at `at`: the length of "http://" or "https://" (any case), else 0.
size_t schemeAt(std::string_view text, size_t at) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (text.size() - at < scheme.size()) continue;
    bool same = true;
    for (size_t i = 0; i < scheme.size() && same; ++i) {
      char c = text[at + i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      same = c == scheme[i];
    }
    if (same) return scheme.size();
  }
  return 0;
}

// A URL ends at a space or control character, or where escaping was needed: quotes and angle
// brackets never reach an attribute or a tag. '&' is kept (query strings), escaped as &amp;.
bool endsUrl(char c) {
  return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '<' ||
         c == '>' || c == '`';
}

bool trailingPunctuation(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')';
}

// A word starts here: not in the middle of one ("xhttps://" is not linked).
bool wordStart(std::string_view text, size_t at) {
  if (at == 0) return true;
  const char before = text[at - 1];
  return !((before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
           (before >= '0' && before <= '9'));
}

}  // namespace

bool isTenantGuid(std::string_view id) {
  static constexpr size_t kGroups[] = {8, 4, 4, 4, 12};
  size_t at = 0;
  for (size_t g = 0; g < 5; ++g) {
    if (g > 0) {
      if (at >= id.size() || id[at] != '-') return false;
      ++at;
    }
    for (size_t i = 0; i < kGroups[g]; ++i, ++at)
      if (at >= id.size() || !isHex(id[at])) return false;
  }
  return at == id.size();
}

std::string adminCenterUrl(const std::string& tenant_id) {
  if (!isTenantGuid(tenant_id)) return "";
  return "https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID=" + tenant_id +
         "&CSDEST=o365admincenter";
}

std::string partnerCenterUrl(const std::string& tenant_id) {
  if (!isTenantGuid(tenant_id)) return "";
  return "https://partner.microsoft.com/dashboard/commerce2/customers/" + tenant_id;
}

std::string shownUrl(std::string_view url) {
  url.remove_prefix(schemeAt(url, 0));
  if (url.size() <= kShownUrl) return std::string(url);
  // Cut at a character boundary: never inside a UTF-8 sequence.
  size_t cut = kShownUrl - 3;
  while (cut > 0 && (static_cast<unsigned char>(url[cut]) & 0xC0) == 0x80) --cut;
  return std::string(url.substr(0, cut)) + "...";
}

std::string linkedHtml(std::string_view text) {
  // The URLs are found in the raw text and each piece escaped on its own: the same as escaping
  // first, since a URL stops at every character escaping changes except '&'.
  std::string out;
  size_t done = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const size_t scheme = wordStart(text, i) ? schemeAt(text, i) : 0;
    if (scheme == 0) continue;
    size_t end = i + scheme;
    while (end < text.size() && !endsUrl(text[end])) ++end;
    while (end > i + scheme && trailingPunctuation(text[end - 1])) --end;
    if (end == i + scheme) continue;  // "https://" alone
    const std::string_view url = text.substr(i, end - i);
    out += htmlEscape(text.substr(done, i - done));
    out += "<a href=\"" + htmlEscape(url) + "\">" + htmlEscape(shownUrl(url)) + "</a>";
    done = end;
    i = end - 1;
  }
  out += htmlEscape(text.substr(done));
  return out;
}

}  // namespace cspwatch::alerts
