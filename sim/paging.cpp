// SPDX-License-Identifier: Apache-2.0
#include "sim/paging.h"

#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/URI.h>

#include "common/text.h"
#include "sim/json_util.h"

namespace cspwatch::sim {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string encodeQueryValue(const std::string& v) {
  std::string out;
  Poco::URI::encode(v, "!#$&'()*+,/:;=?@[]%\" ", out);
  return out;
}

// The page size a client asked for: Graph's $top, Partner Center's size.
size_t asked(const Request& r, const char* param) {
  const std::string v = r.param(param);
  if (v.empty()) return 0;
  try {
    return static_cast<size_t>(std::max(0L, std::stol(v)));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

std::string pageToken(const PagePosition& p) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc << "offset:" << p.offset << (p.after_empty ? ":e" : "");
  enc.close();
  return out.str();
}

std::optional<PagePosition> parsePageToken(const std::string& token) {
  try {
    std::istringstream in(token);
    Poco::Base64Decoder dec(in);
    std::string text((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    if (!startsWith(text, "offset:")) return std::nullopt;
    PagePosition p;
    p.after_empty = endsWith(text, ":e");
    p.offset = static_cast<size_t>(std::stoul(text.substr(7)));
    return p;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<Page> graphPage(const Request& r, const SimProfile& profile, const std::string& key,
                              size_t total) {
  PagePosition at;
  const std::string skip = r.param("$skiptoken");
  if (!skip.empty()) {
    auto p = parsePageToken(skip);
    if (!p) return std::nullopt;
    at = *p;
  }
  const size_t size = profile.pageSize(key, asked(r, "$top"));
  Page page;
  page.size = size;
  page.begin = std::min(at.offset, total);
  if (skip.empty() && profile.empty_pages && profile.pick("empty|" + key, 4) == 0) {
    // "A page of results may contain zero or more results": an empty first page, then the rest.
    page.end = page.begin;
    page.has_next = true;
    page.next = {0, true};
    return page;
  }
  page.end = std::min(total, page.begin + size);
  page.has_next = page.end < total;
  page.next = {page.end, at.after_empty};
  return page;
}

Object::Ptr graphCollection(const Request& r, const std::string& context, const Array::Ptr& value,
                            const Page& page) {
  auto o = obj();
  o->set("@odata.context", context);
  o->set("value", value);
  if (page.has_next) {
    std::string query;
    for (const auto& [k, v] : r.query) {
      if (k == "$skiptoken") continue;
      query += (query.empty() ? "" : "&") + k + "=" + encodeQueryValue(v);
    }
    query += (query.empty() ? "" : "&") + std::string("$skiptoken=") +
             encodeQueryValue(pageToken(page.next));
    o->set("@odata.nextLink", r.base_url + r.path + "?" + query);
  }
  return o;
}

std::optional<Page> partnerCenterPage(const Request& r, const SimProfile& profile,
                                      const std::string& key, size_t total) {
  PagePosition at;
  std::string seek = r.param("seekOperation");
  if (seek.empty()) seek = r.param("seekoperation");  // the invoice docs write it so
  if (toLowerAscii(seek) == "next") {
    auto p = parsePageToken(r.header("ms-continuationtoken"));
    if (!p) return std::nullopt;
    at = *p;
  }
  const size_t size = profile.pageSize(key, asked(r, "size"));
  Page page;
  page.size = size;
  page.begin = std::min(at.offset, total);
  page.end = std::min(total, page.begin + size);
  page.has_next = page.end < total;
  page.next = {page.end, false};
  return page;
}

Object::Ptr partnerCenterCollection(const SimProfile& profile, const std::string& key,
                                    const std::string& resource, const Array::Ptr& items,
                                    const Page& page) {
  // Documented examples give link URIs both with /v1 (get-a-list-of-customers) and without
  // (get-a-customer-by-id, invoices, audit records).
  const std::string prefix =
      profile.shortLink(key + "|" + std::to_string(page.begin)) ? "/" : "/v1/";
  const std::string size = "size=" + std::to_string(page.size);
  auto o = obj();
  o->set("totalCount", static_cast<int64_t>(items->size()));  // this page's, as documented
  o->set("items", items);
  auto links = obj();
  auto self = obj();
  self->set("uri", prefix + resource + "?" + size);
  self->set("method", "GET");
  self->set("headers", Array::Ptr(new Array()));
  links->set("self", self);
  if (page.has_next) {
    const std::string token = pageToken(page.next);
    auto next = obj();
    next->set("uri", prefix + resource + "?" + size + "&seekOperation=Next");
    next->set("method", "GET");
    Array::Ptr headers = new Array();
    auto h = obj();
    h->set("key", "MS-ContinuationToken");
    h->set("value", token);
    headers->add(h);
    next->set("headers", headers);
    links->set("next", next);
    // Some Partner Center collections also carry the token in the body (invoice line items).
    if (profile.pick("ctoken|" + key, 2) == 0) o->set("continuationToken", token);
  }
  o->set("links", links);
  auto attrs = obj();
  attrs->set("objectType", "Collection");
  o->set("attributes", attrs);
  return o;
}

}  // namespace cspwatch::sim
