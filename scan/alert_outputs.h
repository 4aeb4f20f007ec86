// SPDX-License-Identifier: Apache-2.0
// A scan's posts beside email (docs/alerts.md#outputs), composed from the same digest input as
// its mail and routed the same way:
//   - each route with webhooks gets one signed event per finding opened, reopened or resolved
//     and per check that just became newsworthy as could-not-check (the digest's threshold),
//     for the items the route takes; one outbox row per event and webhook;
//   - each route with Teams outputs gets one Adaptive Card per digest, when the items it takes
//     hold something newsworthy (nothing to say, no post); one outbox row per card and output.
// A row's channel is "webhook" or "teams", its target names the output by route and place, its
// recipients show the URL without its query, and its id is the event's (or card's) stable id:
// the same scan queued twice cannot post twice. AlertPipeline::compose adds these rows to the
// scan's messages, so they are queued in the scan's transaction. Pure: no clock, no store.
#pragma once

#include <string>
#include <vector>

#include "alerts/digest.h"
#include "storage/outbox.h"

namespace cspwatch::scan {

// Who the posts speak for.
struct OutputContext {
  std::string partner_name, partner_tenant_id;
};

std::vector<storage::OutboxMessage> composeOutputs(const alerts::DigestInput& input,
                                                   const std::vector<alerts::Route>& routes,
                                                   const OutputContext& context);

// The routes (indexes into `routes`) that take `item` in `section`, as alerts::routeScan routes
// mail: every route that is not the default, matches the item (alerts::routeMatches) and wants
// the section; when there is none, the default routes that want it.
std::vector<size_t> routesTaking(const std::vector<alerts::Route>& routes, alerts::Section section,
                                 const alerts::AlertItem& item);

}  // namespace cspwatch::scan
