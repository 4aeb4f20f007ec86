// SPDX-License-Identifier: Apache-2.0
// CEL's timestamp and duration accessors: getFullYear(), getMonth(), getDate(),
// getDayOfMonth(), getDayOfWeek(), getDayOfYear(), getHours(), getMinutes(), getSeconds(),
// getMilliseconds() on a timestamp, in UTC or in the zone given as an argument; getHours(),
// getMinutes(), getSeconds() and getMilliseconds() on a duration. Zones are "UTC", fixed
// offsets ("+10:00", "-02:30", "05:30") and the tz database's names ("Australia/Sydney",
// rules/time_zones.h); anything else is an error value (docs/rules.md#time).
#pragma once

#include <vector>

#include "rules/functions.h"

namespace cspwatch::rules {

// The table of accessors; rules/functions.cpp adds it to allFunctions().
const std::vector<Function>& timeFunctions();

}  // namespace cspwatch::rules
