// SPDX-License-Identifier: Apache-2.0
// Entra ID tenant ids and relationship ids are GUIDs; we store them lower-case so that the same
// tenant from two sources ("52EAAD04-..." from a CSV, "52eaad04-..." from Graph) is one tenant.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cspwatch {

// True for the 8-4-4-4-12 hex form, either case, no braces.
bool isGuid(std::string_view s);
// The lower-case form of a GUID (braces removed), or nullopt if `s` is not one.
std::optional<std::string> normalizeGuid(std::string_view s);

}  // namespace cspwatch
