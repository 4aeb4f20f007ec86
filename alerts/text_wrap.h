// SPDX-License-Identifier: Apache-2.0
// The plain-text part of a mail wrapped to read well at 78 columns (RFC 5322's recommended line
// length): every line longer than that is broken at spaces, its continuation lines indented under
// the text of a "Label:  " column, or deeper than the line itself (two more, four past a "* "
// bullet), so that wrapped text never starts a line where the template starts its own: tenant
// data cannot forge a section or a label by wrapping. Runs of spaces inside a line are kept. A
// word longer than the line, a URL say, stays whole on a line of its own: cutting it would break
// it. Columns count characters (UTF-8 code points), not bytes. Pure.
#pragma once

#include <string>

namespace cspwatch::alerts {

inline constexpr size_t kTextColumns = 78;

std::string wrapText(const std::string& text, size_t width = kTextColumns);

}  // namespace cspwatch::alerts
