// SPDX-License-Identifier: Apache-2.0
// A small scanner that walks strict JSON (RFC 8259) through a TextWindow, keeping the line and
// column yaml-cpp would give each place, for the streamed JSON inventory (inventory_json.h). It
// checks the syntax and moves on, building nothing: the reader hands each tenant's text alone to
// yaml-cpp. Written by hand because no library we have walks JSON with positions without
// building the whole document (yaml-cpp builds nodes, Poco's parser gives no positions).
//
// It takes a little less than yaml-cpp reads as JSON: a key must be on one line with its ':'
// and at most kMaxKeyBytes long, nesting at most kMaxDepth deep, and a CR must be followed by
// LF (parseYamlDocument refuses a lone CR). Each method returns false when the text is not what
// it takes, and the caller gives up on the walk.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tenants/text_window.h"

namespace cspwatch::tenants {

inline constexpr int kMaxJsonDepth = 64;          // far below yaml-cpp's guard; tenants nest ~4
inline constexpr size_t kMaxJsonKeyBytes = 1000;  // yaml-cpp refuses an implicit key over 1024

// A place in the text with the line and column yaml-cpp gives it: 1-based, columns in bytes,
// lines ending at LF, a leading UTF-8 byte-order mark not counted.
struct TextPos {
  size_t offset = 0;
  int line = 1;
  int column = 1;
};

class JsonScanner {
 public:
  // Starts at the text's start, past a byte-order mark. `text` must outlive the scanner.
  explicit JsonScanner(TextWindow& text);
  const TextPos& pos() const { return pos_; }
  bool atEnd() { return !text_.has(pos_.offset); }
  char peek() { return atEnd() ? '\0' : text_.at(pos_.offset); }
  // The text from `start` to here; valid until the scanner moves on.
  std::string_view from(const TextPos& start) const {
    return text_.view(start.offset, pos_.offset);
  }

  // Skips white space; false at a CR without LF (parseYamlDocument refuses those).
  bool skipSpace();
  // Takes `c` when it is next.
  bool take(char c);
  // One value of any kind inside `depth` lists and objects.
  bool value(int depth);
  // A key and its ':', on one line and short, as yaml-cpp needs; `raw` (may be null) receives
  // the quoted key.
  bool key(std::string* raw);

 private:
  // REQUIRES: the byte at the position was loaded (peek() or atEnd() said so).
  void advance();
  bool string();
  // A scalar ends at white space, ',', ']', '}' or the end: "truex" and "1x" are not JSON.
  bool endOfScalar();
  bool word(std::string_view w);
  bool digits();
  bool number();
  bool container(char close, int depth);

  TextWindow& text_;
  TextPos pos_;
};

}  // namespace cspwatch::tenants
