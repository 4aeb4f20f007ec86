// SPDX-License-Identifier: Apache-2.0
// Delivering the outbox: once, with retries and backoff, failures kept and reported.
#include "scan/outbox_sender.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "config/app_config.h"
#include "storage/finding_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_store.h"

using namespace cspwatch;
using namespace cspwatch::scan;
using namespace cspwatch::config;
using cspwatch::testing::TempDir;

namespace {

const Timestamp kNow = *parseTimestamp("2026-11-25T06:00:00Z");

storage::OutboxMessage message(const std::string& id) {
  storage::OutboxMessage m;
  m.message_id = "<" + id + "@northwind-it.com.au>";
  m.kind = "digest";
  m.recipients = "admins@northwind-it.com.au";
  m.subject = "s";
  m.body = "Message-ID: <" + id + "@northwind-it.com.au>\r\n\r\nbody " + id + "\r\n";
  m.created_at = kNow;
  return m;
}

// A transport that fails the first `failures` times, temporarily or for good.
struct FlakyTransport : alerts::Transport {
  int failures;
  bool permanent;
  int calls = 0;
  FlakyTransport(int f, bool p) : failures(f), permanent(p) {}
  alerts::Delivery deliver(const alerts::OutgoingMessage&) override {
    ++calls;
    if (calls <= failures)
      return {false, permanent, permanent ? "550 5.1.1 no such user" : "421 4.3.2 try later"};
    return {true, false, "250 2.0.0 queued"};
  }
};

struct Fixture {
  TempDir dir;
  storage::FindingStore store = open(testing::testStore(dir, "c.db"));
  storage::Outbox outbox{store.db()};
  ManualClock clock{kNow};
  static storage::FindingStore open(const storage::StoreLocation& where) {
    auto s = storage::FindingStore::open(where);
    REQUIRE(s);
    return std::move(s.value());
  }
};

}  // namespace

TEST_CASE("outbox sender: the file transport delivers each message once") {
  Fixture f;
  REQUIRE(f.outbox.enqueue(message("a")));
  REQUIRE(f.outbox.enqueue(message("b")));
  alerts::FileTransport files(f.dir.path());
  auto r = deliverDue(f.outbox, files, f.clock);
  REQUIRE(r);
  CHECK(r->delivered == 2);
  CHECK(testing::readFile(files.pathFor("<a@northwind-it.com.au>")) == message("a").body);
  auto again = deliverDue(f.outbox, files, f.clock);
  REQUIRE(again);
  CHECK(again->delivered == 0);
}

TEST_CASE("outbox sender: temporary failures back off and succeed, nothing is lost or doubled") {
  Fixture f;
  REQUIRE(f.outbox.enqueue(message("a")));
  FlakyTransport flaky(2, false);
  SenderOptions o;
  CHECK(deliverDue(f.outbox, flaky, f.clock, o)->retrying == 1);
  CHECK(deliverDue(f.outbox, flaky, f.clock, o)->retrying == 0);  // not due yet: waits 60 s
  f.clock.advance(Seconds(60));
  CHECK(deliverDue(f.outbox, flaky, f.clock, o)->retrying == 1);
  f.clock.advance(Seconds(60));
  CHECK(deliverDue(f.outbox, flaky, f.clock, o)->delivered == 0);  // the second wait doubled
  f.clock.advance(Seconds(60));
  CHECK(deliverDue(f.outbox, flaky, f.clock, o)->delivered == 1);
  CHECK(flaky.calls == 3);
  CHECK(f.outbox.pending()->empty());
}

TEST_CASE("outbox sender: a permanent failure, or one past the deadline, is kept as failed") {
  Fixture f;
  REQUIRE(f.outbox.enqueue(message("bounced")));
  FlakyTransport bounce(100, true);
  CHECK(deliverDue(f.outbox, bounce, f.clock)->failed == 1);
  auto pending = f.outbox.pending();
  REQUIRE(pending->size() == 1);
  CHECK(pending->at(0).status == storage::OutboxStatus::kFailed);
  CHECK(pending->at(0).last_error == "550 5.1.1 no such user");

  REQUIRE(f.outbox.enqueue(message("down")));
  FlakyTransport down(100, false);
  SenderOptions o;
  o.give_up_after = Seconds(300);
  int failed = 0;
  for (int i = 0; i < 10 && failed == 0; ++i) {
    failed = deliverDue(f.outbox, down, f.clock, o)->failed;
    f.clock.advance(Seconds(3600));
  }
  CHECK(failed == 1);
  CHECK(f.outbox.pending()->size() == 2);
}

TEST_CASE("outbox sender: a crash between delivering and marking resends the same Message-ID") {
  Fixture f;
  REQUIRE(f.outbox.enqueue(message("a")));
  alerts::FileTransport files(f.dir.path());
  // Delivered, but the process died before markSent: the message is still queued...
  auto due = f.outbox.due(kNow);
  REQUIRE(files.deliver({due->at(0).message_id, due->at(0).recipients, due->at(0).body}).delivered);
  // ...so the next run delivers it again, under the same Message-ID: one file, not two.
  CHECK(deliverDue(f.outbox, files, f.clock)->delivered == 1);
  int files_written = 0;
  for (const char* name : {"a@northwind-it.com.au.eml"}) {
    struct stat st {};
    files_written += ::stat(f.dir.file(name).c_str(), &st) == 0;
  }
  CHECK(files_written == 1);
}

TEST_CASE(
    "outbox sender: a backlog larger than a batch is all delivered, a failing server is "
    "tried once per message") {
  Fixture f;
  for (int i = 0; i < 120; ++i) REQUIRE(f.outbox.enqueue(message("m" + std::to_string(i))));
  alerts::FileTransport files(f.dir.path());
  auto all = deliverAllDue(f.outbox, files, f.clock);
  REQUIRE(all);
  CHECK(all->delivered == 120);

  for (int i = 0; i < 60; ++i) REQUIRE(f.outbox.enqueue(message("n" + std::to_string(i))));
  struct Refusing : alerts::Transport {
    int calls = 0;
    alerts::Delivery deliver(const alerts::OutgoingMessage&) override {
      ++calls;
      return {false, false, "421 try later"};
    }
  } refusing;
  auto none = deliverAllDue(f.outbox, refusing, f.clock);
  REQUIRE(none);
  CHECK(none->retrying == 60);
  CHECK(refusing.calls == 60);
}
