// SPDX-License-Identifier: Apache-2.0
// Diagnostics as JSON for editors and CI (`--format json`):
//   {"schema_version": 1, "errors": N, "warnings": N, "diagnostics": [
//     {"severity", "code", "file", "line", "column", "context", "message", "hint"}, ...]}
#pragma once

#include <string>

#include "common/diagnostic.h"

namespace cspwatch::cli {

std::string diagnosticsToJson(const Diagnostics& diags);

}  // namespace cspwatch::cli
