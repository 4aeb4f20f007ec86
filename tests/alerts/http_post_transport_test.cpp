// SPDX-License-Identifier: Apache-2.0
// The webhook and Teams transport against a real HTTP server on 127.0.0.1
// (tests/support/http_receiver.h): what it sends, and what it makes of each answer.
#include "alerts/http_post_transport.h"

#include <catch2/catch.hpp>

#include "alerts/route_outputs.h"
#include "common/redact.h"
#include "tests/support/free_port.h"
#include "tests/support/http_receiver.h"
#include "tests/support/webhook_checks.h"

using namespace cspwatch;
using namespace cspwatch::alerts;
using testing::HttpReceiver;
using testing::ScriptedAnswer;

namespace {

const std::string kSecret = "whsec-transport-test-7f3a9c2e";
const std::string kSig = "Zm9vYmFyLXNpZ25hdHVyZS10ZXN0LXZhbHVl";

HttpPostTransport transportTo(const HttpReceiver& r) {
  std::map<std::string, HttpOutput> outputs;
  outputs["webhook:desk:0"] = {kChannelWebhook, r.url("/hook"), kSecret, ""};
  outputs["teams:desk:0"] = {kChannelTeams, r.url("/workflows/run?api-version=1&sig=" + kSig), "",
                             ""};
  outputs["webhook:broken:0"] = {kChannelWebhook, r.url("/hook"), "",
                                 "the webhook secret file /x cannot be used: missing"};
  return HttpPostTransport(std::move(outputs), outputHttpOptions({}));
}

OutgoingMessage event(const std::string& target = "webhook:desk:0") {
  OutgoingMessage m;
  m.message_id = "evt_0123456789abcdef0123456789abcdef";
  m.recipients = "http://127.0.0.1/hook";
  m.body = R"({"schema_version":1,"event":"opened","tenant":{"name":"Contoso ✓"}})";
  m.channel = kChannelWebhook;
  m.target = target;
  m.kind = "opened";
  return m;
}

}  // namespace

TEST_CASE("http outputs: a webhook event is posted signed, with its id as idempotency key",
          "[http-outputs]") {
  HttpReceiver receiver;
  auto transport = transportTo(receiver);
  Delivery d = transport.deliver(event());
  CHECK(d.delivered);
  CHECK(d.reply == "HTTP 202");
  REQUIRE(receiver.requests().size() == 1);
  const auto r = receiver.requests().front();
  CHECK(r.method == "POST");
  CHECK(r.target == "/hook");
  CHECK(r.body == event().body);  // the exact bytes, signed as they are
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("x-cspwatch-signature") == testing::opensslSignature(kSecret, r.body));
  CHECK(r.header("x-cspwatch-event") == "opened");
  CHECK(r.header("x-cspwatch-event-id") == event().message_id);
  CHECK(r.header("idempotency-key") == event().message_id);
  CHECK_THAT(r.header("user-agent"), Catch::StartsWith("cspwatch/"));
}

TEST_CASE("http outputs: a Teams card goes to its whole URL, unsigned", "[http-outputs]") {
  HttpReceiver receiver;
  auto transport = transportTo(receiver);
  OutgoingMessage card = event("teams:desk:0");
  card.channel = kChannelTeams;
  card.kind = "digest";
  card.body = R"({"type":"message","attachments":[]})";
  CHECK(transport.deliver(card).delivered);
  const auto r = receiver.requests().front();
  CHECK(r.target == "/workflows/run?api-version=1&sig=" + kSig);
  CHECK(r.header("x-cspwatch-signature").empty());
  CHECK(r.header("content-type") == "application/json");
}

TEST_CASE("http outputs: 408, 429, 5xx and lost connections are retried, other 4xx are not",
          "[http-outputs]") {
  HttpReceiver receiver;
  auto transport = transportTo(receiver);
  struct Case {
    int status;
    bool permanent;
  };
  for (const Case& c :
       {Case{500, false}, Case{502, false}, Case{503, false}, Case{408, false}, Case{429, false},
        Case{400, true}, Case{401, true}, Case{404, true}, Case{410, true}, Case{413, true}}) {
    receiver.script({{c.status, "answer for " + std::to_string(c.status), {}}});
    Delivery d = transport.deliver(event());
    INFO(c.status << ": " << d.reply);
    CHECK_FALSE(d.delivered);
    CHECK(d.permanent == c.permanent);
    CHECK(d.reply ==
          "HTTP " + std::to_string(c.status) + ": answer for " + std::to_string(c.status));
  }
  // Cut twice: the client tries a kept-alive connection that fails once more on a new one.
  ScriptedAnswer cut;
  cut.cut = true;
  receiver.script({cut, cut});
  Delivery lost = transport.deliver(event());
  CHECK_FALSE(lost.delivered);
  CHECK_FALSE(lost.permanent);
  CHECK_THAT(lost.reply, Catch::StartsWith("could not post to http://127.0.0.1:"));
  // Nobody listening: temporary too.
  std::map<std::string, HttpOutput> down;
  down["webhook:desk:0"] = {kChannelWebhook,
                            "http://127.0.0.1:" + std::to_string(testing::freePort()), kSecret, ""};
  Delivery refused = HttpPostTransport(std::move(down), outputHttpOptions({})).deliver(event());
  CHECK_FALSE(refused.delivered);
  CHECK_FALSE(refused.permanent);
}

TEST_CASE("http outputs: Retry-After is passed on as the least wait", "[http-outputs]") {
  HttpReceiver receiver;
  auto transport = transportTo(receiver);
  receiver.script({{429, "slow down", {{"Retry-After", "120"}}}});
  Delivery d = transport.deliver(event());
  REQUIRE(d.retry_after);
  CHECK(d.retry_after->count() == 120);
  CHECK_THAT(d.reply, Catch::EndsWith("(Retry-After: 120 s)"));
  const Timestamp now = fromUnixSeconds(1795996800);  // Mon, 30 Nov 2026 00:00:00 GMT
  CHECK(retryAfter("Mon, 30 Nov 2026 00:05:00 GMT", now)->count() == 300);
  CHECK(retryAfter("Mon, 30 Nov 2026 00:00:00 GMT", now)->count() == 0);
  CHECK(retryAfter("99999999999", now)->count() == 24 * 3600);
  CHECK_FALSE(retryAfter("soon", now));
  CHECK_FALSE(retryAfter("", now));
}

TEST_CASE(
    "http outputs: an output the configuration lost fails for good, one without its "
    "secret waits",
    "[http-outputs]") {
  HttpReceiver receiver;
  auto transport = transportTo(receiver);
  Delivery gone = transport.deliver(event("webhook:renamed:0"));
  CHECK(gone.permanent);
  CHECK_THAT(gone.reply, Catch::Contains("webhook:renamed:0 is no longer in the configuration"));
  Delivery waiting = transport.deliver(event("webhook:broken:0"));
  CHECK_FALSE(waiting.delivered);
  CHECK_FALSE(waiting.permanent);
  CHECK_THAT(waiting.reply, Catch::Contains("secret file /x cannot be used"));
  CHECK(receiver.requests().empty());
}

TEST_CASE("http outputs: an answer that echoes a secret is stored redacted, on one line, cut",
          "[http-outputs]") {
  HttpReceiver receiver;
  auto transport = transportTo(receiver);
  receiver.script(
      {{400,
        "bad request\nsecret was " + kSecret + " and sig " + kSig + std::string(2000, 'x'),
        {}}});
  Delivery d = transport.deliver(event());
  CHECK(d.permanent);
  CHECK(d.reply.find(kSecret) == std::string::npos);
  CHECK(d.reply.find(kSig) == std::string::npos);
  CHECK(d.reply.find('\n') == std::string::npos);
  CHECK_THAT(d.reply, Catch::Contains("[redacted]"));
  CHECK(d.reply.size() < kAnswerMax + 40);
}

TEST_CASE("http outputs: URLs are shown without their secrets", "[http-outputs]") {
  const std::string teams =
      "https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?"
      "api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" +
      kSig;
  CHECK(urlForDisplay(teams) ==
        "https://prod-01.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke");
  CHECK(urlForDisplay("https://user:pw@hooks.example.com:8443/x?token=1") ==
        "https://hooks.example.com:8443/x");
  CHECK(urlHasSecret(teams));
  CHECK_FALSE(urlHasSecret("https://hooks.example.com/cspwatch?tenant=1"));
  const auto secrets = urlSecrets(teams);
  CHECK(std::find(secrets.begin(), secrets.end(), kSig) != secrets.end());
  CHECK(checkOutputUrl("https://hooks.example.com/x"));
  CHECK(checkOutputUrl("http://127.0.0.1:9/x"));
  CHECK(checkOutputUrl("http://[::1]:9/x"));
  CHECK_FALSE(checkOutputUrl("http://hooks.example.com/x"));
  CHECK_FALSE(checkOutputUrl("ftp://hooks.example.com/x"));
  CHECK_FALSE(checkOutputUrl("https:///nohost"));
}
