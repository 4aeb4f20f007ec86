// SPDX-License-Identifier: Apache-2.0
// Named time zones for the timestamp accessors (t.getHours("Australia/Sydney")), read from the
// tz database's compiled files (TZif, RFC 8536) under /usr/share/zoneinfo (Debian's tzdata;
// $TZDIR when set, as glibc reads it). Hand-written: C++17 has no time zones, glibc's are
// process-wide (TZ and localtime_r), and rules evaluate on several threads at once.
//
// A zone is read once and kept. Offsets come from its transitions, and past the last one from
// its footer rule (a POSIX TZ string such as "AEST-10AEDT,M10.1.0,M4.1.0/3"). Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cspwatch::rules {

// Seconds east of UTC in `zone` at `utc_seconds`; nullopt when the name is not a zone of the
// database (or not a safe name: letters, digits, '_', '+', '-' and '/' between parts).
std::optional<int64_t> namedZoneOffset(const std::string& zone, int64_t utc_seconds);

// A POSIX TZ string's offset at `utc_seconds` (the TZif footer); nullopt when it cannot be read.
// Exposed for tests.
std::optional<int64_t> posixZoneOffset(const std::string& rule, int64_t utc_seconds);

}  // namespace cspwatch::rules
