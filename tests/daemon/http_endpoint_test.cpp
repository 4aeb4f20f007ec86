// SPDX-License-Identifier: Apache-2.0
// The local HTTP endpoint over real sockets on 127.0.0.1: routes, status codes and content
// types, the bearer token, listen addresses, body limits and a prompt stop(); slow and many
// clients (deadlines, connection caps, keep-alive only after authentication); the strict
// request reader.
#include "daemon/http_endpoint.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/text.h"
#include "config/app_config.h"
#include "daemon/http_connection.h"
#include "daemon/http_request_reader.h"
#include "tests/support/http_client.h"

using namespace cspwatch;
using namespace cspwatch::daemon;
using namespace cspwatch::config;
using cspwatch::testing::httpRequest;

namespace {

const std::string kToken = "fake-token-for-tests-0001";

// Handlers whose answers the test sets and whose calls it counts.
struct Fake {
  std::atomic<bool> healthy{true};
  std::atomic<bool> accept_scan{true};
  std::atomic<int> scan_requests{0};

  HttpHandlers handlers() {
    HttpHandlers h;
    h.health = [this] {
      return std::make_pair(healthy.load(), std::string(healthy ? "last scan 5m ago"
                                                                : "no scan for 3h\nsecond line"));
    };
    h.metrics = [] { return std::string("# HELP x y\n# TYPE x gauge\nx 1\n"); };
    h.request_scan = [this] {
      ++scan_requests;
      return accept_scan.load();
    };
    return h;
  }
};

std::unique_ptr<HttpEndpoint> startOk(HttpHandlers handlers, const HttpEndpointOptions& options) {
  auto started = HttpEndpoint::start(options, std::move(handlers));
  INFO(started.status().message());
  REQUIRE(started.isOk());
  return std::move(started).value();
}

std::unique_ptr<HttpEndpoint> startOk(HttpHandlers handlers, const std::string& listen,
                                      const std::string& token = "") {
  HttpEndpointOptions options;
  options.listen = listen;
  options.token = token;
  return startOk(std::move(handlers), options);
}

std::string url(const HttpEndpoint& e, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(e.port()) + path;
}

const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer " + kToken}};

}  // namespace

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
  auto endpoint = startOk(fake.handlers(), "127.0.0.1:0");

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

  const auto before = std::chrono::steady_clock::now();
  endpoint->stop();
  const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - before)
                           .count();
  CHECK(took_ms < 1000);  // the keep-alive timeout is 5 s

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

// ---- Slow and many clients ------------------------------------------------------------------

namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

long long msSince(Steady::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Steady::now() - t).count();
}

// A raw TCP connection to the endpoint on 127.0.0.1, for what an HTTP client library will not
// do: send a request a byte at a time, hold a connection without sending, pipeline requests,
// or connect from another loopback address (another client, as far as the caps go).
class RawConnection {
 public:
  explicit RawConnection(int port, const char* from = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    if (from) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      REQUIRE(::inet_pton(AF_INET, from, &local.sin_addr) == 1);
      INFO("binding to " << from << ": " << std::strerror(errno));
      REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
    }
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    INFO(std::strerror(errno));
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0);
    connected_at = Steady::now();
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False once the server has closed the connection.
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Takes what has arrived, without waiting; true once the server has closed (end of stream
  // or reset).
  bool closed() {
    char buf[4096];
    while (!closed_) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0)
        received_.append(buf, static_cast<std::size_t>(n));
      else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        closed_ = true;
      else
        break;
    }
    return closed_;
  }

  // Waits until `done(received())` or the server closes, for at most `timeout`; says whether
  // `done` came true.
  template <typename Done>
  bool waitFor(Done done, milliseconds timeout) {
    const auto deadline = Steady::now() + timeout;
    for (;;) {
      const bool ended = closed();
      if (done(received_)) return true;
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Steady::now());
      if (ended || left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left.count()));
    }
  }
  bool waitClosed(milliseconds timeout) {
    return waitFor([this](const std::string&) { return closed_; }, timeout);
  }

  int fd() const { return fd_; }
  const std::string& received() const { return received_; }
  Steady::time_point connected_at;

 private:
  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

std::string request(const std::string& method, const std::string& path,
                    const std::string& extra_fields = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_fields + "\r\n";
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// /healthz from a fresh connection, as a monitor would ask it: the status and how long it took.
std::pair<int, long long> timedHealthz(const HttpEndpoint& e) {
  const auto before = Steady::now();
  const int status = httpRequest("GET", url(e, "/healthz")).status;
  return {status, msSince(before)};
}

}  // namespace

TEST_CASE("http: 50 slow clients and idle connections leave healthz answering within a second",
          "[http]") {
  Fake fake;
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.head_timeout = milliseconds(1000);
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

  std::vector<std::optional<long long>> closed_after(conns.size());
  std::vector<long long> healthz_ms;
  const auto give_up = Steady::now() + std::chrono::seconds(6);
  auto next_byte = Steady::now();
  std::size_t sent = 0;
  while (Steady::now() < give_up &&
         std::any_of(closed_after.begin(), closed_after.end(), [](auto& c) { return !c; })) {
    if (Steady::now() >= next_byte) {
      for (std::size_t i = 0; i < slow; ++i)
        if (!closed_after[i]) conns[i]->send(trickle.substr(sent % trickle.size(), 1));
      ++sent;
      next_byte += milliseconds(100);
      if (sent == 3 || sent == 6) {  // while every connection is held
        const auto [status, took] = timedHealthz(*endpoint);
        CHECK(status == 200);
        healthz_ms.push_back(took);
      }
    }
    std::vector<pollfd> fds;
    for (std::size_t i = 0; i < conns.size(); ++i)
      if (!closed_after[i]) fds.push_back({conns[i]->fd(), POLLIN, 0});
    const auto wait = std::chrono::duration_cast<milliseconds>(next_byte - Steady::now());
    ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(0, wait.count())));
    for (std::size_t i = 0; i < conns.size(); ++i)
      if (!closed_after[i] && conns[i]->closed()) closed_after[i] = msSince(conns[i]->connected_at);
  }

  REQUIRE(healthz_ms.size() == 2);
  for (long long took : healthz_ms) {
    INFO("healthz took " << took << " ms");
    CHECK(took < 1000);
  }
  // Every connection closed by the server at its head deadline: not before (the deadline runs
  // from the server's accept, after the client's connect), and not much after.
  for (std::size_t i = 0; i < conns.size(); ++i) {
    INFO("connection " << i << (i < slow ? " (slow)" : " (silent)"));
    REQUIRE(closed_after[i]);
    CHECK(*closed_after[i] >= 990);
    CHECK(*closed_after[i] < 2500);
  }
  // A slow client that had sent part of a request is told why.
  CHECK(startsWith(conns[0]->received(), "HTTP/1.1 408"));
  CHECK(conns[slow]->received().empty());
}

TEST_CASE("http: a body sent slowly past its deadline is cut", "[http]") {
  Fake fake;
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.body_timeout = milliseconds(1000);
  auto endpoint = startOk(fake.handlers(), options);

  RawConnection c(endpoint->port());
  REQUIRE(c.send(request("POST", "/v1/scan", "Content-Length: 100\r\n")));
  const auto head_sent = Steady::now();
  // One byte of the body every 100 ms: all of it would take 10 s.
  for (int i = 0; i < 40 && !c.closed(); ++i) {
    c.send("x");
    c.waitFor([](const std::string&) { return false; }, milliseconds(100));
  }
  const long long after = msSince(head_sent);
  REQUIRE(c.closed());
  CHECK(after >= 990);
  CHECK(after < 2500);
  CHECK(startsWith(c.received(), "HTTP/1.1 408"));
  CHECK(fake.scan_requests == 0);
}

TEST_CASE("http: a client over its connection cap loses its oldest waiting connection", "[http]") {
  Fake fake;
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.max_connections_per_client = 4;
  auto endpoint = startOk(fake.handlers(), options);

  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConnection>(endpoint->port()));
    held.back()->send("GET /hea");  // started, never finished (the deadline is 5 s away)
  }
  // A fifth connection asking /healthz is answered at once, by displacing the oldest: its
  // client's cap is full. It stays open (no token here: keep-alive is allowed).
  RawConnection fifth(endpoint->port());
  REQUIRE(fifth.send(request("GET", "/healthz")));
  CHECK(fifth.waitFor([](const std::string& r) { return r.find("\r\n\r\nok") != r.npos; },
                      milliseconds(1000)));
  CHECK(startsWith(fifth.received(), "HTTP/1.1 200"));
  REQUIRE(held[0]->waitClosed(milliseconds(2000)));
  for (int i = 1; i < 4; ++i) {
    INFO("connection " << i);
    CHECK_FALSE(held[i]->closed());
  }
  // And again: the next oldest waiting goes, the newer stay.
  RawConnection sixth(endpoint->port());
  REQUIRE(held[1]->waitClosed(milliseconds(2000)));
  CHECK_FALSE(held[2]->closed());
  CHECK_FALSE(held[3]->closed());
  CHECK_FALSE(fifth.closed());
  CHECK_FALSE(sixth.closed());
}

TEST_CASE("http: over the total cap the client holding most gives way, and healthz answers",
          "[http]") {
  Fake fake;
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.max_connections = 6;
  options.limits.max_connections_per_client = 4;
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
                            milliseconds(2000)));

  const auto [status, took] = timedHealthz(*endpoint);  // from 127.0.0.1, the seventh
  CHECK(status == 200);
  CHECK(took < 1000);
  REQUIRE(heavy[0]->waitClosed(milliseconds(2000)));
  for (int i = 1; i < 4; ++i) {
    INFO("heavy " << i);
    CHECK_FALSE(heavy[i]->closed());
  }
  CHECK_FALSE(light[0]->closed());
  CHECK_FALSE(light[1]->closed());
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

TEST_CASE("http: request heads are read strictly", "[http]") {
  Fake fake;
  auto endpoint = startOk(fake.handlers(), "127.0.0.1:0");
  auto answer = [&](const std::string& bytes) {
    RawConnection c(endpoint->port());
    c.send(bytes);
    c.waitFor([](const std::string& r) { return r.find("\r\n\r\n") != r.npos; },
              milliseconds(2000));
    return c.received().substr(0, c.received().find("\r\n"));
  };
  std::string many_fields;
  for (int i = 0; i < 65; ++i) many_fields += "X-" + std::to_string(i) + ": y\r\n";

  CHECK(
      answer("POST /v1/scan HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") ==
      "HTTP/1.1 411 Length Required");
  CHECK(answer(request("GET", "/healthz", "X-Big: " + std::string(9000, 'a') + "\r\n")) ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(answer(request("GET", "/healthz", many_fields)) ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(answer("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n") ==
        "HTTP/1.1 505 HTTP Version Not Supported");
  CHECK(answer("GET /healthz HTTP/1.1\r\n\r\n") == "HTTP/1.1 400 Bad Request");  // no Host
  CHECK(answer(request("GET", "/healthz", "Bad Name: y\r\n")) == "HTTP/1.1 400 Bad Request");
  CHECK(answer("GET /healthz HTTP/1.1\nHost: x\n\n") == "HTTP/1.1 400 Bad Request");
  CHECK(answer(request("POST", "/v1/scan", "Content-Length: 1\r\nContent-Length: 2\r\n")) ==
        "HTTP/1.1 400 Bad Request");
  CHECK(answer("GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: x\r\n\r\n") ==
        "HTTP/1.1 400 Bad Request");
  CHECK(fake.scan_requests == 0);

  // "Expect: 100-continue" is honoured, and HEAD has GET's length but no body.
  RawConnection c(endpoint->port());
  REQUIRE(c.send(request("POST", "/v1/scan", "Content-Length: 2\r\nExpect: 100-continue\r\n")));
  REQUIRE(
      c.waitFor([](const std::string& r) { return startsWith(r, "HTTP/1.1 100 Continue\r\n\r\n"); },
                milliseconds(2000)));
  REQUIRE(c.send("{}" + request("HEAD", "/metrics")));
  REQUIRE(c.waitFor([](const std::string& r) { return count(r, "\r\n\r\n") == 3; },
                    milliseconds(2000)));
  CHECK(c.received().find("HTTP/1.1 202") != std::string::npos);
  CHECK(toLowerAscii(c.received()).find("content-length: 30\r\n") != std::string::npos);
  CHECK(c.received().find("# HELP") == std::string::npos);
  CHECK(fake.scan_requests == 1);
}

TEST_CASE("http: the request reader finds heads byte by byte and refuses malformed ones",
          "[http]") {
  const std::string head =
      "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n"
      "Content-Length: 0\r\nAuthorization:  Bearer t \r\n\r\nGET /";
  std::size_t scanned = 0, end = 0;
  for (std::size_t n = 1; n <= head.size() && end == 0; ++n)
    end = findHeadEnd(std::string_view(head).substr(0, n), scanned);
  REQUIRE(end == head.size() - 5);

  const HeadParse p = parseRequestHead(std::string_view(head).substr(0, end));
  REQUIRE(p.error_status == 0);
  CHECK(p.head.method == "GET");
  CHECK(p.head.target == "/metrics?x=1");
  CHECK(p.head.path == "/metrics");
  CHECK(p.head.content_length == 0u);
  CHECK_FALSE(p.head.keep_alive);
  REQUIRE(p.head.field("authorization"));
  CHECK(*p.head.field("authorization") == "Bearer t");
  CHECK(parseRequestHead("GET / HTTP/1.0\r\n\r\n").head.keep_alive == false);
  CHECK(parseRequestHead("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").head.keep_alive);
  CHECK(parseRequestHead("GET / HTTP/1.1\r\nHost: a\r\n\r\n").head.keep_alive);

  for (const char* bad :
       {"", "\r\n\r\n", "GET / HTTP/1.1\r\n", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n"}) {
    INFO(testing::urlEncode(bad));
    CHECK(parseRequestHead(bad).error_status == 400);
  }
  CHECK(parseRequestHead("GET / HTTP/1.2\r\nHost: a\r\n\r\n").error_status == 505);
  CHECK(parseRequestHead(std::string(kMaxHeadBytes + 1, 'a')).error_status == 431);
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
