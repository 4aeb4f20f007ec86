// SPDX-License-Identifier: Apache-2.0
#include "msapi/token_provider.h"

#include <future>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/SHA1Engine.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include "common/file_util.h"
#include "common/logging.h"
#include "common/redact.h"
#include "common/text.h"
#include "msapi/cloud.h"
#include "msapi/encoding.h"

namespace cspwatch::msapi {

namespace {

// The AADSTS code of a refusal: `error_codes` first, else the number in the description.
int aadstsCode(const Poco::JSON::Object::Ptr& body, const std::string& description) {
  try {
    if (auto codes = body->getArray("error_codes"); codes && codes->size() > 0)
      return codes->getElement<int>(0);
  } catch (const Poco::Exception&) {
  }
  const size_t at = description.find("AADSTS");
  if (at == std::string::npos) return 0;
  int code = 0;
  for (size_t i = at + 6; i < description.size() && i < at + 14; ++i) {
    if (description[i] < '0' || description[i] > '9') break;
    code = code * 10 + (description[i] - '0');
  }
  return code;
}

}  // namespace

std::string tokenScope(const Credentials& c, Audience audience, bool user) {
  if (audience == Audience::kGraph) return defaultScope(c.graph_url);
  return user ? userImpersonationScope(c.partner_center_url) + " offline_access"
              : defaultScope(c.partner_center_url);
}

std::string entraErrorLine(std::string description) {
  for (const char* end : {"\r", "\n", " Trace ID:"}) {
    const size_t at = description.find(end);
    if (at != std::string::npos) description.erase(at);
  }
  return outsideText(description);
}

TokenProvider::TokenProvider(Credentials credentials, const HttpClient& http, const Clock& clock,
                             Cancellation* cancel)
    : credentials_(std::move(credentials)),
      http_(http),
      clock_(clock),
      cancel_(cancel),
      refresh_tokens_(credentials_.refresh_token_file) {
  registerSecret(credentials_.client_secret);
}

std::string TokenProvider::tokenUrl(const std::string& tenant) const {
  return credentials_.login_url + "/" + tenant + "/oauth2/v2.0/token";
}

Result<std::string> TokenProvider::clientProof(const std::string& tenant) {
  if (credentials_.key_file.empty())
    return "client_secret=" + formEncode(credentials_.client_secret);
  try {
    // An RS256 client assertion; x5t names the certificate (SHA-1 of its DER form).
    Poco::Crypto::X509Certificate cert(credentials_.certificate_file);
    std::ostringstream der;
    cert.save(der);  // PEM; decode the base64 body for the thumbprint
    std::string pem = der.str(), b64;
    for (const auto& line : split(pem, '\n'))
      if (!line.empty() && line[0] != '-') b64 += std::string(trim(line));
    std::istringstream b64in(b64);
    std::string raw;
    {
      Poco::Base64Decoder dec(b64in);
      raw.assign(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
    }
    Poco::SHA1Engine sha1;
    sha1.update(raw);
    const auto digest = sha1.digest();
    Poco::JWT::Token jwt;
    jwt.setType("JWT");
    jwt.payload();  // ensure the payload exists
    jwt.header().set("x5t", base64Url(std::string(digest.begin(), digest.end())));
    jwt.setIssuer(credentials_.client_id);
    jwt.setSubject(credentials_.client_id);
    jwt.setAudience(tokenUrl(tenant));
    jwt.setId(Poco::UUIDGenerator::defaultGenerator().createRandom().toString());
    const int64_t now = toUnixSeconds(clock_.now());
    jwt.setIssuedAt(Poco::Timestamp::fromEpochTime(now));
    jwt.setNotBefore(Poco::Timestamp::fromEpochTime(now));
    jwt.setExpiration(Poco::Timestamp::fromEpochTime(now + 600));
    // The key is read here, not by RSAKey's file constructor: that one leaks an OpenSSL BIO
    // when the file cannot be opened (Poco 1.11; found by LeakSanitizer).
    auto key_pem = readWholeFile(credentials_.key_file);
    if (!key_pem)
      return Status::invalidArgument("cannot read the private key " + credentials_.key_file + ": " +
                                     key_pem.status().message());
    std::istringstream key_in(*key_pem);
    Poco::JWT::Signer signer(
        new Poco::Crypto::RSAKey(static_cast<std::istream*>(nullptr), &key_in));
    const std::string assertion = signer.sign(jwt, Poco::JWT::Signer::ALGO_RS256);
    registerRotatingSecret(assertion);  // one per request
    return "client_assertion_type=" +
           formEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
           "&client_assertion=" + assertion;
  } catch (const Poco::Exception& e) {
    // The message names the files, never their contents.
    return Status::invalidArgument("cannot sign a client assertion with " + credentials_.key_file +
                                   " and " + credentials_.certificate_file + ": " +
                                   outsideText(e.displayText()));
  }
}

Result<Poco::JSON::Object::Ptr> TokenProvider::post(const std::string& tenant, std::string form,
                                                    Grant grant) {
  // A confidential client proves itself on every grant; a public client never does (Entra
  // refuses a public client that presents a secret or assertion: AADSTS700025).
  if (!credentials_.public_client) {
    auto proof = clientProof(tenant);
    if (!proof) return proof.status();
    form += "&" + *proof;
  }
  // The token endpoint fails now and then like any service: retry transient failures.
  Status last = Status::unavailable("no attempt");
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0 && cancel_ != nullptr &&
        !cancel_->sleepFor(credentials_.retry_base * (1 << attempt)))
      return Status::aborted("shutting down");
    auto resp = http_.send({"POST",
                            tokenUrl(tenant),
                            {{"Accept", "application/json"}},
                            form,
                            "application/x-www-form-urlencoded"});
    if (!resp) {
      last = resp.status();
      continue;
    }
    if (resp->status >= 500 || resp->status == 429) {
      last = Status::unavailable("token endpoint answered HTTP " + std::to_string(resp->status));
      continue;
    }
    Poco::JSON::Object::Ptr body;
    try {
      body = Poco::JSON::Parser().parse(resp->body).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
      last = Status::unavailable("token endpoint answered HTTP " + std::to_string(resp->status) +
                                 " with a body that is not JSON");
      continue;
    }
    if (resp->status != 200) return refusal(tenant, grant, resp->status, body);
    return body;
  }
  return Status::unavailable("sign-in to tenant " + tenant + " failed: " + last.message());
}

Status TokenProvider::refusal(const std::string& tenant, Grant grant, int http_status,
                              const Poco::JSON::Object::Ptr& body) {
  // error and error_description say what Entra refused and why; a misconfigured or hostile
  // endpoint may echo our form in them (the secret, the refresh token), so both pass through
  // outsideText (in entraErrorLine for the description). Which refusals mean what is decided
  // by `error` and the AADSTS code, never by the text (reference-error-codes.md: "Never use
  // this field to react to an error in your code").
  const std::string error =
      body->optValue<std::string>("error", "HTTP " + std::to_string(http_status));
  const std::string description = body->optValue<std::string>("error_description", "");
  const int code = aadstsCode(body, description);
  const std::string said = "(" + outsideText(error, 100) + "): " + entraErrorLine(description);
  if (grant == Grant::kAuthorizationCode)
    return Status::invalidArgument("Entra ID refused the authorization code " + said);
  if (grant != Grant::kRefreshToken)
    return Status::invalidArgument("sign-in to tenant " + tenant + " refused " + said);
  // Refresh-token refusals only a new interactive sign-in repairs: the token expired from
  // inactivity (700082, 70008), a sign-in frequency policy ended it (70043), it was revoked
  // (50173), or the user must interact (MFA, consent); or it belongs to the other kind of
  // client than the one this configuration signs in as (700025, 7000218).
  const bool ended = (error == "invalid_grant" &&
                      (code == 700082 || code == 70043 || code == 50173 || code == 70008)) ||
                     error == "interaction_required";
  const bool mismatch = error == "invalid_client" && (code == 700025 || code == 7000218);
  if (!ended && !mismatch)
    return Status::invalidArgument("sign-in to tenant " + tenant + " refused " + said);
  const bool partner = !credentials_.partner_tenant_id.empty() &&
                       toLowerAscii(tenant) == toLowerAscii(credentials_.partner_tenant_id);
  if (!partner)
    // The partner user may simply have no GDAP, or meet a policy, in this customer tenant.
    return Status::invalidArgument("sign-in to tenant " + tenant + " as the partner user refused " +
                                   said);
  // Entra's words end the sentence that explains them.
  const std::string quoted = said + (endsWith(said, ".") ? " " : ". ");
  std::string why;
  if (!mismatch)
    why = "Entra ID no longer accepts the partner user's sign-in " + quoted;
  else if (code == 700025)
    why =
        "The refresh token was issued to a public client (the device code), but this "
        "configuration is a confidential app that presents its secret or certificate "
        "(public_client: false), and Entra ID refuses the mix " +
        quoted;
  else
    why =
        "Entra ID wants the app's secret or certificate with this refresh token: it was issued "
        "to a confidential app, or the app registration no longer allows public client flows, "
        "and public_client: true presents none " +
        quoted;
  Status failure = Status::unauthenticated(
      why +
      "Only a new interactive sign-in fixes this: run 'cspwatch auth login' as the partner "
      "user" +
      (mismatch ? ", with public_client set as the app registration is." : "."));
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sign_in_failure_) sign_in_failure_ = failure;  // the caller reports it, once
  return *sign_in_failure_;
}

Result<std::string> TokenProvider::accept(const Poco::JSON::Object::Ptr& body,
                                          const std::string& tenant, Audience audience, bool user,
                                          const std::string& key,
                                          std::optional<uint64_t> presented) {
  const std::string token = body->optValue<std::string>("access_token", "");
  const int64_t lifetime = body->optValue<int64_t>("expires_in", 3600);
  if (token.empty()) return Status::unavailable("token endpoint answered without an access token");
  registerRotatingSecret(token);
  log().debug("signed in to tenant {} for {} ({}); the token is good for {} s", tenant,
              audience == Audience::kGraph ? "Graph" : "Partner Center",
              user ? "App+User" : "app-only", lifetime);
  if (user && body->has("refresh_token")) {
    // The rotated refresh token is durable (or a later one is) before the access token is
    // cached or handed out, and grants present only durable ones: a crash never loses it.
    const std::string next = body->getValue<std::string>("refresh_token");
    registerRotatingSecret(next);
    const Status kept =
        presented ? refresh_tokens_.settle(next, *presented) : refresh_tokens_.replace(next);
    if (!kept) return kept;
  }
  const int64_t margin = std::min<int64_t>(300, lifetime / 4);
  std::lock_guard<std::mutex> lock(mutex_);
  cache_[key] = {token, clock_.now() + Seconds(lifetime - margin)};
  return token;
}

std::optional<std::string> TokenProvider::cached(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = cache_.find(key);
  if (it == cache_.end() || clock_.now() >= it->second.refresh_after) return std::nullopt;
  // The newest again among the rotating secrets: a token in use is never forgotten.
  registerRotatingSecret(it->second.token);
  return it->second.token;
}

Result<std::string> TokenProvider::request(const std::string& tenant, Audience audience,
                                           bool user) {
  const std::string key =
      tenant + (audience == Audience::kGraph ? "|graph" : "|pc") + (user ? "|user" : "|app");
  if (auto hit = cached(key)) return *hit;
  // One grant per key at a time, shared by every caller who asks meanwhile (a single flight);
  // grants for other keys run at the same time. No lock is held while a grant is under way.
  std::promise<Result<std::string>> outcome;
  std::shared_future<Result<std::string>> flight;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (user && sign_in_failure_) return *sign_in_failure_;  // found since userToken() looked
    auto it = flights_.find(key);
    if (it != flights_.end()) {
      flight = it->second;
    } else {
      flights_[key] = outcome.get_future().share();
    }
  }
  if (flight.valid()) return flight.get();
  Result<std::string> result = Status::unavailable("no grant was made");
  try {
    result = grant(tenant, audience, user, key);
  } catch (...) {
    land(key, outcome, Status::unavailable("sign-in to tenant " + tenant + " failed"));
    throw;
  }
  land(key, outcome, result);
  return result;
}

void TokenProvider::land(const std::string& key, std::promise<Result<std::string>>& outcome,
                         const Result<std::string>& result) {
  {
    // A caller who comes after this finds the cached token (accept() put it there), or starts
    // a grant of its own after a failure.
    std::lock_guard<std::mutex> lock(mutex_);
    flights_.erase(key);
  }
  outcome.set_value(result);
}

Result<std::string> TokenProvider::grant(const std::string& tenant, Audience audience, bool user,
                                         const std::string& key) {
  if (auto hit = cached(key)) return *hit;  // another flight for this key just landed
  const std::string form = "client_id=" + formEncode(credentials_.client_id) +
                           "&scope=" + formEncode(tokenScope(credentials_, audience, user));
  if (!user) {
    auto body = post(tenant, form + "&grant_type=client_credentials", Grant::kClientCredentials);
    if (!body) return body.status();
    return accept(*body, tenant, audience, false, key, std::nullopt);
  }
  // The token the file holds, which several grants may present at once (refresh_token_store.h).
  auto rt = refresh_tokens_.presented();
  if (!rt) return rt.status();
  auto body =
      post(tenant, form + "&grant_type=refresh_token&refresh_token=" + formEncode(rt->token),
           Grant::kRefreshToken);
  if (!body) return body.status();
  return accept(*body, tenant, audience, true, key, rt->generation);
}

Result<std::string> TokenProvider::appToken(const std::string& tenant, Audience audience) {
  // A public client has no client credentials grant: every call is made as the partner user.
  if (credentials_.public_client) return userToken(tenant, audience);
  return request(tenant, audience, false);
}

Result<std::string> TokenProvider::userToken(const std::string& tenant, Audience audience) {
  if (auto failure = userSignInFailure()) return *failure;
  if (!hasRefreshToken())
    return Status::unavailable("no refresh_token_file configured; run 'cspwatch auth login'");
  return request(tenant, audience, true);
}

std::optional<Status> TokenProvider::userSignInFailure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sign_in_failure_;
}

Status TokenProvider::redeemAuthorizationCode(const std::string& code,
                                              const std::string& redirect_uri,
                                              const std::string& code_verifier) {
  if (credentials_.partner_tenant_id.empty())
    return Status::invalidArgument("no partner tenant to redeem the authorization code in");
  if (!hasRefreshToken())
    return Status::invalidArgument(
        "no refresh_token_file configured: the refresh token is stored there");
  registerRotatingSecret(code);
  registerRotatingSecret(code_verifier);
  const std::string& tenant = credentials_.partner_tenant_id;
  const std::string form =
      "client_id=" + formEncode(credentials_.client_id) +
      "&scope=" + formEncode(tokenScope(credentials_, Audience::kPartnerCenter, true)) +
      "&grant_type=authorization_code&code=" + formEncode(code) +
      "&redirect_uri=" + formEncode(redirect_uri) + "&code_verifier=" + formEncode(code_verifier);
  auto body = post(tenant, form, Grant::kAuthorizationCode);
  if (!body) return body.status();
  if (!(*body)->has("refresh_token"))
    return Status::unavailable(
        "signed in, but no refresh token came back (was offline_access consented?)");
  auto token =
      accept(*body, tenant, Audience::kPartnerCenter, true, tenant + "|pc|user", std::nullopt);
  if (!token) return token.status();
  std::lock_guard<std::mutex> lock(mutex_);
  sign_in_failure_.reset();  // a new sign-in is what repairs one
  return Status::ok();
}

void TokenProvider::invalidate(const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->second.token == token)
      it = cache_.erase(it);
    else
      ++it;
  }
}

}  // namespace cspwatch::msapi
