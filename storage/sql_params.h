// SPDX-License-Identifier: Apache-2.0
// Internal to storage/: the shared SQL's parameters (`?1`, `?2`, or `?` for the next) written as
// PostgreSQL's `$1`, `$2`. Quoted text ('...'), quoted names ("...") and comments (`--` to the
// end of the line, `/* */`) are copied as they are.
#pragma once

#include <string>

namespace cspwatch::storage::detail {

struct ParamSql {
  std::string text;
  int count = 0;  // the highest parameter number used
};

ParamSql toDollarParams(const std::string& sql);

}  // namespace cspwatch::storage::detail
