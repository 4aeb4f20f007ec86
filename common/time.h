// SPDX-License-Identifier: Apache-2.0
// Timestamps and durations as the Microsoft APIs and our config files spell them.
//
// Timestamp is UTC seconds since the Unix epoch: the APIs give sub-second digits that no rule
// needs, and whole seconds make stored values and comparisons exact. Hand-written because
// C++17 has no calendar parsing, and common/ stays free of Poco.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cspwatch {

using Seconds = std::chrono::seconds;
using Timestamp = std::chrono::time_point<std::chrono::system_clock, Seconds>;

// RFC 3339 / ISO 8601: "2024-02-10T11:24:42Z", with optional fraction ("…42.1234567Z"),
// offset ("+10:00") or, for dates typed by people, just "2024-02-10" (midnight UTC).
// A space may stand for the 'T'. nullopt for anything else, including impossible dates.
std::optional<Timestamp> parseTimestamp(std::string_view text);
// "2024-02-10T11:24:42Z".
std::string formatTimestamp(Timestamp t);
// "2024-02-10".
std::string formatDate(Timestamp t);

// Durations in either of two spellings:
//  - ISO 8601 as Graph uses them: "PT0S", "P180D", "P730D", "P1DT12H", "P2W". Years count as
//    365 days and months as 30 days (Graph's GDAP durations are whole days in practice).
//  - Short form for config files: "90d", "6h", "30m", "45s", "1h30m", "2w".
// nullopt for anything else or for negative values.
std::optional<Seconds> parseDuration(std::string_view text);
// Short form, largest units first: "1d6h", "30m", "0s".
std::string formatDuration(Seconds d);

Timestamp fromUnixSeconds(int64_t s);
int64_t toUnixSeconds(Timestamp t);

}  // namespace cspwatch
