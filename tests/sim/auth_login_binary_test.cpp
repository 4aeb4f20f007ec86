// SPDX-License-Identifier: Apache-2.0
// The real `cspwatch auth login` against the simulated Entra ID, end to end: the test plays the
// partner user's browser (or pastes the redirected address on the command's stdin, as over SSH),
// and the cspwatch-sim binary's sign-in flags.
#include <csignal>
#include <optional>

#include <Poco/URI.h>
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "sim/setup_files.h"
#include "tests/support/browser.h"
#include "tests/support/cli_runner.h"
#include "tests/support/interactive_process.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using namespace cspwatch::testing;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kClient = "11111111-2222-4333-8444-555555555555";
const std::string kSecret = "s3cret-end-to-end";
constexpr auto kWait = std::chrono::seconds(60);

// The simulator in-process, and a cspwatch config for it written as `--write-config` does.
struct LoginWorld {
  TempDir dir;
  ManualClock clock{kNow};
  sim::LoginService login;
  sim::SimApi api;
  sim::SimServer server;
  std::string config;

  LoginWorld(bool public_client_flows, bool public_client_config, bool deny_consent = false)
      : login(options(public_client_flows, deny_consent), 11),
        api(sim::generateWorld(10, 11, kNow), login, clock),
        server(api) {
    const std::string base = "http://127.0.0.1:" + std::to_string(server.start(0, 4));
    config = dir.file("cspwatch.yaml");
    sim::SetupFiles setup{config,
                          base,
                          kClient,
                          kSecret,
                          login.issueRefreshToken(kNow, public_client_config),
                          sourcePath("etc/rules.d"),
                          public_client_config};
    REQUIRE(sim::writeSetupFiles(setup, api.world()));
    ::unlink(dir.file("refresh_token").c_str());  // not signed in yet
  }
  static sim::LoginOptions options(bool flows, bool deny) {
    sim::LoginOptions o{kClient, kSecret, Seconds(3600), Seconds(60), "", true};
    o.allow_public_client_flows = flows;
    o.deny_consent = deny;
    return o;
  }
  std::optional<std::string> refreshToken() const {
    if (::access(dir.file("refresh_token").c_str(), F_OK) != 0) return std::nullopt;
    return std::string(trim(readFile(dir.file("refresh_token"))));
  }
  int mode() const {
    struct stat st {};
    REQUIRE(::stat(dir.file("refresh_token").c_str(), &st) == 0);
    return static_cast<int>(st.st_mode & 0777);
  }
};

std::string codeIn(const std::string& location) {
  for (const auto& [k, v] : Poco::URI(location).getQueryParameters())
    if (k == "code") return v;
  return "";
}

std::string waitForUrl(InteractiveProcess& p) {
  const std::string url = p.out().waitFor(authorizeUrlIn, kWait);
  INFO(p.out().text() << p.err().text());
  REQUIRE_FALSE(url.empty());
  return url;
}

}  // namespace

TEST_CASE(
    "auth login binary: a confidential app signs in through the loopback redirect, the test "
    "playing the browser") {
  for (bool flows : {false, true}) {  // "Allow public client flows" does not matter to it
    INFO("public client flows " << flows);
    LoginWorld w(flows, false);
    InteractiveProcess p("cspwatch", {"--config", w.config, "auth", "login", "--timeout", "2m"});
    const std::string url = waitForUrl(p);
    BrowserVisit visit = visitAuthorize(url);
    CHECK(visit.authorize_status == 302);
    CHECK(startsWith(visit.location, "http://localhost:"));
    CHECK(visit.landing_status == 200);
    CHECK_THAT(visit.landing_body, Catch::Contains("Signed in"));
    REQUIRE(p.waitExit(kWait) == 0);
    const std::string out = p.out().text(), err = p.err().text();
    INFO(out << err);
    CHECK_THAT(out, Catch::Contains("Signed in. The refresh token is stored in"));
    const auto rt = w.refreshToken();
    REQUIRE(rt);
    CHECK(w.mode() == 0600);
    const std::string code = codeIn(visit.location);
    REQUIRE_FALSE(code.empty());
    for (const std::string& shown : {out, err, visit.landing_body}) {
      CHECK(shown.find(*rt) == std::string::npos);
      CHECK(shown.find(code) == std::string::npos);
      CHECK(shown.find(kSecret) == std::string::npos);
    }
    // The stored token works for App+User calls, refreshed with the secret.
    auto status = cliRun({"--config", w.config, "auth", "status"});
    INFO(status.out << status.err);
    CHECK(status.code == 0);
    CHECK_THAT(status.out, Catch::Contains("ok      Partner Center, App+User"));
  }
}

TEST_CASE("auth login binary: the redirected address pasted on stdin signs in (over SSH)") {
  LoginWorld w(false, false);
  InteractiveProcess p("cspwatch", {"--config", w.config, "auth", "login", "--timeout", "2m"});
  const std::string url = waitForUrl(p);
  // The invitation to paste comes on a line after the address: wait for it, as a user would.
  const std::string kPaste = "paste it here and press Enter";
  CHECK_FALSE(p.out()
                  .waitFor(
                      [&kPaste](const std::string& text) {
                        return text.find(kPaste) == std::string::npos ? std::string() : kPaste;
                      },
                      kWait)
                  .empty());
  // The laptop's browser could not reach the server's localhost: the user copies the address.
  BrowserVisit visit = visitAuthorize(url, false);
  REQUIRE(visit.authorize_status == 302);
  p.writeStdin(visit.location + "\n");
  REQUIRE(p.waitExit(kWait) == 0);
  REQUIRE(w.refreshToken());
  CHECK(w.mode() == 0600);
}

TEST_CASE("auth login binary: consent declined, or Ctrl-C while waiting, stores nothing") {
  {
    LoginWorld w(false, false, true);
    InteractiveProcess p("cspwatch", {"--config", w.config, "auth", "login", "--timeout", "2m"});
    BrowserVisit visit = visitAuthorize(waitForUrl(p));
    CHECK(visit.landing_status == 400);
    CHECK(p.waitExit(kWait) == 1);
    CHECK_THAT(p.err().text(), Catch::Contains("access_denied"));
    CHECK_THAT(p.err().text(), Catch::Contains("AADSTS65004"));
    CHECK_FALSE(w.refreshToken());
  }
  {
    LoginWorld w(false, false);
    InteractiveProcess p("cspwatch", {"--config", w.config, "auth", "login"});
    waitForUrl(p);
    p.signal(SIGINT);
    CHECK(p.waitExit(kWait) == 1);
    CHECK_THAT(p.err().text(), Catch::Contains("sign-in cancelled"));
    CHECK_FALSE(w.refreshToken());
  }
}

TEST_CASE(
    "auth login binary: a public client signs in with the device code, and only if the app allows "
    "public client flows") {
  for (bool flows : {true, false}) {
    INFO("public client flows " << flows);
    LoginWorld w(flows, true);
    CHECK_THAT(readFile(w.config), Catch::Contains("public_client: true"));
    InteractiveProcess p("cspwatch",
                         {"--config", w.config, "auth", "login", "--poll-interval", "0"});
    const int code = p.waitExit(kWait);
    const std::string out = p.out().text(), err = p.err().text();
    INFO(out << err);
    CHECK_THAT(out, Catch::Contains("https://microsoft.com/devicelogin"));
    CHECK(authorizeUrlIn(out).empty());  // no authorization code for a public client
    if (flows) {
      CHECK(code == 0);
      REQUIRE(w.refreshToken());
      CHECK(w.mode() == 0600);
      // Every check signs in as the partner user, without a secret.
      auto status = cliRun({"--config", w.config, "auth", "status"});
      INFO(status.out << status.err);
      CHECK(status.code == 0);
    } else {
      CHECK(code == 1);
      CHECK_THAT(err, Catch::Contains("AADSTS7000218"));
      CHECK_THAT(err, Catch::Contains("Allow public client flows"));
      CHECK_FALSE(w.refreshToken());
    }
  }
}

TEST_CASE(
    "sim binary: --public-client writes public_client: true with no secret, and the refresh "
    "token of a public client") {
  TempDir dir;
  InteractiveProcess sim(
      "cspwatch-sim",
      {"--generate", "8", "--now", "2026-11-25T00:00:00Z", "--write-config",
       dir.file("cspwatch.yaml"), "--rules-path", sourcePath("etc/rules.d"), "--public-client"});
  REQUIRE_FALSE(sim.out()
                    .waitFor(
                        [](const std::string& t) {
                          return t.find("listening on") != std::string::npos ? t : "";
                        },
                        kWait)
                    .empty());
  const std::string config = readFile(dir.file("cspwatch.yaml"));
  CHECK_THAT(config, Catch::Contains("    public_client: true\n"));
  CHECK(config.find("client_secret") == std::string::npos);
  CHECK(::access(dir.file("client_secret").c_str(), F_OK) != 0);
  auto check = cliRun({"--config", dir.file("cspwatch.yaml"), "config", "check"});
  INFO(check.out << check.err);
  CHECK(check.code == 0);
  // The written refresh token refreshes without a secret; app-only checks fall back to it.
  auto status = cliRun({"--config", dir.file("cspwatch.yaml"), "auth", "status"});
  INFO(status.out << status.err);
  CHECK(status.code == 0);
  CHECK(status.out.find("FAILED") == std::string::npos);
}

TEST_CASE("auth login binary: --port and --timeout are checked before anything starts") {
  LoginWorld w(false, false);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--timeout", "soon"}, {"--timeout", "0s"}, {"--port", "70000"}}) {
    std::vector<std::string> args{"--config", w.config, "auth", "login"};
    args.insert(args.end(), bad.begin(), bad.end());
    auto r = cliRun(args);
    INFO(r.err);
    CHECK(r.code == 2);
  }
  CHECK_FALSE(w.refreshToken());
}
