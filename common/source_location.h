// SPDX-License-Identifier: Apache-2.0
// A position in an operator's file. Lines and columns are 1-based everywhere they are stored;
// 0 means "not known". yaml-cpp marks are 0-based: convert them with locationFromMark()
// (common/yaml_util.h), the only place that does so, to avoid Falco's "file:0:2" mistake.
#pragma once

#include <string>

namespace cspwatch {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown

  bool known() const { return line > 0; }
  // "file:line:column", "file:line" or "file", whatever is known.
  std::string str() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line);
    if (line > 0 && column > 0) out += ":" + std::to_string(column);
    return out;
  }
};

}  // namespace cspwatch
