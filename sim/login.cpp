// SPDX-License-Identifier: Apache-2.0
#include "sim/login.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/JSON/Object.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>

#include "common/guid.h"
#include "common/net_util.h"
#include "common/text.h"
#include "msapi/cloud.h"
#include "tenants/tenant_json.h"

namespace cspwatch::sim {

namespace {

const char* const kDeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

// Entra's way of writing a time in error bodies: "2016-01-09 02:02:12Z".
std::string entraTime(Timestamp t) { return replaceAll(formatTimestamp(t), "T", " "); }
// And in refresh-token error texts: "2020-06-06T22:06:24.7318096Z".
std::string issueTime(Timestamp t) { return replaceAll(formatTimestamp(t), "Z", ".0000000Z"); }

std::string base64Url(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc << bytes;
  enc.close();
  return out.str();
}

std::string queryEncode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[] ", out);
  return out;
}

// The audience a scope names: its first resource scope ("<resource>/.default" or
// "<resource>/user_impersonation"), Microsoft's hosts in any cloud or this simulator's /graph
// and /pc. "" for anything else.
std::string audienceOf(const std::string& scope) {
  for (const auto& item : split(scope, ' ')) {
    if (item.empty() || item == "openid" || item == "profile" || item == "offline_access" ||
        item == "email")
      continue;
    const size_t slash = item.rfind('/');
    if (slash == std::string::npos) return "";
    std::string resource = item.substr(0, slash);
    while (!resource.empty() && resource.back() == '/') resource.pop_back();
    try {
      Poco::URI uri(resource);
      if (isLoopbackHost(uri.getHost())) {
        if (uri.getPath() == "/graph") return "graph";
        if (uri.getPath() == "/pc") return "pc";
        return "";
      }
    } catch (const Poco::Exception&) {
      return "";
    }
    for (const auto& cloud : msapi::cloudNames()) {
      const auto endpoints = msapi::cloudEndpoints(cloud);
      if (resource == endpoints->graph) return "graph";
      if (resource == endpoints->partner_center) return "pc";
    }
    return "";
  }
  return "";
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

std::string htmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
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

std::optional<RefreshFailure> refreshFailureNamed(const std::string& name) {
  if (name == "none") return RefreshFailure::kNone;
  if (name == "700082") return RefreshFailure::kInactive;
  if (name == "70043") return RefreshFailure::kSignInFrequency;
  if (name == "50173") return RefreshFailure::kRevoked;
  if (name == "interaction_required" || name == "50076")
    return RefreshFailure::kInteractionRequired;
  return std::nullopt;
}

std::map<std::string, std::string> parseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  for (const auto& pair : split(body, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = pair.substr(0, eq),
                value = eq == std::string::npos ? "" : pair.substr(eq + 1);
    for (auto* s : {&key, &value}) {
      for (char& c : *s)
        if (c == '+') c = ' ';
      std::string decoded;
      Poco::URI::decode(*s, decoded);
      *s = decoded;
    }
    out[key] = value;
  }
  return out;
}

LoginService::LoginService(LoginOptions options, uint64_t seed)
    : options_(std::move(options)), rng_(seed ^ 0x5eed), id_rng_(seed ^ 0x1d5) {}

std::string LoginService::randomToken(const char* prefix) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s = prefix;
  for (int i = 0; i < 40; ++i) s += alphabet[rng_() % 62];
  return s;
}

std::string LoginService::routeKey(const Request& r) {
  if (r.path == "/_sim/refresh-tokens") return "POST /_sim/refresh-tokens";
  if (endsWith(r.path, "/oauth2/v2.0/authorize"))
    return "GET /login/{tenant}/oauth2/v2.0/authorize";
  if (endsWith(r.path, "/oauth2/v2.0/devicecode"))
    return "POST /login/{tenant}/oauth2/v2.0/devicecode";
  return "POST /login/{tenant}/oauth2/v2.0/token";
}

Response LoginService::handle(const Request& r, Timestamp now) {
  if (r.path == "/_sim/refresh-tokens") {
    if (r.method != "POST") return Response::json(405, "{\"error\":\"POST only\"}");
    auto failure = refreshFailureNamed(r.param("fail"));
    if (!failure)
      return Response::json(
          400, "{\"error\":\"fail must be none, 700082, 70043, 50173 or interaction_required\"}");
    setRefreshFailure(*failure);
    return Response::json(200, "{\"fail\":\"" + r.param("fail") + "\"}");
  }
  // /login/{tenant}/oauth2/v2.0/{token,devicecode,authorize}
  const auto parts = split(std::string_view(r.path).substr(7), '/');
  if (parts.size() == 4 && parts[1] == "oauth2" && parts[2] == "v2.0") {
    if (parts[3] == "token") return token(parts[0], r, now);
    if (parts[3] == "devicecode") return deviceCode(parts[0], r, now);
    if (parts[3] == "authorize") return authorize(parts[0], r, now);
  }
  return Response::json(404, "{\"error\":\"not_found\"}");
}

void LoginService::setRefreshFailure(RefreshFailure failure) {
  std::lock_guard<std::mutex> lock(mutex_);
  refresh_failure_ = failure;
}

std::string LoginService::describe(int code, const std::string& text, Timestamp now,
                                   std::string* trace_out, std::string* correlation_out) {
  // reference-error-codes.md: the first line is "AADSTSnnnn: text", then the trace id,
  // correlation id and time, separated by CR LF.
  std::string ids[2];
  {
    std::lock_guard<std::mutex> lock(id_mutex_);
    char buf[40];
    for (std::string& id : ids) {
      const uint64_t a = id_rng_(), b = id_rng_();
      std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
                    static_cast<unsigned long long>(a >> 32),
                    static_cast<unsigned long long>((a >> 16) & 0xffff),
                    static_cast<unsigned long long>(a & 0xfff),
                    static_cast<unsigned long long>(b >> 52),
                    static_cast<unsigned long long>(b & 0xffffffffffffULL));
      id = buf;
    }
  }
  if (trace_out != nullptr) *trace_out = ids[0];
  if (correlation_out != nullptr) *correlation_out = ids[1];
  return "AADSTS" + std::to_string(code) + ": " + text + "\r\nTrace ID: " + ids[0] +
         "\r\nCorrelation ID: " + ids[1] + "\r\nTimestamp: " + entraTime(now);
}

Response LoginService::error(int status, const std::string& error, int code,
                             const std::string& description, Timestamp now) {
  std::string trace, correlation;
  const std::string text = describe(code, description, now, &trace, &correlation);
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("error", error);
  o->set("error_description", text);
  Poco::JSON::Array::Ptr codes = new Poco::JSON::Array();
  codes->add(code);
  o->set("error_codes", codes);
  o->set("timestamp", entraTime(now));
  o->set("trace_id", trace);
  o->set("correlation_id", correlation);
  o->set("error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(code));
  return Response::json(status, tenants::jsonText(o, false));
}

std::string LoginService::issueRefreshToken(Timestamp now, bool public_client) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string t = randomToken("rt.");
  refresh_[t] = Refresh{public_client, now, std::nullopt};
  return t;
}

std::optional<Response> LoginService::authenticateClient(const std::string& tenant,
                                                         const Request& request,
                                                         std::map<std::string, std::string>& form,
                                                         Timestamp now) {
  if (form["client_assertion"].empty()) {
    if (form["client_secret"] != options_.client_secret)
      return error(401, "invalid_client", 7000215,
                   "Invalid client secret provided. Ensure the secret being sent in the request is "
                   "the client secret value, not the client secret ID, for a secret added to app "
                   "'" +
                       options_.client_id + "'.",
                   now);
    return std::nullopt;
  }
  if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    return error(400, "invalid_request", 90058,
                 "The request body must contain client_assertion_type.", now);
  if (options_.certificate_pem.empty())
    return error(401, "invalid_client", 700027,
                 "Client assertion contains an invalid signature: no certificate is registered for "
                 "the application.",
                 now);
  try {
    std::istringstream pem(options_.certificate_pem);
    Poco::Crypto::X509Certificate cert(pem);
    Poco::JWT::Signer signer(new Poco::Crypto::RSAKey(cert));
    signer.addAlgorithm(Poco::JWT::Signer::ALGO_RS256);
    Poco::JWT::Token jwt = signer.verify(form["client_assertion"]);
    // The audience is the token endpoint: this simulator's, or Microsoft's spelling of it.
    const auto aud = jwt.getAudience();
    auto has = [&aud](const std::string& a) {
      return std::find(aud.begin(), aud.end(), a) != aud.end();
    };
    const bool aud_ok = has(request.base_url + "/login/" + tenant + "/oauth2/v2.0/token") ||
                        has("https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token");
    if (jwt.getIssuer() != options_.client_id || jwt.getSubject() != options_.client_id || !aud_ok)
      return error(401, "invalid_client", 700024,
                   "Client assertion is not within its valid audience, issuer or subject.", now);
    if (jwt.getExpiration().epochTime() <= toUnixSeconds(now))
      return error(401, "invalid_client", 700024,
                   "Client assertion is not within its valid time range.", now);
    if (jwt.getId().empty() || assertion_ids_.count(jwt.getId()))
      return error(401, "invalid_client", 700021, "Client assertion has no jti or was replayed.",
                   now);
    assertion_ids_[jwt.getId()] = now;
  } catch (const Poco::Exception& e) {
    return error(401, "invalid_client", 700027,
                 "Client assertion failed signature validation. (" + e.displayText() + ")", now);
  }
  return std::nullopt;
}

Response LoginService::deviceCode(const std::string& tenant, const Request& request,
                                  Timestamp now) {
  auto form = parseForm(request.body);
  if (form["client_id"] != options_.client_id)
    return error(400, "unauthorized_client", 700016,
                 "Application with identifier '" + form["client_id"] +
                     "' was not found in the directory '" + tenant + "'.",
                 now);
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string device = randomToken("dc.");
  std::string user_code;
  for (int i = 0; i < 8; ++i) user_code += static_cast<char>('A' + rng_() % 26);
  user_code.insert(4, "-");
  devices_[device] =
      Device{user_code, toLowerAscii(tenant), form["scope"], now + Seconds(900), 0, false};
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("user_code", user_code);
  o->set("device_code", device);
  o->set("verification_uri", "https://microsoft.com/devicelogin");
  o->set("expires_in", 900);
  o->set("interval", 5);
  o->set(
      "message",
      "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter "
      "the code " +
          user_code + " to authenticate.");
  return Response::json(200, tenants::jsonText(o, false));
}

bool LoginService::approveDevice(const std::string& user_code) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [code, d] : devices_)
    if (d.user_code == user_code) {
      d.approved = true;
      return true;
    }
  return false;
}

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

Response LoginService::issue(const std::string& tenant, const Request&, const std::string& scope,
                             bool app_only, std::optional<bool> refresh_public, Timestamp now) {
  const std::string access = randomToken("at.");
  access_[access] =
      AccessToken{toLowerAscii(tenant), audienceOf(scope), app_only, now + options_.token_lifetime};
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("token_type", "Bearer");
  o->set("scope", scope);
  o->set("expires_in", static_cast<int>(options_.token_lifetime.count()));
  o->set("ext_expires_in", static_cast<int>(options_.token_lifetime.count()));
  o->set("access_token", access);
  if (refresh_public) {
    const std::string refresh = randomToken("rt.");
    refresh_[refresh] = Refresh{*refresh_public, now, std::nullopt};
    o->set("refresh_token", refresh);
  }
  return Response::json(200, tenants::jsonText(o, false));
}

Response LoginService::deviceToken(const std::string& tenant, const Request& request,
                                   std::map<std::string, std::string>& form, bool presented,
                                   Timestamp now) {
  // The device-code flow is a public client flow: refused at the poll for an app that does not
  // allow public client flows (MicrosoftDocs/azure-docs#31986), and a public client presents no
  // credential (AADSTS700025).
  if (!options_.allow_public_client_flows)
    return error(401, "invalid_client", 7000218,
                 "The request body must contain the following parameter: 'client_assertion' or "
                 "'client_secret'.",
                 now);
  if (presented)
    return error(401, "invalid_client", 700025,
                 "Client is public so neither 'client_assertion' nor 'client_secret' should be "
                 "presented.",
                 now);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(form["device_code"]);
  if (it == devices_.end())
    return error(400, "invalid_grant", 70000,
                 "The provided value for the 'device_code' is not valid.", now);
  Device& d = it->second;
  if (now >= d.expires)
    return error(400, "expired_token", 70020, "The device code has expired.", now);
  if (++d.polls >= 2 && options_.auto_approve_device) d.approved = true;
  if (!d.approved)
    return error(400, "authorization_pending", 70016,
                 "OAuth 2.0 device flow error. Authorization is pending. Continue polling.", now);
  const std::string scope = d.scope;
  devices_.erase(it);
  return issue(
      tenant, request, scope, false,
      scope.find("offline_access") != std::string::npos ? std::optional<bool>(true) : std::nullopt,
      now);
}

Response LoginService::codeToken(const std::string& tenant, const Request& request,
                                 std::map<std::string, std::string>& form, Timestamp now) {
  // v2-oauth2-auth-code-flow.md; the error codes from reference-error-codes.md.
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = codes_.find(form["code"]);
  if (it == codes_.end())
    return error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.",
                 now);
  Code& c = it->second;
  if (c.redeemed)
    return error(400, "invalid_grant", 54005,
                 "OAuth2 Authorization code was already redeemed, please retry with a new valid "
                 "code or use an existing refresh token.",
                 now);
  c.redeemed = true;  // one redemption, whatever its outcome
  if (now >= c.issued + options_.code_lifetime)
    return error(400, "invalid_grant", 70008,
                 "The provided authorization code or refresh token has expired due to "
                 "inactivity. Send a new interactive authorization request for this user and "
                 "resource.",
                 now);
  if (toLowerAscii(tenant) != c.tenant)
    return error(400, "invalid_grant", 700005,
                 "Provided Authorization Code is intended to use against other tenant, thus "
                 "rejected.",
                 now);
  if (form["redirect_uri"] != c.redirect_uri)
    return error(400, "invalid_grant", 500112,
                 "The reply address '" + form["redirect_uri"] +
                     "' does not match the reply address '" + c.redirect_uri +
                     "' provided when requesting Authorization code.",
                 now);
  if (!c.challenge.empty()) {
    const std::string verifier = form["code_verifier"];
    if (verifier.empty())
      return error(400, "invalid_request", 900144,
                   "The request body must contain the following parameter: 'code_verifier'.", now);
    std::string computed = verifier;
    if (c.challenge_method == "S256") {
      Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
      sha256.update(verifier);
      const auto& digest = sha256.digest();
      computed = base64Url(std::string(digest.begin(), digest.end()));
    }
    if (computed != c.challenge)
      return error(400, "invalid_grant", 501481,
                   "The Code_Verifier does not match the code_challenge supplied in the "
                   "authorization request.",
                   now);
  }
  // A refresh token "only provided if offline_access scope was requested"; it belongs to a
  // confidential client (the code was redeemed with its credential).
  const std::string scope = form["scope"].empty() ? c.scope : form["scope"];
  return issue(tenant, request, scope, false,
               c.scope.find("offline_access") != std::string::npos ? std::optional<bool>(false)
                                                                   : std::nullopt,
               now);
}

Response LoginService::refreshFailure(RefreshFailure failure, const std::string& scope,
                                      Timestamp issued, Timestamp now) {
  // The texts of reference-error-codes.md with their placeholders filled as the wire texts
  // quoted in docs/simulator.md fill them.
  switch (failure) {
    case RefreshFailure::kInactive:
      return error(400, "invalid_grant", 700082,
                   "The refresh token has expired due to inactivity. The token was issued on " +
                       issueTime(issued) + " and was inactive for 90.00:00:00.",
                   now);
    case RefreshFailure::kSignInFrequency:
      return error(400, "invalid_grant", 70043,
                   "The refresh token has expired or is invalid due to sign-in frequency checks "
                   "by conditional access. The token was issued on " +
                       issueTime(issued) +
                       " and the maximum allowed lifetime for this request is 1.00:00:00.",
                   now);
    case RefreshFailure::kRevoked:
      return error(400, "invalid_grant", 50173,
                   "The provided grant has expired due to it being revoked, a fresh auth token is "
                   "needed. The user might have changed or reset their password. The grant was "
                   "issued on '" +
                       issueTime(issued) +
                       "' and the TokensValidFrom date (before which tokens are not valid) for "
                       "this user is '" +
                       issueTime(now) + "'.",
                   now);
    case RefreshFailure::kInteractionRequired: {
      std::string resource = split(scope, ' ').empty() ? scope : split(scope, ' ')[0];
      resource = resource.substr(0, resource.rfind('/'));
      return error(400, "interaction_required", 50076,
                   "Due to a configuration change made by your administrator, or because you "
                   "moved to a new location, you must use multi-factor authentication to access "
                   "'" +
                       resource + "'.",
                   now);
    }
    case RefreshFailure::kNone:
      break;
  }
  return error(500, "server_error", 50000, "There's an issue with the sign-in service.", now);
}

Response LoginService::refreshToken(const std::string& tenant, const Request& request,
                                    std::map<std::string, std::string>& form, bool presented,
                                    Timestamp now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = refresh_.find(form["refresh_token"]);
  if (refresh_failure_ != RefreshFailure::kNone)
    return refreshFailure(refresh_failure_, form["scope"],
                          it != refresh_.end() ? it->second.issued : now - Seconds(90 * 86400),
                          now);
  if (it == refresh_.end() ||
      (it->second.used_at && now - *it->second.used_at > options_.refresh_grace))
    return error(400, "invalid_grant", 70008,
                 "The provided authorization code or refresh token has expired due to inactivity. "
                 "Send a new interactive authorization request for this user and resource.",
                 now);
  // A refresh token is bound to the kind of client it was issued to.
  const bool public_token = it->second.public_client;
  if (public_token && presented)
    return error(401, "invalid_client", 700025,
                 "Client is public so neither 'client_assertion' nor 'client_secret' should be "
                 "presented.",
                 now);
  if (public_token ? !options_.allow_public_client_flows : !presented)
    return error(401, "invalid_client", 7000218,
                 "The request body must contain the following parameter: 'client_assertion' or "
                 "'client_secret'.",
                 now);
  if (!public_token)
    if (auto failed = authenticateClient(tenant, request, form, now)) return *failed;
  if (audienceOf(form["scope"]).empty())
    return error(400, "invalid_scope", 70011,
                 "The provided value for the input parameter 'scope' is not valid. The scope " +
                     form["scope"] + " is not valid.",
                 now);
  if (!it->second.used_at) it->second.used_at = now;
  return issue(tenant, request, form["scope"], false, public_token, now);
}

Response LoginService::token(const std::string& tenant, const Request& request, Timestamp now) {
  auto form = parseForm(request.body);
  if (request.method != "POST")
    return error(405, "invalid_request", 900561, "The endpoint only accepts POST requests.", now);
  if (!normalizeGuid(tenant) && !endsWith(tenant, ".onmicrosoft.com"))
    return error(400, "invalid_request", 900023,
                 "Specified tenant identifier '" + tenant +
                     "' is neither a valid DNS name, nor a valid external domain.",
                 now);
  if (form["client_id"] != options_.client_id)
    return error(400, "unauthorized_client", 700016,
                 "Application with identifier '" + form["client_id"] +
                     "' was not found in the directory '" + tenant + "'.",
                 now);
  const std::string grant = form["grant_type"];
  const bool presented = !form["client_secret"].empty() || !form["client_assertion"].empty();
  if (grant == kDeviceGrant) return deviceToken(tenant, request, form, presented, now);
  if (grant == "refresh_token") return refreshToken(tenant, request, form, presented, now);
  if (grant != "client_credentials" && grant != "authorization_code")
    return error(400, "unsupported_grant_type", 70003,
                 "The app requested an unsupported grant type '" + grant + "'.", now);
  // Client credentials and a code sent to the registered Web redirect URI: a confidential
  // client, whose credential is required (a public client flow would be a device code).
  if (!presented)
    return error(401, "invalid_client", 7000218,
                 "The request body must contain the following parameter: 'client_assertion' or "
                 "'client_secret'.",
                 now);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto failed = authenticateClient(tenant, request, form, now)) return *failed;
  }
  if (grant == "authorization_code") return codeToken(tenant, request, form, now);
  const std::string scope = form["scope"];
  if (audienceOf(scope).empty())
    return error(400, "invalid_scope", 70011,
                 "The provided value for the input parameter 'scope' is not valid. The scope " +
                     scope + " is not valid.",
                 now);
  std::lock_guard<std::mutex> lock(mutex_);
  return issue(tenant, request, scope, true, std::nullopt, now);
}

LoginService::Check LoginService::validate(const Request& request, Timestamp now,
                                           AccessToken& token) {
  std::string auth = request.header("authorization");
  if (!startsWith(auth, "Bearer ")) return Check::kMissing;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = access_.find(auth.substr(7));
  if (it == access_.end()) return Check::kInvalid;
  if (now >= it->second.expires) return Check::kExpired;
  token = it->second;
  return Check::kOk;
}

}  // namespace cspwatch::sim
