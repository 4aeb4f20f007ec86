// SPDX-License-Identifier: Apache-2.0
// What the top of a digest says before any finding (docs/alerts.md#the-summary): how many findings
// are open and where, by severity and by rule, and what changed since the last digest: this
// digest's news (new, reopened, resolved) against what was open before (still open). Counted from
// all of a recipient's items, also those a long section leaves out. Pure.
#pragma once

#include <string>
#include <vector>

#include "alerts/digest.h"

namespace cspwatch::alerts {

struct DigestSummary {
  struct Count {
    std::string key;       // a severity, or a rule id
    std::string label;     // the severity, or the rule's title
    std::string severity;  // the rule's (by rule), for its colour
    size_t count = 0;
  };
  // Findings by section, and lines of the other sections.
  size_t opened = 0, reopened = 0, still_open = 0, resolved = 0;
  size_t unchecked = 0, expiring = 0;
  // Of the open findings (new, reopened, still open): by severity, most severe first; by rule,
  // most findings first, then by title; and in how many tenants.
  std::vector<Count> by_severity, by_rule;
  size_t tenants = 0;

  size_t open() const { return opened + reopened + still_open; }
};

DigestSummary summariseDigest(const RecipientMessage& message);

// "3 new, 1 reopened, 2 resolved" (the parts that are not zero), or "nothing new".
std::string changesText(const DigestSummary& summary);

}  // namespace cspwatch::alerts
