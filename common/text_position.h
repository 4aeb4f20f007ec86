// SPDX-License-Identifier: Apache-2.0
// Lines and columns of a text: the one rule every position cspwatch reports follows, so that a
// diagnostic's file:line:column and the line it quotes agree. A line ends at LF, at CR LF (one
// line end; the LF ends it) and at a lone CR. Lines and columns are 1-based and columns count
// bytes, as yaml-cpp's marks do once made 1-based (a UTF-8 character of three bytes moves the
// column on by three). Pure functions; no allocation.
#pragma once

#include <cstddef>
#include <string_view>

namespace cspwatch {

struct TextPosition {
  int line = 1;
  int column = 1;
};

// Whether byte `c`, followed by `next` ('\0' at the end of the text), ends a line: LF, or a CR
// that no LF follows. For readers that walk a text a byte at a time.
constexpr bool endsLine(char c, char next) { return c == '\n' || (c == '\r' && next != '\n'); }

// The position of byte `offset` of `text`. An offset past the end counts on along the last
// line (the position just after the text, say).
TextPosition textPosition(std::string_view text, size_t offset);

// Line `line` (1-based) of `text` without its line end; empty when there is no such line.
std::string_view lineText(std::string_view text, int line);

}  // namespace cspwatch
