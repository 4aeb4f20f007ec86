// SPDX-License-Identifier: Apache-2.0
// How findings are printed: a table that fits 100 columns, JSON and CSV with a versioned
// schema (docs/storage.md#output-schemas). Finding rows carry at least id, rule, tenant_id,
// tenant_name, subject, state, suppressed, severity, first_seen, last_seen and message.
#pragma once

#include <ostream>
#include <vector>

#include <Poco/JSON/Object.h>

#include "storage/finding_store.h"
#include "storage/notifications.h"

namespace cspwatch::cli {

inline constexpr int kFindingSchemaVersion = 1;

Poco::JSON::Object::Ptr findingToJson(const storage::FindingRow& f);
void printFindingsTable(std::ostream& out, const std::vector<storage::FindingRow>& rows);
void printFindingsCsv(std::ostream& out, const std::vector<storage::FindingRow>& rows);
// The messages that mentioned a finding (`findings show`): its "notifications" list, and the
// text form's table (Message-ID whole: it is what a mail client searches for).
Poco::JSON::Array::Ptr notificationsToJson(const std::vector<storage::Notification>& list);
void printNotifications(std::ostream& out, const std::vector<storage::Notification>& list);
// The suppressions covering a finding (`findings show`): its "suppressions" list (id, reason,
// owner, ticket, expires_at, created_at and what it names), and one text line each.
Poco::JSON::Array::Ptr suppressionsToJson(const std::vector<storage::Suppression>& list);
void printSuppressions(std::ostream& out, const std::vector<storage::Suppression>& list);
// A JSON object that prints its keys in the order they were set, as the documents do.
Poco::JSON::Object::Ptr jsonObject();
// A CSV field: quoted when needed, and defused when a spreadsheet would run it as a formula.
std::string csvField(const std::string& value);

}  // namespace cspwatch::cli
