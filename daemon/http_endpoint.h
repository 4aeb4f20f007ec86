// SPDX-License-Identifier: Apache-2.0
// The daemon's local HTTP endpoint, on exactly the configured address (connections, deadlines
// and caps: http_server.h):
//
//   GET  /healthz   200 "ok: <explanation>" or 503 "unhealthy: <explanation>" (text/plain);
//                   never needs the token
//   GET  /metrics   200, Content-Type "text/plain; version=0.0.4; charset=utf-8", the handler's
//                   Prometheus text
//   POST /v1/scan   202 {"accepted":true} when request_scan() returns true, else 409
//                   {"accepted":false} (application/json); the request body is ignored
//
// HEAD is answered as GET without the body. Another method on one of these paths is 405 (with
// Allow), another path 404, a body over kMaxRequestBody bytes 413, a handler that throws 500
// (logged; its message is not sent).
//
// The token: when the listen host is not loopback, a token is required (start() fails without
// one). When a token is set (on any host), every request except GET /healthz must carry
// "Authorization: Bearer <token>", else 401 with "WWW-Authenticate: Bearer", sent before any
// of the body is read; the comparison takes the same time wherever the tokens differ. The token
// is never logged nor sent back. No keep-alive before authentication: with a token set, only a
// request that carried it may leave its connection open for another ("Connection: close"
// otherwise, /healthz included); without a token every request may.
//
// Slow clients cannot block it: a request must arrive within limits.head_timeout (5 s) for its
// head and limits.body_timeout (5 s) for its body, however slowly its bytes come; each client
// holds at most limits.max_connections_per_client (8) connections and all at most
// limits.max_connections (128), the newest displacing the oldest of whoever holds the most, so
// /healthz from the loopback answers while the caps are reached. One event thread reads every
// connection; kHttpWorkers threads call the handlers, possibly at once, so they must be
// thread-safe; they are not called after stop() returns.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common/net_util.h"
#include "common/status.h"
#include "daemon/http_server.h"

namespace cspwatch::daemon {

struct HttpEndpointOptions {
  std::string listen = "127.0.0.1:9807";  // host:port (see parseListenAddress); port 0 = any
  std::string token;  // bearer token (already read from its file by the caller); may be empty
  HttpLimits limits;  // the service keeps the defaults; tests shorten them
};

struct HttpHandlers {
  std::function<std::pair<bool, std::string>()> health;  // healthy?, one-line explanation
  std::function<std::string()> metrics;                  // Prometheus text
  std::function<bool()> request_scan;  // true: a scan was queued (or one already runs/waits)
};

class HttpEndpoint {
 public:
  // Binds options.listen and starts serving. Errors as a Status: a bad listen string, a
  // non-loopback host without a token or a token holding spaces or control characters (a line
  // end left from its file) are invalidArgument; an address that cannot be bound (in use, not
  // this machine's) is unavailable. A handler left empty answers 500.
  static Result<std::unique_ptr<HttpEndpoint>> start(const HttpEndpointOptions& options,
                                                     HttpHandlers handlers);
  ~HttpEndpoint();  // stop()
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Stops accepting, closes open connections (idle keep-alive ones too; a request being served
  // is cut short) and waits for the handler calls under way: returns at once when they are
  // quick. Idempotent. Not to be called from a handler.
  void stop();
  // The bound port (the one chosen when options.listen asked for port 0).
  int port() const { return port_; }

 private:
  HttpEndpoint(std::unique_ptr<HttpServer> server, int port);
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

}  // namespace cspwatch::daemon
