// SPDX-License-Identifier: Apache-2.0
// A route's digest as a Microsoft Teams Workflows post (docs/alerts.md#teams): the request body
// that the "When a Teams webhook request is received" trigger takes, a message with one Adaptive
// Card attachment:
//
//   {"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
//     "contentUrl":null,"content":{"type":"AdaptiveCard","version":"1.4",...}}]}
//
// The card: a title with the counts, a FactSet summary (per section, tenants affected), the
// findings to act on grouped by rule, most severe first (tenant, what is wrong, the fix, its
// URLs as links), the resolved ones, "... and N more" for what did not fit, and how many checks
// could not be made. Teams refuses a message over 28 KB: the body is kept under
// kTeamsCardBudget whatever the number of items. Text from tenants cannot add markdown (links,
// emphasis): it is escaped. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "alerts/digest.h"
#include "common/time.h"

namespace cspwatch::alerts {

// What Teams accepts (28 KB), and what the body is kept under, leaving room for what the
// Workflows service adds around it.
inline constexpr size_t kTeamsMessageLimit = 28 * 1024;
inline constexpr size_t kTeamsCardBudget = 24 * 1024;

// The Adaptive Card version the card declares: Teams renders up to 1.5; the card uses only
// elements of 1.0 to 1.2 (TextBlock, FactSet, Container), so older mobile clients show it too.
inline constexpr const char* kTeamsCardVersion = "1.4";

struct TeamsCardContext {
  std::string partner_name;
  int64_t scan_id = 0;
  Timestamp now;
};

// The request body for `digest` (a "digest" RecipientMessage: its could-not-check section
// grouped as routeScan groups it). Compact JSON, at most kTeamsCardBudget bytes.
std::string teamsCardJson(const RecipientMessage& digest, const TeamsCardContext& context);

// "cspwatch: 3 new, 1 resolved" (the card's title; also the outbox row's subject).
std::string teamsCardTitle(const RecipientMessage& digest);

// The post's id in the outbox: "card_" and 32 lowercase hex digits of the scan, its time and
// `target`, so that the same scan's card for the same output is queued once.
std::string teamsCardId(const TeamsCardContext& context, const std::string& target);

}  // namespace cspwatch::alerts
