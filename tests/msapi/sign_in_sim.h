// SPDX-License-Identifier: Apache-2.0
// The simulated Entra ID (with Partner Center and Graph) for the sign-in tests: app settings as
// LoginOptions, a certificate made with openssl, credentials as the daemon builds them, and the
// number of token requests the simulator saw.
#pragma once

#include <cstdlib>
#include <string>

#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "msapi/token_provider.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace cspwatch::testing {

inline const Timestamp kSignInNow = *parseTimestamp("2026-11-25T00:00:00Z");
inline const std::string kSignInClient = "11111111-2222-4333-8444-555555555555";
inline const std::string kSignInSecret = "s3cret-for-tests";

// A key pair and a self-signed certificate made with the openssl command.
struct TestCertificate {
  TempDir dir;
  std::string key, cert;
  TestCertificate() {
    key = dir.file("key.pem");
    cert = dir.file("cert.pem");
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cspwatch-test -keyout " + key +
        " -out " + cert + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
};

// The app registration as Entra holds it: `public_client_flows` is "Allow public client flows".
inline sim::LoginOptions appRegistration(bool public_client_flows,
                                         const std::string& cert_pem = "") {
  sim::LoginOptions o{kSignInClient, kSignInSecret, Seconds(3600), Seconds(60), cert_pem, true};
  o.allow_public_client_flows = public_client_flows;
  return o;
}

struct SignInSim {
  ManualClock clock{kSignInNow};
  sim::LoginService login;
  sim::SimApi api;
  sim::SimServer server;
  std::string base;
  std::string partner;   // the partner tenant
  std::string customer;  // a customer tenant

  // `threads`: the server's, hence the most requests it answers at once.
  explicit SignInSim(sim::LoginOptions options, int threads = 4)
      : login(std::move(options), 5),
        api(sim::generateWorld(12, 5, kSignInNow), login, clock),
        server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, threads));
    partner = api.world().partner.tenant_id;
    for (const auto& t : api.world().tenants)
      if (t.id != partner) {
        customer = t.id;
        break;
      }
  }
  // Requests to the token endpoint so far.
  int64_t tokenRequests() {
    return parseObject(api.statsJson())
        ->getObject("requests")
        ->optValue<int64_t>("POST /login/{tenant}/oauth2/v2.0/token", 0);
  }
};

enum class Proof { kNone, kSecret, kCertificate };

// Credentials as the daemon builds them from a config whose URLs point at `sim`: a public client
// (kNone) or a confidential app with a secret or the certificate.
inline msapi::Credentials simCredentials(const SignInSim& sim,
                                         const std::string& refresh_token_file, Proof proof,
                                         const TestCertificate* cert = nullptr) {
  msapi::Credentials c;
  c.login_url = sim.base + "/login";
  c.client_id = kSignInClient;
  c.refresh_token_file = refresh_token_file;
  c.partner_center_url = sim.base + "/pc";
  c.graph_url = sim.base + "/graph";
  c.partner_tenant_id = sim.partner;
  c.public_client = proof == Proof::kNone;
  c.retry_base = std::chrono::milliseconds(1);
  if (proof == Proof::kSecret) c.client_secret = kSignInSecret;
  if (proof == Proof::kCertificate) {
    REQUIRE(cert != nullptr);
    c.certificate_file = cert->cert;
    c.key_file = cert->key;
  }
  return c;
}

}  // namespace cspwatch::testing
