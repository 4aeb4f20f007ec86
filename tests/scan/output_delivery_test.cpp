// SPDX-License-Identifier: Apache-2.0
// Webhook events through the durable outbox to a real HTTP server on 127.0.0.1: retried after
// 5xx (no sooner than Retry-After) and delivered once, kept as failed with the answer after a
// 4xx, and sent whatever becomes of the mail transport.
#include <catch2/catch.hpp>

#include "alerts/http_post_transport.h"
#include "alerts/route_outputs.h"
#include "scan/outbox_sender.h"
#include "storage/finding_store.h"
#include "tests/support/http_receiver.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::scan;
using testing::HttpReceiver;
using testing::ScriptedAnswer;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T06:00:00Z");

storage::OutboxMessage event(const std::string& id, const std::string& target = "webhook:desk:0") {
  storage::OutboxMessage m;
  m.message_id = "evt_" + id;
  m.kind = "opened";
  m.recipients = "http://127.0.0.1/hook";
  m.subject = "r on t";
  m.body = "{\"event_id\":\"evt_" + id + "\"}";
  m.channel = alerts::kChannelWebhook;
  m.target = target;
  m.created_at = kNow;
  m.next_attempt_at = kNow;
  return m;
}

struct Fixture {
  testing::TempDir dir;
  storage::FindingStore store = open(testing::testStore(dir, "c.db"));
  storage::Outbox outbox{store.db()};
  ManualClock clock{kNow};
  HttpReceiver receiver;
  alerts::HttpPostTransport http = transport(receiver);
  SenderOptions options = senderOptions(Seconds(60), Seconds(3600), std::chrono::hours(24));

  static storage::FindingStore open(const storage::StoreLocation& where) {
    auto s = storage::FindingStore::open(where);
    REQUIRE(s);
    return std::move(s.value());
  }
  static alerts::HttpPostTransport transport(const HttpReceiver& r) {
    std::map<std::string, alerts::HttpOutput> outputs;
    outputs["webhook:desk:0"] = {alerts::kChannelWebhook, r.url("/hook"), "whsec-delivery-test",
                                 ""};
    return alerts::HttpPostTransport(std::move(outputs), alerts::outputHttpOptions({}));
  }
  SendReport send() {
    auto r = deliverDue(outbox, Transports{nullptr, &http}, clock, options);
    REQUIRE(r);
    return *r;
  }
  storage::OutboxMessage row(const std::string& id) {
    auto all = outbox.recent(50);
    REQUIRE(all);
    for (const auto& m : *all)
      if (m.message_id == id) return m;
    FAIL("no outbox row " << id);
    return {};
  }
};

}  // namespace

TEST_CASE("output delivery: 5xx is retried with backoff, then delivered once", "[outputs]") {
  Fixture f;
  REQUIRE(f.outbox.enqueue(event("a")));
  f.receiver.script({{503, "busy", {}}, {500, "oops", {}}});
  CHECK(f.send().retrying == 1);
  CHECK(f.row("evt_a").last_error == "HTTP 503: busy");
  CHECK(f.send().retrying == 0);  // not due yet: waits 60 s
  f.clock.advance(Seconds(60));
  CHECK(f.send().retrying == 1);
  f.clock.advance(Seconds(60));
  CHECK(f.send().delivered == 0);  // the second wait doubled
  f.clock.advance(Seconds(60));
  CHECK(f.send().delivered == 1);
  f.clock.advance(std::chrono::hours(2));
  CHECK(f.send().delivered == 0);  // sent once in the books
  const auto r = f.row("evt_a");
  CHECK(r.status == storage::OutboxStatus::kSent);
  CHECK(r.attempts == 3);
  const auto got = f.receiver.requests();
  REQUIRE(got.size() == 3);
  for (const auto& req : got) CHECK(req.header("idempotency-key") == "evt_a");
}

TEST_CASE("output delivery: Retry-After is waited for, even past the backoff", "[outputs]") {
  Fixture f;
  REQUIRE(f.outbox.enqueue(event("b")));
  f.receiver.script({{429, "slow down", {{"Retry-After", "600"}}}});
  CHECK(f.send().retrying == 1);
  CHECK(f.row("evt_b").next_attempt_at == kNow + Seconds(600));
  f.clock.advance(Seconds(599));
  CHECK(f.send().delivered == 0);
  f.clock.advance(Seconds(1));
  CHECK(f.send().delivered == 1);
}

TEST_CASE("output delivery: a 4xx is kept as failed, with the answer", "[outputs]") {
  Fixture f;
  REQUIRE(f.outbox.enqueue(event("c")));
  REQUIRE(f.outbox.enqueue(event("d", "webhook:gone:0")));
  f.receiver.script({{422, "{\"error\":\"unknown field tenant\"}", {}}});
  CHECK(f.send().failed == 2);
  const auto c = f.row("evt_c");
  CHECK(c.status == storage::OutboxStatus::kFailed);
  CHECK(c.attempts == 1);
  CHECK(c.last_error == "HTTP 422: {\"error\":\"unknown field tenant\"}");
  const auto d = f.row("evt_d");
  CHECK(d.status == storage::OutboxStatus::kFailed);
  CHECK_THAT(d.last_error, Catch::Contains("no longer in the configuration"));
  f.clock.advance(std::chrono::hours(1));
  const SendReport later = f.send();
  CHECK(later.delivered + later.retrying + later.failed == 0);  // failed stays failed
  CHECK(f.receiver.requests().size() == 1);
}

TEST_CASE("output delivery: without a mail transport, mail waits and events go", "[outputs]") {
  Fixture f;
  storage::OutboxMessage mail = event("mail");
  mail.message_id = "<m1@northwind-it.com.au>";
  mail.channel = "email";
  mail.target = "";
  REQUIRE(f.outbox.enqueue(mail));
  REQUIRE(f.outbox.enqueue(event("e")));
  auto all = deliverAllDue(f.outbox, Transports{nullptr, &f.http}, f.clock, f.options);
  REQUIRE(all);
  CHECK(all->delivered == 1);
  const auto m = f.row("<m1@northwind-it.com.au>");
  CHECK(m.status == storage::OutboxStatus::kQueued);
  CHECK(m.attempts == 0);
  CHECK(f.row("evt_e").status == storage::OutboxStatus::kSent);
}
