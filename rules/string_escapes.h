// SPDX-License-Identifier: Apache-2.0
// The escapes of the condition language's (non-raw) string literals, CEL's (cel-spec
// doc/langdef.md, "String and Bytes Values"): \a \b \f \n \r \t \v \\ \' \" \` \?, \xHH and
// \XHH, three octal digits up to \377, \uHHHH and \UHHHHHHHH. Each numeric escape stands for a
// Unicode code point, so "\377" and "\xFF" are both 'ÿ' (two bytes of UTF-8); a UTF-16
// surrogate or a code point past U+10FFFF is refused, as is any other escape. Used by the
// parser (rules/expr_parser.cpp); pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "rules/expr_parser.h"

namespace cspwatch::rules {

// Decodes the escape whose backslash is at text[at]: appends the character it stands for to
// `out` as UTF-8 and moves `at` past the escape. When it is not a valid escape, the error, at
// the backslash, with a hint (for a surrogate pair, the one escape to write instead).
std::optional<ParseError> decodeEscape(const std::string& text, size_t& at, std::string& out);

}  // namespace cspwatch::rules
