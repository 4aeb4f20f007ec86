// SPDX-License-Identifier: Apache-2.0
// The two encodings the sign-in flows write: form values (application/x-www-form-urlencoded,
// and query strings) and base64url without padding (PKCE challenges, JWT parts). One copy for
// the token provider, the device code and the authorization code flows.
#pragma once

#include <string>

namespace cspwatch::msapi {

// `s` percent-encoded for a form or query value: everything but unreserved characters.
std::string formEncode(const std::string& s);
// `bytes` in base64url, without '=' padding (RFC 4648 section 5).
std::string base64Url(const std::string& bytes);

}  // namespace cspwatch::msapi
