// SPDX-License-Identifier: Apache-2.0
// What a correct scan of a world must report: every finding (rule, tenant, subject) of the
// default rule pack and every check that must come out unknown.
//
// Written from the rules' documented meaning (docs/rules.md#the-default-rule-pack) in plain
// C++, sharing no code with the rules engine, so that a mistake in either shows up as a
// difference. It models what cspwatch can observe through the APIs (sim/world.h), not the
// world's hidden facts: another partner's GDAP is invisible from our tenant, for instance.
#pragma once

#include <string>
#include <vector>

#include "common/time.h"
#include "sim/world.h"

namespace cspwatch::sim {

struct TruthEntry {
  std::string rule;
  std::string tenant_id;
  std::string subject;  // "" for tenant-level rules and for unknowns
  std::string outcome;  // "fail" or "unknown"
};

// Sorted by rule, tenant, subject.
std::vector<TruthEntry> computeTruth(const World& world, Timestamp now);
// {"schema_version": 1, "now": ..., "findings": [{rule, tenant_id, subject, outcome}, ...]}
std::string truthToJson(const std::vector<TruthEntry>& truth, Timestamp now);

}  // namespace cspwatch::sim
