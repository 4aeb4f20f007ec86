// SPDX-License-Identifier: Apache-2.0
// The string functions of the condition language: CEL's standard ones (startsWith, endsWith,
// contains, matches) and its strings extension (charAt, indexOf, lastIndexOf, substring, split,
// replace, trim, reverse, lowerAscii, upperAscii, strings.quote, and format in
// rules/string_format.h), as cel-go's ext/strings.go defines them and cel-spec's string.textproto
// and string_ext.textproto test them (tests/rules/cel_conformance/). docs/rules.md#functions
// documents each.
//
// Indexes and lengths count characters (Unicode code points), not bytes; an index out of range
// is an error value ("index out of range: 9"), never an exception. Every function takes time
// linear in its inputs whatever they hold (a tenant's value may be hostile), and none builds a
// result out of proportion to them (split() makes at most one part per byte, plus one; replace()
// and format() are bounded by builtStringLimit()).
#pragma once

#include <vector>

#include "rules/functions.h"

namespace cspwatch::rules {

// The table of string functions; rules/functions.cpp adds it to allFunctions().
const std::vector<Function>& stringFunctions();

}  // namespace cspwatch::rules
