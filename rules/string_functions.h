// SPDX-License-Identifier: Apache-2.0
// The string functions of the condition language: CEL's standard ones (startsWith, endsWith,
// contains, matches) and its strings extension (lowerAscii, upperAscii, trim, ...), as
// cel-spec's string.textproto and string_ext.textproto test them
// (tests/rules/cel_conformance/). docs/rules.md#functions documents each.
#pragma once

#include <vector>

#include "rules/functions.h"

namespace cspwatch::rules {

// The table of string functions; rules/functions.cpp adds it to allFunctions().
const std::vector<Function>& stringFunctions();

}  // namespace cspwatch::rules
