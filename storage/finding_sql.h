// SPDX-License-Identifier: Apache-2.0
// Internal to storage/: the SQL every finding query shares, so that each reads a FindingRow the
// same way (finding_queries.cpp, reminders.cpp).
#pragma once

#include <string>
#include <vector>

#include "storage/finding_store.h"
#include "storage/sqlite.h"

namespace cspwatch::storage::detail {

// Columns 0..17 of every finding query; ?1 is now (for suppressions).
extern const std::string kFindingColumns;
inline constexpr int kFindingColumnCount = 18;
// FROM findings f (aliases: t tenants, ls the scan it was last seen in).
extern const std::string kFindingFrom;
extern const std::string kFindingSelect;  // kFindingColumns + kFindingFrom

// One row of kFindingColumns; a state the schema forbids is a corruption.
Result<FindingRow> readFinding(const Statement& st);
// Severity first (critical first), then rule, tenant name, subject.
void sortFindings(std::vector<FindingRow>& rows);

}  // namespace cspwatch::storage::detail
