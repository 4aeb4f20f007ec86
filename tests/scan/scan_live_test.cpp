// SPDX-License-Identifier: Apache-2.0
// A scan over the live data path against the simulator, with faults on: the findings must
// equal the simulator's truth exactly.
#include <future>
#include <set>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/text.h"
#include "sim/api.h"
#include "sim/generator.h"
#include "sim/server.h"
#include "sim/truth.h"
#include "tests/support/browser.h"
#include "tests/support/cli_runner.h"
#include "tests/support/line_sink.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::testing::TempDir;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T00:00:00Z");
const std::string kClient = "11111111-2222-4333-8444-555555555555";

struct LiveSim {
  TempDir dir;
  SystemClock clock;  // real time, so tokens really expire during the scan
  sim::LoginService login;
  sim::FaultInjector faults;
  sim::SimApi api;
  sim::SimServer server;
  std::string config;

  LiveSim(sim::World world, sim::FaultOptions fault_options, int token_lifetime_s)
      : login(
            sim::LoginOptions{kClient, "s3cret", Seconds(token_lifetime_s), Seconds(60), "", true},
            17),
        faults(fault_options),
        api(std::move(world), login, clock, &faults),
        server(api) {
    const std::string base = "http://127.0.0.1:" + std::to_string(server.start(0, 16));
    REQUIRE(writeFileAtomically(dir.file("client_secret"), "s3cret\n", 0600));
    REQUIRE(writeFileAtomically(dir.file("refresh_token"),
                                login.issueRefreshToken(clock.now()) + "\n", 0600));
    REQUIRE(writeFileAtomically(dir.file("inventory.json"), sim::inventoryJson(api.world()), 0644));
    const PartnerIdentity& p = api.world().partner;
    config = dir.write("cspwatch.yaml",
                       "partner:\n"
                       "  name: " +
                           p.name +
                           "\n"
                           "  tenant_id: " +
                           p.tenant_id +
                           "\n"
                           "  distributor_tenant_ids: [" +
                           p.distributor_tenant_ids[0] +
                           "]\n"
                           "  trusted_partner_tenant_ids: [" +
                           p.trusted_partner_tenant_ids[0] +
                           "]\n"
                           "  email_domains: [" +
                           p.email_domains[0] +
                           "]\n"
                           "sources:\n"
                           "  partner_center:\n"
                           "    login_url: " +
                           base +
                           "/login\n"
                           "    partner_center_url: " +
                           base +
                           "/pc\n"
                           "    graph_url: " +
                           base +
                           "/graph\n"
                           "    client_id: " +
                           kClient +
                           "\n"
                           "    client_secret_file: client_secret\n"
                           "    refresh_token_file: refresh_token\n"
                           "    concurrency: 16\n"
                           "    retry_backoff_ms: 20\n"
                           "    pc_requests_per_minute: 600000\n"
                           "    graph_requests_per_10s: 100000\n"
                           "  inventory:\n"
                           "    path: inventory.json\n"
                           "storage:\n"
                           "  path: cspwatch.db\n"
                           "rules:\n"
                           "  paths: [" +
                           testing::sourcePath("etc/rules.d") + "]\n");
  }
};

std::set<std::string> scanFindings(const std::string& config) {
  auto r = testing::cliRun({"--config", config, "scan", "--once", "--dry-run", "--format", "json",
                            "--now", formatTimestamp(kNow)});
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto doc = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
  auto list = doc->getArray("findings");
  std::set<std::string> out;
  for (size_t i = 0; i < list->size(); ++i) {
    auto f = list->getObject(i);
    const std::string outcome = f->getValue<std::string>("outcome");
    out.insert(f->getValue<std::string>("rule") + " " + f->getValue<std::string>("tenant_id") +
               " " + (outcome == "fail" ? f->getValue<std::string>("subject") : "") + " " +
               outcome);
  }
  return out;
}

std::set<std::string> truthOf(const sim::World& world) {
  std::set<std::string> out;
  for (const auto& e : sim::computeTruth(world, kNow))
    out.insert(e.rule + " " + e.tenant_id + " " + e.subject + " " + e.outcome);
  return out;
}

void compare(const std::set<std::string>& scan, const std::set<std::string>& truth) {
  std::vector<std::string> only_scan, only_truth;
  std::set_difference(scan.begin(), scan.end(), truth.begin(), truth.end(),
                      std::back_inserter(only_scan));
  std::set_difference(truth.begin(), truth.end(), scan.begin(), scan.end(),
                      std::back_inserter(only_truth));
  INFO("only in the scan: " << only_scan.size()
                            << (only_scan.empty() ? "" : ", e.g. " + only_scan[0]));
  INFO("only in the truth: " << only_truth.size()
                             << (only_truth.empty() ? "" : ", e.g. " + only_truth[0]));
  CHECK(only_scan.empty());
  CHECK(only_truth.empty());
}

}  // namespace

TEST_CASE("live scan: the demo world through Partner Center and Graph gives exactly the truth") {
  sim::World world = *sim::loadWorld(testing::sourcePath("etc/demo/world.json"));
  LiveSim sim(world, sim::FaultOptions{}, 3600);
  compare(scanFindings(sim.config), truthOf(world));
}

TEST_CASE(
    "live scan: 500 tenants with 5xx, drops, truncation, 429s and expiring tokens equal the "
    "truth") {
  sim::World world = sim::generateWorld(500, 2026, kNow);
  sim::FaultOptions faults;
  faults.seed = 99;
  faults.server_error = 0.03;
  faults.drop = 0.02;
  faults.truncate = 0.02;
  faults.expired_token = 0.02;
  faults.throttle = 0.01;
  faults.pc_per_minute = 600000;
  faults.graph_per_10s = 100000;
  LiveSim sim(world, faults, 2);  // access tokens last 2 s: they expire mid-scan
  const std::set<std::string> truth = truthOf(world);
  compare(scanFindings(sim.config), truth);
  // The faults really happened.
  auto stats = Poco::JSON::Parser().parse(sim.api.statsJson()).extract<Poco::JSON::Object::Ptr>();
  CHECK(stats->optValue<int>("faults_server_error", 0) > 0);
  CHECK(stats->optValue<int>("faults_dropped_connection", 0) > 0);
  CHECK(stats->optValue<int>("faults_truncated_body", 0) > 0);
  CHECK(stats->optValue<int>("faults_expired_token", 0) > 0);
  CHECK(stats->optValue<int>("throttled_429", 0) > 0);
  // Tenants the simulator denies are unknown for the rules that need the denied part.
  size_t unknown = 0;
  for (const auto& t : truth) unknown += t.size() > 8 && t.substr(t.size() - 7) == "unknown";
  CHECK(unknown > 0);
}

TEST_CASE("live scan: no secret or token appears in any log line, even at trace level") {
  sim::World world = *sim::loadWorld(testing::sourcePath("etc/demo/world.json"));
  LiveSim sim(world, sim::FaultOptions{}, 3600);
  const std::string first_refresh(trim(testing::readFile(sim.dir.file("refresh_token"))));
  std::ostringstream captured;
  addLogStream(captured);
  auto r = testing::cliRun({"--log-level", "trace", "--config", sim.config, "scan", "--once",
                            "--dry-run", "--now", formatTimestamp(kNow)});
  removeLogStreams();
  setupLogging({spdlog::level::warn, false});
  REQUIRE(r.code == 0);
  const std::string logged = captured.str() + r.err;
  const std::string rotated(trim(testing::readFile(sim.dir.file("refresh_token"))));
  INFO(logged.substr(0, 2000));
  CHECK_THAT(logged, Catch::Contains("GET http://127.0.0.1:"));  // trace really logged requests
  CHECK_THAT(logged, Catch::Contains("signed in to tenant"));    // and sign-ins
  CHECK(rotated != first_refresh);                               // the token did rotate
  CHECK(logged.find("s3cret") == std::string::npos);
  CHECK(logged.find(first_refresh) == std::string::npos);
  CHECK(logged.find(rotated) == std::string::npos);
  CHECK(logged.find("at.") == std::string::npos);  // the simulator's access tokens start "at."
  CHECK(logged.find("rt.") == std::string::npos);  // and its refresh tokens "rt."
}

TEST_CASE(
    "auth login stores a refresh token from the authorization code (the test plays the "
    "browser), auth status checks every credential") {
  sim::World world = *sim::loadWorld(testing::sourcePath("etc/demo/world.json"));
  LiveSim sim(world, sim::FaultOptions{}, 3600);
  ::unlink(sim.dir.file("refresh_token").c_str());
  // `auth login` on a thread, as the command runs it; its output read while it waits.
  testing::LineSink out_lines, err_lines;
  testing::SinkStream out(out_lines), err(err_lines);
  int paste[2];
  REQUIRE(::pipe(paste) == 0);
  cli::AuthLoginOptions options;
  options.paste_fd = paste[0];
  options.timeout = Seconds(120);
  auto login = std::async(std::launch::async, [&] {
    return cli::authLogin({out, err, sim.config}, options);
  });
  const std::string url = out_lines.waitFor(testing::authorizeUrlIn);
  INFO(out_lines.text() << err_lines.text());
  REQUIRE_FALSE(url.empty());
  testing::BrowserVisit visit = testing::visitAuthorize(url);
  CHECK(visit.landing_status == 200);
  REQUIRE(login.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  CHECK(login.get() == 0);
  ::close(paste[0]);
  ::close(paste[1]);
  CHECK_THAT(out_lines.text(), Catch::Contains("Signed in."));
  struct stat st {};
  REQUIRE(::stat(sim.dir.file("refresh_token").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string stored(trim(testing::readFile(sim.dir.file("refresh_token"))));
  CHECK(out_lines.text().find(stored) == std::string::npos);

  auto status = testing::cliRun({"--config", sim.config, "auth", "status"});
  INFO(status.out);
  CHECK(status.code == 0);
  CHECK_THAT(status.out, Catch::Contains("ok      Partner Center, App+User"));
  REQUIRE(writeFileAtomically(sim.dir.file("client_secret"), "wrong-secret\n", 0600));
  auto bad = testing::cliRun({"--config", sim.config, "auth", "status"});
  CHECK(bad.code == 1);
  CHECK_THAT(bad.out, Catch::Contains("FAILED  Microsoft Graph, app-only"));
  CHECK_THAT(bad.out, Catch::Contains("invalid_client"));
  CHECK(bad.out.find("wrong-secret") == std::string::npos);
}

TEST_CASE(
    "live scan: with Partner Center and Graph unreachable, nothing passes that could not be "
    "checked") {
  TempDir dir;
  // A port nobody listens on: every call is refused.
  Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string base = "http://127.0.0.1:" + std::to_string(probe.address().port());
  probe.close();
  dir.write("client_secret", "s3cret\n");
  dir.write("inventory.csv",
            "tenant_id,name,domain,admin_email\n"
            "52eaad04-13a1-4e3b-9c2b-5f5f0e7b1a2c,Contoso,contoso.com,it@contoso.com\n"
            "6b1f0a3e-2d4c-4e8f-9a7b-1c3d5e7f9a0b,Fabrikam,fabrikam.com,csp@northwind-it.com.au\n");
  const std::string config =
      dir.write("cspwatch.yaml",
                "partner:\n  name: Northwind\n  tenant_id: 3f6d2b8e-9c41-4a7f-b2d5-1e8c7a9f0b64\n"
                "  email_domains: [northwind-it.com.au]\n"
                "sources:\n  partner_center:\n    login_url: " +
                    base + "/login\n    partner_center_url: " + base +
                    "/pc\n    graph_url: " + base + "/graph\n    client_id: " + kClient +
                    "\n    client_secret_file: client_secret\n    retry_backoff_ms: 10\n"
                    "  inventory:\n    path: inventory.csv\n"
                    "rules:\n  paths: [" +
                    testing::sourcePath("etc/rules.d") + "]\n");
  auto list = testing::cliRun({"--config", config, "tenants", "list"});
  CHECK(list.code == 0);
  CHECK_THAT(list.out, Catch::Contains("2 tenant(s)"));
  CHECK_THAT(list.err, Catch::Contains("customer list could not be read"));
  auto scan = testing::cliRun({"--config", config, "scan", "--once", "--dry-run", "--format",
                               "json", "--now", formatTimestamp(kNow)});
  REQUIRE(scan.code == 0);
  auto findings =
      Poco::JSON::Parser().parse(scan.out).extract<Poco::JSON::Object::Ptr>()->getArray("findings");
  std::set<std::string> outcomes;
  for (size_t i = 0; i < findings->size(); ++i) {
    auto f = findings->getObject(i);
    outcomes.insert(f->getValue<std::string>("rule") + ":" + f->getValue<std::string>("outcome"));
  }
  // Every rule needs a part that could not be read: each is unknown, none passes or fails.
  for (const char* rule : {"partner-not-listed", "incumbent-admin-access", "gdap-expiring",
                           "gdap-missing", "admin-email-unverified"})
    CHECK(outcomes.count(std::string(rule) + ":unknown") == 1);
  for (const auto& o : outcomes) CHECK(o.find(":fail") == std::string::npos);
}
