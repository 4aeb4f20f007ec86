// SPDX-License-Identifier: Apache-2.0
#include "common/text_position.h"

#include <algorithm>

namespace cspwatch {

TextPosition textPosition(std::string_view text, size_t offset) {
  int line = 1;
  size_t line_start = 0;
  const size_t end = std::min(offset, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (endsLine(text[i], i + 1 < text.size() ? text[i + 1] : '\0')) {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<int>(offset - line_start) + 1};
}

std::string_view lineText(std::string_view text, int line) {
  if (line < 1) return {};
  size_t start = 0;
  for (int i = 1; i < line; ++i) {
    start = text.find_first_of("\r\n", start);
    if (start == std::string_view::npos) return {};
    start += text.compare(start, 2, "\r\n") == 0 ? 2 : 1;
  }
  const size_t end = text.find_first_of("\r\n", start);
  return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

}  // namespace cspwatch
