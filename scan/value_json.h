// SPDX-License-Identifier: Apache-2.0
// A rules Value as JSON, for a finding's evidence: objects with their field names, timestamps
// as RFC 3339 strings, durations in the short form, errors as {"unknown": "why"}.
#pragma once

#include <string>

#include "common/value.h"

namespace cspwatch::scan {

std::string valueToJson(const Value& value);

}  // namespace cspwatch::scan
