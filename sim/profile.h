// SPDX-License-Identifier: Apache-2.0
// How the simulator answers where Microsoft's documentation leaves the choice open, so that a
// client cannot come to depend on one choice (docs/simulator.md#the-realistic-profile). The
// default is the realistic profile: every choice varied, seeded.
//
//  - Page sizes: "Different APIs might have different default and maximum page sizes" (Graph
//    concepts/paging.md); Partner Center pages at the server's discretion (the SDK's
//    BaseResourceCollectionEnumerator follows links.next on any collection). Every collection is
//    paged, at 2 or 3 items a page unless page_size says otherwise.
//  - Empty pages: "A page of results may contain zero or more results" (paging.md). Some first
//    pages of Graph collections come back empty with an @odata.nextLink.
//  - Link forms: Partner Center's documented link URIs come with /v1 (get-a-list-of-customers)
//    and without (get-a-customer-by-id, invoices, audit records); both are served.
//  - A UTF-8 byte-order mark before every Partner Center body, as Partner Center sends
//    (Azure/msrest-for-python#144).
//  - Optional fields: continuationToken in a Partner Center page besides links.next;
//    isServiceProvider on a partner that is not one: false, null or absent (the doc's example
//    omits it).
#pragma once

#include <cstdint>
#include <string>

namespace cspwatch::sim {

struct SimProfile {
  int page_size = 0;                 // items a page for every collection; 0: 2 or 3, varied
  std::string link_form = "varied";  // "v1", "short" (no /v1) or "varied"
  bool bom = true;                   // a UTF-8 BOM before Partner Center bodies
  bool empty_pages = true;           // some first Graph pages empty, with a nextLink
  uint64_t seed = 1;

  // A deterministic choice among `n` for `key` (a route, a tenant, a page).
  uint64_t pick(const std::string& key, uint64_t n) const;
  // The page size for collection `key`, and the size a client asked for (0: none).
  size_t pageSize(const std::string& key, size_t asked) const;
  // Whether a link in an answer for `key` leaves out the /v1 prefix.
  bool shortLink(const std::string& key) const;
};

}  // namespace cspwatch::sim
