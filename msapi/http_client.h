// SPDX-License-Identifier: Apache-2.0
// HTTP(S) for the Partner Center and Graph source, over Poco: keep-alive connections reused per
// thread and host, connect and read timeouts, a response size limit, gzip when offered.
//
// Certificate verification is always on for https. Plain http is refused unless the host is a
// loopback address (the simulator, tests). Failures of the exchange itself (connection refused
// or dropped, timeout, a body shorter than promised, a body too large) are Status values;
// any HTTP status is a response. Thread-safe: each thread gets its own connections.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace cspwatch::msapi {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;  // for a body
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpOptions {
  Seconds connect_timeout = Seconds(10);
  Seconds read_timeout = Seconds(60);
  size_t max_body_bytes = 64 * 1024 * 1024;
};

// True for http(s)://127.x.x.x, localhost and [::1] URLs.
bool isLoopbackUrl(const std::string& url);

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {}) : options_(options) {}
  Result<HttpResponse> send(const HttpRequest& request) const;

 private:
  HttpOptions options_;
};

}  // namespace cspwatch::msapi
