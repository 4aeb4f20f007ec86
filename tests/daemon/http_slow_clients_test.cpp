// SPDX-License-Identifier: Apache-2.0
// The daemon's HTTP endpoint under slow and many clients, over real sockets on 127.0.0.1:
// absolute deadlines for a request's head and body however slowly its bytes come (kept by a
// clock the test moves by hand, so each is checked to the millisecond whatever the machine's
// load), caps per client and in all, the newest connection displacing the oldest waiting one of
// whoever holds the most, and /healthz answering through it all.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/text.h"
#include "daemon/http_connection.h"
#include "daemon/http_endpoint.h"
#include "tests/daemon/http_test_support.h"
#include "tests/support/http_client.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using namespace cspwatch::testing::http;
using cspwatch::testing::httpRequest;

TEST_CASE(
    "http: 50 slow clients and idle connections leave healthz answering, and each is closed at "
    "its head deadline",
    "[http]") {
  Fake fake;
  HandClock clock;
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.head_timeout = milliseconds(1000);
  options.limits.clock = clock.function();
  // All from 127.0.0.1: the caps are raised out of the way, so every connection is held until
  // its deadline and this shows the serving alone staying free.
  options.limits.max_connections = 128;
  options.limits.max_connections_per_client = 128;
  auto endpoint = startOk(fake.handlers(), options);

  // Each slow client sends one more byte of a request head every 100 ms and never finishes it.
  const std::string trickle =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(100, 'x');
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 50; ++i) conns.push_back(std::make_unique<RawConnection>(endpoint->port()));
  const std::size_t slow = conns.size();
  for (int i = 0; i < 10; ++i)  // and these send nothing at all
    conns.push_back(std::make_unique<RawConnection>(endpoint->port()));

  // The first turn's /healthz is answered once the server has accepted every connection before
  // it (in order), all at the clock's start: their deadlines are that and a second. Then ten
  // turns of 100 ms by the hand clock, a byte from each slow client and /healthz answered in
  // each, while every connection is held: the serving stays free, whatever the clients do.
  for (std::size_t turn = 0; turn < 10; ++turn) {
    for (std::size_t i = 0; i < slow; ++i) REQUIRE(conns[i]->send(trickle.substr(turn, 1)));
    CHECK(httpRequest("GET", url(*endpoint, "/healthz")).status == 200);
    if (turn < 9) clock.advance(milliseconds(100));
  }
  // A millisecond before the deadline (however long the real time since): none is closed.
  clock.advance(milliseconds(99));
  lookAtTheClock(*endpoint);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    INFO("connection " << i << (i < slow ? " (slow)" : " (silent)"));
    CHECK_FALSE(conns[i]->closed());
  }
  // At the deadline, every one is closed by the server: a trickle of bytes does not move it.
  clock.advance(milliseconds(1));
  lookAtTheClock(*endpoint);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    INFO("connection " << i << (i < slow ? " (slow)" : " (silent)"));
    REQUIRE(conns[i]->waitClosed(kHangGuard));
  }
  // A slow client that had sent part of a request is told why.
  CHECK(startsWith(conns[0]->received(), "HTTP/1.1 408"));
  CHECK(conns[slow]->received().empty());
}

TEST_CASE("http: a body sent slowly past its deadline is cut", "[http]") {
  Fake fake;
  HandClock clock;
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.body_timeout = milliseconds(1000);
  options.limits.clock = clock.function();
  auto endpoint = startOk(fake.handlers(), options);

  RawConnection c(endpoint->port());
  REQUIRE(c.send(request("POST", "/v1/scan", "Content-Length: 100\r\n")));
  lookAtTheClock(*endpoint);  // the head is read: the body's deadline is a second from now
  // One byte of the body every 111 ms by the hand clock (all of it would take 11 s), up to a
  // millisecond before the deadline: still open.
  for (int i = 0; i < 9; ++i) {
    REQUIRE(c.send("x"));
    clock.advance(milliseconds(111));
  }
  lookAtTheClock(*endpoint);
  CHECK_FALSE(c.closed());
  // At the deadline it is cut, with a word of why.
  clock.advance(milliseconds(1));
  lookAtTheClock(*endpoint);
  REQUIRE(c.waitClosed(kHangGuard));
  CHECK(startsWith(c.received(), "HTTP/1.1 408"));
  CHECK(fake.scan_requests == 0);
}

TEST_CASE("http: a client over its connection cap loses its oldest waiting connection", "[http]") {
  Fake fake;
  HandClock clock;  // never moved: no deadline passes, so only displacing closes a connection
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.max_connections_per_client = 4;
  options.limits.clock = clock.function();
  auto endpoint = startOk(fake.handlers(), options);

  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConnection>(endpoint->port()));
    held.back()->send("GET /hea");  // started, never finished (the deadline never comes)
  }
  // A fifth connection asking /healthz is answered at once, by displacing the oldest: its
  // client's cap is full. It stays open (no token here: keep-alive is allowed).
  RawConnection fifth(endpoint->port());
  REQUIRE(fifth.send(request("GET", "/healthz")));
  CHECK(fifth.waitFor([](const std::string& r) { return r.find("\r\n\r\nok") != r.npos; },
                      kHangGuard));
  CHECK(startsWith(fifth.received(), "HTTP/1.1 200"));
  REQUIRE(held[0]->waitClosed(kHangGuard));
  for (int i = 1; i < 4; ++i) {
    INFO("connection " << i);
    CHECK_FALSE(held[i]->closed());
  }
  // And again: the next oldest waiting goes, the newer stay.
  RawConnection sixth(endpoint->port());
  REQUIRE(held[1]->waitClosed(kHangGuard));
  CHECK_FALSE(held[2]->closed());
  CHECK_FALSE(held[3]->closed());
  CHECK_FALSE(fifth.closed());
  CHECK_FALSE(sixth.closed());
}

TEST_CASE("http: over the total cap the client holding most gives way, and healthz answers",
          "[http]") {
  Fake fake;
  HandClock clock;  // never moved: no deadline passes, so only displacing makes room
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.max_connections = 6;
  options.limits.max_connections_per_client = 4;
  options.limits.clock = clock.function();
  auto endpoint = startOk(fake.handlers(), options);

  // Two other clients fill the total cap: 127.0.0.2 holds four connections, 127.0.0.3 two
  // (Linux routes all of 127.0.0.0/8 to the loopback, so a socket can be bound to either).
  std::vector<std::unique_ptr<RawConnection>> heavy, light;
  for (int i = 0; i < 4; ++i)
    heavy.push_back(std::make_unique<RawConnection>(endpoint->port(), "127.0.0.2"));
  for (int i = 0; i < 2; ++i)
    light.push_back(std::make_unique<RawConnection>(endpoint->port(), "127.0.0.3"));
  // Until the server has accepted all six, a new connection would not be over the cap: wait
  // for an answer on the last one.
  REQUIRE(light[1]->send(request("GET", "/healthz", "Connection: keep-alive\r\n")));
  REQUIRE(light[1]->waitFor([](const std::string& r) { return r.find("\r\n\r\nok") != r.npos; },
                            kHangGuard));

  // From 127.0.0.1, the seventh: answered, since the oldest of the heavy client gave way.
  CHECK(httpRequest("GET", url(*endpoint, "/healthz")).status == 200);
  REQUIRE(heavy[0]->waitClosed(kHangGuard));
  for (int i = 1; i < 4; ++i) {
    INFO("heavy " << i);
    CHECK_FALSE(heavy[i]->closed());
  }
  CHECK_FALSE(light[0]->closed());
  CHECK_FALSE(light[1]->closed());
}

TEST_CASE("http: a client is an IPv4 address or an IPv6 /64, and busy connections never give way",
          "[http]") {
  auto peer = [](const char* address) {
    sockaddr_storage ss{};
    if (std::string(address).find(':') != std::string::npos) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      REQUIRE(::inet_pton(AF_INET6, address, &a.sin6_addr) == 1);
      std::memcpy(&ss, &a, sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      REQUIRE(::inet_pton(AF_INET, address, &a.sin_addr) == 1);
      std::memcpy(&ss, &a, sizeof a);
    }
    return ss;
  };
  CHECK(clientKey(peer("2001:db8:1:2::1")) == clientKey(peer("2001:db8:1:2:ffff::7")));
  CHECK(clientKey(peer("2001:db8:1:2::1")) != clientKey(peer("2001:db8:1:3::1")));
  CHECK(clientKey(peer("10.0.0.1")) != clientKey(peer("10.0.0.2")));
  CHECK(clientKey(peer("0.0.0.0")) != clientKey(peer("::")));
  CHECK(describePeer(peer("10.0.0.1")) == "10.0.0.1:0");

  const auto t0 = Steady::now();
  std::map<std::uint64_t, Connection> open;
  auto add = [&](std::uint64_t id, const std::string& client, Phase phase, int age_ms) {
    Connection& c = open[id];
    c.id = id;
    c.client = client;
    c.phase = phase;
    c.since = t0 - milliseconds(age_ms);
  };
  add(1, "a", Phase::kHandling, 300);  // the oldest, but being answered
  add(2, "a", Phase::kHead, 200);
  add(3, "b", Phase::kLingering, 100);
  CHECK(findRoom(open, "c", 2, 4).free);
  // Over a's own cap: its oldest connection not being answered.
  Room room = findRoom(open, "a", 2, 4);
  CHECK_FALSE(room.free);
  CHECK(room.displace == &open[2]);
  // Over the total cap: the client holding the most (a), though b's is idle too.
  room = findRoom(open, "c", 2, 3);
  CHECK(room.displace == &open[2]);
  // Nothing of a's can go: refused.
  open[2].phase = Phase::kHandling;
  room = findRoom(open, "a", 2, 4);
  CHECK_FALSE(room.free);
  CHECK(room.displace == nullptr);
  // Dead connections do not count.
  open[2].dead = true;
  CHECK(findRoom(open, "a", 2, 4).free);
}
