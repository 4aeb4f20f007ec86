// SPDX-License-Identifier: Apache-2.0
// The connections under the daemon's HTTP endpoint (http_endpoint.h owns the routes): one event
// thread accepts, reads and writes every connection with poll(), and kHttpWorkers threads run
// the request handler (http_workers.h), so a slow client costs a buffer and a file descriptor,
// never a thread, and a slow handler never stops the reading and timing of the other connections.
//
// Every request has an absolute deadline, however its bytes trickle in: its head must arrive
// within limits.head_timeout of the connection's start (or of the end of the previous answer on
// a kept-alive connection: that is also the idle timeout), its body within limits.body_timeout
// of the head, and the answer must be taken within limits.send_timeout. A client past its
// deadline is answered 408 when it had sent part of a request, then disconnected.
//
// Connections are capped per client (one IPv4 address, or one IPv6 /64) and in total. A new
// connection over its client's cap displaces that client's oldest connection still waiting for
// a request; over the total cap, the oldest waiting connection of the client holding the most.
// So whoever opens the most connections loses them first, and a client that sends its request
// at once (a health check from the loopback) gets in even while the caps are reached. Only when
// every connection that could give way is being handled is the new one refused (503, closed).
//
// Requests: Content-Length bodies up to kMaxRequestBody (411 for Transfer-Encoding, 413 past
// it), read and dropped (no route takes a body); "Expect: 100-continue" is honoured; pipelined
// requests are answered in order; HEAD gets GET's headers without the body. A connection is
// kept for another request only when the answer allows it (HttpResponse::keep_alive) and the
// client asked (HTTP/1.1 without "Connection: close", or HTTP/1.0 with "Connection:
// keep-alive"), up to kMaxRequestsPerConnection. A connection ends by a lingering close (writes
// shut, input drained briefly) so that the client receives the answer even if still sending.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

#include "common/status.h"
#include "daemon/http_request_reader.h"
#include "daemon/http_response.h"

namespace Poco::Net {
class ServerSocket;
}

namespace cspwatch::daemon {

inline constexpr std::size_t kMaxRequestBody = 64 * 1024;  // bytes
inline constexpr int kHttpWorkers = 2;                     // threads that run handlers
inline constexpr int kMaxRequestsPerConnection = 100;

// The defaults are the service's; tests shorten the timeouts and lower the caps.
struct HttpLimits {
  std::chrono::milliseconds head_timeout{5000};
  std::chrono::milliseconds body_timeout{5000};
  std::chrono::milliseconds send_timeout{5000};
  std::size_t max_connections = 128;
  std::size_t max_connections_per_client = 8;
  // The time the deadlines are kept by; empty: std::chrono::steady_clock. Tests give a clock
  // they move by hand, so that they check each deadline exactly, whatever the machine's load
  // (the server looks at it whenever something happens on a connection, and at least once per
  // deadline's length). Not common/clock.h's Clock: that is wall time in whole seconds.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

struct HttpServerHandlers {
  // On the event thread, once a head is read and before any of its body: an answer to send
  // instead (the connection then closes), or nullopt to read the body and serve. Must be quick.
  std::function<std::optional<HttpResponse>(const RequestHead&)> screen;
  // On a worker thread, once the body is read. An exception becomes a 500.
  std::function<HttpResponse(const RequestHead&)> serve;
};

class HttpServer {
 public:
  // Serves on `listening` (bound and listening; the server closes it at stop()). Errors: the
  // threads' wake-up pipe cannot be made (unavailable).
  static Result<std::unique_ptr<HttpServer>> start(Poco::Net::ServerSocket listening,
                                                   const HttpLimits& limits,
                                                   HttpServerHandlers handlers);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Closes the listening socket and every connection (a request being handled is cut short),
  // then waits for the handler calls under way: no handler is called once it returns. Returns
  // as soon as those calls do. Idempotent; thread-safe; not to be called from a handler.
  void stop();

 private:
  struct Impl;  // http_server.cpp
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cspwatch::daemon
