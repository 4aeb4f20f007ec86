// SPDX-License-Identifier: Apache-2.0
// `cspwatch auth login` for a confidential app (the Secure Application Model, `public_client:
// false`): the OAuth 2.0 authorization code flow with PKCE (S256) and a loopback redirect, as
// Entra documents it for a web app (v2-oauth2-auth-code-flow.md).
//
// The partner user opens the printed authorize URL in a browser and signs in (with MFA). Entra
// then sends the browser to the redirect URI, http://localhost:<port>/, with `code` and `state`
// (or `error`). The answer arrives either way:
//  - at the listener on 127.0.0.1:<port>, when the browser runs on this machine; the browser is
//    answered with a short page that holds no token and no code;
//  - pasted on `paste_fd` (stdin), when it does not (cspwatch on a server reached over SSH: the
//    browser shows an error page for localhost, and the user copies the address bar).
// Entra ignores the port of a localhost redirect URI (reply-url.md), so the app registers
// `http://localhost` once, as a Web redirect URI, and any port works.
//
// `state` must come back unchanged; an answer with another state is refused and the wait goes
// on (it belongs to another attempt). The code is redeemed once, with the client's secret or
// assertion, the PKCE verifier and the same redirect URI (TokenProvider::
// redeemAuthorizationCode), which stores the refresh token atomically with mode 0600.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "msapi/cancellation.h"
#include "msapi/token_provider.h"

namespace cspwatch::msapi {

struct AuthCodeLoginOptions {
  int port = 0;                    // the listener's port on 127.0.0.1; 0: any free one
  Seconds timeout = Seconds(600);  // by the clock given to authCodeLogin
  int paste_fd = -1;               // where a pasted redirected URL may arrive (stdin); -1: none
  std::string prompt = "select_account";
};

// PKCE (RFC 7636): a verifier of 43 characters from 32 random bytes, and its S256 challenge.
struct Pkce {
  std::string verifier;
  std::string challenge;
};
Pkce makePkce();
std::string pkceChallenge(const std::string& verifier);  // BASE64URL(SHA256(verifier))
std::string randomState();

// The authorize URL: <login_url>/<partner tenant>/oauth2/v2.0/authorize?client_id&
// response_type=code&redirect_uri&response_mode=query&scope=<partner_center_url>/
// user_impersonation offline_access&state&code_challenge&code_challenge_method=S256&prompt.
std::string authorizeUrl(const Credentials& credentials, const std::string& redirect_uri,
                         const std::string& state, const std::string& code_challenge,
                         const std::string& prompt = "select_account");

// What the redirect carried: from a whole URL, a path with a query, or a bare query.
struct RedirectAnswer {
  std::string code, state, error, error_description;
};
std::optional<RedirectAnswer> parseRedirect(const std::string& text);

// Runs the sign-in. `tell` gets each line for the user (never a token, code or verifier).
// Ends with the refresh token stored, or an error: the browser's `error` (access_denied, ...),
// the redemption refused, the timeout (kUnavailable) or `cancel` (kAborted).
Status authCodeLogin(const AuthCodeLoginOptions& options, TokenProvider& tokens, const Clock& clock,
                     Cancellation& cancel, const std::function<void(const std::string&)>& tell);

}  // namespace cspwatch::msapi
