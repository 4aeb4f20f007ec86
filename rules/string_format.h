// SPDX-License-Identifier: Apache-2.0
// CEL's string.format(list) (cel-spec doc/extensions/strings.md): %s, %d, %f, %e, %x, %X, %o
// and %b, each taking the next element of the list, an optional precision for %f and %e
// ("%.3f", default 6, at most 100), and %% for a percent sign. Results and error messages are
// those cel-spec's string_ext.textproto expects; the kinds our language lacks (uint, bytes,
// maps, types) cannot be given. Also the bound on the size of the strings that format() and
// replace() build. Pure functions of immutable values; docs/rules.md#functions documents them.
#pragma once

#include <cstddef>
#include <string>

#include "common/value.h"

namespace cspwatch::rules {

// The most bytes a string built by format() or replace() may have when its string inputs total
// `input_bytes`: twice those, and at least 1 MiB. Without a bound a replacement copied into each
// of a tenant value's characters, or a list repeated inside a list, would build a string as
// large as the product of its inputs.
size_t builtStringLimit(size_t input_bytes);
// The error value for a result over that bound: "replace() would build a string over ...".
Value tooLarge(const std::string& function, size_t limit);

// string.format(list) for the function table (rules/string_functions.cpp): args[0] is the
// format, args[1] the list. Errors are error values, as every function's.
Value formatFn(const Value* args, int n);

}  // namespace cspwatch::rules
