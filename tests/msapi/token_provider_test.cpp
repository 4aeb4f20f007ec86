// SPDX-License-Identifier: Apache-2.0
// TokenProvider against Entra's rules (the simulator): which client proof each grant carries for
// a public client and a confidential app, scopes derived from the configured URLs, and a refresh
// token Entra no longer accepts (sticky in the partner tenant, per tenant elsewhere).
#include "msapi/token_provider.h"

#include <memory>
#include <mutex>
#include <vector>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "common/text.h"
#include "sim/login.h"
#include "tests/msapi/sign_in_sim.h"

using namespace cspwatch;
using namespace cspwatch::msapi;
using namespace cspwatch::testing;

namespace {

// A token endpoint that records every form it is sent and answers with tokens (a refresh token
// too, rotating).
class FormRecorder {
 public:
  FormRecorder() : state_(std::make_shared<State>()) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    base = "http://127.0.0.1:" + std::to_string(socket.address().port());
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), socket,
                                                      new Poco::Net::HTTPServerParams());
    server_->start();
  }
  ~FormRecorder() { server_->stopAll(true); }
  std::vector<std::map<std::string, std::string>> forms() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->forms;
  }
  std::string base;

 private:
  struct State {
    std::mutex mutex;
    std::vector<std::map<std::string, std::string>> forms;
    int issued = 0;
  };
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(std::shared_ptr<State> s) : state_(std::move(s)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      std::string body;
      Poco::StreamCopier::copyToString(req.stream(), body);
      int n;
      {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->forms.push_back(sim::parseForm(body));
        n = ++state_->issued;
      }
      const std::string answer = "{\"access_token\":\"at-" + std::to_string(n) +
                                 "\",\"expires_in\":3600,\"refresh_token\":\"rt-" +
                                 std::to_string(n) + "\"}";
      resp.setContentType("application/json");
      resp.setContentLength(static_cast<std::streamsize>(answer.size()));
      resp.send() << answer;
    }

   private:
    std::shared_ptr<State> state_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(std::shared_ptr<State> s) : state_(std::move(s)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(state_);
    }

   private:
    std::shared_ptr<State> state_;
  };
  std::shared_ptr<State> state_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

const std::string kPartnerTenant = "3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64";
const std::string kCustomerTenant = "72e6dc16-14e1-4e89-9b69-c4f1cf07ab4d";

std::string simRefreshToken(SignInSim& sim, TempDir& dir, bool public_client) {
  const std::string file = dir.file("refresh_token");
  REQUIRE(writeFileAtomically(
      file, sim.login.issueRefreshToken(sim.clock.now(), public_client) + "\n", 0600));
  return file;
}

}  // namespace

TEST_CASE("token provider: scopes are derived from the configured Partner Center and Graph URLs") {
  FormRecorder server;
  TempDir dir;
  REQUIRE(writeFileAtomically(dir.file("rt"), "rt-0\n", 0600));
  ManualClock clock(kSignInNow);
  HttpClient http;
  Credentials c;
  c.login_url = server.base + "/login";
  c.client_id = kSignInClient;
  c.client_secret = "shh";
  c.refresh_token_file = dir.file("rt");
  c.partner_center_url = "https://api.partnercenter.microsoft.com/";  // a trailing slash is dropped
  c.graph_url = "https://graph.microsoft.us";                         // US Government L4
  c.partner_tenant_id = kPartnerTenant;
  CHECK(tokenScope(c, Audience::kGraph, false) == "https://graph.microsoft.us/.default");
  CHECK(tokenScope(c, Audience::kGraph, true) == "https://graph.microsoft.us/.default");
  CHECK(tokenScope(c, Audience::kPartnerCenter, false) ==
        "https://api.partnercenter.microsoft.com/.default");
  CHECK(tokenScope(c, Audience::kPartnerCenter, true) ==
        "https://api.partnercenter.microsoft.com/user_impersonation offline_access");
  TokenProvider tokens(c, http, clock);
  REQUIRE(tokens.appToken(kPartnerTenant, Audience::kGraph));
  REQUIRE(tokens.appToken(kPartnerTenant, Audience::kPartnerCenter));
  REQUIRE(tokens.userToken(kCustomerTenant, Audience::kGraph));
  REQUIRE(tokens.userToken(kPartnerTenant, Audience::kPartnerCenter));
  const auto forms = server.forms();
  REQUIRE(forms.size() == 4);
  CHECK(forms[0].at("scope") == "https://graph.microsoft.us/.default");
  CHECK(forms[1].at("scope") == "https://api.partnercenter.microsoft.com/.default");
  CHECK(forms[2].at("scope") == "https://graph.microsoft.us/.default");
  CHECK(forms[3].at("scope") ==
        "https://api.partnercenter.microsoft.com/user_impersonation offline_access");
  // A confidential app presents its secret on every grant, client credentials and refresh alike.
  for (const auto& f : forms) CHECK(f.at("client_secret") == "shh");
  CHECK(forms[0].at("grant_type") == "client_credentials");
  CHECK(forms[2].at("grant_type") == "refresh_token");
  CHECK(forms[2].at("refresh_token") == "rt-0");
  CHECK(forms[3].at("refresh_token") == "rt-3");  // rotated by the answer before
}

TEST_CASE(
    "token provider: a public client never sends a secret or assertion, and calls as the user") {
  FormRecorder server;
  TempDir dir;
  REQUIRE(writeFileAtomically(dir.file("rt"), "rt-0\n", 0600));
  ManualClock clock(kSignInNow);
  HttpClient http;
  Credentials c;
  c.login_url = server.base + "/login";
  c.client_id = kSignInClient;
  c.client_secret = "set-but-never-sent";  // e.g. CSPWATCH_CLIENT_SECRET left in the environment
  c.refresh_token_file = dir.file("rt");
  c.partner_tenant_id = kPartnerTenant;
  c.public_client = true;
  TokenProvider tokens(c, http, clock);
  // No client credentials grant for a public client: app-only calls get the user's token.
  REQUIRE(tokens.appToken(kPartnerTenant, Audience::kGraph));
  REQUIRE(tokens.appToken(kPartnerTenant, Audience::kPartnerCenter));
  REQUIRE(tokens.userToken(kCustomerTenant, Audience::kGraph));
  const auto forms = server.forms();
  REQUIRE(forms.size() == 3);
  for (const auto& f : forms) {
    CHECK(f.at("grant_type") == "refresh_token");
    CHECK(f.count("client_secret") == 0);
    CHECK(f.count("client_assertion") == 0);
    CHECK(f.count("client_assertion_type") == 0);
  }
  CHECK(forms[1].at("scope") ==
        "https://api.partnercenter.microsoft.com/user_impersonation offline_access");
  // The app-only and user tokens of a tenant are one and the same: no second request.
  CHECK(*tokens.userToken(kPartnerTenant, Audience::kGraph) ==
        *tokens.appToken(kPartnerTenant, Audience::kGraph));
  CHECK(server.forms().size() == 3);
}

TEST_CASE(
    "token provider: each client kind, app setting and refresh token kind, with and without a "
    "secret or certificate") {
  TestCertificate cert;
  const std::string pem = readFile(cert.cert);
  // {config public_client} x {proof} x {Allow public client flows} x {refresh token issued by a
  // public (device code) or a confidential (authorization code) sign-in}.
  for (Proof proof : {Proof::kNone, Proof::kSecret, Proof::kCertificate})
    for (bool flows : {true, false})
      for (bool public_token : {true, false}) {
        const bool public_config = proof == Proof::kNone;
        INFO("proof " << static_cast<int>(proof) << ", public client flows " << flows
                      << ", refresh token of a " << (public_token ? "public" : "confidential")
                      << " client");
        SignInSim sim(appRegistration(flows, pem));
        TempDir dir;
        const std::string rt_file = simRefreshToken(sim, dir, public_token);
        const std::string first(trim(readFile(rt_file)));
        HttpClient http;
        TokenProvider tokens(simCredentials(sim, rt_file, proof, &cert), http, sim.clock);
        auto user = tokens.userToken(sim.partner, Audience::kPartnerCenter);
        // Entra's rules: a public refresh token is redeemed without a credential by an app that
        // allows public client flows; a confidential one only with the app's credential.
        const bool ok = public_config ? public_token && flows : !public_token;
        REQUIRE(user.isOk() == ok);
        if (ok) {
          CHECK(std::string(trim(readFile(rt_file))) != first);  // rotated and stored
          // The user token really acts for the user: an App+User-only call works.
          auto rr = httpRequest("GET", sim.base + "/pc/v1/customers/relationshiprequests",
                                {{"Authorization", "Bearer " + *user}});
          CHECK(rr.status == 200);
        } else {
          const Status s = user.status();
          CHECK(s.code() == Status::Code::kUnauthenticated);
          CHECK_THAT(s.message(), Catch::Contains("invalid_client"));
          CHECK_THAT(s.message(),
                     Catch::Contains(public_config ? "AADSTS7000218" : "AADSTS700025"));
          CHECK_THAT(s.message(), Catch::Contains("cspwatch auth login"));
          CHECK(s.message().find(first) == std::string::npos);
          CHECK(s.message().find(kSignInSecret) == std::string::npos);
          CHECK(s.message().find("Trace ID") == std::string::npos);
          REQUIRE(tokens.userSignInFailure());
          CHECK(tokens.userSignInFailure()->message() == s.message());
        }
        // App-only: client credentials for a confidential app whatever its refresh token; the
        // partner user's token for a public client.
        const int64_t before = sim.tokenRequests();
        auto app = tokens.appToken(sim.partner, Audience::kGraph);
        if (!public_config) {
          CHECK(app);
          CHECK(sim.tokenRequests() == before + 1);
        } else {
          CHECK(app.isOk() == ok);
          CHECK(sim.tokenRequests() == before + (ok ? 1 : 0));  // a sticky failure asks nothing
        }
      }
}

TEST_CASE(
    "token provider: a refresh token Entra no longer accepts in the partner tenant is one "
    "kUnauthenticated error that names cspwatch auth login") {
  struct Case {
    const char* fail;
    const char* code;
    const char* error;
    const char* text;  // the start of Entra's first line
  };
  for (const Case& k :
       {Case{"700082", "AADSTS700082", "invalid_grant",
             "The refresh token has expired due to inactivity."},
        Case{"70043", "AADSTS70043", "invalid_grant",
             "The refresh token has expired or is invalid due to sign-in frequency"},
        Case{"50173", "AADSTS50173", "invalid_grant",
             "The provided grant has expired due to it being revoked"},
        Case{"interaction_required", "AADSTS50076", "interaction_required",
             "Due to a configuration change made by your administrator"}}) {
    for (Proof proof : {Proof::kSecret, Proof::kNone}) {
      INFO(k.fail << (proof == Proof::kNone ? ", public client" : ", confidential app"));
      auto options = appRegistration(true);
      SignInSim sim(options);
      TempDir dir;
      const std::string rt_file = simRefreshToken(sim, dir, proof == Proof::kNone);
      const std::string rt(trim(readFile(rt_file)));
      // The simulator's hook, as a test reaches it over HTTP.
      REQUIRE(httpRequest("POST", sim.base + "/_sim/refresh-tokens?fail=" + k.fail).status == 200);
      HttpClient http;
      TokenProvider tokens(simCredentials(sim, rt_file, proof), http, sim.clock);
      CHECK_FALSE(tokens.userSignInFailure());
      auto first = tokens.userToken(sim.partner, Audience::kPartnerCenter);
      REQUIRE_FALSE(first);
      CHECK(sim.tokenRequests() == 1);
      const Status s = first.status();
      CHECK(s.code() == Status::Code::kUnauthenticated);
      CHECK_THAT(s.message(), Catch::Contains("run 'cspwatch auth login'"));
      CHECK_THAT(s.message(), Catch::Contains("Only a new interactive sign-in fixes this"));
      CHECK_THAT(s.message(), Catch::Contains(std::string(k.code) + ": " + k.text));
      CHECK_THAT(s.message(), Catch::Contains(std::string("(") + k.error + ")"));
      // Entra's first line only: no trace lines, no token, no secret.
      CHECK(s.message().find("Trace ID") == std::string::npos);
      CHECK(s.message().find("Correlation ID") == std::string::npos);
      CHECK(s.message().find(rt) == std::string::npos);
      CHECK(s.message().find("rt.") == std::string::npos);
      CHECK(s.message().find(kSignInSecret) == std::string::npos);
      // Sticky: every later user token, in any tenant, fails the same way without asking.
      for (int i = 0; i < 3; ++i) {
        auto again = tokens.userToken(i == 0 ? sim.customer : sim.partner,
                                      i == 1 ? Audience::kPartnerCenter : Audience::kGraph);
        REQUIRE_FALSE(again);
        CHECK(again.status().code() == Status::Code::kUnauthenticated);
        CHECK(again.status().message() == s.message());
      }
      if (proof == Proof::kNone) {
        // A public client's app-only calls are the user's: the same failure.
        auto app = tokens.appToken(sim.customer, Audience::kGraph);
        REQUIRE_FALSE(app);
        CHECK(app.status().message() == s.message());
      }
      CHECK(sim.tokenRequests() == 1);
      REQUIRE(tokens.userSignInFailure());
      CHECK(tokens.userSignInFailure()->message() == s.message());
      // The refresh token file is left as it was: only a new sign-in replaces it.
      CHECK(std::string(trim(readFile(rt_file))) == rt);
    }
  }
}

TEST_CASE(
    "token provider: a refresh token refused in a customer tenant is that tenant's error only") {
  SignInSim sim(appRegistration(false));
  TempDir dir;
  const std::string rt_file = simRefreshToken(sim, dir, false);
  HttpClient http;
  TokenProvider tokens(simCredentials(sim, rt_file, Proof::kSecret), http, sim.clock);
  sim.login.setRefreshFailure(sim::RefreshFailure::kInteractionRequired);  // e.g. the customer's
                                                                           // Conditional Access
  auto customer = tokens.userToken(sim.customer, Audience::kGraph);
  REQUIRE_FALSE(customer);
  CHECK(customer.status().code() != Status::Code::kUnauthenticated);
  CHECK_THAT(customer.status().message(), Catch::Contains(sim.customer));
  CHECK_THAT(customer.status().message(), Catch::Contains("AADSTS50076"));
  CHECK_FALSE(tokens.userSignInFailure());
  CHECK(sim.tokenRequests() == 1);
  // The next tenant is asked again: nothing sticky.
  auto again = tokens.userToken(sim.customer, Audience::kGraph);
  REQUIRE_FALSE(again);
  CHECK(sim.tokenRequests() == 2);
  sim.login.setRefreshFailure(sim::RefreshFailure::kNone);
  auto partner = tokens.userToken(sim.partner, Audience::kPartnerCenter);
  INFO(partner.status().message());
  CHECK(partner);
  CHECK(sim.tokenRequests() == 3);
}

TEST_CASE("token provider: other refusals of the partner tenant's refresh token are not sticky") {
  SignInSim sim(appRegistration(false));
  TempDir dir;
  const std::string rt_file = simRefreshToken(sim, dir, false);
  HttpClient http;
  Credentials c = simCredentials(sim, rt_file, Proof::kSecret);
  c.client_secret = "wrong";  // invalid_client AADSTS7000215: the app's secret, not the sign-in
  TokenProvider tokens(c, http, sim.clock);
  auto r = tokens.userToken(sim.partner, Audience::kPartnerCenter);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.status().message(), Catch::Contains("AADSTS7000215"));
  CHECK(r.status().code() != Status::Code::kUnauthenticated);
  CHECK_FALSE(tokens.userSignInFailure());
  CHECK(r.status().message().find("wrong") == std::string::npos);
}
