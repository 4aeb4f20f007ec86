// SPDX-License-Identifier: Apache-2.0
#include "msapi/token_provider.h"

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
#include "common/text.h"

namespace cspwatch::msapi {

namespace {

std::string scopeFor(Audience a, bool user) {
  if (a == Audience::kGraph) return "https://graph.microsoft.com/.default";
  return user ? "https://api.partnercenter.microsoft.com/user_impersonation offline_access"
              : "https://api.partnercenter.microsoft.com/.default";
}

std::string formEncode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[] ", out);
  return out;
}

std::string base64Url(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc << bytes;
  enc.close();
  return out.str();
}

}  // namespace

TokenProvider::TokenProvider(Credentials credentials, const HttpClient& http, const Clock& clock,
                             Cancellation* cancel)
    : credentials_(std::move(credentials)), http_(http), clock_(clock), cancel_(cancel) {
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
    registerSecret(assertion);
    return "client_assertion_type=" +
           formEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
           "&client_assertion=" + assertion;
  } catch (const Poco::Exception& e) {
    // The message names the files, never their contents.
    return Status::invalidArgument("cannot sign a client assertion with " + credentials_.key_file +
                                   " and " + credentials_.certificate_file + ": " +
                                   e.displayText());
  }
}

Result<std::string> TokenProvider::currentRefreshToken() {
  if (refresh_token_) return *refresh_token_;
  auto text = readWholeFile(credentials_.refresh_token_file);
  if (!text)
    return Status::unavailable("no refresh token: " + text.status().message() +
                               "; run 'cspwatch auth login'");
  refresh_token_ = std::string(trim(*text));
  registerSecret(*refresh_token_);
  if (refresh_token_->empty())
    return Status::unavailable("the refresh token file is empty; run 'cspwatch auth login'");
  return *refresh_token_;
}

Result<std::string> TokenProvider::request(const std::string& tenant, Audience audience,
                                           bool user) {
  const std::string key =
      tenant + (audience == Audience::kGraph ? "|graph" : "|pc") + (user ? "|user" : "|app");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end() && clock_.now() < it->second.refresh_after) return it->second.token;
  }
  std::unique_lock<std::mutex> rotation(refresh_mutex_, std::defer_lock);
  std::string form = "client_id=" + formEncode(credentials_.client_id) +
                     "&scope=" + formEncode(scopeFor(audience, user));
  auto proof = clientProof(tenant);
  if (!proof) return proof.status();
  form += "&" + *proof;
  if (user) {
    rotation.lock();
    auto rt = currentRefreshToken();
    if (!rt) return rt.status();
    form += "&grant_type=refresh_token&refresh_token=" + formEncode(*rt);
  } else {
    form += "&grant_type=client_credentials";
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
    if (resp->status != 200) {
      // error and error_description carry no secret; they say what Entra refused and why.
      std::string description = body->optValue<std::string>("error_description", "");
      description = description.substr(0, description.find(" Trace ID:"));
      return Status::invalidArgument("sign-in to tenant " + tenant + " refused (" +
                                     body->optValue<std::string>("error", "error") +
                                     "): " + description);
    }
    const std::string token = body->optValue<std::string>("access_token", "");
    const int64_t lifetime = body->optValue<int64_t>("expires_in", 3600);
    if (token.empty())
      return Status::unavailable("token endpoint answered without an access token");
    registerSecret(token);
    log().debug("signed in to tenant {} for {} ({}); the token is good for {} s", tenant,
                audience == Audience::kGraph ? "Graph" : "Partner Center",
                user ? "App+User" : "app-only", lifetime);
    if (user && body->has("refresh_token")) {
      // Persist the rotated refresh token before anything else uses the old one's successor.
      const std::string next = body->getValue<std::string>("refresh_token");
      registerSecret(next);
      if (Status s = writeFileAtomically(credentials_.refresh_token_file, next + "\n", 0600); !s)
        return Status::ioError("cannot store the rotated refresh token: " + s.message());
      refresh_token_ = next;
    }
    const int64_t margin = std::min<int64_t>(300, lifetime / 4);
    std::lock_guard<std::mutex> lock(mutex_);
    cache_[key] = {token, clock_.now() + Seconds(lifetime - margin)};
    return token;
  }
  return Status::unavailable("sign-in to tenant " + tenant + " failed: " + last.message());
}

Result<std::string> TokenProvider::appToken(const std::string& tenant, Audience audience) {
  return request(tenant, audience, false);
}

Result<std::string> TokenProvider::userToken(const std::string& tenant, Audience audience) {
  if (!hasRefreshToken())
    return Status::unavailable("no refresh_token_file configured; run 'cspwatch auth login'");
  return request(tenant, audience, true);
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
