// SPDX-License-Identifier: Apache-2.0
// GET /login/{tenant}/oauth2/v2.0/authorize: the consent step of the authorization code flow.
#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "common/guid.h"
#include "common/text.h"
#include "sim/login.h"
#include "sim/login_scope.h"

namespace cspwatch::sim {

namespace {

std::string queryEncode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[] ", out);
  return out;
}

// The app's registered redirect URI is http://localhost (Web platform); Entra ignores the port
// of a loopback redirect URI, and 127.0.0.1 is registered the same way (reply-url.md). No path:
// "http://localhost" and "http://localhost:PORT/" both match, "/other" does not.
bool registeredRedirect(const std::string& uri_text) {
  try {
    Poco::URI uri(uri_text);
    return uri.getScheme() == "http" &&
           (uri.getHost() == "localhost" || uri.getHost() == "127.0.0.1") &&
           (uri.getPath().empty() || uri.getPath() == "/") && uri.getRawQuery().empty() &&
           uri.getFragment().empty() && uri.getUserInfo().empty();
  } catch (const Poco::Exception&) {
    return false;
  }
}

// Entra shows an authorize error it cannot send back to a trusted redirect URI on its own page.
Response errorPage(const std::string& text) {
  Response r;
  r.status = 400;
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>"
      "<h1>Sorry, but we're having trouble signing you in.</h1><p>" +
      htmlEscape(text) + "</p></body></html>\n";
  return r;
}

Response redirectTo(const std::string& redirect_uri,
                    const std::vector<std::pair<std::string, std::string>>& params) {
  std::string location = redirect_uri;
  char sep = location.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : params) {
    if (v.empty() && k == "state") continue;
    location += sep + k + "=" + queryEncode(v);
    sep = '&';
  }
  Response r;
  r.status = 302;
  r.content_type = "text/html; charset=utf-8";
  r.headers.push_back({"Location", location});
  r.body = "<html><head><title>Object moved</title></head><body><h2>Object moved to <a href=\"" +
           htmlEscape(location) + "\">here</a>.</h2></body></html>\n";
  return r;
}

}  // namespace

Response LoginService::authorize(const std::string& tenant, const Request& r, Timestamp now) {
  // v2-oauth2-auth-code-flow.md. Problems with the app or its redirect URI are shown on a page
  // (the redirect URI cannot be trusted); the others go back to the redirect URI as error= and
  // error_description=, with the state.
  if (r.method != "GET")
    return errorPage("AADSTS900561: The endpoint only accepts GET, POST requests. Received a " +
                     r.method + " request.");
  if (!normalizeGuid(tenant) && !endsWith(tenant, ".onmicrosoft.com"))
    return errorPage("AADSTS900023: Specified tenant identifier '" + tenant +
                     "' is neither a valid DNS name, nor a valid external domain.");
  const std::string client_id = r.param("client_id");
  if (client_id != options_.client_id)
    return errorPage("AADSTS700016: Application with identifier '" + client_id +
                     "' was not found in the directory '" + tenant +
                     "'. This can happen if the application has not been installed by the "
                     "administrator of the tenant or consented to by any user in the tenant. You "
                     "may have sent your authentication request to the wrong tenant.");
  const std::string redirect_uri = r.param("redirect_uri");
  if (redirect_uri.empty()) return errorPage("AADSTS900971: No reply address provided.");
  if (!registeredRedirect(redirect_uri))
    return errorPage("AADSTS50011: The redirect URI '" + redirect_uri +
                     "' specified in the request does not match the redirect URIs configured for "
                     "the application '" +
                     client_id +
                     "'. Make sure the redirect URI sent in the request matches one added to your "
                     "application in the Azure portal. Navigate to "
                     "https://aka.ms/redirectUriMismatchError to learn more about how to fix "
                     "this.");
  const std::string state = r.param("state");
  auto fail = [&](const std::string& error, int code, const std::string& text) {
    return redirectTo(
        redirect_uri,
        {{"error", error}, {"error_description", describe(code, text, now)}, {"state", state}});
  };
  if (r.param("response_type") != "code")
    return fail(
        "unsupported_response_type", 70005,
        "response_type '" + r.param("response_type") + "' is not enabled for the application.");
  const std::string mode = r.param("response_mode");
  if (!mode.empty() && mode != "query")
    // Entra also answers form_post and fragment; the simulator only query (cspwatch's).
    return fail("invalid_request", 70007,
                "The application returned an unsupported value of 'response_mode': '" + mode +
                    "'. cspwatch-sim answers response_mode=query only.");
  const std::string scope = r.param("scope");
  if (scope.empty())
    return fail("invalid_request", 900144,
                "The request body must contain the following parameter: 'scope'.");
  if (audienceOf(scope).empty())
    return fail("invalid_scope", 70011,
                "The provided value for the input parameter 'scope' is not valid. The scope " +
                    scope + " is not valid.");
  const std::string challenge = r.param("code_challenge");
  std::string method = r.param("code_challenge_method");
  if (!challenge.empty()) {
    if (method.empty()) method = "plain";  // "assumed to be plaintext" when omitted
    if (method != "S256" && method != "plain")
      return fail("invalid_request", 90100,
                  "The parameter 'code_challenge_method' is empty or not valid.");
    if (challenge.size() < 43 || challenge.size() > 128)
      return fail("invalid_request", 501491, "Invalid size of Code_Challenge parameter.");
  }
  if (options_.deny_consent)
    return fail("access_denied", 65004, "User declined to consent to access the app.");
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string code = randomToken("ac.");
  codes_[code] = Code{toLowerAscii(tenant), redirect_uri, scope, challenge, method, now, false};
  return redirectTo(redirect_uri, {{"code", code}, {"state", state}});
}

}  // namespace cspwatch::sim
