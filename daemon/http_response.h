// SPDX-License-Identifier: Apache-2.0
// An answer of the daemon's HTTP endpoint and its bytes on the wire. Pure; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cspwatch::daemon {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // more fields: Allow, ...
  bool keep_alive = false;  // the connection may carry the client's next request
};

// The status with its reason phrase in lower case as a one-line text body ("request timeout").
HttpResponse errorResponse(int status);

// The status line, the fields (Date, Content-Type, Content-Length, "Connection: Keep-Alive" or
// "Close", Cache-Control: no-store, X-Content-Type-Options: nosniff, then r.headers) and, unless
// `head_only` (an answer to HEAD), the body.
std::string serializeResponse(const HttpResponse& r, bool head_only, bool keep_alive);

}  // namespace cspwatch::daemon
