// SPDX-License-Identifier: Apache-2.0
#include "alerts/text_wrap.h"

#include <algorithm>
#include <string_view>
#include <vector>

namespace cspwatch::alerts {

namespace {

// Characters, not bytes: UTF-8 continuation bytes do not start one.
size_t columns(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Where the continuation lines of `line` start, in columns (all ASCII up to there): under the
// text of a "Label:  " column; four past a "* " or "- " bullet and two past any other
// indentation, so that text wrapped onto a new line never starts where the template starts its
// own lines (a section at column 0, an item's labels at column 2) and tenant data cannot forge one.
// `fixed` is where the line's own words start: after the indentation, bullet or label.
size_t continuationIndent(std::string_view line, size_t& fixed) {
  size_t indent = 0;
  while (indent < line.size() && line[indent] == ' ') ++indent;
  fixed = indent;
  const std::string_view rest = line.substr(indent);
  if (rest.substr(0, 2) == "* " || rest.substr(0, 2) == "- ") {
    fixed = indent + 2;
    return indent + 4;
  }
  constexpr size_t kLongestLabel = 24;
  size_t colon = 0;
  while (colon < rest.size() && colon <= kLongestLabel &&
         (isLetter(rest[colon]) || (colon > 0 && rest[colon] == ' ')))
    ++colon;
  if (colon == 0 || colon >= rest.size() || rest[colon] != ':') return indent + 2;
  size_t text = colon + 1;
  while (text < rest.size() && rest[text] == ' ') ++text;
  if (text == colon + 1 || text >= rest.size()) return indent + 2;  // "a:b", or nothing after it
  fixed = indent + text;
  return indent + text;
}

// The words of `s` with the spaces before each, as written: wrapping keeps runs of spaces
// inside a line (a tenant name's line break became two spaces) and drops only those it breaks at.
struct Word {
  std::string_view spaces, text;
};

std::vector<Word> words(std::string_view s) {
  std::vector<Word> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && s[i] == ' ') ++i;
    size_t end = i;
    while (end < s.size() && s[end] != ' ') ++end;
    if (end > i) out.push_back({s.substr(start, i - start), s.substr(i, end - i)});
    i = end;
  }
  return out;
}

void wrapLine(std::string_view line, size_t width, std::string& out) {
  if (columns(line) <= width) {
    out += line;
    return;
  }
  size_t fixed = 0;
  size_t hang = continuationIndent(line, fixed);
  if (hang > width / 2) hang = 4;  // a label too wide to hang under: indent a little
  const std::string continuation(hang, ' ');
  std::string current(line.substr(0, fixed));  // the indentation, bullet or label, as written
  size_t used = columns(current);
  bool has_words = false;
  for (const Word& w : words(line.substr(fixed))) {
    const size_t need = columns(w.text) + (has_words ? w.spaces.size() : 0);
    if (used + need > width && (has_words || current.find_first_not_of(' ') != std::string::npos)) {
      // Full: start a new line. A label with no room for its first word keeps its line alone.
      while (!current.empty() && current.back() == ' ') current.pop_back();
      out += current;
      out += '\n';
      current = continuation;
      used = hang;
      has_words = false;
    }
    if (has_words) {
      current += w.spaces;
      used += w.spaces.size();
    }
    current += w.text;
    used += columns(w.text);
    has_words = true;
  }
  out += current;
}

}  // namespace

std::string wrapText(const std::string& text, size_t width) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    wrapLine(std::string_view(text).substr(start, end - start), width, out);
    if (end == text.size()) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace cspwatch::alerts
