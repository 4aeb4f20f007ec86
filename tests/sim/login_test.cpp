// SPDX-License-Identifier: Apache-2.0
// The login endpoint beyond secrets: certificate client assertions (RS256), the device-code flow,
// the authorization code with PKCE, the rules of public and confidential clients and the
// refresh-token hook; and the partner-side Graph resources that complete the relationship view.
#include <cstdlib>
#include <memory>
#include <regex>

#include <Poco/Crypto/RSAKey.h>
#include <Poco/JSON/Object.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/URI.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::parseObject;
using cspwatch::testing::urlEncode;
using namespace cspwatch::sim;
using cspwatch::testing::httpRequest;
using cspwatch::testing::HttpResult;
using cspwatch::testing::TempDir;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kPartner = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
const std::string kClient = "11111111-2222-4333-8444-555555555555";

// A key pair and a self-signed certificate made with the openssl command.
struct Certificate {
  TempDir dir;
  std::string key, cert;
  Certificate() {
    key = dir.file("key.pem");
    cert = dir.file("cert.pem");
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cspwatch-test -keyout " + key +
        " -out " + cert + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
};

struct Sim {
  ManualClock clock{kNow};
  LoginService login;
  SimApi api;
  SimServer server;
  std::string base;
  Sim(const std::string& pem, bool auto_device, bool public_client_flows = false,
      bool deny_consent = false)
      : login(options(pem, auto_device, public_client_flows, deny_consent), 3),
        api(generateWorld(40, 3, kNow), login, clock),
        server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 2));
  }
  static LoginOptions options(const std::string& pem, bool auto_device, bool flows, bool deny) {
    LoginOptions o{kClient, "s3cret", Seconds(3600), Seconds(60), pem, auto_device};
    o.allow_public_client_flows = flows;
    o.deny_consent = deny;
    return o;
  }
  std::string tokenUrl(const std::string& tenant = kPartner) const {
    return base + "/login/" + tenant + "/oauth2/v2.0/token";
  }
  std::string authorizeUrl(const std::map<std::string, std::string>& params) const {
    std::string url = base + "/login/" + kPartner + "/oauth2/v2.0/authorize";
    char sep = '?';
    for (const auto& [k, v] : params) {
      url += sep + k + "=" + urlEncode(v);
      sep = '&';
    }
    return url;
  }
};

std::string assertion(const std::string& key_file, const std::string& audience, Timestamp exp,
                      const std::string& jti) {
  Poco::JWT::Token token;
  token.setType("JWT");
  token.setIssuer(kClient);
  token.setSubject(kClient);
  token.setAudience(audience);
  token.setId(jti);
  token.setIssuedAt(Poco::Timestamp::fromEpochTime(toUnixSeconds(exp) - 600));
  token.setExpiration(Poco::Timestamp::fromEpochTime(toUnixSeconds(exp)));
  Poco::JWT::Signer signer(new Poco::Crypto::RSAKey("", key_file));
  return signer.sign(token, Poco::JWT::Signer::ALGO_RS256);
}

}  // namespace

TEST_CASE(
    "sim login: an RS256 client assertion signed with the registered certificate's key works") {
  Certificate good, other;
  Sim sim(testing::readFile(good.cert), true);
  auto request = [&](const std::string& jwt) {
    return httpRequest("POST", sim.tokenUrl(), {},
                       "grant_type=client_credentials&client_id=" + kClient +
                           "&client_assertion_type=" +
                           urlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                           "&client_assertion=" + urlEncode(jwt) +
                           "&scope=" + urlEncode("https://graph.microsoft.com/.default"));
  };
  const Timestamp exp = kNow + std::chrono::minutes(10);
  HttpResult ok = request(assertion(good.key, sim.tokenUrl(), exp, "a1"));
  INFO(ok.body);
  CHECK(ok.status == 200);
  CHECK(parseObject(ok.body)->has("access_token"));
  // Replayed, signed by another key, for another audience, or expired: refused.
  CHECK(request(assertion(good.key, sim.tokenUrl(), exp, "a1")).status == 401);
  HttpResult wrong_key = request(assertion(other.key, sim.tokenUrl(), exp, "a2"));
  CHECK(wrong_key.status == 401);
  CHECK_THAT(wrong_key.body, Catch::Contains("AADSTS700027"));
  CHECK(request(assertion(good.key, "https://example.com/token", exp, "a3")).status == 401);
  CHECK(request(assertion(good.key, sim.tokenUrl(), kNow - std::chrono::minutes(1), "a4")).status ==
        401);
}

TEST_CASE("sim login: the device-code flow is pending until approved, then gives a refresh token") {
  Sim sim("", false, true);  // the app allows public client flows
  HttpResult dc = httpRequest(
      "POST", sim.base + "/login/" + kPartner + "/oauth2/v2.0/devicecode", {},
      "client_id=" + kClient + "&scope=" +
          urlEncode("https://api.partnercenter.microsoft.com/user_impersonation offline_access"));
  REQUIRE(dc.status == 200);
  auto d = parseObject(dc.body);
  CHECK(d->getValue<std::string>("verification_uri") == "https://microsoft.com/devicelogin");
  const std::string poll =
      "grant_type=" + urlEncode("urn:ietf:params:oauth:grant-type:device_code") +
      "&client_id=" + kClient +
      "&device_code=" + urlEncode(d->getValue<std::string>("device_code"));
  HttpResult pending = httpRequest("POST", sim.tokenUrl(), {}, poll);
  CHECK(pending.status == 400);
  CHECK(parseObject(pending.body)->getValue<std::string>("error") == "authorization_pending");
  REQUIRE(httpRequest("POST", sim.base + "/_sim/approve-device?user_code=" +
                                  d->getValue<std::string>("user_code"))
              .status == 200);
  HttpResult done = httpRequest("POST", sim.tokenUrl(), {}, poll);
  REQUIRE(done.status == 200);
  auto t = parseObject(done.body);
  CHECK(t->has("refresh_token"));
  // The access token acts for the consented user: App+User operations work.
  HttpResult rr =
      httpRequest("GET", sim.base + "/pc/v1/customers/relationshiprequests",
                  {{"Authorization", "Bearer " + t->getValue<std::string>("access_token")}});
  CHECK(rr.status == 200);
  CHECK(httpRequest("POST", sim.tokenUrl(), {}, poll).status == 400);  // a device code is used once
}

TEST_CASE("sim graph: access assignments and contracts complete the partner-side view") {
  Sim sim("", true);
  HttpResult tok = httpRequest(
      "POST", sim.tokenUrl(), {},
      "grant_type=client_credentials&client_id=" + kClient +
          "&client_secret=s3cret&scope=" + urlEncode("https://graph.microsoft.com/.default"));
  const std::string bearer =
      "Bearer " + parseObject(tok.body)->getValue<std::string>("access_token");
  // The first relationship, on whichever page it comes (a first page may be empty).
  std::string id, url = sim.base + "/graph/v1.0/tenantRelationships/delegatedAdminRelationships";
  while (id.empty() && !url.empty()) {
    auto page = parseObject(httpRequest("GET", url, {{"Authorization", bearer}}).body);
    if (page->getArray("value")->size() > 0)
      id = page->getArray("value")->getObject(0)->getValue<std::string>("id");
    url = page->optValue<std::string>("@odata.nextLink", "");
  }
  REQUIRE_FALSE(id.empty());
  HttpResult aa =
      httpRequest("GET",
                  sim.base + "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/" + id +
                      "/accessAssignments",
                  {{"Authorization", bearer}});
  REQUIRE(aa.status == 200);
  auto value = parseObject(aa.body)->getArray("value");
  REQUIRE(value->size() == 1);
  CHECK(value->getObject(0)
            ->getObject("accessContainer")
            ->getValue<std::string>("accessContainerType") == "securityGroup");
  CHECK(
      httpRequest(
          "GET",
          sim.base +
              "/graph/v1.0/tenantRelationships/delegatedAdminRelationships/nope/accessAssignments",
          {{"Authorization", bearer}})
          .status == 404);
  size_t contracts = 0;
  for (std::string next = sim.base + "/graph/v1.0/contracts"; !next.empty();) {
    HttpResult page = httpRequest("GET", next, {{"Authorization", bearer}});
    REQUIRE(page.status == 200);
    contracts += parseObject(page.body)->getArray("value")->size();
    next = parseObject(page.body)->optValue<std::string>("@odata.nextLink", "");
  }
  size_t dap = 0;
  for (const auto& t : sim.api.world().tenants)
    dap += t.in_customer_list.value_or(false) && t.dap_enabled.value_or(false);
  CHECK(contracts == dap);
}

// ---- Sign-in as Entra ID enforces it (docs/simulator.md#sign-in) ----

namespace {

// RFC 7636 appendix B: a verifier and its S256 challenge.
const std::string kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const std::string kUserScope =
    "https://api.partnercenter.microsoft.com/user_impersonation offline_access";
const std::string kSecretProof = "&client_secret=s3cret";

std::map<std::string, std::string> authorizeParams(const std::string& redirect_uri,
                                                   const std::string& state = "st4te") {
  return {{"client_id", kClient},         {"response_type", "code"},
          {"redirect_uri", redirect_uri}, {"response_mode", "query"},
          {"scope", kUserScope},          {"state", state},
          {"code_challenge", kChallenge}, {"code_challenge_method", "S256"},
          {"prompt", "select_account"}};
}

// A query parameter of a URL (decoded).
std::string paramOf(const std::string& url, const std::string& name) {
  for (const auto& [k, v] : Poco::URI(url).getQueryParameters())
    if (k == name) return v;
  return "";
}

// Signs in at the authorize endpoint; the code the redirect carries.
std::string signIn(const Sim& sim, const std::string& redirect_uri = "http://localhost:8400/") {
  HttpResult r = httpRequest("GET", sim.authorizeUrl(authorizeParams(redirect_uri)));
  REQUIRE(r.status == 302);
  const std::string code = paramOf(r.headers["location"], "code");
  REQUIRE_FALSE(code.empty());
  return code;
}

HttpResult redeem(const Sim& sim, const std::string& code, const std::string& redirect_uri,
                  const std::string& verifier, const std::string& proof = kSecretProof,
                  const std::string& tenant = kPartner) {
  std::string body = "grant_type=authorization_code&client_id=" + kClient +
                     "&code=" + urlEncode(code) + "&redirect_uri=" + urlEncode(redirect_uri) +
                     "&scope=" + urlEncode(kUserScope) + proof;
  if (!verifier.empty()) body += "&code_verifier=" + urlEncode(verifier);
  return httpRequest("POST", sim.tokenUrl(tenant), {}, body);
}

HttpResult refresh(const Sim& sim, const std::string& rt, const std::string& proof) {
  return httpRequest("POST", sim.tokenUrl(), {},
                     "grant_type=refresh_token&client_id=" + kClient + "&refresh_token=" +
                         urlEncode(rt) + "&scope=" + urlEncode(kUserScope) + proof);
}

// An error in the shape of reference-error-codes.md, with this status, error and AADSTS code.
void checkEntraError(const HttpResult& r, int status, const std::string& error, int code) {
  INFO(r.body);
  CHECK(r.status == status);
  auto o = parseObject(r.body);
  CHECK(o->getValue<std::string>("error") == error);
  const std::string description = o->getValue<std::string>("error_description");
  static const std::regex kShape(
      "AADSTS([0-9]+): [^\r\n]+\r\nTrace ID: ([0-9a-f-]{36})\r\nCorrelation ID: ([0-9a-f-]{36})"
      "\r\nTimestamp: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}Z");
  std::smatch m;
  REQUIRE(std::regex_match(description, m, kShape));
  CHECK(m[1].str() == std::to_string(code));
  CHECK(o->getArray("error_codes")->getElement<int>(0) == code);
  CHECK(o->getValue<std::string>("trace_id") == m[2].str());
  CHECK(o->getValue<std::string>("correlation_id") == m[3].str());
  CHECK(std::regex_match(o->getValue<std::string>("timestamp"),
                         std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}Z")));
}

std::string tokenField(const HttpResult& r, const std::string& name) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  return parseObject(r.body)->getValue<std::string>(name);
}

// A refresh token from the device code (a public client's).
std::string deviceRefreshToken(const Sim& sim) {
  HttpResult dc = httpRequest("POST", sim.base + "/login/" + kPartner + "/oauth2/v2.0/devicecode",
                              {}, "client_id=" + kClient + "&scope=" + urlEncode(kUserScope));
  REQUIRE(dc.status == 200);
  const std::string poll =
      "grant_type=" + urlEncode("urn:ietf:params:oauth:grant-type:device_code") +
      "&client_id=" + kClient +
      "&device_code=" + urlEncode(parseObject(dc.body)->getValue<std::string>("device_code"));
  REQUIRE(httpRequest("POST", sim.tokenUrl(), {}, poll).status == 400);  // pending
  return tokenField(httpRequest("POST", sim.tokenUrl(), {}, poll), "refresh_token");
}

}  // namespace

TEST_CASE(
    "sim login: the authorize endpoint signs in at once and redirects to localhost, any port") {
  Sim sim("", true);
  for (const std::string redirect :
       {"http://localhost", "http://localhost/", "http://localhost:8400/",
        "http://localhost:51234/", "http://127.0.0.1:9/"}) {
    INFO(redirect);
    HttpResult r = httpRequest("GET", sim.authorizeUrl(authorizeParams(redirect)));
    CHECK(r.status == 302);
    const std::string location = r.headers["location"];
    CHECK(startsWith(location, redirect + "?code=ac."));
    CHECK(paramOf(location, "state") == "st4te");
  }
}

TEST_CASE(
    "sim login: an unregistered redirect URI is AADSTS50011 on an error page, not a redirect") {
  Sim sim("", true);
  for (const std::string redirect : {"https://localhost/", "http://localhost/callback",
                                     "http://[::1]:8400/", "http://localhost.example.com:8400/",
                                     "http://example.com/", "http://localhost:8400/?x=1"}) {
    INFO(redirect);
    HttpResult r = httpRequest("GET", sim.authorizeUrl(authorizeParams(redirect)));
    CHECK(r.status == 400);
    CHECK(r.headers.count("location") == 0);
    CHECK_THAT(r.body, Catch::Contains("AADSTS50011: The redirect URI"));
  }
  auto params = authorizeParams("http://localhost:8400/");
  params.erase("redirect_uri");
  CHECK_THAT(httpRequest("GET", sim.authorizeUrl(params)).body, Catch::Contains("AADSTS900971"));
  params = authorizeParams("http://localhost:8400/");
  params["client_id"] = "99999999-2222-4333-8444-555555555555";
  HttpResult unknown = httpRequest("GET", sim.authorizeUrl(params));
  CHECK(unknown.headers.count("location") == 0);
  CHECK_THAT(unknown.body, Catch::Contains("AADSTS700016"));
}

TEST_CASE("sim login: a declined consent goes back to the redirect URI as access_denied") {
  Sim sim("", true, false, true);
  HttpResult r = httpRequest("GET", sim.authorizeUrl(authorizeParams("http://localhost:8400/")));
  REQUIRE(r.status == 302);
  const std::string location = r.headers["location"];
  CHECK(startsWith(location, "http://localhost:8400/?error=access_denied"));
  CHECK(paramOf(location, "code").empty());
  CHECK(paramOf(location, "state") == "st4te");
  CHECK(startsWith(paramOf(location, "error_description"),
                   "AADSTS65004: User declined to consent to access the app."));
}

TEST_CASE(
    "sim login: an authorization code is redeemed once, within 10 minutes, for its redirect URI "
    "and PKCE verifier, with the app's credential") {
  Sim sim("", true);
  const std::string redirect = "http://localhost:8400/";
  // Without the app's credential (the Web redirect URI makes it a confidential client's code):
  // refused before the code is looked at, so the code still works afterwards.
  std::string code = signIn(sim, redirect);
  checkEntraError(redeem(sim, code, redirect, kVerifier, ""), 401, "invalid_client", 7000218);
  checkEntraError(redeem(sim, code, redirect, kVerifier, "&client_secret=nope"), 401,
                  "invalid_client", 7000215);
  HttpResult ok = redeem(sim, code, redirect, kVerifier);
  CHECK(tokenField(ok, "refresh_token").rfind("rt.", 0) == 0);
  CHECK(tokenField(ok, "access_token").rfind("at.", 0) == 0);
  // Single-use.
  checkEntraError(redeem(sim, code, redirect, kVerifier), 400, "invalid_grant", 54005);
  // Bound to the PKCE challenge: another verifier, or none.
  code = signIn(sim, redirect);
  checkEntraError(redeem(sim, code, redirect, "x" + kVerifier), 400, "invalid_grant", 501481);
  code = signIn(sim, redirect);
  checkEntraError(redeem(sim, code, redirect, ""), 400, "invalid_request", 900144);
  // Bound to the redirect URI it was issued for, port included.
  code = signIn(sim, redirect);
  checkEntraError(redeem(sim, code, "http://localhost:8401/", kVerifier), 400, "invalid_grant",
                  500112);
  // Bound to its tenant.
  code = signIn(sim, redirect);
  checkEntraError(
      redeem(sim, code, redirect, kVerifier, kSecretProof, "72e6dc16-14e1-4e89-9b69-c4f1cf07ab4d"),
      400, "invalid_grant", 700005);
  // Expires after 10 minutes.
  code = signIn(sim, redirect);
  sim.clock.advance(Seconds(601));
  checkEntraError(redeem(sim, code, redirect, kVerifier), 400, "invalid_grant", 70008);
  checkEntraError(redeem(sim, "ac.never-issued", redirect, kVerifier), 400, "invalid_grant",
                  9002313);
}

TEST_CASE(
    "sim login: the device code needs Allow public client flows (AADSTS7000218 at the poll) and "
    "no credential (AADSTS700025)") {
  for (bool flows : {false, true}) {
    INFO("public client flows " << flows);
    Sim sim("", true, flows);
    HttpResult dc = httpRequest("POST", sim.base + "/login/" + kPartner + "/oauth2/v2.0/devicecode",
                                {}, "client_id=" + kClient + "&scope=" + urlEncode(kUserScope));
    REQUIRE(dc.status == 200);  // the device code is given either way
    const std::string poll =
        "grant_type=" + urlEncode("urn:ietf:params:oauth:grant-type:device_code") +
        "&client_id=" + kClient +
        "&device_code=" + urlEncode(parseObject(dc.body)->getValue<std::string>("device_code"));
    if (!flows) {
      checkEntraError(httpRequest("POST", sim.tokenUrl(), {}, poll), 401, "invalid_client",
                      7000218);
      continue;
    }
    checkEntraError(httpRequest("POST", sim.tokenUrl(), {}, poll + kSecretProof), 401,
                    "invalid_client", 700025);
    CHECK(parseObject(httpRequest("POST", sim.tokenUrl(), {}, poll).body)
              ->getValue<std::string>("error") == "authorization_pending");
    CHECK(tokenField(httpRequest("POST", sim.tokenUrl(), {}, poll), "refresh_token")
              .rfind("rt.", 0) == 0);
  }
}

TEST_CASE(
    "sim login: a refresh token is redeemed only as the kind of client it was issued to, with or "
    "without a secret or certificate") {
  Certificate cert;
  const std::string pem = testing::readFile(cert.cert);
  int jti = 0;
  for (bool flows : {true, false})
    for (bool public_token : {true, false})
      for (const std::string proof : {"none", "secret", "assertion"}) {
        INFO("public client flows " << flows << ", " << (public_token ? "public" : "confidential")
                                    << " refresh token, " << proof);
        Sim sim(pem, true, true);  // flows on to issue a device code token, then as the case says
        // The refresh token from the real flow: the device code (public) or the code (with the
        // secret: confidential).
        const std::string rt =
            public_token ? deviceRefreshToken(sim)
                         : tokenField(redeem(sim, signIn(sim), "http://localhost:8400/", kVerifier),
                                      "refresh_token");
        Sim* s = &sim;
        std::unique_ptr<Sim> restricted;
        if (!flows) {
          // The same tokens, with the app's public client flows turned off since: a new
          // simulator holding refresh tokens of both kinds.
          restricted = std::make_unique<Sim>(pem, true, false);
          s = restricted.get();
        }
        const std::string token =
            flows ? rt : s->login.issueRefreshToken(s->clock.now(), public_token);
        std::string how;
        if (proof == "secret") how = kSecretProof;
        if (proof == "assertion")
          how = "&client_assertion_type=" +
                urlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                "&client_assertion=" +
                urlEncode(assertion(cert.key, s->tokenUrl(), kNow + std::chrono::minutes(10),
                                    "r" + std::to_string(++jti)));
        HttpResult r = refresh(*s, token, how);
        if (public_token && proof != "none")
          checkEntraError(r, 401, "invalid_client", 700025);
        else if (public_token && !flows)
          checkEntraError(r, 401, "invalid_client", 7000218);
        else if (!public_token && proof == "none")
          checkEntraError(r, 401, "invalid_client", 7000218);
        else
          CHECK(tokenField(r, "refresh_token").rfind("rt.", 0) == 0);  // rotated
      }
}

TEST_CASE("sim login: the refresh-token hook fails every refresh grant as Entra does, until none") {
  Sim sim("", true);
  const std::string rt = sim.login.issueRefreshToken(kNow);
  struct Case {
    const char* fail;
    const char* error;
    int code;
    const char* text;
  };
  for (const Case& k :
       {Case{"700082", "invalid_grant", 700082,
             "The refresh token has expired due to inactivity. The token was issued on "},
        Case{"70043", "invalid_grant", 70043,
             "The refresh token has expired or is invalid due to sign-in frequency checks by "
             "conditional access."},
        Case{"50173", "invalid_grant", 50173,
             "The provided grant has expired due to it being revoked, a fresh auth token is "
             "needed."},
        Case{"interaction_required", "interaction_required", 50076,
             "Due to a configuration change made by your administrator, or because you moved to "
             "a new location, you must use multi-factor authentication to access "
             "'https://api.partnercenter.microsoft.com'."}}) {
    INFO(k.fail);
    REQUIRE(httpRequest("POST", sim.base + "/_sim/refresh-tokens?fail=" + k.fail).status == 200);
    HttpResult r = refresh(sim, rt, kSecretProof);
    checkEntraError(r, 400, k.error, k.code);
    CHECK_THAT(parseObject(r.body)->getValue<std::string>("error_description"),
               Catch::Contains(k.text));
    // Only refresh grants: client credentials still work.
    CHECK(httpRequest("POST", sim.tokenUrl(), {},
                      "grant_type=client_credentials&client_id=" + kClient + kSecretProof +
                          "&scope=" + urlEncode("https://graph.microsoft.com/.default"))
              .status == 200);
  }
  CHECK(httpRequest("POST", sim.base + "/_sim/refresh-tokens?fail=sometimes").status == 400);
  CHECK(httpRequest("GET", sim.base + "/_sim/refresh-tokens?fail=none").status == 405);
  REQUIRE(httpRequest("POST", sim.base + "/_sim/refresh-tokens?fail=none").status == 200);
  CHECK(refresh(sim, rt, kSecretProof).status == 200);
}

TEST_CASE(
    "sim login: scopes name Microsoft's APIs in any cloud or the simulator's /graph and /pc") {
  Sim sim("", true);
  auto appToken = [&](const std::string& scope) {
    return httpRequest("POST", sim.tokenUrl(), {},
                       "grant_type=client_credentials&client_id=" + kClient + kSecretProof +
                           "&scope=" + urlEncode(scope));
  };
  const std::string graph = tokenField(appToken(sim.base + "/graph/.default"), "access_token");
  CHECK(
      httpRequest("GET", sim.base + "/graph/v1.0/contracts", {{"Authorization", "Bearer " + graph}})
          .status == 200);
  const std::string pc = tokenField(appToken(sim.base + "/pc/.default"), "access_token");
  CHECK(
      httpRequest("GET", sim.base + "/pc/v1/customers?size=5", {{"Authorization", "Bearer " + pc}})
          .status == 200);
  CHECK(appToken("https://graph.microsoft.us/.default").status == 200);
  CHECK(appToken("https://partner.partnercenterapi.microsoftonline.cn/.default").status == 200);
  checkEntraError(appToken("https://example.com/.default"), 400, "invalid_scope", 70011);
}
