// SPDX-License-Identifier: Apache-2.0
// GraphMailTransport against the simulator over real HTTP on 127.0.0.1: delivery byte for byte,
// refusals that are permanent, faults that are not, the one fresh token after a 401, and no
// secret or token in any reply.
#include "alerts/graph_mail_transport.h"

#include <regex>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include "alerts/mail_message.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "msapi/configured_credentials.h"
#include "sim/api.h"
#include "sim/server.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

using namespace cspwatch;
using cspwatch::alerts::GraphMailTransport;
using cspwatch::testing::TempDir;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T06:00:00Z");
const std::string kClient = "11111111-2222-4333-8444-555555555555";
const std::string kSecret = "s3cret-graph-mail-value";
const std::string kAlerts = "alerts@northwind-it.com.au";
const std::string kAlertsId = "6a0b7c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d";
const std::string kRefused = "ceo@northwind-it.com.au";

// The demo world with the partner tenant's mailboxes: the alerts mailbox, and one an
// application access policy keeps our app out of.
sim::World mailWorld(bool with_mailboxes = true) {
  sim::World world = *sim::loadWorld(testing::sourcePath("etc/demo/world.json"));
  if (with_mailboxes)
    world.mailboxes = std::vector<sim::Mailbox>{{kAlerts, kAlertsId, true}, {kRefused, "", false}};
  return world;
}

// What config::makeTransport does for `transport: graph`: the app's credentials as the
// configuration gives them (the secret file read), then the transport.
Result<std::unique_ptr<GraphMailTransport>> createFrom(const msapi::PartnerCenterConfig& pc,
                                                       const std::string& tenant,
                                                       const std::string& mailbox) {
  auto configured = msapi::configuredCredentials(pc, tenant);
  if (!configured) return configured.status();
  return GraphMailTransport::create(std::move(configured->credentials),
                                    {mailbox, pc.graph_url, {}});
}

// A simulator serving login and Graph without faults; faulty() adds a second Graph front end
// sharing its sign-ins, whose every request meets the given fault.
struct MailSim {
  TempDir dir;
  SystemClock clock;
  sim::LoginService login{sim::LoginOptions{kClient, kSecret, Seconds(3600), Seconds(60), "", true},
                          7};
  sim::SimApi api;
  sim::SimServer server;
  std::string base;
  std::unique_ptr<sim::FaultInjector> faults;
  std::unique_ptr<sim::SimApi> faulty_api;
  std::unique_ptr<sim::SimServer> faulty_server;

  explicit MailSim(sim::World world) : api(std::move(world), login, clock), server(api) {
    base = "http://127.0.0.1:" + std::to_string(server.start(0, 4));
    REQUIRE(writeFileAtomically(dir.file("client_secret"), kSecret + "\n", 0600));
  }

  msapi::PartnerCenterConfig config(const std::string& graph_base = "") const {
    msapi::PartnerCenterConfig pc;
    pc.login_url = base + "/login";
    pc.graph_url = (graph_base.empty() ? base : graph_base) + "/graph";
    pc.client_id = kClient;
    pc.client_secret_file = dir.file("client_secret");
    pc.backoff_base = std::chrono::milliseconds(1);
    return pc;
  }

  // The base URL of a Graph front end where every request meets the faults in `options`.
  std::string faulty(sim::FaultOptions options) {
    faults = std::make_unique<sim::FaultInjector>(options);
    faulty_api = std::make_unique<sim::SimApi>(api.world(), login, clock, faults.get());
    faulty_server = std::make_unique<sim::SimServer>(*faulty_api);
    return "http://127.0.0.1:" + std::to_string(faulty_server->start(0, 4));
  }

  std::unique_ptr<GraphMailTransport> transport(const std::string& mailbox,
                                                const std::string& graph_base = "",
                                                const std::string& tenant = "") {
    auto t = createFrom(config(graph_base), tenant.empty() ? api.world().partner.tenant_id : tenant,
                        mailbox);
    INFO(t.status().message());
    REQUIRE(t);
    return std::move(t.value());
  }

  int64_t tokenRequests() {
    auto stats = testing::parseObject(api.statsJson());
    return stats->getObject("requests")
        ->optValue<int64_t>("POST /login/{tenant}/oauth2/v2.0/token", 0);
  }
};

alerts::OutgoingMessage sampleMessage() {
  alerts::MailMessage m;
  m.from = "cspwatch <" + kAlerts + ">";
  m.to = {"admins@northwind-it.com.au", "oncall@northwind-it.com.au"};
  m.subject = "[cspwatch] 2 new: Ashgrove Podiatry — partner not listed";
  m.text = "Ashgrove Podiatry does not list us as its partner.\nFix: send the invitation.\n";
  m.html = "<p>Ashgrove Podiatry does not list us as its partner. Café ✓</p>";
  m.message_id = alerts::stableMessageId("digest|2026-11-25|admins", "northwind-it.com.au");
  m.date = kNow;
  auto body = alerts::renderMessage(m);
  REQUIRE(body);
  return {m.message_id, "admins@northwind-it.com.au,oncall@northwind-it.com.au", *body};
}

// Neither the client secret nor anything shaped like one of the simulator's access tokens.
void checkNoSecrets(const std::string& reply) {
  INFO(reply);
  CHECK(reply.find(kSecret) == std::string::npos);
  CHECK(reply.find("Bearer") == std::string::npos);
  CHECK_FALSE(std::regex_search(reply, std::regex("at\\.[A-Za-z0-9]{40}")));
}

}  // namespace

TEST_CASE("graph mail: a message is sent as the partner's mailbox and arrives byte for byte") {
  MailSim sim(mailWorld());
  auto transport = sim.transport(kAlerts);
  CHECK(transport->url() == sim.base + "/graph/v1.0/users/" + kAlerts + "/sendMail");
  const alerts::OutgoingMessage message = sampleMessage();
  const alerts::Delivery d = transport->deliver(message);
  INFO(d.reply);
  CHECK(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, Catch::StartsWith("202 Accepted (request-id "));
  checkNoSecrets(d.reply);

  // In the simulator's record and through GET /_sim/mail: the very bytes we rendered.
  const auto sent = sim.api.sentMail();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].mailbox == kAlerts);
  CHECK(sent[0].mime == message.body);
  CHECK(d.reply.find(sent[0].request_id) != std::string::npos);
  auto doc = testing::parseObject(testing::httpRequest("GET", sim.base + "/_sim/mail").body);
  auto messages = doc->getArray("messages");
  REQUIRE(messages->size() == 1);
  CHECK(messages->getObject(0)->getValue<std::string>("mime") == message.body);
  CHECK(messages->getObject(0)->getValue<std::string>("mailbox") == kAlerts);

  // A second message reuses the cached token; the mailbox may also be named by its id.
  CHECK(transport->deliver(message).delivered);
  CHECK(sim.tokenRequests() == 1);
  CHECK(sim.transport(kAlertsId)->deliver(message).delivered);
  CHECK(sim.api.sentMail().size() == 3);
}

TEST_CASE("graph mail: the mailbox is escaped as one URL path segment") {
  MailSim sim(mailWorld(false));  // no mailbox list: every mailbox exists
  const std::string odd = "ops/alerts#1%@northwind-it.com.au";
  auto transport = sim.transport(odd);
  CHECK(transport->url() ==
        sim.base + "/graph/v1.0/users/ops%2Falerts%231%25@northwind-it.com.au/sendMail");
  const alerts::Delivery d = transport->deliver(sampleMessage());
  INFO(d.reply);
  CHECK(d.delivered);
  REQUIRE(sim.api.sentMail().size() == 1);
  CHECK(sim.api.sentMail()[0].mailbox == odd);
}

TEST_CASE("graph mail: refusals are permanent and carry Graph's code and a hint") {
  MailSim sim(mailWorld());
  const alerts::OutgoingMessage message = sampleMessage();

  SECTION("an application access policy keeps the app out of the mailbox") {
    const alerts::Delivery d = sim.transport(kRefused)->deliver(message);
    INFO(d.reply);
    CHECK_FALSE(d.delivered);
    CHECK(d.permanent);
    CHECK_THAT(d.reply, Catch::StartsWith("403 ErrorAccessDenied: Access to OData is disabled"));
    CHECK_THAT(d.reply, Catch::Contains("Mail.Send"));
    CHECK_THAT(d.reply, Catch::Contains("application access policy"));
    checkNoSecrets(d.reply);
  }
  SECTION("a token from a tenant where the app may not send") {
    const std::string customer = sim.api.world().tenants.front().id;
    const alerts::Delivery d = sim.transport(kAlerts, "", customer)->deliver(message);
    INFO(d.reply);
    CHECK(d.permanent);
    CHECK_THAT(d.reply, Catch::StartsWith("403 ErrorAccessDenied: Access is denied."));
    checkNoSecrets(d.reply);
  }
  SECTION("a mailbox the partner tenant does not have") {
    const alerts::Delivery d = sim.transport("nobody@northwind-it.com.au")->deliver(message);
    INFO(d.reply);
    CHECK(d.permanent);
    CHECK_THAT(d.reply, Catch::StartsWith("404 ErrorInvalidUser: The requested user "
                                          "'nobody@northwind-it.com.au' is invalid."));
    checkNoSecrets(d.reply);
  }
  SECTION("an empty message is not sent at all") {
    const alerts::Delivery d = sim.transport(kAlerts)->deliver({"<x@y>", "a@b.example", ""});
    CHECK(d.permanent);
    CHECK(sim.tokenRequests() == 0);
  }
  CHECK(sim.api.sentMail().empty());
}

TEST_CASE("graph mail: 5xx, dropped connections and 429 are temporary, with no waiting") {
  MailSim sim(mailWorld());
  const alerts::OutgoingMessage message = sampleMessage();
  sim::FaultOptions options;
  std::string expect;
  std::string met;  // the simulator's count of the requests that met the fault
  SECTION("a 503") {
    options.server_error = 1;
    expect = "503 serviceNotAvailable: The service is temporarily unavailable.";
    met = "faults_server_error";
  }
  SECTION("a dropped connection") {
    options.drop = 1;
    expect = "sendMail failed: ";
    met = "faults_dropped_connection";
  }
  SECTION("a 429 with Retry-After") {
    options.throttle = 1;
    expect = "429 TooManyRequests: Too many requests.";
    met = "faults_throttle";
  }
  SECTION("an empty Graph bucket") {
    options.graph_per_10s = 0.001;       // the bucket holds no whole request: Retry-After 10,000 s
    options.buckets_start_empty = true;  // (a bucket holds at least one: this one starts empty)
    expect = "429 TooManyRequests";
    met = "throttled_429";
  }
  const std::string graph = sim.faulty(options);
  const auto started = std::chrono::steady_clock::now();
  const alerts::Delivery d = sim.transport(kAlerts, graph)->deliver(message);
  INFO(d.reply);
  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);
  CHECK_THAT(d.reply, Catch::StartsWith(expect));
  if (expect.rfind("429", 0) == 0) CHECK_THAT(d.reply, Catch::Contains("; retry after "));
  checkNoSecrets(d.reply);
  // One request, not retried after a wait: the outbox retries later. Every request to this
  // front end meets the fault, so a second try would be counted.
  CHECK(testing::parseObject(sim.faulty_api->statsJson())->optValue<int>(met, 0) == 1);
  // A hang guard only, far above the moment it takes: the empty bucket's Retry-After, if it were
  // waited for, would be hours.
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(60));
  CHECK(sim.faulty_api->sentMail().empty());
}

TEST_CASE("graph mail: a 401 gets one fresh token, refused twice it is temporary") {
  MailSim sim(mailWorld());
  const alerts::OutgoingMessage message = sampleMessage();
  SECTION("an expired token is replaced and the message goes") {
    auto transport = sim.transport(kAlerts);
    REQUIRE(transport->deliver(message).delivered);
    // The simulator's clock moves past the token's expiry; ours still holds it as good.
    REQUIRE(testing::httpRequest("POST", sim.base + "/_sim/advance?seconds=7200").status == 200);
    const alerts::Delivery d = transport->deliver(message);
    INFO(d.reply);
    CHECK(d.delivered);
    CHECK(sim.tokenRequests() == 2);
    CHECK(sim.api.sentMail().size() == 2);
  }
  SECTION("a token refused even when fresh") {
    sim::FaultOptions options;
    options.expired_token = 1;
    const std::string graph = sim.faulty(options);
    const alerts::Delivery d = sim.transport(kAlerts, graph)->deliver(message);
    INFO(d.reply);
    CHECK_FALSE(d.delivered);
    CHECK_FALSE(d.permanent);
    CHECK_THAT(d.reply, Catch::StartsWith("401 InvalidAuthenticationToken"));
    CHECK_THAT(d.reply, Catch::Contains("refused even with a fresh token"));
    CHECK(sim.tokenRequests() == 2);  // exactly one fresh token
    checkNoSecrets(d.reply);
  }
}

TEST_CASE("graph mail: bad settings fail at create, a refused sign-in names no secret") {
  MailSim sim(mailWorld());
  const std::string partner = sim.api.world().partner.tenant_id;
  CHECK_FALSE(createFrom(sim.config(), partner, ""));
  CHECK_FALSE(createFrom(sim.config(), partner, "not a mailbox"));
  CHECK_FALSE(createFrom(sim.config(), "northwind", kAlerts));
  auto remote = sim.config();
  remote.graph_url = "http://graph.example.com";
  CHECK_FALSE(createFrom(remote, partner, kAlerts));
  auto missing = sim.config();
  missing.client_secret_file = sim.dir.file("no-such-file");
  auto no_secret = createFrom(missing, partner, kAlerts);
  REQUIRE_FALSE(no_secret);
  CHECK_THAT(no_secret.status().message(), Catch::Contains("client secret"));

  const std::string wrong = "wr0ng-secret-do-not-print";
  REQUIRE(writeFileAtomically(sim.dir.file("wrong_secret"), wrong + "\n", 0600));
  auto bad = sim.config();
  bad.client_secret_file = sim.dir.file("wrong_secret");
  auto transport = createFrom(bad, partner, kAlerts);
  REQUIRE(transport);
  const alerts::Delivery d = (*transport)->deliver(sampleMessage());
  INFO(d.reply);
  CHECK_FALSE(d.delivered);
  CHECK_FALSE(d.permanent);  // the operator fixes the secret; the outbox keeps the message
  CHECK_THAT(d.reply, Catch::Contains("invalid_client"));
  CHECK(d.reply.find(wrong) == std::string::npos);
  checkNoSecrets(d.reply);
  CHECK(sim.api.sentMail().empty());
}
