// SPDX-License-Identifier: Apache-2.0
// CEL's timestamps and durations (cel-spec doc/langdef.md, "Timestamps and durations" and the
// standard functions; tested by cel-spec's timestamps.textproto in tests/rules/cel_conformance/):
//  - a timestamp is seconds and nanoseconds since the Unix epoch, from 0001-01-01T00:00:00Z to
//    9999-12-31T23:59:59.999999999Z: the range an RFC 3339 string can write;
//  - a duration is one signed 64-bit count of nanoseconds (about +-292 years).
// A value made from text, or by arithmetic, outside these ranges is an error value whose
// message says "out of range", never a wrapped-around or clamped value.
#pragma once

#include <cstdint>
#include <string>

#include "common/value.h"

namespace cspwatch::rules {

inline constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
inline constexpr int64_t kNanosPerSecond = 1000000000;

// The timestamp `seconds` + `nanos` (any int64 nanos: carried into seconds), or an error.
Value makeTimestamp(int64_t seconds, int64_t nanos);

// timestamp(string): RFC 3339 with its fraction of a second kept to the nanosecond, an offset
// converted to UTC, or (our extension) a bare date or a space for the 'T'.
Value parseCelTimestamp(const std::string& text);

// duration(string): CEL's form, an optional sign and one or more decimal numbers, each with an
// optional fraction and a unit (h, m, s, ms, us or µs, ns): "1h30m", "-1.5h", "1m1ms", "0";
// and our extensions, the units d (24h) and w (7d) and ISO 8601 ("P180D", "PT0S", as Graph
// writes them; common/time.h). Too large for the range is an error, as is anything else.
Value parseCelDuration(const std::string& text);

// CEL's string() of a timestamp ("2009-02-13T23:31:30Z", "...:59.999999999Z": RFC 3339 with
// the fraction's trailing zeros dropped), a duration ("1000000s", "60.001s") or a double (the
// shortest text that reads back as the same double, as Go's strconv 'g' -1 gives).
std::string celTimeText(const Value& v);
std::string celDoubleText(double d);

// Arithmetic: a timestamp plus or minus a duration, the duration between two timestamps, the
// sum or difference of two durations, the negation of one. Out of range: an error.
Value timestampPlus(const Value& timestamp, int64_t duration_nanos, bool minus);
Value timestampDifference(const Value& a, const Value& b);
Value durationSum(int64_t a, int64_t b, bool minus);
Value durationNegate(int64_t nanos);

// -1, 0 or 1: the order of two timestamps.
int compareTimestamps(const Value& a, const Value& b);

// The calendar fields of a timestamp in UTC shifted by `offset_seconds`, for the accessors
// (getFullYear() and the others, rules/time_functions.cpp).
struct CivilTime {
  int64_t year;
  int month;        // 1..12
  int day;          // 1..31
  int day_of_week;  // 0 = Sunday
  int day_of_year;  // 0-based
  int hour, minute, second;
  int32_t nanos;
};
CivilTime civilTime(const Value& timestamp, int64_t offset_seconds);

}  // namespace cspwatch::rules
