// SPDX-License-Identifier: Apache-2.0
// `cspwatch auth login` for a public client: the device code, against the simulated Entra ID.
#include "msapi/device_login.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "common/text.h"
#include "tests/msapi/sign_in_sim.h"
#include "tests/support/line_sink.h"

using namespace cspwatch;
using namespace cspwatch::msapi;
using namespace cspwatch::testing;

namespace {

DeviceLoginOptions deviceOptions(const SignInSim& sim, const std::string& file) {
  DeviceLoginOptions o;
  o.login_url = sim.base + "/login";
  o.tenant = sim.partner;
  o.client_id = kSignInClient;
  o.refresh_token_file = file;
  o.partner_center_url = sim.base + "/pc";
  o.poll_seconds = 0;
  return o;
}

}  // namespace

TEST_CASE("device login: a public client signs in with no secret and gets a public refresh token") {
  SignInSim sim(appRegistration(true));
  TempDir dir;
  HttpClient http;
  Cancellation cancel;
  LineSink out;
  const std::string file = dir.file("refresh_token");
  const Status s = deviceLogin(deviceOptions(sim, file), http, sim.clock, cancel, out.tell());
  INFO(s.message());
  REQUIRE(s);
  CHECK_THAT(out.text(), Catch::Contains("https://microsoft.com/devicelogin"));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string rt(trim(readFile(file)));
  CHECK(out.text().find(rt) == std::string::npos);
  // The token is a public client's: it refreshes without a credential, and Entra refuses it
  // with one (AADSTS700025).
  TokenProvider as_public(simCredentials(sim, file, Proof::kNone), http, sim.clock);
  auto ok = as_public.userToken(sim.partner, Audience::kPartnerCenter);
  INFO(ok.status().message());
  CHECK(ok);
  TokenProvider with_secret(simCredentials(sim, file, Proof::kSecret), http, sim.clock);
  auto refused = with_secret.userToken(sim.partner, Audience::kPartnerCenter);
  REQUIRE_FALSE(refused);
  CHECK(refused.status().code() == Status::Code::kUnauthenticated);
  CHECK_THAT(refused.status().message(), Catch::Contains("AADSTS700025"));
}

TEST_CASE(
    "device login: an app that does not allow public client flows is refused at the first poll "
    "(AADSTS7000218)") {
  SignInSim sim(appRegistration(false));
  TempDir dir;
  HttpClient http;
  Cancellation cancel;
  LineSink out;
  const std::string file = dir.file("refresh_token");
  const Status s = deviceLogin(deviceOptions(sim, file), http, sim.clock, cancel, out.tell());
  REQUIRE_FALSE(s);
  // The device code itself was given: the refusal comes at the token poll.
  CHECK_THAT(out.text(), Catch::Contains("https://microsoft.com/devicelogin"));
  CHECK_THAT(s.message(), Catch::Contains("(invalid_client): AADSTS7000218"));
  CHECK_THAT(s.message(), Catch::Contains("Allow public client flows"));
  CHECK_THAT(s.message(), Catch::Contains("public_client: false"));
  CHECK(s.message().find("Trace ID") == std::string::npos);
  CHECK(::access(file.c_str(), F_OK) != 0);
  CHECK(sim.tokenRequests() == 1);  // one poll, then no more
}
