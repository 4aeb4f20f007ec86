// SPDX-License-Identifier: Apache-2.0
// The resource a sign-in scope asks for, as the simulated Entra ID reads it for the authorize
// endpoint, the token grants and the access tokens it issues (docs/simulator.md#sign-in).
#pragma once

#include <string>

namespace cspwatch::sim {

// The audience a scope names: "graph" or "pc" for its first resource scope
// ("<resource>/.default" or "<resource>/user_impersonation") on Microsoft's hosts in any cloud
// or this simulator's /graph and /pc; "" for anything else (the caller answers invalid_scope).
// OpenID scopes (openid, profile, offline_access, email) are skipped.
std::string audienceOf(const std::string& scope);

}  // namespace cspwatch::sim
