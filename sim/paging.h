// SPDX-License-Identifier: Apache-2.0
// Paging as the services do it, for every collection the simulator serves (docs/simulator.md):
//
//  - Graph: "Microsoft Graph returns an @odata.nextLink property ... that contains a URL to the
//    next page"; clients use the whole URL and never parse its $skiptoken (concepts/paging.md).
//    The link is absolute and carries an opaque $skiptoken.
//  - Partner Center: seek pages. A page with more after it carries links.next = {uri, method,
//    headers: [{key: MS-ContinuationToken, value}]}, the next request being the link's URI with
//    seekOperation=Next and that header (the SDK's BaseResourceCollectionEnumerator; invoice
//    line-item docs). The URI comes with or without /v1, as documented examples do.
#pragma once

#include <optional>
#include <string>

#include <Poco/JSON/Object.h>

#include "sim/http_types.h"
#include "sim/profile.h"

namespace cspwatch::sim {

// Opaque to clients: base64 of "offset:N" (":e" once an empty first page was served).
struct PagePosition {
  size_t offset = 0;
  bool after_empty = false;
};
std::string pageToken(const PagePosition& position);
std::optional<PagePosition> parsePageToken(const std::string& token);

// One page of a collection of `total` items: items [begin, end).
struct Page {
  size_t begin = 0, end = 0;
  size_t size = 0;  // the page size in use
  bool has_next = false;
  PagePosition next;
};

// The Graph page `r` asks for (its $skiptoken, $top up to `max_top` when the API caps it), or
// nullopt for a $skiptoken that is not ours. `key` names the collection for the profile's
// choices (page size, an empty first page).
std::optional<Page> graphPage(const Request& r, const SimProfile& profile, const std::string& key,
                              size_t total);
// {"@odata.context", "value", "@odata.nextLink"?} for `page` of the collection at `path` (as
// requested, under /graph), keeping the request's other query parameters in the link.
Poco::JSON::Object::Ptr graphCollection(const Request& r, const std::string& context,
                                        const Poco::JSON::Array::Ptr& value, const Page& page);

// The Partner Center page `r` asks for: the first (size = `size` query parameter, if any) or,
// with seekOperation=Next, the one its MS-ContinuationToken header names. nullopt for a missing
// or foreign continuation token.
std::optional<Page> partnerCenterPage(const Request& r, const SimProfile& profile,
                                      const std::string& key, size_t total);
// {"totalCount", "items", "links": {"self", "next"?}, "continuationToken"?, "attributes"} for
// `page`, the links to `resource` ("customers", "customers/{id}/relationships") with or without
// /v1 as the profile chooses.
Poco::JSON::Object::Ptr partnerCenterCollection(const SimProfile& profile, const std::string& key,
                                                const std::string& resource,
                                                const Poco::JSON::Array::Ptr& items,
                                                const Page& page);

}  // namespace cspwatch::sim
