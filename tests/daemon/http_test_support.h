// SPDX-License-Identifier: Apache-2.0
// What the daemon's HTTP endpoint tests share: handlers whose answers a test sets and whose
// calls it counts (Fake), starting an endpoint on 127.0.0.1, a raw TCP connection for what an
// HTTP client library will not do (RawConnection), and a clock the test moves by hand
// (HandClock, for HttpLimits::clock), so that a test checks the endpoint's deadlines exactly
// instead of timing them on a machine whose load it does not know.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/http_endpoint.h"
#include "tests/support/http_client.h"

namespace cspwatch::testing::http {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline const std::string kToken = "fake-token-for-tests-0001";
inline const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer " + kToken}};

// How long a test waits for something that should happen at once (an answer, a close). A hang
// guard only: nothing is measured against it.
inline constexpr milliseconds kHangGuard{20000};

// Handlers whose answers the test sets and whose calls it counts.
struct Fake {
  std::atomic<bool> healthy{true};
  std::atomic<bool> accept_scan{true};
  std::atomic<int> scan_requests{0};

  daemon::HttpHandlers handlers() {
    daemon::HttpHandlers h;
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

inline std::unique_ptr<daemon::HttpEndpoint> startOk(daemon::HttpHandlers handlers,
                                                     const daemon::HttpEndpointOptions& options) {
  auto started = daemon::HttpEndpoint::start(options, std::move(handlers));
  INFO(started.status().message());
  REQUIRE(started.isOk());
  return std::move(started).value();
}

inline std::unique_ptr<daemon::HttpEndpoint> startOk(daemon::HttpHandlers handlers,
                                                     const std::string& listen,
                                                     const std::string& token = "") {
  daemon::HttpEndpointOptions options;
  options.listen = listen;
  options.token = token;
  return startOk(std::move(handlers), options);
}

inline std::string url(const daemon::HttpEndpoint& e, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(e.port()) + path;
}

// The endpoint's monotonic time, moved only by advance(): give function() to
// HttpLimits::clock. It starts at the real steady time and must outlive the endpoint.
class HandClock {
 public:
  std::function<Steady::time_point()> function() {
    return [this] { return Steady::time_point(Steady::duration(ticks_.load())); };
  }
  void advance(milliseconds d) {
    ticks_ += std::chrono::duration_cast<Steady::duration>(d).count();
  }

 private:
  std::atomic<Steady::rep> ticks_{Steady::now().time_since_epoch().count()};
};

// Has the endpoint look at its clock: the turn of its event loop that accepts a new connection
// also closes every connection whose deadline has passed, before this request is answered.
inline void lookAtTheClock(const daemon::HttpEndpoint& e) {
  REQUIRE(httpRequest("GET", url(e, "/healthz")).status == 200);
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

 private:
  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

inline std::string request(const std::string& method, const std::string& path,
                           const std::string& extra_fields = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_fields + "\r\n";
}

inline std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace cspwatch::testing::http
