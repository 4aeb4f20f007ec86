// SPDX-License-Identifier: Apache-2.0
// `cspwatch auth login` for a confidential app: the authorization code with PKCE and a loopback
// redirect, against the simulated Entra ID. The test plays the browser: it opens the printed
// authorize URL without following the redirect, then goes to the Location (cspwatch's
// listener), or pastes that address as a user on another machine would.
#include "msapi/auth_code_login.h"

#include <chrono>
#include <future>
#include <memory>

#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_util.h"
#include "common/text.h"
#include "tests/msapi/sign_in_sim.h"
#include "tests/support/browser.h"
#include "tests/support/free_port.h"
#include "tests/support/line_sink.h"

using namespace cspwatch;
using namespace cspwatch::msapi;
using namespace cspwatch::testing;

namespace {

std::map<std::string, std::string> queryOf(const std::string& url) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : Poco::URI(url).getQueryParameters()) out[k] = v;
  return out;
}

// One `auth login` on a thread: its output in `out`, a pipe standing for stdin.
struct Login {
  SignInSim& sim;
  TempDir dir;
  HttpClient http;
  ManualClock clock{kSignInNow};  // the sign-in's own clock (its timeout)
  Cancellation cancel;
  LineSink out;
  int paste[2] = {-1, -1};
  std::unique_ptr<TokenProvider> tokens;
  std::future<Status> done;

  Login(SignInSim& s, Proof proof = Proof::kSecret, const TestCertificate* cert = nullptr,
        AuthCodeLoginOptions options = {})
      : sim(s) {
    REQUIRE(::pipe(paste) == 0);
    tokens = std::make_unique<TokenProvider>(
        simCredentials(sim, dir.file("refresh_token"), proof, cert), http, sim.clock);
    options.paste_fd = paste[0];
    done = std::async(std::launch::async, [this, options] {
      return authCodeLogin(options, *tokens, clock, cancel, out.tell());
    });
  }
  ~Login() {
    cancel.cancel();
    if (done.valid()) done.wait();
    for (int fd : paste)
      if (fd >= 0) ::close(fd);
  }
  std::string authorizeUrl() {
    const std::string url = out.waitFor(authorizeUrlIn);
    REQUIRE_FALSE(url.empty());
    return url;
  }
  void type(const std::string& text) {
    REQUIRE(::write(paste[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  Status result() {
    REQUIRE(done.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    return done.get();
  }
  std::string refreshToken() { return std::string(trim(readFile(dir.file("refresh_token")))); }
  bool stored() { return ::access(dir.file("refresh_token").c_str(), F_OK) == 0; }
};

}  // namespace

TEST_CASE("auth code login: PKCE S256 as RFC 7636 computes it, and the redirect parsed") {
  // RFC 7636 appendix B.
  CHECK(pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const Pkce a = makePkce(), b = makePkce();
  CHECK(a.verifier.size() == 43);
  CHECK(a.verifier.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
  CHECK(a.verifier != b.verifier);
  CHECK(a.challenge == pkceChallenge(a.verifier));
  CHECK(randomState() != randomState());

  auto full = parseRedirect("  http://localhost:8400/?code=0.AR8A%2Bx&state=abc&session_state=s\n");
  REQUIRE(full);
  CHECK(full->code == "0.AR8A+x");
  CHECK(full->state == "abc");
  auto bare = parseRedirect("code=xyz&state=s1");
  REQUIRE(bare);
  CHECK(bare->code == "xyz");
  auto refused = parseRedirect(
      "http://localhost:1/?error=access_denied&error_description=AADSTS65004%3A+User+declined"
      "&state=q");
  REQUIRE(refused);
  CHECK(refused->error == "access_denied");
  CHECK(refused->error_description == "AADSTS65004: User declined");
  CHECK_FALSE(parseRedirect("hello"));
  CHECK_FALSE(parseRedirect("http://localhost:8400/favicon.ico"));
  CHECK_FALSE(parseRedirect("http://localhost:8400/?state=only"));
}

TEST_CASE(
    "auth code login: the browser's redirect to the loopback listener completes the sign-in") {
  SignInSim sim(appRegistration(false));
  Login login(sim);
  const std::string url = login.authorizeUrl();
  // The authorize request as the Secure Application Model's web app makes it.
  const Poco::URI uri(url);
  CHECK(uri.getPath() == "/login/" + sim.partner + "/oauth2/v2.0/authorize");
  auto q = queryOf(url);
  CHECK(q["client_id"] == kSignInClient);
  CHECK(q["response_type"] == "code");
  CHECK(q["response_mode"] == "query");
  CHECK(q["scope"] == sim.base + "/pc/user_impersonation offline_access");
  CHECK(q["code_challenge_method"] == "S256");
  CHECK(q["code_challenge"].size() == 43);
  CHECK(q["prompt"] == "select_account");
  CHECK(q["state"].size() >= 22);
  REQUIRE(startsWith(q["redirect_uri"], "http://localhost:"));
  CHECK(endsWith(q["redirect_uri"], "/"));

  BrowserVisit visit = visitAuthorize(url);
  CHECK(visit.authorize_status == 302);
  REQUIRE(startsWith(visit.location, q["redirect_uri"] + "?code="));
  const auto answer = parseRedirect(visit.location);
  REQUIRE(answer);
  const std::string code = answer->code;
  REQUIRE(startsWith(code, "ac."));
  CHECK(visit.landing_status == 200);
  CHECK_THAT(visit.landing_body, Catch::Contains("Signed in"));
  const Status s = login.result();
  INFO(s.message());
  REQUIRE(s);
  // Stored atomically, 0600; printed nowhere, nor the code; not on the browser's page either.
  struct stat st {};
  REQUIRE(::stat(login.dir.file("refresh_token").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string rt = login.refreshToken();
  CHECK(startsWith(rt, "rt."));
  for (const std::string& shown : {login.out.text(), visit.landing_body}) {
    CHECK(shown.find(rt) == std::string::npos);
    CHECK(shown.find(code) == std::string::npos);
    CHECK(shown.find("at.") == std::string::npos);
    CHECK(shown.find(kSignInSecret) == std::string::npos);
  }
  // The code went to the token endpoint once, with the secret: a confidential refresh token,
  // which refreshes with the secret, and not without (a public client's way).
  CHECK(sim.tokenRequests() == 1);
  HttpClient http;
  TokenProvider confidential(simCredentials(sim, login.dir.file("refresh_token"), Proof::kSecret),
                             http, sim.clock);
  auto token = confidential.userToken(sim.customer, Audience::kGraph);
  INFO(token.status().message());
  CHECK(token);
  TokenProvider as_public(simCredentials(sim, login.dir.file("refresh_token"), Proof::kNone), http,
                          sim.clock);
  auto refused = as_public.userToken(sim.partner, Audience::kPartnerCenter);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.status().message(), Catch::Contains("AADSTS7000218"));
}

TEST_CASE("auth code login: a certificate's client assertion redeems the code") {
  TestCertificate cert;
  // The app allows public client flows too: a confidential sign-in is unaffected.
  SignInSim sim(appRegistration(true, readFile(cert.cert)));
  Login login(sim, Proof::kCertificate, &cert);
  BrowserVisit visit = visitAuthorize(login.authorizeUrl());
  CHECK(visit.landing_status == 200);
  const Status s = login.result();
  INFO(s.message());
  REQUIRE(s);
  HttpClient http;
  TokenProvider again(
      simCredentials(sim, login.dir.file("refresh_token"), Proof::kCertificate, &cert), http,
      sim.clock);
  CHECK(again.userToken(sim.partner, Audience::kPartnerCenter));
}

TEST_CASE("auth code login: the redirected address pasted on stdin completes the sign-in (SSH)") {
  SignInSim sim(appRegistration(false));
  Login login(sim);
  // The browser on the laptop cannot reach this machine's localhost: it shows an error page,
  // and the user copies the address bar.
  BrowserVisit visit = visitAuthorize(login.authorizeUrl(), false);
  REQUIRE(visit.authorize_status == 302);
  // The invitation to paste follows the address: wait for it (a race seen on a fresh machine).
  CHECK_FALSE(login.out
                  .waitFor([](const std::string& t) {
                    return t.find("paste it here") != std::string::npos ? t : "";
                  })
                  .empty());
  login.type("hello\n");
  CHECK_FALSE(login.out
                  .waitFor([](const std::string& t) {
                    return t.find("That is not the address") != std::string::npos ? t : "";
                  })
                  .empty());
  login.type(visit.location + "\n");
  const Status s = login.result();
  INFO(s.message());
  REQUIRE(s);
  CHECK(startsWith(login.refreshToken(), "rt."));
  CHECK(sim.tokenRequests() == 1);
}

TEST_CASE("auth code login: an answer with another state is refused and the wait goes on") {
  SignInSim sim(appRegistration(false));
  Login login(sim);
  const std::string url = login.authorizeUrl();
  const std::string redirect = queryOf(url)["redirect_uri"];
  // At the listener (another tab, a stale attempt, a forged link) ...
  HttpResult forged = httpRequest("GET", viaIpv4Loopback(redirect) + "?code=forged&state=other");
  CHECK(forged.status == 400);
  CHECK_THAT(forged.body, Catch::Contains("another cspwatch sign-in attempt"));
  // ... and pasted.
  login.type(redirect + "?code=forged2&state=other\n");
  CHECK_FALSE(login.out
                  .waitFor([](const std::string& t) {
                    const size_t first = t.find("belongs to another sign-in attempt");
                    return first != std::string::npos &&
                                   t.find("belongs to another sign-in attempt", first + 1) !=
                                       std::string::npos
                               ? t
                               : "";
                  })
                  .empty());
  CHECK(sim.tokenRequests() == 0);  // neither code was sent anywhere
  CHECK(login.done.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  // The real answer still completes it.
  BrowserVisit visit = visitAuthorize(url);
  CHECK(visit.landing_status == 200);
  REQUIRE(login.result());
  CHECK(sim.tokenRequests() == 1);
}

TEST_CASE("auth code login: consent declined in the browser ends the sign-in with access_denied") {
  auto options = appRegistration(false);
  options.deny_consent = true;
  SignInSim sim(options);
  Login login(sim);
  BrowserVisit visit = visitAuthorize(login.authorizeUrl());
  REQUIRE(visit.authorize_status == 302);
  CHECK_THAT(visit.location, Catch::Contains("error=access_denied"));
  CHECK(visit.landing_status == 400);
  CHECK_THAT(visit.landing_body, Catch::Contains("Sign-in failed"));
  const Status s = login.result();
  REQUIRE_FALSE(s);
  CHECK_THAT(s.message(),
             Catch::Contains("(access_denied): AADSTS65004: User declined to consent"));
  CHECK_THAT(s.message(), Catch::Contains("consent"));
  CHECK(s.message().find("Trace ID") == std::string::npos);
  CHECK_FALSE(login.stored());
  CHECK(sim.tokenRequests() == 0);
}

TEST_CASE("auth code login: a code issued for another PKCE challenge is refused (AADSTS501481)") {
  SignInSim sim(appRegistration(false));
  Login login(sim);
  std::string url = login.authorizeUrl();
  const std::string challenge = queryOf(url)["code_challenge"];
  // A code obtained with someone else's challenge (an intercepted authorize request): our
  // verifier does not match it.
  url = replaceAll(url, "code_challenge=" + challenge,
                   "code_challenge=" + pkceChallenge(makePkce().verifier));
  BrowserVisit visit = visitAuthorize(url);
  REQUIRE(visit.authorize_status == 302);
  CHECK(visit.landing_status == 400);
  const Status s = login.result();
  REQUIRE_FALSE(s);
  CHECK_THAT(s.message(), Catch::Contains("(invalid_grant): AADSTS501481"));
  CHECK_FALSE(login.stored());
}

TEST_CASE("auth code login: a code is redeemed once only (AADSTS54005)") {
  SignInSim sim(appRegistration(false));
  Login login(sim);
  BrowserVisit visit = visitAuthorize(login.authorizeUrl());
  REQUIRE(login.result());
  const auto answer = parseRedirect(visit.location);
  REQUIRE(answer);
  const std::string redirect = visit.location.substr(0, visit.location.find('?'));
  auto reused = login.tokens->redeemAuthorizationCode(answer->code, redirect, "any-verifier");
  REQUIRE_FALSE(reused);
  CHECK_THAT(reused.message(), Catch::Contains("(invalid_grant): AADSTS54005"));
  CHECK(reused.message().find(answer->code) == std::string::npos);
}

TEST_CASE("auth code login: the timeout and a cancellation end the wait, storing nothing") {
  SignInSim sim(appRegistration(false));
  {
    AuthCodeLoginOptions o;
    o.timeout = Seconds(600);
    Login login(sim, Proof::kSecret, nullptr, o);
    login.authorizeUrl();
    login.clock.advance(Seconds(601));
    const Status s = login.result();
    CHECK(s.code() == Status::Code::kUnavailable);
    CHECK_THAT(s.message(), Catch::Contains("not completed within 600 s"));
    CHECK_FALSE(login.stored());
  }
  {
    Login login(sim);
    login.authorizeUrl();
    login.cancel.cancel();
    const Status s = login.result();
    CHECK(s.code() == Status::Code::kAborted);
    CHECK_FALSE(login.stored());
  }
  CHECK(sim.tokenRequests() == 0);
}

TEST_CASE(
    "auth code login: --port sets the listener and the redirect URI, a busy port is an error") {
  SignInSim sim(appRegistration(false));
  const int port = freePort();
  AuthCodeLoginOptions o;
  o.port = port;
  {
    Login login(sim, Proof::kSecret, nullptr, o);
    CHECK(queryOf(login.authorizeUrl())["redirect_uri"] ==
          "http://localhost:" + std::to_string(port) + "/");
    // With stdin closed at once (a script), the browser still can answer.
    ::close(login.paste[1]);
    login.paste[1] = -1;
    CHECK(visitAuthorize(login.authorizeUrl()).landing_status == 200);
    REQUIRE(login.result());
  }
  Poco::Net::ServerSocket busy(Poco::Net::SocketAddress("127.0.0.1", 0));
  o.port = busy.address().port();
  HttpClient http;
  TempDir dir;
  TokenProvider tokens(simCredentials(sim, dir.file("rt"), Proof::kSecret), http, sim.clock);
  Cancellation cancel;
  LineSink out;
  ManualClock clock(kSignInNow);
  const Status s = authCodeLogin(o, tokens, clock, cancel, out.tell());
  REQUIRE_FALSE(s);
  CHECK_THAT(s.message(), Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(o.port)));
}

TEST_CASE("auth code login: a public client is not signed in with the authorization code") {
  SignInSim sim(appRegistration(true));
  HttpClient http;
  TempDir dir;
  TokenProvider tokens(simCredentials(sim, dir.file("rt"), Proof::kNone), http, sim.clock);
  Cancellation cancel;
  LineSink out;
  ManualClock clock(kSignInNow);
  const Status s = authCodeLogin({}, tokens, clock, cancel, out.tell());
  REQUIRE_FALSE(s);
  CHECK_THAT(s.message(), Catch::Contains("device code"));
  CHECK(out.text().empty());
  CHECK(sim.tokenRequests() == 0);
}
