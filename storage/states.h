// SPDX-License-Identifier: Apache-2.0
// The states the findings database records as text, as enums: a finding's state, a scan's
// status, an outbox message's status, a tenant's read status, and which findings a listing
// asks for.
//
// Contract: each name function gives exactly the text the schema's CHECK constraints allow
// (storage/schema.cpp), and that text is also what the JSON, CSV and table output, the logs and
// the metrics labels show (docs/storage.md, docs/operations.md): never rename one. Each parse
// function is its inverse, and refuses (nullopt) any other text, including another enum's
// names. Text read from the database is parsed once, where the row is read; a text the schema
// forbids is a corruption (storedValueError), never mapped to a default.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace cspwatch::storage {

// findings.state. kUnknown is not stored: it marks the "could not be checked" rows of a scan
// diff (ScanDiff::became_unknown), so parseFindingState refuses "unknown".
enum class FindingState { kOpen, kResolved, kRetired, kUnknown };
const char* findingStateName(FindingState s);  // "open", "resolved", "retired", "unknown"
std::optional<FindingState> parseFindingState(std::string_view text);

// scans.status: running until it ends; applied (completed: every source listed its tenants,
// partial: not) or not (failed, interrupted: cspwatch shut down).
enum class ScanStatus { kRunning, kCompleted, kPartial, kFailed, kInterrupted };
// "running", "completed", "partial", "failed", "interrupted"
const char* scanStatusName(ScanStatus s);
std::optional<ScanStatus> parseScanStatus(std::string_view text);
// Completed or partial: the scan was applied (it changed the findings).
bool scanApplied(ScanStatus s);

// outbox.status.
enum class OutboxStatus { kQueued, kSent, kFailed };
const char* outboxStatusName(OutboxStatus s);  // "queued", "sent", "failed"
std::optional<OutboxStatus> parseOutboxStatus(std::string_view text);

// How fully a scan read a tenant (scan_tenants.read_status holds the partial and none ones).
enum class ReadStatus { kFull, kPartial, kNone };
const char* readStatusName(ReadStatus s);  // "full", "partial", "none"

// Which findings FindingStore::listFindings returns: open (suppressed or not), resolved,
// retired, open and suppressed, or all. The names are `findings list --state`'s values.
enum class StateFilter { kOpen, kResolved, kRetired, kSuppressed, kAll };
const char* stateFilterName(StateFilter f);  // "open", "resolved", "retired", "suppressed", "all"
std::optional<StateFilter> parseStateFilter(std::string_view text);
// Every name, in the order above (the CLI's choices and its help).
std::vector<std::string> stateFilterNames();

// The error for a text in `column` that names none of its states: the schema's CHECK forbids
// it, so the database was damaged or edited by hand.
Status storedValueError(const std::string& column, const std::string& text);

}  // namespace cspwatch::storage
