// SPDX-License-Identifier: Apache-2.0
// The local HTTP endpoint over real sockets on 127.0.0.1: routes, status codes and content
// types, the bearer token and no keep-alive before it, listen addresses, body limits and a prompt
// stop(). Slow and many clients: http_slow_clients_test.cpp; the request reader:
// http_request_reader_test.cpp.
#include "daemon/http_endpoint.h"

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <catch2/catch.hpp>

#include "common/text.h"
#include "tests/daemon/http_test_support.h"
#include "tests/support/http_client.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using namespace cspwatch::testing::http;
using cspwatch::testing::httpRequest;

TEST_CASE("http: healthz, metrics, scan requests, 404 and 405 on loopback without a token",
          "[http]") {
  Fake fake;
  auto endpoint = startOk(fake.handlers(), "127.0.0.1:0");
  REQUIRE(endpoint->port() > 0);

  auto r = httpRequest("GET", url(*endpoint, "/healthz"));
  CHECK(r.status == 200);
  CHECK(r.body == "ok: last scan 5m ago\n");
  CHECK(r.headers["content-type"].rfind("text/plain", 0) == 0);

  fake.healthy = false;
  r = httpRequest("GET", url(*endpoint, "/healthz"));
  CHECK(r.status == 503);
  CHECK(r.body == "unhealthy: no scan for 3h second line\n");  // one line

  r = httpRequest("HEAD", url(*endpoint, "/healthz"));
  CHECK(r.status == 503);
  CHECK(r.body.empty());

  r = httpRequest("GET", url(*endpoint, "/metrics?x=1"));
  CHECK(r.status == 200);
  CHECK(r.headers["content-type"].rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(r.body == "# HELP x y\n# TYPE x gauge\nx 1\n");

  r = httpRequest("POST", url(*endpoint, "/v1/scan"), {}, "", "application/json");
  CHECK(r.status == 202);
  CHECK(r.headers["content-type"] == "application/json");
  CHECK(testing::parseObject(r.body)->getValue<bool>("accepted"));
  CHECK(fake.scan_requests == 1);

  fake.accept_scan = false;
  r = httpRequest("POST", url(*endpoint, "/v1/scan"), {}, "{}", "application/json");
  CHECK(r.status == 409);
  CHECK_FALSE(testing::parseObject(r.body)->getValue<bool>("accepted"));
  CHECK(fake.scan_requests == 2);

  r = httpRequest("GET", url(*endpoint, "/v1/scan"));
  CHECK(r.status == 405);
  CHECK(r.headers["allow"] == "POST");
  CHECK(fake.scan_requests == 2);

  r = httpRequest("POST", url(*endpoint, "/metrics"));
  CHECK(r.status == 405);
  CHECK(r.headers["allow"] == "GET, HEAD");

  CHECK(httpRequest("GET", url(*endpoint, "/")).status == 404);
  CHECK(httpRequest("GET", url(*endpoint, "/metricsx")).status == 404);
  CHECK(httpRequest("GET", url(*endpoint, "/v1/scan/x")).status == 404);
}

TEST_CASE("http: a configured token is required everywhere but healthz", "[http]") {
  Fake fake;
  auto endpoint = startOk(fake.handlers(), "127.0.0.1:0", kToken);

  auto r = httpRequest("GET", url(*endpoint, "/metrics"));
  CHECK(r.status == 401);
  CHECK(r.headers["www-authenticate"] == "Bearer");
  CHECK(r.body.find(kToken) == std::string::npos);

  CHECK(
      httpRequest("GET", url(*endpoint, "/metrics"), {{"Authorization", "Bearer wrong"}}).status ==
      401);
  CHECK(httpRequest("GET", url(*endpoint, "/metrics"),
                    {{"Authorization", "Bearer " + kToken.substr(0, kToken.size() - 1)}})
            .status == 401);
  CHECK(
      httpRequest("GET", url(*endpoint, "/metrics"), {{"Authorization", "Bearer " + kToken + "x"}})
          .status == 401);
  CHECK(httpRequest("GET", url(*endpoint, "/metrics"), {{"Authorization", kToken}}).status == 401);
  CHECK(httpRequest("GET", url(*endpoint, "/metrics"), {{"Authorization", "Basic " + kToken}})
            .status == 401);
  CHECK(httpRequest("GET", url(*endpoint, "/nowhere")).status == 401);

  r = httpRequest("POST", url(*endpoint, "/v1/scan"));
  CHECK(r.status == 401);
  CHECK(fake.scan_requests == 0);

  r = httpRequest("GET", url(*endpoint, "/metrics"), kAuth);
  CHECK(r.status == 200);
  CHECK(r.body == "# HELP x y\n# TYPE x gauge\nx 1\n");
  CHECK(httpRequest("GET", url(*endpoint, "/metrics"), {{"Authorization", "bearer  " + kToken}})
            .status == 200);  // the scheme in any case
  CHECK(httpRequest("POST", url(*endpoint, "/v1/scan"), kAuth).status == 202);
  CHECK(fake.scan_requests == 1);
  CHECK(httpRequest("GET", url(*endpoint, "/nowhere"), kAuth).status == 404);

  CHECK(httpRequest("GET", url(*endpoint, "/healthz")).status == 200);
}

TEST_CASE("http: a non-loopback address needs a token", "[http]") {
  Fake fake;
  auto refused = HttpEndpoint::start({"0.0.0.0:0", "", {}}, fake.handlers());
  REQUIRE_FALSE(refused.isOk());
  CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  CHECK(refused.status().message().find("token") != std::string::npos);

  auto endpoint = startOk(fake.handlers(), "0.0.0.0:0", kToken);
  CHECK(httpRequest("GET", url(*endpoint, "/metrics")).status == 401);
  CHECK(httpRequest("GET", url(*endpoint, "/metrics"), kAuth).status == 200);
  CHECK(httpRequest("GET", url(*endpoint, "/healthz")).status == 200);
}

TEST_CASE("http: listen addresses are parsed strictly", "[http]") {
  auto ok = [](const std::string& listen, const std::string& host, int port) {
    auto a = parseListenAddress(listen);
    INFO(listen);
    REQUIRE(a.isOk());
    CHECK(a->host == host);
    CHECK(a->port == port);
  };
  ok("127.0.0.1:9807", "127.0.0.1", 9807);
  ok("0.0.0.0:0", "0.0.0.0", 0);
  ok("[::1]:9807", "::1", 9807);
  ok("LocalHost:65535", "127.0.0.1", 65535);

  for (const char* bad :
       {"", "127.0.0.1", "127.0.0.1:", ":9807", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
        "127.0.0.1: 80", "::1:9807", "[::1", "[::1]", "[::1]9807", "[127.0.0.1]:80",
        "example.com:9807", "127.1:9807", "127.0.0.1:0009807"}) {
    INFO(bad);
    auto a = parseListenAddress(bad);
    CHECK_FALSE(a.isOk());
    CHECK(a.status().code() == Status::Code::kInvalidArgument);
    Fake fake;
    CHECK_FALSE(HttpEndpoint::start({bad, kToken, {}}, fake.handlers()).isOk());
  }
}

TEST_CASE("http: start refuses a port in use and a token with a line end", "[http]") {
  Fake fake;
  auto first = startOk(fake.handlers(), "127.0.0.1:0");
  auto second =
      HttpEndpoint::start({"127.0.0.1:" + std::to_string(first->port()), "", {}}, fake.handlers());
  REQUIRE_FALSE(second.isOk());
  CHECK(second.status().code() == Status::Code::kUnavailable);

  auto newline = HttpEndpoint::start({"127.0.0.1:0", kToken + "\n", {}}, fake.handlers());
  REQUIRE_FALSE(newline.isOk());
  CHECK(newline.status().message().find(kToken) == std::string::npos);
}

TEST_CASE("http: a body over 64 KiB is refused and a throwing handler answers 500", "[http]") {
  Fake fake;
  auto handlers = fake.handlers();
  handlers.metrics = []() -> std::string { throw std::runtime_error("secret internals"); };
  auto endpoint = startOk(handlers, "127.0.0.1:0");

  auto r = httpRequest("POST", url(*endpoint, "/v1/scan"), {},
                       std::string(kMaxRequestBody + 1, 'x'), "application/json");
  CHECK(r.status == 413);
  CHECK(fake.scan_requests == 0);
  r = httpRequest("POST", url(*endpoint, "/v1/scan"), {}, std::string(kMaxRequestBody, 'x'),
                  "application/json");
  CHECK(r.status == 202);
  CHECK(fake.scan_requests == 1);

  r = httpRequest("GET", url(*endpoint, "/metrics"));
  CHECK(r.status == 500);
  CHECK(r.body.find("secret") == std::string::npos);
  CHECK(httpRequest("GET", url(*endpoint, "/healthz")).status == 200);  // still serving
}

TEST_CASE("http: stop returns promptly with an idle keep-alive connection open", "[http]") {
  Fake fake;
  HandClock clock;  // never moved: the idle connection's deadline never comes
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.clock = clock.function();
  auto endpoint = startOk(fake.handlers(), options);

  // A client that keeps its connection after one request, as Prometheus does.
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(endpoint->port()));
  session.setKeepAlive(true);
  Poco::Net::HTTPRequest req("GET", "/healthz", Poco::Net::HTTPMessage::HTTP_1_1);
  req.setKeepAlive(true);
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(resp), body);
  REQUIRE(resp.getStatus() == Poco::Net::HTTPResponse::HTTP_OK);
  REQUIRE(resp.getKeepAlive());  // the server holds the connection, waiting for more

  // stop() must not wait for the connection's keep-alive deadline, which the hand clock never
  // reaches. Should it wait, the hang guard fires, and the client closes the connection so
  // that stop() can return and the test fail.
  std::promise<void> stopped;
  std::future<void> returned = stopped.get_future();
  std::thread stopper([&] {
    endpoint->stop();
    stopped.set_value();
  });
  const bool prompt = returned.wait_for(kHangGuard) == std::future_status::ready;
  if (!prompt) session.reset();
  stopper.join();
  CHECK(prompt);

  CHECK_THROWS(httpRequest("GET", url(*endpoint, "/healthz")));  // nobody listens any more
  endpoint->stop();                                              // again: nothing to do
}

TEST_CASE("http: without the token healthz says only ok or unhealthy, and no body is read",
          "[http]") {
  Fake fake;
  auto e = startOk(fake.handlers(), "127.0.0.1:0", kToken);
  CHECK(httpRequest("GET", url(*e, "/healthz")).body == "ok\n");
  CHECK(httpRequest("GET", url(*e, "/healthz"), kAuth).body == "ok: last scan 5m ago\n");
  fake.healthy = false;
  auto down = httpRequest("GET", url(*e, "/healthz"));
  CHECK(down.status == 503);
  CHECK(down.body == "unhealthy\n");
  // A body without the token is refused as unauthorized, before it is read: a small one gets
  // the 401; for a large one the server may close while the client is still sending (then the
  // client sees the connection reset instead). Either way nothing is handled.
  auto small = httpRequest("POST", url(*e, "/v1/scan"), {}, std::string(1024, 'x'));
  CHECK(small.status == 401);
  try {
    auto big = httpRequest("POST", url(*e, "/v1/scan"), {}, std::string(200 * 1024, 'x'));
    CHECK(big.status == 401);
  } catch (const Poco::Exception&) {
    // reset while sending: the server did not read the body
  }
  CHECK(fake.scan_requests == 0);
}

TEST_CASE("http: no keep-alive before authentication", "[http]") {
  Fake fake;
  auto endpoint = startOk(fake.handlers(), "127.0.0.1:0", kToken);
  const std::string auth = "Authorization: Bearer " + kToken + "\r\n";

  // Without the token, or with a wrong one: one answer, then the server closes.
  for (const std::string& fields : {std::string(), std::string("Authorization: Bearer x\r\n")}) {
    RawConnection c(endpoint->port());
    REQUIRE(c.send(request("GET", "/healthz", fields) + request("GET", "/healthz", fields)));
    REQUIRE(c.waitClosed(milliseconds(2000)));
    CHECK(startsWith(c.received(), "HTTP/1.1 200"));
    CHECK(toLowerAscii(c.received()).find("connection: close\r\n") != std::string::npos);
    CHECK(count(c.received(), "HTTP/1.1 ") == 1);  // the second request was not served
  }
  RawConnection unauthorized(endpoint->port());
  REQUIRE(unauthorized.send(request("GET", "/metrics")));
  REQUIRE(unauthorized.waitClosed(milliseconds(2000)));
  CHECK(startsWith(unauthorized.received(), "HTTP/1.1 401"));

  // With it: two pipelined requests answered in order on one connection, which stays open.
  RawConnection c(endpoint->port());
  REQUIRE(c.send(request("GET", "/healthz", auth) + request("GET", "/metrics", auth)));
  REQUIRE(c.waitFor([](const std::string& r) { return r.find("x 1\n") != r.npos; },
                    milliseconds(2000)));
  CHECK(count(c.received(), "HTTP/1.1 200") == 2);
  CHECK(c.received().find("ok: last scan") < c.received().find("# HELP"));
  CHECK(count(toLowerAscii(c.received()), "connection: keep-alive\r\n") == 2);
  CHECK_FALSE(c.closed());
}
