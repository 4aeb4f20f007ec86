// SPDX-License-Identifier: Apache-2.0
// Internal to storage/: the SQL every finding query shares, so that each reads a FindingRow the
// same way (finding_queries.cpp, reminders.cpp).
#pragma once

#include <string>
#include <vector>

#include "storage/database.h"
#include "storage/finding_store.h"

namespace cspwatch::storage::detail {

// Columns 0..17 of every finding query; ?1 is now (for suppressions).
extern const std::string kFindingColumns;
inline constexpr int kFindingColumnCount = 18;
// FROM findings f (aliases: t tenants, ls the scan it was last seen in).
extern const std::string kFindingFrom;
extern const std::string kFindingSelect;  // kFindingColumns + kFindingFrom

// The condition that suppression `s` covers finding `f` (aliases as given: "s", "f"): same rule,
// and its tenant, tag and subject when it names them. A tag is matched against the tags the
// tenant had when last read (tenants.tags, one per line). Built from literals only, so safe to
// call while other files' constants are initialised.
std::string suppressionCovers(const std::string& s, const std::string& f);
// The tag part alone: `s` names no tag, or the tenant in `tenant_column` carries it.
std::string tagCovers(const std::string& s, const std::string& tenant_column);

// One row of kFindingColumns; a state the schema forbids is a corruption.
Result<FindingRow> readFinding(const Statement& st);
// Severity first (critical first), then rule, tenant name, subject.
void sortFindings(std::vector<FindingRow>& rows);

}  // namespace cspwatch::storage::detail
