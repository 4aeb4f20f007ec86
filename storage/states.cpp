// SPDX-License-Identifier: Apache-2.0
// Each enum's names in one table, read both ways: the name of a value, the value of a name.
#include "storage/states.h"

#include <iterator>
#include <utility>

namespace cspwatch::storage {

namespace {

const std::pair<FindingState, const char*> kFindingStates[] = {
    {FindingState::kOpen, "open"},
    {FindingState::kResolved, "resolved"},
    {FindingState::kRetired, "retired"},
    {FindingState::kUnknown, "unknown"}};

const std::pair<ScanStatus, const char*> kScanStatuses[] = {
    {ScanStatus::kRunning, "running"},
    {ScanStatus::kCompleted, "completed"},
    {ScanStatus::kPartial, "partial"},
    {ScanStatus::kFailed, "failed"},
    {ScanStatus::kInterrupted, "interrupted"}};

const std::pair<OutboxStatus, const char*> kOutboxStatuses[] = {{OutboxStatus::kQueued, "queued"},
                                                                {OutboxStatus::kSent, "sent"},
                                                                {OutboxStatus::kFailed, "failed"}};

const std::pair<ReadStatus, const char*> kReadStatuses[] = {
    {ReadStatus::kFull, "full"}, {ReadStatus::kPartial, "partial"}, {ReadStatus::kNone, "none"}};

const std::pair<StateFilter, const char*> kStateFilters[] = {
    {StateFilter::kOpen, "open"},
    {StateFilter::kResolved, "resolved"},
    {StateFilter::kRetired, "retired"},
    {StateFilter::kSuppressed, "suppressed"},
    {StateFilter::kAll, "all"}};

// Every value of each enum is in its table (enumerators count from 0 without gaps), so the loop
// always returns.
static_assert(std::size(kFindingStates) == static_cast<size_t>(FindingState::kUnknown) + 1);
static_assert(std::size(kScanStatuses) == static_cast<size_t>(ScanStatus::kInterrupted) + 1);
static_assert(std::size(kOutboxStatuses) == static_cast<size_t>(OutboxStatus::kFailed) + 1);
static_assert(std::size(kReadStatuses) == static_cast<size_t>(ReadStatus::kNone) + 1);
static_assert(std::size(kStateFilters) == static_cast<size_t>(StateFilter::kAll) + 1);

template <typename E, size_t N>
const char* nameIn(const std::pair<E, const char*> (&table)[N], E value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return table[0].second;
}

template <typename E, size_t N>
std::optional<E> valueIn(const std::pair<E, const char*> (&table)[N], std::string_view text) {
  for (const auto& [v, name] : table)
    if (text == name) return v;
  return std::nullopt;
}

}  // namespace

const char* findingStateName(FindingState s) { return nameIn(kFindingStates, s); }

std::optional<FindingState> parseFindingState(std::string_view text) {
  auto s = valueIn(kFindingStates, text);
  if (s == FindingState::kUnknown) return std::nullopt;  // never stored (states.h)
  return s;
}

const char* scanStatusName(ScanStatus s) { return nameIn(kScanStatuses, s); }

std::optional<ScanStatus> parseScanStatus(std::string_view text) {
  return valueIn(kScanStatuses, text);
}

bool scanApplied(ScanStatus s) { return s == ScanStatus::kCompleted || s == ScanStatus::kPartial; }

const char* outboxStatusName(OutboxStatus s) { return nameIn(kOutboxStatuses, s); }

std::optional<OutboxStatus> parseOutboxStatus(std::string_view text) {
  return valueIn(kOutboxStatuses, text);
}

const char* readStatusName(ReadStatus s) { return nameIn(kReadStatuses, s); }

const char* stateFilterName(StateFilter f) { return nameIn(kStateFilters, f); }

std::optional<StateFilter> parseStateFilter(std::string_view text) {
  return valueIn(kStateFilters, text);
}

std::vector<std::string> stateFilterNames() {
  std::vector<std::string> names;
  for (const auto& [f, name] : kStateFilters) names.emplace_back(name);
  return names;
}

Status storedValueError(const std::string& column, const std::string& text) {
  return Status::corruption("the database holds '" + text + "' in " + column +
                            ", which its schema does not allow");
}

}  // namespace cspwatch::storage
